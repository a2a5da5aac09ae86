"""NGSI-LD full ids, generic entities, subscriptions (issue 14)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

An NGSI-LD entity is its full id: ``ngsi_entities`` stores it and names its station explicitly
(``entity_code``). Existing stations of the mapped types get their row here: the id they were
created with (``attributes["ngsi-ld"]["id"]``) or else the canonical
``urn:ngsi-ld:<type>:<code>``, so what clients used before keeps working.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The NGSI-LD types the packs mapped when this migration was written: (pack, station type) →
# NGSI-LD type. Frozen here on purpose (a migration must not change with the packs).
MAPPED = {
    ("environment", "AirQualityStation"): "AirQualityObserved",
    ("environment", "WaterQualityStation"): "WaterQualityObserved",
    ("environment", "NoiseStation"): "NoiseLevelObserved",
    ("environment", "WeatherStation"): "WeatherObserved",
    ("security_traffic", "TrafficFlowSensor"): "TrafficFlowObserved",
}


def upgrade() -> None:
    op.create_table(
        "ngsi_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=512), nullable=False),
        sa.Column("type", sa.String(length=256), nullable=False),
        sa.Column("entity_code", sa.String(length=64), nullable=True),
        sa.Column("attrs", sa.JSON(), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("agency_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("modified_at", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ngsi_entities")),
        sa.UniqueConstraint("tenant", "entity_id", name=op.f("uq_ngsi_entities_tenant_entity_id")),
    )
    op.create_index(op.f("ix_ngsi_entities_type"), "ngsi_entities", ["type"], unique=False)
    op.create_index(
        op.f("ix_ngsi_entities_entity_code"), "ngsi_entities", ["entity_code"], unique=False
    )
    op.create_table(
        "ngsi_attr_values",
        sa.Column("entity_ref", sa.Integer(), nullable=False),
        sa.Column("attr", sa.String(length=256), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_ref"],
            ["ngsi_entities.id"],
            name=op.f("fk_ngsi_attr_values_entity_ref_ngsi_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_ref", "attr", "ts", name=op.f("pk_ngsi_attr_values")),
    )
    op.create_table(
        "ngsi_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("sub_id", sa.String(length=512), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("throttling", sa.Integer(), nullable=False),
        sa.Column("contact_point", sa.String(length=120), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("agency_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("modified_at", sa.BigInteger(), nullable=False),
        sa.Column("last_notification", sa.BigInteger(), nullable=True),
        sa.Column("times_sent", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ngsi_subscriptions")),
        sa.UniqueConstraint("tenant", "sub_id", name=op.f("uq_ngsi_subscriptions_tenant_sub_id")),
    )
    _backfill()


def _backfill() -> None:
    """A row for every existing station of a mapped type (its NGSI-LD id, stated explicitly)."""
    conn = op.get_bind()
    entities = sa.table(
        "entities",
        sa.column("code", sa.String),
        sa.column("type", sa.String),
        sa.column("pack", sa.String),
        sa.column("attributes", sa.JSON),
    )
    rows = sa.table(
        "ngsi_entities",
        sa.column("tenant", sa.String),
        sa.column("entity_id", sa.String),
        sa.column("type", sa.String),
        sa.column("entity_code", sa.String),
        sa.column("attrs", sa.JSON),
        sa.column("created_at", sa.BigInteger),
        sa.column("modified_at", sa.BigInteger),
    )
    now = int(time.time())
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    found = conn.execute(
        sa.select(entities.c.code, entities.c.type, entities.c.pack, entities.c.attributes)
    )
    for code, kind, pack, attributes in found:
        ngsi_type = MAPPED.get((pack, kind))
        if ngsi_type is None:
            continue
        attrs = json.loads(attributes) if isinstance(attributes, str) else attributes
        meta = (attrs or {}).get("ngsi-ld") if isinstance(attrs, dict) else None
        stored_id = meta.get("id") if isinstance(meta, dict) else None
        stored_type = meta.get("type") if isinstance(meta, dict) else None
        entity_id = stored_id if isinstance(stored_id, str) else f"urn:ngsi-ld:{ngsi_type}:{code}"
        if entity_id in seen or len(entity_id) > 512:
            continue
        seen.add(entity_id)
        out.append(
            {
                "tenant": "",
                "entity_id": entity_id,
                "type": stored_type if isinstance(stored_type, str) else ngsi_type,
                "entity_code": code,
                "attrs": {},
                "created_at": now,
                "modified_at": now,
            }
        )
    if out:
        op.bulk_insert(rows, out)


def downgrade() -> None:
    op.drop_table("ngsi_subscriptions")
    op.drop_table("ngsi_attr_values")
    op.drop_index(op.f("ix_ngsi_entities_entity_code"), table_name="ngsi_entities")
    op.drop_index(op.f("ix_ngsi_entities_type"), table_name="ngsi_entities")
    op.drop_table("ngsi_entities")
