"""Short-lived upload slots: photos chosen on the send form survive a form error.

A browser never refills a file input, so a citizen who forgot their name used to lose the
photos they had picked. When the form comes back with an error, the photos that passed the
photo checks are kept here — already cleaned (re-encoded, no EXIF/GPS) by ``photos.process`` —
and the re-rendered form carries only an opaque token (``photo_slot``) and the photos' names.
The next submission takes the kept photos the citizen left ticked and sends them through the
same checks as new ones. A slot is used once, and disappears after ``TTL`` unused.

On disk: ``<data_dir>/fr-upload-slots/<sha256(token)[:32]>/`` with ``manifest.json`` and the
photo files; the token itself is never a path (a forged one finds nothing).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ioc.core import clock

TTL = timedelta(hours=1)
FOLDER = "fr-upload-slots"


@dataclass(frozen=True)
class KeptPhoto:
    """A photo held in a slot: its index in the slot, the citizen's file name, its bytes."""

    index: int
    name: str
    data: bytes

    @property
    def size_kb(self) -> int:
        """Size in kilobytes (at least 1)."""
        return max(1, len(self.data) // 1024)


def _root(data_dir: Path) -> Path:
    return Path(data_dir) / FOLDER


# What a token handed out by :func:`save` looks like; anything else finds no slot.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _folder(data_dir: Path, token: str) -> Path | None:
    if not _TOKEN.fullmatch(token or ""):
        return None
    return _root(data_dir) / hashlib.sha256(token.encode()).hexdigest()[:32]


def _clean_name(name: str) -> str:
    base = Path(name or "").name.strip() or "anh"
    return re.sub(r"[\x00-\x1f<>\"'`]", "", base)[:120] or "anh"


def sweep(data_dir: Path, now: datetime | None = None) -> int:
    """Remove slots older than ``TTL``; returns how many went."""
    root = _root(data_dir)
    if not root.is_dir():
        return 0
    limit = (now or clock.now()) - TTL
    removed = 0
    for folder in root.iterdir():
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            created = datetime.fromisoformat(manifest["created_at"])
        except (OSError, ValueError, KeyError, TypeError):
            created = None
        if created is None or created < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def save(data_dir: Path, photos: list[tuple[str, bytes]]) -> str | None:
    """Keep ``(file name, cleaned bytes)`` photos in a new slot; returns its token (``None``
    when there is nothing to keep)."""
    if not photos:
        return None
    sweep(data_dir)
    token = secrets.token_urlsafe(24)
    folder = _folder(data_dir, token)
    assert folder is not None
    folder.mkdir(parents=True, mode=0o700)
    entries = []
    for index, (name, data) in enumerate(photos):
        path = folder / f"{index}.bin"
        path.write_bytes(data)
        path.chmod(0o600)
        entries.append({"index": index, "name": _clean_name(name)})
    (folder / "manifest.json").write_text(
        json.dumps({"created_at": clock.now().isoformat(), "photos": entries}), encoding="utf-8"
    )
    return token


def load(data_dir: Path, token: str) -> list[KeptPhoto]:
    """The photos of slot ``token`` (none for an unknown, expired or forged token)."""
    folder = _folder(data_dir, token)
    if folder is None or not folder.is_dir():
        return []
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if datetime.fromisoformat(manifest["created_at"]) < clock.now() - TTL:
            discard(data_dir, token)
            return []
        return [
            KeptPhoto(
                int(e["index"]), str(e["name"]), (folder / f"{int(e['index'])}.bin").read_bytes()
            )
            for e in manifest["photos"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def discard(data_dir: Path, token: str) -> None:
    """Remove slot ``token`` (after the report was sent, or when replaced)."""
    folder = _folder(data_dir, token)
    if folder is not None and folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
