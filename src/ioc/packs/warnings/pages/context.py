"""What the pages of the public warnings pack share: form field types, the warning form
page and its content fields, small conversions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ioc.core import i18n
from ioc.core.communes import communes
from ioc.packs.warnings import service
from ioc.packs.warnings.hazards import CERTAINTIES, HAZARDS, SEVERITIES, SEVERITY_COLORS, URGENCIES
from ioc.packs.warnings.models import WrWarning
from ioc.web import csrf
from ioc.web.deps import Principal, forbid, request_language
from ioc.web.pagekit import Posted, form_fields
from ioc.web.templating import render

Short = Annotated[str, Form(max_length=40)]
Headline = Annotated[str, Form(max_length=service.MAX_HEADLINE + 1)]
Long = Annotated[str, Form(max_length=service.MAX_TEXT + 1)]
Token = Annotated[str, Form(max_length=200)]
WarningId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CAP_TYPE = "application/cap+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def public_base(request: Request) -> str:
    """The public address of the site, without a trailing slash (links in feeds and mails)."""
    url: str = request.app.state.settings.public_url
    return url.rstrip("/")


def script_json(value: Any) -> str:
    """``value`` as JSON safe to put inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def local_input(value: Any) -> str:
    """A datetime as a ``datetime-local`` field value in province time."""
    if isinstance(value, datetime):
        return i18n.to_local(value).strftime("%Y-%m-%dT%H:%M")
    return str(value or "")


def form_choices(lang: str) -> dict[str, Any]:
    """The choices of the form's selects (hazards, severities …), translated."""

    def t(key: str) -> str:
        return i18n.translate(key, lang)

    return {
        "hazards": [(h.key, t(f"wr.hazard.{h.key}")) for h in HAZARDS],
        "severities": [(v, t(f"wr.severity.{v}")) for v in SEVERITIES],
        "urgencies": [(v, t(f"wr.urgency.{v}")) for v in URGENCIES],
        "certainties": [(v, t(f"wr.certainty.{v}")) for v in CERTAINTIES],
        "colors": SEVERITY_COLORS,
    }


def get_warning(db: Session, warning_id: int) -> WrWarning:
    """The warning, or 404."""
    warning = db.get(WrWarning, warning_id)
    if warning is None:
        raise HTTPException(404, "Không có cảnh báo này / no such warning")
    return warning


def form_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    values: dict[str, Any],
    action: str,
    warning: WrWarning | None = None,
    errors: dict[str, str] | None = None,
    source: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The warning form (new draft or edit), with ``errors`` when a save was refused."""
    lang = request_language(request)
    shown = dict(values)
    shown["effective_at"] = local_input(values.get("effective_at"))
    shown["expires_at"] = local_input(values.get("expires_at"))
    all_communes = communes(db)
    return render(
        request,
        "warnings/form.html",
        {
            **form_choices(lang),
            "values": shown,
            "selected": set(values.get("areas") or []),
            "communes": all_communes,
            "action": action,
            "warning": warning,
            "errors": errors or {},
            "source": source or {},
            "map_json": script_json(
                {
                    "selected": list(values.get("areas") or []),
                    "tileUrl": request.app.state.settings.map_tile_url,
                    "tileAttribution": request.app.state.settings.map_tile_attribution,
                }
            ),
        },
        principal=principal,
        status_code=status_code,
    )


# The text fields of the warning form (draft and edit), by their greatest length.
CONTENT_TEXTS = {
    **dict.fromkeys(("hazard", "severity", "urgency", "certainty"), 40),
    **dict.fromkeys(("headline_vi", "headline_en"), service.MAX_HEADLINE + 1),
    **dict.fromkeys(
        ("description_vi", "description_en", "instruction_vi", "instruction_en"),
        service.MAX_TEXT + 1,
    ),
    **dict.fromkeys(("effective_at", "expires_at"), 40),
}
_read_content = form_fields(csrf_token=200, **CONTENT_TEXTS)


async def content_form(
    request: Request,
    areas: Annotated[list[str], Form(max_length=120)] = [],  # noqa: B006 - FastAPI default
) -> dict[str, Any]:
    """The content fields of the warning form (draft and edit), as form values."""
    posted = await _read_content(request)
    return {**posted.entered, "areas": areas}


# Where a draft comes from (an alert, an incident or by hand) and the form's CSRF token.
SourceForm = Annotated[Posted, Depends(form_fields(csrf_token=200, source_kind=(40, "manual")))]
SourceId = Annotated[int | None, Form(ge=1, le=2**31 - 1)]


# The warning's content as posted by the form (read once for the draft and edit routes).
ContentForm = Annotated[dict[str, Any], Depends(content_form)]


@contextmanager
def refusals(db: Session, principal: Principal, door: str, **detail: object) -> Iterator[None]:
    """Answer an action refused to the caller with 403 (keeping its audit row, see
    ``forbid``) and an action the warning's state does not allow with 409."""
    try:
        yield
    except service.Refused as exc:
        raise forbid(db, principal, door, exc, **detail) from exc
    except service.WarningConflict as exc:
        raise HTTPException(409, str(exc)) from exc


def check_csrf(request: Request, token: str) -> None:
    """400 unless ``token`` is the form's CSRF token."""
    if not csrf.valid(request, token):
        raise HTTPException(400, i18n.translate("error.csrf", request_language(request)))
