"""The ``IOC_FR_*`` settings the actions read (set once at start-up by :func:`configure`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ioc.engines.actions_kit import same_named

if TYPE_CHECKING:
    from ioc.settings import Settings


@dataclass(frozen=True)
class Policy:
    """The ``IOC_FR_*`` settings the actions need (set once at start-up by :func:`configure`)."""

    data_dir: Path = Path("var")
    photo_max_bytes: int = 8 * 1024 * 1024
    photo_max_count: int = 5
    photo_max_side: int = 2560
    photo_max_pixels: int = 50_000_000
    rate_limit_per_hour: int = 5
    duplicate_radius_m: int = 50
    duplicate_days: int = 30
    due_soon_hours: int = 24
    intake_agency: str = "trung-tam-ioc"
    # Tell reporters of each public status change (by e-mail, by SMS when a sender is
    # installed); links in those messages start with ``public_url`` (``IOC_PUBLIC_URL``).
    notify_reporters: bool = True
    public_url: str = ""


_policy = Policy()

#: The fields of the policy read from the settings ``fr_<field>`` (``IOC_FR_*``).
_SETTINGS = (
    "photo_max_bytes photo_max_count photo_max_side photo_max_pixels rate_limit_per_hour"
    " duplicate_radius_m duplicate_days due_soon_hours intake_agency"
)


def policy_from_settings(settings: Settings) -> Policy:
    """The policy read from the settings."""
    return Policy(
        data_dir=Path(settings.data_dir),
        **same_named(settings, _SETTINGS, prefix="fr_"),
        public_url=settings.public_url,
    )


def configure(new: Policy) -> None:
    """Apply the policy; called at start-up (and by tests)."""
    global _policy
    _policy = new


def policy() -> Policy:
    """The current policy."""
    return _policy


def with_policy(**changes: Any) -> Policy:
    """A copy of the current policy with some fields changed (for tests and tools)."""
    return replace(_policy, **changes)
