"""The reporter as an actor: the citizen actor and the reporter's one-time secret."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ioc.core import audit
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Report

CITIZEN_LABEL = "citizen"


def citizen_actor() -> audit.Actor:
    """The actor for actions by the reporter through public pages and APIs (no name: audit
    rows stay free of identity). Actions by this actor need the reporter's secret."""
    return audit.Actor(None, CITIZEN_LABEL)


def is_citizen(actor: audit.Actor) -> bool:
    """True for the reporter's actor (see :func:`citizen_actor`)."""
    return actor.user_id is None and actor.label == CITIZEN_LABEL


def hash_secret(secret: str) -> str:
    """The stored form of a reporter's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


# The reporter's secret: 8 characters a citizen can read aloud and type on a phone without
# doubt — no O/0, no I/l/1 (Crockford's idea, stricter) — shown in two groups, ``K7QM-4WHT``.
# 31^8 ≈ 8.5·10^11 combinations, and a guess needs the report's code too.
SECRET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # noqa: S105 - an alphabet, not a secret
SECRET_LENGTH = 8


def new_secret() -> str:
    """A fresh reporter's secret, ``XXXX-XXXX``."""
    chars = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


def normalize_secret(secret: str) -> str:
    """The secret as typed (any case, with or without the dash or spaces), in canonical form."""
    return re.sub(r"[\s\-–—.]", "", secret or "").upper()


def verify_secret(report: Report, secret: str) -> bool:
    """True when ``secret`` is the reporter's secret of ``report``: a new short secret
    however it is typed, or an older long one exactly."""
    stored = report.citizen_secret_hash
    short = normalize_secret(secret)
    if len(short) == SECRET_LENGTH and hmac.compare_digest(stored, hash_secret(short)):
        return True
    return bool(secret) and hmac.compare_digest(stored, hash_secret(secret.strip()))


def check_reporter(report: Report, actor: audit.Actor, secret: str | None) -> None:
    if secret is not None:
        if not verify_secret(report, secret):
            raise FieldReportError(
                "Mã bí mật của phản ánh không đúng",
                "Wrong secret for this report",
                field="secret",
            )
        return
    if is_citizen(actor):
        raise FieldReportError(
            "Cần mã bí mật của người phản ánh", "The reporter's secret is required", field="secret"
        )
