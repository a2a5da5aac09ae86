"""Rendering of notifications: e-mail (text + HTML), webhook JSON (Alertmanager v4-like) and
in-app texts. Vietnamese first, English second; times in Asia/Ho_Chi_Minh."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ioc.core.clock import local_zone
from ioc.core.i18n import format_datetime, translate

FIRING = "firing"
RESOLVED = "resolved"
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of a firing alert


@dataclass(frozen=True)
class AlertView:
    """What a notification says about one alert (read from an ``Alert`` row)."""

    id: int
    status: str  # firing | resolved
    title: str
    labels: Mapping[str, str]
    annotations: Mapping[str, Any] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @property
    def severity(self) -> str:
        """The alert's severity label."""
        return self.labels.get("severity", "")


def rfc3339(value: datetime | None) -> str:
    """``2026-03-10T12:00:00+07:00`` (local offset), or Alertmanager's zero time."""
    if value is None:
        return ZERO_TIME
    return value.astimezone(local_zone()).isoformat(timespec="seconds")


def alert_link(public_url: str, alert_id: int) -> str:
    """Absolute link to an alert's page."""
    return f"{public_url.rstrip('/')}/alerts/{alert_id}"


def _text(annotations: Mapping[str, Any], name: str, lang: str) -> str:
    value = annotations.get(name)
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get("vi") or "")
    return "" if value is None else str(value)


def _severity(sev: str, lang: str) -> str:
    key = f"notify.severity.{sev}"
    text = translate(key, lang)
    return sev if text == key else text


def overall_status(alerts: Sequence[AlertView]) -> str:
    """``firing`` when at least one alert fires, else ``resolved``."""
    return FIRING if any(a.status == FIRING for a in alerts) else RESOLVED


def subject(alerts: Sequence[AlertView], lang: str = "vi") -> str:
    """E-mail subject / in-app title: status, count and the first alert's title."""
    firing = [a for a in alerts if a.status == FIRING]
    status = overall_status(alerts)
    shown = firing or list(alerts)
    head = translate(f"notify.msg.{status}", lang)
    count = len(firing) if status == FIRING else len(alerts)
    first = shown[0]
    sev = f" ({_severity(first.severity, lang)})" if first.severity else ""
    more = translate("notify.msg.more", lang, n=count - 1) if count > 1 else ""
    return f"[{head}{':' + str(count) if count > 1 else ''}] {first.title}{sev}{more}"


def _lines(alert: AlertView, lang: str, public_url: str) -> list[str]:
    state = translate(f"notify.msg.{alert.status}", lang)
    lines = [f"- [{state}] {alert.title}"]
    summary = _text(alert.annotations, "summary", lang)
    if summary and summary != alert.title:
        lines.append(f"  {summary}")
    description = _text(alert.annotations, "description", lang)
    if description:
        lines.append(f"  {description}")
    if alert.starts_at is not None:
        lines.append(
            f"  {translate('notify.msg.starts', lang)}: {format_datetime(alert.starts_at, lang)}"
        )
    if alert.status == RESOLVED and alert.ends_at is not None:
        lines.append(
            f"  {translate('notify.msg.ends', lang)}: {format_datetime(alert.ends_at, lang)}"
        )
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    lines.append(f"  {translate('notify.msg.labels', lang)}: {labels}")
    lines.append(f"  {alert_link(public_url, alert.id)}")
    return lines


def render_email(alerts: Sequence[AlertView], public_url: str) -> dict[str, str]:
    """Subject, plain text and HTML of a group notification (Vietnamese, then English)."""
    text_parts: list[str] = []
    html_parts: list[str] = []
    for lang in ("vi", "en"):
        body = [subject(alerts, lang), ""]
        for alert in alerts:
            body += [*_lines(alert, lang, public_url), ""]
        text_parts.append("\n".join(body))
        items = "".join(
            '<li><p><strong>{state}</strong> — <a href="{link}">{title}</a></p>'
            "<p>{summary}</p><p><small>{starts}: {start}{ends}</small></p></li>".format(
                state=html.escape(translate(f"notify.msg.{a.status}", lang)),
                link=html.escape(alert_link(public_url, a.id)),
                title=html.escape(a.title),
                summary=html.escape(
                    _text(a.annotations, "description", lang)
                    or _text(a.annotations, "summary", lang)
                ),
                starts=html.escape(translate("notify.msg.starts", lang)),
                start=html.escape(format_datetime(a.starts_at, lang) if a.starts_at else "—"),
                ends=html.escape(
                    f" · {translate('notify.msg.ends', lang)}: {format_datetime(a.ends_at, lang)}"
                    if a.status == RESOLVED and a.ends_at
                    else ""
                ),
            )
            for a in alerts
        )
        html_parts.append(
            f'<section lang="{lang}"><h2>{html.escape(subject(alerts, lang))}</h2>'
            f"<ul>{items}</ul></section>"
        )
    footer = translate("notify.msg.footer", "vi") + " / " + translate("notify.msg.footer", "en")
    return {
        "subject": subject(alerts, "vi"),
        "text": "\n---\n\n".join(text_parts) + f"\n-- \n{footer}\n",
        "html": '<!doctype html><html><body style="font-family:sans-serif">'
        + "<hr>".join(html_parts)
        + f"<p><small>{html.escape(footer)}</small></p></body></html>",
    }


def _common(maps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if not maps:
        return {}
    first = dict(maps[0])
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in maps[1:])}


def render_webhook(
    alerts: Sequence[AlertView],
    *,
    receiver: str,
    group_key: str,
    group_labels: Mapping[str, str],
    public_url: str,
) -> dict[str, Any]:
    """Alertmanager webhook v4 body (times in RFC 3339 with +07:00)."""
    base = public_url.rstrip("/")
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": overall_status(alerts),
        "receiver": receiver,
        "groupLabels": dict(group_labels),
        "commonLabels": _common([a.labels for a in alerts]),
        "commonAnnotations": _common([a.annotations for a in alerts]),
        "externalURL": base,
        "alerts": [
            {
                "status": a.status,
                "labels": dict(a.labels),
                "annotations": dict(a.annotations),
                "startsAt": rfc3339(a.starts_at),
                "endsAt": rfc3339(a.ends_at if a.status == RESOLVED else None),
                "generatorURL": alert_link(base, a.id),
                "fingerprint": str(a.id),
                "title": a.title,
            }
            for a in alerts
        ],
    }


def render_inapp(alerts: Sequence[AlertView]) -> dict[str, str]:
    """Title, body (Vietnamese) and link of an in-app notification."""
    body = []
    for a in alerts:
        state = translate(f"notify.msg.{a.status}", "vi")
        summary = _text(a.annotations, "summary", "vi")
        body.append(f"[{state}] {a.title}" + (f" — {summary}" if summary else ""))
    link = f"/alerts/{alerts[0].id}" if len(alerts) == 1 else "/alerts"
    return {"title": subject(alerts, "vi")[:300], "body": "\n".join(body), "link": link}


def render_test(kind: str, contact_point: str, public_url: str) -> dict[str, Any]:
    """Payload of a test notification for a contact point of ``kind``."""
    title = translate("notify.msg.test_title", "vi", name=contact_point)
    text = (
        translate("notify.msg.test_body", "vi", name=contact_point)
        + "\n\n"
        + translate("notify.msg.test_body", "en", name=contact_point)
    )
    if kind == "email":
        return {
            "subject": title,
            "text": text + "\n",
            "html": f"<p>{html.escape(text).replace(chr(10), '<br>')}</p>",
        }
    if kind == "webhook":
        return {
            "body": {
                "version": "4",
                "groupKey": "test",
                "truncatedAlerts": 0,
                "status": FIRING,
                "receiver": contact_point,
                "groupLabels": {},
                "commonLabels": {"alertname": "TestNotification"},
                "commonAnnotations": {},
                "externalURL": public_url.rstrip("/"),
                "alerts": [],
                "test": True,
            }
        }
    return {"title": title, "body": text, "link": "/alerts/notifications"}
