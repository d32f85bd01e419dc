"""Benchmark of ``spmis link dedupe`` against Splink with default-style settings.

    .venv/bin/python bench/linkage.py                   # 1,000,000 records
    .venv/bin/python bench/linkage.py --people 200000

1. Generate a list of about ``--people`` records, 15% of them duplicates with ground truth:
   ``spmis synth`` (``--generator synth``, the default: households, real gazetteer villages,
   romanisation variants, typos, swapped day/month, estimated years, moves) or the linkage
   package's own generator (``--generator own``: also dates written DD/MM/YYYY, name order
   swaps, missing fields).
2. In a fresh process each (so peak memory is the run's own, from
   ``VmHWM``, DuckDB included), run
   - SPMIS: the ``spmis link dedupe`` path (CSV read, checks, standardise, train without labels,
     score, cluster, write the output CSV);
   - the reference: Splink on the raw columns with its library comparisons (NameComparison,
     DateOfBirthComparison, ExactMatch) and simple exact blocking (block_on), trained the same
     unsupervised way, clustered at the same threshold.
3. Print records, pairs scored, wall seconds, CPU seconds (comparable on a shared machine),
   peak memory, and pairwise precision, recall and F1 of the clusters against the ground truth.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SYNTH_MAPPING = {
    "id": "person_key", "family_name": "family_name_latin", "given_name": "given_name_latin",
    "family_name_km": "family_name_km", "given_name_km": "given_name_km",
    "sex": "sex", "date_of_birth": "date_of_birth", "village_code": "village_code",
    "address": "address", "phone": "phone", "id_number": "national_id", "truth_id": "person_key",
    "truth_entity": "entity_id",
}
OWN_MAPPING = {
    "id": "record_id", "family_name": "family_name", "given_name": "given_name", "sex": "sex",
    "date_of_birth": "date_of_birth", "village_code": "village_code", "phone": "phone",
    "id_number": "id_number", "truth_id": "record_id", "truth_entity": "person_id",
}
ROLES = ("family_name", "given_name", "family_name_km", "given_name_km", "sex",
         "date_of_birth", "village_code", "address", "phone", "id_number")
REFERENCE_ROLES = ("family_name", "given_name", "sex", "date_of_birth", "village_code", "phone",
                   "id_number")
AVG_HOUSEHOLD = 4.27  # people per household in spmis synth


PART_PEOPLE = 1_000_000  #: ``spmis synth`` lists larger than this are generated in parts


def generate(people: int, generator: str, folder: Path, seed: int) -> dict[str, str]:
    """Write people.csv and truth.csv into ``folder``; return the column mapping."""
    if generator == "synth":
        from spmis.synth.generator import generate as synth

        if people > PART_PEOPLE:
            _synth_in_parts(people, folder, seed)
            return SYNTH_MAPPING
        households = max(1, round(people / 1.15 / AVG_HOUSEHOLD))
        synth(households=households, seed=seed, out_dir=folder, duplicate_share=0.15)
        return SYNTH_MAPPING
    from spmis.linkage.synthetic import generate as own

    rows, truth = own(people, dup_rate=0.15, seed=seed)
    rows.write_csv(folder / "people.csv")
    truth.write_csv(folder / "truth.csv")
    return OWN_MAPPING


def _synth_in_parts(people: int, folder: Path, seed: int) -> None:
    """A national-size list in memory-bounded parts: each part is an independent ``spmis
    synth`` population of at most ``PART_PEOPLE`` records drawn over the whole country (its
    moves go anywhere), written to disk and appended by DuckDB, which streams. Keys get the
    part number so they stay unique: person and entity keys ``P<part>…``, national IDs end in
    it (two parts could otherwise draw the same random number)."""
    import duckdb

    from spmis.synth.generator import generate as synth

    parts = -(-people // PART_PEOPLE)
    for k in range(parts):
        share = min(PART_PEOPLE, people - k * PART_PEOPLE)
        synth(households=max(1, round(share / 1.15 / AVG_HOUSEHOLD)), seed=seed * 1000 + k,
              out_dir=folder / f"part{k:03d}", duplicate_share=0.15)
    con = duckdb.connect()
    con.execute("SET memory_limit = '2GB'")
    con.execute(f"SET temp_directory = '{folder / 'tmp'}'")
    tag = "lpad(regexp_extract(filename, 'part([0-9]+)', 1), 3, '0')"
    con.execute(f"""copy (select * exclude (filename) replace (
            'P' || {tag} || substr(person_key, 2) as person_key,
            case when national_id is not null then national_id || {tag} end as national_id)
        from read_csv('{folder}/part*/people.csv', all_varchar = true, filename = true))
        to '{folder / 'people.csv'}' (header)""")
    con.execute(f"""copy (select 'P' || {tag} || substr(person_key, 2) as person_key,
            {tag} || '-' || entity_id as entity_id
        from read_csv('{folder}/part*/truth.csv', all_varchar = true, filename = true))
        to '{folder / 'truth.csv'}' (header)""")
    for k in range(parts):
        for f in (folder / f"part{k:03d}").iterdir():
            f.unlink()
        (folder / f"part{k:03d}").rmdir()


def _peak_mb() -> float:
    """Peak resident memory of this process's own image (``VmHWM``). Not ``ru_maxrss``: Linux
    carries the parent's peak across fork and exec into it, so a child started after
    generating 4,000,000 records reported the generator's 4.7 GB whatever it used itself."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds of this process (all threads): comparable when the machine is shared."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _spill_gb(temp_dir: str | None) -> float:
    """GB DuckDB has spilled so far into ``temp_dir`` (its files only)."""
    folder = Path(temp_dir or tempfile.gettempdir())
    files = [f for f in folder.glob("duckdb_temp*") if f.is_file()]
    return sum(f.stat().st_size for f in files) / 1e9


def _reporter(temp_dir: str | None, every: float = 60.0) -> Any:
    """Progress lines on stderr: each step as it starts, and every ``every`` seconds the
    resident memory and the spill on disk, so a run that stops shows where and how big."""
    import threading

    t0 = time.perf_counter()

    def line(what: str) -> None:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {time.perf_counter() - t0:7.1f} s  {what}  (peak RSS {rss:,.0f} MB, "
              f"spilled {_spill_gb(temp_dir):.1f} GB)", file=sys.stderr, flush=True)

    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            line("...")

    threading.Thread(target=tick, daemon=True).start()
    line.stop = stop  # type: ignore[attr-defined]
    return line


def run_spmis(folder: Path, mapping: dict[str, str], threshold: float, memory: str,
              temp_dir: str | None = None, max_temp: str | None = None) -> dict[str, Any]:
    """The ``spmis link dedupe`` path, timed from reading the CSV to writing the output."""
    from spmis.linkage.cli import load_input
    from spmis.linkage.engine import LinkageOptions, connect, dedupe
    from spmis.linkage.roles import parse_column_options

    t0 = time.perf_counter()
    say = _reporter(temp_dir)
    cols = parse_column_options(mapping["id"], [f"{r}={mapping[r]}" for r in ROLES if r in mapping])
    con = connect(memory_limit=memory, temp_directory=temp_dir, max_temp_size=max_temp)
    say("reading the CSV")
    load_input(con, folder / "people.csv", cols)
    result = dedupe(con, "__spmis_cli_source", set(cols.roles), LinkageOptions(threshold=threshold),
                    progress=say)
    say("done")
    say.stop.set()
    con.execute(f"copy (select record_id, cluster_id from {result.clusters} order by record_id) "
                f"to '{folder / 'spmis_clusters.csv'}' (header)")
    seconds = time.perf_counter() - t0
    return {"records": result.records, "pairs": result.pairs_scored, "seconds": seconds,
            "cpu_s": _cpu_s(), "peak_mb": _peak_mb(), "timings": result.timings,
            "notes": result.notes, "clusters": result.clusters, "con": con}


def run_reference(folder: Path, mapping: dict[str, str], threshold: float, memory: str,
                  temp_dir: str | None = None, max_temp: str | None = None) -> dict[str, Any]:
    """Splink's own comparisons on the raw columns and exact blocking: the usual first model."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from spmis.linkage.engine import connect

    logging.getLogger("splink").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    con = connect(memory_limit=memory, temp_directory=temp_dir, max_temp_size=max_temp)
    select = ", ".join([f"nullif(trim(\"{mapping['id']}\"), '') as unique_id"] + [
        f"nullif(trim(\"{mapping[r]}\"), '') as {r}" for r in REFERENCE_ROLES])
    con.execute(f"create table ref_input as select {select} from "
                f"read_csv('{folder / 'people.csv'}', all_varchar = true)")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("family_name"),
            cl.NameComparison("given_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("village_code"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("id_number"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("family_name", "given_name"),
            block_on("date_of_birth", "village_code"),
            block_on("phone"),
            block_on("id_number"),
        ],
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("ref_input"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("family_name", "given_name", "date_of_birth")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1.5e6, seed=42)
    for rule in (block_on("date_of_birth"), block_on("family_name", "given_name")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=1e6)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pairs = con.execute(f"select count(*) from {blocked.physical_name}").fetchall()[0][0]
    predictions = linker.inference.predict(threshold_match_probability=min(0.5, threshold))
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold)
    con.execute(f"create table ref_clusters as select cast(unique_id as varchar) as record_id, "
                f"cast(cluster_id as varchar) as cluster_id from {clustered.physical_name}")
    con.execute(f"copy ref_clusters to '{folder / 'reference_clusters.csv'}' (header)")
    seconds = time.perf_counter() - t0
    records = con.execute("select count(*) from ref_input").fetchall()[0][0]
    return {"records": records, "pairs": int(pairs), "seconds": seconds, "cpu_s": _cpu_s(),
            "peak_mb": _peak_mb(), "clusters": "ref_clusters", "con": con}


def child(which: str, folder: Path, threshold: float, memory: str, temp_dir: str | None,
          max_temp: str | None = None) -> None:
    """Run one side in this process and print its figures as JSON on the last line."""
    from spmis.linkage.evaluate import pairwise_scores

    mapping = json.loads((folder / "mapping.json").read_text())
    runner = run_spmis if which == "spmis" else run_reference
    out = runner(folder, mapping, threshold, memory, temp_dir, max_temp)
    con = out.pop("con")
    con.execute(f"create table truth as select \"{mapping['truth_id']}\" as record_id, "
                f"\"{mapping['truth_entity']}\" as person_id from "
                f"read_csv('{folder / 'truth.csv'}', all_varchar = true)")
    scores = pairwise_scores(con, out.pop("clusters"), "truth")
    out.update(precision=scores.precision, recall=scores.recall, f1=scores.f1,
               true_pairs=scores.true_pairs, predicted_pairs=scores.predicted_pairs)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="records to generate")
    parser.add_argument("--generator", choices=("synth", "own"), default="synth")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit")
    parser.add_argument("--temp-dir", default=None,
                        help="where DuckDB spills beyond the memory limit (default: the "
                             "system's temporary folder)")
    parser.add_argument("--max-temp-size", default=None,
                        help="the most DuckDB may spill (e.g. 50GB); past it the run stops "
                             "with DuckDB's error instead of filling the disk")
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--child", choices=("spmis", "reference"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workdir, args.threshold, args.memory_limit, args.temp_dir,
              args.max_temp_size)
        return
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="spmis-bench-linkage-"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    mapping = generate(args.people, args.generator, folder, args.seed)
    (folder / "mapping.json").write_text(json.dumps(mapping))
    print(f"generated ({args.generator}) in {time.perf_counter() - t:.1f} s: {folder}")
    results: dict[str, dict[str, Any]] = {}
    for which in ("spmis", "reference")[: 1 if args.skip_reference else 2]:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", which, "--workdir", str(folder),
             "--threshold", str(args.threshold), "--memory-limit", args.memory_limit,
             *(["--temp-dir", args.temp_dir] if args.temp_dir else []),
             *(["--max-temp-size", args.max_temp_size] if args.max_temp_size else [])],
            stdout=subprocess.PIPE, text=True, check=False)  # progress on stderr, as it goes
        if proc.returncode != 0:
            print(f"{which} failed (exit {proc.returncode}; its progress and error above)")
            continue
        results[which] = json.loads(proc.stdout.strip().splitlines()[-1])
    head = (f"{'run':<10}{'records':>11}{'pairs scored':>14}{'seconds':>9}{'CPU s':>8}"
            f"{'peak MB':>9}{'precision':>11}{'recall':>8}{'F1':>8}")
    print(head)
    print("-" * len(head))
    for which, r in results.items():
        print(f"{which:<10}{r['records']:>11,}{r['pairs']:>14,}{r['seconds']:>9.1f}"
              f"{r.get('cpu_s', 0):>8.1f}{r['peak_mb']:>9.0f}{r['precision']:>11.4f}"
              f"{r['recall']:>8.4f}{r['f1']:>8.4f}")
    if "spmis" in results:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in results["spmis"]["timings"].items())
        print(f"spmis steps (s): {steps}; true pairs {results['spmis']['true_pairs']:,}")
        left_out = [n for n in results["spmis"]["notes"] if n.startswith("blocking rule")]
        print(f"fixed blocking rules left out: {len(left_out)}")
        for note in left_out:
            print(f"  {note}")


if __name__ == "__main__":
    main()
