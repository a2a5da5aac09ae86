"""Files that rows point to are on disk before the row: written, flushed, renamed, and the
folder flushed, so a power loss after the commit never leaves a row pointing to nothing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ioc.core.files import write_durably
from ioc.packs.field_reports import photos


def _record_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_file_and_folder_are_flushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced = _record_fsyncs(monkeypatch)
    target = tmp_path / "a" / "b.jpg"
    write_durably(target, b"photo bytes")
    assert target.read_bytes() == b"photo bytes"
    # The temporary file was flushed before the rename, then the folder holding the new name.
    assert len(synced) == 2 and synced[0].endswith(".tmp") and synced[1] == str(target.parent)
    assert [p.name for p in target.parent.iterdir()] == ["b.jpg"]  # no temporary file left


def test_a_stored_photo_is_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "JPEG")
    processed = photos.process(buf.getvalue(), max_bytes=1_000_000)
    synced = _record_fsyncs(monkeypatch)
    stored = photos.store(processed, tmp_path)
    assert (tmp_path / stored.path).is_file()
    assert any(s.endswith(".tmp") for s in synced)


def test_two_threads_storing_the_same_file(tmp_path: Path) -> None:
    target = tmp_path / "same.jpg"
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(50):
                write_durably(target, b"x" * 10_000)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and target.read_bytes() == b"x" * 10_000
