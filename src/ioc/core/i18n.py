"""Vietnamese-first translation and locale formatting for the IOC user interface.

* :func:`translate` looks a message key up in ``ioc/i18n/messages.yaml`` (``vi`` and ``en``).
* :func:`format_number`, :func:`format_datetime`, :func:`format_date` render numbers and times
  the Vietnamese way (``1.234,5``, ``28/11/2026 14:05`` in Asia/Ho_Chi_Minh, 24-hour clock).
* :func:`fold` turns text into a diacritic-free lowercase search key.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ioc.core import yaml_text

SUPPORTED: Final = ("vi", "en")
"""Interface languages, in order of preference."""

DEFAULT: Final = "vi"
"""Language used when none (or an unsupported one) is asked for."""

DISPLAY_ZONE: Final = "Asia/Ho_Chi_Minh"
"""IANA zone every date and time is shown in."""

NO_VALUE: Final = "—"
"""What a missing number is shown as."""

_BABEL_LOCALES: Final[Mapping[str, str]] = {"vi": "vi_VN", "en": "en_GB"}
# đ, and the look-alike eth (ð) often typed for it, fold to d; typographic apostrophes to '.
_FOLD_MAP: Final = str.maketrans({"đ": "d", "ð": "d", "’": "'", "‘": "'", "ʼ": "'", "`": "'"})


def normalize_lang(lang: str | None) -> str:
    """``lang`` reduced to a supported code (``"vi-VN"`` -> ``"vi"``), else ``DEFAULT``."""
    if not lang:
        return DEFAULT
    base = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    return base if base in SUPPORTED else DEFAULT


@lru_cache(maxsize=1)
def catalog() -> Mapping[str, Mapping[str, str]]:
    """The message catalog: key -> {language: text}, read once from ``ioc/i18n/messages*.yaml``.

    Every ``messages*.yaml`` file in the package is merged (one file per area of the IOC, so
    packs and engines keep their own texts). Raises ``ValueError`` if a file is not a mapping of
    keys to ``{vi: str, en: str}`` with a Vietnamese text for every key, or if two files define
    the same key.
    """
    result: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    folder = resources.files("ioc.i18n")
    names = sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name.startswith("messages") and entry.name.endswith(".yaml")
    )
    for name in names:
        raw: Any = yaml_text.load(folder.joinpath(name).read_text(encoding="utf-8"))
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise ValueError(f"{name} must be a mapping of message keys")
        for key, entry in raw.items():
            if not isinstance(key, str) or not isinstance(entry, dict):
                raise ValueError(f"{name}: entry {key!r} must map languages to texts")
            if key in result:
                raise ValueError(f"{name}: key {key!r} is already defined in {origin[key]}")
            texts: dict[str, str] = {}
            for lang, value in entry.items():
                if lang not in SUPPORTED or not isinstance(value, str):
                    raise ValueError(f"{name}: {key}.{lang} must be a text in {SUPPORTED}")
                texts[lang] = value
            if DEFAULT not in texts:
                raise ValueError(f"{name}: {key} has no {DEFAULT!r} text")
            result[key] = texts
            origin[key] = name
    return result


class _KeepMissing(dict[str, Any]):
    """Format mapping that leaves unknown placeholders as ``{name}`` instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(key: str, lang: str, **params: Any) -> str:
    """Text of message ``key`` in ``lang``, with ``{placeholders}`` filled from ``params``.

    Falls back to the Vietnamese text, then to ``key`` itself. A placeholder without a matching
    parameter is left as written, so a missing argument never breaks a page.
    """
    texts = catalog().get(key)
    template = key if texts is None else texts.get(normalize_lang(lang)) or texts[DEFAULT]
    if not params:
        return template
    return template.format_map(_KeepMissing(params))


_VI_SEPARATORS = str.maketrans({",": ".", ".": ","})


def format_number(value: float | int | None, lang: str, decimals: int = 0) -> str:
    """``value`` with exactly ``decimals`` decimals in the locale of ``lang``.

    Vietnamese groups with ``.`` and uses ``,`` as decimal mark (``1.234,5``); English uses
    ``1,234.5``. Halves round away from zero. ``None``, NaN and infinities give ``"—"``.
    """
    if value is None or isinstance(value, bool):
        return NO_VALUE
    if isinstance(value, float) and not math.isfinite(value):
        return NO_VALUE
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = abs(rounded)  # no "-0,0"
    # Grouping by three with the locale's separators, as Babel's vi_VN/en_GB patterns do; done
    # with str.format because pages format hundreds of numbers (Babel costs ~10 µs each).
    text = f"{rounded:,f}"
    if normalize_lang(lang) == "vi":
        text = text.translate(_VI_SEPARATORS)
    return text


# Units counted in whole things (visitors, beds, cases …): shown without decimals, whatever the
# stored value (a monthly sum is stored as a float).
COUNT_UNITS: Final = frozenset(
    {
        "lượt",
        "người",
        "giường",
        "phòng",
        "ca",
        "lớp",
        "học sinh",
        "giáo viên",
        "bác sĩ",
        "xe",
        "doanh nghiệp",
        "ngày khách",
        "hồ sơ",
        "văn bản",
        "trường",
        "cơ sở",
        "dự án",
        "hộ",
        "lao động",
        "sự cố",
        "cảnh báo",
        "phản ánh",
        "nhiệm vụ",
        "trạm",
        "lần",
    }
)


def unit_decimals(unit: str) -> int:
    """Decimals a figure in ``unit`` (an indicator's catalog unit) is shown with: counts 0,
    scores (``điểm``) 2, everything else — %, money, rates per population, measurements — 1."""
    u = " ".join(unit.strip().lower().split())
    if u in COUNT_UNITS:
        return 0
    if u == "điểm":
        return 2
    return 1


class Quantity(float):
    """A number that knows how many decimals it is shown with (a table cell: exports write the
    number, pages show ``format_number(value, lang, decimals)``)."""

    decimals: int

    def __new__(cls, value: float, decimals: int) -> Quantity:
        out = super().__new__(cls, value)
        out.decimals = decimals
        return out


def quantity(value: float | int | None, unit: str) -> int | Quantity | None:
    """``value`` of an indicator in ``unit`` ready for a table cell: a whole number for counts,
    else a :class:`Quantity` rounded to the unit's decimals (``None`` stays ``None``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    decimals = unit_decimals(unit)
    if decimals == 0:
        return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Quantity(round(float(value), decimals), decimals)


def format_measure(value: float | int | None, lang: str, unit: str) -> str:
    """An indicator's value as every page shows it: the unit's decimals (:func:`unit_decimals`)
    in the locale of ``lang`` — ``7.712.581`` visitors, ``60,0`` %, ``NO_VALUE`` when missing.
    The one formatting of a catalog figure (key-figure tiles, tables, overview tiles)."""
    return format_number(value, lang, unit_decimals(unit))


@lru_cache(maxsize=1)
def display_zone() -> tzinfo:
    """The display time zone; a fixed UTC+07:00 if the system has no IANA database."""
    try:
        return ZoneInfo(DISPLAY_ZONE)
    except ZoneInfoNotFoundError:  # Vietnam has kept UTC+7 without DST since 1975
        return timezone(timedelta(hours=7), "ICT")


def to_local(dt: datetime) -> datetime:
    """Aware ``dt`` converted to Asia/Ho_Chi_Minh; a naive datetime raises ``ValueError``."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: an aware datetime (e.g. in UTC) is required")
    return dt.astimezone(display_zone())


def format_datetime(dt: datetime, lang: str, with_time: bool = True) -> str:
    """``dt`` in Asia/Ho_Chi_Minh as ``dd/mm/yyyy HH:MM`` (24 h), or ``dd/mm/yyyy`` only.

    The numeric pattern is the same in Vietnamese and English so operators read one format.
    Naive datetimes raise ``ValueError``: the display zone must never be guessed.
    """
    normalize_lang(lang)  # both languages share the pattern; kept for a future per-language one
    local = to_local(dt)
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def is_day_boundary(dt: datetime) -> bool:
    """True when ``dt`` is 00:00:00.000000 or 23:59:59 in Asia/Ho_Chi_Minh: how a deadline
    that is a date is stored (start or end of the day), so screens show it as a date."""
    local = to_local(dt)
    start = (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    end = (local.hour, local.minute, local.second) == (23, 59, 59)
    return start or end


def format_when(dt: datetime, lang: str, with_time: bool = True) -> str:
    """What pages show for a moment: :func:`format_datetime`, without the time when ``dt`` is
    a day boundary (a deadline that is a date reads "28/12/2026", never "28/12/2026 00:00")."""
    return format_datetime(dt, lang, with_time and not is_day_boundary(dt))


def format_date(d: date, lang: str) -> str:
    """Calendar date ``d`` as ``dd/mm/yyyy``; an aware datetime is first taken to local time."""
    if isinstance(d, datetime):
        return format_datetime(d, lang, with_time=False)
    normalize_lang(lang)
    return d.strftime("%d/%m/%Y")


MONTHS_EN: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def format_month(year: int, month: int, lang: str) -> str:
    """A month as charts and tables name it: ``T4/2026`` in Vietnamese, ``Apr 2026`` in
    English — never a day such as ``01/04`` (static/ioc.js ``IOC.formatMonth`` is the same)."""
    if normalize_lang(lang) == "vi":
        return f"T{month}/{year}"
    return f"{MONTHS_EN[month - 1]} {year}"


def fold(text: str) -> str:
    """Search key of ``text``: lowercase, no Vietnamese diacritics (``đ`` -> ``d``), single spaces.

    ``"Buôn Ma Thuột"`` -> ``"buon ma thuot"``; ``"Ea H'Leo"`` -> ``"ea h'leo"``. Typographic
    apostrophes become ``'`` so ``"Ea H’Leo"`` folds the same way.
    """
    lowered = text.lower().translate(_FOLD_MAP)
    decomposed = unicodedata.normalize("NFD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", stripped).split())


# English names of the units the catalogs and commune figures write in Vietnamese. Symbols
# (%, mg/L, µg/m³, °C, VN_AQI …) are the same in both languages and are not listed.
UNITS_EN: Final[Mapping[str, str]] = {
    "lượt": "visits",
    "người": "people",
    "giường": "beds",
    "phòng": "rooms",
    "ca": "cases",
    "lớp": "classes",
    "học sinh": "pupils",
    "giáo viên": "teachers",
    "bác sĩ": "doctors",
    "xe": "vehicles",
    "doanh nghiệp": "enterprises",
    "ngày khách": "guest nights",
    "hồ sơ": "dossiers",
    "văn bản": "documents",
    "trường": "schools",
    "cơ sở": "facilities",
    "dự án": "projects",
    "hộ": "households",
    "lao động": "workers",
    "sự cố": "incidents",
    "cảnh báo": "alerts",
    "phản ánh": "reports",
    "nhiệm vụ": "tasks",
    "trạm": "stations",
    "lần": "times",
    "bệnh": "diseases",
    "dịch vụ": "services",
    "hệ thống": "systems",
    "camera": "cameras",
    "điểm": "points",
    "tỷ đồng": "billion VND",
    "triệu đồng": "million VND",
    "triệu USD": "million USD",
    "học sinh/giáo viên": "pupils per teacher",
    "giường/10.000 dân": "beds per 10,000 people",
    "bác sĩ/10.000 dân": "doctors per 10,000 people",
}


def unit_label(unit: str, lang: str) -> str:
    """``unit`` (as a catalog writes it, in Vietnamese) as a page in ``lang`` shows it:
    ``lượt`` stays ``lượt`` in Vietnamese and is ``visits`` in English; symbols are unchanged."""
    if normalize_lang(lang) == "vi":
        return unit
    return UNITS_EN.get(" ".join(unit.strip().split()), unit)
