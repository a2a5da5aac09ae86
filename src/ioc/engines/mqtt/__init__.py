"""MQTT connector: readings and Smart Data Models entities from a broker (see README.md)."""

from ioc.engines.mqtt.connector import MqttConnector, Stats
from ioc.engines.mqtt.decoders import DecodeError, Decoders
from ioc.engines.mqtt.store import payload_from_text, payload_to_text, replay
from ioc.engines.mqtt.transport import MemoryTransport, Message, PahoTransport, Transport

__all__ = [
    "DecodeError",
    "Decoders",
    "MemoryTransport",
    "Message",
    "MqttConnector",
    "PahoTransport",
    "Stats",
    "Transport",
    "payload_from_text",
    "payload_to_text",
    "replay",
]
