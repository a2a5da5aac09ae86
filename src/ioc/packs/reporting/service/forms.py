"""A submission's content: pre-filled from the indicators, read from the form, checked for
emptiness."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Indicator, Series
from ioc.packs.reporting.models import Campaign
from ioc.packs.reporting.service.rules import ReportingError, sections


def _subject(spec: str, agency_code: str) -> tuple[str, str]:
    if spec == "agency":
        return "agency", agency_code
    kind, _, code = spec.partition(":")
    return kind, code


def prefill(session: Session, campaign: Campaign, agency_code: str) -> dict[str, Any]:
    """Content with indicator rows filled from the series store's latest values, where the
    template names an indicator the IOC has data for."""
    out: dict[str, Any] = {}
    for s in sections(campaign):
        if s["kind"] != "indicators":
            continue
        rows = []
        for row in s["rows"]:
            value: float | None = None
            if row.get("indicator"):
                kind, code = _subject(str(row.get("subject", "area:66")), agency_code)
                value = session.execute(
                    select(Series.latest_value)
                    .join(Indicator, Indicator.id == Series.indicator_id)
                    .where(
                        Indicator.code == row["indicator"],
                        Series.subject_kind == kind,
                        Series.subject_code == code,
                    )
                ).scalar_one_or_none()
            rows.append(
                {
                    "code": row["code"],
                    "value": None if value is None else round(float(value), 2),
                    "note": "Số liệu IOC" if value is not None else "",
                }
            )
        out[s["key"]] = {"rows": rows}
    return out


# -------------------------------------------------------------------------- form parsing


def parse_number(raw: str) -> float | None:
    """A number typed the Vietnamese way (1.234,5) or the plain way (1234.5); empty -> None."""
    text = raw.strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")  # 1.234.567: thousands separators
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return value


def parse_form(campaign: Campaign, form: dict[str, str]) -> dict[str, Any]:
    """Build submission content from form fields ``s.<section>.text`` and
    ``s.<section>.<row>.<column>``; errors name the section, row and column."""
    out: dict[str, Any] = {}
    for s in sections(campaign):
        key = s["key"]
        if s["kind"] == "text":
            out[key] = {"text": form.get(f"s.{key}.text", "").strip()[:20000]}
            continue
        fixed = s.get("rows")
        count = len(fixed) if fixed else int(form.get(f"s.{key}.count", "0") or 0)
        rows: list[dict[str, Any]] = []
        for i in range(min(count, 200)):
            row: dict[str, Any] = {"code": fixed[i]["code"]} if fixed else {}
            for col in s["columns"]:
                raw = form.get(f"s.{key}.{i}.{col['key']}", "")
                if col["type"] == "text":
                    row[col["key"]] = raw.strip()[:2000]
                    continue
                try:
                    value = parse_number(raw)
                except ValueError:
                    raise ReportingError(
                        f"Mục «{s['title_vi']}», dòng {i + 1}, cột «{col['title_vi']}»: "
                        f"«{raw}» không phải là số.",
                        f"Section '{s.get('title_en', key)}', row {i + 1}, column "
                        f"'{col.get('title_en', col['key'])}': '{raw}' is not a number.",
                        f"s.{key}.{i}.{col['key']}",
                    ) from None
                if col["type"] == "percent" and value is not None and not 0 <= value <= 100:
                    raise ReportingError(
                        f"Mục «{s['title_vi']}», dòng {i + 1}, cột «{col['title_vi']}»: "
                        "tỷ lệ phải từ 0 đến 100.",
                        f"Section '{key}', row {i + 1}: a percentage must be 0-100.",
                        f"s.{key}.{i}.{col['key']}",
                    )
                row[col["key"]] = value
            if fixed or any(v not in (None, "") for v in row.values()):
                rows.append(row)
        out[key] = {"rows": rows}
    return out


def is_empty(data: dict[str, Any]) -> bool:
    """True when no section has any text or value."""
    for part in data.values():
        if part.get("text"):
            return False
        for row in part.get("rows", []):
            if any(v not in (None, "") for k, v in row.items() if k != "code"):
                return False
    return True
