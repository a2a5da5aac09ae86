"""Intake settings: API batches and file imports, the MQTT connector, NGSI-LD tenants, commune
boundaries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IntakeSettings(BaseModel):
    """How data comes in: API batches, file imports, the MQTT connector, NGSI-LD tenants and
    commune boundaries."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    ingest_max_rows: int = 50_000
    """Largest batch ``POST /api/v1/observations`` accepts in one request."""

    import_xlsx_max_unzipped_mb: int = Field(default=50, ge=1, le=2048)
    """Largest uploaded XLSX accepted, in megabytes once unzipped (the sum of its parts' sizes,
    checked before the file is parsed: refuses "zip bombs" such as a small file of millions of
    blank rows)."""

    mqtt_enabled: bool = False
    """Run the MQTT connector inside ``ioc serve`` (one web worker only; or run
    ``ioc ingest mqtt`` as its own process instead)."""

    mqtt_host: str = "127.0.0.1"
    """MQTT broker host name or address."""

    mqtt_port: int = 1883
    """MQTT broker port (8883 is the usual port with TLS)."""

    mqtt_username: str = ""
    """User name for the broker; empty for anonymous access."""

    mqtt_password: str = ""
    """Password for the broker."""

    mqtt_tls: bool = False
    """Connect to the broker over TLS."""

    mqtt_ca_file: str = ""
    """CA certificate file (PEM) to verify the broker with; empty uses the system store."""

    mqtt_client_id: str = "ioc-dak-lak"
    """Fixed MQTT client id: the broker keeps this session's subscriptions and unacknowledged
    messages while the connector is away. Each connector process needs its own."""

    mqtt_topics: str = "ioc/+/readings,ioc/+/sdm"
    """Comma-separated topic patterns to subscribe to (QoS 1). A topic ending in ``readings``
    carries plain JSON readings, ``sdm`` Smart Data Models entities, or a pack decoder's name."""

    mqtt_batch_size: int = 1000
    """Most messages stored in one transaction (a micro-batch)."""

    mqtt_batch_ms: int = 200
    """Longest wait, in milliseconds, to fill a micro-batch before it is stored."""

    mqtt_session_expiry_s: int = 7 * 86400
    """How long the broker keeps the connector's session (and its undelivered messages) while
    the connector is disconnected, in seconds."""

    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    """MQTT version. ``5`` (default) tells the broker how many unacknowledged messages it may
    send (Receive Maximum 65535), so bursts wait in flight instead of overflowing the broker's
    queue; ``3.1.1`` is a little faster but needs ``max_inflight_messages 0`` and
    ``max_queued_messages 0`` on the broker (see engines/mqtt/README.md)."""

    mqtt_share_group: str = ""
    """MQTT 5 shared subscription group (e.g. ``ioc``): every topic is subscribed as
    ``$share/<group>/<topic>`` and the broker hands each message to one connector of the
    group, so ``ioc ingest mqtt`` can run as several processes, each with its own client id
    (``ioc ingest mqtt --instance N``). Empty: one connector receives every message."""

    geo_snap_metres: float = Field(default=500.0, ge=0, le=20_000)
    """Maps: a point outside every commune boundary but at most this many metres from the
    nearest one (just offshore, or in a gap between imported boundaries) is placed in that
    commune; farther away it is refused as outside the province."""

    geo_overlap_tolerance: float = Field(default=0.005, ge=0, le=0.5)
    """Maps: ``ioc geo import communes`` refuses two boundaries that overlap by more than this
    fraction of the smaller one's area (0.005 = 0.5 %; digitising slivers below it pass)."""

    ngsi_ld_tenants: str = ""
    """NGSI-LD: tenants (``NGSILD-Tenant`` header) besides the default one, comma-separated,
    e.g. ``thuy-loi,giao-thong``. Each is a separate space of generic entities; a request naming
    any other tenant is answered 404 NonexistentTenant. Empty: only the default tenant."""
