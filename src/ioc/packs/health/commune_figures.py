"""Disease surveillance per commune for the commune scorecards (``/xa``): how many diseases
give an EARS signal (a method whose alert rule is on breaches its threshold) in the last
complete week, by the pack's own :func:`ioc.packs.health.surveillance.surveillance`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from ioc.core import clock
from ioc.core.registry import CommuneFigure


def figures(session: Session, day: date) -> list[CommuneFigure]:
    """``hl.ears`` per commune; a commune that reports no case series has no figure."""
    from ioc.engines.alerting import ears
    from ioc.packs.health import geo, surveillance

    end = datetime.combine(day + timedelta(days=1), time(0), clock.local_zone()).astimezone(UTC)
    now_ts = int(min(clock.now(), end).timestamp())
    communes = geo.communes(session)
    signals: dict[str, float | None] = {}
    for disease in surveillance.DISEASES:
        found = surveillance.surveillance(session, disease, communes, now_ts, ears.needed("c3"))
        for row in found.rows:
            if not row.reported:
                continue
            signals[row.code] = (signals.get(row.code) or 0.0) + (1 if row.alarm else 0)
    if not signals:
        return []
    return [
        CommuneFigure(
            "hl.ears", "Tín hiệu dịch bệnh (EARS)", "Outbreak signals (EARS)", "bệnh", "down",
            signals, 0, "tuần gần nhất", "last complete week", "/health/communes/{code}",
        )
    ]  # fmt: skip
