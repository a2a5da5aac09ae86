"""The NGSI-LD types a pack maps onto an IOC entity type (``AirQualityObserved`` → station)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ioc.core.models import Entity
from ioc.core.registry import NgsiType, Registry
from ioc.engines.ngsi_ld.context import compact
from ioc.engines.ngsi_ld.entities.terms import META

# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class TypeInfo:
    """A mapped NGSI-LD type: its name, the pack that owns it and the mapping."""

    name: str
    pack: str
    mapping: NgsiType

    @cached_property
    def by_indicator(self) -> dict[str, str]:
        """``{indicator code: attribute}``: the (first) attribute a reading's indicator
        comes from."""
        out: dict[str, str] = {}
        for attr, indicator in self.mapping.attributes.items():
            out.setdefault(indicator, attr)
        return out


def type_info(registry: Registry, name: str) -> TypeInfo | None:
    """The mapping of NGSI-LD type ``name`` (short name or full IRI of a served context)."""
    found = registry.ngsi_type(compact(name))
    if found is None:
        return None
    return TypeInfo(compact(name), found[0], found[1])


def all_types(registry: Registry) -> list[TypeInfo]:
    """Every mapped NGSI-LD type, in pack order."""
    return [TypeInfo(n, p.name, m) for p in registry.packs for n, m in p.ngsi_types.items()]


def type_for_entity(registry: Registry, entity: Entity) -> TypeInfo | None:
    """The NGSI-LD type an IOC entity is shown as (its stored type, else the first mapping)."""
    meta = (entity.attributes or {}).get(META) or {}
    stored = meta.get("type") if isinstance(meta, dict) else None
    candidates = [
        t
        for t in all_types(registry)
        if t.pack == entity.pack and t.mapping.entity_type == entity.type
    ]
    for t in candidates:
        if t.name == stored:
            return t
    return candidates[0] if candidates else None


def canonical_id(entity: Entity, info: TypeInfo) -> str:
    """The id of a station that no ``ngsi_entities`` row names: ``urn:ngsi-ld:<type>:<code>``."""
    return f"urn:ngsi-ld:{info.name}:{entity.code}"
