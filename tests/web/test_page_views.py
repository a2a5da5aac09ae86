"""Page views are tallied in memory by the middleware and written in the background."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ioc.page_views import PageViewBuffer


def test_counts_are_written_once_and_a_failing_hook_loses_only_statistics(
    factory: sessionmaker[Session],
) -> None:
    seen: list[tuple[str, str | None]] = []

    def hook(session: Any, path: str, role: str | None) -> None:
        seen.append((path, role))

    buffer = PageViewBuffer(factory, [hook], every_s=3600)
    for _ in range(3):
        buffer.add("/health", "leader")
    buffer.add("/phan-anh", None)
    assert buffer.flush() == 4
    assert sorted(seen) == [("/health", "leader")] * 3 + [("/phan-anh", None)]
    assert buffer.flush() == 0  # nothing counted twice

    def broken(session: Any, path: str, role: str | None) -> None:
        raise RuntimeError("bảng chưa có")

    failing = PageViewBuffer(factory, [broken])
    failing.add("/", "admin")
    assert failing.flush() == 0  # logged, never raised into a page
    failing.start()
    failing.stop()  # the final flush runs and the thread ends


def test_without_hooks_nothing_is_kept(factory: sessionmaker[Session]) -> None:
    buffer = PageViewBuffer(factory, [])
    buffer.add("/", "admin")
    assert buffer.flush() == 0
