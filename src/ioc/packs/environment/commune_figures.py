"""Air quality per commune for the commune scorecards (``/xa``): the current VN_AQI of the
station nearest the commune's centre, within the map's 25 km (the same assignment as the
environment map's choropleth, :func:`ioc.packs.environment.queries.commune_aqi`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ioc.core.registry import CommuneFigure


def figures(session: Session, day: date) -> list[CommuneFigure]:
    """``env.aqi`` per commune (current values: the day is today's board); no station near or
    no current index is missing."""
    from ioc.packs.environment import queries

    summaries = queries.station_summaries(session, "vi")
    if not summaries:
        return []
    layer = queries.commune_aqi(session, summaries, "vi")
    values: dict[str, float | None] = {
        code: None if v is None else float(v) for code, v in layer["values"].items()
    }
    return [
        CommuneFigure(
            "env.aqi", "Chất lượng không khí (VN_AQI)", "Air quality (VN_AQI)", "VN_AQI",
            "down", values, 0, "trạm gần nhất, hiện tại", "nearest station, now", "/environment",
        )
    ]  # fmt: skip
