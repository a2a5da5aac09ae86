"""NGSI-LD subscriptions and HTTP notifications (ETSI GS CIM 009 clauses 5.8, 5.11).

A subscription selects entities (``entities``: ``type`` / ``id`` / ``idPattern``), may watch
attributes (``watchedAttributes``) and filter with ``q`` (the parser of :mod:`.query`); its
``notification.endpoint.uri`` (http/https) receives an NGSI-LD Notification
(``{id, type: "Notification", subscriptionId, notifiedAt, data: [...]}``) whenever a matching
entity is created or changed through the NGSI-LD API, at most once per ``throttling`` seconds,
until ``expiresAt``, while ``isActive``.

Delivery is the IOC's one notification path: each subscription has a webhook contact point
(``ngsi-ld.<hash>``, shown on the notifications page) whose URL is checked by
:mod:`ioc.core.netguard` when saved and again at every delivery; each notification is an outbox
row, written in the transaction of the change and sent by the delivery job at least once, with
retries.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ioc.core import audit, clock
from ioc.core.registry import Registry
from ioc.engines.alerting.notify.config import ConfigError, upsert_contact_point
from ioc.engines.alerting.notify.models import WEBHOOK, ContactPoint, Outbox
from ioc.engines.ngsi_ld.context import CORE_CONTEXT_URL, compact
from ioc.engines.ngsi_ld.entities import (
    Change,
    Format,
    check_id,
    is_uri,
    iso,
    lookup_many,
    normalized,
    now_ts,
    represent,
)
from ioc.engines.ngsi_ld.models import NgsiSubscription
from ioc.engines.ngsi_ld.problems import NgsiError, bad_request, not_found
from ioc.engines.ngsi_ld.query import parse_q

PREFIX = "urn:ngsi-ld:Subscription:"
ACCEPTS = ("application/json", "application/ld+json")
FORMATS: tuple[Format, ...] = ("normalized", "keyValues", "concise")
UNSUPPORTED = ("timeInterval", "geoQ", "csf", "temporalQ", "scopeQ", "lang", "jsonldContext")
KNOWN = frozenset(
    {
        "id",
        "type",
        "@context",
        "name",
        "subscriptionName",
        "description",
        "entities",
        "watchedAttributes",
        "q",
        "notification",
        "throttling",
        "expiresAt",
        "isActive",
        "status",
        "createdAt",
        "modifiedAt",
    }
)


def _time(value: Any, where: str) -> int:
    if not isinstance(value, str):
        raise bad_request(f"{where}: must be a DateTime")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request(f"{where}: not an ISO 8601 DateTime") from exc
    if dt.tzinfo is None:
        raise bad_request(f"{where}: needs a time zone")
    return int(dt.timestamp())


def _q_text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise bad_request("q: must be a non-empty string")
    text = unquote(raw) if "%" in raw else raw
    parse_q(text)  # 400 BadRequestData on bad syntax
    return text


def _entities(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise bad_request("entities: must be a non-empty array")
    out: list[dict[str, str]] = []
    for n, item in enumerate(raw):
        where = f"entities[{n}]"
        if not isinstance(item, dict) or not ({"type", "id", "idPattern"} & set(item)):
            raise bad_request(f"{where}: needs type, id or idPattern")
        selector: dict[str, str] = {}
        if "type" in item:
            if not isinstance(item["type"], str) or not item["type"]:
                raise bad_request(f"{where}.type: must be a type name")
            selector["type"] = compact(item["type"])
        if "id" in item:
            selector["id"] = check_id(item["id"], f"{where}.id")
        if "idPattern" in item:
            pattern = item["idPattern"]
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise bad_request(f"{where}.idPattern: not a regular expression") from exc
            selector["idPattern"] = pattern
        out.append(selector)
    return out


def _names(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str) and a for a in raw):
        raise bad_request(f"{where}: must be a non-empty array of attribute names")
    return [compact(a) for a in raw]


def _notification(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request("notification: required (an object with endpoint.uri)")
    endpoint = raw.get("endpoint")
    if not isinstance(endpoint, dict):
        raise bad_request("notification.endpoint: required")
    uri = endpoint.get("uri")
    if not isinstance(uri, str) or not re.match(r"^https?://[^\s]+$", uri) or len(uri) > 2000:
        raise bad_request("notification.endpoint.uri: an http(s) URL is required")
    accept = endpoint.get("accept", "application/json")
    if accept not in ACCEPTS:
        raise bad_request(f"notification.endpoint.accept: one of {', '.join(ACCEPTS)}")
    if "receiverInfo" in endpoint or "notifierInfo" in endpoint:
        raise NgsiError(
            "OperationNotSupported", "notification.endpoint: receiverInfo is not supported"
        )
    out: dict[str, Any] = {"endpoint": {"uri": uri, "accept": accept}}
    fmt = raw.get("format", "normalized")
    if fmt not in FORMATS:
        raise bad_request(f"notification.format: one of {', '.join(FORMATS)}")
    out["format"] = fmt
    if "attributes" in raw:
        out["attributes"] = _names(raw["attributes"], "notification.attributes")
    return out


def _check_body(body: Any, *, partial: bool) -> dict[str, Any]:
    """The subscription fields of ``body``, checked (``partial``: a PATCH fragment)."""
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object (a Subscription)")
    for key in UNSUPPORTED:
        if key in body:
            raise NgsiError("OperationNotSupported", f"{key}: not supported")
    unknown = sorted(set(body) - KNOWN)
    if unknown:
        raise bad_request(f"{unknown[0]}: not a member of a Subscription")
    if "type" in body and body["type"] != "Subscription":
        raise bad_request("type: must be Subscription")
    out: dict[str, Any] = {}
    for key in ("name", "subscriptionName", "description"):
        if key in body:
            if not isinstance(body[key], str) or len(body[key]) > 500:
                raise bad_request(f"{key}: a string of at most 500 characters")
            out[key] = body[key]
    if "entities" in body:
        out["entities"] = _entities(body["entities"])
    if "watchedAttributes" in body:
        out["watchedAttributes"] = _names(body["watchedAttributes"], "watchedAttributes")
    if "q" in body:
        out["q"] = _q_text(body["q"])
    if "notification" in body or not partial:
        out["notification"] = _notification(body.get("notification"))
    if "throttling" in body:
        value = body["throttling"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise bad_request("throttling: a number of seconds ≥ 0")
        out["throttling"] = int(value)
    if "expiresAt" in body:
        out["expiresAt"] = _time(body["expiresAt"], "expiresAt")
    if "isActive" in body:
        if not isinstance(body["isActive"], bool):
            raise bad_request("isActive: true or false")
        out["isActive"] = body["isActive"]
    return out


def _point_name(tenant: str, sub_id: str) -> str:
    return "ngsi-ld." + hashlib.sha256(f"{tenant}\n{sub_id}".encode()).hexdigest()[:24]


def _save_point(
    session: Session, actor: audit.Actor, sub: NgsiSubscription, uri: str, allow: Iterable[str]
) -> None:
    try:
        upsert_contact_point(
            session,
            actor,
            name=sub.contact_point,
            kind=WEBHOOK,
            settings={"url": uri},
            send_resolved=False,
            title=f"NGSI-LD {sub.sub_id}"[:300],
            allow=allow,
        )
    except ConfigError as exc:
        raise bad_request(f"notification.endpoint.uri: {exc}") from exc


def create_subscription(
    session: Session,
    body: Any,
    *,
    tenant: str,
    actor: audit.Actor,
    agency_code: str | None,
    allow: Iterable[str] = (),
) -> str:
    """Create a subscription; returns its id (409 AlreadyExists for a taken id)."""
    fields = _check_body(body, partial=False)
    assert isinstance(body, dict)
    if not (fields.get("entities") or fields.get("watchedAttributes")):
        raise bad_request("give entities or watchedAttributes (or both)")
    sub_id = check_id(body["id"]) if "id" in body else PREFIX + str(uuid.uuid4())
    now = now_ts()
    expires = fields.pop("expiresAt", None)
    if expires is not None and expires <= now:
        raise bad_request("expiresAt: must be in the future")
    taken = session.execute(
        select(NgsiSubscription.id).where(
            NgsiSubscription.tenant == tenant, NgsiSubscription.sub_id == sub_id
        )
    ).first()
    if taken is not None:
        raise NgsiError("AlreadyExists", f"{sub_id} already exists")
    sub = NgsiSubscription(
        tenant=tenant,
        sub_id=sub_id,
        body={k: v for k, v in fields.items() if k not in ("isActive", "throttling")},
        is_active=fields.get("isActive", True),
        expires_at=expires,
        throttling=fields.get("throttling", 0),
        contact_point=_point_name(tenant, sub_id),
        owner=actor.label[:200],
        agency_code=agency_code,
        created_at=now,
        modified_at=now,
        times_sent=0,
    )
    _save_point(session, actor, sub, fields["notification"]["endpoint"]["uri"], allow)
    session.add(sub)
    session.flush()
    audit.record(session, actor, "ngsi.subscription_create", "ngsi_subscription", sub.id, id=sub_id)
    return sub_id


def render(sub: NgsiSubscription, *, sys_attrs: bool = False) -> dict[str, Any]:
    """A subscription as the API shows it."""
    body = dict(sub.body or {})
    notification = dict(body.pop("notification", {}))
    out: dict[str, Any] = {"id": sub.sub_id, "type": "Subscription", **body}
    now = now_ts()
    expired = sub.expires_at is not None and sub.expires_at <= now
    out["isActive"] = sub.is_active
    out["status"] = "expired" if expired else ("active" if sub.is_active else "paused")
    if sub.expires_at is not None:
        out["expiresAt"] = iso(sub.expires_at)
    if sub.throttling:
        out["throttling"] = sub.throttling
    notification["timesSent"] = sub.times_sent
    if sub.last_notification is not None:
        notification["lastNotification"] = iso(sub.last_notification)
    notification["status"] = "failed" if sub.last_error else "ok"
    out["notification"] = notification
    if sys_attrs:
        out["createdAt"], out["modifiedAt"] = iso(sub.created_at), iso(sub.modified_at)
    return out


def get_subscription(session: Session, tenant: str, sub_id: str) -> NgsiSubscription:
    """The subscription ``sub_id`` (404 ResourceNotFound)."""
    check_id(sub_id)
    sub = session.execute(
        select(NgsiSubscription).where(
            NgsiSubscription.tenant == tenant, NgsiSubscription.sub_id == sub_id
        )
    ).scalar_one_or_none()
    if sub is None:
        raise not_found(f"no subscription {sub_id}")
    return sub


def list_subscriptions(
    session: Session, tenant: str, *, limit: int, offset: int
) -> tuple[list[NgsiSubscription], int]:
    """One page of the tenant's subscriptions and their number."""
    query = select(NgsiSubscription).where(NgsiSubscription.tenant == tenant)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = session.execute(
        query.order_by(NgsiSubscription.id).offset(offset).limit(limit)
    ).scalars()
    return list(page), int(total)


def update_subscription(
    session: Session,
    sub: NgsiSubscription,
    fragment: Any,
    *,
    actor: audit.Actor,
    allow: Iterable[str] = (),
) -> None:
    """PATCH: replace the members given."""
    if isinstance(fragment, dict) and "id" in fragment and fragment["id"] != sub.sub_id:
        raise bad_request("id: cannot be changed")
    fields = _check_body(fragment, partial=True)
    body = dict(sub.body or {})
    if "isActive" in fields:
        sub.is_active = bool(fields.pop("isActive"))
    if "throttling" in fields:
        sub.throttling = int(fields.pop("throttling"))
    if "expiresAt" in fields:
        sub.expires_at = int(fields.pop("expiresAt"))
    body.update(fields)
    if not (body.get("entities") or body.get("watchedAttributes")):
        raise bad_request("give entities or watchedAttributes (or both)")
    if "notification" in fields:
        _save_point(session, actor, sub, fields["notification"]["endpoint"]["uri"], allow)
    sub.body = body
    sub.modified_at = now_ts()
    audit.record(
        session, actor, "ngsi.subscription_update", "ngsi_subscription", sub.id, id=sub.sub_id
    )


def delete_subscription(session: Session, sub: NgsiSubscription, *, actor: audit.Actor) -> None:
    """Delete a subscription and its contact point (notifications not yet sent are dropped)."""
    session.execute(delete(ContactPoint).where(ContactPoint.name == sub.contact_point))
    audit.record(
        session, actor, "ngsi.subscription_delete", "ngsi_subscription", sub.id, id=sub.sub_id
    )
    session.delete(sub)
    session.flush()


# --------------------------------------------------------------------------- notifications


def _selected(selectors: list[dict[str, str]] | None, entity_id: str, type_name: str) -> bool:
    if not selectors:
        return True
    for s in selectors:
        if "type" in s and s["type"] != type_name:
            continue
        if "id" in s and s["id"] != entity_id:
            continue
        if "idPattern" in s and not re.fullmatch(s["idPattern"], entity_id):
            continue
        return True
    return False


def _merged(changes: list[Change]) -> dict[str, Change]:
    """The changes of a write, one per entity id (attributes united); deletions left out."""
    merged: dict[str, Change] = {}
    for change in changes:
        if change.deleted:
            continue
        seen = merged.get(change.id)
        if seen is None:
            merged[change.id] = Change(change.id, change.type, list(change.attrs))
        else:
            seen.attrs = sorted(set(seen.attrs) | set(change.attrs))
    return merged


def _notified_data(
    body: dict[str, Any], merged: dict[str, Change], docs: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The entities one subscription is notified of, in the format it asked for."""
    notification = body.get("notification") or {}
    fmt: Format = notification.get("format", "normalized")
    wanted = set(notification["attributes"]) if notification.get("attributes") else None
    watched = set(body.get("watchedAttributes") or ())
    predicate = parse_q(body["q"]) if body.get("q") else None
    data: list[dict[str, Any]] = []
    for change in merged.values():
        doc = docs.get(change.id)
        if doc is None or not _selected(body.get("entities"), change.id, change.type):
            continue
        if watched and not watched & set(change.attrs):
            continue
        if predicate is not None and not predicate(represent(doc, "keyValues")):
            continue
        data.append(represent(doc, fmt, wanted))
    return data


def notify_changes(session: Session, registry: Registry, tenant: str, changes: list[Change]) -> int:
    """Queue a notification for every subscription matching ``changes`` (in the caller's
    transaction); returns the number of notifications queued."""
    if not changes:
        return 0
    now = now_ts()
    subs = [
        s
        for s in session.execute(
            select(NgsiSubscription).where(
                NgsiSubscription.tenant == tenant, NgsiSubscription.is_active.is_(True)
            )
        ).scalars()
        if s.expires_at is None or s.expires_at > now
    ]
    if not subs:
        return 0
    merged = _merged(changes)
    if not merged:
        return 0
    refs = lookup_many(session, registry, tenant, merged)
    docs = normalized(session, registry, [r for r in refs.values() if r.exists])
    queued = 0
    when = clock.now()
    for sub in subs:
        last = sub.last_notification
        if sub.throttling and last is not None and now - last < sub.throttling:
            continue
        body = sub.body or {}
        notification = body.get("notification") or {}
        data = _notified_data(body, merged, docs)
        if not data:
            continue
        message: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": sub.sub_id,
            "notifiedAt": when.astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "data": data,
        }
        if (notification.get("endpoint") or {}).get("accept") == "application/ld+json":
            message["@context"] = CORE_CONTEXT_URL
        summary = f"NGSI-LD {sub.sub_id}: {len(data)}"
        session.add(Outbox.pending(sub.contact_point, WEBHOOK, {"body": message}, summary, when))
        sub.last_notification = now
        sub.times_sent = (sub.times_sent or 0) + 1
        queued += 1
    if queued:
        session.flush()
    return queued


__all__ = [
    "create_subscription",
    "delete_subscription",
    "get_subscription",
    "is_uri",
    "list_subscriptions",
    "notify_changes",
    "render",
    "update_subscription",
]
