"""The periodic jobs of this IOC and the start-up sync of alert rules (app layer).

Jobs (run by :class:`ioc.engines.jobs.scheduler.Scheduler`, one worker at a time):

* ``alerting.evaluate`` — evaluate due alert rules (every ``IOC_ALERT_TICK_SECONDS``);
* ``notify.dispatch`` / ``notify.deliver`` — route firing/resolved alerts to contact points
  and deliver the outbox (when the notification layer is installed);
* ``jobs.prune`` — keep the job-run log short;
* ``storage.partitions`` — PostgreSQL: monthly partitions ahead, rows filed out of the DEFAULT
  partitions, raw-data retention (``IOC_RAW_RETENTION_MONTHS``); nothing on SQLite.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ioc.core import partitions
from ioc.core.registry import Registry
from ioc.core.series import on_observations_written
from ioc.engines import submissions
from ioc.engines.alerting import notify
from ioc.engines.alerting import rules as alert_rules
from ioc.engines.alerting.evaluate import evaluate_due
from ioc.engines.derive import register_handler
from ioc.engines.jobs.scheduler import Job, Scheduler, prune_runs
from ioc.settings import Settings


def pack_rule_texts(registry: Registry) -> dict[str, str]:
    """Each pack's default rule file (``PackManifest.alert_rules_file``) as text."""
    texts: dict[str, str] = {}
    for pack in registry.packs:
        if pack.alert_rules_file:
            ref = resources.files(f"ioc.packs.{pack.name}").joinpath(pack.alert_rules_file)
            texts[pack.name] = ref.read_text(encoding="utf-8")
    return texts


OPS_RULES_FILE = "ops_alert_rules.yaml"  # in ioc/data: the IOC's own rules (pack "ops")


def register_record_sources(registry: Registry) -> None:
    """The record sources of the IOC's own alert rules (before the registry is frozen)."""
    registry.register_record_source("ops.notify_dead", notify.dead_records)


def register_derivations(registry: Registry) -> None:
    """Start-up, after the packs' ``on_startup``: every pack's observation listeners
    (``ioc.core.series``) and derive handlers (``ioc.engines.derive``), as its manifest
    declares them; registering one twice is harmless."""
    for pack in registry.packs:
        for listener in pack.listeners:
            on_observations_written(listener)
        for kind, handler in pack.derive_handlers.items():
            register_handler(kind, handler)


def sync_rules(session: Session, registry: Registry) -> None:
    """Load the packs' default rules and SOPs, and the IOC's own (rules edited in the UI are
    kept)."""
    texts = pack_rule_texts(registry)
    texts["ops"] = resources.files("ioc.data").joinpath(OPS_RULES_FILE).read_text("utf-8")
    alert_rules.sync_pack_rules(session, texts)


def sync_alerting(session: Session, settings: Settings, registry: Registry) -> None:
    """Start-up: default rules and SOPs, and the notification configuration."""
    sync_rules(session, registry)
    notify.ensure_config(session, settings)


def evaluate_job(registry: Registry) -> Job:
    """The alert evaluation job."""

    def run(factory: sessionmaker[Session], now: datetime) -> str | None:
        with factory() as session, session.begin():
            stats = evaluate_due(session, now, registry)
        if not (stats.fired or stats.resolved or stats.errors):
            return None
        return stats.summary()

    return Job("alerting.evaluate", 0, run)


def jobs(settings: Settings, registry: Registry) -> list[Job]:
    """Every periodic job, with its period from the settings."""
    evaluate = evaluate_job(registry)
    result = [
        Job(evaluate.name, settings.alert_tick_seconds, evaluate.run),
        Job("jobs.prune", 3600, prune_runs),
        Job("storage.partitions", 6 * 3600, _partitions_job(settings)),
    ]
    result.extend(_notify_jobs(settings))
    result.append(submissions.reminder_job(registry, settings))
    for pack in registry.packs:
        result.extend(Job(name, every, fn) for name, every, fn in pack.jobs)
    return result


def _partitions_job(settings: Settings) -> Any:
    """The ``storage.partitions`` job (see ``ioc.core.partitions``)."""

    def run(factory: sessionmaker[Session], now: datetime) -> str | None:
        with factory() as session, session.begin():
            done = partitions.maintain(
                session.connection(),
                now,
                ahead=settings.partitions_ahead_months,
                retention_months=settings.raw_retention_months,
                archive_dir=settings.raw_archive_dir,
            )
        return done.summary()

    return run


def start_services(
    settings: Settings, factory: sessionmaker[Session], registry: Registry
) -> list[Any]:
    """Start every pack's long-running services (each returns a handle with ``stop()``)."""
    handles = []
    for pack in registry.packs:
        for start in pack.services:
            handle = start(settings, factory)
            if handle is not None:
                handles.append(handle)
    return handles


def _notify_jobs(settings: Settings) -> list[Job]:
    """Dispatch (route and group alerts into the outbox), then deliver the outbox."""

    def dispatch(factory: sessionmaker[Session], now: datetime) -> str | None:
        written = notify.dispatch_job(factory, settings)
        return f"{written} thông báo vào hàng đợi" if written else None

    def deliver(factory: sessionmaker[Session], now: datetime) -> str | None:
        stats = notify.deliver_job(factory, settings)
        if not stats.claimed:
            return None
        return f"{stats.sent} đã gửi, {stats.retried} thử lại sau, {stats.dead} thất bại hẳn"

    return [
        Job("notify.dispatch", settings.alert_tick_seconds, dispatch),
        Job("notify.deliver", settings.alert_tick_seconds, deliver),
    ]


def make_scheduler(
    settings: Settings, factory: sessionmaker[Session], registry: Registry
) -> Scheduler:
    """A scheduler for this process (started by the web app's lifespan or ``ioc worker``)."""
    return Scheduler(
        factory,
        jobs(settings, registry),
        lease_s=settings.scheduler_lease_seconds,
        tick_s=1.0,
    )
