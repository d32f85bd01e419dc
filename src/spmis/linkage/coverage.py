"""Coverage gap of the social security fund: registry people recorded as workers (formal,
informal, self-employed) who are not fund members, by province, sex and employment type.

The fund's member list is linked to the registry as ``spmis link match`` does
(``spmis.linkage.match.link_list``); a registry person counts as a member when any member row
reaches the match threshold with them. Workers are loaded with one streamed query; the
anti-join and the counts are one DuckDB statement; the CSV is written by DuckDB.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.formula_guard import copy_csv
from spmis.linkage import engine
from spmis.linkage.match import DEFAULT_FLOOR, DEFAULT_THRESHOLD, link_list
from spmis.linkage.registry_source import load_people
from spmis.linkage.roles import ColumnMapping
from spmis.registry.model import EmploymentType, IdentifierType

__all__ = ["WORKER_TYPES", "GapSummary", "coverage_gap"]

WORKER_TYPES = (EmploymentType.FORMAL.value, EmploymentType.INFORMAL.value,
                EmploymentType.SELF_EMPLOYED.value)
COLUMNS = ("province_code", "province_en", "province_km", "sex", "employment_type", "workers",
           "fund_members", "not_members")


@dataclass
class GapSummary:
    member_rows: int = 0
    members_matched: int = 0
    workers: int = 0
    not_members: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)  #: the table, as written
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def coverage_gap(
    ctx: AppContext,
    members: Path,
    mapping: ColumnMapping,
    actor: Actor,
    out: Path,
    *,
    id_type: IdentifierType = IdentifierType.NSSF_MEMBER,
    threshold: float = DEFAULT_THRESHOLD,
    memory_limit: str = "2GB",
    progress: Callable[[str], None] | None = None,
) -> GapSummary:
    """Link ``members`` to the registry and count workers who are not members; write ``out``."""
    t0 = time.perf_counter()
    con = engine.connect(memory_limit=memory_limit)
    try:
        tables = link_list(ctx, con, members, mapping, actor, id_type=id_type,
                           threshold=threshold, floor=min(DEFAULT_FLOOR, threshold),
                           progress=progress)
        with ctx.engine.connect() as conn:
            load_people(conn, con, "__spmis_workers", scope=actor.scope,
                        employment_types=WORKER_TYPES)
        units = ctx.gazetteer.list("province")
        con.register("__spmis_provinces", pa.table({
            "code": [u.code for u in units], "name_en": [u.name_en for u in units],
            "name_km": [u.name_km for u in units]}))
        con.execute(f"""create or replace table __spmis_gap as
            with covered as (
                select distinct person_id from {tables.cross} where probability >= {threshold}),
            w as (
                select p.province_code, p.sex, p.employment_type,
                       (c.person_id is not null) as member
                from __spmis_workers as p left join covered as c on c.person_id = p.record_id)
            select w.province_code, g.name_en as province_en, g.name_km as province_km,
                   w.sex, w.employment_type, count(*) as workers,
                   count(*) filter (where member) as fund_members,
                   count(*) filter (where not member) as not_members
            from w left join __spmis_provinces as g on g.code = w.province_code
            group by all order by w.province_code, w.sex, w.employment_type""")
        con.unregister("__spmis_provinces")
        out.parent.mkdir(parents=True, exist_ok=True)
        copy_csv(con, "__spmis_gap", out)
        rows = [dict(zip(COLUMNS, r, strict=True))
                for r in con.execute(f"select {', '.join(COLUMNS)} from __spmis_gap").fetchall()]
        matched = int(con.execute(f"select count(distinct list_row) from {tables.best} "
                                  f"where sure >= 1").fetchall()[0][0])
    finally:
        con.close()
    return GapSummary(
        member_rows=tables.rows, members_matched=matched,
        workers=sum(r["workers"] for r in rows), not_members=sum(r["not_members"] for r in rows),
        rows=rows, seconds=time.perf_counter() - t0, notes=tables.notes)
