"""Categories (deadlines, urgency, default agency) and answer templates."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, clock, yaml_text
from ioc.core.models import Agency
from ioc.packs.field_reports.errors import FieldReportError
from ioc.packs.field_reports.models import Category, Report, ResponseTemplate
from ioc.packs.field_reports.service.states import STATUSES
from ioc.packs.field_reports.service.steps import agency_by_code, category_of, clean_text

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
    raw = yaml_text.load(
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
            agency_by_code(session, value)
        setattr(category, key, value)
    audit.record_edit(
        session, actor, category, "fr.category.update", "fr_category", code, **changes
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
    code = clean_text(code, "code", "mã mẫu")
    title = clean_text(title, "title", "tiêu đề")
    text = clean_text(text, "text", "nội dung")
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
        category=category_of(session, report).name_vi,
        agency=agency.name if agency else "",
        address=report.address,
        received=format_datetime(report.received_at, "vi"),
        due=format_datetime(report.due_at, "vi") if report.due_at else "",
    )
    return template.text.format_map(values)
