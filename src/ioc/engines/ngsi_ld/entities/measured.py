"""The measurements of a batch of mapped entities, checked and stored as one set.

A batch upsert of 100 stations with six pollutants each is 600 readings. They are read as one
set, the way ``POST /api/v1/observations`` reads a batch: what validation needs is loaded for
the batch's indicators and stations only, units are converted once per reading, the readings
are validated in one pass (before anything is written, so an entity with a bad reading fails as
a whole), and the readings of the entities that were written go to the series store in one
:func:`~ioc.core.series.write_observations` call. A series that does not exist yet gets a
placeholder id during validation and is created only when a reading of it is stored: a refused
entity leaves nothing behind.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ioc.core import audit, clock, partitions
from ioc.core.models import Indicator, Series
from ioc.core.registry import Registry
from ioc.core.series import SeriesInfo, SeriesResolver, write_observations
from ioc.engines.ingestion.parse import RawRow
from ioc.engines.ingestion.service import audit_batch
from ioc.engines.ingestion.validate import Lookups, validate_rows
from ioc.engines.ngsi_ld.entities.incoming import Incoming

_CHUNK = 500  # ids per IN (…) list
# The catalog's spelling of a unit that ioc.engines.ingestion.sdm spells in ASCII: unitCode GQ
# arrives as "µg/m3", the catalog says "µg/m³". The same unit, so the reading needs no
# conversion pass (the environment pack's converter multiplies it by 1).
_CATALOG_SPELLING = {"µg/m3": "µg/m³"}


def batch_lookups(session: Session, registry: Registry, parsed: Sequence[Incoming]) -> Lookups:
    """What validation needs for ``parsed``: the indicators their readings name and their
    station codes (every one is known: it exists or the batch creates it). Loading the whole
    catalog and every station code for each request cost more than the checks themselves."""
    named = sorted({str(row["indicator"]) for inc in parsed for row in inc.rows})
    indicators: dict[str, Indicator] = {}
    for start in range(0, len(named), _CHUNK):
        chunk = named[start : start + _CHUNK]
        for ind in session.execute(select(Indicator).where(Indicator.code.in_(chunk))).scalars():
            indicators[ind.code] = ind
    converters = {p.name: p.unit_converter for p in registry.packs if p.unit_converter is not None}
    # As ioc.engines.ingestion.service.load_lookups: retention drops raw partitions on a
    # partitioned PostgreSQL database only; elsewhere no reading is refused for its age.
    earliest = None
    if session.get_bind().dialect.name == "postgresql":
        earliest = partitions.ingest_horizon(clock.now())
        if earliest is not None and not partitions.is_partitioned(session.connection()):
            earliest = None
    return Lookups(indicators, {inc.code for inc in parsed}, set(), converters, earliest)


def convert_units(parsed: Iterable[Incoming], lookups: Lookups) -> None:
    """Convert each reading sent in another unit than its indicator's (``GP`` mg/m³ for CO
    …) in place, as validation would, so that every reading takes validation's column-wise
    path. A reading that cannot be converted keeps its unit: validation names the problem
    exactly as it does for the ingestion API."""
    same: dict[tuple[str, str], bool] = {}  # (unit sent, indicator code) → no conversion
    for inc in parsed:
        for row in inc.rows:
            unit = row.get("unit")
            if unit is None:
                continue
            key = (str(unit), row["indicator"])
            equal = same.get(key)
            if equal is None:
                indicator = lookups.indicators.get(row["indicator"])
                if indicator is None:
                    continue
                sent, wanted = key[0].strip().lower(), indicator.unit.lower()
                equal = same[key] = sent == wanted or _CATALOG_SPELLING.get(sent) == wanted
            if equal:
                del row["unit"]
                continue
            indicator = lookups.indicators[row["indicator"]]
            converter = lookups.converters.get(indicator.pack)
            value = row.get("value")
            if converter is None or not isinstance(value, int | float) or isinstance(value, bool):
                continue
            try:
                converted = converter(indicator.code, float(value), str(unit))
            except (ValueError, OverflowError):
                continue
            if math.isfinite(converted):
                row["value"] = converted
                del row["unit"]


class BatchSeries(SeriesResolver):
    """The series of a batch's stations, loaded in one query. A series that does not exist
    gets a placeholder id (negative) and is only created by :meth:`create` when a reading of it
    is stored: validation writes nothing."""

    def __init__(self, session: Session, codes: Collection[str]) -> None:
        super().__init__(session)
        self._known: dict[tuple[int, str, str], int] = {}
        self._new: dict[tuple[int, str, str], SeriesInfo] = {}
        self._facts: dict[Indicator, tuple[int, str, bool]] = {}  # id, code, end-labelled
        wanted = sorted(set(codes))
        for start in range(0, len(wanted), _CHUNK):
            found = session.execute(
                select(Series.id, Series.indicator_id, Series.subject_code).where(
                    Series.subject_kind == "entity",
                    Series.subject_code.in_(wanted[start : start + _CHUNK]),
                )
            )
            for sid, indicator_id, code in found:
                self._known[(indicator_id, "entity", code)] = sid

    def prefetch(self, wanted: Sequence[tuple[Indicator, str, str]]) -> None:
        """Nothing to do: the batch's series were loaded when the resolver was made."""

    def get(self, indicator: Indicator, subject_kind: str, subject_code: str) -> SeriesInfo:
        """The series (a placeholder when it does not exist yet)."""
        # Called once per series of the batch (600 for 100 stations): the indicator's columns
        # are read once per indicator, not through the ORM on every call.
        facts = self._facts.get(indicator)
        if facts is None:
            facts = self._facts[indicator] = (
                indicator.id,
                indicator.code,
                indicator.time_label == "end",
            )
        indicator_id, code, label_end = facts
        key = (indicator_id, subject_kind, subject_code)
        sid = self._known.get(key)
        if sid is not None:
            return SeriesInfo(sid, code, subject_kind, subject_code, label_end)
        info = self._new.get(key)
        if info is None:
            placeholder = -1 - len(self._new)
            info = SeriesInfo(placeholder, code, subject_kind, subject_code, label_end)
            self._new[key] = info
        return info

    def create(self, placeholders: Collection[int]) -> dict[int, int]:
        """Create the series of these placeholder ids (insert or do nothing: another batch may
        create one at the same time) and return ``{placeholder: id}``."""
        keys = [k for k, info in self._new.items() if info.id in placeholders]
        if not keys:
            return {}
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        real: dict[tuple[int, str, str], int] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            self.session.execute(
                insert(Series)
                .values(
                    [{"indicator_id": i, "subject_kind": k, "subject_code": c} for i, k, c in chunk]
                )
                .on_conflict_do_nothing(
                    index_elements=["indicator_id", "subject_kind", "subject_code"]
                )
            )
            found = self.session.execute(
                select(
                    Series.id, Series.indicator_id, Series.subject_kind, Series.subject_code
                ).where(
                    tuple_(Series.indicator_id, Series.subject_kind, Series.subject_code).in_(chunk)
                )
            )
            for sid, indicator_id, kind, code in found:
                real[(indicator_id, kind, code)] = sid
        self._known.update(real)
        return {self._new[k].id: real[k] for k in keys}


@dataclass
class Checked:
    """The readings of a batch after the one validation pass."""

    series: BatchSeries
    # (series id or placeholder, ts, value, quality), the position of the entity of each row.
    rows: list[tuple[int, int, float, int]] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    label_end: dict[int, bool] = field(default_factory=dict)
    # Position of an entity → its bad attributes, "pm25: value outside 0 – 1000" …
    bad: dict[int, list[str]] = field(default_factory=dict)


def check_readings(session: Session, parsed: Sequence[Incoming], lookups: Lookups) -> Checked:
    """Validate every reading of ``parsed`` in one pass (numbers, ranges, units, times)."""
    raw_rows: list[RawRow] = []
    owner: list[tuple[int, str]] = [(-1, "")]  # row numbers start at 1
    for inc in parsed:
        for row, attr in zip(inc.rows, inc.row_attrs, strict=True):
            raw_rows.append(RawRow(len(owner), row))
            owner.append((inc.position, attr))
    out = Checked(BatchSeries(session, lookups.entity_codes))
    if not raw_rows:
        return out
    checked = validate_rows(raw_rows, lookups, out.series)
    for err in checked.errors:
        position, attr = owner[err.row]
        where = attr if err.field in ("value", "indicator", "entity") else f"{attr}.{err.field}"
        out.bad.setdefault(position, []).append(f"{where}: {err.message_en}")
    out.rows = checked.rows
    out.owners = [owner[n][0] for n in checked.numbers]
    out.label_end = checked.label_end
    return out


def store_readings(
    session: Session,
    checked: Checked,
    written: Collection[int],
    offset: int,
    actor: audit.Actor | None,
) -> int:
    """Store the readings of the entities at positions ``written`` in one set write (with its
    rollups and listeners) and one audit row with ``source="ngsi-ld"``; the number stored."""
    rows = [r for r, p in zip(checked.rows, checked.owners, strict=True) if p in written]
    if not rows:
        return 0
    made = checked.series.create({r[0] for r in rows if r[0] < 0})
    if made:
        rows = [(made.get(s, s), t, v, q) for s, t, v, q in rows]
    label_end = {made.get(s, s): end for s, end in checked.label_end.items()}
    result = write_observations(session, rows, label_end, offset)
    audit_batch(session, actor, "ngsi-ld", received=len(rows), stored=result.stored, rejected=0)
    return result.stored
