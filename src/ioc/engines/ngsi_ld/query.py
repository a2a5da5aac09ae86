"""The ``q`` filter of ``GET /entities`` (clause 4.9), the subset the IOC supports.

Terms ``attr``, ``attr==v``, ``attr!=v``, ``attr>v``, ``attr>=v``, ``attr<v``, ``attr<=v``,
``attr~=regex``; values are numbers, ``"strings"``, ``true``/``false``, lists ``v1,v2`` and ranges
``v1..v2`` (with ``==``/``!=``); terms are combined with ``;`` (and), ``|`` (or) and parentheses.
Attribute paths (``attr.sub``, ``attr[key]``) are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from ioc.engines.ngsi_ld.problems import bad_request

Predicate = Callable[[Mapping[str, Any]], bool]

_OPS = ("==", "!=", ">=", "<=", "~=", ">", "<")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_:\-]*")


def parse_q(text: str) -> Predicate:
    """A predicate over ``{attribute: key-values value}``; 400 BadRequestData on bad syntax."""
    parser = _Parser(text)
    predicate = parser.parse_or()
    if parser.pos != len(text):
        raise bad_request(f"q: unexpected {text[parser.pos :]!r}")
    return predicate


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse_or(self) -> Predicate:
        return self._joined("|", self.parse_and, any)

    def parse_and(self) -> Predicate:
        return self._joined(";", self.parse_term, all)

    def _joined(
        self,
        separator: str,
        parse_part: Callable[[], Predicate],
        combine: Callable[[Iterable[bool]], bool],
    ) -> Predicate:
        """One or more parts read by ``parse_part`` between ``separator`` s, true as
        ``combine`` (``any`` or ``all``) of theirs."""
        parts = [parse_part()]
        while self._peek(separator):
            self.pos += 1
            parts.append(parse_part())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: combine(p(doc) for p in parts)

    def parse_term(self) -> Predicate:
        if self._peek("("):
            self.pos += 1
            inner = self.parse_or()
            if not self._peek(")"):
                raise bad_request("q: missing )")
            self.pos += 1
            return inner
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise bad_request(f"q: attribute name expected at {self.text[self.pos :]!r}")
        name = match.group(0)
        self.pos = match.end()
        if self.pos < len(self.text) and self.text[self.pos] in ".[":
            raise bad_request("q: attribute paths (a.b, a[b]) are not supported")
        op = next((o for o in _OPS if self.text.startswith(o, self.pos)), None)
        if op is None:
            return lambda doc: name in doc
        self.pos += len(op)
        raw = self._value_text()
        return _compare(name, op, raw)

    def _value_text(self) -> str:
        start = self.pos
        in_string = False
        depth = 0
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == '"':
                in_string = not in_string
            elif not in_string:
                if ch == "(":
                    depth += 1
                elif ch == ")":
                    if depth == 0:
                        break
                    depth -= 1
                elif ch in ";|" and depth == 0:
                    break
            self.pos += 1
        if in_string:
            raise bad_request("q: unterminated string")
        value = self.text[start : self.pos]
        if not value:
            raise bad_request("q: value expected")
        return value

    def _peek(self, ch: str) -> bool:
        return self.pos < len(self.text) and self.text[self.pos] == ch


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    if raw == "true":
        return True
    if raw == "false":
        return False
    try:
        return float(raw)
    except ValueError:
        pass
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T[^\s]*", raw):
        return raw  # a DateTime, compared as an instant below
    raise bad_request(f"q: cannot read value {raw!r} (quote strings)")


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """The two values in a comparable form, or None when they cannot be compared."""
    if isinstance(a, bool) or isinstance(b, bool):
        return (a, b) if isinstance(a, bool) and isinstance(b, bool) else None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a), float(b)
    if isinstance(a, str) and isinstance(b, str):
        try:
            da, db = datetime.fromisoformat(a), datetime.fromisoformat(b)
        except ValueError:
            return a, b
        if (da.tzinfo is None) == (db.tzinfo is None):
            return da, db
        return a, b
    return None


def _compare(name: str, op: str, raw: str) -> Predicate:
    if op == "~=":
        text = raw.strip()
        pattern_text = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
        try:
            pattern = re.compile(pattern_text)
        except re.error as exc:
            raise bad_request(f"q: bad pattern {pattern_text!r}: {exc}") from exc
        return lambda doc: isinstance(doc.get(name), str) and bool(pattern.search(doc[name]))
    if op in ("==", "!=") and ".." in raw and not raw.strip().startswith('"'):
        lo_raw, hi_raw = raw.split("..", 1)
        lo, hi = _literal(lo_raw), _literal(hi_raw)

        def in_range(doc: Mapping[str, Any]) -> bool:
            if name not in doc:
                return False
            c1, c2 = _comparable(doc[name], lo), _comparable(doc[name], hi)
            return c1 is not None and c2 is not None and c1[1] <= c1[0] <= c2[1]

        return in_range if op == "==" else (lambda doc: name in doc and not in_range(doc))
    values = [_literal(v) for v in _split_list(raw)] if op in ("==", "!=") else [_literal(raw)]

    def test(doc: Mapping[str, Any]) -> bool:
        if name not in doc:
            return False
        actual = doc[name]
        if op in ("==", "!="):
            hit = False
            for v in values:
                pair = _comparable(actual, v)
                if pair is not None and pair[0] == pair[1]:
                    hit = True
                    break
            return hit if op == "==" else not hit
        pair = _comparable(actual, values[0])
        if pair is None:
            return False
        try:
            if op == ">":
                return bool(pair[0] > pair[1])
            if op == ">=":
                return bool(pair[0] >= pair[1])
            if op == "<":
                return bool(pair[0] < pair[1])
            return bool(pair[0] <= pair[1])
        except TypeError:
            return False

    return test


def _split_list(raw: str) -> list[str]:
    parts: list[str] = []
    current = ""
    in_string = False
    for ch in raw:
        if ch == '"':
            in_string = not in_string
        if ch == "," and not in_string:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts
