"""NGSI-LD ids → IOC entities: the ``ngsi_entities`` rows and the station codes they name."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.entities import load_entities
from ioc.core.models import Entity
from ioc.core.registry import Registry
from ioc.engines.ngsi_ld.entities.mapped_types import TypeInfo, all_types, type_info
from ioc.engines.ngsi_ld.entities.terms import DEFAULT_TENANT, check_id, id_suffix
from ioc.engines.ngsi_ld.models import NgsiEntity
from ioc.engines.ngsi_ld.problems import NgsiError, not_found

# --------------------------------------------------------------------------- ids → entities


@dataclass
class Ref:
    """What an NGSI-LD id stands for: its row, and its station for a mapped type."""

    id: str
    type: str
    row: NgsiEntity | None
    station: Entity | None = None
    info: TypeInfo | None = None  # None: a generic entity

    @property
    def generic(self) -> bool:
        """A generic entity (attributes on its row)."""
        return self.info is None

    @property
    def exists(self) -> bool:
        """Visible to queries (not deleted; a station that is active)."""
        if self.info is None:
            return self.row is not None and self.row.deleted_at is None
        if self.station is None or not self.station.active:
            return False
        return self.row is None or self.row.deleted_at is None


def lookup_many(
    session: Session, registry: Registry, tenant: str, ids: Iterable[str]
) -> dict[str, Ref]:
    """``{id: Ref}`` for the ids that have a row, or (default tenant) that are the canonical id
    of a station no row names. At most three queries for a whole batch; one when every id has a
    row (the rows come with the stations they name)."""
    wanted = sorted(set(ids))
    out: dict[str, Ref] = {}
    rows: dict[str, NgsiEntity] = {}
    stations: dict[str, Entity] = {}
    for start in range(0, len(wanted), 500):
        for row, named in session.execute(
            select(NgsiEntity, Entity)
            .outerjoin(Entity, Entity.code == NgsiEntity.entity_code)
            .where(
                NgsiEntity.tenant == tenant, NgsiEntity.entity_id.in_(wanted[start : start + 500])
            )
        ):
            rows[row.entity_id] = row
            if named is not None:
                stations[named.code] = named
    canonical: dict[str, tuple[str, TypeInfo]] = {}
    if tenant == DEFAULT_TENANT:
        infos = all_types(registry)
        for entity_id in wanted:
            if entity_id in rows:
                continue
            for info in infos:
                prefix = f"urn:ngsi-ld:{info.name}:"
                if entity_id.startswith(prefix) and 0 < len(entity_id) - len(prefix) <= 64:
                    canonical[entity_id] = (entity_id[len(prefix) :], info)
                    break
    # A code a row names with no station joined has none: only canonical ids are left to read.
    stations.update(load_entities(session, {c for c, _ in canonical.values()} - stations.keys()))
    claimed = claimed_codes(session, [c for c, _ in canonical.values()])
    types: dict[str, TypeInfo | None] = {}  # a batch's rows share a few types
    for entity_id, row in rows.items():
        if row.entity_code is None:
            out[entity_id] = Ref(entity_id, row.type, row)
            continue
        if row.type not in types:
            types[row.type] = type_info(registry, row.type)
        mapped = types[row.type]
        if mapped is None:
            continue  # a type no pack maps any more
        out[entity_id] = Ref(entity_id, row.type, row, stations.get(row.entity_code), mapped)
    for entity_id, (code, info) in canonical.items():
        station = stations.get(code)
        if (
            station is None
            or code in claimed
            or station.type != info.mapping.entity_type
            or station.pack != info.pack
        ):
            continue
        out[entity_id] = Ref(entity_id, info.name, None, station, info)
    return out


def claimed_codes(session: Session, codes: Iterable[str]) -> set[str]:
    """The station codes among ``codes`` that an ``ngsi_entities`` row names."""
    wanted = sorted(set(codes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            c
            for c in session.execute(
                select(NgsiEntity.entity_code).where(
                    NgsiEntity.entity_code.in_(wanted[start : start + 500])
                )
            ).scalars()
            if c is not None
        )
    return found


def lookup(session: Session, registry: Registry, tenant: str, entity_id: str) -> Ref | None:
    """The entity with id ``entity_id`` (deleted ones too), or None."""
    return lookup_many(session, registry, tenant, [entity_id]).get(entity_id)


def find(session: Session, registry: Registry, tenant: str, entity_id: str) -> Ref:
    """The existing entity with id ``entity_id``: 404 ResourceNotFound if none."""
    check_id(entity_id)
    ref = lookup(session, registry, tenant, entity_id)
    if ref is None or not ref.exists:
        raise not_found(f"no entity {entity_id}")
    return ref


def _code_candidates(entity_id: str) -> list[str]:
    """The station codes a new entity may take, best first: its last segment, else that
    segment shortened plus 8 (then 16) characters of a SHA-256 of the full id."""
    suffix = id_suffix(entity_id).strip() or "ngsi"
    digest = hashlib.sha256(entity_id.encode()).hexdigest()
    candidates = [suffix] if len(suffix) <= 64 else []
    candidates += [f"{suffix[:55].rstrip()}-{digest[:8]}", f"{suffix[:47].rstrip()}-{digest[:16]}"]
    return candidates


class CodeAllocator:
    """Free station codes for the new entities of a batch. The codes their candidates would
    take are read for the whole batch at once (two queries, not two per new entity); codes
    given earlier in the batch are taken too."""

    def __init__(self, session: Session, entity_ids: Iterable[str]) -> None:
        wanted = sorted({c for entity_id in set(entity_ids) for c in _code_candidates(entity_id)})
        self._busy: set[str] = claimed_codes(session, wanted)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            self._busy.update(
                session.execute(select(Entity.code).where(Entity.code.in_(chunk))).scalars()
            )

    def allocate(self, entity_id: str) -> str:
        """A free station code for the new entity ``entity_id`` (NgsiError when none is)."""
        for code in _code_candidates(entity_id):
            if code not in self._busy:
                self._busy.add(code)
                return code
        raise NgsiError("AlreadyExists", f"{entity_id}: no free station code")
