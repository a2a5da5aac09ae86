"""MQTT payload decoders: one message (topic, payload bytes) → ingestion row dicts.

Built in: ``readings`` (plain JSON readings) and ``sdm`` (Smart Data Models entities). Packs add
their own through ``PackManifest.mqtt_decoders``; the topic's last level names the decoder
(``ioc/gw-01/readings`` → ``readings``). A topic whose last level names no decoder is sniffed:
an object with ``type`` and ``id`` is an SDM entity, anything else plain readings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ioc.core.registry import Registry
from ioc.engines.ingestion.sdm import SdmError, read_entity

Decoder = Callable[[str, bytes], list[dict[str, Any]]]

PLAIN = "readings"
SDM = "sdm"


class DecodeError(ValueError):
    """A message that cannot be turned into readings; ``reason`` says why (vi / en)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _json(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"JSON không hợp lệ / invalid JSON: {exc}") from exc


def decode_plain(_topic: str, payload: bytes) -> list[dict[str, Any]]:
    """``{"indicator", "entity"|"area", "time", "value", …}``, a list of those, or
    ``{"observations": [...]}``. Items are checked later by ingestion validation."""
    doc = _json(payload)
    if isinstance(doc, dict):
        inner = doc.get("observations")
        if inner is not None:
            if not isinstance(inner, list):
                raise DecodeError('"observations" phải là danh sách / must be a list')
            return inner
        return [doc]
    if isinstance(doc, list):
        return doc
    raise DecodeError("Cần đối tượng hoặc danh sách JSON / expected a JSON object or list")


def _entities(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and "type" not in doc and isinstance(doc.get("data"), list):
        return list(doc["data"])  # an NGSI subscription notification: {"data": [entity, ...]}
    return [doc]


def make_sdm_decoder(registry: Registry) -> Decoder:
    """The ``sdm`` decoder: entities of the types the packs map (``NgsiType``), key-values or
    normalized, one entity or a list."""

    def decode_sdm(_topic: str, payload: bytes) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for entity in _entities(_json(payload)):
            if not isinstance(entity, dict):
                raise DecodeError("Thực thể SDM phải là đối tượng JSON / entity must be an object")
            type_name = entity.get("type")
            if not isinstance(type_name, str) or not type_name:
                raise DecodeError("Thực thể SDM thiếu type / SDM entity has no type")
            found = registry.ngsi_type(type_name)
            if found is None:
                raise DecodeError(
                    f"Kiểu SDM chưa được hỗ trợ / unsupported SDM type: {type_name[:100]}"
                )
            try:
                read = read_entity(entity, found[1])
            except SdmError as exc:
                raise DecodeError(f"{str(entity.get('id'))[:200]}: {exc}") from exc
            rows.extend(read.rows)
        return rows

    return decode_sdm


def _looks_sdm(payload: bytes) -> bool:
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return False
    first = doc[0] if isinstance(doc, list) and doc else doc
    return isinstance(first, dict) and "type" in first and "id" in first


class Decoders:
    """The decoders of this process: built-ins plus every pack's."""

    def __init__(self, registry: Registry) -> None:
        self._by_name: dict[str, Decoder] = {PLAIN: decode_plain, SDM: make_sdm_decoder(registry)}
        for pack in registry.packs:
            for name, decoder in pack.mqtt_decoders.items():
                if name in self._by_name:
                    raise ValueError(f"MQTT decoder {name!r} of pack {pack.name} already exists")
                self._by_name[name] = decoder

    @property
    def names(self) -> list[str]:
        """Decoder names (topic last levels they serve)."""
        return sorted(self._by_name)

    def name_for(self, topic: str, payload: bytes) -> str:
        """Which decoder reads this message: by the topic's last level, else by sniffing."""
        name = topic.rsplit("/", 1)[-1]
        if name in self._by_name:
            return name
        return SDM if _looks_sdm(payload) else PLAIN

    def decode(self, topic: str, payload: bytes) -> list[dict[str, Any]]:
        """Rows of one message; raises :class:`DecodeError` with the reason."""
        name = self.name_for(topic, payload)
        try:
            rows = self._by_name[name](topic, payload)
        except DecodeError:
            raise
        except ValueError as exc:  # a pack decoder's refusal
            raise DecodeError(f"{name}: {exc}") from exc
        except Exception as exc:  # a pack decoder's bug must not stop the stream
            raise DecodeError(f"{name}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(rows, list):
            raise DecodeError(f"{name}: bộ giải mã không trả về danh sách / returned no list")
        if not rows:
            raise DecodeError("Tin nhắn không có số liệu / message carries no readings")
        return rows
