"""``/metrics`` in the Prometheus text format, and the HTTP latency middleware.

Access: a scraper presents ``Authorization: Bearer <IOC_METRICS_TOKEN>`` or connects from one
of ``IOC_METRICS_ALLOW`` (addresses or CIDR networks; the client address is the one
``IOC_TRUSTED_PROXIES`` lets us believe). Anyone else gets 401 (a token is configured and the
request has none or a wrong one) or 403.

Besides this process's own counters (``ioc.core.metrics``), each scrape reads from the database
the figures that belong to the whole installation: derive queue depth and lag, alert instance
states and open alerts, outbox rows by status, the scheduler's leader, and the size of this
process's connection pool.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterable, Iterator
from typing import Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock, metrics
from ioc.core.models import PendingDerivation
from ioc.engines.alerting.models import ALERT_CLOSED, Alert, AlertInstance
from ioc.engines.alerting.notify.models import Outbox
from ioc.engines.jobs.models import SchedulerLease
from ioc.engines.jobs.scheduler import LEASE
from ioc.web.proxies import client_address

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)


class DatabaseCollector(Collector):
    """Installation-wide gauges read from the database at scrape time."""

    def __init__(
        self, factory: sessionmaker[Session], engine: Engine, scheduler: Any = None
    ) -> None:
        self.factory = factory
        self.engine = engine
        self.scheduler = scheduler

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "ioc_metrics_database_up",
            "1 khi đọc được cơ sở dữ liệu lúc thu thập / 1 when the database answered",
        )
        try:
            families = list(self._from_database())
            up.add_metric([], 1)
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("metrics_database_failed", error=type(exc).__name__)
            families = []
            up.add_metric([], 0)
        yield up
        yield from families
        yield from self._pool()

    def _from_database(self) -> Iterator[Metric]:
        now = clock.now()
        with self.factory() as session:
            depth, oldest = session.execute(
                select(func.count(PendingDerivation.id), func.min(PendingDerivation.created_at))
            ).one()
            queue = GaugeMetricFamily(
                "ioc_derive_queue_depth", "Việc tính dẫn xuất đang chờ / derive queue rows"
            )
            queue.add_metric([], float(depth or 0))
            yield queue
            lag = GaugeMetricFamily(
                "ioc_derive_lag_seconds",
                "Tuổi của việc chờ lâu nhất / age of the oldest queued derivation (0 if none)",
            )
            lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
            yield lag

            states = GaugeMetricFamily(
                "ioc_alert_instances",
                "Trạng thái quy tắc cảnh báo / alert rule instances by state (normal not kept)",
                labels=["state"],
            )
            for state, count in session.execute(
                select(AlertInstance.state, func.count()).group_by(AlertInstance.state)
            ):
                states.add_metric([state], float(count))
            yield states
            open_alerts = GaugeMetricFamily(
                "ioc_alerts_open",
                "Cảnh báo chưa đóng / open alerts by status and severity",
                labels=["status", "severity"],
            )
            for status, severity, count in session.execute(
                select(Alert.status, Alert.severity, func.count())
                .where(Alert.status != ALERT_CLOSED)
                .group_by(Alert.status, Alert.severity)
            ):
                open_alerts.add_metric([status, severity], float(count))
            yield open_alerts

            outbox = GaugeMetricFamily(
                "ioc_outbox_messages",
                "Hộp thư đi theo trạng thái / outbox rows by status (pending, sending, dead)",
                labels=["status"],
            )
            counts = dict.fromkeys(("pending", "sending", "dead"), 0)
            for status, count in session.execute(
                select(Outbox.status, func.count())
                .where(Outbox.status != "sent")
                .group_by(Outbox.status)
            ):
                counts[status] = count
            for status, count in counts.items():
                outbox.add_metric([status], float(count))
            yield outbox

            lease = session.get(SchedulerLease, LEASE)
            leader = GaugeMetricFamily(
                "ioc_scheduler_leader",
                "Tiến trình đang giữ quyền chạy việc định kỳ / scheduler lease holder (1 = valid)",
                labels=["holder"],
            )
            if lease is not None and lease.expires_at > now:
                leader.add_metric([lease.holder], 1.0)
            yield leader
            mine = GaugeMetricFamily(
                "ioc_scheduler_is_leader",
                "1 khi tiến trình này chạy việc định kỳ / 1 when this process is the scheduler",
            )
            holder = getattr(self.scheduler, "holder", None)
            mine.add_metric(
                [],
                1.0
                if lease is not None and lease.expires_at > now and lease.holder == holder
                else 0.0,
            )
            yield mine

    def _pool(self) -> Iterator[Metric]:
        pool = self.engine.pool
        gauge = GaugeMetricFamily(
            "ioc_db_pool_connections",
            "Kết nối cơ sở dữ liệu của tiến trình này / this process's connection pool",
            labels=["state"],
        )
        for state, method in (
            ("size", "size"),
            ("checked_out", "checkedout"),
            ("checked_in", "checkedin"),
            ("overflow", "overflow"),
        ):
            fn = getattr(pool, method, None)
            if callable(fn):
                try:
                    gauge.add_metric([state], float(fn()))
                except Exception:  # noqa: S112 - a pool class without that figure
                    continue
        yield gauge


def exposition(request: Request) -> bytes:
    """This process's counters (or every process's, in multiprocess mode) and the database
    gauges, in the Prometheus text format."""
    app = request.app
    registry = CollectorRegistry(auto_describe=True)
    if metrics.multiprocess():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(metrics.REGISTRY))
    registry.register(
        DatabaseCollector(
            app.state.sessionmaker, app.state.engine, getattr(app.state, "scheduler", None)
        )
    )
    return generate_latest(registry)


class _Forward(Collector):
    """The process registry's metrics inside the scrape registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return self.source.collect()


def allowed(request: Request) -> None:
    """Refuse a scraper that neither presents the token nor comes from an allowed network.

    The route's permission (declared as ``allowed.permission``, like ``require(...)``): the
    bearer token here is ``IOC_METRICS_TOKEN``, not an API token, so the usual principal is not
    resolved for this route."""
    settings = request.app.state.settings
    token: str = settings.metrics_token
    header = request.headers.get("authorization", "")
    if token and header.lower().startswith("bearer "):
        if hmac.compare_digest(header[7:].strip().encode(), token.encode()):
            return
        raise HTTPException(401, "Mã truy cập sai / wrong token", {"WWW-Authenticate": "Bearer"})
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        parsed = None
    if parsed is not None and any(
        parsed in ipaddress.ip_network(net, strict=False) for net in settings.metrics_allow
    ):
        return
    if token:
        raise HTTPException(
            401, "Cần mã truy cập / bearer token required", {"WWW-Authenticate": "Bearer"}
        )
    raise HTTPException(403, "Địa chỉ không được phép / address not allowed")


allowed.permission = "metrics"  # type: ignore[attr-defined]  # read by the route audit test


@router.get("/metrics", dependencies=[Depends(allowed)])
def metrics_endpoint(request: Request) -> Response:
    """Prometheus metrics (token or allowed network, see the module's docstring)."""
    return Response(exposition(request), media_type=CONTENT_TYPE_LATEST)


async def measure(request: Request, call_next: Any) -> Response:
    """HTTP middleware: each request's latency by its route template (``/alerts/{alert_id}``);
    requests that match no route are counted under ``unmatched``."""
    began = time.perf_counter()
    response: Response = await call_next(request)
    route = request.scope.get("route")
    template = getattr(route, "path", None) or "unmatched"
    metrics.observe_request(
        request.method, template, response.status_code, time.perf_counter() - began
    )
    return response
