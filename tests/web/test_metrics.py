"""/metrics (Prometheus text format, parsed with the client's own parser), its access rules,
/healthz and /readyz (issue 19)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ioc.app import create_app
from ioc.core import clock, metrics
from ioc.core.models import PendingDerivation
from ioc.engines.alerting.notify.models import Outbox

TOKEN = "metrics-token-for-tests-0123456789"


def _client(settings, engine, peer: str = "testclient", **changes) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(
        create_app(settings.model_copy(update=changes), engine),
        raise_server_exceptions=False,
        client=(peer, 50000),
    )


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def test_metrics_are_refused_without_token_or_allowed_network(settings, engine, factory) -> None:  # type: ignore[no-untyped-def]
    # The test client's address is not in the default allow-list (this machine only).
    assert _client(settings, engine).get("/metrics").status_code == 403
    with_token = _client(settings, engine, metrics_token=TOKEN)
    assert with_token.get("/metrics").status_code == 401
    wrong = with_token.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_metrics_scrape_parses_and_reports_the_installation(settings, engine, factory) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    with factory() as session, session.begin():
        session.add(
            PendingDerivation(
                kind="aqi", key="st-1", lo=0, hi=1, created_at=now - timedelta(seconds=90)
            )
        )
        for status in ("pending", "dead", "dead", "sent"):
            session.add(
                Outbox(
                    contact_point="ops",
                    kind="inapp",
                    payload={},
                    status=status,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    metrics.ingested("test-door", stored=5, rejected=2)
    metrics.mqtt("dropped", 3)
    metrics.syslog("received", 4)
    client = _client(settings, engine, metrics_token=TOKEN)
    assert client.get("/healthz").status_code == 200  # one request to be timed
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = _samples(answer.text)
    assert ({"door": "test-door"}, 5.0) in samples["ioc_ingest_rows_total"]
    assert ({"door": "test-door"}, 2.0) in samples["ioc_ingest_errors_total"]
    assert ({"outcome": "dropped"}, 3.0) in samples["ioc_mqtt_messages_total"]
    assert ({"outcome": "received"}, 4.0) in samples["ioc_syslog_lines_total"]
    assert samples["ioc_derive_queue_depth"] == [({}, 1.0)]
    ((_, lag),) = samples["ioc_derive_lag_seconds"]
    assert lag >= 90
    outbox = {labels["status"]: value for labels, value in samples["ioc_outbox_messages"]}
    assert outbox == {"pending": 1.0, "sending": 0.0, "dead": 2.0}
    assert samples["ioc_scheduler_is_leader"] == [({}, 0.0)]  # the tests run no scheduler
    assert samples["ioc_metrics_database_up"] == [({}, 1.0)]
    pool = {labels["state"] for labels, _ in samples["ioc_db_pool_connections"]}
    assert "checked_out" in pool
    timed = [
        labels
        for labels, value in samples["ioc_http_request_duration_seconds_count"]
        if labels["route"] == "/healthz" and value >= 1
    ]
    assert timed and timed[0]["status"] == "2xx" and timed[0]["method"] == "GET"


def test_metrics_open_to_an_allowed_network(settings, engine) -> None:  # type: ignore[no-untyped-def]
    # This machine (the default allow-list) may scrape; behind a trusted proxy, the client
    # is the address the proxy names.
    assert _client(settings, engine, peer="127.0.0.1").get("/metrics").status_code == 200
    client = _client(
        settings,
        engine,
        peer="127.0.0.1",
        trusted_proxies=["127.0.0.1"],
        metrics_allow=["10.20.0.0/16"],
    )
    inside = client.get("/metrics", headers={"X-Forwarded-For": "10.20.3.4"})
    outside = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert (inside.status_code, outside.status_code) == (200, 403)
    assert "ioc_outbox_messages" in inside.text


def test_healthz_alive_and_readyz_checks_migrations_and_broker(settings, engine) -> None:  # type: ignore[no-untyped-def]
    client = _client(settings, engine)
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz").json()
    assert (ready["status"], ready["migrations"], ready["database_write"]) == ("ok", "ok", "ok")
    assert "broker" not in ready  # MQTT off: not checked
    # MQTT on but no broker on that port: not ready, and says which check failed.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(settings.model_copy(update={"mqtt_enabled": True, "mqtt_port": port}), engine)
    app.router.lifespan_context = None  # type: ignore[assignment]
    answer = TestClient(app, raise_server_exceptions=False).get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["broker"] == "unreachable"
