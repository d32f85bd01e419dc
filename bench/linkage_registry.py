"""Benchmark: deduplication inside the registry (``spmis link registry-dedupe``) on a synthetic
population with known duplicates, against hand-written SQL that merges exact copies only.

    .venv/bin/python bench/linkage_registry.py                     # 20,000 households, SQLite
    .venv/bin/python bench/linkage_registry.py --households 100000 --url postgresql://...

1. ``spmis synth`` writes a population with ``--duplicates`` duplicate records and its ground
   truth (truth.csv: person_key -> entity_id); it is imported into a fresh database (SQLite file
   in a temporary folder, or a fresh schema on the PostgreSQL server of ``--url``).
2. A deduplication run, timed: people, pairs scored, automatic merges, queued pairs, conflicts.
3. Figures against the truth: precision of the automatic merges, pairwise precision / recall /
   F1 of the merged clusters, and the recall of merges + review queue (what a clerk can still
   find). The reference: one ``GROUP BY`` on the registry's stored name key, date of birth and
   village (exact copies only), scored the same way.
4. The clerical review figure: how many pairs a reviewer must look at, per 1,000 records, for
   the run's pairs to reach pairwise precision and recall of 0.995 (``--target``). Pairs are
   taken most likely first: the most likely are accepted without a look, the least likely
   rejected, and the band between is reviewed (a reviewer decides correctly); the narrowest band
   that reaches the target is printed. Only the run's candidate pairs count (from
   ``--review-threshold`` up; lower it to let the band reach further down), so a true pair the
   blocking never scored is lost in any band.
5. Peak memory (``ru_maxrss``) of the process.
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db.engine import normalise_url
from spmis.db.migrate import upgrade
from spmis.linkage.registry_dedupe import REVIEW_THRESHOLD, run_registry_dedupe
from spmis.linkage.store import link_candidate, link_review
from spmis.registry.importer import import_enterprises, import_households
from spmis.registry.store import household, link_merge, person
from spmis.synth.generator import generate

Pair = tuple[str, str]


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _pairs(clusters: Iterable[list[str]]) -> set[Pair]:
    out: set[Pair] = set()
    for members in clusters:
        ms = sorted(members)
        out.update((a, b) for i, a in enumerate(ms) for b in ms[i + 1:])
    return out


def _score(found: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--duplicates", type=float, default=0.15)
    ap.add_argument("--url", default=None, help="PostgreSQL server (default: a SQLite file)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--review-threshold", type=float, default=REVIEW_THRESHOLD,
                    help="lowest probability of a stored candidate pair (and of the queue)")
    ap.add_argument("--target", type=float, default=0.995,
                    help="precision and recall the clerical review must reach")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schema = None
        if args.url:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(normalise_url(args.url), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'create schema "{schema}"'))
            sep = "&" if "?" in args.url else "?"
            url = f"{args.url}{sep}options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{folder / 'bench.db'}"
        try:
            _run(args, folder, url)
        finally:
            if schema:
                with admin.connect() as conn:
                    conn.execute(text(f'drop schema "{schema}" cascade'))
                admin.dispose()


def _run(args: argparse.Namespace, folder: Path, url: str) -> None:
    upgrade(url)
    settings = Settings(env="test", database_url=url, var_dir=folder / "var",
                        secret_key=base64.b64encode(os.urandom(48)).decode(),
                        encryption_keys=f"b1:{_key()}", blind_index_key=_key())
    ctx = AppContext.create(settings)
    synth = generate(args.households, args.seed, folder / "synth", args.duplicates)
    print(f"population: {synth}")
    t = time.perf_counter()
    import_enterprises(ctx, folder / "synth" / "enterprises.csv", SYSTEM, progress=False)
    imported = import_households(ctx, folder / "synth" / "households.csv", SYSTEM,
                                 progress=False)
    print(f"imported in {time.perf_counter() - t:.1f} s: {imported}")

    t = time.perf_counter()
    s = run_registry_dedupe(ctx, SYSTEM, review_threshold=args.review_threshold,
                            progress=lambda m: print(
        f"  {time.perf_counter() - t:7.1f} s  {m}"))
    seconds = time.perf_counter() - t

    with (folder / "synth" / "truth.csv").open(encoding="utf-8") as f:
        entity = {r["person_key"]: r["entity_id"] for r in csv.DictReader(f)}
    groups: dict[str, list[str]] = {}
    for key, ent in entity.items():
        groups.setdefault(ent, []).append(key)
    truth = _pairs(groups.values())

    with ctx.engine.connect() as conn:
        keys = dict(conn.execute(select(person.c.id, person.c.external_key)).all())
        merges = conn.execute(select(link_merge.c.survivor_id, link_merge.c.merged_id)).all()
        queued = conn.execute(select(link_review.c.person_id_l, link_review.c.person_id_r)
                              ).all()
        candidates = conn.execute(select(
            link_candidate.c.person_id_l, link_candidate.c.person_id_r,
            link_candidate.c.match_probability)).all()
        exact = conn.execute(
            select(func.min(person.c.id), person.c.name_key, person.c.date_of_birth,
                   household.c.village_code, func.count())
            .join(household, household.c.id == person.c.household_id)
            .where(person.c.name_key != "")
            .group_by(person.c.name_key, person.c.date_of_birth, household.c.village_code)
            .having(func.count() > 1)).all()
        exact_members = conn.execute(
            select(person.c.id, person.c.name_key, person.c.date_of_birth,
                   household.c.village_code)
            .join(household, household.c.id == person.c.household_id)).all()
    clusters: dict[int, list[str]] = {}
    for survivor, merged in merges:
        clusters.setdefault(survivor, [keys[survivor]]).append(keys[merged])
    merged_pairs = _pairs(clusters.values())
    auto_correct = sum(entity[keys[a]] == entity[keys[b]] for a, b in merges)
    queue_pairs = {tuple(sorted((keys[a], keys[b]))) for a, b in queued}
    exact_keys = {(r[1], r[2], r[3]) for r in exact}
    ref_groups: dict[tuple[object, ...], list[str]] = {}
    for pid, *k in exact_members:
        if tuple(k) in exact_keys:
            ref_groups.setdefault(tuple(k), []).append(keys[pid])
    ref_pairs = _pairs(ref_groups.values())

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"people {s.records:,}; true duplicate pairs {len(truth):,}")
    print(f"dedupe run: {seconds:.1f} s, pairs scored {s.pairs_scored:,}, candidates "
          f"{s.candidates:,}, merged automatically {s.auto_merged:,} "
          f"({auto_correct:,} correct), queued {s.queued:,}, conflicts {s.blocked:,}")
    print(f"{'':32} {'precision':>10} {'recall':>8} {'F1':>8}")
    p, r, f1 = _score(merged_pairs, truth)
    print(f"{'SPMIS automatic merges':32} {p:10.4f} {r:8.4f} {f1:8.4f}")
    p, r, f1 = _score(merged_pairs | queue_pairs, truth)
    print(f"{'SPMIS merges + review queue':32} {p:10.4f} {r:8.4f} {f1:8.4f}")
    p, r, f1 = _score(ref_pairs, truth)
    print(f"{'reference: exact SQL GROUP BY':32} {p:10.4f} {r:8.4f} {f1:8.4f}")
    _review_figure(candidates, keys, entity, len(truth), s.records, args.target)
    print(f"peak memory {peak:,.0f} MB")
    ctx.engine.dispose()


def _review_figure(candidates: list[Any], keys: dict[int, str], entity: dict[str, str],
                   true_pairs: int, records: int, target: float) -> None:
    """Print the pairs to review per 1,000 records for precision and recall >= ``target``.

    Candidates sorted most likely first; with the top ``h`` accepted unseen and pairs ``h`` to
    ``l`` reviewed, recall is true(top l) / true pairs and precision true(top l) /
    (true(top l) + false(top h)): ``l`` is the first index reaching the recall, ``h`` the last
    whose false pairs the precision can carry."""
    import numpy as np

    rows = sorted(candidates, key=lambda c: -c[2])
    is_true = np.array([entity[keys[a]] == entity[keys[b]] for a, b, _ in rows], dtype=np.int64)
    ct = np.concatenate([[0], np.cumsum(is_true)])
    cf = np.concatenate([[0], np.cumsum(1 - is_true)])
    need = target * true_pairs
    print(f"clerical review (target precision and recall {target}): {len(rows):,} candidate "
          f"pairs, {int(ct[-1]):,} of the {true_pairs:,} true pairs among them")
    if ct[-1] < need:
        print(f"  recall {target} cannot be reached: the candidates hold only "
              f"{ct[-1] / true_pairs:.4f} of the true pairs (lower --review-threshold, or the "
              f"rest were never scored)")
        need = float(ct[-1])
    last = int(np.searchsorted(ct, need, side="left"))
    allowed = ct[last] * (1 / target - 1)
    head = int(np.searchsorted(cf, allowed, side="right")) - 1
    head = min(head, last)
    band = last - head
    lo = rows[last - 1][2] if last else 1.0
    hi = rows[head - 1][2] if head else 1.0
    precision = ct[last] / (ct[last] + cf[head]) if ct[last] + cf[head] else 1.0
    print(f"  accept unseen from probability {hi:.6f}, review down to {lo:.6f}: "
          f"{band:,} pairs to review = {1000 * band / records:.1f} per 1,000 records "
          f"(precision {precision:.4f}, recall {ct[last] / true_pairs:.4f})")


if __name__ == "__main__":
    main()
