"""The JSON API fuzz, writing operations as the admin (POST, PATCH, PUT, DELETE): see
test_fuzz_api_reads.py for what the fuzz checks."""

from __future__ import annotations

import pytest
import schemathesis
from fuzz_kit import SETTINGS, Served, call_as_admin

pytestmark = pytest.mark.slow


@schemathesis.pytest.from_fixture("admin_write_schema").parametrize()
@SETTINGS
def test_no_server_error_for_an_admin_writing(
    case: schemathesis.Case, served: Served, credentials: dict[str, str]
) -> None:
    call_as_admin(case, served, credentials)
