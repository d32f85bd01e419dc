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

import hypothesis
import schemathesis
from hypothesis import HealthCheck

from spmis.auth.accounts import AccountService
from spmis.auth.roles import ALL_ROLES
from spmis.context import AppContext

EXAMPLES = 30  # per operation
EXAMPLES_POSTGRES = 10


def test_no_operation_answers_500(app: Any, ctx: AppContext, make_user: Any) -> None:
    examples = EXAMPLES if ctx.engine.dialect.name == "sqlite" else EXAMPLES_POSTGRES
    user = make_user(",".join(sorted(ALL_ROLES)))
    headers = {"Authorization": f"Bearer {AccountService(ctx).user_token(user).token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: set[int] = set()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=examples, deadline=None, derandomize=True,
                             database=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.add(response.status_code)
            assert response.status_code < 500, response.text[:300]

        try:
            call()
        except Exception as exc:  # an exception the app let through, or a 5xx
            inner = getattr(exc, "exceptions", None) or [exc]  # hypothesis groups them
            failures += [f"{operation.method.upper()} {operation.path}: "
                         f"{type(e).__name__}: {str(e)[:600]}" for e in inner]
    assert len(operations) > 50
    assert {200, 201, 404, 422} <= statuses  # past authorisation, into the services
    assert not failures, "\n\n".join(failures)
