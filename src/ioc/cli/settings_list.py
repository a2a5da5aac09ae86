"""``ioc settings``: every IOC_* setting with its value (secrets masked) and meaning."""

from __future__ import annotations

import re

from rich.markup import escape
from rich.table import Table

from ioc.cli.common import console
from ioc.settings import Settings, get_settings


def show_settings() -> None:
    """List every IOC_* setting with its current value and meaning."""
    settings = get_settings()
    table = Table("IOC_*", "giá trị / value", "ý nghĩa / meaning")
    for name, field in Settings.model_fields.items():
        shown = escape(shown_setting(name, getattr(settings, name)))
        table.add_row(f"IOC_{name.upper()}", shown, field.description or "")
    console.print(table)


_SECRET_WORDS = frozenset({"password", "secret", "token", "key"})


def shown_setting(name: str, value: object) -> str:
    """A setting's value as ``ioc settings`` prints it: a setting named for a password, secret,
    token or key is masked, and so is the password inside any URL (``user:***@host``)."""
    if _SECRET_WORDS & set(name.lower().split("_")):
        return "••••" if value else ""
    return mask_url_passwords(str(value))


def mask_url_passwords(text: str) -> str:
    """``scheme://user:password@host`` → ``scheme://user:***@host`` wherever it occurs."""
    return re.sub(r"(\w[\w+.-]*://[^\s:/@]*:)[^\s@/]+(@)", r"\1***\2", text)
