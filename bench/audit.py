"""Benchmark of the audit chain (issue 16).

    .venv/bin/python bench/audit.py [--entries 1000000] [--batch 10000] [--url URL]

In the PostgreSQL schema ``bench_audit`` (dropped, recreated and migrated):

1. Append: N history entries written through ``spmis.db.history.log_changes`` (as every use
   case writes them), ``--batch`` per transaction; each commit chains its entries
   (``spmis.db.chain``). Timed as a whole: entries a second, change_log and chain together.
2. Verify: ``AuditService.verify`` recomputes every hash in PostgreSQL, ranges of 100,000
   entries side by side on one connection per core (``--workers``), all in one snapshot; and the
   same as one statement on one connection (the hand-written SQL reference, ``--workers 1``).
   Target: at least 200,000 entries a second. ``--verify-only`` skips the append and checks the
   chain a previous run left in the schema (to re-measure in a quiet moment).
3. Concurrency: two threads with their own connections append 10,000 entries each at once;
   the chain must still verify.

Prints the rates, the machine's load average and this process's peak memory (max RSS).
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import threading
import time
from pathlib import Path

from sqlalchemy import text

from spmis.audit.service import CHUNK, AuditService
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db import history
from spmis.db.engine import make_engine
from spmis.db.migrate import upgrade

DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
SCHEMA = "bench_audit"


def _url(url: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{SCHEMA}"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _append(ctx: AppContext, start: int, count: int, batch: int, who: str) -> None:
    for first in range(start, start + count, batch):
        with ctx.engine.begin() as conn:
            history.log_changes(conn, [
                history.Change("household", i, 2, "update", who, "bench",
                               {"address_detail": [None, f"house {i}"]})
                for i in range(first, min(first + batch, start + count))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--verify-only", action="store_true")
    args = parser.parse_args()
    if not args.verify_only:
        admin = make_engine(args.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        admin.dispose()
        upgrade(_url(args.url))
    ctx = AppContext.create(Settings(
        env="test", database_url=_url(args.url), var_dir=Path("var/bench"),
        secret_key=base64.b64encode(os.urandom(48)).decode(), encryption_keys=f"b1:{_key()}",
        blind_index_key=_key()))

    if not args.verify_only:
        started = time.perf_counter()
        _append(ctx, 1, args.entries, args.batch, "bench")
        append_s = time.perf_counter() - started
        print(f"append: {args.entries:,} entries in {append_s:.1f} s = "
              f"{args.entries / append_s:,.0f} entries/s (change_log and chain, {args.batch:,} "
              f"a transaction)  [load average {_load()}]")

    service = AuditService(ctx)
    for workers, what in ((args.workers, f"{args.workers} connections side by side"),
                          (1, "one statement, one connection: the SQL reference")):
        started = time.perf_counter()
        verdict = service.verify(workers=workers, chunk=CHUNK if workers > 1 else 2**62)
        verify_s = time.perf_counter() - started
        print(f"verify ({what}): {verdict.checked:,} entries in {verify_s:.2f} s = "
              f"{verdict.checked / verify_s:,.0f} entries/s, ok={verdict.ok}  "
              f"[target >= 200,000/s; load average {_load()}]")
    if args.verify_only:
        ctx.engine.dispose()
        return

    per = 10_000
    threads = [threading.Thread(target=_append, args=(ctx, 10**9 + k * per, per, 500, f"w{k}"))
               for k in range(2)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    both_s = time.perf_counter() - started
    verdict = service.verify()
    print(f"two writers at once: {2 * per:,} entries in {both_s:.1f} s; chain still holds: "
          f"{verdict.ok} ({verdict.checked:,} entries)")
    ctx.engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process, max RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
