"""The API fuzz of test_api_fuzz.py on PostgreSQL, with fewer examples per operation (its
docstring says why); a file of its own so that it may run on the other xdist worker."""

from __future__ import annotations

from typing import Any

import pytest

from spmis.context import AppContext
from tests.integration.api.fuzz import fuzz_every_operation

pytestmark = pytest.mark.postgres

EXAMPLES_POSTGRES = 10  # per operation


@pytest.fixture
def engine_kind() -> str:
    return "postgres"


def test_no_operation_answers_500(app: Any, ctx: AppContext, make_user: Any) -> None:
    fuzz_every_operation(app, ctx, make_user, EXAMPLES_POSTGRES)
