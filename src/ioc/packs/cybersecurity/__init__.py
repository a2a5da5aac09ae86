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

from typing import Any

from ioc.core.registry import PackManifest, lazy, page_manifest

__all__ = ["manifest"]


def _startup(settings: Any) -> None:
    from ioc.packs.cybersecurity import probes

    probes.configure(probes.ProbeConfig.from_settings(settings))


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
    return page_manifest(
        __name__,
        "cy",
        on_startup=_startup,
        jobs=(("cybersecurity.probe_sites", 300.0, lazy(f"{__name__}.probes", "probe_sites")),),
        services=(_syslog_service,),
        label_names=_label_names,
        record_sources={
            name: lazy(f"{__name__}.stats", name)
            for name in ("critical_events", "sites_down", "sites_defaced", "cert_expiring")
        },
    )
