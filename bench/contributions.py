"""Benchmark of the fund's month on PostgreSQL (issue 15).

    .venv/bin/python bench/contributions.py                  # 20,000 enterprises, 4,300,000 workers
    .venv/bin/python bench/contributions.py --employers 2000 --workers 430000 [--url URL]
    .venv/bin/python bench/contributions.py --setup-only     # then, on a quiet machine:
    flock /tmp/spmis-quiet.lock .venv/bin/python bench/contributions.py --reuse

1. Setup (not timed): in the schema ``bench_contributions``, the fund's tables; 20,000 employers,
   4,300,000 affiliations and one submitted declaration per employer with a wage for each of its
   workers (riel, between 100,000 and 3,000,000, spread so that every band, floor and ceiling is
   hit), written by SQL ``generate_series``; then ``ANALYZE``. ``--reuse`` keeps a schema of the
   same size made before (``--setup-only``) and removes only what a run and the reference wrote.
2. The month's run as the fund runs it (``FundService.run_month``: the rules engine over the
   wages in chunks, contributions written with COPY, one invoice per employer), timed, with its
   peak resident memory (sampled every 20 ms).
3. Reference: one hand-written ``INSERT ... SELECT`` computing the same amounts (the month's
   parameters read from the rules engine, written into the SQL) into a table with the same
   columns and indexes as ``fund_contribution`` (``LIKE ... INCLUDING ALL``), timed; its rows are
   compared with the run's, amount by amount.

Targets: within 3x of the reference and under 60 s; memory bounded (the run reads, computes and
writes ``CHUNK_WORKERS`` workers at a time).
"""

from __future__ import annotations

import argparse
import base64
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, text

DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
SCHEMA = "bench_contributions"
PERIOD = "2026-11"
TODAY = date(2026, 12, 6)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def measured(figures: dict[str, float]) -> Iterator[None]:
    """Time the block and sample the process's peak resident memory."""
    peak = [_rss_mb()]
    figures["rss_before_mb"] = peak[0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        figures["seconds"] = time.perf_counter() - t0
        done.set()
        sampler.join()
        figures["peak_mb"] = max(peak[0], _rss_mb())


def _url(url: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{SCHEMA}"


def setup(engine: Engine, employers: int, workers: int) -> None:
    """The fund's tables and a month of declarations, set-based."""
    from spmis.db.base import metadata
    from spmis.fund import store

    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    tables = [store.fund_employer, store.fund_employer_user, store.fund_affiliation,
              store.fund_exchange_rate, store.fund_declaration, store.fund_declaration_line,
              store.fund_contribution_run, store.fund_contribution, store.fund_invoice,
              store.fund_payment, store.fund_allocation, store.fund_outbox]
    metadata.create_all(engine, tables=tables)
    audit = "1, now(), 'bench', now(), 'bench'"
    audit_cols = "version, created_at, created_by, updated_at, updated_by"
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO fund_employer (id, enterprise_id, employer_number, name, sector,
                village_code, address, contact_name, contact_email, first_hire_date,
                registered_on, registration_due, state, {audit_cols})
            SELECT g, g, 'E' || g, 'Enterprise ' || g, 'manufacturing',
                   lpad(((g % 25) + 1)::text, 2, '0') || '010101', 'Street ' || g, 'HR',
                   'hr' || g || '@example.org', DATE '2020-01-01', DATE '2020-01-20',
                   DATE '2020-01-31', 'active', {audit}
            FROM generate_series(1, :n) g"""), {"n": employers})
        conn.execute(text(f"""
            INSERT INTO fund_affiliation (id, person_id, employer_id, kind, scheme, start_date,
                declared_on, declaration_due, wage, currency, {audit_cols})
            SELECT g, g, 1 + (g - 1) % :e, 'employee', 'formal', DATE '2020-01-01',
                   DATE '2020-01-01', DATE '2020-01-04', 800000, 'KHR', {audit}
            FROM generate_series(1, :w) g"""), {"e": employers, "w": workers})
        conn.execute(text(f"""
            INSERT INTO fund_declaration (id, employer_id, period, sequence, state, source,
                content_hash, workers, wage_total, submitted_at, submitted_by, {audit_cols})
            SELECT g, g, :p, 1, 'submitted', 'upload', md5(g::text), 0, 0, now(), 'bench',
                   {audit}
            FROM generate_series(1, :e) g"""), {"e": employers, "p": PERIOD})
        # wages spread over 100,000 .. 3,000,000 riel (a multiplicative hash of the worker)
        conn.execute(text("""
            INSERT INTO fund_declaration_line (declaration_id, person_id, affiliation_id, wage,
                currency, wage_khr)
            SELECT 1 + (g - 1) % :e, g, g, w, 'KHR', w
            FROM (SELECT g, 100000 + (g * 2654435761) % 2900001 AS w
                  FROM generate_series(1, :w) g) x"""), {"e": employers, "w": workers})
        conn.execute(text("""
            UPDATE fund_declaration d SET workers = s.n, wage_total = s.total
            FROM (SELECT declaration_id, count(*) n, sum(wage_khr) total
                  FROM fund_declaration_line GROUP BY declaration_id) s
            WHERE s.declaration_id = d.id"""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def reuse(engine: Engine, employers: int, workers: int) -> bool:
    """Whether the schema holds a month of this size; if so, what a run and the reference
    wrote is removed (the month's partition, invoices, reminders, runs, the reference table)."""
    with engine.begin() as conn:
        if not conn.execute(text(
                "SELECT to_regclass('fund_declaration_line') IS NOT NULL")).scalar_one():
            return False
        size = conn.execute(text(
            "SELECT (SELECT count(*) FROM fund_employer), (SELECT sum(workers) FROM "
            "fund_declaration WHERE period = :p)"), {"p": PERIOD}).one()
        if tuple(size) != (employers, workers):
            return False
        conn.execute(text(f"DROP TABLE IF EXISTS fund_contribution_ref, "
                          f"fund_contribution_{PERIOD.replace('-', '_')}"))
        for table in ("fund_contribution", "fund_outbox", "fund_allocation", "fund_payment",
                      "fund_invoice", "fund_contribution_run"):
            conn.execute(text(f"DELETE FROM {table}"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return True


def reference_sql(period: str) -> str:
    """One INSERT ... SELECT computing the run's amounts, the month's parameters inlined."""
    from spmis.rules import tax_benefit_system

    p = tax_benefit_system().get_parameters_at_instant(f"{period}-01").social_security
    cw, pen = p.contributory_wage, p.pension
    year, month = int(period[:4]), int(period[5:])
    scheme_year = ((year * 12 + month - 1)
                   - (int(pen.scheme_start_year) * 12 + int(pen.scheme_start_month) - 1)) // 12 + 1
    rate = float(pen.contribution_rate_by_scheme_year.calc(scheme_year))
    share = float(pen.employer_share)
    band, floor, ceiling = int(cw.band_width), int(cw.band_floor), int(cw.band_ceiling)
    pfloor, pceiling = int(cw.pension_floor), int(cw.pension_ceiling)
    or_rate = float(p.occupational_risk.employer_rate)
    hc_e, hc_w = float(p.health_care.employer_rate), float(p.health_care.worker_rate)

    def riel(expr: str) -> str:
        return f"floor(({expr})::float8 + 0.5)::bigint"

    return f"""
    INSERT INTO fund_contribution_ref (period, employer_id, person_id, declaration_id, run_id,
        wage_khr, base_occupational, base_pension, occupational_risk, health_care_employer,
        health_care_worker, pension_employer, pension_worker, total, currency)
    SELECT '{period}', employer_id, person_id, declaration_id, 0, w, bo, bp,
           {riel(f"bo::float8 * {or_rate}")}, {riel(f"bo::float8 * {hc_e}")},
           {riel(f"bo::float8 * {hc_w}")}, {riel(f"bp::float8 * {rate} * {share}")},
           {riel(f"bp::float8 * {rate} * {1 - share}")},
           {riel(f"bo::float8 * {or_rate}")} + {riel(f"bo::float8 * {hc_e}")}
             + {riel(f"bo::float8 * {hc_w}")} + {riel(f"bp::float8 * {rate} * {share}")}
             + {riel(f"bp::float8 * {rate} * {1 - share}")}, 'KHR'
    FROM (SELECT d.employer_id, l.person_id, l.declaration_id, l.wage_khr AS w,
                 CASE WHEN l.wage_khr > 0 THEN LEAST(GREATEST(
                      ((l.wage_khr + {band // 2}) / {band}) * {band}, {floor}), {ceiling})
                      ELSE 0 END AS bo,
                 CASE WHEN l.wage_khr > 0 THEN LEAST(GREATEST(l.wage_khr, {pfloor}),
                      {pceiling}) ELSE 0 END AS bp
          FROM fund_declaration_line l JOIN fund_declaration d ON d.id = l.declaration_id
          WHERE d.period = '{period}' AND d.state = 'submitted') x"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--employers", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=4_300_000)
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--setup-only", action="store_true", help="make the data and stop")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the data of an earlier set-up of the same size")
    args = ap.parse_args()

    from spmis.auth.model import Actor
    from spmis.config import Settings
    from spmis.context import AppContext
    from spmis.db.engine import make_engine
    from spmis.fund.service import FundService

    engine = make_engine(_url(args.url))
    t0 = time.perf_counter()
    if args.reuse and reuse(engine, args.employers, args.workers):
        print(f"setup: {args.employers:,} employers, {args.workers:,} workers with wages, "
              f"kept from an earlier set-up ({time.perf_counter() - t0:.1f} s to clear the "
              f"last run, not timed below)")
    else:
        setup(engine, args.employers, args.workers)
        print(f"setup: {args.employers:,} employers, {args.workers:,} workers with wages "
              f"({time.perf_counter() - t0:.1f} s, not timed below)")
    if args.setup_only:
        return

    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    settings = Settings(env="test", database_url=_url(args.url),
                        var_dir=Path(tempfile.mkdtemp(prefix="spmis-bench-fund-")),
                        secret_key=base64.b64encode(os.urandom(48)).decode(),
                        encryption_keys=f"b1:{key()}", blind_index_key=key())
    ctx = AppContext.create(settings)
    officer = Actor("officer", frozenset({"fund_officer"}))
    run: dict[str, float] = {}
    with measured(run):
        out = FundService(ctx, clock=lambda: TODAY).run_month(officer, PERIOD)
    ctx.engine.dispose()

    ref: dict[str, float] = {}
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE fund_contribution_ref "
                          "(LIKE fund_contribution INCLUDING ALL)"))
    with measured(ref), engine.begin() as conn:
        conn.execute(text(reference_sql(PERIOD)))
    with engine.connect() as conn:
        cols = ("period, employer_id, person_id, wage_khr, base_occupational, base_pension, "
                "occupational_risk, health_care_employer, health_care_worker, "
                "pension_employer, pension_worker, total")
        differ = conn.execute(text(
            f"SELECT count(*) FROM (SELECT {cols} FROM fund_contribution EXCEPT "
            f"SELECT {cols} FROM fund_contribution_ref) x")).scalar_one()
        ref_rows, ref_total = conn.execute(text(
            "SELECT count(*), sum(total) FROM fund_contribution_ref")).one()
        where = ", ".join(f"{name} {n:,}" for name, n in conn.execute(text(
            "SELECT tableoid::regclass::text, count(*) FROM fund_contribution "
            "GROUP BY 1 ORDER BY 1")))
        invoiced = conn.execute(text(
            "SELECT count(*), sum(amount) FROM fund_invoice WHERE period = :p"),
            {"p": PERIOD}).one()
    engine.dispose()
    load = os.getloadavg()
    ratio = run["seconds"] / ref["seconds"]
    print(f"month's run ({PERIOD}): {out['workers']:,} contributions of {out['employers']:,} "
          f"employers, {invoiced[0]:,} invoices, {invoiced[1]:,} KHR")
    print(f"  time {run['seconds']:.1f} s, peak memory {run['peak_mb']:.0f} MB "
          f"(process before: {run['rss_before_mb']:.0f} MB); rows per partition: {where}")
    print(f"reference (one INSERT ... SELECT into a table with the same indexes): "
          f"{ref_rows:,} rows, {ref_total:,} KHR, time {ref['seconds']:.1f} s")
    print(f"rows that differ between the run and the reference: {differ:,}")
    print(f"run / reference: {ratio:.2f}x (target within 3x); run under 60 s: "
          f"{'yes' if run['seconds'] < 60 else 'no'}")
    print(f"load average (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
