"""``ioc serve`` (the web server) and ``ioc worker`` (the periodic jobs without a web server)."""

from __future__ import annotations

from typing import Annotated

import typer

from ioc.cli.common import console, prepare_database, session_factory
from ioc.settings import get_settings


def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(help="Số tiến trình web")] = 1,
) -> None:
    """Run the web server (schema is upgraded first)."""
    import uvicorn

    settings = get_settings()
    prepare_database(settings)
    uvicorn.run(
        "ioc.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # X-Forwarded-For/-Proto only from IOC_TRUSTED_PROXIES (as ioc.web.proxies reads them);
        # none trusted by default, so nobody can claim another address.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        log_level=settings.log_level.lower(),
    )


def worker() -> None:
    """Run the periodic jobs (alert evaluation, notifications …) without a web server.

    Start it on one or more machines with ``IOC_SCHEDULER=off`` on the web servers: the
    workers elect one runner through a database lease and take over if it stops.
    """
    import signal
    import threading

    from ioc.app import boot
    from ioc.background import make_scheduler

    settings = get_settings()
    registry = boot(settings)
    with session_factory(settings) as factory:
        scheduler = make_scheduler(settings, factory, registry)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        scheduler.start()
        console.print(f"Tác vụ định kỳ đang chạy ({scheduler.holder}); Ctrl+C để dừng")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.stop()
