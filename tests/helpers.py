"""Helpers shared by tests (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core.models import Indicator, Observation, Series


def csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of the form on ``path`` (also sets the CSRF cookie)."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "form has a CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str, next_: str = "/") -> object:
    """Sign in through the login form like a browser does."""
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf(client),
            "next": next_,
        },
        follow_redirects=False,
    )


def sent_count(factory: sessionmaker[Session]) -> int:
    """Observations sent by clients (derived indicators such as VN_WQI excluded)."""
    with factory() as s:
        return s.execute(
            select(func.count())
            .select_from(Observation)
            .join(Series, Series.id == Observation.series_id)
            .join(Indicator, Indicator.id == Series.indicator_id)
            .where(Indicator.derived.is_(False))
        ).scalar_one()


def post_observations(client: TestClient, token: str, rows: list[dict[str, Any]]) -> None:
    """Send ``rows`` to the observations API with ``token``; the batch must be accepted."""
    r = client.post(
        "/api/v1/observations",
        json={"observations": rows},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text


def hourly_rows(
    indicator: str, day: date, values: list[float | None], station: str = "DL-TEST-01"
) -> list[dict[str, Any]]:
    """Rows for hours labelled 01:00 … 24:00 local of ``day`` (hour-ending, as QĐ 1459)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=7)
    return [
        {
            "indicator": indicator,
            "entity": station,
            "time": (start + timedelta(hours=i + 1)).isoformat(),
            "value": v,
        }
        for i, v in enumerate(values)
        if v is not None
    ]
