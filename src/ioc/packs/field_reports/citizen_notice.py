"""Telling the reporter of progress: each public status change of a report is sent to the
reporter who gave an e-mail address (and, when a text sender is installed, by SMS to one who
gave a phone number), through the notification outbox of the alerting engine
(:func:`ioc.engines.alerting.notify.enqueue_message`: sent after the transaction commits,
retried with backoff, visible on the outbox page).

What a message holds: the tracking code, the category, the new status, what the public
tracking page shows about this step (the agency handling it, the question asked, the reason
of a rejection, the published answer) and the tracking link. Never: internal notes, staff
names, the reporter's own contact details or the tracking secret. Language: the one the
report was sent in (``submitted`` event's ``lang``), Vietnamese by default.

Not sent: changes the reporter made themselves (information supplied, rating, their own
reopening), the agency's answer before it is published, and changes recorded after the fact
(``MAX_AGE`` older than now: the demo's and imports' history is not news).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import clock, i18n
from ioc.core.audit import Actor
from ioc.engines.alerting import notify
from ioc.packs.field_reports.models import Category, Report, ReportEvent

log = logging.getLogger(__name__)

SOURCE = "field_reports"
MAX_AGE = timedelta(hours=24)
SMS_LIMIT = 320  # two SMS segments of plain text
# Timeline kinds the reporter caused: they know already.
THEIR_OWN = frozenset({"provide_info", "rate"})
TRACK_PATH = "/phan-anh/tra-cuu?ma="


def report_lang(session: Session, report: Report) -> str:
    """The language the report was sent in (``vi`` unless its submission said ``en``)."""
    data = session.execute(
        select(ReportEvent.data)
        .where(ReportEvent.report_id == report.id, ReportEvent.kind == "submitted")
        .limit(1)
    ).scalar()
    lang = (data or {}).get("lang") if isinstance(data, dict) else None
    return i18n.normalize_lang(lang if isinstance(lang, str) else "vi")


def _detail(event: ReportEvent, report: Report, lang: str) -> str | None:
    """The line about this step that the public tracking page shows too."""
    text = (event.public_text or "").strip()
    kind = event.kind
    if kind == "submitted":
        due = i18n.format_datetime(report.due_at, lang, False) if report.due_at else None
        return i18n.translate("frn.detail.submitted", lang, due=due) if due else None
    if not text:
        return None
    key = {
        "assign": "frn.detail.agency",
        "transfer": "frn.detail.agency",
        "request_info": "frn.detail.question",
        "reject": "frn.detail.reason",
        "publish": "frn.detail.answer",
        "merge_duplicate": "frn.detail.merged",
        "reopen": "frn.detail.reopened",
    }.get(kind)
    return i18n.translate(key, lang, text=text) if key else None


def _message(
    session: Session, report: Report, event: ReportEvent, lang: str, public_url: str
) -> tuple[str, str]:
    category = session.get(Category, report.category_id)
    cat = (category.name_en if lang == "en" else category.name_vi) if category else ""
    status = i18n.translate(f"fr.status.{report.status}", lang)
    link = f"{public_url.rstrip('/')}{TRACK_PATH}{quote(report.code)}"
    subject = i18n.translate("frn.subject", lang, code=report.code, status=status)
    lines = [
        i18n.translate("frn.opening", lang, code=report.code, category=cat, status=status),
    ]
    detail = _detail(event, report, lang)
    if detail:
        lines.append(detail)
    if report.status == "info_requested":
        lines.append(i18n.translate("frn.answer_how", lang))
    lines += [
        "",
        i18n.translate("frn.track", lang, link=link),
        "",
        i18n.translate("frn.footer", lang),
    ]
    return subject, "\n".join(lines)


def _sms(report: Report, event: ReportEvent, lang: str, public_url: str) -> str:
    status = i18n.translate(f"fr.status.{report.status}", lang)
    link = f"{public_url.rstrip('/')}{TRACK_PATH}{quote(report.code)}"
    text = i18n.translate("frn.sms", lang, code=report.code, status=status, link=link)
    return text[:SMS_LIMIT]


def status_changed(
    session: Session,
    report: Report,
    event: ReportEvent,
    actor: Actor,
    *,
    public_url: str,
    citizen: bool,
    now: datetime | None = None,
) -> int:
    """Queue the messages telling the reporter of ``event`` (a timeline entry just written);
    returns how many were queued. ``citizen``: the reporter made the change themselves."""
    if not event.public or event.kind in THEIR_OWN:
        return 0
    if citizen and event.kind != "submitted":
        return 0  # their own reopening
    if event.at < (now or clock.now()) - MAX_AGE:
        return 0
    lang = report_lang(session, report)
    queued = 0
    if report.reporter_email:
        subject, text = _message(session, report, event, lang, public_url)
        notify.enqueue_message(
            session,
            channel="email",
            to=[report.reporter_email],
            subject=subject,
            text=text,
            source=SOURCE,
            reference=report.code,
            now=event.at,
        )
        queued += 1
    if report.reporter_phone and notify.channel_available("sms"):
        notify.enqueue_message(
            session,
            channel="sms",
            to=[report.reporter_phone],
            subject=i18n.translate(
                "frn.subject",
                lang,
                code=report.code,
                status=i18n.translate(f"fr.status.{report.status}", lang),
            ),
            text=_sms(report, event, lang, public_url),
            source=SOURCE,
            reference=report.code,
            now=event.at,
        )
        queued += 1
    return queued
