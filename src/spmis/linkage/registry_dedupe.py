"""Deduplication inside the registry: a run (scheduled or on demand) that scores candidate pairs of
active people with the linkage engine, stores the run and its pairs, merges automatically only
above a high threshold and only when no identifier conflicts, and queues the uncertain band for
clerical review. Idempotent: a second run finds nothing new to merge (merged people are no
longer active) and never queues a pair twice (``link_review`` holds one row per pair).

No run merges automatically below the floor ``SPMIS_LINKAGE_AUTO_MERGE_FLOOR`` (a setting, the
same for the API, the CLI and jobs): a run may ask for a higher threshold, never a lower one.

Decisions per pair (``link_candidate.decision``):

- ``auto_merge``: probability >= ``auto_merge_threshold``, no identifier conflict in the pair nor
  in the group of people the automatic pairs join (A=B and B=C merge A, B and C together, so a
  conflict between A and C stops all three), and no person has decided on this pair before.
- ``conflict``: as strong as ``auto_merge`` but both people hold a national ID (or IDPoor card,
  NSSF member number, birth certificate) and they differ, or their recorded sex differs
  (conflict ``sex``), or the group has such a conflict: sent to the review queue instead.
- ``review``: between ``review_threshold`` and ``auto_merge_threshold``: queued.
- ``decided``: a person already accepted or rejected this pair (or a merge of it was undone);
  left alone.

All batch work is set-based: people load in one streamed query, pairs are scored, explained and
decided in DuckDB, stored with bulk inserts, queued with one INSERT ... SELECT, and merged in
batches of set-based statements (``spmis.registry.merges``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, and_, exists, func, insert, literal, select, update

from spmis.auth.model import Actor
from spmis.auth.scope import overlaps
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, InvalidInput
from spmis.linkage import engine
from spmis.linkage.reasons import reasons_sql
from spmis.linkage.registry_source import CONFLICT_TYPES, load_people, registry_source_sql
from spmis.linkage.store import PENDING, link_candidate, link_review, link_run
from spmis.registry import queries
from spmis.registry.merges import MergeItem, merge_people

__all__ = ["REVIEW_THRESHOLD", "DedupeSummary", "run_registry_dedupe"]

#: default match probability at or above which a pair goes to the clerical review queue
REVIEW_THRESHOLD = 0.80
MERGE_BATCH = 2000
#: a run still marked running after this long is taken as dead (its process was killed)
STALE_AFTER = timedelta(hours=12)
INSERT_BATCH = 20_000
PEOPLE = "__spmis_registry_people"
CANDIDATES = "__spmis_registry_candidates"


@dataclass
class DedupeSummary:
    """What a run did (also stored in ``link_run``)."""

    run_id: int
    records: int = 0
    pairs_scored: int = 0
    candidates: int = 0
    auto_merged: int = 0
    queued: int = 0
    blocked: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _check_thresholds(auto: float, review: float, floor: float) -> None:
    if auto < floor:
        raise InvalidInput.one(
            ("auto_merge_threshold",), "below_floor",
            f"automatic merging below {floor} is not allowed (setting "
            f"SPMIS_LINKAGE_AUTO_MERGE_FLOOR); a run may only raise the threshold",
            f"មិនអនុញ្ញាតឱ្យបញ្ចូលគ្នាដោយស្វ័យប្រវត្តិក្រោម {floor} ទេ (ការកំណត់ "
            "SPMIS_LINKAGE_AUTO_MERGE_FLOOR) ការរត់មួយអាចតម្លើងកម្រិតបានតែប៉ុណ្ណោះ")
    if not 0.0 < review <= auto <= 1.0:
        raise InvalidInput.one(
            ("review_threshold",), "bad_threshold",
            f"thresholds must satisfy 0 < review ({review}) <= auto-merge ({auto}) <= 1",
            "កម្រិតត្រូវតែ 0 < ពិនិត្យ <= បញ្ចូលស្វ័យប្រវត្តិ <= 1")


def run_registry_dedupe(
    ctx: AppContext,
    actor: Actor,
    *,
    auto_merge_threshold: float | None = None,
    review_threshold: float = REVIEW_THRESHOLD,
    options: engine.LinkageOptions | None = None,
    memory_limit: str = "2GB",
    progress: Callable[[str], None] | None = None,
) -> DedupeSummary:
    """Run deduplication over the active people in ``actor``'s scope; see the module docstring.
    ``auto_merge_threshold`` defaults to the floor setting and may not be below it."""
    floor = ctx.settings.linkage_auto_merge_floor
    if auto_merge_threshold is None:
        auto_merge_threshold = floor
    _check_thresholds(auto_merge_threshold, review_threshold, floor)
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    with UnitOfWork(ctx.engine) as uow:
        _refuse_overlapping_run(uow.conn, actor.scope)
        run_id = uow.conn.execute(insert(link_run).values(
            kind="registry_dedupe", status="running", started_at=utcnow(),
            started_by=actor.username, scope=actor.scope,
            auto_merge_threshold=auto_merge_threshold, review_threshold=review_threshold,
        ).returning(link_run.c.id)).scalar_one()
        uow.commit()
    summary = DedupeSummary(run_id=run_id)
    model: dict[str, Any] | None = None
    con = engine.connect(memory_limit=memory_limit)
    try:
        say("loading people from the registry")
        with ctx.engine.connect() as conn:
            summary.records = load_people(conn, con, PEOPLE, scope=actor.scope)
            _load_decided(conn, con)
        if summary.records >= 2:
            roles = {"family_name", "given_name", "family_name_km", "given_name_km",
                     "date_of_birth", "sex", "village_code"}
            if _scalar(con, f"select count(phone) from {PEOPLE}"):
                roles.add("phone")
            con.execute(f"create or replace view __spmis_registry_source as "
                        f"{registry_source_sql(PEOPLE, roles)}")
            opts = replace(options or engine.LinkageOptions(), threshold=auto_merge_threshold,
                           pair_floor=review_threshold)
            result = engine.dedupe(con, "__spmis_registry_source", roles, opts, progress=say)
            summary.pairs_scored, model = result.pairs_scored, result.model
            summary.notes += result.notes
            say("deciding: automatic merge, review queue, or conflict")
            _decide(con, result.pairs, roles, auto_merge_threshold, review_threshold)
            _persist(ctx, con, run_id, summary)
            say("merging automatically")
            _auto_merge(ctx, con, run_id, actor, auto_merge_threshold, summary)
        status = "finished"
    except Exception:
        status = "failed"
        raise
    finally:
        con.close()
        summary.seconds = time.perf_counter() - t0
        with UnitOfWork(ctx.engine) as uow:
            uow.conn.execute(update(link_run).where(link_run.c.id == run_id).values(
                status=status, finished_at=utcnow(), records=summary.records,
                pairs_scored=summary.pairs_scored, candidates=summary.candidates,
                auto_merged=summary.auto_merged, queued=summary.queued,
                blocked=summary.blocked, model=model,
                notes=[*summary.notes, f"{summary.seconds:.1f} s"]))
            uow.commit()
    return summary


def abandon_runs(ctx: AppContext, started_by: str, scope: str, since: datetime,
                 note: str) -> int:
    """Mark failed the runs ``started_by`` started over ``scope`` at or after ``since`` that are
    still ``running``: their process is gone (a job taken over from a killed worker,
    ``spmis.linkage.dedupe_job.release_run``). Returns how many."""
    with UnitOfWork(ctx.engine) as uow:
        done = uow.conn.execute(update(link_run).where(
            link_run.c.status == "running", link_run.c.kind == "registry_dedupe",
            link_run.c.started_by == started_by, link_run.c.scope == scope,
            link_run.c.started_at >= since,
        ).values(status="failed", finished_at=utcnow(), notes=[note])).rowcount
        uow.commit()
    return int(done or 0)


def _refuse_overlapping_run(conn: Connection, scope: str) -> None:
    """One run at a time over any area (two runs could merge the same people); a run left
    ``running`` longer than ``STALE_AFTER`` (a killed process) no longer counts."""
    since = utcnow() - STALE_AFTER
    for run_id, other, started in conn.execute(
            select(link_run.c.id, link_run.c.scope, link_run.c.started_at).where(
                link_run.c.status == "running", link_run.c.started_at >= since)):
        if overlaps(other, scope):
            raise Conflict(
                f"deduplication run {run_id} (area '{other or 'all'}') is running since "
                f"{started:%Y-%m-%d %H:%M} UTC; wait for it to finish",
                f"ការរត់លេខ {run_id} កំពុងដំណើរការ សូមរង់ចាំ")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _load_decided(conn: Connection, con: duckdb.DuckDBPyConnection) -> None:
    """Pairs a person already decided on (or owns in the queue): never merged automatically."""
    schema = pa.schema([("l", pa.int64()), ("r", pa.int64()), ("status", pa.string())])
    con.register("__spmis_batch", schema.empty_table())
    con.execute("create or replace table __spmis_decided as select * from __spmis_batch")
    con.unregister("__spmis_batch")
    result = conn.execution_options(yield_per=INSERT_BATCH).execute(
        select(link_review.c.person_id_l, link_review.c.person_id_r, link_review.c.status))
    for rows in result.partitions():
        cols = list(zip(*rows, strict=True))
        con.register("__spmis_batch", pa.table(cols, schema=schema))
        con.execute("insert into __spmis_decided select * from __spmis_batch")
        con.unregister("__spmis_batch")


#: fields that, when both people have them and they differ, stop an automatic merge: the
#: identifiers that belong to one person, and the recorded sex
CONFLICT_FIELDS = (*CONFLICT_TYPES, "sex")


def _conflicts_sql() -> str:
    arms = ", ".join(
        f"case when ra.{t} is not null and rb.{t} is not null and ra.{t} <> rb.{t} "
        f"then '{t}' end" for t in CONFLICT_FIELDS)
    return f"list_filter([{arms}], lambda x: x is not null)"


def _decide(con: duckdb.DuckDBPyConnection, pairs: str, roles: set[str], auto: float,
            review: float) -> None:
    con.execute(f"""
        create or replace table {CANDIDATES} as
        with c as (
            select least(p.record_id_l, p.record_id_r) as l,
                   greatest(p.record_id_l, p.record_id_r) as r,
                   p.match_probability as probability, p.match_weight as weight,
                   {reasons_sql(roles)} as reasons, {_conflicts_sql()} as conflicts
            from {pairs} as p
            join {engine.PREPARED} as a on a.record_id = p.record_id_l
            join {engine.PREPARED} as b on b.record_id = p.record_id_r
            join {PEOPLE} as ra on ra.record_id = p.record_id_l
            join {PEOPLE} as rb on rb.record_id = p.record_id_r
            where p.match_probability >= {review}
        )
        select c.*, case
            when d.l is not null then 'decided'
            when c.probability >= {auto} and len(c.conflicts) = 0 then 'auto_merge'
            when c.probability >= {auto} then 'conflict'
            else 'review' end as decision
        from c left join __spmis_decided as d on d.l = c.l and d.r = c.r
    """)
    _block_conflicting_groups(con)


def _block_conflicting_groups(con: duckdb.DuckDBPyConnection) -> None:
    """Join automatic pairs into groups (connected components, by repeated minimum-label
    propagation in SQL); a group where two people hold different identifiers of one type is
    not merged: its pairs become ``conflict`` (reason ``via_other_record``)."""
    con.execute(f"""
        create or replace table __spmis_edges as
        select l as a, r as b from {CANDIDATES} where decision = 'auto_merge'
        union all select r, l from {CANDIDATES} where decision = 'auto_merge'""")
    con.execute("create or replace table __spmis_comp as "
                "select distinct a as id, a as label from __spmis_edges")
    while True:
        con.execute("""
            create or replace table __spmis_comp_next as
            select c.id, least(c.label, coalesce(min(n.label), c.label)) as label
            from __spmis_comp as c
            left join __spmis_edges as e on e.a = c.id
            left join __spmis_comp as n on n.id = e.b
            group by c.id, c.label""")
        changed = _scalar(con, """select count(*) from __spmis_comp_next as x
                                  join __spmis_comp as c using (id) where x.label <> c.label""")
        con.execute("create or replace table __spmis_comp as select * from __spmis_comp_next")
        if not changed:
            break
    having = " or ".join(f"count(distinct p.{t}) > 1" for t in CONFLICT_TYPES)
    con.execute(f"""
        create or replace table __spmis_bad_groups as
        select c.label from __spmis_comp as c join {PEOPLE} as p on p.record_id = c.id
        group by c.label having {having}""")
    con.execute(f"""
        update {CANDIDATES} set decision = 'conflict',
               conflicts = list_append(conflicts, 'via_other_record')
        where decision = 'auto_merge' and l in (
            select id from __spmis_comp where label in (select label from __spmis_bad_groups))""")


def _persist(ctx: AppContext, con: duckdb.DuckDBPyConnection, run_id: int,
             summary: DedupeSummary) -> None:
    """Store every candidate pair of the run, then queue the new uncertain and conflicting
    pairs (one INSERT ... SELECT that skips pairs already in the queue)."""
    reader = con.sql(f"""select l as person_id_l, r as person_id_r,
        probability as match_probability, weight as match_weight, reasons, conflicts, decision
        from {CANDIDATES} order by l, r""").to_arrow_reader(INSERT_BATCH)
    with UnitOfWork(ctx.engine) as uow:
        conn = uow.conn
        for batch in reader:
            rows = batch.to_pylist()
            for row in rows:
                row["run_id"] = run_id
            if rows:
                conn.execute(insert(link_candidate), rows)
            summary.candidates += len(rows)
        summary.blocked = _scalar(
            con, f"select count(*) from {CANDIDATES} where decision = 'conflict'")
        summary.queued = _queue(conn, run_id)
        uow.commit()


def _queue(conn: Connection, run_id: int) -> int:
    c, r = link_candidate, link_review
    vl = queries.person_village_codes().subquery("vl")
    vr = queries.person_village_codes().subquery("vr")
    now = utcnow()
    new = (
        select(c.c.person_id_l, c.c.person_id_r, literal(run_id), literal(run_id),
               c.c.match_probability, c.c.reasons, c.c.conflicts, vl.c.village_code,
               vr.c.village_code, literal(PENDING), literal(now, r.c.created_at.type))
        .select_from(c.join(vl, vl.c.person_id == c.c.person_id_l)
                     .join(vr, vr.c.person_id == c.c.person_id_r))
        .where(c.c.run_id == run_id, c.c.decision.in_(("review", "conflict")),
               ~exists().where(r.c.person_id_l == c.c.person_id_l,
                               r.c.person_id_r == c.c.person_id_r))
    )
    conn.execute(insert(r).from_select(
        ["person_id_l", "person_id_r", "first_run_id", "last_run_id", "match_probability",
         "reasons", "conflicts", "area_code_l", "area_code_r", "status", "created_at"], new))
    # pairs still pending from earlier runs: note that this run saw them again
    seen = exists().where(c.c.run_id == run_id, c.c.person_id_l == r.c.person_id_l,
                          c.c.person_id_r == r.c.person_id_r)
    conn.execute(update(r).where(and_(r.c.status == PENDING, seen)).values(last_run_id=run_id))
    return int(conn.execute(select(func.count()).select_from(r)
                            .where(r.c.first_run_id == run_id)).scalar_one())


def _auto_merge(ctx: AppContext, con: duckdb.DuckDBPyConnection, run_id: int, actor: Actor,
                auto: float, summary: DedupeSummary) -> None:
    """Merge each group of automatic pairs into its lowest person id (the oldest record)."""
    reader = con.sql(f"""
        with members as (
            select c.label as survivor_id, c.id as merged_id from __spmis_comp as c
            where c.id <> c.label
              and c.label not in (select label from __spmis_bad_groups)),
        best as (
            select id, max(probability) as probability from (
                select l as id, probability from {CANDIDATES} where decision = 'auto_merge'
                union all
                select r, probability from {CANDIDATES} where decision = 'auto_merge')
            group by id)
        select m.survivor_id, m.merged_id, b.probability
        from members as m join best as b on b.id = m.merged_id
        order by m.survivor_id, m.merged_id""").to_arrow_reader(MERGE_BATCH)
    reason = (f"automatic merge by run {run_id}: match probability >= {auto}, "
              "no conflicting identifier")
    for batch in reader:
        items = [MergeItem(r["survivor_id"], r["merged_id"], r["probability"])
                 for r in batch.to_pylist()]
        with UnitOfWork(ctx.engine) as uow:
            merged = merge_people(uow.conn, items, actor, method="auto", reason=reason,
                                  run_id=run_id, strict=False)
            uow.commit()
        summary.auto_merged += len(merged)
