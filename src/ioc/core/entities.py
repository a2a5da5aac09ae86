"""Entities (đối tượng quan sát): the generic create-or-update action used by input doors
(NGSI-LD, MQTT …) that do not belong to one pack. Every change writes one audit row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core import audit, i18n
from ioc.core.models import Entity

_FIELDS = ("name", "name_folded", "lat", "lon", "attributes")


class EntityError(ValueError):
    """A refused entity change; the message names the field."""


def load_entities(session: Session, codes: Iterable[str]) -> dict[str, Entity]:
    """Existing entities by code, in one query (for batch callers of :func:`upsert_entity`)."""
    wanted = sorted(set(codes))
    out: dict[str, Entity] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for entity in session.execute(select(Entity).where(Entity.code.in_(chunk))).scalars():
            out[entity.code] = entity
    return out


def upsert_entity(
    session: Session,
    actor: audit.Actor,
    *,
    code: str,
    type: str,
    pack: str,
    name: str,
    lat: float | None,
    lon: float | None,
    attributes: dict[str, Any],
    known: dict[str, Entity] | None = None,
) -> tuple[Entity, bool]:
    """Create or update the entity ``code``; returns ``(entity, created)``.

    ``known`` is a preloaded ``{code: Entity}`` (from :func:`load_entities`): when given, a code
    missing from it is taken as new and no query is made. An existing entity of another type
    or pack is refused (codes are unique across the IOC).
    """
    code = code.strip()
    if not code or len(code) > 64:
        raise EntityError("code: mã đối tượng phải có 1–64 ký tự / code must have 1–64 characters")
    name = (name or code).strip()[:200] or code
    if (lat is None) != (lon is None):
        raise EntityError("lat/lon: cần cả hai hoặc không / give both or neither")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise EntityError("lat/lon: tọa độ không hợp lệ / coordinates out of range")
    if known is not None:
        entity = known.get(code)
    else:
        entity = session.execute(select(Entity).where(Entity.code == code)).scalar_one_or_none()
    values: dict[str, Any] = {
        "name": name,
        "name_folded": i18n.fold(name),
        "lat": lat,
        "lon": lon,
        "attributes": attributes,
    }
    if entity is None:
        entity = Entity(code=code, type=type, pack=pack, active=True, **values)
        session.add(entity)
        session.flush()
        if known is not None:
            known[code] = entity
        audit.record(session, actor, "entity.create", "entity", entity.id, code=code, type=type)
        return entity, True
    if entity.type != type or entity.pack != pack:
        raise EntityError(
            f"code: mã {code} đã dùng cho đối tượng loại {entity.type} / "
            f"code already used by an entity of type {entity.type}"
        )
    changed = [k for k in _FIELDS if getattr(entity, k) != values[k]]
    for key in changed:
        setattr(entity, key, values[key])
    if not entity.active:
        entity.active = True
        changed.append("active")
    if changed:
        audit.record(session, actor, "entity.update", "entity", entity.id, fields=sorted(changed))
    return entity, False
