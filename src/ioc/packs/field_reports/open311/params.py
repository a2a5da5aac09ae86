"""The request parameters of the Open311 API: format, jurisdiction, language, dates, paging,
and the refusals (``Open311Error``) the handlers turn into Open311 error lists."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ioc.core import clock, i18n
from ioc.engines.actions_kit import check_accepted
from ioc.packs.field_reports.open311.formats import FORMATS, error_response

JURISDICTION_ID = "daklak.gov.vn"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_DAYS = 90
MAX_RESULTS = 1000
MAX_PAGE = 1_000_000
ANONYMOUS_NAME = "Người dùng ứng dụng (Open311)"
AREA_CODE = "area_code"
AREA_FIELD = f"attribute[{AREA_CODE}]"
MAX_URL = 1000
CONTACT = "Trung tâm Giám sát, điều hành đô thị thông minh (IOC) tỉnh Đắk Lắk — đường dây nóng 1022"
KEY_SERVICE = (
    "Liên hệ quản trị viên IOC để được cấp mã truy cập API (phạm vi ingest) / "
    "ask the IOC administrator for an API token with the ingest scope"
)


class Open311Error(Exception):
    """A refused Open311 call: HTTP status and bilingual messages."""

    def __init__(self, status_code: int, *messages: str) -> None:
        super().__init__(messages[0] if messages else "")
        self.status_code = status_code
        self.messages = messages


def not_found(what_vi: str, what_en: str, value: str) -> Open311Error:
    return Open311Error(404, f"Không tìm thấy {what_vi} “{value}” / unknown {what_en} {value}")


def bad(field: str, vi: str, en: str) -> Open311Error:
    return Open311Error(400, f"{field}: {vi} / {en}")


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(
            404, f"Định dạng không hỗ trợ “{fmt}”, dùng .xml hoặc .json / use .xml or .json"
        )
    return fmt


def param(params: Mapping[str, Any], name: str) -> str | None:
    """A parameter, with an empty one treated exactly like an absent one (spec §1)."""
    value = params.get(name)
    if value is None:
        return None
    text = str(value).strip()
    if "\x00" in text:  # in a form body (the URL is checked for every route)
        raise bad(name, "chứa ký tự NUL (\\x00)", "contains a NUL character")
    return text or None


def check_jurisdiction(params: Mapping[str, Any]) -> None:
    given = param(params, "jurisdiction_id")
    if given is not None and given.lower() != JURISDICTION_ID:
        raise not_found("đơn vị quản lý (jurisdiction_id)", "jurisdiction_id", given)


def handle(fmt: str, build: Callable[[str], Response]) -> Response:
    try:
        return build(_fmt(fmt))
    except Open311Error as exc:
        return error_response(fmt, exc.status_code, *exc.messages)


def lang_of(params: Mapping[str, Any]) -> str:
    return i18n.normalize_lang(param(params, "lang") or "vi")


def base_url(request: Request) -> str:
    return str(request.app.state.settings.public_url).rstrip("/")


def parse_w3c(value: str, field: str) -> datetime:
    """A W3C date-time (``2026-03-01T08:00:00+07:00``, ``…Z``) or date; a value without a zone
    is read as Vietnam time."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            parsed = datetime.combine(date.fromisoformat(text), time(0), clock.local_zone())
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise bad(
            field,
            "ngày giờ không hợp lệ, dùng dạng 2026-03-01T00:00:00+07:00",
            "invalid date-time, use e.g. 2026-03-01T00:00:00+07:00",
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.local_zone())
    check_accepted(parsed, field, bad)
    return parsed.astimezone(UTC)


def date_range(params: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """The ``start_date``/``end_date`` window (default: the last 90 days; at most 90 days)."""
    start_raw, end_raw = param(params, "start_date"), param(params, "end_date")
    start = parse_w3c(start_raw, "start_date") if start_raw else None
    end = parse_w3c(end_raw, "end_date") if end_raw else None
    span = timedelta(days=MAX_DAYS)
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - span
    if end is None:
        end = start + span
    if end < start:
        raise bad(
            "end_date",
            "phải sau start_date",
            "must not be before start_date",
        )
    if end - start > span:
        raise bad(
            "end_date",
            f"khoảng thời gian tối đa {MAX_DAYS} ngày",
            f"the range may span at most {MAX_DAYS} days",
        )
    return start, end


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def paging(params: Mapping[str, Any]) -> tuple[int, int]:
    out = []
    for name, default, top in (("page", 1, None), ("page_size", MAX_RESULTS, MAX_RESULTS)):
        raw = param(params, name)
        try:
            value = int(raw) if raw is not None else default
        except ValueError as exc:
            raise bad(name, "phải là số nguyên dương", "must be a positive integer") from exc
        if value < 1:
            raise bad(name, "phải là số nguyên dương", "must be a positive integer")
        if top is None and value > MAX_PAGE:  # the row offset must fit a database integer
            raise bad(name, f"tối đa {MAX_PAGE}", f"at most {MAX_PAGE}")
        out.append(min(value, top) if top else value)
    return out[0], out[1]
