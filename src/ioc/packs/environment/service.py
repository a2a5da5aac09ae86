"""Air-quality service: stations, VN_AQI derivation after commit, and the reads pages, APIs and
alert rules use.

VN_AQI is derived after ingestion (HTTP, file import, MQTT, NGSI-LD: every writer goes through
the series store), from the hourly rollups: a listener on the series store queues the work
inside the batch's transaction (durable exactly when the data is), the store wakes the derive
engine (``ioc.engines.derive``) when that transaction commits, and the engine recomputes the
index (``recompute_station``) in its own transaction, so a batch is never slowed down by the
index and never loses it.

Each result has one home, the table ``env_aqi`` (hourly and daily index with its dominant
pollutant and sub-indices); no series is written for it. Everything reads it there: the
station pages and the API (:func:`aqi_points`, :func:`latest_points`), the map chart and the
overview tile's trend (``queries.hourly_by_station``, ``queries.daily_worst``), and the AQI
alert rules through the record source ``environment.aqi_hour`` (``queries.aqi_hour_records``).
The hourly and daily indices of a span are computed together with numpy (``aqi_vector``), equal
hour by hour and day by day to the scalar references ``aqi.hourly_aqi`` and ``aqi.daily_aqi``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Unpack

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ioc.core import audit, i18n
from ioc.core.models import Area, Entity, Indicator, Series
from ioc.core.rollups import read_hourly_rows
from ioc.core.series import (
    DAY,
    HOUR,
    WriteResult,
    day_bucket,
    hour_bucket,
    read_hourly_means,
)
from ioc.engines import geo
from ioc.engines.actions_kit import SiteFields
from ioc.engines.derive import enqueue_touched
from ioc.packs.environment import aqi
from ioc.packs.environment.aqi import Category
from ioc.packs.environment.aqi_vector import (
    IndexRow,
    daily_index_rows,
    hour_columns,
    hourly_index_rows,
)
from ioc.packs.environment.models import AirQualityIndex

PACK = "environment"
STATION_TYPE = "AirQualityStation"
POLLUTANTS = aqi.POLLUTANTS
# An hourly index older than this is not current: the AQI alert rules see no record for the
# station (the threshold rules over the former vn_aqi_hour series used the same max_age_s).
RECORD_MAX_AGE_S = 2 * HOUR


@dataclass
class Config:
    """Settings the derivation needs (set at start-up from ``IOC_*``)."""

    policy: aqi.AqiPolicy
    offset: int


_config = Config(policy=aqi.AqiPolicy(), offset=7 * HOUR)


def configure(policy: aqi.AqiPolicy, offset: int) -> None:
    """Apply the settings; called once at start-up."""
    _config.policy = policy
    _config.offset = offset


def local_offset() -> int:
    """The configured local UTC offset in seconds."""
    return _config.offset


def local_midnight(day: date) -> int:
    """UNIX seconds of local midnight starting ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) - _config.offset


def pm25_limit(day: date) -> float | None:
    """QCVN 05:2023 PM2.5 24-hour limit on ``day`` (50, then 45 from 2026-01-01)."""
    return _limit("pm25", "24h", day)


class StationError(ValueError):
    """A refused station change, with a message naming the field."""


def upsert_station(
    session: Session,
    actor: audit.Actor,
    *,
    attributes: dict[str, object] | None = None,
    entity_type: str = STATION_TYPE,
    **site: Unpack[SiteFields],
) -> Entity:
    """Create or update a monitoring station (by default an air station, Trạm quan trắc không
    khí); ``entity_type`` names another kind (e.g. ``WaterQualityStation``). A code already used
    by an entity of another type is refused. The station's commune is the commune of its point
    (``area_code`` is only checked to exist); a point outside the province is refused."""
    code, name, lat, lon = site["code"].strip(), site["name"], site["lat"], site["lon"]
    area_code = site.get("area_code")
    if not code or len(code) > 64:
        raise StationError("code: mã trạm không hợp lệ")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise StationError("lat/lon: tọa độ không hợp lệ")
    if area_code and session.execute(select(Area.id).where(Area.code == area_code)).first() is None:
        raise StationError(f"area_code: không có đơn vị hành chính {area_code}")
    entity = session.execute(select(Entity).where(Entity.code == code)).scalar_one_or_none()
    if entity is not None and entity.type != entity_type:
        raise StationError(f"code: mã {code} đã dùng cho đối tượng loại {entity.type}")
    try:
        area_code = geo.commune_for_point(session, lat, lon, area_code)
    except geo.GeoError as exc:
        raise StationError(f"lat/lon: {exc}") from exc
    values = {
        "name": name,
        "name_folded": i18n.fold(name),
        "lat": lat,
        "lon": lon,
        "area_code": area_code,
        "agency_code": site["agency_code"],
        "attributes": attributes or {},
    }
    if entity is None:
        entity = Entity(code=code, type=entity_type, pack=PACK, active=True, **values)
        session.add(entity)
        session.flush()
        audit.record(session, actor, "station.create", "entity", entity.id, code=code)
    else:
        changed = {k: v for k, v in values.items() if getattr(entity, k) != v}
        for key, value in changed.items():
            setattr(entity, key, value)
        if changed:
            audit.record(
                session, actor, "station.update", "entity", entity.id, fields=sorted(changed)
            )
    return entity


def stations(session: Session) -> list[Entity]:
    """Active air stations ordered by code."""
    return list(
        session.execute(
            select(Entity).where(Entity.type == STATION_TYPE, Entity.active).order_by(Entity.code)
        ).scalars()
    )


def station(session: Session, code: str) -> Entity | None:
    """One station by code."""
    return session.execute(
        select(Entity).where(Entity.type == STATION_TYPE, Entity.code == code)
    ).scalar_one_or_none()


def pollutant_series(
    session: Session, station_codes: Iterable[str]
) -> dict[str, dict[str, Series]]:
    """Pollutant series per station code: ``{code: {indicator: Series}}``."""
    codes = list(station_codes)
    out: dict[str, dict[str, Series]] = defaultdict(dict)
    if not codes:
        return out
    rows = session.execute(
        select(Series, Indicator.code)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .where(
            Series.subject_kind == "entity",
            Series.subject_code.in_(codes),
            Indicator.code.in_(POLLUTANTS),
        )
    )
    for series, indicator_code in rows:
        out[series.subject_code][indicator_code] = series
    return out


# ------------------------------------------------------------------ derivation on write


DERIVE_KIND = "environment.aqi"


def on_observations_written(session: Session, result: WriteResult) -> None:
    """Listener: queue VN_AQI recomputation for the stations and hours a batch touched.

    The work is queued in the batch's transaction and done by the derive engine right after
    its commit (``recompute_station``), so a batch is never slowed down by the index and never
    loses it.
    """
    enqueue_touched(session, result, DERIVE_KIND, POLLUTANTS)


# The derive engine calls recompute_station once per station per round: its statements are
# the driver's own SQL (``{0}`` is its placeholder: ``?`` for SQLite, ``%s`` for psycopg), so
# each call pays no SQLAlchemy statement building, parameter naming or ORM bookkeeping (about
# half the derive time of a streaming round once went there).
_STATION_SERIES = (
    "SELECT e.id, s.id, i.code, s.latest_ts FROM entities e "
    "LEFT JOIN series s ON s.subject_kind = 'entity' AND s.subject_code = e.code "
    "LEFT JOIN indicators i ON i.id = s.indicator_id "
    "WHERE e.type = {0} AND e.code = {0}"
)
_PREVIOUS_HOUR = (
    "SELECT max(ts) FROM env_aqi WHERE entity_id = {0} AND resolution = 'hour' AND ts < {0}"
)
_DELETE_SPAN = (
    "DELETE FROM env_aqi WHERE entity_id = {0} AND resolution = {0} AND ts >= {0} AND ts <= {0}"
)
# Inserted with the driver's own executemany (rows as tuples): binding a dict per row through
# SQLAlchemy cost about a sixth of a bulk derive.
_INSERT_ROWS = (
    "INSERT INTO env_aqi (entity_id, resolution, ts, aqi, dominant, pm25, pm10, o3, no2, so2, co) "
    "VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
)


def _sql(conn: Connection, statement: str) -> str:
    """``statement`` with the placeholder of ``conn``'s driver."""
    return statement.format("?" if conn.dialect.paramstyle == "qmark" else "%s")


def recompute_station(session: Session, station_code: str, lo: int, hi: int) -> None:
    """Recompute hourly and daily VN_AQI of one station for data stamped in ``[lo, hi]``."""
    conn = session.connection()
    entity_id: int | None = None
    sids: dict[str, int] = {}
    latest: list[int] = []
    for eid, sid, indicator_code, latest_ts in conn.exec_driver_sql(
        _sql(conn, _STATION_SERIES), (STATION_TYPE, station_code)
    ):
        entity_id = eid
        if indicator_code in POLLUTANTS:
            sids[indicator_code] = sid
            if latest_ts:
                latest.append(latest_ts)
    if entity_id is None or not sids:
        return
    sids = {p: sids[p] for p in POLLUTANTS if p in sids}
    # Hourly AQI is labelled with the END of the hour. A value at hour H feeds NowCast for the
    # 12 hours from H, but an index is not published past the station's newest data.
    first_label = hour_bucket(lo, True) + HOUR
    last_label = hour_bucket(hi, True) + HOUR + 11 * HOUR
    if latest:
        last_label = max(first_label, min(last_label, hour_bucket(max(latest), True) + HOUR))
    # An earlier batch stopped at its newest data D; the hour after it (c2, c3 present) only
    # qualifies now that later data exists, so publish the one or two hours after D as well.
    previous = conn.exec_driver_sql(_sql(conn, _PREVIOUS_HOUR), (entity_id, first_label)).scalar()
    if previous is not None and previous + HOUR < first_label:
        if first_label - previous <= DAY:
            first_label = previous + HOUR
        else:
            _publish(session, entity_id, sids, previous + HOUR, previous + 2 * HOUR)
    _publish(session, entity_id, sids, first_label, last_label)


def _publish(
    session: Session,
    entity_id: int,
    sids: dict[str, int],
    first_label: int,
    last_label: int,
) -> None:
    """Compute and store hourly indices for labels in ``[first_label, last_label]`` and daily
    indices for the local days those hours fall in (replacing what was stored there)."""
    policy, offset = _config.policy, _config.offset
    first_day = day_bucket(first_label - HOUR, offset)
    last_day = day_bucket(last_label - HOUR, offset)
    # NowCast reaches 12 hours back, the first day's O3 8-hour windows 7 hours back.
    base = hour_bucket(min(first_label - 12 * HOUR, first_day - 7 * HOUR), False)
    read_hi = max(last_label, last_day + DAY)
    conn = session.connection()
    rows = read_hourly_rows(conn, sids.values(), base, read_hi)
    days = (last_day - first_day) // DAY + 1
    if (last_label - first_label) // HOUR + 1 < _VECTOR_FROM_HOURS:
        hourly, daily = _scalar_rows(rows, sids, first_label, last_label, first_day, last_day)
    else:
        # One array per pollutant over the span; the hourly and daily indices of every hour
        # and day in it are computed together (``aqi_vector``, equal to the scalar functions).
        columns = hour_columns(rows, sids, base, -((base - read_hi) // HOUR))
        hourly = hourly_index_rows(columns, base, first_label, last_label, policy)
        daily = daily_index_rows(columns, base, first_day, days, policy)
    stored = [(entity_id, "hour", *row) for row in hourly]
    stored += [(entity_id, "day", *row) for row in daily]

    for resolution, lo_ts, hi_ts in (
        ("hour", first_label, last_label),
        ("day", first_day, last_day),
    ):
        conn.exec_driver_sql(_sql(conn, _DELETE_SPAN), (entity_id, resolution, lo_ts, hi_ts))
    if stored:
        conn.exec_driver_sql(_sql(conn, _INSERT_ROWS), stored)


# Below this many hour labels the scalar functions are cheaper than setting up the numpy arrays
# (a streaming batch touches one or two hours per station; a late or bulk load touches many).
_VECTOR_FROM_HOURS = 6


def _scalar_rows(
    rows: list[tuple[int, int, float | None]],
    sids: dict[str, int],
    first_label: int,
    last_label: int,
    first_day: int,
    last_day: int,
) -> tuple[list[IndexRow], list[IndexRow]]:
    """Hourly and daily index rows (as ``aqi_vector``'s) of a short span, hour by hour and day
    by day with the scalar functions of :mod:`~ioc.packs.environment.aqi`."""
    policy = _config.policy
    by_sid: dict[int, dict[int, float]] = {sid: {} for sid in sids.values()}
    for sid, bucket, mean in rows:
        if mean is not None:
            by_sid[sid][bucket] = mean
    means = {p: by_sid[sid] for p, sid in sids.items()}
    hourly: list[IndexRow] = []
    for label in range(first_label, last_label + 1, HOUR):
        last_hours = {p: [m.get(label - HOUR * i) for i in range(1, 13)] for p, m in means.items()}
        result = aqi.hourly_aqi(last_hours, policy)
        if result is not None:
            hourly.append(_index_row(label, result))
    daily: list[IndexRow] = []
    o3 = means.get("o3", {})
    for start in range(first_day, last_day + 1, DAY):
        day_hours = {p: [m.get(start + HOUR * k) for k in range(24)] for p, m in means.items()}
        o3_prev = [o3.get(start - HOUR * k) for k in range(7, 0, -1)]
        result = aqi.daily_aqi(day_hours, o3_prev, policy)
        if result is not None:
            daily.append(_index_row(start, result))
    return hourly, daily


def _index_row(ts: int, result: aqi.AqiResult) -> IndexRow:
    """One index row in the layout of ``aqi_vector.IndexRow``."""
    subs = result.sub_indices
    return (ts, result.aqi, result.dominant, *[subs.get(p) for p in POLLUTANTS])


# ------------------------------------------------------------------ reads


@dataclass(frozen=True)
class AqiPoint:
    """One published index value with its category (for tables, charts, the API)."""

    ts: int
    aqi: int
    dominant: str
    sub_indices: dict[str, int]

    @property
    def category(self) -> Category:
        """Table 1 band."""
        return aqi.category(self.aqi)

    @property
    def time(self) -> datetime:
        """The label as an aware UTC datetime."""
        return datetime.fromtimestamp(self.ts, tz=UTC)


def _point(row: AirQualityIndex) -> AqiPoint:
    subs = {p: v for p in POLLUTANTS if (v := getattr(row, p)) is not None}
    return AqiPoint(row.ts, row.aqi, row.dominant, subs)


def aqi_points(
    session: Session, entity_id: int, resolution: str, lo: int, hi: int
) -> list[AqiPoint]:
    """Published hourly or daily indices with ``lo <= ts <= hi``, oldest first."""
    rows = session.execute(
        select(AirQualityIndex)
        .where(
            AirQualityIndex.entity_id == entity_id,
            AirQualityIndex.resolution == resolution,
            AirQualityIndex.ts >= lo,
            AirQualityIndex.ts <= hi,
        )
        .order_by(AirQualityIndex.ts)
    ).scalars()
    return [_point(r) for r in rows]


def latest_points(session: Session, entity_ids: list[int]) -> dict[int, AqiPoint]:
    """Newest hourly index per station (one indexed lookup per station)."""
    out: dict[int, AqiPoint] = {}
    for eid in entity_ids:
        row = session.execute(
            select(AirQualityIndex)
            .where(AirQualityIndex.entity_id == eid, AirQualityIndex.resolution == "hour")
            .order_by(AirQualityIndex.ts.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is not None:
            out[eid] = _point(row)
    return out


@dataclass(frozen=True)
class DayStats:
    """One local day at a station: 24 h means, 1 h maxima, O3 8 h max, QCVN 05 exceedances."""

    day: date
    mean: dict[str, float]
    max_1h: dict[str, float]
    o3_8h: float | None
    exceed: tuple[str, ...]


def day_stats(session: Session, station_code: str, first: date, last: date) -> list[DayStats]:
    """Daily statistics and QCVN 05:2023 exceedances from hourly rollups (newest first)."""
    offset = _config.offset
    series = pollutant_series(session, [station_code]).get(station_code, {})
    sids = {p: series[p].id for p in POLLUTANTS if p in series}
    lo = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()) - offset
    hi = int(datetime(last.year, last.month, last.day, tzinfo=UTC).timestamp()) - offset + DAY
    by_sid = read_hourly_means(session.connection(), sids.values(), lo - 7 * HOUR, hi)
    means = {p: by_sid[sid] for p, sid in sids.items()}
    out: list[DayStats] = []
    for start in range(hi - DAY, lo - 1, -DAY):
        day = datetime.fromtimestamp(start + offset, tz=UTC).date()
        mean: dict[str, float] = {}
        max_1h: dict[str, float] = {}
        for p, m in means.items():
            values = [v for k in range(24) if (v := m.get(start + HOUR * k)) is not None]
            if values:
                mean[p] = sum(values) / len(values)
                max_1h[p] = max(values)
        o3_8h = None
        if "o3" in means:
            rolling = aqi.rolling_8h_means(
                [means["o3"].get(start + HOUR * k) for k in range(24)],
                [means["o3"].get(start - HOUR * k) for k in range(7, 0, -1)],
                _config.policy,
            )
            present = [v for v in rolling if v is not None]
            o3_8h = max(present) if present else None
        if not mean:
            continue
        out.append(DayStats(day, mean, max_1h, o3_8h, _exceedances(day, mean, max_1h, o3_8h)))
    return out


def _limit(pollutant: str, averaging: aqi.Averaging, day: date) -> float | None:
    try:
        return aqi.qcvn05_limit(pollutant, averaging, day)
    except ValueError:
        return None  # before QCVN 05:2023 took effect (12/9/2023)


def _exceedances(
    day: date, mean: dict[str, float], max_1h: dict[str, float], o3_8h: float | None
) -> tuple[str, ...]:
    found: list[str] = []
    for p, value in mean.items():
        limit = _limit(p, "24h", day)
        if limit is not None and value > limit:
            found.append(f"{p}:24h")
    for p, value in max_1h.items():
        limit = _limit(p, "1h", day)
        if limit is not None and value > limit:
            found.append(f"{p}:1h")
    limit_8h = _limit("o3", "8h", day)
    if o3_8h is not None and limit_8h is not None and o3_8h > limit_8h:
        found.append("o3:8h")
    return tuple(found)
