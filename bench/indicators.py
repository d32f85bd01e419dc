"""Benchmark of the indicators refresh (issue 16).

    .venv/bin/python bench/indicators.py [--households 1000000] [--url URL] [--reuse]

1. Setup (not timed): the PostgreSQL schema ``bench_indicators`` is dropped, recreated and
   migrated; N households (real village codes, spread over the 25 provinces), four people each
   (head, spouse, two children; half women), one programme and a year of monthly payments
   (2025-12 to 2026-11) to one household in three (a tenth of the lines failed; the others
   settled 20 to 59 days after the month began, so some after their due date), written by
   ``INSERT ... SELECT generate_series`` in the database. ``--reuse`` keeps a schema that already
   holds N households.
2. Timed: ``IndicatorService.refresh`` (every indicator, one INSERT ... SELECT), then the open
   data with suppression and the staff report of one district. Peak memory is this process's
   maximum resident set size.

Target: the refresh under 30 s.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import time
from pathlib import Path

from sqlalchemy import Engine, text

from spmis.auth.model import Actor
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db.engine import make_engine
from spmis.db.migrate import upgrade
from spmis.gazetteer import gazetteer
from spmis.indicators.service import IndicatorService

DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
SCHEMA = "bench_indicators"
MONTHS = [f"{y}-{m:02d}" for y, m in [(2025, 12)] + [(2026, k) for k in range(1, 12)]]


def _url(url: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{SCHEMA}"


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('household')")).scalar()
        return int(conn.execute(text("SELECT count(*) FROM household")).scalar_one()) \
            if exists else -1


def setup(url: str, households: int) -> None:
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    upgrade(_url(url))
    villages = [u.code for u in gazetteer().list("village")]
    engine = make_engine(_url(url))
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE v (n int PRIMARY KEY, code text)"))
        conn.execute(text("INSERT INTO v SELECT ordinality - 1, code FROM "
                          "unnest(CAST(:codes AS text[])) WITH ORDINALITY AS t(code)"),
                     {"codes": villages})
        audit = ("1, now(), 'bench', now(), 'bench'")
        conn.execute(text(f"""
            INSERT INTO household (id, village_code, commune_code, district_code,
                province_code, status, version, created_at, created_by, updated_at, updated_by)
            SELECT g, v.code, left(v.code, 6), left(v.code, 4), left(v.code, 2), 'active',
                   {audit}
            FROM generate_series(1, :n) g JOIN v ON v.n = (CAST(g AS bigint) * 7919) % :nv"""),
                     {"n": households, "nv": len(villages)})
        conn.execute(text(f"""
            INSERT INTO person (id, household_id, relationship, family_name_latin,
                given_name_latin, name_key, name_skeleton, name_km_key, sex, date_of_birth,
                status, version, created_at, created_by, updated_at, updated_by)
            SELECT (h - 1) * 4 + k, h,
                   (ARRAY['head', 'spouse', 'child', 'child'])[k], 'Sok', 'Dara', 'sok dara',
                   'sk tr', '', CASE WHEN (h + k) % 2 = 0 THEN 'F' ELSE 'M' END,
                   DATE '1980-01-01' + ((h * 37 + k * 3650) % 20000), 'active', {audit}
            FROM generate_series(1, :n) h CROSS JOIN generate_series(1, 4) k"""),
                     {"n": households})
    with engine.connect() as conn:
        conn.execute(text("ANALYZE household"))
        conn.execute(text("ANALYZE person"))
        conn.commit()
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO programme (id, code, name_en, name_km, kind, rules_programme,
                rules_variable, entity, currency, frequency, start_date, state, version,
                created_at, created_by, updated_at, updated_by)
            VALUES (1, 'family_package', 'Family package', 'កញ្ចប់គ្រួសារ', 'cash_transfer',
                'family_package', 'family_package_amount', 'household', 'KHR', 'monthly',
                DATE '2025-12-01', 'active', {audit})"""))
        conn.execute(text(f"""
            INSERT INTO beneficiary (id, programme_id, entity, entity_id, household_id, state,
                source, version, created_at, created_by, updated_at, updated_by)
            SELECT h / 3, 1, 'household', h, h, 'enrolled', 'run', {audit}
            FROM generate_series(3, :n, 3) h"""), {"n": households})
        for i, period in enumerate(MONTHS, 1):
            conn.execute(text(f"""
                INSERT INTO payment_cycle (id, programme_id, period, sequence,
                    evaluation_run_id, state, currency, version, created_at, created_by,
                    updated_at, updated_by)
                VALUES ({i}, 1, '{period}', 1, 1, 'closed', 'KHR', {audit})"""))
        # who is paid, and where: once, then a year of months in one statement
        conn.execute(text("""
            CREATE TEMP TABLE paid AS
            SELECT b.id, b.household_id, h.province_code, h.commune_code, p.sex
            FROM beneficiary b JOIN household h ON h.id = b.household_id
            JOIN person p ON p.household_id = b.household_id AND p.relationship = 'head'"""))
        conn.execute(text("""
            INSERT INTO entitlement (cycle_id, payroll_cycle_id, programme_id, beneficiary_id,
                household_id, amount, period, component, currency, state, province_code,
                commune_code, recipient_sex, settled_on)
            SELECT c.id, c.id, 1, b.id, b.household_id, 200000 + (b.id % 4) * 40000,
                   c.period, 'benefit', 'KHR',
                   CASE WHEN (b.id + c.id) % 10 = 0 THEN 'failed' ELSE 'paid' END,
                   b.province_code, b.commune_code, b.sex,
                   CASE WHEN (b.id + c.id) % 10 <> 0
                        THEN to_date(c.period, 'YYYY-MM') + CAST(20 + b.id % 40 AS integer) END
            FROM paid b CROSS JOIN payment_cycle c"""))
        for table in ("household", "person", "programme", "beneficiary", "payment_cycle",
                      "entitlement"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
        lines = conn.execute(text("SELECT count(*) FROM entitlement")).scalar_one()
    engine.dispose()
    print(f"setup: {households:,} households, {4 * households:,} people, {lines:,} payment "
          f"lines in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    probe = make_engine(_url(args.url))
    have = _count(probe)
    probe.dispose()
    if not (args.reuse and have == args.households):
        setup(args.url, args.households)
    settings = Settings(env="test", database_url=_url(args.url), var_dir=Path("var/bench"),
                        secret_key=base64.b64encode(os.urandom(48)).decode(),
                        encryption_keys=f"b1:{_key()}",
                        blind_index_key=_key())
    ctx = AppContext.create(settings)
    service = IndicatorService(ctx)
    started = time.perf_counter()
    done = service.refresh("bench")
    refresh_s = time.perf_counter() - started
    started = time.perf_counter()
    _, published = service.open_data()
    publish_s = time.perf_counter() - started
    started = time.perf_counter()
    report = service.staff_report(Actor("officer", frozenset({"programme_officer"}), "1201"))
    report_s = time.perf_counter() - started
    ctx.engine.dispose()
    withheld = sum(1 for v in published if v.value is None)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"refresh (every indicator, {args.households:,} households, {len(MONTHS)} months of "
          f"payments): {refresh_s:.2f} s, {done.cells:,} cells  [target < 30 s]")
    print(f"open data with suppression: {publish_s:.2f} s, {len(published):,} values, "
          f"{withheld:,} withheld")
    print(f"staff report of district 1201: {report_s:.2f} s, {len(report):,} values")
    print(f"peak memory (this process, max RSS): {peak_mb:.0f} MB")


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


if __name__ == "__main__":
    main()
