"""Benchmark of a payment cycle on PostgreSQL (issue 14).

    .venv/bin/python bench/payroll.py                      # 1,000,000 households
    .venv/bin/python bench/payroll.py --households 100000 [--reuse] [--url URL]

1. Setup (not timed as the cycle; in a child process, so that its memory is not counted):
   ``spmis synth`` households copied into the registry tables of the PostgreSQL schema
   ``bench_payroll`` (bench/rules.py's setup; ``--reuse`` keeps it), every other table
   created; the COVID-19 programme record seeded from the catalogue, activated, budgeted; one
   example provider.
2. Evaluation of the COVID-19 formula for the month (the rules engine; a kept run).
3. The cycle, each step timed with its peak memory (resident set size sampled every 20 ms):
   enrolment run (candidates and their counts), its approval by another user, payment accounts
   for the beneficiaries (setup: one encrypted wallet number each, bulk COPY; not part of the
   cycle), the cycle (automatic exits, entitlements), its approval by another finance officer,
   and the payroll file of the provider (CSV, streamed, every account decrypted and the read
   logged).
4. Reference: one hand-written ``INSERT ... SELECT`` computing the same entitlement lines into a
   table with the same columns and indexes as ``entitlement``, timed; its rows and total are
   compared with the cycle's.

Targets: the cycle (entitlements) within 3x of the reference; the whole cycle (enrolment to the
payroll file) under 60 s; memory bounded (the payroll is streamed a page at a time).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
SCHEMA = "bench_payroll"
CODE = "covid19_cash_transfer"
#: the bench's connections name themselves so, to count their server processes' CPU
APP = "spmis-bench-payroll"
TICK = os.sysconf("SC_CLK_TCK")


def _bench_rules() -> Any:
    spec = importlib.util.spec_from_file_location("bench_rules", ROOT / "bench" / "rules.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    setattr(module, "SCHEMA", SCHEMA)  # noqa: B010  (its setup() reads the global)
    return module


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _database_cpu(engine: Engine | None) -> float:
    """CPU seconds used so far by the PostgreSQL server processes of the bench's connections
    (when the server runs on this machine; 0 otherwise)."""
    if engine is None:
        return 0.0
    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                            {"a": APP}).scalars().all()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


#: the engine whose server processes' CPU the steps count (set once the context exists)
WATCHED: list[Engine] = []


@contextmanager
def step(name: str, figures: dict[str, tuple[float, float]]) -> Iterator[None]:
    """Time a step and sample its peak resident memory; count the CPU of this process and of
    the database's processes serving it (on a shared machine, the figures to compare)."""
    engine = WATCHED[0] if WATCHED else None
    cpu0, db0 = time.process_time(), _database_cpu(engine)
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
        cpu, db = time.process_time() - cpu0, _database_cpu(engine) - db0
        print(f"  {name:34} {seconds:8.2f} s   peak RSS {peak[0]:8.0f} MB   CPU here "
              f"{cpu:6.2f} s, database {db:6.2f} s", flush=True)


def _engine(url: str) -> Engine:
    from spmis.db.engine import make_engine

    sep = "&" if "?" in url else "?"
    return make_engine(f"{url}{sep}options=-csearch_path%3D{SCHEMA}&application_name={APP}")


def _households(engine: Engine) -> int:
    with engine.connect() as conn:
        try:
            return int(conn.execute(text("SELECT count(*) FROM household")).scalar_one())
        except Exception:
            return -1


#: the registry tables of the set-up, kept by --reuse; every other table is made anew
REGISTRY = ("household", "enterprise", "person", "person_identifier")


def _fresh_payments(engine: Engine) -> None:
    """Every table of the schema as the code defines it now (its keys, indexes and storage
    settings); a --reuse run keeps the registry and makes every other table anew, empty."""
    from spmis.db.tables import metadata

    others = [t for t in metadata.sorted_tables if t.name not in REGISTRY]
    with engine.begin() as conn:
        # CASCADE: the tables as an earlier version of the code made them may have keys that
        # the code no longer has
        names = ", ".join(["ref_entitlement", *(t.name for t in others)])
        conn.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
        metadata.create_all(conn, tables=others)


def _accounts(ctx: Any, provider_id: int) -> int:
    """One encrypted wallet number per enrolled beneficiary (bench setup, bulk COPY)."""
    from spmis.payments.accounts import CONTEXT

    with ctx.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT b.id, (SELECT min(p.id) FROM person p WHERE p.household_id = b.household_id"
            " AND p.relationship = 'head') FROM beneficiary b WHERE b.state = 'enrolled'"
            " ORDER BY b.id")).all()
    buf = io.StringIO()
    cipher = ctx.cipher
    now = "2026-12-06T00:00:00+00:00"
    for beneficiary_id, holder in rows:
        number = f"0{12000000 + beneficiary_id % 88000000:08d}"
        enc = cipher.encrypt(number, CONTEXT)
        buf.write(f"{beneficiary_id}\t{provider_id}\t{holder or 0}\t\\\\x{enc.hex()}\t"
                  f"{cipher.blind_index(number, CONTEXT)}\tt\t1\t{now}\tbench\t{now}\tbench\n")
    with ctx.engine.begin() as conn:
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(
                "COPY payment_account (beneficiary_id, provider_id, holder_person_id,"
                " account_enc, account_hash, active, version, created_at, created_by,"
                " updated_at, updated_by) FROM STDIN") as cp:
            cp.write(buf.getvalue())
        # accounts recorded one by one are analysed by autovacuum as they come; a bulk load is
        # analysed at once, or the payroll's page query plans for an empty table
        conn.exec_driver_sql("ANALYZE payment_account")
    return len(rows)


REFERENCE = """
CREATE TABLE ref_entitlement (LIKE entitlement INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                              INCLUDING INDEXES);
INSERT INTO ref_entitlement (cycle_id, payroll_cycle_id, programme_id, beneficiary_id,
    household_id, amount, period, component, currency, state, province_code, commune_code,
    recipient_sex)
SELECT :cycle, :cycle, b.programme_id, b.id, b.household_id, r.amount, :period, 'benefit',
       r.currency, 'draft', h.province_code, h.commune_code,
       coalesce((SELECT min(p.sex) FROM person p
                 WHERE p.household_id = b.household_id AND p.relationship = 'head'), 'U')
FROM rules_result r
JOIN beneficiary b ON b.programme_id = :programme AND b.entity_id = r.entity_id
JOIN household h ON h.id = b.household_id
WHERE r.run_id = :run AND r.programme = :code AND r.eligible AND r.amount > 0
  AND b.state = 'enrolled'
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--period", default="2024-03")
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the registry of an earlier run with the same size")
    ap.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.setup_only:
        _bench_rules().setup(args.url, args.households, args.period, args.seed)
        return

    import base64

    from spmis.auth.model import SYSTEM, Actor
    from spmis.config import Settings
    from spmis.context import AppContext
    from spmis.payments.payroll_files import open_payroll
    from spmis.payments.providers import install_examples, list_providers
    from spmis.payments.service import PaymentsService
    from spmis.rules.service import RulesService

    engine = _engine(args.url)
    if not (args.reuse and _households(engine) == args.households):
        engine.dispose()
        # in a child process: the synth population and its frames (5.2 GB at 1,000,000
        # households) are set-up, not the cycle, and stay out of this process's peak memory
        subprocess.run([sys.executable, __file__, "--setup-only", "--households",
                        str(args.households), "--period", args.period, "--url", args.url,
                        "--seed", str(args.seed)], check=True)
        engine = _engine(args.url)
    _fresh_payments(engine)
    engine.dispose()

    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    sep = "&" if "?" in args.url else "?"
    var = Path(tempfile.mkdtemp(prefix="spmis-bench-payroll-"))
    settings = Settings(env="test", database_url=f"{args.url}{sep}options=-csearch_path%3D"
                        f"{SCHEMA}&application_name={APP}", var_dir=var,
                        secret_key=base64.b64encode(os.urandom(48)).decode(),
                        encryption_keys=f"b1:{key()}", blind_index_key=key())
    ctx = AppContext.create(settings)
    officer = Actor("officer", frozenset({"programme_officer"}))
    approver = Actor("approver", frozenset({"approver"}))
    finance = Actor("finance", frozenset({"finance_officer"}))
    finance_2 = Actor("finance-2", frozenset({"finance_officer", "admin"}))
    today = __import__("datetime").date(2026, 12, 6)
    pay = PaymentsService(ctx, clock=lambda: today)
    pay.seed_programmes(officer)
    pay.set_programme_state(officer, CODE, "active", "bench")
    pay.set_budget(officer, CODE, int(args.period[:4]), 10**15, "KHR", "bench budget")
    install_examples(ctx, SYSTEM)
    with ctx.engine.connect() as conn:
        provider = list_providers(conn)[0]

    figures: dict[str, tuple[float, float]] = {}
    WATCHED.append(ctx.engine)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the start")
    print(f"\n{args.households:,} households, COVID-19 cash transfer, {args.period}:")
    with step("evaluation (rules engine)", figures):
        run = RulesService(ctx).evaluate(SYSTEM, args.period, [CODE])
    state: dict[str, Any] = {}

    def enrol() -> None:
        state["enrol"] = pay.create_enrolment_run(officer, CODE, run.run_id)

    def approve_enrolment() -> None:
        pay.decide_enrolment(approver, state["enrol"]["id"], True, "bench")

    def run_cycle() -> None:
        state["cycle"] = pay.open_cycle(finance, CODE, args.period)
        state["done"] = pay.run_cycle(finance, state["cycle"])

    def approve_cycle() -> None:
        pay.approve_cycle(finance_2, state["cycle"])

    def payroll() -> None:
        out = var / "payroll.csv"
        open_payroll(ctx, finance_2, state["cycle"], provider.code, "csv").write(out)
        state["bytes"] = out.stat().st_size

    cycle_steps: list[tuple[str, Callable[[], Any]]] = [
        ("enrolment run", enrol), ("enrolment approval", approve_enrolment)]
    for name, fn in cycle_steps:
        with step(name, figures):
            fn()
    with step("(setup) payment accounts", figures):
        accounts = _accounts(ctx, provider.id)
    for name, fn in [("cycle: exits + entitlements", run_cycle),
                     ("cycle approval", approve_cycle), ("payroll file (CSV)", payroll)]:
        with step(name, figures):
            fn()

    with ctx.engine.connect() as conn:
        prog_id = conn.execute(text("SELECT id FROM programme WHERE code = :c"),
                               {"c": CODE}).scalar_one()
    with step("reference: hand-written SQL", figures), ctx.engine.begin() as conn:
        create, insert = REFERENCE.strip().split(";\n", 1)
        conn.exec_driver_sql("SET LOCAL jit = off")  # as the cycle's steps run (no_jit)
        conn.execute(text(create))
        conn.execute(text(insert), {"cycle": state["cycle"], "period": args.period,
                                    "programme": prog_id, "run": run.run_id, "code": CODE})
    with ctx.engine.connect() as conn:
        ref_rows, ref_sum = conn.execute(text(
            "SELECT count(*), coalesce(sum(amount), 0) FROM ref_entitlement")).one()

    done = state["done"]
    cycle_s = figures["cycle: exits + entitlements"][0]
    ref_s = figures["reference: hand-written SQL"][0]
    whole = sum(figures[k][0] for k in ("enrolment run", "enrolment approval",
                                        "cycle: exits + entitlements", "cycle approval",
                                        "payroll file (CSV)"))
    same = (int(ref_rows), int(ref_sum)) == (done["lines"], done["amount"])
    print(f"\ncandidates {state['enrol']['candidates']:,}; lines {done['lines']:,}, "
          f"{done['amount']:,} KHR; reference {int(ref_rows):,} lines, {int(ref_sum):,} KHR "
          f"({'same' if same else 'DIFFERENT'}); "
          f"accounts {accounts:,}; payroll {state['bytes'] / 1e6:.1f} MB")
    print(f"cycle entitlements {cycle_s:.2f} s = {cycle_s / ref_s:.2f}x the reference "
          f"({ref_s:.2f} s; target 3x)")
    print(f"whole cycle (enrolment run to payroll file) {whole:.2f} s (target < 60 s); "
          f"{whole / ref_s:.1f}x the reference")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process {peak:.0f} MB (the evaluation's included); load average "
          f"{os.getloadavg()[0]:.1f} (1 min) at the end")
    ctx.engine.dispose()


if __name__ == "__main__":
    main()
