"""Benchmark of the rules engine on the registry (issue 4).

    .venv/bin/python bench/rules.py [--households 1000000] [--period 2024-03] [--url URL]

1. Setup (not timed as evaluation; done in a child process so that it does not count in the
   peak memory): ``spmis synth`` (``spmis.synth.generator.generate``, no duplicates) writes a
   population of N households; its households, people, enterprises and identifiers are copied
   with COPY into the registry tables (``household``, ``person``, ``enterprise``,
   ``person_identifier``: NSSF membership is read from it) in the PostgreSQL schema
   ``bench_rules`` (dropped and recreated; ``--reuse`` keeps it when it already holds N
   households).
2. Evaluation, timed: load (one COPY query per table, columnar), compute (every programme of the
   catalogue, one vectorised OpenFisca simulation), write (a new kept run in ``rules_result``
   with COPY; earlier runs stay, so ``--reuse`` also shows the storage a run adds).
3. Reference: one hand-written SQL statement computing the COVID-19 cash transfer on the same
   tables (with the same parameter values and commune table), timed, and its total compared with
   the engine's.
4. The public screener's median latency for a 10-member household (function call and HTTP).

Prints the figures; peak memory is the evaluating process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, inspect, text

from spmis.db.base import metadata
from spmis.db.engine import make_engine
from spmis.registry.store import enterprise, household, person, person_identifier
from spmis.rules.area_types import TABLE_PATH
from spmis.rules.population import load_population_parallel
from spmis.rules.store import rules_current, rules_result, rules_run, write_run

DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
SCHEMA = "bench_rules"
NOW = datetime(2026, 11, 1, tzinfo=UTC).isoformat()
#: identifier columns of the synth file copied into person_identifier
IDENTIFIER_TYPES = ["national_id", "phone", "nssf_member", "birth_certificate"]


def _engine(url: str, schema: str) -> Engine:
    sep = "&" if "?" in url else "?"
    return make_engine(f"{url}{sep}options=-csearch_path%3D{schema}")


def _copy(engine: Engine, table: str, frame: pl.DataFrame) -> None:
    with engine.begin() as conn:
        raw: Any = conn.connection.dbapi_connection
        cols = ", ".join(frame.columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
            step = 500_000
            for start in range(0, frame.height, step):
                buf = io.BytesIO()
                frame.slice(start, step).write_csv(buf, include_header=False)
                cp.write(buf.getvalue())


def _rules_tables(engine: Engine) -> None:
    """The rules tables in their current shape (a schema kept with --reuse from before kept runs
    has the old rules_result: it is replaced; runs of the current shape are kept)."""
    with engine.begin() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("rules_result")} if inspect(
            conn).has_table("rules_result") else set()
        if columns and "household_id" not in columns:
            conn.execute(text("DROP TABLE rules_result, rules_run"))
    metadata.create_all(engine, tables=[rules_result, rules_run, rules_current])


def _result_bytes(engine: Engine) -> tuple[int, int, int]:
    """rules_result: rows, heap bytes, index bytes."""
    with engine.connect() as conn:
        rows, heap, index = conn.execute(text(
            "SELECT count(*), pg_table_size('rules_result'), pg_indexes_size('rules_result')"
            " FROM rules_result")).one()
    return int(rows), int(heap), int(index)


def setup(url: str, households: int, period: str, seed: int) -> None:
    """Generate with spmis synth and copy into the registry tables of the bench schema."""
    from spmis.synth.generator import generate

    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    engine = _engine(url, SCHEMA)
    metadata.create_all(engine, tables=[household, enterprise, person, person_identifier])
    _rules_tables(engine)
    year, month = (int(x) for x in period.split("-"))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        summary = generate(households, seed, Path(tmp), duplicate_share=0.0,
                           as_of=date(year, month, 1))
        print(f"setup: synth {summary}", flush=True)
        rows = pl.read_csv(
            Path(tmp) / "households.csv",
            columns=["household_key", "village_code", "idpoor_level", "idpoor_valid_from",
                     "idpoor_valid_to", "person_key", "relationship", "sex", "date_of_birth",
                     "disability", "pregnant", "expected_delivery_date", "employment_type",
                     "enterprise_key", *IDENTIFIER_TYPES],
            schema_overrides={"village_code": pl.Utf8, "household_key": pl.Utf8,
                              "person_key": pl.Utf8, "enterprise_key": pl.Utf8,
                              **dict.fromkeys(IDENTIFIER_TYPES, pl.Utf8)},
        )
        ents = pl.read_csv(Path(tmp) / "enterprises.csv",
                           columns=["enterprise_key", "name_latin", "village_code",
                                    "nssf_employer_number"],
                           schema_overrides={"village_code": pl.Utf8, "enterprise_key": pl.Utf8})
    audit = [pl.lit(NOW).alias("created_at"), pl.lit("bench").alias("created_by"),
             pl.lit(NOW).alias("updated_at"), pl.lit("bench").alias("updated_by")]
    geo = [pl.col("village_code").str.slice(0, n).alias(f"{lvl}_code")
           for n, lvl in ((6, "commune"), (4, "district"), (2, "province"))]
    ents = ents.with_row_index("id", offset=1)
    hh = (
        rows.group_by("household_key", maintain_order=True)
        .agg(pl.col("village_code", "idpoor_level", "idpoor_valid_from",
                    "idpoor_valid_to").first())
        .with_row_index("id", offset=1)
    )
    people = (
        rows.join(hh.select("household_key", pl.col("id").alias("household_id")),
                  on="household_key")
        .join(ents.select("enterprise_key", pl.col("id").alias("enterprise_id")),
              on="enterprise_key", how="left")
        .with_row_index("id", offset=1)
    )
    _copy(engine, "enterprise", ents.select(
        "id", "name_latin", "nssf_employer_number", "village_code", *geo[:3], *audit))
    _copy(engine, "household", hh.select(
        "id", "village_code", *geo, "idpoor_level", "idpoor_valid_from", "idpoor_valid_to",
        *audit))
    _copy(engine, "person", people.select(
        "id", "household_id", "relationship", pl.lit("x").alias("name_key"),
        pl.lit("x").alias("name_skeleton"), pl.lit("x").alias("name_km_key"), "sex",
        "date_of_birth", pl.col("disability").fill_null(False),
        pl.col("pregnant").fill_null(False), "expected_delivery_date",
        pl.col("employment_type").fill_null("none"), "enterprise_id", *audit))
    # identifiers as the registry holds them (one row per person and type); the keyed hash is
    # stood in for by the value itself: nothing here looks a value up
    idents = (
        people.select("id", *IDENTIFIER_TYPES)
        .unpivot(index="id", variable_name="id_type", value_name="value_hash")
        .drop_nulls("value_hash")
        .select(pl.col("id").alias("person_id"), "id_type", "value_hash",
                pl.lit(NOW).alias("created_at"))
    )
    _copy(engine, "person_identifier", idents)
    area = pl.read_csv(TABLE_PATH, schema_overrides={"commune_code": pl.Utf8})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE commune_area_type (commune_code varchar(6) PRIMARY KEY,"
                          " area_type varchar(16) NOT NULL, source text)"))
    _copy(engine, "commune_area_type", area)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"setup: {hh.height:,} households, {people.height:,} persons copied into "
          f"PostgreSQL schema {SCHEMA} in {time.perf_counter() - t0:.1f}s", flush=True)


def covid_sql(period: str) -> str:
    """The COVID-19 cash transfer as one SQL statement, with the engine's parameter values."""
    from openfisca_core.periods import period as make_period

    from spmis.rules import tax_benefit_system

    p = tax_benefit_system().parameters(period).social_assistance.covid19
    start = make_period(period).start.date.isoformat()
    last = make_period(period).stop.date.isoformat()
    active = 1 if p.active else 0

    def by_area(node: Any) -> str:
        return (f"CASE a.area_type WHEN 'phnom_penh' THEN {int(node.phnom_penh)} "
                f"WHEN 'other_urban' THEN {int(node.other_urban)} ELSE {int(node.rural)} END")

    def by_level(node: Any) -> str:
        return f"CASE WHEN lvl = 1 THEN {by_area(node.level_1)} ELSE {by_area(node.level_2)} END"

    return f"""
    WITH hh AS (
      SELECT h.id, coalesce(a.area_type, 'rural') AS area_type,
             CASE WHEN h.idpoor_level IN (1, 2)
                   AND (h.idpoor_valid_from IS NULL OR h.idpoor_valid_from <= DATE '{last}')
                   AND (h.idpoor_valid_to IS NULL OR h.idpoor_valid_to >= DATE '{start}')
                  THEN h.idpoor_level ELSE 0 END AS lvl
      FROM household h LEFT JOIN commune_area_type a ON a.commune_code = h.commune_code
      WHERE h.status = 'active'),
    m AS (
      SELECT p.household_id, count(*) AS members,
             count(*) FILTER (WHERE p.disability
               OR extract(year FROM age(DATE '{start}', p.date_of_birth))
                  < {int(p.vulnerable_child_age_limit)}
               OR extract(year FROM age(DATE '{start}', p.date_of_birth))
                  >= {int(p.vulnerable_elderly_age)}) AS vulnerable
      FROM person p WHERE p.status = 'active' GROUP BY p.household_id)
    SELECT count(*) FILTER (WHERE amount > 0), coalesce(sum(amount), 0) FROM (
      SELECT {active} * ({by_area(p.household_base)} + m.members * {by_level(p.member)}
             + m.vulnerable * {by_level(p.vulnerable_member)}) AS amount
      FROM hh a JOIN m ON m.household_id = a.id WHERE a.lvl > 0) t
    """


def screener_latency(runs: int) -> tuple[float, float]:
    """Median milliseconds of the screener for a 10-member household: function and HTTP."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from spmis.http import install_error_handlers
    from spmis.rules.api import router
    from spmis.rules.screener import ScreenerRequest, screen

    body = {
        "period": "2026-11", "idpoor_level": 1, "commune_code": "120101",
        "members": [
            {"age": 38, "sex": "male", "nssf_member": True, "monthly_wage_khr": 1_100_000},
            {"age": 34, "sex": "female", "pregnant": True},
            {"age": 1}, {"age": 4}, {"age": 9, "school_level": "primary"},
            {"age": 13, "school_level": "lower_secondary"},
            {"age": 16, "school_level": "upper_secondary"},
            {"age": 66, "disability": True}, {"age": 71}, {"age": 40, "living_with_hiv": True},
        ],
    }
    request = ScreenerRequest.model_validate(body)
    screen(request)
    direct = []
    for _ in range(runs):
        t = time.perf_counter()
        screen(request)
        direct.append(time.perf_counter() - t)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    http = []
    with TestClient(app) as client:
        client.post("/api/v1/screener", json=body)
        for _ in range(runs):
            t = time.perf_counter()
            res = client.post("/api/v1/screener", json=body)
            http.append(time.perf_counter() - t)
            assert res.status_code == 200
    return statistics.median(direct) * 1000, statistics.median(http) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--period", default="2024-03", help="month evaluated (YYYY-MM)")
    ap.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL URL")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--reuse", action="store_true", help="keep the bench schema if it has N")
    ap.add_argument("--screener-runs", type=int, default=200)
    ap.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.setup_only:
        setup(args.url, args.households, args.period, args.seed)
        return

    engine = _engine(args.url, SCHEMA)
    have = 0
    if args.reuse:
        try:
            with engine.connect() as conn:
                have = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
        except Exception:  # no schema yet
            have = 0
    if have != args.households:
        subprocess.run(
            [sys.executable, __file__, "--setup-only", "--households", str(args.households),
             "--period", args.period, "--url", args.url, "--seed", str(args.seed)],
            check=True,
        )

    from spmis.rules.engine import evaluate

    _rules_tables(engine)
    stored_before = _result_bytes(engine)
    period = args.period
    t0 = time.perf_counter()
    loaded = load_population_parallel(engine, period)
    t1 = time.perf_counter()
    pop = loaded.population
    results = evaluate(pop, period)
    t2 = time.perf_counter()
    run_id, rows = write_run(engine, period, pop, results, run_by="bench")
    t3 = time.perf_counter()
    stored_after = _result_bytes(engine)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        s0 = time.perf_counter()
        sql_count, sql_total = conn.execute(text(covid_sql(period))).one()
        s1 = time.perf_counter()
    engine.dispose()
    covid = results["covid19_cash_transfer"]
    engine_total = int(covid.amount.sum())
    engine_count = int((covid.amount > 0).sum())

    same = (sql_count, int(sql_total)) == (engine_count, engine_total)
    verdict = "match" if same else "DIFFER"
    print(f"\nrules benchmark: period {period}, {len(pop.household_ids):,} households, "
          f"{len(pop.person_ids):,} persons, {len(results)} programmes, PostgreSQL")
    print(f"  load     {t1 - t0:7.2f} s   (COPY per table, persons in 2 streams, columnar)")
    print(f"  compute  {t2 - t1:7.2f} s   (one vectorised OpenFisca simulation)")
    print(f"  write    {t3 - t2:7.2f} s   ({rows:,} result rows, COPY; run {run_id})")
    print(f"  total    {t3 - t0:7.2f} s   (target 60 s)")
    print(f"  peak memory {peak_mb:,.0f} MB (max RSS of the evaluating process)")
    kept, heap, index = stored_after
    added = [a - b for a, b in zip(stored_after, stored_before, strict=True)]
    print(f"  storage: this run {added[0]:,} rows, {added[1] / 2**20:,.1f} MB heap + "
          f"{added[2] / 2**20:,.1f} MB index ({(added[1] + added[2]) / max(added[0], 1):.0f} "
          f"bytes a row); rules_result now {kept:,} rows, "
          f"{(heap + index) / 2**20:,.1f} MB over every kept run")
    print(f"  reference: hand-written SQL for the COVID-19 transfer {s1 - s0:.2f} s; "
          f"{sql_count:,} households, {int(sql_total):,} KHR "
          f"(engine: {engine_count:,} households, {engine_total:,} KHR; {verdict})")
    for pid, res in results.items():
        print(f"    {pid:34s} {int(res.eligible.sum()):>10,} eligible "
              f"{int(res.amount.sum()):>18,} {res.currency}")
    direct, http = screener_latency(args.screener_runs)
    print(f"  screener, 10-member household: median {direct:.1f} ms (function), "
          f"{http:.1f} ms (HTTP, TestClient) over {args.screener_runs} runs (target 100 ms)")


if __name__ == "__main__":
    main()
