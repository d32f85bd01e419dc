"""The API fuzz shared by test_api_fuzz.py (SQLite) and test_api_fuzz_postgres.py: two files so
that ``--dist loadfile`` may give the two engines to different xdist workers (the fuzz is the
suite's longest file)."""

from __future__ import annotations

from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck

from spmis.auth.accounts import AccountService
from spmis.auth.roles import ALL_ROLES
from spmis.context import AppContext


def fuzz_every_operation(app: Any, ctx: AppContext, make_user: Any, examples: int) -> None:
    """Every operation with ``examples`` derandomised cases, as a caller holding every role;
    fails on any answer of 500 or more and on an exception the app lets through."""
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
