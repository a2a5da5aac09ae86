"""A write is answered only after its commit: a client that is told "stored" (or follows the
redirect to read what it wrote) finds it stored, and a commit that fails is never answered as a
success."""

from __future__ import annotations

from typing import ClassVar

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ioc.web.deps import DbSession


class _CommitFails(Session):
    def commit(self) -> None:
        raise RuntimeError("the database refused the commit (disk full)")


class _CommitSeen(Session):
    committed: ClassVar[list[bool]] = []

    def commit(self) -> None:
        _CommitSeen.committed.append(True)


def _app(session_class: type[Session]) -> FastAPI:
    app = FastAPI()
    app.state.sessionmaker = session_class

    @app.post("/write")
    def write(db: DbSession) -> dict[str, int]:
        return {"stored": 1}

    return app


def test_a_failed_commit_is_never_answered_as_stored() -> None:
    client = TestClient(_app(_CommitFails), raise_server_exceptions=False)
    answer = client.post("/write")
    assert answer.status_code == 500


def test_the_commit_happens_before_the_answer_is_sent() -> None:
    _CommitSeen.committed.clear()
    sent_after_commit: list[bool] = []
    app = _app(_CommitSeen)

    @app.middleware("http")
    async def watch(request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        sent_after_commit.append(bool(_CommitSeen.committed))
        return response

    assert TestClient(app).post("/write").json() == {"stored": 1}
    assert sent_after_commit == [True]
