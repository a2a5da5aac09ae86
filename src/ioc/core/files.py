"""Files that rows point to (photos, evidence, attachments) are made durable before the row.

A row committed after :func:`write_durably` returns can never point to a missing or half-written
file, even after a power loss: the bytes go to a temporary file in the same folder, are flushed
to disk (``fsync``), renamed over the target atomically, and the folder itself is flushed so the
new name survives. A file written for a transaction that then rolls back is merely unreferenced.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path


def write_durably(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically and durably (see the module docstring)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unique per process and thread: two requests storing the same photo never share a
    # temporary file.
    tmp = target.with_name(
        f".{target.name}.{os.getpid()}.{threading.get_ident()}.{uuid.uuid4().hex[:8]}.tmp"
    )
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
