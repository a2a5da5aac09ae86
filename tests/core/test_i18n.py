"""Tests of ioc.core.i18n: catalog, number/date formatting and search folding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ioc.core import i18n

SEED_KEYS = [
    "app.title", "app.short", "nav.overview", "nav.environment", "nav.public_air", "nav.login",
    "nav.logout", "nav.admin", "lang.switch", "login.title", "login.username", "login.password",
    "login.submit", "login.failed", "overview.title", "overview.updated", "tile.environment",
    "tile.stations_reporting", "tile.worst_station", "env.title", "env.map", "env.stations",
    "env.station", "env.code", "env.commune", "env.agency", "env.aqi_now", "env.category",
    "env.dominant", "env.updated_at", "env.hourly", "env.daily", "env.pollutants",
    "env.exceedances", "env.no_data", "env.time", "env.limit", "public.title", "public.advice",
    "public.source", "error.not_found", "error.forbidden", "error.csrf", "common.save",
    "common.cancel", "common.back", "common.download_csv", "pollutant.pm25", "pollutant.pm10",
    "pollutant.o3", "pollutant.no2", "pollutant.so2", "pollutant.co", "role.admin",
    "role.leader", "role.operator", "role.agency_staff",
]  # fmt: skip


def test_constants() -> None:
    assert i18n.SUPPORTED == ("vi", "en")
    assert i18n.DEFAULT == "vi"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("vi", "vi"), ("en", "en"), ("en-GB", "en"), ("vi_VN", "vi"), ("fr", "vi"), ("", "vi"),
     (None, "vi")],
)  # fmt: skip
def test_normalize_lang(lang: str | None, expected: str) -> None:
    assert i18n.normalize_lang(lang) == expected


@pytest.mark.parametrize("key", SEED_KEYS)
def test_catalog_has_seed_keys_in_both_languages(key: str) -> None:
    texts = i18n.catalog()[key]
    assert texts["vi"].strip()
    assert texts["en"].strip()


def test_catalog_vietnamese_has_diacritics() -> None:
    assert i18n.translate("app.title", "vi") == (
        "Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Đắk Lắk"
    )
    assert i18n.translate("app.title", "en") == "Đắk Lắk Intelligent Operations Center"
    assert i18n.translate("login.failed", "vi") == "Tên đăng nhập hoặc mật khẩu không đúng"
    assert i18n.translate("pollutant.pm25", "vi") == "PM2,5"
    assert i18n.translate("pollutant.no2", "en") == "NO₂"
    assert i18n.translate("lang.switch", "vi") == "English"
    assert i18n.translate("lang.switch", "en") == "Tiếng Việt"


def test_translate_params() -> None:
    assert i18n.translate("tile.stations_reporting", "vi", n=7, total=9) == "7/9 trạm có dữ liệu"
    assert i18n.translate("tile.stations_reporting", "en", n=7, total=9) == "7/9 stations reporting"
    assert i18n.translate("overview.updated", "vi", time="28/11/2026 14:05") == (
        "Cập nhật lúc 28/11/2026 14:05"
    )


def test_translate_missing_param_left_as_placeholder() -> None:
    assert i18n.translate("tile.worst_station", "en") == "Worst station: {name}"
    assert i18n.translate("tile.worst_station", "en", other=1) == "Worst station: {name}"


def test_translate_falls_back_to_vi_then_key(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"only.vi": {"vi": "Chỉ tiếng Việt {x}"}}
    monkeypatch.setattr(i18n, "catalog", lambda: fake)
    assert i18n.translate("only.vi", "en", x=1) == "Chỉ tiếng Việt 1"
    assert i18n.translate("only.vi", "fr") == "Chỉ tiếng Việt {x}"
    assert i18n.translate("no.such.key", "en") == "no.such.key"
    assert i18n.translate("no.such.key", "vi", n=1) == "no.such.key"


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234.5, "vi", 1, "1.234,5"),
        (1234.5, "en", 1, "1,234.5"),
        (1234567, "vi", 0, "1.234.567"),
        (1234567, "en", 0, "1,234,567"),
        (12, "vi", 2, "12,00"),
        (0.125, "vi", 2, "0,13"),  # half rounds up, not to even
        (2.5, "en", 0, "3"),
        (-1234.56, "vi", 1, "-1.234,6"),
        (-0.01, "vi", 1, "0,0"),
        (999.96, "vi", 1, "1.000,0"),
        (None, "vi", 1, "—"),
        (float("nan"), "en", 0, "—"),
        (float("inf"), "vi", 0, "—"),
    ],
)
def test_format_number(value: float | None, lang: str, decimals: int, expected: str) -> None:
    assert i18n.format_number(value, lang, decimals) == expected


def test_format_number_rejects_negative_decimals() -> None:
    with pytest.raises(ValueError):
        i18n.format_number(1, "vi", -1)


def test_format_datetime_converts_utc_to_plus_seven() -> None:
    dt = datetime(2026, 11, 28, 7, 5, tzinfo=UTC)
    assert i18n.format_datetime(dt, "vi") == "28/11/2026 14:05"
    assert i18n.format_datetime(dt, "en") == "28/11/2026 14:05"
    assert i18n.format_datetime(dt, "vi", with_time=False) == "28/11/2026"
    assert i18n.to_local(dt).utcoffset() == timedelta(hours=7)


def test_format_datetime_crosses_midnight_and_uses_24h() -> None:
    dt = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert i18n.format_datetime(dt, "vi") == "01/01/2027 00:30"
    other = datetime(2026, 3, 1, 23, 45, tzinfo=timezone(timedelta(hours=9)))
    assert i18n.format_datetime(other, "en") == "01/03/2026 21:45"


def test_format_datetime_naive_raises() -> None:
    with pytest.raises(ValueError):
        i18n.format_datetime(datetime(2026, 11, 28, 14, 5), "vi")  # noqa: DTZ001
    with pytest.raises(ValueError):
        i18n.format_date(datetime(2026, 11, 28, 14, 5), "vi")  # noqa: DTZ001


def test_format_date() -> None:
    assert i18n.format_date(date(2026, 1, 5), "vi") == "05/01/2026"
    assert i18n.format_date(date(2026, 1, 5), "en") == "05/01/2026"
    assert i18n.format_date(datetime(2026, 1, 4, 18, 0, tzinfo=UTC), "vi") == "05/01/2026"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Buôn Ma Thuột", "buon ma thuot"),
        ("Ea H'Leo", "ea h'leo"),
        ("Ea H’Leo", "ea h'leo"),
        ("ĐẮK LẮK", "dak lak"),
        ("  Krông   Pắc\t", "krong pac"),
        ("Cư M'gar", "cu m'gar"),
        ("Tuy Hòa", "tuy hoa"),
        ("Phường Tân Lợi", "phuong tan loi"),
        ("Ðắk Mil", "dak mil"),  # eth look-alike typed for Đ
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert i18n.fold(text) == expected


def test_fold_handles_decomposed_input() -> None:
    import unicodedata

    assert i18n.fold(unicodedata.normalize("NFD", "Buôn Đôn")) == "buon don"
