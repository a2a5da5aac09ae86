"""Where a warning starts: an alert, an incident, or an automatic draft.

Automatic drafts (:func:`auto_drafts`, the pack's periodic job) read the alerts the alerting
engine opened — they never evaluate data themselves — and make one draft per alert of:

* a VN_AQI rule at "Xấu" (poor, > 150) or worse whose alert has been firing for
  :data:`AQI_HOURS` hours: a record rule over the environment pack's record source
  :data:`AQI_SOURCE` (its ``aqi_unhealthy`` / ``aqi_very_unhealthy``, or one an administrator
  writes over that source);
* an EARS C3 anomaly rule (the health pack's ``*_c3`` rules: outbreak signal in a commune);
* any rule labelled ``warning_hazard: <hazard>`` — this pack's ``warnings.heavy_rain`` and
  ``warnings.strong_wind`` on weather stations (the thresholds of the weather flags: 50 mm in
  24 h, 10.8 m/s), or a rule an administrator labels so.

A draft covers the alert's commune, is written by the system and is never published without a
person's approval (:func:`ioc.packs.warnings.service.approve`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ioc.core import i18n
from ioc.core.audit import Actor
from ioc.core.communes import communes
from ioc.engines.alerting.models import ALERT_CLOSED, Alert, AlertRule, Incident
from ioc.packs.warnings import service
from ioc.packs.warnings.hazards import BY_KEY
from ioc.packs.warnings.models import WrWarning

# The environment pack's hourly VN_AQI per station (named, not imported: a rule's query names
# it the same way).
AQI_SOURCE = "environment.aqi_hour"
AQI_POOR = 150.0  # VN_AQI 151–200 is "Xấu" (QĐ 1459/QĐ-TCMT)
AQI_HOURS = 2
LOOKBACK_DAYS = 7

DEFAULT_HOURS: dict[str, int] = {
    "air_quality": 12,
    "outbreak": 24 * 7,
    "heavy_rain": 24,
    "strong_wind": 24,
    "heat": 48,
}

INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "air_quality": (
        "Hạn chế ra ngoài và vận động mạnh ngoài trời; người già, trẻ em, phụ nữ mang thai và "
        "người có bệnh hô hấp, tim mạch ở trong nhà; đeo khẩu trang khi ra ngoài; đóng cửa sổ.",
        "Limit going out and strenuous outdoor activity; the elderly, children, pregnant women "
        "and people with respiratory or heart disease should stay indoors; wear a mask outside.",
    ),
    "outbreak": (
        "Theo dõi sức khỏe; đến cơ sở y tế khi có triệu chứng; diệt lăng quăng, vệ sinh môi "
        "trường; thực hiện hướng dẫn của Trung tâm Y tế và trạm y tế xã/phường.",
        "Watch your health and see a health facility when symptoms appear; remove mosquito "
        "breeding sites; follow the instructions of the commune health station.",
    ),
    "heavy_rain": (
        "Không đi qua ngầm, tràn, suối khi nước chảy xiết; tránh khu vực nguy cơ sạt lở, ngập "
        "sâu; chằng chống nhà cửa; theo dõi thông tin của chính quyền địa phương.",
        "Do not cross fords or streams in fast water; stay away from landslide and deep-flood "
        "areas; secure your house; follow the local authorities' information.",
    ),
    "strong_wind": (
        "Chằng chống nhà cửa, biển quảng cáo; không trú dưới cây to, cột điện; tàu thuyền vào "
        "nơi tránh trú an toàn.",
        "Secure houses and signboards; do not shelter under large trees or poles; boats should "
        "go to safe shelter.",
    ),
}
GENERIC_INSTRUCTION = (
    "Theo dõi thông tin và làm theo hướng dẫn của chính quyền địa phương.",
    "Follow the local authorities' information and instructions.",
)


def instruction_for(hazard: str) -> tuple[str, str]:
    """The default instruction of a hazard (vi, en)."""
    return INSTRUCTIONS.get(hazard, GENERIC_INSTRUCTION)


def _is_aqi(rule: AlertRule) -> bool:
    """Whether ``rule`` reads the hourly VN_AQI of the stations."""
    return rule.kind == "record" and (rule.query or {}).get("source") == AQI_SOURCE


def _is_aqi_poor(rule: AlertRule) -> bool:
    params = rule.params or {}
    if not _is_aqi(rule):
        return False
    try:
        threshold = float(params.get("threshold", 0))
    except (TypeError, ValueError):
        return False
    return params.get("op") in (">", ">=") and threshold >= AQI_POOR


def _is_ears_c3(rule: AlertRule) -> bool:
    return rule.kind == "anomaly" and str((rule.params or {}).get("method", "")).lower() == "c3"


def hazard_of(rule: AlertRule | None, alert: Alert | None = None) -> str:
    """The hazard an alert is about (``other`` when nothing says)."""
    if rule is not None:
        labelled = (rule.labels or {}).get("warning_hazard")
        if labelled in BY_KEY:
            return str(labelled)
        if _is_aqi(rule):
            return "air_quality"
        if rule.kind == "anomaly":
            return "outbreak"
    pack = alert.pack if alert is not None else (rule.pack if rule is not None else "")
    return {"environment": "air_quality", "health": "outbreak"}.get(pack, "other")


def auto_trigger(rule: AlertRule, alert: Alert, now: datetime) -> dict[str, str] | None:
    """The hazard and CAP values of an automatic draft for ``alert``, or ``None``."""
    if _is_aqi_poor(rule):
        if now - alert.starts_at < timedelta(hours=AQI_HOURS):
            return None
        value = alert.value or 0.0
        severity = "Extreme" if value > 300 else "Severe" if value > 200 else "Moderate"
        return {
            "hazard": "air_quality",
            "severity": severity,
            "urgency": "Immediate",
            "certainty": "Observed",
        }
    if _is_ears_c3(rule):
        return {
            "hazard": "outbreak",
            "severity": "Moderate",
            "urgency": "Expected",
            "certainty": "Likely",
        }
    labelled = (rule.labels or {}).get("warning_hazard")
    if labelled in BY_KEY:
        return {
            "hazard": str(labelled),
            "severity": "Moderate",
            "urgency": "Expected",
            "certainty": "Observed",
        }
    return None


def _summary(annotations: dict[str, Any] | None, lang: str) -> str:
    summary = (annotations or {}).get("summary") or {}
    if isinstance(summary, dict):
        return str(summary.get(lang) or summary.get("vi") or "")
    return str(summary)


def _values(
    hazard: str,
    area: str | None,
    names: dict[str, str],
    description: tuple[str, str],
    now: datetime,
    cap: dict[str, str] | None = None,
) -> dict[str, Any]:
    h = BY_KEY.get(hazard, BY_KEY["other"])
    where_vi = names.get(area or "", "")
    vi, en = instruction_for(hazard)
    values: dict[str, Any] = {
        "hazard": hazard,
        "severity": "Moderate",
        "urgency": "Expected",
        "certainty": "Likely",
        "headline_vi": f"Cảnh báo {h.event_vi.lower()}" + (f" tại {where_vi}" if where_vi else ""),
        "headline_en": f"{h.event_en} warning" + (f" for {where_vi}" if where_vi else ""),
        "description_vi": description[0],
        "description_en": description[1],
        "instruction_vi": vi,
        "instruction_en": en,
        "effective_at": now,
        "expires_at": now + timedelta(hours=DEFAULT_HOURS.get(hazard, 24)),
        "areas": [area] if area else [],
    }
    values.update(cap or {})
    return values


def from_alert(session: Session, alert_id: int, now: datetime) -> dict[str, Any] | None:
    """Form values for a warning about alert ``alert_id`` (``None`` when it does not exist)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    rule = session.get(AlertRule, alert.rule_id)
    names = {c.code: c.name for c in communes(session)}
    hazard = hazard_of(rule, alert)
    cap = auto_trigger(rule, alert, now + timedelta(hours=AQI_HOURS)) if rule else None
    description = (_summary(alert.annotations, "vi"), _summary(alert.annotations, "en"))
    return _values(hazard, alert.area_code, names, description, now, cap)


def from_incident(session: Session, incident_id: int, now: datetime) -> dict[str, Any] | None:
    """Form values for a warning about incident ``incident_id``."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    names = {c.code: c.name for c in communes(session)}
    hazard = {"environment": "air_quality", "health": "outbreak"}.get(incident.pack, "other")
    text = f"{incident.code}: {incident.title}"
    return _values(hazard, incident.area_code, names, (text, ""), now)


def auto_drafts(session: Session, now: datetime) -> list[WrWarning]:
    """One draft per qualifying open alert that has none yet (see the module's docstring)."""
    rows = session.execute(
        select(Alert, AlertRule)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .where(
            Alert.ends_at.is_(None),
            Alert.status != ALERT_CLOSED,
            Alert.starts_at >= now - timedelta(days=LOOKBACK_DAYS),
            Alert.area_code.is_not(None),
        )
        .order_by(Alert.id)
    ).all()
    if not rows:
        return []
    done = set(
        session.scalars(
            select(WrWarning.source_alert_id).where(
                WrWarning.source_alert_id.in_([a.id for a, _ in rows])
            )
        )
    )
    names = {c.code: c.name for c in communes(session)}
    actor = Actor.system("warnings.auto")
    made = []
    for alert, rule in rows:
        if alert.id in done or alert.area_code not in names:
            continue
        cap = auto_trigger(rule, alert, now)
        if cap is None:
            continue
        description = (_summary(alert.annotations, "vi"), _summary(alert.annotations, "en"))
        values = _values(cap["hazard"], alert.area_code, names, description, now, cap)
        data = service.validate(session, _form(values), now=now)
        made.append(
            service.create_draft(
                session,
                actor,
                data,
                now=now,
                role=None,
                source_kind="auto",
                source_alert_id=alert.id,
            )
        )
    return made


def _form(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the form posts them (times as ISO strings)."""
    out = dict(values)
    for key in ("effective_at", "expires_at"):
        if isinstance(out.get(key), datetime):
            out[key] = out[key].isoformat()
    return out


def auto_drafts_job(factory: sessionmaker[Session], now: datetime) -> str | None:
    """Periodic job: automatic drafts from the alerts; a summary when it made any."""
    with factory() as session, session.begin():
        made = auto_drafts(session, now)
    if not made:
        return None
    return i18n.translate("wr.auto.made", "vi", n=len(made))
