"""``IOC_SECRET_KEY``: what production refuses (the default, placeholders, short or repetitive
secrets) and how to make a good one."""

from __future__ import annotations

import math
import secrets

DEV_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused in production

# Words of secrets copied from examples instead of generated (compared without case).
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "replaceme", "replace-me", "example")


def weak_secret(value: str) -> str | None:
    """Why ``value`` cannot sign production sessions, or ``None`` when it looks random: at
    least 32 characters, not the default or a placeholder, at least 8 distinct characters, no
    8-character run repeated, and ≥ 128 bits estimated as length × log2(alphabet of the
    character classes it uses). ``secrets.token_urlsafe(48)`` and ``token_hex(16)`` pass."""
    lowered = value.lower()
    if value == DEV_SECRET or any(word in lowered for word in _PLACEHOLDERS):
        return "is the default or a placeholder"
    if len(value) < 32:
        return f"is too short ({len(value)} characters)"
    if len(set(value)) < 8:
        return "uses too few distinct characters"
    runs = [value[i : i + 8] for i in range(len(value) - 7)]
    if len(set(runs)) < len(runs):
        return "repeats itself"
    alphabet = (
        26 * any(c.islower() for c in value)
        + 26 * any(c.isupper() for c in value)
        + 10 * any(c.isdigit() for c in value)
        + 33 * any(not c.isalnum() for c in value)
    )
    if len(value) * math.log2(max(alphabet, 2)) < 128:
        return "has too little entropy"
    return None


def new_secret() -> str:
    """A random secret suitable for ``IOC_SECRET_KEY``."""
    return secrets.token_urlsafe(48)
