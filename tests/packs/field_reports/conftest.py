"""Fixtures of the field-reports tests: the pack's policy, categories, a report builder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fr_helpers import BMT, BMT_POINT, REPORTER, Submit
from sqlalchemy.orm import Session

from ioc.core import audit, auth
from ioc.packs.field_reports import service


@pytest.fixture
def fr_policy(tmp_path: Path) -> Iterator[service.Policy]:
    """The pack configured with a temporary data folder (restored afterwards)."""
    before = service.policy()
    pol = service.Policy(data_dir=tmp_path, rate_limit_per_hour=5)
    service.configure(pol)
    yield pol
    service.configure(before)


@pytest.fixture
def staff_actor(db: Session) -> audit.Actor:
    """A signed-in IOC operator as an actor (created in the test's own session)."""
    user = auth.create_user(
        db,
        audit.Actor.system("test"),
        username="ioc-op",
        password="mật-khẩu-đủ-dài-123",
        full_name="Trực ban IOC",
        role="operator",
        agency_code="trung-tam-ioc",
    )
    return audit.Actor(user.id, "ioc-op")


@pytest.fixture
def fr(db: Session, fr_policy: service.Policy, frozen_now: datetime) -> Submit:
    """Categories loaded, clock frozen; returns ``submit(**overrides)`` creating a report
    of a pothole in phường Buôn Ma Thuột."""
    service.sync_categories(db)
    db.flush()

    def submit(**overrides: Any) -> service.Submission:
        args: dict[str, Any] = {
            "category_code": "duong-hu-hong",
            "description": "Ổ gà lớn giữa đường Lê Duẩn, xe máy dễ té ngã",
            "lat": BMT_POINT[0],
            "lon": BMT_POINT[1],
            "area_code": BMT,
            "address": "Đường Lê Duẩn, phường Buôn Ma Thuột",
            **REPORTER,
        }
        args.update(overrides)
        return service.submit_report(db, service.citizen_actor(), **args)

    return submit
