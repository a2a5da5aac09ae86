"""Environment tabs: noise/weather networks and device health, as an operator reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from helpers import login
from ioc.core.models import Entity
from ioc.packs.environment import device_health as health


def _entity(factory: sessionmaker[Session], code: str, type_: str, **attrs: Any) -> None:
    with factory() as s, s.begin():
        s.add(
            Entity(
                code=code,
                type=type_,
                pack="environment",
                name=f"Trạm {code}",
                name_folded=code.lower(),
                lat=12.68,
                lon=108.05,
                area_code="24133",
                agency_code=None,
                attributes=attrs,
                active=True,
            )
        )


def _post(client: TestClient, token: str, rows: list[dict[str, Any]]) -> None:
    r = client.post(
        "/api/v1/observations",
        json={"observations": rows},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text


def test_device_health_completeness_and_stale(
    client: TestClient,
    factory: sessionmaker[Session],
    ingest_token: str,
    station: str,
    frozen_now: datetime,
) -> None:
    # Frozen at 2026-03-10 12:00 local (05:00 UTC). The window is the 24 hours before 12:00.
    _entity(factory, "DL-ON-01", "NoiseStation", batteryLevel=87, deviceState="ok")
    # Noise: LAeq every hour of the window (24/24) and LAmax for 12 of them (12/24) → 36/48 = 75 %.
    rows = [
        {
            "indicator": "laeq",
            "entity": "DL-ON-01",
            "time": f"2026-03-09T{h:02d}:00:00+07:00",
            "value": 60,
        }
        for h in range(13, 24)
    ]
    rows += [
        {
            "indicator": "laeq",
            "entity": "DL-ON-01",
            "time": f"2026-03-10T{h:02d}:00:00+07:00",
            "value": 60,
        }
        for h in range(0, 13)
    ]
    rows += [
        {
            "indicator": "lamax",
            "entity": "DL-ON-01",
            "time": f"2026-03-10T{h:02d}:00:00+07:00",
            "value": 80,
        }
        for h in range(1, 13)
    ]
    _post(client, ingest_token, rows)
    # The air station reported once, 5 hours ago: stale.
    _post(
        client,
        ingest_token,
        [
            {
                "indicator": "pm25",
                "entity": station,
                "time": "2026-03-10T07:00:00+07:00",
                "value": 10,
            }
        ],
    )
    with factory() as s:
        by_code = {h.code: h for h in health.station_health(s)}
    noise = by_code["DL-ON-01"]
    assert (noise.hours_present, noise.hours_expected) == (36, 48)
    assert noise.completeness == 0.75 and noise.status == "warn" and not noise.stale
    assert (noise.battery, noise.state) == (87.0, "ok")
    air = by_code[station]
    assert air.stale and air.status == "alarm"
    assert health.sorted_health(list(by_code.values()), "health")[0].code == station


def test_tabs_render_and_devices_sort(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,
    ingest_token: str,  # type: ignore[no-untyped-def]
) -> None:
    _entity(factory, "DL-KT-01", "WeatherStation")
    _post(
        client,
        ingest_token,
        [
            {
                "indicator": "air_temp",
                "entity": "DL-KT-01",
                "time": "2026-03-10T08:00:00+07:00",
                "value": 31.5,
            },
            {
                "indicator": "humidity",
                "entity": "DL-KT-01",
                "time": "2026-03-10T08:00:00+07:00",
                "value": 0.62,
                "unit": "fraction",
            },
        ],
    )
    login(client, "op", make_user("op"))
    page = client.get("/environment/weather")
    assert page.status_code == 200
    assert 'data-station="DL-KT-01"' in page.text and "31,5" in page.text and "62,0" in page.text
    assert 'class="tab active"' in page.text
    assert client.get("/environment/noise").status_code == 200
    assert "Chưa có trạm nào" in client.get("/environment/noise").text
    assert client.get("/environment/khong-co").status_code == 404
    devices = client.get("/environment/devices?sort=last_seen")
    assert devices.status_code == 200 and 'data-station="DL-KT-01"' in devices.text


def test_weather_station_page(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,
    ingest_token: str,  # type: ignore[no-untyped-def]
) -> None:
    _entity(factory, "DL-KT-02", "WeatherStation")
    _post(
        client,
        ingest_token,
        [
            {
                "indicator": "rain",
                "entity": "DL-KT-02",
                "time": f"2026-03-10T{h:02d}:00:00+07:00",
                "value": 2.5,
            }
            for h in range(1, 6)
        ],
    )
    login(client, "op2", make_user("op2"))
    page = client.get("/environment/stations/DL-KT-02")
    assert page.status_code == 200
    assert (
        'data-indicator="rain"' in page.text and ">2,5<" in page.text and "chart-rain" in page.text
    )
    # Only air-quality stations are public.
    assert client.get("/public/air/DL-KT-02", headers={"Accept": "text/html"}).status_code == 404


def test_sampled_water_station_is_not_flagged_between_samples(
    client: TestClient, factory: sessionmaker[Session], ingest_token: str, frozen_now: datetime
) -> None:
    # Monthly laboratory samples: 20 days after the last one the station is fine; never hourly.
    _entity(factory, "DL-NM-01", "WaterQualityStation")
    _post(
        client,
        ingest_token,
        [
            {
                "indicator": "w_ph",
                "entity": "DL-NM-01",
                "time": "2026-02-18T09:00:00+07:00",
                "value": 7.1,
            }
        ],
    )
    with factory() as s:
        (h,) = [x for x in health.station_health(s) if x.code == "DL-NM-01"]
    assert h.completeness is None and not h.stale and h.status == "ok"


def test_station_export_csv_and_xlsx(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,
    ingest_token: str,
    station: str,  # type: ignore[no-untyped-def]
) -> None:
    import io

    from openpyxl import load_workbook

    _post(
        client,
        ingest_token,
        [
            {
                "indicator": "pm25",
                "entity": station,
                "time": f"2026-03-10T{h:02d}:00:00+07:00",
                "value": 10 + h,
            }
            for h in range(1, 4)
        ],
    )
    assert (
        client.get(f"/environment/stations/{station}/export", follow_redirects=False).status_code
        == 303
    )
    login(client, "op3", make_user("op3"))
    r = client.get(f"/environment/stations/{station}/export?format=csv&days=2")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Thời gian (UTC+07:00),Bụi PM2,5") or "PM2,5" in lines[0]
    # Hour-ending labels as on the charts: the 01:00 value is the mean of 00:00–01:00.
    assert lines[1].startswith("2026-03-10T01:00:00+07:00,11.0")
    assert len(lines) >= 4
    x = client.get(f"/environment/stations/{station}/export?format=xlsx&days=2")
    sheet = load_workbook(io.BytesIO(x.content)).active
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] is not None]
    assert values[0][0] == "Trạm thử nghiệm Quảng trường 10/3"
    assert any(isinstance(v[0], datetime) and v[0].hour == 1 and v[1] == 11.0 for v in values)
    assert client.get(f"/environment/stations/{station}/export?format=pdf").status_code == 422
    assert client.get("/environment/stations/KHONG-CO/export").status_code == 404


def test_energy_mean_and_day_hours() -> None:
    from ioc.packs.environment.noise_weather import energy_mean, is_day_hour

    # 10·log10((10^6 + 10^7) / 2) = 10·log10(5.5·10^6) = 67.404 dB, not the arithmetic 65.
    assert round(energy_mean([60.0, 70.0]) or 0, 3) == 67.404
    assert energy_mean([]) is None
    # Hour-ending labels: 07:00 covers 06–07 (day), 06:00 covers 05–06 (night), 22:00 is night.
    assert is_day_hour(7, 6, 21) and is_day_hour(21, 6, 21)
    assert not is_day_hour(6, 6, 21) and not is_day_hour(22, 6, 21) and not is_day_hour(0, 6, 21)


def test_noise_day_night_against_limits_and_weather_flags(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,
    ingest_token: str,  # type: ignore[no-untyped-def]
) -> None:
    _entity(factory, "DL-ON-02", "NoiseStation")
    _entity(factory, "DL-KT-03", "WeatherStation")
    rows = []
    for h in range(1, 25):  # labels 01:00 … 24:00 of 10/3
        day = 6 < h <= 21
        when = f"2026-03-10T{h:02d}:00:00+07:00" if h < 24 else "2026-03-11T00:00:00+07:00"
        rows.append(
            {
                "indicator": "laeq",
                "entity": "DL-ON-02",
                "time": when,
                "value": 72.0 if day else 50.0,
            }
        )
    rows += [
        {
            "indicator": "air_temp",
            "entity": "DL-KT-03",
            "time": "2026-03-10T14:00:00+07:00",
            "value": 36.2,
        },
        {
            "indicator": "rain",
            "entity": "DL-KT-03",
            "time": "2026-03-10T13:00:00+07:00",
            "value": 30,
        },
        {
            "indicator": "rain",
            "entity": "DL-KT-03",
            "time": "2026-03-10T14:00:00+07:00",
            "value": 25,
        },
    ]
    _post(client, ingest_token, rows)
    login(client, "op4", make_user("op4"))
    noise = client.get("/environment/noise").text
    # Day 72 dB(A) > 70: over (red); night 50 < 55: fine (green).
    assert '<span class="badge badge-error">72,0</span>' in noise
    assert '<span class="badge badge-ok">50,0</span>' in noise
    weather = client.get("/environment/weather").text
    assert "Nắng nóng" in weather and "Mưa lớn" in weather and "Gió mạnh" not in weather


def test_compare_stations(
    client: TestClient,
    factory: sessionmaker[Session],
    make_user,
    ingest_token: str,
    station: str,
    frozen_now: datetime,  # type: ignore[no-untyped-def]
) -> None:
    _post(
        client,
        ingest_token,
        [
            {
                "indicator": "pm25",
                "entity": station,
                "time": f"2026-03-10T{h:02d}:00:00+07:00",
                "value": 20 + h,
            }
            for h in range(1, 6)
        ],
    )
    login(client, "op5", make_user("op5"))
    page = client.get(f"/environment/compare?indicator=pm25&station={station}&days=2")
    assert page.status_code == 200 and 'id="compare-chart"' in page.text
    assert '"2026-03-10T05:00:00+07:00",25.0' in page.text
    assert "Chưa chọn trạm nào" in client.get("/environment/compare").text
