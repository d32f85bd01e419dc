"""Benchmark of scoring IDPoor questionnaires on PostgreSQL (issue 19).

    .venv/bin/python bench/targeting.py                    # 1,000,000 questionnaires
    .venv/bin/python bench/targeting.py --questionnaires 100000 [--url URL] [--reuse]

1. Setup (not timed): every table created in the PostgreSQL schema ``bench_targeting``; one
   round (parameters of 2026-01-01); N questionnaires with random answers (seeded) as draft
   assessments, bulk COPY, then ANALYZE.
2. Timed, with its peak memory (resident set size sampled every 20 ms): the round's scoring as
   the background job runs it (``TargetingService.score_round``): the answers read in one COPY,
   decoded column-wise, scored by the OpenFisca formulas with the round's parameters, the
   scores and levels written by COPY, the drafts marked scored, the round's history entry.
3. Reference: one hand-written ``INSERT ... SELECT`` computing every questionnaire's total and
   level from the same parameters (a CASE per item over the JSON answers) into a table with the
   same key, timed; its counts per level are compared with the engine's.

Target: under 60 s for 1,000,000 questionnaires.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import resource
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, text

DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
SCHEMA = "bench_targeting"
ON = date(2026, 1, 1)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def step(name: str, figures: dict[str, tuple[float, float]]) -> Iterator[None]:
    """Time a step and sample its peak resident memory."""
    peak = [_rss_mb()]
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
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
        peak[0] = max(peak[0], _rss_mb())
        figures[name] = (seconds, peak[0])
        print(f"  {name:34} {seconds:8.2f} s   peak RSS {peak[0]:8.0f} MB", flush=True)


def _url(url: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{SCHEMA}"


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        try:
            return int(conn.execute(text("SELECT count(*) FROM targeting_assessment"))
                       .scalar_one())
        except Exception:
            return -1


def setup(url: str, n: int, seed: int) -> None:
    """The schema, its tables and N random draft questionnaires in one round."""
    from spmis.db.engine import make_engine
    from spmis.db.tables import metadata
    from spmis.rules.idpoor import SELECT_ITEMS

    t0 = time.perf_counter()
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    engine = make_engine(_url(url))
    metadata.create_all(engine)
    now = "2026-03-01T00:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO targeting_round (code, name, kind, area_code, parameter_date, opens_on,"
            " closes_on, status, version, created_at, created_by, updated_at, updated_by)"
            " VALUES ('BENCH', 'bench', 'village', '', :on, :on, '2026-12-31', 'open', 1, :now,"
            " 'bench', :now, 'bench')"), {"on": ON, "now": now})
    rng = np.random.default_rng(seed)
    members = rng.integers(1, 11, n)
    answers = pl.DataFrame({
        **{item: np.array(choices)[rng.integers(0, len(choices), n)]
           for item, choices in SELECT_ITEMS.items()},
        "members": members,
        "dependants": (rng.random(n) * (members + 1)).astype(np.int64),
        "disabled": rng.binomial(members, 0.05),
        "chronic_ill": rng.binomial(members, 0.08),
    })
    villages = np.array([f"{p:02d}{d:02d}{c:02d}01" for p in range(1, 26) for d in (1, 2)
                         for c in (1, 2, 3)])
    frame = pl.DataFrame({
        "round_id": np.ones(n, dtype=np.int64),
        "household_id": np.arange(1, n + 1),
        "village_code": villages[rng.integers(0, len(villages), n)],
    }).with_columns(
        pl.col("village_code").str.slice(0, 6).alias("commune_code"),
        (pl.lit("uuid:bench-") + pl.col("household_id").cast(pl.String)).alias("instance_id"),
        pl.lit("spmis_idpoor_r1").alias("form_id"), pl.lit("2026120601").alias("form_version"),
        pl.lit("odk").alias("channel"), pl.lit("bench-enumerator").alias("enumerator"),
        pl.lit(now).alias("submitted_at"), pl.lit(now).alias("received_at"),
        answers.select(pl.struct(pl.all()).struct.json_encode().alias("answers")).to_series(),
        pl.lit("draft").alias("status"), pl.lit(1).alias("version"),
        pl.lit(now).alias("created_at"), pl.lit("bench").alias("created_by"),
        pl.lit(now).alias("updated_at"), pl.lit("bench").alias("updated_by"))
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False)
    with engine.begin() as conn:
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY targeting_assessment ({', '.join(frame.columns)}) FROM STDIN "
                "WITH (FORMAT csv)") as cp:
            cp.write(buf.getbuffer())
        conn.exec_driver_sql("ANALYZE targeting_assessment")
    engine.dispose()
    print(f"setup: {n:,} draft questionnaires in PostgreSQL schema {SCHEMA} in "
          f"{time.perf_counter() - t0:.1f}s", flush=True)


def reference_sql(on: date) -> str:
    """The hand-written scoring: one CASE per item, the parameters of ``on`` written in."""
    from spmis.rules.idpoor import SELECT_ITEMS
    from spmis.rules.system import tax_benefit_system

    p = tax_benefit_system().get_parameters_at_instant(on.isoformat()).targeting.idpoor
    parts = []
    for item, choices in SELECT_ITEMS.items():
        node = getattr(p.points, item)
        whens = " ".join(f"WHEN '{c}' THEN {int(getattr(node, c))}" for c in choices)
        parts.append(f"(CASE a ->> '{item}' {whens} END)")
    dep = p.dependants
    parts.append(
        f"(CASE WHEN (a ->> 'dependants')::int * 100 >= {int(dep.high_share_percent)}"
        f" * greatest((a ->> 'members')::int, 1) THEN {int(dep.high_points)}"
        f" WHEN (a ->> 'dependants')::int * 100 >= {int(dep.some_share_percent)}"
        f" * greatest((a ->> 'members')::int, 1) THEN {int(dep.some_points)} ELSE 0 END)")
    for item, node in (("disabled", p.disability), ("chronic_ill", p.chronic_illness)):
        parts.append(f"(least((a ->> '{item}')::int, {int(node.max_members)})"
                     f" * {int(node.points_per_member)})")
    total = " + ".join(parts)
    cut = p.cut_offs
    return (
        "CREATE TABLE ref_score (assessment_id bigint PRIMARY KEY, total int NOT NULL,"
        " level smallint NOT NULL);\n"
        # the JSON parsed once per row (a materialised CTE: inlined, PostgreSQL parses it again
        # for every item)
        "INSERT INTO ref_score WITH q AS MATERIALIZED (SELECT id, answers::jsonb AS a"
        " FROM targeting_assessment WHERE round_id = 1)"
        " SELECT id, total, CASE WHEN total >= "
        f"{int(cut.level_1)} THEN 1 WHEN total >= {int(cut.level_2)} THEN 2 ELSE 0 END"
        f" FROM (SELECT id, {total} AS total FROM q) s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--questionnaires", type=int, default=1_000_000)
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reuse", action="store_true", help="keep the questionnaires of an "
                    "earlier run with the same number")
    args = ap.parse_args()

    from spmis.auth.model import SYSTEM
    from spmis.config import Settings
    from spmis.context import AppContext
    from spmis.db.engine import make_engine
    from spmis.targeting.service import TargetingService

    print(f"load average {os.getloadavg()}", flush=True)
    engine = make_engine(_url(args.url))
    reuse = args.reuse and _count(engine) == args.questionnaires
    engine.dispose()
    if not reuse:
        setup(args.url, args.questionnaires, args.seed)

    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    var = Path(tempfile.mkdtemp(prefix="spmis-bench-targeting-"))
    settings = Settings(env="test", database_url=_url(args.url), var_dir=var,
                        secret_key=base64.b64encode(os.urandom(48)).decode(),
                        encryption_keys=f"bench:{key()}", blind_index_key=key())
    ctx = AppContext.create(settings)
    with ctx.engine.begin() as conn:
        conn.execute(text("TRUNCATE targeting_score, targeting_scoring"))
        conn.execute(text("UPDATE targeting_assessment SET status = 'draft' "
                          "WHERE status <> 'draft'"))
        conn.execute(text("DROP TABLE IF EXISTS ref_score"))
    figures: dict[str, tuple[float, float]] = {}
    with step("score the round (engine)", figures):
        result = TargetingService(ctx).score_round(1, SYSTEM)
    with step("reference: hand-written SQL", figures), ctx.engine.begin() as conn:
        create, insert = reference_sql(ON).split(";\n", 1)
        conn.execute(text(create))
        conn.execute(text(insert))
    with ctx.engine.connect() as conn:
        ref = {int(r[0]): int(r[1]) for r in conn.execute(text(
            "SELECT level, count(*) FROM ref_score GROUP BY level")).all()}
        differ = conn.execute(text(
            "SELECT count(*) FROM ref_score r JOIN targeting_score s USING (assessment_id)"
            " WHERE r.total <> s.total OR r.level <> s.level")).scalar_one()
    engine_levels = {1: result["level_1"], 2: result["level_2"], 0: result["not_poor"]}
    ref_levels = {int(k): int(v) for k, v in ref.items()}
    same = engine_levels == {k: ref_levels.get(k, 0) for k in (1, 2, 0)} and differ == 0
    seconds, peak = figures["score the round (engine)"]
    ref_s = figures["reference: hand-written SQL"][0]
    print(f"\nscored {result['assessments']:,} questionnaires: level 1 {result['level_1']:,}, "
          f"level 2 {result['level_2']:,}, not poor {result['not_poor']:,}; reference "
          f"{ref_levels} ({'same' if same else f'DIFFERENT: {differ} rows'})")
    print(f"engine {seconds:.2f} s (target < 60 s), peak RSS {peak:.0f} MB; "
          f"{seconds / ref_s:.2f}x the hand-written SQL ({ref_s:.2f} s, totals and levels only,"
          " not written back to the assessments)")
    print(f"peak RSS of the process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          f" MB; load average {os.getloadavg()}")
    ctx.engine.dispose()


if __name__ == "__main__":
    main()
