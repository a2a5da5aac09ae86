"""A read-only subset of the CKAN Action API (API version 3) over the catalogue's public
datasets, where CKAN clients and harvesters look for it: ``/api/3/action/<action>`` (and the
unversioned ``/api/action/<action>``), GET with query parameters or POST with a JSON body.

Actions: ``package_list``, ``package_show``, ``package_search`` (``q``, ``fq`` on
``organization``, ``tags``, ``res_format`` and ``name``, ``rows``, ``start``, ``sort``),
``organization_list`` (``all_fields``), ``organization_show`` (``include_datasets``),
``resource_show``, ``status_show``. Every answer has CKAN's envelope ``{help, success, result}``
or ``{help, success: false, error: {__type, message}}`` (404 Not Found Error, 409 Validation
Error / Search Query Error, 400 for an unknown action). Organizations are the owner agencies.
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ioc import __version__
from ioc.core import clock
from ioc.core.models import Agency
from ioc.core.registry import Registry
from ioc.packs.open_data import catalogue, downloads, licences
from ioc.web.deps import AppRegistry, DbSession, Public
from ioc.web.openapi_doc import ANY, INTEGER, TEXT, json_response, obj

router = APIRouter(tags=["open-data"])
ActionName = Annotated[str, Path(max_length=64, pattern=r"^[a-z_]+$")]
MAX_ROWS = 1000
FQ_FIELDS = ("organization", "owner_org", "tags", "res_format", "name")


class CkanError(Exception):
    """An action's failure, answered in CKAN's error envelope."""

    def __init__(self, status: int, kind: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.fields = fields


def _fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    ).lower()


def base_url(request: Request) -> str:
    """The public address of the IOC (``IOC_PUBLIC_URL``, else the request's)."""
    url = str(getattr(request.app.state.settings, "public_url", "") or "")
    return (url or str(request.base_url)).rstrip("/")


def _agencies(db: Session) -> dict[str, Agency]:
    return {a.code: a for a in db.execute(select(Agency)).scalars()}


def _org(agency: Agency | None, code: str, count: int) -> dict[str, Any]:
    title = agency.name if agency else code
    return {
        "id": code,
        "name": code,
        "title": title,
        "display_name": title,
        "description": agency.short_name if agency else "",
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
        "is_organization": True,
        "image_url": "",
        "created": "2025-07-01T00:00:00",
        "package_count": count,
    }


def public_entries(registry: Registry) -> list[catalogue.Entry]:
    """The datasets anyone may see and download."""
    return [e for e in catalogue.entries(registry) if e.spec.public]


def resources(entry: catalogue.Entry, base: str) -> list[dict[str, Any]]:
    """The download resources of a dataset (one per format)."""
    spec = entry.spec
    out = []
    for i, fmt in enumerate(downloads.formats_of(spec)):
        label, mime = downloads.FORMATS[fmt]
        out.append(
            {
                "id": f"{spec.code}-{fmt}",
                "package_id": spec.code,
                "name": f"{spec.title_vi} ({label})",
                "description": f"{spec.title_en} — {label}",
                "format": label,
                "mimetype": mime.split(";")[0],
                "url": f"{base}/open-data/{spec.code}.{fmt}",
                "url_type": None,
                "state": "active",
                "position": i,
                "license_id": spec.licence,
            }
        )
    return out


def package(
    entry: catalogue.Entry, db: Session, base: str, agencies: dict[str, Agency], now: datetime
) -> dict[str, Any]:
    """A dataset as a CKAN package dictionary."""
    spec = entry.spec
    figures = entry.figures(db, now)
    modified = (figures.latest or now).astimezone(clock.local_zone()).replace(tzinfo=None)
    res = resources(entry, base)
    start, end = catalogue.temporal(entry, db)
    quality = figures.as_dict()
    extras = {
        "frequency": spec.frequency,
        "spatial_text": spec.spatial_vi,
        "temporal_start": start.isoformat() if start else "",
        "temporal_end": end.isoformat() if end else "",
        "language": "vi",
        "quality_song": quality["song"],
        "quality_du": quality["du"],
        "quality_sach": quality["sach"],
        "quality_dung": quality["dung"],
        "quality_level": quality["level"],
    }
    return {
        "id": spec.code,
        "name": spec.code,
        "title": spec.title_vi,
        "notes": spec.description_vi,
        "type": "dataset",
        "state": "active",
        "private": False,
        "license_id": spec.licence,
        "license_title": licences.title(spec.licence),
        "license_url": licences.url(spec.licence),
        "owner_org": spec.owner_agency,
        "organization": _org(agencies.get(spec.owner_agency), spec.owner_agency, 0),
        "author": agencies[spec.owner_agency].name
        if spec.owner_agency in agencies
        else spec.owner_agency,
        "maintainer": agencies[spec.owner_agency].name
        if spec.owner_agency in agencies
        else spec.owner_agency,
        "url": f"{base}/open-data/{spec.code}",
        "version": None,
        "metadata_created": "2025-07-01T00:00:00",
        "metadata_modified": modified.isoformat(timespec="seconds"),
        "tags": [{"name": t, "display_name": t, "state": "active"} for t in spec.tags],
        "num_tags": len(spec.tags),
        "resources": res,
        "num_resources": len(res),
        "groups": [],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "extras": [{"key": k, "value": "" if v is None else str(v)} for k, v in extras.items()],
        "title_translated": {"vi": spec.title_vi, "en": spec.title_en},
        "notes_translated": {"vi": spec.description_vi, "en": spec.description_en},
    }


def _find(registry: Registry, ident: Any) -> catalogue.Entry:
    if not isinstance(ident, str) or not ident:
        raise CkanError(409, "Validation Error", "Missing value", id=["Missing value"])
    entry = next((e for e in public_entries(registry) if e.spec.code == ident), None)
    if entry is None:
        raise CkanError(404, "Not Found Error", "Not found")
    return entry


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise CkanError(
            409, "Validation Error", f"{name}: Invalid integer", **{name: ["Invalid integer"]}
        ) from None
    if value < low:
        raise CkanError(
            409,
            "Validation Error",
            f"{name}: Must be a natural number",
            **{name: ["Must be a natural number"]},
        )
    return min(value, high)


def _bool(params: dict[str, Any], name: str) -> bool:
    raw = params.get(name, False)
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in ("true", "1", "yes", "on")


_FQ_TERM = re.compile(r"^[+]?(?P<field>[a-z_]+):(?P<value>.+)$")


def _parse_fq(fq: str) -> list[tuple[str, str]]:
    try:
        parts = shlex.split(fq)
    except ValueError:
        raise CkanError(
            409, "Search Query Error", f"Search Query Error: cannot parse fq {fq!r}"
        ) from None
    terms = []
    for part in parts:
        if part.upper() == "AND":
            continue
        match = _FQ_TERM.match(part)
        if match is None or match["field"] not in FQ_FIELDS:
            raise CkanError(
                409,
                "Search Query Error",
                f"Search Query Error: fq supports {', '.join(FQ_FIELDS)}; not {part!r}",
            )
        terms.append((match["field"], match["value"].strip('"')))
    return terms


def _matches(entry: catalogue.Entry, terms: list[tuple[str, str]], words: list[str]) -> bool:
    spec = entry.spec
    for field, value in terms:
        if field in ("organization", "owner_org") and spec.owner_agency != value:
            return False
        if field == "tags" and value not in spec.tags:
            return False
        if field == "name" and spec.code != value:
            return False
        if field == "res_format" and value.lower() not in [
            downloads.FORMATS[f][0].lower() for f in downloads.formats_of(spec)
        ]:
            return False
    if words:
        text = _fold(
            " ".join(
                (
                    spec.code,
                    spec.title_vi,
                    spec.title_en,
                    spec.description_vi,
                    spec.description_en,
                    *spec.tags,
                )
            )
        )
        return all(w in text for w in words)
    return True


def _search(params: dict[str, Any], db: Session, registry: Registry, base: str) -> dict[str, Any]:
    q = str(params.get("q") or "").strip()
    fq = str(params.get("fq") or "").strip()
    rows = _int(params, "rows", 10, 0, MAX_ROWS)
    start = _int(params, "start", 0, 0, 10**9)
    sort = str(params.get("sort") or "score desc, metadata_modified desc")
    terms = _parse_fq(fq) if fq else []
    words: list[str] = []
    if q and q not in ("*:*", "*"):
        # "field:value" terms in q behave as filters, other words match the text.
        for token in q.split():
            m = _FQ_TERM.match(token)
            if m and m["field"] in FQ_FIELDS:
                terms.append((m["field"], m["value"].strip('"')))
            else:
                words.append(_fold(token))
    found = [e for e in public_entries(registry) if _matches(e, terms, words)]
    first = sort.split(",")[0].strip().split()
    key, desc = (
        (first[0], len(first) > 1 and first[1].lower() == "desc") if first else ("score", True)
    )
    if key in ("name", "title_string", "title"):
        found.sort(
            key=lambda e: _fold(e.spec.title_vi if key != "name" else e.spec.code), reverse=desc
        )
    agencies = _agencies(db)
    now = clock.now()
    page = found[start : start + rows]
    results = [package(e, db, base, agencies, now) for e in page]
    if key == "metadata_modified":
        results.sort(key=lambda p: p["metadata_modified"], reverse=desc)
    return {
        "count": len(found),
        "results": results,
        "sort": sort,
        "facets": {},
        "search_facets": {},
    }


def _organizations(
    registry: Registry, db: Session
) -> dict[str, tuple[Agency | None, list[catalogue.Entry]]]:
    agencies = _agencies(db)
    orgs: dict[str, tuple[Agency | None, list[catalogue.Entry]]] = {}
    for entry in public_entries(registry):
        code = entry.spec.owner_agency
        orgs.setdefault(code, (agencies.get(code), []))[1].append(entry)
    return dict(sorted(orgs.items()))


def run(action: str, params: dict[str, Any], db: Session, registry: Registry, base: str) -> Any:
    """The result of ``action`` with ``params`` (raises :class:`CkanError`)."""
    if action == "package_list":
        codes = sorted(e.spec.code for e in public_entries(registry))
        limit = (
            _int(params, "limit", len(codes) or 1, 0, 10**6) if "limit" in params else len(codes)
        )
        offset = _int(params, "offset", 0, 0, 10**9)
        return codes[offset : offset + limit]
    if action == "package_show":
        entry = _find(registry, params.get("id") or params.get("name_or_id"))
        return package(entry, db, base, _agencies(db), clock.now())
    if action == "package_search":
        return _search(params, db, registry, base)
    if action == "organization_list":
        orgs = _organizations(registry, db)
        if _bool(params, "all_fields"):
            return [_org(a, code, len(es)) for code, (a, es) in orgs.items()]
        return list(orgs)
    if action == "organization_show":
        ident = params.get("id")
        if not isinstance(ident, str) or not ident:
            raise CkanError(409, "Validation Error", "Missing value", id=["Missing value"])
        orgs = _organizations(registry, db)
        if ident not in orgs:
            raise CkanError(404, "Not Found Error", "Not found")
        agency, es = orgs[ident]
        result = _org(agency, ident, len(es))
        if _bool(params, "include_datasets"):
            agencies = _agencies(db)
            now = clock.now()
            result["packages"] = [package(e, db, base, agencies, now) for e in es]
        return result
    if action == "resource_show":
        ident = params.get("id")
        if not isinstance(ident, str) or not ident:
            raise CkanError(409, "Validation Error", "Missing value", id=["Missing value"])
        for entry in public_entries(registry):
            for res in resources(entry, base):
                if res["id"] == ident:
                    return res
        raise CkanError(404, "Not Found Error", "Not found")
    if action == "status_show":
        return {
            "site_title": "IOC Đắk Lắk — dữ liệu mở",
            "site_url": base,
            "site_description": "Danh mục dữ liệu của Trung tâm IOC tỉnh Đắk Lắk",
            "ckan_version": "2.10.0",
            "ioc_version": __version__,
            "locale_default": "vi",
            "extensions": [],
        }
    raise CkanError(400, "Bad Request", f"Bad request - Action name not known: {action}")


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if body:
            kind = request.headers.get("content-type", "")
            if "form" in kind:
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                try:
                    data = json.loads(body)
                except ValueError:
                    raise CkanError(
                        400, "Bad Request", "Bad request - JSON Error: could not read the body"
                    ) from None
                if not isinstance(data, dict):
                    raise CkanError(
                        400, "Bad Request", "Bad request - JSON Error: the body must be an object"
                    )
                params.update(data)
    return params


async def _answer(action: str, request: Request, db: Session, registry: Registry) -> JSONResponse:
    base = base_url(request)
    help_url = f"{base}/api/3/action/help_show?name={action}"
    try:
        params = await _params(request)
        result = await run_in_threadpool(run, action, params, db, registry, base)
    except CkanError as err:
        error: dict[str, Any] = {"__type": err.kind, "message": err.message}
        error.update(err.fields)
        return JSONResponse(
            {"help": help_url, "success": False, "error": error}, status_code=err.status
        )
    return JSONResponse({"help": help_url, "success": True, "result": result})


# For the OpenAPI document (ioc.web.openapi_doc): the parameters a POST may carry (texts, whole
# numbers, true/false), the envelope.
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_CKAN_PARAMS = obj(
    **dict.fromkeys(("id", "q", "fq", "sort"), TEXT),
    **dict.fromkeys(("rows", "start"), INTEGER),
    **dict.fromkeys(("all_fields", "include_datasets"), _BOOLEAN),
)
_CKAN_DOC: dict[str, Any] = {
    "responses": {
        200: json_response(
            obj("help", "success", "result", help=TEXT, success={"const": True}, result=ANY),
            "CKAN envelope {help, success, result}",
        ),
        **{
            status: json_response(
                obj(
                    "help",
                    "success",
                    "error",
                    help=TEXT,
                    success={"const": False},
                    error=obj("__type", "message", __type=TEXT, message=TEXT),
                ),
                "CKAN error envelope {help, success: false, error: {__type, message}}",
            )
            for status in (400, 404, 409)
        },
    }
}


@router.get("/api/3/action/{action}", summary="CKAN Action API (read-only subset)", **_CKAN_DOC)
@router.post(
    "/api/3/action/{action}",
    summary="CKAN Action API (read-only subset)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": _CKAN_PARAMS},
                "application/x-www-form-urlencoded": {"schema": _CKAN_PARAMS},
            },
        }
    },
    **_CKAN_DOC,
)
async def ckan_action(
    action: ActionName, request: Request, db: DbSession, registry: AppRegistry, _p: Public
) -> JSONResponse:
    """A CKAN action over the public datasets (see the module docstring)."""
    return await _answer(action, request, db, registry)


@router.get("/api/action/{action}", include_in_schema=False)
@router.post("/api/action/{action}", include_in_schema=False)
async def ckan_action_unversioned(
    action: ActionName, request: Request, db: DbSession, registry: AppRegistry, _p: Public
) -> JSONResponse:
    """The same actions at CKAN's unversioned path (ckanapi's default)."""
    return await _answer(action, request, db, registry)
