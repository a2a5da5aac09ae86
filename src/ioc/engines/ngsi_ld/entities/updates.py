"""Partial updates of an entity's attributes and deletion of entities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.ownership import WriteScope
from ioc.core.registry import Registry
from ioc.engines.ngsi_ld.context import compact
from ioc.engines.ngsi_ld.entities.reading import normalized
from ioc.engines.ngsi_ld.entities.refs import Ref, find, lookup_many
from ioc.engines.ngsi_ld.entities.terms import DEFAULT_TENANT, META, check_id, now_ts
from ioc.engines.ngsi_ld.entities.writing import (
    BatchResult,
    Change,
    _generic_refusal,
    write_entities,
)
from ioc.engines.ngsi_ld.models import NgsiEntity
from ioc.engines.ngsi_ld.problems import NgsiError, bad_request, problem


@dataclass
class UpdateResult:
    """``PATCH /entities/{id}/attrs``: attributes updated and those not present."""

    updated: list[str]
    not_updated: list[dict[str, str]]
    changes: list[Change] = field(default_factory=list)


def update_attrs(
    session: Session,
    registry: Registry,
    entity_id: str,
    fragment: Any,
    *,
    offset: int,
    actor: audit.Actor | None = None,
    scope: WriteScope | None = None,
    may_manage: bool = True,
    tenant: str = DEFAULT_TENANT,
) -> UpdateResult:
    """Update the attributes of an entity that it already has; others are reported."""
    ref = find(session, registry, tenant, entity_id)
    if not isinstance(fragment, dict):
        raise bad_request("the body must be a JSON object of attributes")
    fragment = {compact(k): v for k, v in fragment.items() if k != "@context"}
    doc = normalized(session, registry, [ref])[ref.id]
    present = set(doc) - {"id", "type"}
    if (
        ref.info is not None
        and ref.station is not None
        and META not in (ref.station.attributes or {})
    ):
        present |= set(ref.info.mapping.attributes)
    apply: dict[str, Any] = {}
    updated: list[str] = []
    not_updated: list[dict[str, str]] = []
    for key, expected in (("id", entity_id), ("type", ref.type)):
        if key in fragment and compact(str(fragment[key])) != expected:
            raise bad_request(f"{key}: does not match the entity ({expected})")
    for key, value in fragment.items():
        if key in ("id", "type"):
            continue
        if key in present:
            apply[key] = value
            updated.append(key)
        else:
            not_updated.append({"attributeName": key, "reason": "the entity has no such attribute"})
    changes: list[Change] = []
    if updated:
        now = clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = write_entities(
            session,
            [apply],
            registry,
            mode="update",
            offset=offset,
            actor=actor,
            targets={0: (entity_id, ref.type)},
            default_time=now,
            scope=scope,
            may_manage=may_manage,
            tenant=tenant,
        )
        if result.errors:
            err = result.errors[0]["error"]
            raise NgsiError(err["type"].rsplit("/", 1)[-1], err["detail"], err["status"])
        changes = result.changes
    return UpdateResult(updated, not_updated, changes)


def _delete_refusal(entity_id: str, ref: Ref, scope: WriteScope, may_manage: bool) -> str | None:
    """Why the caller may not delete the entity ``ref`` (``None``: they may)."""
    if ref.info is None:
        assert ref.row is not None
        refusal = _generic_refusal(entity_id, ref.row, scope, may_manage)
    else:
        assert ref.station is not None
        refusal = None
        if not scope.may_entity(ref.station.code, ref.station.agency_code, ref.station.area_code):
            refusal = (
                f"{entity_id}: đối tượng thuộc đơn vị khác / the entity belongs to another agency"
            )
    if refusal is None and not may_manage:
        refusal = f"{entity_id}: xoá đối tượng cần quyền manage / deleting needs the manage scope"
    return refusal


def delete_entities(
    session: Session,
    registry: Registry,
    entity_ids: list[Any],
    *,
    actor: audit.Actor | None = None,
    scope: WriteScope | None = None,
    may_manage: bool = True,
    tenant: str = DEFAULT_TENANT,
) -> BatchResult:
    """Delete entities: they leave every query; a station is deactivated; history is kept (the
    province's retention rules apply to it), and creating the same id again works."""
    scope = scope or WriteScope.province()
    result = BatchResult()
    valid: list[str] = []
    for raw in entity_ids:
        try:
            valid.append(check_id(raw))
        except NgsiError as exc:
            result.fail(raw, exc.body())
    refs = lookup_many(session, registry, tenant, valid)
    now = now_ts()
    who = actor or audit.Actor.system("ngsi-ld")
    for entity_id in dict.fromkeys(valid):
        ref = refs.get(entity_id)
        if ref is None or not ref.exists:
            result.fail(entity_id, problem("ResourceNotFound", f"no entity {entity_id}"))
            continue
        refusal = _delete_refusal(entity_id, ref, scope, may_manage)
        if refusal is not None:
            result.fail(entity_id, problem("about:blank", refusal, 403))
            result.denied.append(entity_id)
            continue
        row = ref.row
        if row is None:
            assert ref.station is not None
            row = NgsiEntity(
                tenant=tenant,
                entity_id=entity_id,
                type=ref.type,
                entity_code=ref.station.code,
                attrs={},
                created_at=now,
                modified_at=now,
            )
            session.add(row)
        row.deleted_at = now
        row.modified_at = now
        if ref.station is not None:
            ref.station.active = False
            audit.record(
                session,
                who,
                "entity.delete",
                "entity",
                ref.station.id,
                code=ref.station.code,
                ngsi_id=entity_id,
            )
        else:
            audit.record(session, who, "ngsi.entity_delete", "ngsi_entity", row.id, id=entity_id)
        result.updated.append(entity_id)
        result.changes.append(Change(entity_id, ref.type, [], deleted=True))
    session.flush()
    return result
