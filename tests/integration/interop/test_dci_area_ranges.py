"""Range conditions on a household's derived area codes (province, district, commune) in DCI
queries are answered from the indexed village code: the households found are exactly those
whose stored derived code satisfies the condition, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select

from spmis.gazetteer import gazetteer
from spmis.interop.model import Cond
from spmis.interop.store import compile_condition
from spmis.registry import queries
from spmis.registry.store import household

LEVELS = {"province_code": 2, "district_code": 4, "commune_code": 6}


@pytest.fixture
def villages(db_url: str) -> Iterator[tuple[Any, list[str]]]:
    every = sorted(c for c, u in gazetteer().units.items() if u.level == "village")
    chosen = every[:: len(every) // 300]
    engine = create_engine(db_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(household), [
            {"village_code": v, "commune_code": v[:6], "district_code": v[:4],
             "province_code": v[:2], "status": "active", "version": 1,
             "created_at": now, "created_by": "test", "updated_at": now, "updated_by": "test"}
            for v in chosen])
    try:
        yield engine, chosen
    finally:
        engine.dispose()


def test_ranges_on_derived_codes_match_the_stored_codes(villages: tuple[Any, list[str]]) -> None:
    engine, chosen = villages
    checks = 0
    with engine.connect() as conn:
        for attr, n in LEVELS.items():
            codes = sorted({v[:n] for v in chosen})
            for code in (codes[0], codes[len(codes) // 2], codes[-1]):
                for op in ("lt", "le", "gt", "ge"):
                    found = set(conn.execute(
                        select(queries.households().c.village_code).where(
                            compile_condition(Cond(attr, op, code), {}))).scalars())
                    stored = set(conn.execute(
                        select(household.c.village_code).where(
                            {"lt": household.c[attr] < code, "le": household.c[attr] <= code,
                             "gt": household.c[attr] > code, "ge": household.c[attr] >= code,
                             }[op])).scalars())
                    assert found == stored, (attr, op, code)
                    checks += bool(stored)
    assert checks > 20  # most conditions match some households
