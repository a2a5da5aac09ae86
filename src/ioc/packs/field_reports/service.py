"""Field-report workflow (phản ánh hiện trường): one action function per transition.

Every action checks that the transition is allowed from the report's current status (a
:class:`FieldReportError` with a Vietnamese message otherwise), changes the report, sets the
deadline of the next step from the working-day calendar and the category's settings, and
writes a timeline event (``fr_events``) and an audit row, in the caller's transaction (actions
never commit). Routes, jobs, the CLI and the demo all call these functions.

States
======

==================  ===============================  ==============================================
status              Vietnamese                       meaning
==================  ===============================  ==============================================
``received``        Đã tiếp nhận                     at the IOC, waiting for the intake decision
``info_requested``  Chờ bổ sung thông tin            the reporter was asked for more information
``rejected``        Từ chối                          refused at intake, with a reason (closed)
``assigned``        Đã chuyển đơn vị xử lý           with the responsible agency
``in_progress``     Đang xử lý                       the agency has started handling it
``answered``        Đã trả lời, chờ công khai        the agency answered (closed); IOC to publish
``published``       Đã công khai                     the answer is public; the reporter may rate
``rated``           Đã đánh giá                      the reporter rated the answer
``merged``          Đã gộp                           a duplicate, merged into another report
==================  ===============================  ==============================================

Transitions
===========

==================  ==========================================  ================================
action              from                                        to
==================  ==========================================  ================================
submit_report       —                                           received
reject              received, info_requested                    rejected
assign              received                                    assigned
request_info        received, assigned, in_progress             info_requested
provide_info        info_requested                              the status it was asked from
transfer            assigned, in_progress                       assigned (another agency)
start_progress      assigned                                    in_progress
answer              assigned, in_progress                       answered
publish             answered                                    published
rate                published                                   rated
reopen              answered, published, rated, rejected        assigned (received if no agency)
merge_duplicate     received, info_requested, assigned,         merged
                    in_progress
add_note, hide,     any                                         unchanged
unhide, edit_text,
add_photo,
publish_photo,
redact_photo
==================  ==========================================  ================================

Facts kept apart: ``closed`` (handling finished: answered, rejected or merged; cleared by a
reopen) and ``fixed`` (the agency's answer says the problem is gone: resolution ``fixed``);
the reporter's own verdict is ``rating_satisfied`` and ``rating_fixed``.

Deadlines (normal track in working days, urgent track in calendar hours, per category):

* receipt -> intake decision (reject or assign): ``reject_days`` / ``urgent_intake_hours``;
* receipt -> latest request for information: ``info_days`` (``info_request_due_at``);
* receipt, transfer or supplied information -> answer: ``handle_days`` / ``urgent_hours``
  (``due_at``, published as Open311 ``expected_datetime``);
* request for information -> reporter's reply: ``reply_days``;
* answer -> publication: ``publish_days`` / ``urgent_intake_hours``.

``stage_due_at`` is the deadline of the current step; events completing a step carry
``{"due_at": …, "late": bool}`` in ``data`` for statistics.

Citizen actions (``provide_info``, ``rate``, and ``reopen`` by the reporter) by the
:func:`citizen_actor` need the secret returned once by :func:`submit_report`; staff may act
for the reporter (e.g. a call to the 1022 hotline) with ``secret=None``. Whether an actor may
act at all (role, agency) is the calling route's check; actions check transitions and data.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.calendar import WorkingCalendar, load_calendar
from ioc.core.models import Agency
from ioc.packs.field_reports import photos as photo_files
from ioc.packs.field_reports import routing
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import (
    Category,
    ModerationEntry,
    Photo,
    Report,
    ReportEvent,
    ResponseTemplate,
)

if TYPE_CHECKING:
    from ioc.settings import Settings

__all__ = [
    "ACTIONS",
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "RESOLUTIONS",
    "STATUSES",
    "FieldReportError",
    "Policy",
    "Submission",
    "add_note",
    "add_photo",
    "answer",
    "assign",
    "citizen_actor",
    "configure",
    "edit_text",
    "get_category",
    "get_report",
    "hide",
    "is_citizen",
    "merge_duplicate",
    "new_secret",
    "normalize_secret",
    "policy",
    "policy_from_settings",
    "provide_info",
    "publish",
    "publish_photo",
    "rate",
    "redact_photo",
    "reject",
    "render_template",
    "reopen",
    "request_info",
    "save_template",
    "start_progress",
    "submit_report",
    "sync_categories",
    "transfer",
    "unhide",
    "update_category",
    "verify_secret",
]

RECEIVED = "received"
INFO_REQUESTED = "info_requested"
REJECTED = "rejected"
ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
ANSWERED = "answered"
PUBLISHED = "published"
RATED = "rated"
MERGED = "merged"
STATUSES = (
    RECEIVED,
    INFO_REQUESTED,
    REJECTED,
    ASSIGNED,
    IN_PROGRESS,
    ANSWERED,
    PUBLISHED,
    RATED,
    MERGED,
)
OPEN_STATUSES = frozenset({RECEIVED, INFO_REQUESTED, ASSIGNED, IN_PROGRESS})
CLOSED_STATUSES = frozenset({REJECTED, ANSWERED, PUBLISHED, RATED, MERGED})

NORMAL = "normal"
URGENT = "urgent"
TRACKS = (NORMAL, URGENT)

# Resolutions given with an answer (plus "rejected" and "duplicate" set by reject and merge).
# Only "fixed" sets the fixed flag; "scheduled" closes the report without it being fixed.
RESOLUTIONS = ("fixed", "scheduled", "explained", "referred")

# action -> statuses it may start from.
ACTIONS: dict[str, frozenset[str]] = {
    "reject": frozenset({RECEIVED, INFO_REQUESTED}),
    "assign": frozenset({RECEIVED}),
    "request_info": frozenset({RECEIVED, ASSIGNED, IN_PROGRESS}),
    "provide_info": frozenset({INFO_REQUESTED}),
    "transfer": frozenset({ASSIGNED, IN_PROGRESS}),
    "start_progress": frozenset({ASSIGNED}),
    "answer": frozenset({ASSIGNED, IN_PROGRESS}),
    "publish": frozenset({ANSWERED}),
    "rate": frozenset({PUBLISHED}),
    "reopen": frozenset({ANSWERED, PUBLISHED, RATED, REJECTED}),
    "merge_duplicate": frozenset({RECEIVED, INFO_REQUESTED, ASSIGNED, IN_PROGRESS}),
}

_STATUS_VI = {
    RECEIVED: "đã tiếp nhận",
    INFO_REQUESTED: "chờ bổ sung thông tin",
    REJECTED: "đã từ chối",
    ASSIGNED: "đã chuyển đơn vị xử lý",
    IN_PROGRESS: "đang xử lý",
    ANSWERED: "đã trả lời",
    PUBLISHED: "đã công khai",
    RATED: "đã đánh giá",
    MERGED: "đã gộp vào phản ánh khác",
}
_ACTION_VI = {
    "reject": "từ chối",
    "assign": "chuyển đơn vị xử lý",
    "request_info": "yêu cầu bổ sung thông tin",
    "provide_info": "bổ sung thông tin",
    "transfer": "chuyển đơn vị khác",
    "start_progress": "bắt đầu xử lý",
    "answer": "trả lời",
    "publish": "công khai",
    "rate": "đánh giá",
    "reopen": "mở lại",
    "merge_duplicate": "gộp trùng",
}

MAX_DESCRIPTION = 4000  # Open311 description limit
MAX_TEXT = 4000
_PHONE_RE = re.compile(r"^\+?\d{9,12}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- configuration ---------------------------------------------------------------------------


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


def policy_from_settings(settings: Settings) -> Policy:
    """The policy read from the settings."""
    return Policy(
        data_dir=Path(settings.data_dir),
        photo_max_bytes=settings.fr_photo_max_bytes,
        photo_max_count=settings.fr_photo_max_count,
        photo_max_side=settings.fr_photo_max_side,
        photo_max_pixels=settings.fr_photo_max_pixels,
        rate_limit_per_hour=settings.fr_rate_limit_per_hour,
        duplicate_radius_m=settings.fr_duplicate_radius_m,
        duplicate_days=settings.fr_duplicate_days,
        due_soon_hours=settings.fr_due_soon_hours,
        intake_agency=settings.fr_intake_agency,
        public_url=settings.public_url,
    )


def configure(new: Policy) -> None:
    """Apply the policy; called at start-up (and by tests)."""
    global _policy
    _policy = new


def policy() -> Policy:
    """The current policy."""
    return _policy


# --- helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What :func:`submit_report` gives back: the report and the reporter's secret (shown
    once, needed to supply information, rate or reopen; only its hash is stored)."""

    report: Report
    secret: str


CITIZEN_LABEL = "citizen"


def citizen_actor() -> audit.Actor:
    """The actor for actions by the reporter through public pages and APIs (no name: audit
    rows stay free of identity). Actions by this actor need the reporter's secret."""
    return audit.Actor(None, CITIZEN_LABEL)


def is_citizen(actor: audit.Actor) -> bool:
    """True for the reporter's actor (see :func:`citizen_actor`)."""
    return actor.user_id is None and actor.label == CITIZEN_LABEL


def _hash_secret(secret: str) -> str:
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
    if len(short) == SECRET_LENGTH and hmac.compare_digest(stored, _hash_secret(short)):
        return True
    return bool(secret) and hmac.compare_digest(stored, _hash_secret(secret.strip()))


def _check_reporter(report: Report, actor: audit.Actor, secret: str | None) -> None:
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


def _now(at: datetime | None) -> datetime:
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return at


def _check(action: str, report: Report) -> None:
    if report.status not in ACTIONS[action]:
        status = _STATUS_VI.get(report.status, report.status)
        raise FieldReportError(
            f"Không thể {_ACTION_VI[action]} phản ánh {report.code} đang ở trạng thái “{status}”",
            f"Cannot {action} report {report.code} in status {report.status}",
        )


def _text(value: str | None, field: str, label_vi: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise FieldReportError(f"Vui lòng nhập {label_vi}", f"{field} is required", field=field)
    if len(text) > MAX_TEXT:
        raise FieldReportError(
            f"{label_vi.capitalize()} quá dài (tối đa {MAX_TEXT} ký tự)",
            f"{field} is too long (at most {MAX_TEXT} characters)",
            field=field,
        )
    return text


def _agency_by_code(session: Session, code: str) -> Agency:
    agency = session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None:
        raise FieldReportError(
            f"Không có đơn vị mã {code}", f"Unknown agency {code}", field="agency"
        )
    return agency


def _category_of(session: Session, report: Report) -> Category:
    category = session.get(Category, report.category_id)
    assert category is not None  # foreign key
    return category


def _handle_due(cal: WorkingCalendar, cat: Category, track: str, start: datetime) -> datetime:
    if track == URGENT:
        return cal.add_hours(start, cat.urgent_hours)
    return cal.add_working_days(start, cat.handle_days)


def _intake_due(cal: WorkingCalendar, cat: Category, track: str, start: datetime) -> datetime:
    if track == URGENT:
        return cal.add_hours(start, cat.urgent_intake_hours)
    return cal.add_working_days(start, cat.reject_days)


def _publish_due(cal: WorkingCalendar, cat: Category, track: str, start: datetime) -> datetime:
    if track == URGENT:
        return cal.add_hours(start, cat.urgent_intake_hours)
    return cal.add_working_days(start, cat.publish_days)


def _step(report: Report, now: datetime) -> dict[str, Any]:
    """Timeliness of the step a transition completes (for statistics)."""
    due = report.stage_due_at
    if due is None:
        return {}
    return {"due_at": due.isoformat(), "late": now > due}


def _event(
    session: Session,
    report: Report,
    kind: str,
    actor: audit.Actor,
    now: datetime,
    *,
    status_from: str | None,
    public: bool,
    public_text: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> ReportEvent:
    event = ReportEvent(
        report_id=report.id,
        at=now,
        kind=kind,
        actor=actor.label,
        actor_user_id=actor.user_id,
        agency_id=report.agency_id,
        status_from=status_from,
        status_to=report.status,
        public=public,
        public_text=public_text,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event


def _audit(
    session: Session, actor: audit.Actor, action: str, report: Report, **detail: Any
) -> None:
    audit.record(session, actor, f"fr.{action}", "fr_report", report.code, **detail)


def _move(
    session: Session,
    actor: audit.Actor,
    report: Report,
    action: str,
    to: str,
    now: datetime,
    *,
    public: bool = True,
    public_text: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    kind: str | None = None,
) -> ReportEvent:
    before = report.status
    report.status = to
    report.updated_at = now
    event = _event(
        session,
        report,
        kind or action,
        actor,
        now,
        status_from=before,
        public=public,
        public_text=public_text,
        note=note,
        data=data,
    )
    session.flush()
    _audit(session, actor, action, report, status_from=before, status_to=to, **(data or {}))
    _tell_reporter(session, report, event, actor, _policy)
    return event


def _tell_reporter(
    session: Session, report: Report, event: ReportEvent, actor: audit.Actor, pol: Policy
) -> None:
    """Queue the messages that tell the reporter of this step (``citizen_notice``)."""
    if not pol.notify_reporters:
        return
    from ioc.packs.field_reports import citizen_notice

    citizen_notice.status_changed(
        session,
        report,
        event,
        actor,
        public_url=pol.public_url or _default_public_url(),
        citizen=is_citizen(actor),
    )


def _default_public_url() -> str:
    from ioc.settings import get_settings

    return get_settings().public_url


# --- categories and templates ----------------------------------------------------------------

_CATEGORY_FIELDS = {
    "name_vi": str,
    "name_en": str,
    "description": str,
    "group_code": str,
    "active": bool,
    "handle_days": int,
    "reject_days": int,
    "info_days": int,
    "publish_days": int,
    "reply_days": int,
    "urgent_hours": int,
    "urgent_intake_hours": int,
    "urgent_default": bool,
    "duplicate_radius_m": int,
    "default_agency_code": str,
    "position": int,
}


def default_categories() -> list[dict[str, Any]]:
    """The categories of the packaged ``categories.yaml``, defaults applied."""
    raw = yaml.safe_load(
        files("ioc.packs.field_reports").joinpath("categories.yaml").read_text(encoding="utf-8")
    )
    defaults = dict(raw.get("defaults") or {})
    out = []
    for position, item in enumerate(raw["categories"]):
        row = {**defaults, **item}
        row["group_code"] = row.pop("group", "")
        row["default_agency_code"] = row.pop("default_agency", None)
        row["position"] = position
        out.append(row)
    return out


def sync_categories(session: Session, actor: audit.Actor | None = None) -> int:
    """Insert the packaged categories missing from ``fr_categories`` (administrators' edits of
    existing ones are kept). Idempotent; returns how many were added."""
    actor = actor or audit.Actor.system("field_reports")
    existing = set(session.execute(select(Category.code)).scalars())
    added = 0
    for row in default_categories():
        if row["code"] in existing:
            continue
        session.add(
            Category(
                **{k: v for k, v in row.items() if k in _CATEGORY_FIELDS or k == "code"},
                updated_at=clock.now(),
                updated_by=actor.label,
            )
        )
        added += 1
    if added:
        session.flush()
        audit.record(session, actor, "fr.categories.sync", "fr_category", None, added=added)
    return added


def get_category(session: Session, code: str, *, active_only: bool = True) -> Category:
    """The category ``code`` (refused when unknown or, by default, inactive)."""
    category = session.execute(select(Category).where(Category.code == code)).scalar_one_or_none()
    if category is None or (active_only and not category.active):
        raise FieldReportError(
            "Vui lòng chọn lĩnh vực phản ánh hợp lệ", f"Unknown category {code}", field="category"
        )
    return category


def update_category(session: Session, actor: audit.Actor, code: str, **changes: Any) -> Category:
    """Sửa lĩnh vực: change names, deadlines, urgency or radius of a category (audited)."""
    category = get_category(session, code, active_only=False)
    value: Any
    for key, value in changes.items():
        kind = _CATEGORY_FIELDS.get(key)
        if kind is None:
            raise FieldReportError(
                f"Không sửa được trường {key}", f"Field {key} cannot be changed", field=key
            )
        wrong_type = value is not None and not isinstance(value, kind)
        if wrong_type or (kind is int and isinstance(value, bool)):
            raise FieldReportError(
                f"Giá trị của {key} không hợp lệ", f"Invalid value for {key}", field=key
            )
        if kind is int and value is not None and value < 0:
            raise FieldReportError(f"{key} không được âm", f"{key} must not be negative", field=key)
        if key == "default_agency_code" and value:
            _agency_by_code(session, value)
        setattr(category, key, value)
    category.updated_at = clock.now()
    category.updated_by = actor.label
    session.flush()
    audit.record(
        session,
        actor,
        "fr.category.update",
        "fr_category",
        code,
        **changes,
    )
    return category


def save_template(
    session: Session,
    actor: audit.Actor,
    *,
    code: str,
    title: str,
    text: str,
    status: str,
    category_code: str | None = None,
    active: bool = True,
) -> ResponseTemplate:
    """Lưu mẫu trả lời (create or update by ``code``). Placeholders: ``{code}``,
    ``{category}``, ``{agency}``, ``{address}``, ``{received}``, ``{due}``."""
    code = _text(code, "code", "mã mẫu")
    title = _text(title, "title", "tiêu đề")
    text = _text(text, "text", "nội dung")
    if status not in STATUSES:
        raise FieldReportError(
            "Trạng thái của mẫu không hợp lệ", f"Invalid status {status}", field="status"
        )
    category_id = get_category(session, category_code).id if category_code else None
    template = session.execute(
        select(ResponseTemplate).where(ResponseTemplate.code == code)
    ).scalar_one_or_none()
    if template is None:
        template = ResponseTemplate(code=code)
        session.add(template)
    template.title = title
    template.text = text
    template.status = status
    template.category_id = category_id
    template.active = active
    template.updated_at = clock.now()
    template.updated_by = actor.label
    session.flush()
    audit.record(session, actor, "fr.template.save", "fr_template", code, status=status)
    return template


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_template(session: Session, template_code: str, report: Report) -> str:
    """The text of template ``template_code`` filled in for ``report`` (no personal data:
    only the report's code, category, agency, address and dates)."""
    from ioc.core.i18n import format_datetime

    template = session.execute(
        select(ResponseTemplate).where(
            ResponseTemplate.code == template_code, ResponseTemplate.active.is_(True)
        )
    ).scalar_one_or_none()
    if template is None:
        raise FieldReportError(
            "Không có mẫu trả lời này", f"Unknown template {template_code}", field="template"
        )
    agency = session.get(Agency, report.agency_id) if report.agency_id else None
    values = _Keep(
        code=report.code,
        category=_category_of(session, report).name_vi,
        agency=agency.name if agency else "",
        address=report.address,
        received=format_datetime(report.received_at, "vi"),
        due=format_datetime(report.due_at, "vi") if report.due_at else "",
    )
    return template.text.format_map(values)


# --- reads -----------------------------------------------------------------------------------


def get_report(session: Session, code: str) -> Report:
    """The report with tracking code ``code`` (case-insensitive)."""
    report = session.execute(
        select(Report).where(Report.code == (code or "").strip().upper())
    ).scalar_one_or_none()
    if report is None:
        raise FieldReportError(
            f"Không tìm thấy phản ánh mã {code}", f"No report {code}", field="code"
        )
    return report


# --- submission ------------------------------------------------------------------------------


def _clean_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    compact = re.sub(r"[\s.\-()]", "", value)
    if not _PHONE_RE.match(compact):
        raise FieldReportError(
            "Số điện thoại không hợp lệ", "Invalid phone number", field="reporter_phone"
        )
    return compact


def _clean_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip()
    if len(email) > 200 or not _EMAIL_RE.match(email):
        raise FieldReportError("Email không hợp lệ", "Invalid e-mail", field="reporter_email")
    return email


def _client_hash(client_key: str | None) -> str | None:
    if not client_key:
        return None
    return hashlib.sha256(f"fr-client:{client_key}".encode()).hexdigest()


def _check_rate_limit(
    session: Session, client_hash: str | None, now: datetime, pol: Policy
) -> None:
    if client_hash is None or pol.rate_limit_per_hour <= 0:
        return
    recent, oldest = session.execute(
        select(func.count(Report.id), func.min(Report.received_at)).where(
            Report.client_hash == client_hash, Report.received_at > now - timedelta(hours=1)
        )
    ).one()
    if recent >= pol.rate_limit_per_hour:
        wait = ((oldest or now) + timedelta(hours=1) - now).total_seconds()
        raise FieldReportError(
            "Bạn đã gửi quá nhiều phản ánh trong một giờ; vui lòng thử lại sau",
            "Too many reports from this client in an hour; try again later",
            field="rate_limit",
            retry_after=max(1, math.ceil(wait)),
        )


def _process_photos(data: Sequence[bytes], existing: int, pol: Policy) -> list[Any]:
    if existing + len(data) > pol.photo_max_count:
        raise FieldReportError(
            f"Tối đa {pol.photo_max_count} ảnh cho một phản ánh",
            f"At most {pol.photo_max_count} photos per report",
            field="photos",
        )
    out = []
    for blob in data:
        try:
            out.append(
                photo_files.process(
                    blob,
                    max_bytes=pol.photo_max_bytes,
                    max_side=pol.photo_max_side,
                    max_pixels=pol.photo_max_pixels,
                )
            )
        except photo_files.PhotoError as exc:
            raise FieldReportError(str(exc), exc.en, field="photos") from exc
    return out


def _attach_photos(
    session: Session, report: Report, processed: list[Any], now: datetime, pol: Policy, source: str
) -> list[Photo]:
    rows = []
    for item in processed:
        stored = photo_files.store(item, pol.data_dir)
        row = Photo(
            report_id=report.id,
            path=stored.path,
            original_path=stored.path,
            sha256=item.sha256,
            content_type=item.content_type,
            width=item.width,
            height=item.height,
            size_bytes=len(item.data),
            redacted=False,
            published=False,
            source=source,
            uploaded_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def submit_report(
    session: Session,
    actor: audit.Actor,
    *,
    category_code: str,
    description: str,
    lat: float | None,
    lon: float | None,
    reporter_name: str,
    reporter_phone: str | None = None,
    reporter_email: str | None = None,
    area_code: str | None = None,
    point_from_area: bool = False,
    address: str = "",
    share_identity_with_agency: bool = False,
    urgent: bool | None = None,
    photos: Sequence[bytes] = (),
    channel: str = "web",
    client_key: str | None = None,
    at: datetime | None = None,
    pol: Policy | None = None,
    lang: str = "vi",
    anonymous: bool = False,
) -> Submission:
    """Gửi phản ánh: validate and store a new report in ``received``.

    ``anonymous`` accepts a report without phone or e-mail (Open311 allows it when the province
    does): it is tracked by its code alone. ``area_code`` may be the province's own code with
    ``point_from_area`` for an address that names no commune: the IOC places it at intake.

    ``lang`` is the language the reporter wrote in (``vi`` or ``en``): the messages telling
    them of progress use it (see ``citizen_notice``).

    The commune is the commune of the point, decided on the server (``routing.place``); an
    ``area_code`` sent with the point is checked to exist and otherwise ignored, so a point in
    one commune is never filed under another. ``point_from_area`` says the caller had no point
    and sent the reference point of ``area_code`` instead (Open311 without ``lat``/``long``):
    then ``area_code`` is kept. ``urgent`` None takes the category's default track.
    ``client_key`` (the client's IP address) feeds the hourly rate limit of the public form and
    is stored hashed.
    Returns the report and the reporter's secret.
    """
    pol = pol or _policy
    now = _now(at)
    category = get_category(session, category_code)
    description = _text(description, "description", "nội dung phản ánh")
    if len(description) > MAX_DESCRIPTION:
        raise FieldReportError(
            f"Nội dung phản ánh tối đa {MAX_DESCRIPTION} ký tự",
            f"The description is limited to {MAX_DESCRIPTION} characters",
            field="description",
        )
    lat_f, lon_f = routing.check_point(lat, lon)
    name = _text(reporter_name, "reporter_name", "họ tên")
    if len(name) > 200:
        raise FieldReportError("Họ tên quá dài", "Name too long", field="reporter_name")
    phone = _clean_phone(reporter_phone)
    email = _clean_email(reporter_email)
    if phone is None and email is None and not anonymous:
        raise FieldReportError(
            "Vui lòng nhập số điện thoại hoặc email để cơ quan liên hệ khi cần",
            "Give a phone number or an e-mail address",
            field="reporter_phone",
        )
    address = (address or "").strip()
    if len(address) > 500:
        raise FieldReportError("Địa chỉ quá dài", "Address too long", field="address")
    unplaced = point_from_area and area_code == routing.PROVINCE_CODE
    if area_code and not unplaced and routing.commune(session, area_code) is None:
        raise FieldReportError(
            "Xã/phường không hợp lệ", f"Unknown commune {area_code}", field="area"
        )
    # The point decides the commune, unless it only stands for the commune the caller named.
    area = area_code if point_from_area and area_code else routing.place(session, lat_f, lon_f)
    if channel not in ("web", "app", "hotline", "open311", "staff"):
        raise FieldReportError("Kênh tiếp nhận không hợp lệ", "Invalid channel", field="channel")
    client_hash = _client_hash(client_key)
    _check_rate_limit(session, client_hash, now, pol)
    processed = _process_photos(photos, 0, pol)

    track = URGENT if (category.urgent_default if urgent is None else urgent) else NORMAL
    cal = load_calendar(session)
    secret = new_secret()
    report = Report(
        code=f"TMP-{secrets.token_hex(8)}",
        category_id=category.id,
        description=description,
        lat=lat_f,
        lon=lon_f,
        area_code=area,
        address=address,
        channel=channel,
        reporter_name=name,
        reporter_phone=phone,
        reporter_email=email,
        share_identity_with_agency=bool(share_identity_with_agency),
        citizen_secret_hash=_hash_secret(normalize_secret(secret)),
        client_hash=client_hash,
        track=track,
        status=RECEIVED,
        received_at=now,
        due_at=_handle_due(cal, category, track, now),
        stage_due_at=_intake_due(cal, category, track, now),
        info_request_due_at=(
            cal.add_working_days(now, category.info_days)
            if track == NORMAL
            else cal.add_hours(now, category.urgent_intake_hours)
        ),
        closed=False,
        fixed=False,
        reopen_count=0,
        hidden=False,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    # The tracking code follows the row id: unique without a counter table or a race.
    local_year = now.astimezone(clock.local_zone()).year
    report.code = f"PA-{local_year}-{report.id:06d}"
    _attach_photos(session, report, processed, now, pol, "citizen")
    event = _event(
        session,
        report,
        "submitted",
        actor,
        now,
        status_from=None,
        public=True,
        data={
            "track": track,
            "photos": len(processed),
            "channel": channel,
            "lang": "en" if lang == "en" else "vi",
        },
    )
    session.flush()
    _audit(session, actor, "submit", report, category=category.code, area=area, track=track)
    _tell_reporter(session, report, event, actor, pol)
    return Submission(report=report, secret=secret)


# --- transitions -----------------------------------------------------------------------------


def reject(
    session: Session, actor: audit.Actor, report: Report, reason: str, *, at: datetime | None = None
) -> Report:
    """Từ chối tiếp nhận (with a reason shown to the public): closes the report."""
    _check("reject", report)
    reason = _text(reason, "reason", "lý do từ chối")
    now = _now(at)
    step = _step(report, now)
    report.reject_reason = reason
    report.closed = True
    report.closed_at = now
    report.resolution = "rejected"
    report.fixed = False
    report.stage_due_at = None
    _move(session, actor, report, "reject", REJECTED, now, public_text=reason, data=step)
    return report


def assign(
    session: Session,
    actor: audit.Actor,
    report: Report,
    agency_code: str | None = None,
    *,
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Chuyển đơn vị xử lý: to ``agency_code``, or to the agency the routing rules give.

    The handling deadline keeps counting from receipt (set at submission)."""
    _check("assign", report)
    now = _now(at)
    category = _category_of(session, report)
    if agency_code:
        agency = _agency_by_code(session, agency_code)
        reason = "manual"
    else:
        found = routing.route(session, category, report.area_code)
        agency, reason = found.agency, found.reason
    step = _step(report, now)
    report.agency_id = agency.id
    report.assigned_at = now
    report.stage_due_at = report.due_at
    _move(
        session,
        actor,
        report,
        "assign",
        ASSIGNED,
        now,
        public_text=agency.name,
        note=note,
        data={**step, "agency": agency.code, "routing": reason},
    )
    return report


def transfer(
    session: Session,
    actor: audit.Actor,
    report: Report,
    agency_code: str,
    reason: str,
    *,
    at: datetime | None = None,
) -> Report:
    """Chuyển đơn vị khác: the report was sent to the wrong agency; the handling deadline
    restarts from the transfer."""
    _check("transfer", report)
    agency = _agency_by_code(session, agency_code)
    if agency.id == report.agency_id:
        raise FieldReportError(
            "Phản ánh đang ở chính đơn vị này",
            "The report is already with this agency",
            field="agency",
        )
    reason = _text(reason, "reason", "lý do chuyển")
    now = _now(at)
    previous = session.get(Agency, report.agency_id) if report.agency_id else None
    cal = load_calendar(session)
    report.agency_id = agency.id
    report.assigned_at = now
    report.due_at = _handle_due(cal, _category_of(session, report), report.track, now)
    report.stage_due_at = report.due_at
    _move(
        session,
        actor,
        report,
        "transfer",
        ASSIGNED,
        now,
        public_text=agency.name,
        note=reason,
        data={"agency": agency.code, "from_agency": previous.code if previous else None},
    )
    return report


def request_info(
    session: Session,
    actor: audit.Actor,
    report: Report,
    question: str,
    *,
    at: datetime | None = None,
) -> Report:
    """Yêu cầu bổ sung thông tin: ask the reporter a question (shown on the tracking page).

    The event records whether the request came within the ``info_days`` limit."""
    _check("request_info", report)
    question = _text(question, "question", "nội dung cần bổ sung")
    now = _now(at)
    cal = load_calendar(session)
    category = _category_of(session, report)
    late = report.info_request_due_at is not None and now > report.info_request_due_at
    report.info_return_status = report.status
    report.info_request_text = question
    report.stage_due_at = cal.add_working_days(now, category.reply_days)
    _move(
        session,
        actor,
        report,
        "request_info",
        INFO_REQUESTED,
        now,
        public_text=question,
        data={
            "due_at": report.info_request_due_at.isoformat()
            if report.info_request_due_at
            else None,
            "late": late,
        },
    )
    return report


def provide_info(
    session: Session,
    actor: audit.Actor,
    report: Report,
    text: str,
    *,
    photos: Sequence[bytes] = (),
    secret: str | None = None,
    at: datetime | None = None,
    pol: Policy | None = None,
) -> Report:
    """Bổ sung thông tin (by the reporter): back to the status the question was asked from;
    the handling deadline restarts, as for a complete report received now."""
    _check("provide_info", report)
    _check_reporter(report, actor, secret)
    text = _text(text, "text", "thông tin bổ sung")
    pol = pol or _policy
    existing = session.execute(
        select(func.count(Photo.id)).where(Photo.report_id == report.id)
    ).scalar_one()
    processed = _process_photos(photos, existing, pol)
    now = _now(at)
    cal = load_calendar(session)
    category = _category_of(session, report)
    back = report.info_return_status or RECEIVED
    report.info_return_status = None
    report.due_at = _handle_due(cal, category, report.track, now)
    report.stage_due_at = (
        _intake_due(cal, category, report.track, now) if back == RECEIVED else report.due_at
    )
    _attach_photos(session, report, processed, now, pol, "citizen")
    # The reporter's text may hold personal details: internal note, not public.
    _move(
        session,
        actor,
        report,
        "provide_info",
        back,
        now,
        note=text,
        data={"photos": len(processed)},
    )
    return report


def start_progress(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Bắt đầu xử lý: the agency acknowledges and starts work."""
    _check("start_progress", report)
    now = _now(at)
    _move(session, actor, report, "start_progress", IN_PROGRESS, now, note=note)
    return report


def answer(
    session: Session,
    actor: audit.Actor,
    report: Report,
    text: str,
    *,
    resolution: str = "fixed",
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Trả lời: the agency's answer (public once published) and its resolution; closes the
    report. Only resolution ``fixed`` marks the problem fixed."""
    _check("answer", report)
    text = _text(text, "text", "nội dung trả lời")
    if resolution not in RESOLUTIONS:
        raise FieldReportError(
            "Kết quả xử lý không hợp lệ", f"Invalid resolution {resolution}", field="resolution"
        )
    now = _now(at)
    step = _step(report, now)
    cal = load_calendar(session)
    report.public_answer = text
    report.answered_at = now
    report.resolution = resolution
    report.fixed = resolution == "fixed"
    report.closed = True
    report.closed_at = now
    report.stage_due_at = _publish_due(cal, _category_of(session, report), report.track, now)
    # Not public until published: the answer text reaches the public through `publish`.
    _move(
        session,
        actor,
        report,
        "answer",
        ANSWERED,
        now,
        public=False,
        note=note,
        data={**step, "resolution": resolution},
    )
    return report


def publish(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    text: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Công khai kết quả: make the answer public (``text`` replaces it, e.g. after editing
    out personal details)."""
    _check("publish", report)
    if text is not None:
        report.public_answer = _text(text, "text", "nội dung trả lời")
    now = _now(at)
    step = _step(report, now)
    report.published_at = now
    report.stage_due_at = None
    _move(
        session,
        actor,
        report,
        "publish",
        PUBLISHED,
        now,
        public_text=report.public_answer,
        data=step,
    )
    return report


def rate(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    satisfied: bool,
    really_fixed: bool,
    comment: str | None = None,
    secret: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Đánh giá (by the reporter): satisfied or not, and whether the problem was really fixed.

    A "not fixed" verdict is recorded next to the agency's ``fixed`` flag, never over it; the
    reporter may then :func:`reopen` the report."""
    _check("rate", report)
    _check_reporter(report, actor, secret)
    comment = _text(comment, "comment", "nhận xét", required=False) or None
    now = _now(at)
    report.rating_satisfied = bool(satisfied)
    report.rating_fixed = bool(really_fixed)
    report.rated_at = now
    _move(
        session,
        actor,
        report,
        "rate",
        RATED,
        now,
        note=comment,
        data={"satisfied": bool(satisfied), "really_fixed": bool(really_fixed)},
    )
    return report


def reopen(
    session: Session,
    actor: audit.Actor,
    report: Report,
    reason: str,
    *,
    secret: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Mở lại: the problem is back or the answer is not acceptable. Returns the report to its
    agency (``assigned``, new handling deadline) or, without an agency (a rejected report),
    to intake. The reporter reopens with the secret; staff with ``secret=None``."""
    _check("reopen", report)
    if secret is not None or is_citizen(actor):
        _check_reporter(report, actor, secret)
    reason = _text(reason, "reason", "lý do mở lại")
    by_reporter = secret is not None or is_citizen(actor)
    now = _now(at)
    cal = load_calendar(session)
    category = _category_of(session, report)
    report.closed = False
    report.closed_at = None
    report.resolution = None
    report.fixed = False
    report.rating_satisfied = None
    report.rating_fixed = None
    report.rated_at = None
    report.answered_at = None
    report.published_at = None
    report.reject_reason = None
    report.reopen_count += 1
    report.due_at = _handle_due(cal, category, report.track, now)
    if report.agency_id is not None:
        to = ASSIGNED
        report.stage_due_at = report.due_at
    else:
        to = RECEIVED
        report.stage_due_at = _intake_due(cal, category, report.track, now)
    _move(
        session,
        actor,
        report,
        "reopen",
        to,
        now,
        # The reporter's words may hold personal details: public only when staff reopen.
        public_text=None if by_reporter else reason,
        note=reason,
        data={"by": "reporter" if by_reporter else "staff", "count": report.reopen_count},
    )
    return report


def merge_duplicate(
    session: Session,
    actor: audit.Actor,
    report: Report,
    into: Report,
    *,
    note: str | None = None,
    at: datetime | None = None,
) -> Report:
    """Gộp phản ánh trùng: ``report`` is a duplicate of ``into``; it closes with a back-link
    and both timelines show the link. A chain is followed to its final report."""
    _check("merge_duplicate", report)
    target = into
    seen = {report.id}
    while target.merged_into_id is not None:
        if target.id in seen:
            break
        seen.add(target.id)
        nxt = session.get(Report, target.merged_into_id)
        if nxt is None:
            break
        target = nxt
    if target.id == report.id:
        raise FieldReportError(
            "Không thể gộp phản ánh vào chính nó",
            "A report cannot be merged into itself",
            field="into",
        )
    now = _now(at)
    report.merged_into_id = target.id
    report.closed = True
    report.closed_at = now
    report.resolution = "duplicate"
    report.fixed = False
    report.stage_due_at = None
    _move(
        session,
        actor,
        report,
        "merge_duplicate",
        MERGED,
        now,
        kind="merged",
        public_text=target.code,
        note=note,
        data={"into": target.code},
    )
    _event(
        session,
        target,
        "merged_from",
        actor,
        now,
        status_from=target.status,
        public=True,
        public_text=report.code,
        data={"duplicate": report.code},
    )
    target.updated_at = now
    session.flush()
    return report


# --- notes, moderation, photos ---------------------------------------------------------------


def add_note(
    session: Session, actor: audit.Actor, report: Report, text: str, *, at: datetime | None = None
) -> ReportEvent:
    """Ghi chú nội bộ: an internal note (staff only, never public)."""
    text = _text(text, "text", "ghi chú")
    now = _now(at)
    event = _event(
        session, report, "note", actor, now, status_from=report.status, public=False, note=text
    )
    report.updated_at = now
    session.flush()
    _audit(session, actor, "note", report)
    return event


def _moderation(
    session: Session,
    actor: audit.Actor,
    report: Report,
    action: str,
    now: datetime,
    *,
    reason: str = "",
    before: str | None = None,
    photo: Photo | None = None,
) -> None:
    session.add(
        ModerationEntry(
            report_id=report.id,
            photo_id=photo.id if photo else None,
            action=action,
            reason=reason,
            before=before,
            actor=actor.label,
            at=now,
        )
    )
    _event(
        session,
        report,
        action,
        actor,
        now,
        status_from=report.status,
        public=False,
        note=reason or None,
        data={"photo": photo.id} if photo else {},
    )
    report.updated_at = now
    session.flush()
    _audit(session, actor, action, report, reason=reason, photo=photo.id if photo else None)


def hide(
    session: Session, actor: audit.Actor, report: Report, reason: str, *, at: datetime | None = None
) -> Report:
    """Ẩn phản ánh (moderation): abusive or unlawful content disappears from public pages;
    the workflow goes on."""
    reason = _text(reason, "reason", "lý do ẩn")
    if report.hidden:
        raise FieldReportError("Phản ánh đã bị ẩn", "The report is already hidden")
    report.hidden = True
    report.hidden_reason = reason
    _moderation(session, actor, report, "hide", _now(at), reason=reason)
    return report


def unhide(
    session: Session,
    actor: audit.Actor,
    report: Report,
    reason: str = "",
    *,
    at: datetime | None = None,
) -> Report:
    """Bỏ ẩn phản ánh (moderation)."""
    if not report.hidden:
        raise FieldReportError("Phản ánh không bị ẩn", "The report is not hidden")
    report.hidden = False
    report.hidden_reason = None
    _moderation(session, actor, report, "unhide", _now(at), reason=(reason or "").strip())
    return report


def edit_text(
    session: Session,
    actor: audit.Actor,
    report: Report,
    *,
    description: str | None = None,
    address: str | None = None,
    reason: str,
    at: datetime | None = None,
) -> Report:
    """Biên tập nội dung (moderation): remove personal details or abuse from the public text;
    the previous text is kept in the moderation log for moderators."""
    reason = _text(reason, "reason", "lý do biên tập")
    before: dict[str, str] = {}
    if description is not None:
        before["description"] = report.description
        report.description = _text(description, "description", "nội dung phản ánh")
    if address is not None:
        before["address"] = report.address
        report.address = address.strip()[:500]
    if not before:
        raise FieldReportError("Không có nội dung để sửa", "Nothing to edit", field="description")
    _moderation(
        session,
        actor,
        report,
        "edit_text",
        _now(at),
        reason=reason,
        before=yaml.safe_dump(before, allow_unicode=True),
    )
    return report


def add_photo(
    session: Session,
    actor: audit.Actor,
    report: Report,
    data: bytes,
    *,
    source: str = "staff",
    at: datetime | None = None,
    pol: Policy | None = None,
) -> Photo:
    """Thêm ảnh (e.g. the agency's photo after the repair); checked like the citizen's."""
    pol = pol or _policy
    existing = session.execute(
        select(func.count(Photo.id)).where(Photo.report_id == report.id)
    ).scalar_one()
    processed = _process_photos([data], existing, pol)
    now = _now(at)
    (row,) = _attach_photos(session, report, processed, now, pol, source)
    _event(
        session,
        report,
        "photo_added",
        actor,
        now,
        status_from=report.status,
        public=False,
        data={"photo": row.id},
    )
    report.updated_at = now
    session.flush()
    _audit(session, actor, "photo_add", report, photo=row.id)
    return row


def publish_photo(
    session: Session,
    actor: audit.Actor,
    photo: Photo,
    published: bool = True,
    *,
    reason: str = "",
    at: datetime | None = None,
) -> Photo:
    """Duyệt ảnh (moderation): publish a photo (after redaction if needed) or withdraw it.
    Photos are never public before this."""
    report = session.get(Report, photo.report_id)
    assert report is not None
    now = _now(at)
    photo.published = bool(published)
    photo.moderated_at = now
    photo.moderated_by = actor.label
    _moderation(
        session,
        actor,
        report,
        "photo_publish" if published else "photo_withdraw",
        now,
        reason=reason,
        photo=photo,
    )
    return photo


def redact_photo(
    session: Session,
    actor: audit.Actor,
    photo: Photo,
    boxes: Sequence[tuple[int, int, int, int]],
    *,
    reason: str = "",
    at: datetime | None = None,
    pol: Policy | None = None,
) -> Photo:
    """Che ảnh (moderation): black boxes over faces, number plates, house numbers. The
    redacted image replaces the served one; the original stays for IOC staff only."""
    pol = pol or _policy
    report = session.get(Report, photo.report_id)
    assert report is not None
    try:
        current = photo_files.read(pol.data_dir, photo.path)
        result = photo_files.redact(current, boxes)
    except photo_files.PhotoError as exc:
        raise FieldReportError(str(exc), exc.en, field="boxes") from exc
    stored = photo_files.store(result, pol.data_dir)
    now = _now(at)
    photo.path = stored.path
    photo.sha256 = result.sha256
    photo.size_bytes = len(result.data)
    photo.redacted = True
    photo.moderated_at = now
    photo.moderated_by = actor.label
    _moderation(session, actor, report, "photo_redact", now, reason=reason, photo=photo)
    return photo


def with_policy(**changes: Any) -> Policy:
    """A copy of the current policy with some fields changed (for tests and tools)."""
    return replace(_policy, **changes)
