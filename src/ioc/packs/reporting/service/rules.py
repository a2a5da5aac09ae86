"""The rules of the reporting pack: submission states, the policy (``IOC_RP_*``), who may
do what, the errors, local dates and a campaign's template snapshot."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import Agency
from ioc.packs.reporting.models import Campaign, Submission

NOT_STARTED, DRAFT, SUBMITTED, RETURNED, ACCEPTED = (
    "not_started",
    "draft",
    "submitted",
    "returned",
    "accepted",
)
LATE = "late"  # a board state only, never stored
STATES = (NOT_STARTED, DRAFT, SUBMITTED, RETURNED, ACCEPTED, LATE)
EDITABLE = frozenset({NOT_STARTED, DRAFT, RETURNED})
CYCLES = ("annual", "quarterly", "ad_hoc")
REPORTING_KINDS = ("department", "inspectorate", "centre", "office")


@dataclass(frozen=True)
class Policy:
    """Deadline, reviewer and reminder settings (from ``IOC_RP_*``)."""

    deadline_day: int = 31
    deadline_month: int = 10
    recipient_code: str = "so-xay-dung"
    remind_before: tuple[int, ...] = (5, 1)
    remind_after: tuple[int, ...] = (1, 5)
    signer_name: str = ""
    max_attachment_bytes: int = 20 * 1024 * 1024


_policy = Policy()


def _days(raw: str, name: str) -> tuple[int, ...]:
    try:
        values = tuple(sorted({int(x) for x in raw.split(",") if x.strip()}, reverse=True))
    except ValueError as exc:
        raise ValueError(f"{name}: comma-separated whole numbers expected, got {raw!r}") from exc
    if any(v < 0 for v in values):
        raise ValueError(f"{name}: working days must be >= 0")
    return values


def configure(settings: Any) -> None:
    """Take the policy from the settings (called at start-up)."""
    global _policy
    _policy = Policy(
        deadline_day=settings.rp_deadline_day,
        deadline_month=settings.rp_deadline_month,
        recipient_code=settings.rp_recipient_code,
        remind_before=_days(settings.rp_remind_before_wd, "IOC_RP_REMIND_BEFORE_WD"),
        remind_after=_days(settings.rp_remind_after_wd, "IOC_RP_REMIND_AFTER_WD"),
        signer_name=settings.rp_signer_name,
        max_attachment_bytes=settings.rp_max_attachment_mb * 1024 * 1024,
    )


def policy() -> Policy:
    """The policy in force."""
    return _policy


class ReportingError(ValueError):
    """A refused action or bad input: Vietnamese message, English text and the field."""

    def __init__(self, message: str, en: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.en = en or message
        self.field = field


@dataclass(frozen=True)
class Doer:
    """Who acts: audit actor, role and agency."""

    actor: audit.Actor
    role: str
    agency_id: int | None


def today() -> date:
    """Today's local date."""
    return clock.now().astimezone(clock.local_zone()).date()


def local_date(moment: datetime) -> date:
    """The local (Asia/Ho_Chi_Minh) date of an aware moment."""
    return moment.astimezone(clock.local_zone()).date()


def default_deadline(year: int) -> date:
    """The yearly deadline (31 October by default) of ``year``; day clipped to the month."""
    p = _policy
    for day in range(p.deadline_day, 27, -1):
        try:
            return date(year, p.deadline_month, day)
        except ValueError:
            continue
    return date(year, p.deadline_month, 28)


def sections(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's template sections (its snapshot)."""
    data: dict[str, Any] = json.loads(campaign.template_json)
    return list(data["sections"])


def template_meta(campaign: Campaign) -> dict[str, Any]:
    """The snapshot's titles (report title, summary line)."""
    data: dict[str, Any] = json.loads(campaign.template_json)
    return data


def content(sub: Submission) -> dict[str, Any]:
    """A submission's content: section key -> ``{"text": …}`` or ``{"rows": [...]}``."""
    data: dict[str, Any] = json.loads(sub.content_json or "{}")
    return data


# ----------------------------------------------------------------------------- permissions


def recipient_id(session: Session, campaign: Campaign) -> int | None:
    """Id of the campaign's reviewing agency."""
    return session.execute(
        select(Agency.id).where(Agency.code == campaign.recipient_code)
    ).scalar_one_or_none()


def is_reviewer(session: Session, doer: Doer, campaign: Campaign) -> bool:
    """Administrators and staff of the recipient agency review and consolidate."""
    if doer.role == "admin":
        return True
    return doer.agency_id is not None and doer.agency_id == recipient_id(session, campaign)


def may_edit(doer: Doer, sub: Submission) -> bool:
    """The submitting agency's own staff (or an administrator) fill its report."""
    return doer.role == "admin" or (doer.agency_id is not None and doer.agency_id == sub.agency_id)


def may_create(session: Session, doer: Doer) -> bool:
    """Administrators and staff of the configured recipient agency create campaigns."""
    if doer.role == "admin":
        return True
    rid = session.execute(
        select(Agency.id).where(Agency.code == _policy.recipient_code)
    ).scalar_one_or_none()
    return doer.agency_id is not None and doer.agency_id == rid


def refuse(vi: str, en: str) -> ReportingError:
    """The error of a refused action (no field)."""
    return ReportingError(vi, en)
