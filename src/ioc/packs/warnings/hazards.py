"""What a warning can be about, and the CAP 1.2 enumerations the form offers.

Labels are in the message catalog (``messages_warnings.yaml``): ``wr.hazard.<key>``,
``wr.severity.<Value>``, ``wr.urgency.<Value>``, ``wr.certainty.<Value>``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hazard:
    """A hazard type: its key, CAP ``category`` and the ``event`` text in each language."""

    key: str
    category: str
    event_vi: str
    event_en: str


HAZARDS: tuple[Hazard, ...] = (
    Hazard("storm", "Met", "Bão, áp thấp nhiệt đới", "Storm, tropical depression"),
    Hazard("flood", "Met", "Lũ, ngập lụt", "Flood"),
    Hazard("flash_flood", "Met", "Lũ quét", "Flash flood"),
    Hazard("landslide", "Geo", "Sạt lở đất", "Landslide"),
    Hazard("heavy_rain", "Met", "Mưa lớn", "Heavy rain"),
    Hazard("strong_wind", "Met", "Gió mạnh", "Strong wind"),
    Hazard("heat", "Met", "Nắng nóng", "Heat wave"),
    Hazard("drought", "Env", "Hạn hán, thiếu nước", "Drought"),
    Hazard("forest_fire", "Fire", "Cháy rừng", "Forest fire"),
    Hazard("air_quality", "Env", "Ô nhiễm không khí", "Air pollution"),
    Hazard("outbreak", "Health", "Dịch bệnh", "Disease outbreak"),
    Hazard("water_cut", "Infra", "Tạm ngừng cấp nước", "Water supply cut"),
    Hazard("power_cut", "Infra", "Tạm ngừng cấp điện", "Power cut"),
    Hazard("other", "Other", "Cảnh báo khác", "Other warning"),
)
BY_KEY: dict[str, Hazard] = {h.key: h for h in HAZARDS}

# CAP 1.2 enumerations, most serious first (the schema's own values).
SEVERITIES: tuple[str, ...] = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES: tuple[str, ...] = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES: tuple[str, ...] = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
MSG_TYPES: tuple[str, ...] = ("Alert", "Update", "Cancel")

# Page colours of the severities (public page, lists).
SEVERITY_COLORS: dict[str, str] = {
    "Extreme": "#7b1fa2",
    "Severe": "#c62828",
    "Moderate": "#ef6c00",
    "Minor": "#f9a825",
    "Unknown": "#607d8b",
}
