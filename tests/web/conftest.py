"""Fixtures of the web tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import load_registry
from ioc.core import clock
from ioc.settings import Settings


@pytest.fixture
def demo_data(factory: sessionmaker[Session], settings: Settings) -> Iterator[None]:
    """Every pack's demo (72 hours; the environment's too), the default alert rules, then one
    alert evaluation (as ``ioc demo`` does)."""
    from ioc.background import sync_alerting
    from ioc.engines.alerting.evaluate import evaluate_due

    registry = load_registry()
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    for pack in registry.packs:
        if pack.demo is not None:
            pack.demo(factory, end=end, hours=72, offset=7 * 3600)
    with factory() as session, session.begin():
        sync_alerting(session, settings, registry)
    with factory() as session, session.begin():
        evaluate_due(session, clock.now(), registry, force=True)
    yield
