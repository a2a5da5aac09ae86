"""Reading one field of an incoming row: text, time, yes/no, integer, choice, and the
headers of the import template. Every parser raises :class:`Invalid` with the field's name and
a Vietnamese and English message, which the batch reports against the row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, Final

from ioc.core import i18n
from ioc.engines.actions_kit import FieldError, check_accepted

__all__ = [
    "HEADER_ALIASES",
    "MAX_ID_LEN",
    "TEMPLATE_HEADERS",
    "Invalid",
    "fold_header",
    "id_of",
    "rows_from_table",
]

MAX_ID_LEN: Final = 64

CHANNEL_ALIASES: Final = {
    "online": "online",
    "truc_tuyen": "online",
    "trực tuyến": "online",
    "truc tuyen": "online",
    "direct": "direct",
    "in_person": "direct",
    "truc_tiep": "direct",
    "trực tiếp": "direct",
    "truc tiep": "direct",
    "post": "post",
    "buu_chinh": "post",
    "bưu chính": "post",
    "buu chinh": "post",
}
RESULT_ALIASES: Final = {
    "electronic": "electronic",
    "dien_tu": "electronic",
    "điện tử": "electronic",
    "dien tu": "electronic",
    "paper": "paper",
    "giay": "paper",
    "giấy": "paper",
}
TRUE_WORDS: Final = frozenset({"true", "1", "yes", "y", "x", "có", "co", "đúng", "dung"})
FALSE_WORDS: Final = frozenset({"false", "0", "no", "n", "không", "khong", "sai"})

# Columns of the import template: (field, Vietnamese header). The import accepts the field
# names themselves or these headers (compared without diacritics or case).
TEMPLATE_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    ("id", "Mã hồ sơ"),
    ("procedure_code", "Mã thủ tục"),
    ("procedure_name", "Tên thủ tục"),
    ("agency", "Mã cơ quan"),
    ("area", "Mã xã phường"),
    ("channel", "Kênh nộp"),
    ("received_at", "Ngày tiếp nhận"),
    ("due_at", "Ngày hẹn trả"),
    ("time_limit_days", "Thời hạn (ngày làm việc)"),
    ("supplement_count", "Số lần yêu cầu bổ sung"),
    ("supplement_days", "Số ngày chờ bổ sung"),
    ("supplement_open", "Đang chờ bổ sung"),
    ("finished_at", "Ngày hoàn thành"),
    ("result", "Kết quả"),
    ("fee_required", "Có phí"),
    ("paid_online", "Thanh toán trực tuyến"),
    ("digitised", "Số hóa đầu vào"),
    ("reused_data", "Tái sử dụng dữ liệu"),
    ("synced", "Đã đồng bộ"),
    ("feedback", "Có phản ánh"),
    ("rating", "Đánh giá"),
    ("status", "Trạng thái"),
    ("updated_at", "Cập nhật lúc"),
)
HEADER_ALIASES: Final[dict[str, str]] = {
    **{" ".join(i18n.fold(title).split()): name for name, title in TEMPLATE_HEADERS},
    "co quan": "agency",
    "xa phuong": "area",
    "ma xa": "area",
}


class Invalid(FieldError):
    """A refused field: its name, the Vietnamese and the English message."""


def get(row: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` the row carries, stripped; an empty text is no value."""
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return None
        return value
    return None


def text_field(
    row: Mapping[str, Any], name: str, *alts: str, required: bool = False, size: int = 500
) -> str | None:
    """A text of at most ``size`` characters (numbers written as text)."""
    value = get(row, name, *alts)
    if value is None:
        if required:
            raise Invalid(name, "bắt buộc, chưa có giá trị", "required")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > size:
        raise Invalid(name, f"dài quá {size} ký tự", f"longer than {size} characters")
    if "\x00" in text:  # PostgreSQL cannot store it
        raise Invalid(name, "chứa ký tự NUL (\\x00)", "contains a NUL character")
    return text


def time_field(
    row: Mapping[str, Any], name: str, zone: Any, *, required: bool = False
) -> datetime | None:
    """An ISO 8601 time (local when without offset), in UTC, within the accepted range."""
    value = get(row, name)
    if value is None:
        if required:
            raise Invalid(name, "bắt buộc, chưa có thời điểm", "required")
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(
                name,
                f"thời điểm {value!r} không đúng dạng ISO 8601 (vd 2026-03-10T08:30:00+07:00)",
                f"{value!r} is not an ISO 8601 time",
            ) from None
    else:
        raise Invalid(name, "phải là thời điểm ISO 8601", "must be an ISO 8601 time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    check_accepted(moment, name, Invalid)
    return moment.astimezone(UTC)


def bool_field(row: Mapping[str, Any], name: str, *alts: str) -> bool | None:
    """Yes or no (true/false, 1/0, có/không …)."""
    value = get(row, name, *alts)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(name, f"giá trị {value!r} phải là có/không (true/false)", "must be true/false")


def int_field(row: Mapping[str, Any], name: str, *, low: int = 0, high: int = 10_000) -> int | None:
    """An integer from ``low`` to ``high``."""
    value = get(row, name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise Invalid(name, "phải là số nguyên", "must be an integer")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(name, f"{value!r} không phải số nguyên", "must be an integer") from None
    if not number.is_integer() or not low <= number <= high:
        raise Invalid(
            name, f"phải là số nguyên từ {low} đến {high}", f"must be an integer {low}–{high}"
        )
    return int(number)


def choice_field(
    row: Mapping[str, Any],
    name: str,
    aliases: Mapping[str, str],
    allowed: Sequence[str],
    *alts: str,
) -> str | None:
    """One of ``allowed``, or an alias of one (Vietnamese words …)."""
    value = get(row, name, *alts)
    if value is None:
        return None
    key = str(value).strip().lower()
    if key in aliases:
        return aliases[key]
    if key in allowed:
        return key
    shown = ", ".join(allowed)
    raise Invalid(name, f"giá trị {value!r} không hợp lệ; dùng: {shown}", f"use one of: {shown}")


def id_of(row: Any) -> str | None:
    """The row's id (``id`` or ``code``) as reported with its problems."""
    if isinstance(row, Mapping):
        value = row.get("id") or row.get("code")
        return None if value is None else str(value)[:MAX_ID_LEN]
    return None


def fold_header(name: str) -> str:
    """A column header as a lookup key: folded, single spaces."""
    return " ".join(i18n.fold(name).split())


def rows_from_table(columns: Iterable[str]) -> dict[str, str]:
    """Map each column of an uploaded table to a field name (English names kept as is)."""
    out: dict[str, str] = {}
    for col in columns:
        key = fold_header(col)
        out[col] = HEADER_ALIASES.get(key, key.replace(" ", "_"))
    return out
