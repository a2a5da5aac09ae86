"""``ioc ingest syslog`` and ``ioc ingest mqtt``: streaming intake in the foreground."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

import typer

from ioc.cli.common import console, prepare_database, session_factory
from ioc.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from ioc.engines.derive import DeriveWorker
    from ioc.engines.mqtt import MqttConnector

ingest_app = typer.Typer(
    help="Tiếp nhận dữ liệu liên tục / streaming ingestion", no_args_is_help=True
)


@ingest_app.command("syslog")
def ingest_syslog() -> None:
    """Receive security events over syslog (RFC 5424/3164, CEF; UDP and TCP, IOC_SYSLOG_*)
    until Ctrl+C, printing the counters every 10 seconds."""
    import signal

    from ioc.app import boot
    from ioc.packs.cybersecurity.listener import serve as serve_syslog

    settings = get_settings()
    boot(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    console.print(
        f"Nhận syslog tại {settings.syslog_host} UDP {settings.syslog_udp_port} / TCP "
        f"{settings.syslog_tcp_port}; Ctrl+C để dừng"
    )
    with session_factory(settings) as factory:
        stats = serve_syslog(settings, factory, stop, report=lambda c: console.print(c))
    console.print(stats.as_dict())


@ingest_app.command("mqtt")
def ingest_mqtt(
    every: Annotated[int, typer.Option(help="In một dòng sau mỗi N tin nhắn")] = 10_000,
    share_group: Annotated[
        str | None,
        typer.Option(
            help="Nhóm đăng ký chung MQTT 5 ($share/<nhóm>/…); mặc định IOC_MQTT_SHARE_GROUP"
        ),
    ] = None,
    instance: Annotated[
        str,
        typer.Option(
            help="Số/tên tiến trình trong nhóm: client id = IOC_MQTT_CLIENT_ID-<instance>"
        ),
    ] = "",
    leave: Annotated[
        bool,
        typer.Option(
            "--leave",
            help="Rời nhóm hẳn (bớt một tiến trình): lưu nốt tin của phiên này rồi xóa phiên",
        ),
    ] = False,
) -> None:
    """Run the MQTT connector in the foreground until Ctrl-C (IOC_MQTT_* settings).

    Several processes share the stream through an MQTT 5 shared subscription: give each the
    same ``--share-group`` (or IOC_MQTT_SHARE_GROUP) and its own ``--instance`` (a fixed client
    id, so that a process restarted after a crash gets back the messages it had not
    acknowledged). To remove a process for good, run it once more with ``--leave``: it
    stores what its session still holds, then ends the session (the broker would otherwise
    keep handing it a share). Derived indicators are computed by a thread of this process
    unless IOC_DERIVE_WORKER=off (then a separate ``ioc derive`` does it).
    """
    import signal

    from ioc.app import boot
    from ioc.engines.derive import DeriveWorker
    from ioc.engines.mqtt import MqttConnector

    settings = _mqtt_settings(share_group, instance)
    factory = prepare_database(settings)
    registry = boot(settings)
    worker = None
    if settings.derive_worker == "thread":
        worker = DeriveWorker(factory, delay_ms=settings.derive_delay_ms)
        worker.start()
    connector = MqttConnector(settings, factory, registry)  # commits wake ``worker``
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    connector.start()
    if leave:  # scaling down: drain this member's session, then end it
        _leave(connector, worker, factory)
        return
    _wait_connected(connector)
    console.print(
        f"{'Đã kết nối' if connector.connected else '[red]Chưa kết nối[/]'} "
        f"MQTT {settings.mqtt_host}:{settings.mqtt_port} · {settings.mqtt_topics} · "
        f"client id {settings.mqtt_client_id}"
        + (f" · $share/{settings.mqtt_share_group}" if settings.mqtt_share_group else "")
        + " — Ctrl-C để dừng / to stop"
    )
    try:
        _print_counters(connector, done, every)
    except KeyboardInterrupt:
        pass
    finally:
        connector.stop()
        _release(worker, factory)
    stats = connector.stats
    console.print(
        f"Đã dừng: {stats.messages} tin nhắn, {stats.readings} giá trị, "
        f"{stats.dead_letters} thư lỗi."
    )


def _mqtt_settings(share_group: str | None, instance: str) -> Settings:
    """The settings with this process's shared-subscription group and client id."""
    settings = get_settings()
    update: dict[str, str] = {}
    if share_group is not None:
        update["mqtt_share_group"] = share_group
    if instance:
        update["mqtt_client_id"] = f"{settings.mqtt_client_id}-{instance}"
    return settings.model_copy(update=update)


def _leave(
    connector: MqttConnector, worker: DeriveWorker | None, factory: sessionmaker[Session]
) -> None:
    """Store what this member's session still holds, then end the session (``--leave``);
    exit code 1 when messages remain unstored."""
    left = connector.leave()
    _release(worker, factory)
    stats = connector.stats
    console.print(
        f"{'Đã rời nhóm' if left else '[red]Chưa rời nhóm (còn tin chưa lưu)[/]'}: "
        f"{stats.messages} tin nhắn, {stats.readings} giá trị."
    )
    if not left:
        raise typer.Exit(1)


def _release(worker: DeriveWorker | None, factory: sessionmaker[Session]) -> None:
    """After the connector: stop the derive thread (it finishes its work) and close the
    database connections."""
    if worker is not None:
        worker.stop()
    factory.kw["bind"].dispose()


def _wait_connected(connector: MqttConnector) -> None:
    """Wait up to 10 s for the broker, so the first line says whether it answered."""
    import time

    for _ in range(100):
        if connector.connected:
            break
        time.sleep(0.1)


def _print_counters(connector: MqttConnector, done: threading.Event, every: int) -> None:
    """Print the counters after every ``every`` messages until ``done`` is set."""
    printed = 0
    while not done.wait(1.0):
        stats = connector.stats
        if stats.messages - printed >= max(every, 1):
            printed = stats.messages
            console.print(
                f"{stats.messages} tin nhắn · {stats.readings} giá trị · "
                f"{stats.dead_letters} thư lỗi · "
                f"{'đã kết nối' if connector.connected else '[red]mất kết nối[/]'}"
            )
