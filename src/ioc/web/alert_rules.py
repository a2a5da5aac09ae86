"""Quy tắc cảnh báo and lượt chạy tác vụ: alert rules (list, create, edit, enable/disable,
delete, import/export YAML) and the scheduler's job runs.

Everyone with ``view`` sees the rules and their health; only administrators change them.
Every change goes through the actions of :mod:`ioc.engines.alerting.rules` (audited).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import yaml
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ioc.core.models import Indicator
from ioc.engines.alerting import rules as rule_actions
from ioc.engines.alerting.models import (
    ALERTING,
    INSTANCE_STATES,
    SEVERITIES,
    AlertInstance,
    AlertRule,
    SopTemplate,
)
from ioc.engines.alerting.state import ERROR_CHOICES, NODATA_CHOICES
from ioc.engines.jobs.models import JobRun
from ioc.engines.jobs.scheduler import holder_of
from ioc.web import csrf
from ioc.web.deps import Admin, AppRegistry, DbSession, Operations, Principal
from ioc.web.pagekit import AdminCall, Call, OperationsCall, page, query_fields
from ioc.web.templating import render

T = TypeVar("T")

# Rules and job runs are the IOC's own operation (``Operations``): not for agency staff (403).
router = APIRouter()

FORM_FIELDS = (
    "uid",
    "title",
    "kind",
    "severity",
    "interval_s",
    "pending_s",
    "keep_firing_s",
    "nodata_state",
    "error_state",
    "sop_key",
    "query",
    "params",
    "labels",
    "summary_vi",
    "summary_en",
)


def _rule(db: Session, rule_id: int) -> AlertRule:
    rule = db.get(AlertRule, rule_id)
    if rule is None:
        raise HTTPException(404, "Không tìm thấy quy tắc")
    return rule


def _counts(db: Session) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    rows = db.execute(
        select(AlertInstance.rule_id, AlertInstance.state, func.count()).group_by(
            AlertInstance.rule_id, AlertInstance.state
        )
    )
    for rule_id, state, n in rows:
        out.setdefault(rule_id, {})[state] = n
    return out


def _filtered(
    db: Session, stmt: Select[T], column: InstrumentedAttribute[str], value: str
) -> tuple[list[T], list[str]]:
    """The rows of ``stmt`` whose ``column`` is ``value`` (every row when it is empty), and
    the values ``column`` takes (the filter's choices)."""
    if value:
        stmt = stmt.where(column == value)
    rows = list(db.execute(stmt).scalars())
    return rows, sorted(set(db.execute(select(column).distinct()).scalars()))


@router.get("/alerts/rules", response_class=HTMLResponse, include_in_schema=False)
def rules_page(
    call: OperationsCall,
    registry: AppRegistry,
    query: Annotated[dict[str, str], Depends(query_fields(pack=64, done=32))],
) -> Response:
    """The list of rules with their health and how many instances fire."""
    request, db, principal = call
    pack, done = query["pack"], query["done"]
    stmt = select(AlertRule).order_by(AlertRule.pack, AlertRule.uid)
    rules, packs = _filtered(db, stmt, AlertRule.pack, pack)
    return render(
        request,
        "alert_rules/list.html",
        {
            "rules": rules,
            "counts": _counts(db),
            "packs": packs,
            "pack": pack,
            "done": done,
            "firing": ALERTING,
            "states": INSTANCE_STATES,
            "pack_keys": {p.name: p.title_key for p in registry.packs},
        },
        principal=principal,
    )


def _form_values(rule: AlertRule | None) -> dict[str, Any]:
    if rule is None:
        return {
            "uid": "",
            "title": "",
            "kind": "threshold",
            "severity": "warning",
            "interval_s": 60,
            "pending_s": 0,
            "keep_firing_s": 0,
            "nodata_state": "nodata",
            "error_state": "error",
            "sop_key": "",
            "query": "indicator: pm25\n",
            "params": 'op: ">"\nthreshold: 50\n',
            "labels": "",
            "summary_vi": "",
            "summary_en": "",
        }
    summary = (rule.annotations or {}).get("summary") or {}
    return {
        "uid": rule.uid,
        "title": rule.title,
        "kind": rule.kind,
        "severity": rule.severity,
        "interval_s": rule.interval_s,
        "pending_s": rule.pending_s,
        "keep_firing_s": rule.keep_firing_s,
        "nodata_state": rule.nodata_state,
        "error_state": rule.error_state,
        "sop_key": rule.sop_key or "",
        "query": _yaml(rule.query),
        "params": _yaml(rule.params),
        "labels": _yaml(rule.labels),
        "summary_vi": summary.get("vi", "") if isinstance(summary, dict) else str(summary),
        "summary_en": summary.get("en", "") if isinstance(summary, dict) else "",
    }


def _yaml(value: dict[str, Any]) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False) if value else ""


def _form_page(
    request: Request,
    db: Session,
    principal: Principal,
    rule: AlertRule | None,
    values: dict[str, Any],
    errors: list[str],
    status_code: int = 200,
) -> Response:
    """The form of ``rule`` (None: a new rule) filled with ``values``, with the ``errors``
    that refused it, and the choices it offers."""
    indicators = list(
        db.execute(select(Indicator.code, Indicator.name_vi).order_by(Indicator.code))
    )
    sops = list(db.execute(select(SopTemplate.key, SopTemplate.title).order_by(SopTemplate.key)))
    choices = {
        "kinds": rule_actions.KINDS,
        "severities": SEVERITIES,
        "nodata_choices": NODATA_CHOICES,
        "error_choices": ERROR_CHOICES,
        "indicators": indicators,
        "sops": sops,
    }
    context = {"rule": rule, "v": values, "errors": errors, **choices}
    return render(
        request, "alert_rules/form.html", context, principal=principal, status_code=status_code
    )


@router.get("/alerts/rules/new", response_class=HTMLResponse, include_in_schema=False)
def new_rule_page(request: Request, db: DbSession, principal: Admin) -> Response:
    """Form for a new rule."""
    return _form_page(request, db, principal, None, _form_values(None), [])


@router.get("/alerts/rules/{rule_id:int}", response_class=HTMLResponse, include_in_schema=False)
def edit_rule_page(call: OperationsCall, rule_id: int) -> Response:
    """A rule's definition (editable by administrators)."""
    rule = _rule(call.db, rule_id)
    return _form_page(*call, rule, _form_values(rule), [])


def _parse_mapping(text: str, field: str, errors: list[str]) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        errors.append(f"{field}: YAML không đọc được (unreadable): {str(exc).splitlines()[0]}")
        return {}
    if not isinstance(value, dict):
        errors.append(f"{field}: cần dạng 'khóa: giá trị' (a mapping)")
        return {}
    return value


def _int(text: str, field: str, errors: list[str]) -> int | str:
    try:
        return int(text)
    except ValueError:
        errors.append(f"{field}: phải là số nguyên (must be an integer), nhận {text!r}")
        return text


@router.post("/alerts/rules/save", include_in_schema=False)
async def save_rule(request: Request, db: DbSession, principal: Admin) -> Response:
    """Create or update a rule from the form; errors are shown on the form, field by field."""
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in FORM_FIELDS}
    rule_id = str(form.get("rule_id", ""))
    rule = _rule(db, int(rule_id)) if rule_id.isdigit() else None
    if not csrf.valid(request, str(form.get("csrf_token", ""))):
        return _form_page(request, db, principal, rule, values, [csrf_message()], 400)
    errors: list[str] = []
    annotations: dict[str, Any] = dict(rule.annotations) if rule else {}
    summary = {"vi": values["summary_vi"].strip()}
    if values["summary_en"].strip():
        summary["en"] = values["summary_en"].strip()
    if summary["vi"]:
        annotations["summary"] = summary
    else:
        annotations.pop("summary", None)
    raw: dict[str, Any] = {
        "uid": rule.uid if rule else values["uid"].strip(),
        "title": values["title"],
        "kind": values["kind"],
        "severity": values["severity"],
        "interval_s": _int(values["interval_s"], "interval_s", errors),
        "pending_s": _int(values["pending_s"], "pending_s", errors),
        "keep_firing_s": _int(values["keep_firing_s"], "keep_firing_s", errors),
        "nodata_state": values["nodata_state"],
        "error_state": values["error_state"],
        "sop_key": values["sop_key"] or None,
        "query": _parse_mapping(values["query"], "query", errors),
        "params": _parse_mapping(values["params"], "params", errors),
        "labels": _parse_mapping(values["labels"], "labels", errors),
        "annotations": annotations,
        "enabled": rule.enabled if rule else True,
    }
    if rule:
        raw["pack"] = rule.pack
    spec: dict[str, Any] | None = None
    try:
        spec = rule_actions.validate(raw)
    except rule_actions.RuleError as exc:
        errors.extend(exc.errors)
    if rule is None and not errors:
        exists = db.execute(select(AlertRule.id).where(AlertRule.uid == raw["uid"])).first()
        if exists:
            errors.append(f"uid: đã có quy tắc {raw['uid']} (already exists)")
    if errors or spec is None:
        return _form_page(request, db, principal, rule, values, errors, 422)
    if rule is None:
        rule = rule_actions.create_rule(db, principal.actor, spec, source="ui")
        done = "created"
    else:
        rule_actions.update_rule(db, principal.actor, rule, spec, source="ui")
        done = "saved"
    db.commit()
    return RedirectResponse(f"/alerts/rules?done={done}", status_code=303)


def csrf_message() -> str:
    """The error shown when a form's CSRF token is missing or stale."""
    return "Phiên biểu mẫu đã hết hạn, vui lòng thử lại (form expired, please retry)."


# The CSRF field of the rule forms (no length limit: a long token is refused as stale).
_Token = Annotated[str, Form()]


def _rule_form(
    call: Call, rule_id: int, csrf_token: str, change: Callable[[AlertRule], str]
) -> Response:
    """A form on one rule: after the CSRF check, ``change`` it, commit, and go back to the list
    with the ``done`` notice ``change`` answers."""
    if not csrf.valid(call.request, csrf_token):
        return RedirectResponse("/alerts/rules?done=csrf", status_code=303)
    done = change(_rule(call.db, rule_id))
    call.db.commit()
    return RedirectResponse(f"/alerts/rules?done={done}", status_code=303)


@router.post("/alerts/rules/{rule_id:int}/toggle", include_in_schema=False)
def toggle_rule(rule_id: int, call: AdminCall, csrf_token: _Token = "") -> Response:
    """Bật/tắt a rule."""

    def toggle(rule: AlertRule) -> str:
        rule_actions.set_enabled(call.db, call.principal.actor, rule, not rule.enabled)
        return "enabled" if rule.enabled else "disabled"

    return _rule_form(call, rule_id, csrf_token, toggle)


@router.post("/alerts/rules/{rule_id:int}/delete", include_in_schema=False)
def delete_rule(rule_id: int, call: AdminCall, csrf_token: _Token = "") -> Response:
    """Xóa a rule (its alerts stay in the history)."""

    def delete(rule: AlertRule) -> str:
        rule_actions.delete_rule(call.db, call.principal.actor, rule)
        return "deleted"

    return _rule_form(call, rule_id, csrf_token, delete)


@router.post("/alerts/rules/import", include_in_schema=False)
def import_rules(
    request: Request,
    db: DbSession,
    principal: Admin,
    text: Annotated[str, Form(max_length=500_000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Load a rule file pasted by an administrator (all or nothing)."""
    if not csrf.valid(request, csrf_token):
        return RedirectResponse("/alerts/rules?done=csrf", status_code=303)
    try:
        result = rule_actions.load_text(db, text, principal.actor, source="ui", force=True)
    except rule_actions.RuleError as exc:
        db.rollback()
        rules = list(
            db.execute(select(AlertRule).order_by(AlertRule.pack, AlertRule.uid)).scalars()
        )
        return render(
            request,
            "alert_rules/list.html",
            {
                "rules": rules,
                "counts": _counts(db),
                "packs": sorted({r.pack for r in rules}),
                "pack": "",
                "done": "",
                "import_errors": exc.errors,
                "import_text": text,
                "firing": ALERTING,
                "states": INSTANCE_STATES,
                "pack_keys": {},
            },
            principal=principal,
            status_code=422,
        )
    db.commit()
    changed = len(result.created) + len(result.updated)
    return RedirectResponse(f"/alerts/rules?done=imported&n={changed}", status_code=303)


@router.get("/alerts/rules.yaml", include_in_schema=False)
def export_rules(db: DbSession, principal: Operations) -> Response:
    """Every rule and SOP as one YAML file (to keep under version control)."""
    rules = list(db.execute(select(AlertRule).order_by(AlertRule.pack, AlertRule.uid)).scalars())
    sops = list(db.execute(select(SopTemplate).order_by(SopTemplate.key)).scalars())
    return PlainTextResponse(
        rule_actions.dump_yaml(rules, sops),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ioc-alert-rules.yaml"'},
    )


@router.get("/admin/jobs", response_class=HTMLResponse, include_in_schema=False)
def jobs_page(call: OperationsCall, job: Annotated[str, Query(max_length=64)] = "") -> Response:
    """Tác vụ định kỳ: who runs the scheduler and the latest job runs."""
    stmt = select(JobRun).order_by(JobRun.id.desc()).limit(200)
    runs, names = _filtered(call.db, stmt, JobRun.job, job)
    context = {"runs": runs, "names": names, "job": job, "lease": holder_of(call.db)}
    return page(call, "alert_rules/jobs.html", context)
