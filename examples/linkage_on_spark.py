"""The SPMIS linkage settings on Splink's Spark backend, side by side with the DuckDB engine.

What it shows: ``spmis.linkage.comparisons.build_settings`` is backend independent. A synthetic
list with known duplicates (``spmis.linkage.synthetic.generate``) is standardised once by
``spmis.linkage.prepare`` in DuckDB and written to Parquet; Spark (a ``local[2]`` session) reads
the Parquet, trains the model the way ``spmis.linkage.engine`` does (u by random sampling, m by
expectation maximisation on each of ``training_rules(roles)``, then the engine's share of
matching pairs), scores candidate pairs and clusters them at 0.8. The DuckDB engine
(``spmis.linkage.engine.dedupe``) runs on the same list, and both are scored against the ground
truth (pairwise precision, recall, F1) and against each other.

pyspark is not a dependency of SPMIS. Run the example in a venv of its own (Java 17 needed)::

    python3 -m venv /tmp/sparkvenv
    /tmp/sparkvenv/bin/pip install -c constraints.txt -e . pyspark==4.3.0
    /tmp/sparkvenv/bin/python examples/linkage_on_spark.py            # 10,000 records
    /tmp/sparkvenv/bin/python examples/linkage_on_spark.py --people 20000

Spark needs Splink's similarity UDF jar for Jaro-Winkler and Damerau-Levenshtein
(``splink.backends.spark.similarity_jar_location()``, passed as ``spark.jars``); ``SparkAPI``
then registers the functions itself. Splink's intermediate tables are written as Parquet under
the Spark checkpoint directory, which must be set.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from splink import Linker, SparkAPI
from splink.backends.spark import similarity_jar_location
from splink.internals.exceptions import EMTrainingException

from spmis.linkage.comparisons import build_settings, training_rules
from spmis.linkage.engine import PREPARED, LinkageOptions, _prior_match_share, connect, dedupe
from spmis.linkage.evaluate import PairScores, pairwise_scores
from spmis.linkage.prepare import prepare
from spmis.linkage.saved_model import port_model
from spmis.linkage.synthetic import generate

ROLES = {"family_name", "given_name", "sex", "date_of_birth", "village_code", "phone",
         "id_number"}


def spark_session(workdir: Path, cores: int) -> SparkSession:
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("spmis-linkage-example")
        .config("spark.jars", similarity_jar_location())  # jaro_winkler, damerau_levenshtein
        .config("spark.sql.shuffle.partitions", str(2 * cores))
        .config("spark.default.parallelism", str(2 * cores))
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(workdir / "checkpoints"))
    return spark


def run_spark(spark: SparkSession, parquet: Path, records: int, prior: Any,
              opts: LinkageOptions) -> dict[str, Any]:
    """Train, score and cluster on Spark; ``prior(model)`` is the engine's share of matching
    pairs for a trained model. Returns figures and the clusters (unique_id, cluster_id)."""
    t0, cpu0 = time.perf_counter(), _cpu_s() + (_jvm_cpu_s(spark) or 0.0)
    df = spark.read.parquet(str(parquet))
    db_api = SparkAPI(spark_session=spark)
    trainer = Linker(db_api.register(df), build_settings(ROLES, opts.term_frequencies),
                     log_level=None)
    # as spmis.linkage.engine._train: u by random sampling, m by EM on each training rule
    # (a list too small to train on keeps the starting values; a rule without pairs is skipped)
    if records >= opts.em_min_records:
        trainer.training.estimate_u_using_random_sampling(max_pairs=opts.u_max_pairs,
                                                          seed=opts.seed)
        for rule in training_rules(ROLES):
            try:
                trainer.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=opts.em_max_pairs)
            except EMTrainingException as exc:
                print(f"Spark: EM skipped: {str(exc).splitlines()[0]}")
    model = trainer.misc.save_model_to_json()
    model["probability_two_random_records_match"] = prior(model)
    pairs_scored, clusters = score_on_spark(spark, parquet, model, opts)
    jvm = _jvm_cpu_s(spark)
    return {"pairs": pairs_scored, "clusters": clusters, "model": model,
            "seconds": time.perf_counter() - t0,
            "cpu_s": None if jvm is None else _cpu_s() + jvm - cpu0}


def score_on_spark(spark: SparkSession, parquet: Path, model: dict[str, Any],
                   opts: LinkageOptions) -> tuple[int, Any]:
    """Score and cluster with a Spark-dialect model: pairs scored and (unique_id, cluster_id)."""
    df = spark.read.parquet(str(parquet))
    linker = Linker(SparkAPI(spark_session=spark).register(df), model, log_level=None)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pairs_scored = blocked.as_spark_dataframe().count()
    predictions = linker.inference.predict(
        threshold_match_probability=min(opts.pair_floor, opts.threshold), warning_mode="never")
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=opts.threshold)
    return pairs_scored, clustered.as_spark_dataframe().select("unique_id", "cluster_id").toArrow()


def largest_m_difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, str]:
    """The level whose trained m probability differs most between two models."""
    def levels(model: dict[str, Any]) -> dict[str, float]:
        return {f"{c['output_column_name']}: {lv.get('label_for_charts')}": lv["m_probability"]
                for c in model["comparisons"] for lv in c["comparison_levels"]
                if lv.get("m_probability") is not None}
    la, lb = levels(a), levels(b)
    return max((abs(la[k] - lb[k]), k) for k in la.keys() & lb.keys())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="records to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N]")
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)
    opts = LinkageOptions()
    workdir = Path(tempfile.mkdtemp(prefix="spmis-linkage-spark-"))

    # 1. a list with known duplicates; truth: record_id -> person_id
    rows, truth = generate(args.people, dup_rate=0.15, seed=args.seed)
    con = connect()
    con.register("people_arrow", rows.to_arrow())
    con.execute("create table people as select * from people_arrow")
    con.register("truth_arrow", truth.to_arrow())
    con.execute("create table truth as select record_id, cast(person_id as varchar) as person_id "
                "from truth_arrow")

    # 2. standardise in DuckDB, hand the prepared table to Spark as Parquet
    report = prepare(con, "people", ROLES, PREPARED)
    parquet = workdir / "prepared.parquet"
    con.execute(f"copy {PREPARED} to '{parquet}' (format parquet)")

    # 3. DuckDB: the engine itself, on a fresh connection
    duck_con = connect()
    duck_con.register("people_arrow", rows.to_arrow())
    duck_con.execute("create view people as select * from people_arrow")
    cpu0 = _cpu_s()
    duck = dedupe(duck_con, "people", ROLES, opts)
    duck_cpu = _cpu_s() - cpu0
    con.register("duck_clusters_arrow",
                 duck_con.sql(f"select * from {duck.clusters}").to_arrow_table())
    con.execute("create table duck_clusters as select * from duck_clusters_arrow")

    # 4. Spark: the same settings, trained and scored the engine's way; then the model DuckDB
    # trained, moved to Spark's dialect by port_model, scoring the same list on Spark
    spark = spark_session(workdir, args.cores)
    try:
        spark_out = run_spark(
            spark, parquet, report.rows,
            lambda model: _prior_match_share(con, ROLES, report.rows,
                                             opts.deterministic_recall, model),
            opts)
        ported_pairs, ported_clusters = score_on_spark(
            spark, parquet, port_model(duck.model, ROLES, "spark"), opts)
    finally:
        spark.stop()
    for name, arrow in (("spark_clusters", spark_out["clusters"]),
                        ("ported_clusters", ported_clusters)):
        con.register(f"{name}_arrow", arrow)
        con.execute(f"""create table {name} as
            select p.record_id, cast(c.cluster_id as varchar) as cluster_id
            from {name}_arrow as c join {PREPARED} as p using (unique_id)""")

    # 5. figures
    results: list[tuple[str, int, int, PairScores, float, float | None]] = [
        ("DuckDB", duck.pairs_scored, _count_clusters(con, "duck_clusters"),
         pairwise_scores(con, "duck_clusters", "truth"), duck.timings["total"], duck_cpu),
        ("Spark", spark_out["pairs"], _count_clusters(con, "spark_clusters"),
         pairwise_scores(con, "spark_clusters", "truth"), spark_out["seconds"],
         spark_out["cpu_s"]),
    ]
    print(f"{report.rows:,} records, {results[0][3].true_pairs:,} true duplicate pairs; "
          f"threshold {opts.threshold}, {args.cores} Spark cores")
    head = (f"{'backend':<9}{'pairs scored':>13}{'clusters':>10}{'precision':>11}"
            f"{'recall':>8}{'F1':>8}{'seconds':>9}{'CPU s':>8}")
    print(head)
    print("-" * len(head))
    for name, pairs, clusters, s, seconds, cpu in results:
        print(f"{name:<9}{pairs:>13,}{clusters:>10,}{s.precision:>11.4f}{s.recall:>8.4f}"
              f"{s.f1:>8.4f}{seconds:>9.1f}{'?' if cpu is None else f'{cpu:.1f}':>8}")
    con.execute("create view duck_as_truth as select record_id, cluster_id as person_id "
                "from duck_clusters")
    agree = pairwise_scores(con, "spark_clusters", "duck_as_truth")
    print(f"Spark vs DuckDB clusters: {agree.true_positives:,} co-clustered pairs in both, "
          f"{agree.predicted_pairs - agree.true_positives:,} only in Spark, "
          f"{agree.true_pairs - agree.true_positives:,} only in DuckDB")
    same = pairwise_scores(con, "ported_clusters", "duck_as_truth")
    print(f"DuckDB's model on Spark: {ported_pairs:,} pairs scored, "
          f"{same.predicted_pairs - same.true_positives:,} co-clustered pairs not in DuckDB's "
          f"clusters, {same.true_pairs - same.true_positives:,} of DuckDB's missing")
    diff, level = largest_m_difference(spark_out["model"], duck.model)
    prior_s = spark_out["model"]["probability_two_random_records_match"]
    prior_d = duck.model["probability_two_random_records_match"]
    print(f"largest difference of a trained m probability: {diff:.1e} ({level})")
    print(f"share of matching pairs: {prior_s:.4g} (Spark), {prior_d:.4g} (DuckDB)")


def _cpu_s() -> float:
    """CPU seconds of this process, all threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _jvm_cpu_s(spark: SparkSession) -> float | None:
    """CPU seconds used so far by the local Spark JVM (Linux /proc); None when unknown."""
    try:
        pid = spark.sparkContext._gateway.proc.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, ValueError, IndexError):
        return None


def _count_clusters(con: Any, table: str) -> int:
    return int(con.execute(f"select count(distinct cluster_id) from {table}").fetchall()[0][0])


if __name__ == "__main__":
    main()
