"""The demo never probes the real portals: its sites point at a local portal simulator on a
loopback address (most up, one slow, one with an expiring certificate, one defaced, one down),
and only that address is put on the demo's outbound allow-list."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import clock
from ioc.packs.cybersecurity import probes
from ioc.packs.cybersecurity.demo import SITES, load_demo
from ioc.packs.cybersecurity.models import CySite

if TYPE_CHECKING:
    from ioc.packs.cybersecurity.demo_portals import DemoPortals


def _urls(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as s:
        return {site.code: site.url for site in s.execute(select(CySite)).scalars()}


def _assert_local(urls: dict[str, str]) -> None:
    assert urls
    for code, url in urls.items():
        host = urlsplit(url).hostname or ""
        assert not host.endswith("gov.vn"), (code, url)
        for info in socket.getaddrinfo(host, None):
            assert ipaddress.ip_address(info[4][0]).is_loopback, (code, url)


def test_demo_sites_point_at_loopback_only(factory: sessionmaker[Session]) -> None:
    load_demo(factory, end=clock.now(), hours=24)
    urls = _urls(factory)
    assert set(urls) == {code for code, *_ in SITES}
    _assert_local(urls)


@pytest.fixture
def portals(factory: sessionmaker[Session]) -> Iterator[DemoPortals]:
    before = probes.current_config()
    env = os.environ.get("IOC_OUTBOUND_ALLOW")
    from ioc.packs.cybersecurity.demo_portals import start_demo_portals

    load_demo(factory, end=clock.now(), hours=24)
    running = start_demo_portals(factory)
    try:
        yield running
    finally:
        running.stop()
        probes.configure(before)
        if env is None:
            os.environ.pop("IOC_OUTBOUND_ALLOW", None)
        else:
            os.environ["IOC_OUTBOUND_ALLOW"] = env


def test_the_simulator_serves_every_kind_of_portal(
    factory: sessionmaker[Session], portals: DemoPortals
) -> None:
    urls = _urls(factory)
    _assert_local(urls)
    # The demo's allow-list holds the simulator's address only (for this process).
    assert os.environ["IOC_OUTBOUND_ALLOW"].split(",")[-1] == portals.host
    assert ipaddress.ip_address(portals.host).is_loopback
    probes.configure(probes.ProbeConfig(timeout_s=10, allow=(portals.host,)))
    now = clock.now()
    summary = probes.probe_sites(factory, now)
    assert summary is not None
    with factory() as s:
        states = {site.code: site for site in s.execute(select(CySite)).scalars()}
    assert states[portals.down].state == "down"
    assert states[portals.slow].state == "slow"
    assert states[portals.defaced].state == "defaced"
    assert states[portals.defaced].keywords_found
    others = set(states) - {portals.down, portals.slow, portals.defaced}
    assert {states[c].state for c in others} == {"up"}
    if shutil.which("openssl"):
        cert = states[portals.expiring]
        assert urls[portals.expiring].startswith("https://")
        assert cert.cert_not_after is not None
        assert 0 < (cert.cert_not_after - now).days < probes.current_config().cert_warn_days


def test_without_the_allow_list_nothing_is_probed(
    factory: sessionmaker[Session], portals: DemoPortals
) -> None:
    probes.configure(probes.ProbeConfig(timeout_s=2, allow=()))
    probes.probe_sites(factory, clock.now())
    with factory() as s:
        assert {site.state for site in s.execute(select(CySite)).scalars()} == {"down"}
    assert portals.requests == 0
