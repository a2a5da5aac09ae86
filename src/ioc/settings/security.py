"""Security settings: sessions and login locks, outbound allow-list, trusted proxies, metrics
access. A malformed network is refused at start-up with the setting's name."""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_settings import NoDecode


class SecuritySettings(BaseModel):
    """Sessions and logins, the networks the IOC may call or trust, and who may scrape metrics."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    cookie_secure: bool = False
    """Send the session cookie only over HTTPS. Always on when ``IOC_ENV=production``."""

    session_hours: int = 12
    """How long a login session lasts without activity, in hours (one operator shift)."""

    login_max_failures: int = Field(default=10, ge=1)
    """Failed logins of one account within ``IOC_LOGIN_FAILURE_WINDOW_MINUTES`` that lock it
    (even the right password is refused until the lock ends or ``ioc users unlock``)."""

    login_max_failures_per_address: int = Field(default=30, ge=1)
    """Failed logins from one client address (any account) within the window that lock that
    address: password guessing across many accounts. Higher than the per-account limit, since an
    office may share one address."""

    login_failure_window_minutes: int = Field(default=15, ge=1, le=1440)
    """Window in which failed logins are counted, in minutes."""

    login_lock_minutes: int = Field(default=15, ge=1, le=1440)
    """How long a lock lasts, in minutes (recorded in the audit log when set and lifted)."""

    outbound_allow: Annotated[list[str], NoDecode] = []
    """Hosts, addresses and CIDR networks that webhooks and website probes may reach although
    they are internal (loopback, private, link-local, CGNAT …, refused otherwise against
    request forgery), comma-separated or a JSON list, e.g. ``portal.daklak.local,10.20.0.0/16``.
    Empty by default: only public addresses."""

    trusted_proxies: Annotated[list[str], NoDecode] = []
    """Addresses and CIDR networks of the reverse proxies in front of the IOC (nginx …),
    comma-separated or a JSON list, e.g. ``127.0.0.1`` or ``10.20.0.0/24``. Only a connection from
    one of them may name the client in ``X-Forwarded-For`` (the right-most address that is not a
    trusted proxy is the client; ``X-Forwarded-Proto`` is honoured too); rate limits and the
    login lock count per client address. Empty (the default): the header is ignored and the
    connecting address is the client — behind a proxy, every client would share one address."""

    metrics_token: str = ""
    """Bearer token that opens ``/metrics`` from any address (``Authorization: Bearer …``);
    empty: only the networks of ``IOC_METRICS_ALLOW`` may scrape."""

    metrics_allow: Annotated[list[str], NoDecode] = ["127.0.0.1/32", "::1/128"]
    """Addresses and CIDR networks that may read ``/metrics`` without the token,
    comma-separated or a JSON list (the client address as ``IOC_TRUSTED_PROXIES`` resolves
    it). Default: this machine only."""

    @field_validator("outbound_allow", "trusted_proxies", "metrics_allow", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """A list from the environment: a JSON array or comma-separated items."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("outbound_allow")
    @classmethod
    def _check_allow(cls, value: list[str]) -> list[str]:
        from ioc.core.netguard import parse_allow

        parse_allow(value)  # a bad CIDR network is refused at start-up, with its name
        return value

    @field_validator("trusted_proxies", "metrics_allow")
    @classmethod
    def _check_networks(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """Every item an IP address or CIDR network, or the setting is refused by name."""
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"IOC_{str(info.field_name).upper()}: {item!r} is not an IP address or CIDR "
                    "network"
                ) from exc
        return value
