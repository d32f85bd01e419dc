"""Every operation of the API, fuzzed from the application's own OpenAPI schema (schemathesis:
valid and invalid bodies, paths and query strings), answers below 500, on SQLite and
PostgreSQL. The caller holds every staff role, so requests get past authorisation and reach the
parsing, the services and the database; examples are derandomised, so a run is repeatable.

SQLite gets ``EXAMPLES`` per operation, the full fuzz. PostgreSQL gets every operation too but
``EXAMPLES_POSTGRES`` each: what differs there is the engine's own refusals (integers beyond its
column types, text it will not store), which the first examples of an operation already reach;
the logic behind the routes is the same code on both engines. At 30 and 30 the test took
750-870 s per engine at load 18 and exceeded its 300 s limit."""

from __future__ import annotations

from typing import Any

import pytest

from spmis.context import AppContext
from tests.integration.api.fuzz import fuzz_every_operation

EXAMPLES = 30  # per operation


@pytest.fixture
def engine_kind() -> str:
    """SQLite only here; PostgreSQL in test_api_fuzz_postgres.py."""
    return "sqlite"


def test_no_operation_answers_500(app: Any, ctx: AppContext, make_user: Any) -> None:
    fuzz_every_operation(app, ctx, make_user, EXAMPLES)
