"""The pack as the IOC loads it: manifest, alert rule file, catalog texts, demo data."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files

import yaml
from fr_helpers import Submit, at_local
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ioc.app import load_registry
from ioc.core import clock
from ioc.core.audit import Actor
from ioc.core.i18n import catalog
from ioc.packs.field_reports import deadlines, public, service
from ioc.packs.field_reports.models import Report


def test_manifest_is_registered() -> None:
    registry = load_registry()
    pack = {p.name: p for p in registry.packs}["field_reports"]
    assert pack.title_key == "fr.title" and pack.alert_rules_file == "alert_rules.yaml"
    assert set(pack.record_sources) == {"overdue"}


def test_alert_rule_file() -> None:
    raw = yaml.safe_load(
        files("ioc.packs.field_reports").joinpath("alert_rules.yaml").read_text(encoding="utf-8")
    )
    (rule,) = raw["rules"]
    assert rule["uid"] == "field_reports.overdue" and rule["kind"] == "record"
    assert rule["query"] == {"source": "field_reports.overdue"}
    assert rule["params"] == {"op": ">", "threshold": 0}
    assert "{{ labels.report }}" in rule["annotations"]["summary"]["vi"]
    (sop,) = raw["sops"]
    assert sop["key"] == rule["sop_key"] and len(sop["steps"]) >= 3


def test_every_status_event_and_resolution_has_texts() -> None:
    texts = catalog()
    keys = [f"fr.status.{s}" for s in service.STATUSES]
    keys += [f"fr.resolution.{r}" for r in (*service.RESOLUTIONS, "rejected", "duplicate")]
    keys += [f"fr.track.{t}" for t in service.TRACKS]
    kinds = {"submitted", "merged", "merged_from"} | set(service.ACTIONS) - {"merge_duplicate"}
    keys += [f"fr.event.{k}" for k in kinds]
    for key in keys:
        assert texts[key]["vi"] and texts[key]["en"], key


def test_demo_data(factory: sessionmaker[Session], db: Session, fr_policy: service.Policy) -> None:
    end = datetime(2026, 3, 10, 5, tzinfo=UTC)
    clock.set_now(end)
    try:
        created = service_demo(factory, end)
        assert created > 100
        statuses = dict(
            db.execute(select(Report.status, func.count()).group_by(Report.status)).all()
        )
        assert {"received", "assigned", "in_progress", "published", "rated", "merged"} <= set(
            statuses
        )
        assert deadlines.overdue(db, end)  # some agencies are late, as in real life
        assert service_demo(factory, end) == 0  # a second run adds nothing
        listed = public.public_reports(db, limit=20)
        assert len(listed) == 20
    finally:
        clock.set_now(None)


def service_demo(factory: sessionmaker[Session], end: datetime) -> int:
    from ioc.packs.field_reports.demo import load_demo

    return load_demo(factory, end=end, hours=24 * 120)


def test_overdue_rule_fires_through_the_alerting_engine(db: Session, fr: Submit) -> None:
    from ioc.background import pack_rule_texts
    from ioc.engines.alerting import rules
    from ioc.engines.alerting.evaluate import evaluate_due
    from ioc.engines.alerting.models import Alert

    registry = load_registry()
    text = pack_rule_texts(registry)["field_reports"]
    rules.load_text(db, text, Actor.system("test"), pack="field_reports")
    late = fr(at=at_local(2026, 3, 2, 9)).report  # intake due Wed 4/3 09:00
    fr()  # on time
    db.flush()
    evaluate_due(db, clock.now(), registry, force=True)
    alerts = db.execute(select(Alert).where(Alert.pack == "field_reports")).scalars().all()
    assert [a.labels["report"] for a in alerts] == [late.code]
    assert alerts[0].labels["agency"] == "trung-tam-ioc"
    assert alerts[0].value == 147.0
    assert late.code in alerts[0].annotations["summary"]["vi"]
