"""Fixtures of the documents tests: users scoped to an agency, a directive with tasks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from doc_helpers import BMT, PASSWORD, SKHCN, SXD
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import audit, auth
from ioc.packs.documents import tasks


@pytest.fixture
def doc_policy(tmp_path: Path) -> Iterator[tasks.Policy]:
    """The pack configured with a temporary data folder (restored afterwards)."""
    before = tasks.policy()
    pol = tasks.Policy(data_dir=tmp_path, due_soon_days=5, evidence_max_bytes=2048)
    tasks.set_policy(pol)
    yield pol
    tasks.set_policy(before)


@pytest.fixture
def agency_user(factory: sessionmaker[Session]) -> Callable[..., str]:
    """``agency_user("ana", "so-xay-dung", role="agency_staff") -> password``."""

    def make(username: str, agency_code: str | None, role: str = "agency_staff") -> str:
        with factory() as session, session.begin():
            auth.create_user(
                session,
                audit.Actor.system("test"),
                username=username,
                password=PASSWORD,
                full_name=f"Cán bộ {username}",
                role=role,
                agency_code=agency_code,
            )
        return PASSWORD

    return make


@pytest.fixture
def directive_tasks(
    factory: sessionmaker[Session], frozen_now: datetime, doc_policy: tasks.Policy
) -> dict[str, int]:
    """A directive (created 2026-03-10) with three tasks: Sở Xây dựng due 31/10/2026, Sở KH&CN
    due 13/03/2026 (3 working days away: due soon), UBND phường Buôn Ma Thuột due 20/03/2026.
    Returns their ids by agency code, plus ``directive``."""
    with factory() as session, session.begin():
        who = tasks.Doer.system("test")
        directive = tasks.create_directive(
            session,
            who,
            number="125/UBND-CN",
            issued_on=date(2026, 3, 1),
            issuer="UBND tỉnh Đắk Lắk",
            summary="Triển khai nhiệm vụ trọng tâm phát triển đô thị thông minh",
        )
        ids = {"directive": directive.id}
        for code, due, title in (
            (SXD, date(2026, 10, 31), "Báo cáo kết quả thực hiện Đề án 950"),
            (SKHCN, date(2026, 3, 13), "Tập huấn sử dụng dịch vụ đô thị thông minh"),
            (BMT, date(2026, 3, 20), "Nghiên cứu ứng dụng quy hoạch đô thị thông minh"),
        ):
            task = tasks.assign_task(
                session, who, directive, agency_code=code, title=title, due_on=due
            )
            ids[code] = task.id
    return ids
