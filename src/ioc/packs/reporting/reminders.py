"""Deadline reminders: a scheduler job (``reporting.remind``) that, on working days, reminds
each agency that has not sent its report ``N`` working days before the deadline and ``N``
working days after it (``IOC_RP_REMIND_BEFORE_WD`` / ``IOC_RP_REMIND_AFTER_WD``).

Working days come from ``ioc.core.calendar`` (the one calendar). "N working days before" is
the local working day ``d`` with ``working_days_between(d, deadline) == N``; "N after" is the
day with ``working_days_between(deadline, d) == N`` (a deadline on a weekend counts from the
next working day). Every reminder is recorded once per (campaign, agency, kind) in
``rp_reminders``, so the hourly job never sends one twice. ``ioc.engines.alerting.notify``
exposes no function to post an in-app notification, so the record (shown on the campaign
page and the agency's report page) is the reminder itself.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.core.calendar import WorkingCalendar, load_calendar
from ioc.packs.reporting import service
from ioc.packs.reporting.models import Campaign, Reminder, Submission


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=clock.local_zone())


def due_kind(cal: WorkingCalendar, deadline: date, on: date) -> str | None:
    """The reminder kind due on local day ``on`` for ``deadline`` (``before_5``, ``after_1``,
    ``None``)."""
    if not cal.is_working_day(on):
        return None
    p = service.policy()
    if on <= deadline:
        n = cal.working_days_between(_midnight(on), _midnight(deadline))
        return f"before_{n}" if n in p.remind_before else None
    n = cal.working_days_between(_midnight(deadline), _midnight(on))
    return f"after_{n}" if n in p.remind_after else None


def _message(campaign: Campaign, kind: str) -> str:
    deadline = campaign.deadline.strftime("%d/%m/%Y")
    n = kind.split("_")[1]
    if kind.startswith("before"):
        return (
            f"Nhắc hạn: còn {n} ngày làm việc đến hạn nộp «{campaign.title}» ({deadline}). "
            "Đơn vị chưa gửi báo cáo."
        )
    return f"Quá hạn {n} ngày làm việc: đơn vị chưa gửi «{campaign.title}» (hạn {deadline})."


def send_reminders(session: Session, now: datetime) -> int:
    """Record the reminders due at ``now``; returns how many were sent."""
    cal = load_calendar(session)
    on = service.local_date(now)
    sent = 0
    for campaign in session.execute(select(Campaign).where(Campaign.status == "open")).scalars():
        kind = due_kind(cal, campaign.deadline, on)
        if kind is None:
            continue
        subs = session.execute(
            select(Submission).where(
                Submission.campaign_id == campaign.id,
                Submission.status.in_(service.EDITABLE),
            )
        ).scalars()
        done = set(
            session.execute(
                select(Reminder.agency_id).where(
                    Reminder.campaign_id == campaign.id, Reminder.kind == kind
                )
            ).scalars()
        )
        for sub in subs:
            if sub.agency_id in done:
                continue
            session.add(
                Reminder(
                    campaign_id=campaign.id,
                    agency_id=sub.agency_id,
                    kind=kind,
                    sent_on=on,
                    message=_message(campaign, kind),
                    created_at=now,
                )
            )
            sent += 1
    session.flush()
    return sent


def remind_job(factory: sessionmaker[Session], now: datetime) -> str | None:
    """Scheduler job: send the reminders due now in one transaction."""
    with factory() as session, session.begin():
        sent = send_reminders(session, now)
    return f"{sent} reminders" if sent else None
