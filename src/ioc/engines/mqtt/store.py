"""Store decoded messages in the caller's transaction: readings through ingestion, the rest as
dead letters (thư lỗi) with the reason. Used by the connector and by replay from the UI."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.models import DeadLetter
from ioc.core.registry import Registry
from ioc.engines.ingestion.parse import RawRow
from ioc.engines.ingestion.service import ingest
from ioc.engines.ingestion.validate import RowError
from ioc.engines.mqtt.decoders import DecodeError, Decoders

BASE64_PREFIX = "base64:"
MAX_REASON_ERRORS = 20


def payload_to_text(payload: bytes) -> str:
    """How a payload is kept in ``dead_letters.payload``: UTF-8 text when it is text, else
    ``base64:`` + Base64 (also when the text itself starts with that prefix or holds NUL)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text or text.startswith(BASE64_PREFIX):
        return BASE64_PREFIX + base64.b64encode(payload).decode("ascii")
    return text


def payload_from_text(text: str) -> bytes:
    """The original payload bytes of a stored dead letter."""
    if text.startswith(BASE64_PREFIX):
        return base64.b64decode(text[len(BASE64_PREFIX) :])
    return text.encode("utf-8")


class Received(Protocol):
    """A message to store as the connector has it (``transport.Message``) or as a replay
    rebuilds it (:class:`Incoming`): its topic and its bytes."""

    @property
    def topic(self) -> str:
        """Where it came from."""

    @property
    def payload(self) -> bytes:
        """Its bytes."""


@dataclass(frozen=True)
class Incoming:
    """A message to store: where it came from and its bytes."""

    topic: str
    payload: bytes


@dataclass
class StoreResult:
    """What storing a batch of messages did. ``failed`` maps message index → reason."""

    messages: int = 0
    stored: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def _row_reason(errors: list[RowError], first_row: int, rows: int) -> str:
    parts = []
    for err in errors[:MAX_REASON_ERRORS]:
        where = f"dòng/row {err.row - first_row + 1}, " if rows > 1 else ""
        parts.append(f"{where}{err.field}: {err.message} / {err.message_en}")
    if len(errors) > MAX_REASON_ERRORS:
        parts.append(f"… +{len(errors) - MAX_REASON_ERRORS}")
    return "; ".join(parts)


def store_messages(
    session: Session,
    messages: Sequence[Received],
    *,
    registry: Registry,
    decoders: Decoders,
    offset: int,
    source: str = "mqtt",
    dead_letters: bool = True,
) -> StoreResult:
    """Decode every message, ingest all their rows at once (partial mode: valid rows are
    stored), and, with ``dead_letters``, add a dead letter for each message that did not
    decode or had an invalid row. Nothing is committed here."""
    result = StoreResult(messages=len(messages))
    rows: list[RawRow] = []
    spans: list[tuple[int, int]] = []  # per message: (first row number, row count)
    for index, msg in enumerate(messages):
        try:
            decoded = decoders.decode(msg.topic, msg.payload)
        except DecodeError as exc:
            result.failed[index] = exc.reason
            spans.append((0, 0))
            continue
        first = len(rows) + 1
        rows.extend(RawRow(first + i, data) for i, data in enumerate(decoded))
        spans.append((first, len(decoded)))
    if rows:
        report = ingest(session, rows, registry=registry, offset=offset, source=source)
        result.stored = report.stored
        if report.errors:
            owner = _owners(spans)
            by_message: dict[int, list[RowError]] = {}
            for err in report.errors:
                by_message.setdefault(owner[err.row], []).append(err)
            for index, errs in by_message.items():
                first, count = spans[index]
                result.failed[index] = _row_reason(errs, first, count)
    if dead_letters and result.failed:
        now = clock.now()
        for index, reason in sorted(result.failed.items()):
            add_dead_letter(session, source, messages[index], reason, now)
    return result


def _owners(spans: list[tuple[int, int]]) -> dict[int, int]:
    owner: dict[int, int] = {}
    for index, (first, count) in enumerate(spans):
        for number in range(first, first + count):
            owner[number] = index
    return owner


def add_dead_letter(
    session: Session, source: str, msg: Received, reason: str, at: Any = None
) -> DeadLetter:
    """Keep a message the IOC could not use, with the reason, for an operator to see."""
    letter = DeadLetter(
        source=source,
        topic=msg.topic[:500],
        payload=payload_to_text(msg.payload),
        reason=reason,
        received_at=at or clock.now(),
        status="new",
    )
    session.add(letter)
    return letter


def replay(
    session: Session,
    letter: DeadLetter,
    *,
    registry: Registry,
    decoders: Decoders,
    offset: int,
    actor: audit.Actor,
) -> StoreResult:
    """Decode and ingest a dead letter again (after its cause was fixed, e.g. the station now
    exists). All good: marked ``replayed``; still bad: stays ``new`` with the new reason. Either
    way one audit row is written. The caller commits."""
    result = store_messages(
        session,
        [Incoming(letter.topic, payload_from_text(letter.payload))],
        registry=registry,
        decoders=decoders,
        offset=offset,
        source=letter.source,
        dead_letters=False,
    )
    reason = result.failed.get(0)
    if reason is None:
        letter.status = "replayed"
        letter.handled_at = clock.now()
        letter.handled_by = actor.label[:200]
    else:
        letter.reason = reason
    audit.record(
        session,
        actor,
        "dead_letter.replay",
        "dead_letter",
        letter.id,
        ok=reason is None,
        stored=result.stored,
        reason=reason,
    )
    return result


def discard(session: Session, letter: DeadLetter, *, actor: audit.Actor) -> None:
    """Mark a dead letter as not to be replayed (kept for the record) and audit it."""
    letter.status = "discarded"
    letter.handled_at = clock.now()
    letter.handled_by = actor.label[:200]
    audit.record(session, actor, "dead_letter.discard", "dead_letter", letter.id)
