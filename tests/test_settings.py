"""Settings rules: a production secret must be long and random, trusted proxies must parse."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from ioc.settings import Settings


@pytest.mark.parametrize(
    "weak",
    [
        "",
        "x",
        "changeme",
        "development-only-secret-change-me",  # the default
        "a" * 64,  # long but one character
        "abcdefgh" * 5,  # long, repeated
        "please-change-me-to-something-long-and-random",  # a placeholder sentence
        "0123456789abcdef0123",  # random-looking but short
    ],
)
def test_production_refuses_a_weak_secret(weak: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", secret_key=weak)
    message = str(refused.value)
    assert "IOC_SECRET_KEY" in message
    assert "secrets.token_urlsafe(48)" in message  # says how to make a good one


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_urlsafe(24),  # 32 characters
        lambda: secrets.token_hex(32),
        lambda: secrets.token_hex(16),  # 32 hex digits = 128 bits
    ],
    ids=["token_urlsafe(48)", "token_urlsafe(24)", "token_hex(32)", "token_hex(16)"],
)
def test_production_accepts_a_random_secret(make: Callable[[], str]) -> None:
    for _ in range(200):  # random every time: no false refusal of a real random secret
        settings = Settings(env="production", secret_key=make())
        assert settings.cookie_secure is True


def test_development_keeps_its_default_secret() -> None:
    assert Settings(env="development").secret_key


def test_trusted_proxies_parse_from_a_list_or_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOC_TRUSTED_PROXIES", "10.0.0.5, 192.168.1.0/24")
    assert Settings().trusted_proxies == ["10.0.0.5", "192.168.1.0/24"]
    monkeypatch.setenv("IOC_TRUSTED_PROXIES", '["127.0.0.1", "::1"]')
    assert Settings().trusted_proxies == ["127.0.0.1", "::1"]
    monkeypatch.setenv("IOC_TRUSTED_PROXIES", "nginx.local")
    with pytest.raises(ValidationError, match="IOC_TRUSTED_PROXIES"):
        Settings()
