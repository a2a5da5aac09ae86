"""Connector settings, read from ``IOC_MQTT_*`` (see docs/settings.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ioc.core.clock import fixed_offset_seconds
from ioc.engines.actions_kit import same_named
from ioc.settings import Settings

SHARE_GROUP = re.compile(r"[A-Za-z0-9_-]{1,64}")

_AS_SET = "host port username password tls ca_file client_id batch_size batch_ms protocol"
"""The fields taken unchanged from the ``mqtt_<field>`` setting."""


@dataclass(frozen=True)
class MqttConfig:
    """Everything the connector needs from the settings, checked once."""

    host: str
    port: int
    username: str
    password: str
    tls: bool
    ca_file: str
    client_id: str
    topics: tuple[str, ...]
    batch_size: int
    batch_ms: int
    session_expiry_s: int
    protocol: str  # "5" or "3.1.1"
    offset: int  # seconds east of UTC of the local zone (for hour/day rollups)
    share_group: str = ""  # MQTT 5 shared subscription group ("" = a plain subscription)

    @classmethod
    def from_settings(cls, settings: Settings) -> MqttConfig:
        """Read and check the ``mqtt_*`` settings."""
        topics = tuple(t.strip() for t in settings.mqtt_topics.split(",") if t.strip())
        if not topics:
            raise ValueError("IOC_MQTT_TOPICS: cần ít nhất một chủ đề / needs at least one topic")
        if settings.mqtt_batch_size < 1 or settings.mqtt_batch_ms < 1:
            raise ValueError("IOC_MQTT_BATCH_SIZE and IOC_MQTT_BATCH_MS must be positive")
        group = settings.mqtt_share_group.strip()
        if group and not SHARE_GROUP.fullmatch(group):
            raise ValueError(
                "IOC_MQTT_SHARE_GROUP: chỉ gồm chữ, số, '-' và '_' / "
                "letters, digits, '-' and '_' only"
            )
        if group and any(t.startswith("$share/") for t in topics):
            raise ValueError(
                "IOC_MQTT_TOPICS: không ghi $share/ khi đã đặt IOC_MQTT_SHARE_GROUP / "
                "no $share/ prefix when IOC_MQTT_SHARE_GROUP is set"
            )
        return cls(
            **same_named(settings, _AS_SET, prefix="mqtt_"),
            topics=topics,
            session_expiry_s=max(settings.mqtt_session_expiry_s, 0),
            offset=fixed_offset_seconds(settings.timezone),
            share_group=group,
        )

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """The topic filters subscribed to: each topic as ``$share/<group>/<topic>`` in a
        share group (the broker hands each message to one member of the group), else as is."""
        if not self.share_group:
            return self.topics
        return tuple(f"$share/{self.share_group}/{t}" for t in self.topics)

    @property
    def receive_maximum(self) -> int:
        """Unacknowledged messages the broker may have in flight to us (MQTT 5 Receive
        Maximum), the protocol's largest: a burst then waits in flight, acknowledged batch by
        batch, instead of overflowing the broker's queue for this session
        (``max_queued_messages``, 1000 by default in Mosquitto, drops the excess)."""
        return 65535
