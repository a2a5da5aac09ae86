"""Fuzz every operation of the JSON API from its OpenAPI document: no input makes it answer 5xx,
and every documented answer matches its schema.

Schemathesis generates requests from ``/api/openapi.json`` as served (request bodies, query
strings and headers included: valid and invalid ones, huge numbers, NUL bytes, odd Unicode,
wrong types, boundary values) and sends them through the ASGI app in-process. Two passes: an
admin's API token holding every token scope (operations needing more than a token can hold get
the admin's session cookie, as their ``security`` says), and anonymous callers on the public
operations. Each answer must not be a 5xx and, when its status is documented, must match the
documented schema (``response_schema_conformance``). Bounded and seeded, so CI repeats the
same run.
"""

from __future__ import annotations

import pytest
import schemathesis
from fuzz_kit import SETTINGS, Served, call_as_admin, call_as_anyone

pytestmark = pytest.mark.slow


@schemathesis.pytest.from_fixture("admin_read_schema").parametrize()
@SETTINGS
def test_no_server_error_for_an_admin_reading(
    case: schemathesis.Case, served: Served, credentials: dict[str, str]
) -> None:
    call_as_admin(case, served, credentials)


@schemathesis.pytest.from_fixture("public_schema").parametrize()
@SETTINGS
def test_no_server_error_for_anyone(case: schemathesis.Case, credentials: dict[str, str]) -> None:
    call_as_anyone(case, credentials)
