"""Settings from ``IOC_*`` environment variables.

Every field has a docstring: ``ioc settings`` prints them, and ``tests/test_docs.py`` fails when a
setting is missing from ``docs/settings.md`` (written by ``scripts/gen_settings_doc.py``).

The fields are declared by topic, one module each (``process``, ``security``, ``intake``,
``indicators``, ``alerting``, ``packs``); :class:`Settings` puts them together as one flat set
of ``IOC_*`` variables, in that order.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ioc.settings.alerting import AlertingSettings
from ioc.settings.indicators import IndicatorSettings
from ioc.settings.intake import IntakeSettings
from ioc.settings.packs import PackSettings
from ioc.settings.process import ProcessSettings
from ioc.settings.secret_key import new_secret, weak_secret
from ioc.settings.security import SecuritySettings

__all__ = ["Settings", "get_settings", "new_secret", "weak_secret"]


# The fields come in the reverse order of the bases (pydantic follows the reversed MRO): the
# process first, the packs last.
class Settings(
    PackSettings,
    AlertingSettings,
    IndicatorSettings,
    IntakeSettings,
    SecuritySettings,
    ProcessSettings,
    BaseSettings,
):
    """All IOC settings; read once per process from the environment (prefix ``IOC_``)."""

    model_config = SettingsConfigDict(
        env_prefix="IOC_", env_file=None, extra="ignore", use_attribute_docstrings=True
    )

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env == "production":
            problem = weak_secret(self.secret_key)
            if problem is not None:
                raise ValueError(
                    f"IOC_SECRET_KEY {problem}: production needs at least 32 random characters, "
                    'e.g. from  python -c "import secrets; print(secrets.token_urlsafe(48))"'
                )
            self.cookie_secure = True
        return self

    @model_validator(mode="after")
    def _default_public_url(self) -> Settings:
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
            self.public_url = f"http://{host}:{self.port}"
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
