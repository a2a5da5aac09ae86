"""Every change of a submitted value (``/submissions/history``): who, what, when; as a page
or an XLSX/CSV download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.engines.exports import Table
from ioc.engines.submissions.catalog import (
    AreaBook,
    Catalog,
)
from ioc.engines.submissions.models import SubSubmission
from ioc.engines.submissions.values import history_of
from ioc.web.deps import (
    Principal,
)
from ioc.web.pagekit import ViewerCall, query_fields
from ioc.web.submissions.common import (
    download,
    own_agency,
    page_context,
    sees_all,
    translator,
    value_text,
)
from ioc.web.templating import render

router = APIRouter(include_in_schema=False)


def _history_rows(
    db: Session,
    catalog: Catalog,
    principal: Principal,
    lang: str,
    indicator: str | None,
    area: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    indicators = catalog.indicator_rows(db)
    ids = None
    if indicator:
        ids = [indicators[indicator].id] if indicator in indicators else []
    own = None if sees_all(principal) else own_agency(db, principal)
    if own is not None:
        # Agency staff see the history of what their agency submits.
        owned = {s.code for s in catalog.owned_by(own)}
        allowed = [indicators[c].id for c in owned if c in indicators]
        ids = allowed if ids is None else [i for i in ids if i in allowed]
    elif not sees_all(principal):
        ids = []
    book = AreaBook.load(db)
    by_id = {i.id: i for i in indicators.values()}
    subs = {}
    out = []
    for h in history_of(db, indicator_ids=ids, area_code=area or None, limit=limit):
        ind = by_id.get(h.indicator_id)
        if h.submission_id is not None and h.submission_id not in subs:
            subs[h.submission_id] = db.get(SubSubmission, h.submission_id)
        sub = subs.get(h.submission_id) if h.submission_id is not None else None
        out.append(
            {
                "at": h.changed_at,
                "by": h.changed_by,
                "code": ind.code if ind else "",
                "name": (ind.name_vi if lang == "vi" else ind.name_en) if ind else "",
                "unit": ind.unit if ind else "",
                "area": book.by_code[h.area_code].name
                if h.area_code in book.by_code
                else h.area_code,
                "period": h.period,
                "old": h.old_value,
                "new": h.new_value,
                "submission_id": h.submission_id,
                "agency": sub.agency_code if sub else "",
            }
        )
    return out


# The columns of the download: the heading (``sub.col.<name>``) and the key of the row.
HISTORY_COLUMNS = (
    ("changed_at", "at"),
    ("changed_by", "by"),
    ("code", "code"),
    ("indicator", "name"),
    ("area", "area"),
    ("period", "period"),
    ("old", "old"),
    ("new", "new"),
    ("submission", "submission_id"),
)


@router.get("/submissions/history", response_class=HTMLResponse)
def history_page(
    call: ViewerCall,
    query: Annotated[dict[str, str], Depends(query_fields(indicator=64, area=16))],
    format: Annotated[str | None, Query(pattern="^(xlsx|csv)$")] = None,
) -> Response:
    """Lịch sử thay đổi số liệu: old and new value, who, when, from which submission."""
    request, db, principal = call
    indicator, area = query["indicator"], query["area"]
    catalog, lang, _offset = page_context(request)
    rows = _history_rows(db, catalog, principal, lang, indicator, area, 2000 if format else 300)
    if format:
        t = translator(lang)
        table = Table(
            title=t("sub.history.title"),
            header=[t(f"sub.col.{heading}") for heading, _key in HISTORY_COLUMNS],
        )
        for r in rows:
            table.rows.append([r[key] for _heading, key in HISTORY_COLUMNS])
        return download(table, format, "lich-su-so-lieu")
    for r in rows:
        r["old_text"] = value_text(r["old"], lang)
        r["new_text"] = value_text(r["new"], lang)
    return render(
        request,
        "submissions/history.html",
        {
            "rows": rows,
            "indicator": indicator or "",
            "area": area or "",
            "indicators": sorted(catalog.specs.values(), key=lambda s: s.code),
        },
        principal=principal,
    )
