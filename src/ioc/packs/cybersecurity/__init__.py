"""Giám sát an toàn thông tin mạng — cybersecurity pack: security events (syslog RFC 5424 /
RFC 3164 over UDP and TCP, CEF, JSON), monitoring of the province's web portals (availability,
response time, TLS expiry, defacement), incidents per agency, alerts.

Public module of the pack: other packs import only what is listed in ``__all__``. The lead
wires the two long-running parts:

* ``ioc.packs.cybersecurity.listener.start_listener(settings, factory)`` → a handle with
  ``stop()`` (the web app's lifespan when ``IOC_SYSLOG_ENABLED``), and
  ``listener.serve(settings, factory, stop_event, report)`` for ``ioc ingest syslog``;
* ``ioc.packs.cybersecurity.probes.probe_sites(factory, now)`` — the periodic website probe
  job (``Job("cy.probe_sites", 300, probe_sites)``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ioc.core.indicators import IndicatorSpec
from ioc.core.registry import NavEntry, PackManifest, RecordSample
from ioc.packs.cybersecurity.datasets import datasets as _datasets

__all__ = ["manifest"]


def _indicators() -> list[IndicatorSpec]:
    return []


def _startup(settings: Any) -> None:
    from ioc.packs.cybersecurity import probes

    probes.configure(probes.ProbeConfig.from_settings(settings))


def _api_router() -> Any:
    from ioc.packs.cybersecurity.api import router

    return router


def _page_router() -> Any:
    from ioc.packs.cybersecurity.pages import router

    return router


def _tile(session: Any, lang: str) -> Any:
    from ioc.packs.cybersecurity.pages import overview_tile

    return overview_tile(session, lang)


def _demo(*args: Any, **kwargs: Any) -> Any:
    from ioc.packs.cybersecurity.demo import load_demo

    return load_demo(*args, **kwargs)


def _record(name: str) -> Any:
    def source(session: Any, now: datetime) -> list[RecordSample]:
        from ioc.packs.cybersecurity import stats

        result: list[RecordSample] = getattr(stats, name)(session, now)
        return result

    return source


def _probe_sites(factory: Any, now: Any) -> str | None:
    from ioc.packs.cybersecurity.probes import probe_sites

    return probe_sites(factory, now)


def _syslog_service(settings: Any, factory: Any) -> Any:
    if not settings.syslog_enabled:
        return None
    from ioc.packs.cybersecurity.listener import start_listener

    return start_listener(settings, factory)


def _label_names(session: Any, label: str, value: str, lang: str) -> str | None:
    """Alert labels of this pack: a monitored website's name."""
    if label != "site":
        return None
    from sqlalchemy import select

    from ioc.packs.cybersecurity.models import CySite

    name = session.execute(select(CySite.name).where(CySite.code == value)).scalar_one_or_none()
    return None if name is None else str(name)


def manifest() -> PackManifest:
    """The cybersecurity pack's contributions."""
    return PackManifest(
        name="cybersecurity",
        models="ioc.packs.cybersecurity.models",  # its tables (ioc.models_all)
        datasets=_datasets,  # the open-data catalogue (issue 21)
        title_key="cy.title",
        indicators=_indicators,
        api_router=_api_router,
        page_router=_page_router,
        tile=_tile,
        nav=(NavEntry("/cybersecurity", "cy.nav"),),
        demo=_demo,
        on_startup=_startup,
        jobs=(("cybersecurity.probe_sites", 300.0, _probe_sites),),
        services=(_syslog_service,),
        alert_rules_file="alert_rules.yaml",
        label_names=_label_names,
        record_sources={
            name: _record(name)
            for name in ("critical_events", "sites_down", "sites_defaced", "cert_expiring")
        },
    )
