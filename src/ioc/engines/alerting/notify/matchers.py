"""Label matchers ``=``, ``!=``, ``=~``, ``!~`` (Alertmanager semantics).

Regular expressions are fully anchored, as in Alertmanager: ``severity=~"crit"`` does not match
``critical``. A label that is absent counts as the empty string, so ``area=""`` matches alerts
without an area and ``area!=""`` only alerts that have one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OPERATORS = ("=~", "!~", "!=", "=")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARSE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.S)


class MatcherError(ValueError):
    """A matcher that cannot be parsed; the message names it (Vietnamese / English)."""


@dataclass(frozen=True)
class Matcher:
    """One label condition, e.g. ``severity=~"critical|high"``."""

    name: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def create(cls, name: str, op: str, value: str) -> Matcher:
        """A checked matcher; raises :class:`MatcherError` for a bad name, operator or regex."""
        text = f"{name}{op}{json.dumps(value, ensure_ascii=False)}"
        if not _NAME.match(name):
            raise MatcherError(
                f"Điều kiện nhãn {text!r}: tên nhãn không hợp lệ / invalid label name"
            )
        if op not in OPERATORS:
            raise MatcherError(
                f"Điều kiện nhãn {text!r}: toán tử phải là =, !=, =~ hoặc !~ / "
                "operator must be =, !=, =~ or !~"
            )
        regex = None
        if op in ("=~", "!~"):
            try:
                regex = re.compile(f"^(?:{value})$")
            except re.error as exc:
                raise MatcherError(
                    f"Điều kiện nhãn {text!r}: biểu thức chính quy sai / bad regular "
                    f"expression ({exc})"
                ) from exc
        return cls(name, op, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this condition (a missing label is the empty string)."""
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._regex is not None
        found = self._regex.match(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"


def parse_matcher(spec: str | Mapping[str, Any]) -> Matcher:
    """Parse ``'severity=~"critical|high"'`` (quotes optional) or
    ``{"name": "severity", "op": "=~", "value": "critical|high"}``."""
    if isinstance(spec, Mapping):
        name, op, value = spec.get("name"), spec.get("op", "="), spec.get("value")
        if not isinstance(name, str) or not isinstance(op, str) or not isinstance(value, str):
            raise MatcherError(
                f"Điều kiện nhãn {dict(spec)!r}: cần name, op, value dạng chuỗi / "
                "needs text name, op and value"
            )
        return Matcher.create(name, op, value)
    if not isinstance(spec, str):
        raise MatcherError(f"Điều kiện nhãn {spec!r}: phải là chuỗi / must be text")
    found = _PARSE.match(spec)
    if not found:
        raise MatcherError(
            f'Điều kiện nhãn {spec!r}: cần dạng nhãn="giá trị" / expected '
            'name="value" with =, !=, =~ or !~'
        )
    name, op, raw = found.groups()
    if raw.startswith('"'):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise MatcherError(
                f"Điều kiện nhãn {spec!r}: dấu ngoặc kép không khớp / unbalanced quotes"
            ) from exc
        if not isinstance(value, str):
            raise MatcherError(f"Điều kiện nhãn {spec!r}: giá trị sai / bad value")
    else:
        if '"' in raw:
            raise MatcherError(
                f"Điều kiện nhãn {spec!r}: dấu ngoặc kép không khớp / unbalanced quotes"
            )
        value = raw
    return Matcher.create(name, op, value)


def parse_matchers(specs: Iterable[str | Mapping[str, Any]] | str | None) -> list[Matcher]:
    """Parse a list of matchers; a single string may hold several separated by commas
    outside quotes, optionally in braces: ``{severity="critical", area=~"24.*"}``."""
    if specs is None:
        return []
    if isinstance(specs, str):
        specs = split_matchers(specs)
    return [parse_matcher(s) for s in specs]


def split_matchers(text: str) -> list[str]:
    """Split ``'a="x", b=~"y|z"'`` (or ``{...}``) at the commas outside quotes."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in ",\n" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds (an empty list matches everything)."""
    return all(m.matches(labels) for m in matchers)


def normalize(specs: Iterable[str | Mapping[str, Any]] | str | None) -> list[str]:
    """Matchers in their canonical text form (for storage), checked."""
    return [str(m) for m in parse_matchers(specs)]
