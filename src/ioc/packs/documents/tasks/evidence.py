"""Minh chứng: the evidence of a progress report or a completion, a link and/or a file kept
under the data directory."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from ioc.core.files import write_durably
from ioc.packs.documents.models import Task
from ioc.packs.documents.tasks.rules import TaskError, policy

__all__ = ["Evidence", "Stored", "evidence_path", "store_evidence"]

EVIDENCE_TYPES = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "jpg", "jpeg", "png", "zip"}
)
_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    """Minh chứng: a link, and/or a file (name as uploaded, content)."""

    link: str = ""
    filename: str = ""
    data: bytes | None = None

    @property
    def empty(self) -> bool:
        """True when neither a link nor a file was given."""
        return not self.link.strip() and not self.data


@dataclass
class Stored:
    """What a timeline event keeps of the evidence: the link, the stored file, its name."""

    link: str = ""
    file: str = ""
    name: str = ""

    def columns(self) -> dict[str, str]:
        """The event's evidence columns."""
        return {"evidence_link": self.link, "evidence_file": self.file, "evidence_name": self.name}


def store_evidence(task: Task, evidence: Evidence | None) -> Stored:
    """Check the evidence and write its file; what the timeline event keeps of it."""
    out = Stored()
    if evidence is None:
        return out
    link = evidence.link.strip()
    if link:
        if len(link) > 1000 or not _LINK.match(link):
            raise TaskError(
                "Đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https://",
                "the evidence link must start with http:// or https://",
                "evidence_link",
            )
        out.link = link
    if evidence.data:
        name = Path(evidence.filename or "minh-chung").name[:200]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in EVIDENCE_TYPES:
            raise TaskError(
                "Tệp minh chứng phải là PDF, Word, Excel, ảnh JPG/PNG hoặc ZIP",
                "the evidence file must be PDF, Word, Excel, JPG/PNG or ZIP",
                "evidence_file",
            )
        limit = policy().evidence_max_bytes
        if len(evidence.data) > limit:
            raise TaskError(
                f"Tệp minh chứng lớn quá {limit // (1024 * 1024)} MB",
                f"the evidence file is larger than {limit // (1024 * 1024)} MB",
                "evidence_file",
            )
        stored = f"{task.id}-{secrets.token_hex(8)}.{ext}"
        folder = policy().data_dir / "documents" / "evidence"
        write_durably(folder / stored, evidence.data)
        out.file, out.name = stored, name
    return out


def evidence_path(stored: str) -> Path | None:
    """The file of a stored evidence name, when it exists (no path tricks)."""
    if not re.fullmatch(r"\d+-[0-9a-f]{16}\.[a-z0-9]{2,4}", stored):
        return None
    path = policy().data_dir / "documents" / "evidence" / stored
    return path if path.is_file() else None
