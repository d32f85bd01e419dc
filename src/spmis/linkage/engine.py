"""The record-linkage engine: standardise, train without labels, score pairs, cluster.

One entry point for every caller (the ``spmis link`` CLI now; registry deduplication, ``link
match`` and the review queue later)::

    con = connect()
    con.execute("create view people as select id as record_id, fam as family_name, ...")
    result = dedupe(con, "people", roles={"family_name", "given_name", "date_of_birth"})
    result.clusters   # DuckDB table name: record_id, cluster_id
    result.pairs      # DuckDB table name: record_id_l, record_id_r, match_weight,
                      #                    match_probability (pairs at or above pair_floor)
    result.model      # the trained Splink model (JSON-ready dict), to save with the run

The source is any DuckDB table or view with ``record_id`` and one VARCHAR column per role
(``spmis.linkage.roles.ROLES``); comparisons and blocking adapt to the roles present.

Training is unsupervised (no labels): u probabilities by random sampling of record pairs, m
probabilities by expectation maximisation on blocked pairs (sampled to a maximum count so time
stays bounded), and the share of matching pairs from near-certain rules divided by the trained
model's own estimate of their recall. A model saved from an earlier run (on DuckDB or Spark) can
be passed instead to skip training: its m, u and share of matches are taken, the SQL of its
levels is rebuilt from the roles (``saved_model.port_model``).

Memory is bounded by DuckDB's ``memory_limit`` (it spills to ``temp_directory``); the only
Python-side work is one call per distinct name spelling (``spmis.linkage.prepare``).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker
from splink.blocking_rule_library import CustomRule
from splink.clustering import cluster_pairwise_predictions_at_threshold
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.exceptions import EMTrainingException

from spmis.errors import InvalidInput
from spmis.linkage.comparisons import (
    blocking_rules,
    build_settings,
    second_script,
    training_rules,
    two_key_rules,
)
from spmis.linkage.prepare import PrepareReport, prepare
from spmis.linkage.roles import NAME_ROLES
from spmis.linkage.saved_model import ModelMismatch, port_model

__all__ = ["LinkageOptions", "LinkageResult", "connect", "dedupe"]

PREPARED = "__spmis_linkage_input"
PAIRS = "__spmis_linkage_pairs"
CLUSTERS = "__spmis_linkage_clusters"
LINKS = "__spmis_linkage_links"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkageOptions:
    """Knobs of a run. Defaults suit national-scale lists on a small machine."""

    threshold: float = 0.8  #: match probability at or above which two records are joined
    pair_floor: float = 0.5  #: pairs at or above this probability are kept in ``pairs``
    #: a pair below ``threshold`` but at or above this (more likely the same person than not)
    #: is joined too when each of its records is the other's most probable partner (see
    #: ``_links``); at ``threshold`` or above, every pair is joined
    best_link_floor: float = 0.5
    u_max_pairs: float = 1.5e6  #: random record pairs sampled to estimate u
    em_max_pairs: float = 1e6  #: blocked pairs sampled per EM training rule
    em_min_records: int = 2000  #: below this, training is skipped: starting m and u are kept
    seed: int = 42
    deterministic_recall: float = 0.7  #: assumed recall of near-certain rules (see below)
    term_frequencies: bool = True  #: rarer names weigh more
    #: a two-field blocking rule (``comparisons.two_key_rules``) runs only when the pairs it
    #: makes number at most this many per record (or ``block_pairs_floor``, for small lists)
    block_pairs_per_record: float = 1.0
    block_pairs_floor: int = 100_000
    #: a fixed rule (``comparisons.blocking_rules``) runs only when its pairs number at most
    #: this many per record (or ``block_pairs_floor``). Within a commune or a birth date the
    #: pairs of a rule grow with the square of the list: at 17,000,000 records "family name +
    #: commune + 3 letters of the given name" made 263 million pairs (15.6 per record, most of
    #: them namesakes), at 1,000,000 under one per record
    rule_pairs_per_record: float = 3.0
    #: records per part when scoring: a longer list is scored in parts of the records by
    #: hash, part k of the left side against part j of the right side, each part's pairs kept
    #: above the floor and the rest dropped before the next, so DuckDB never holds or spills
    #: every candidate pair at once (a 17,000,000-record list spilled over 51 GB in one piece).
    #: At 6,000,000 (17M in 3 x 3 pieces) the spill stays under 5 GB and a piece takes about
    #: 2 minutes once the fixed rules are budgeted (``rule_pairs_per_record``)
    score_part_records: int = 6_000_000


@dataclass
class LinkageResult:
    """Where a run left its results (tables in the DuckDB connection) and its figures."""

    clusters: str
    pairs: str
    pairs_scored: int
    records: int
    clusters_count: int
    model: dict[str, Any]
    report: PrepareReport
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def connect(
    memory_limit: str = "3GB", threads: int | None = None, temp_directory: str | None = None,
    max_temp_size: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with bounded memory that spills to disk (at most
    ``max_temp_size`` there when given; DuckDB's own cap is 90% of the free disk space, which
    leaves a shared disk, PostgreSQL's included, all but full)."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{temp_directory or tempfile.gettempdir()}'")
    if max_temp_size:
        con.execute(f"SET max_temp_directory_size = '{max_temp_size}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _level_probability(model: Mapping[str, Any], comparison: str, label: str,
                       which: str = "m_probability") -> float | None:
    """The ``which`` (m_probability or u_probability) of a level of a saved model, by label."""
    for comp in model.get("comparisons", []):
        if comp.get("output_column_name") == comparison:
            for level in comp.get("comparison_levels", []):
                if level.get("label_for_charts") == label:
                    m = level.get(which)
                    return float(m) if m is not None else None
    return None


def _prior_match_share(
    con: duckdb.DuckDBPyConnection,
    roles: Collection[str],
    records: int,
    recall: float,
    model: Mapping[str, Any],
) -> float:
    """Share of all record pairs that match, from the pairs near-certain rules find (counted
    from group sizes, no join).

    For "same name and exact date" the trained model gives both sides of the count: a matching
    pair is found with the model's m(same name) x m(exact date), any other pair by chance with
    u(same name) x u(exact date) (random sampling). Found pairs / all pairs = share x m + (1 -
    share) x u, solved for the share. At 17,000,000 records half the pairs sharing a name and a
    date are namesakes: without the chance term the share came out 2.4 times too high and
    namesakes born the same day were joined. For the identifier and phone rules the recall is
    assumed and chance agreement neglected."""
    total = records * (records - 1) / 2
    if total <= 0:
        return 0.5
    keys: list[tuple[str, str, float, float]] = []
    if any(r in roles for r in NAME_ROLES) and "date_of_birth" in roles:
        # the name level that comes first: the second spelling when one is mapped
        key, label = (("name2_key", "same second-script name") if second_script(roles)
                      else ("name_key", "same name key"))
        m_name = _level_probability(model, "name", label)
        m_dob = _level_probability(model, "date_of_birth", "exact date")
        own = m_name * m_dob if m_name and m_dob else recall
        u_name = _level_probability(model, "name", label, "u_probability")
        u_dob = _level_probability(model, "date_of_birth", "exact date",
                                  "u_probability")
        chance = u_name * u_dob if u_name and u_dob else 0.0
        keys.append((f"{key}, dob", f"{key} is not null and dob is not null and not dob_est",
                     min(max(own, 0.2), 0.95), chance))
    if "id_number" in roles:
        keys.append(("id_block", "id_block is not null", recall, 0.0))
    if any(r in roles for r in NAME_ROLES) and "phone" in roles:
        keys.append(("name_key, phone_block",
                     "name_key is not null and phone_block is not null", recall, 0.0))
    share = 1 / recall / total
    for cols, where, rule_recall, chance in keys:
        found = _scalar(con, f"select sum(n * (n - 1) / 2) from (select count(*) as n "
                             f"from {PREPARED} where {where} group by {cols})")
        if rule_recall > chance:
            share = max(share, (found / total - chance) / (rule_recall - chance))
    return min(max(share, 1e-9), 0.5)


def rule_pairs(con: duckdb.DuckDBPyConnection, rule: BlockingRuleCreator | str) -> int:
    """Candidate pairs ``rule`` (a Splink rule or an SQL condition on ``l.``/``r.``) makes on
    the standardised list, counted from group sizes of its equality keys (no join of records).
    A condition other than equalities is not counted: the figure is then an upper bound."""
    creator = CustomRule(rule) if isinstance(rule, str) else rule
    keys = creator.get_blocking_rule("duckdb")._equi_join_conditions  # (left, right) pairs
    if not keys:
        records = _scalar(con, f"select count(*) from {PREPARED}")
        return records * (records - 1) // 2
    left, right = [k for k, _ in keys], [k for _, k in keys]
    if left == right:  # the same key on both sides: pairs within each group
        present = " and ".join(f"({k}) is not null" for k in left)
        return _scalar(con, f"select sum(n * (n - 1) // 2) from (select count(*) as n "
                            f"from {PREPARED} where {present} group by {', '.join(left)})")
    names = [f"k{i}" for i in range(len(keys))]

    def side(exprs: list[str]) -> str:
        cols = ", ".join(f"{e} as {n}" for e, n in zip(exprs, names, strict=True))
        return f"select {cols}, count(*) as n from {PREPARED} group by all"

    # e.g. day and month swapped: a left group meets the right group with the swapped key;
    # each pair is met from both ends, a record whose keys meet its own (5 May) once
    ordered = _scalar(con, f"select sum(a.n * b.n) from ({side(left)}) as a "
                           f"join ({side(right)}) as b using ({', '.join(names)})")
    itself = _scalar(con, f"select count(*) from {PREPARED} where " + " and ".join(
        f"({a}) = ({b})" for a, b in keys))
    return (ordered - itself) // 2


def budgeted_rules(
    con: duckdb.DuckDBPyConnection, roles: Collection[str], records: int, opts: LinkageOptions
) -> tuple[list[BlockingRuleCreator], list[str], list[str]]:
    """The blocking rules this list can afford, each counted by ``rule_pairs`` before any
    join: the fixed rules kept up to ``opts.rule_pairs_per_record`` pairs per record, the
    two-field rules up to ``opts.block_pairs_per_record``. Returns the kept fixed rules, the
    kept two-field conditions and a note per rule left out."""
    def budget(per_record: float) -> int:
        return int(max(per_record * records, opts.block_pairs_floor))

    fixed_budget, two_key_budget = (budget(opts.rule_pairs_per_record),
                                    budget(opts.block_pairs_per_record))
    fixed: list[BlockingRuleCreator] = []
    kept: list[str] = []
    dropped: list[str] = []
    for rule in blocking_rules(roles):
        n = rule_pairs(con, rule)
        if n <= fixed_budget:
            fixed.append(rule)
        else:
            sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
            dropped.append(f"blocking rule {sql} left out: {n:,} pairs > {fixed_budget:,}")
    for (a, b), cond in two_key_rules(roles):
        n = rule_pairs(con, cond)
        if n <= two_key_budget:
            kept.append(cond)
        else:
            dropped.append(f"blocking on {a} + {b} left out: {n:,} pairs > {two_key_budget:,}")
    return fixed, kept, dropped


def dedupe(
    con: duckdb.DuckDBPyConnection,
    source: str,
    roles: Collection[str],
    options: LinkageOptions | None = None,
    *,
    model: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    check: Callable[[PrepareReport], None] | None = None,
) -> LinkageResult:
    """Find the records of ``source`` that are the same person; see the module docstring.

    ``check`` is called with the counts of unreadable values once the input is standardised,
    before any training or scoring: it may raise to stop a run on a wrong column.
    Raises ``InvalidInput`` when ``source`` has no rows.
    """
    with _quiet_splink():
        return _dedupe(con, source, roles, options, model=model, progress=progress, check=check)


def score_parts(records: int, opts: LinkageOptions) -> int:
    """How many parts of the records each side of the scoring is split into (1: one piece)."""
    return max(1, -(-records // max(1, opts.score_part_records)))


def _score(con: duckdb.DuckDBPyConnection, linker: Linker, records: int, keep_from: float,
           opts: LinkageOptions, say: Callable[[str], None]) -> tuple[Any, int]:
    """The candidate pairs scored, those at or above ``keep_from`` kept (a Splink table), and
    how many were scored. A list of more than ``opts.score_part_records`` records is scored
    part against part (every pair falls in exactly one: its left record's part and its right
    record's), each part's candidates dropped once scored."""
    parts = score_parts(records, opts)
    if parts == 1:
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        scored = _scalar(con, f"select count(*) from {blocked.physical_name}")
        return linker.inference.predict(threshold_match_probability=keep_from,
                                        warning_mode="never"), scored
    scored = 0
    kept = None
    for n, (i, j) in enumerate(product(range(1, parts + 1), repeat=2), start=1):
        say(f"scoring candidate pairs: part {n} of {parts * parts}")
        left, right = (i, parts), (j, parts)
        blocked = linker.inference.compute_blocked_pairs_for_predict_chunk(left, right)
        scored += _scalar(con, f"select count(*) from {blocked.physical_name}")
        part = linker.inference.predict_chunk(left, right, threshold_match_probability=keep_from,
                                              warning_mode="never")
        blocked.drop_table_from_database_and_remove_from_cache()
        if kept is None:
            kept = part
        else:
            con.execute(f"insert into {kept.physical_name} by name "
                        f"select * from {part.physical_name}")
            part.drop_table_from_database_and_remove_from_cache()
    return kept, scored


def _dedupe(
    con: duckdb.DuckDBPyConnection,
    source: str,
    roles: Collection[str],
    options: LinkageOptions | None = None,
    *,
    model: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    check: Callable[[PrepareReport], None] | None = None,
) -> LinkageResult:
    opts = options or LinkageOptions()
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    say("standardising names, dates and codes")
    report = prepare(con, source, roles, PREPARED)
    if report.rows == 0:
        raise InvalidInput.one(("input",), "empty", "the file has no data rows",
                               "ឯកសារគ្មានជួរទិន្នន័យទេ")
    if check is not None:
        check(report)
    timings["prepare"] = time.perf_counter() - t0

    t = time.perf_counter()
    fixed, extra, dropped = budgeted_rules(con, roles, report.rows, opts)
    timings["budget"] = time.perf_counter() - t
    db_api = DuckDBAPI(connection=con)
    table = db_api.register(PREPARED)
    if model is None:
        # EM starts from Splink's default share of matches (suited to its blocked, match-rich
        # pairs: a national-scale share there makes EM call true but moved duplicates
        # non-matches); the share among all pairs is set afterwards, for scoring.
        trainer = Linker(table, build_settings(roles, opts.term_frequencies, extra, fixed),
                         log_level=None)
        t = time.perf_counter()
        notes = _train(trainer, roles, report.rows, opts, say)
        trained = trainer.misc.save_model_to_json()
        trained["probability_two_random_records_match"] = _prior_match_share(
            con, roles, report.rows, opts.deterministic_recall, trained)
        linker = Linker(db_api.register(PREPARED), trained, log_level=None)
        timings["train"] = time.perf_counter() - t
    else:
        # only the saved numbers are taken: the SQL of every level is this code's, in DuckDB's
        # dialect (a model saved on Spark keeps Spark's; a model file is never run as SQL)
        try:
            given = port_model(model, roles, "duckdb")
        except ModelMismatch as exc:
            raise InvalidInput.one(("model",), "model_levels", str(exc),
                                   "ម៉ូដែលមិនត្រូវនឹងតួនាទីដែលបានកំណត់ទេ") from None
        given["blocking_rules_to_generate_predictions"] = build_settings(
            roles, opts.term_frequencies, extra, fixed).get_settings("duckdb").as_dict()[
            "blocking_rules_to_generate_predictions"]
        linker = Linker(table, given, log_level=None)
        notes = ["model given: training skipped"]
    notes += dropped

    say("scoring candidate pairs")
    t = time.perf_counter()
    floor = min(opts.pair_floor, opts.threshold)
    predictions, pairs_scored = _score(con, linker, report.rows, min(floor, opts.best_link_floor),
                                       opts, say)
    timings["predict"] = time.perf_counter() - t

    say("clustering")
    t = time.perf_counter()
    _links(con, predictions.physical_name, opts)
    clustered = cluster_pairwise_predictions_at_threshold(PREPARED, LINKS, db_api, "unique_id")
    con.execute(f"""
        create or replace table {CLUSTERS} as
        with c as (select unique_id, cluster_id from {clustered.physical_name}),
        rep as (select cluster_id, min(unique_id) as first_id from c group by cluster_id)
        select p.record_id, f.record_id as cluster_id
        from c join rep using (cluster_id)
        join {PREPARED} as p on p.unique_id = c.unique_id
        join {PREPARED} as f on f.unique_id = rep.first_id
    """)
    con.execute(f"""
        create or replace table {PAIRS} as
        select l.record_id as record_id_l, r.record_id as record_id_r,
               q.match_weight, q.match_probability
        from {predictions.physical_name} as q
        join {PREPARED} as l on l.unique_id = q.unique_id_l
        join {PREPARED} as r on r.unique_id = q.unique_id_r
        where q.match_probability >= {floor}
    """)
    con.execute(f"drop table if exists {LINKS}")
    timings["cluster"] = time.perf_counter() - t
    clustered.drop_table_from_database_and_remove_from_cache()
    predictions.drop_table_from_database_and_remove_from_cache()
    timings["total"] = time.perf_counter() - t0
    return LinkageResult(
        clusters=CLUSTERS,
        pairs=PAIRS,
        pairs_scored=pairs_scored,
        records=report.rows,
        clusters_count=_scalar(con, f"select count(distinct cluster_id) from {CLUSTERS}"),
        model=linker.misc.save_model_to_json(),
        report=report,
        timings=timings,
        notes=notes,
    )


def _links(con: duckdb.DuckDBPyConnection, predictions: str, opts: LinkageOptions) -> None:
    """Create table ``LINKS`` (unique_id_l, unique_id_r): the pairs clustering joins.

    Every pair at or above ``threshold``, and a pair from ``best_link_floor`` up when each of
    its two records is the other's most probable partner. Connected components join
    transitively, so a weak pair that is not the best of both its records chains a namesake
    onto another person's records (two people with one name and date, each a candidate of the
    same record); a mutual best weak pair joins only what is most likely one person.
    """
    low = min(opts.best_link_floor, opts.threshold)
    con.execute(f"""
        create or replace table {LINKS} as
        with q as (select unique_id_l, unique_id_r, match_probability as p
                   from {predictions} where match_probability >= {low}),
        ends as (select unique_id_l as id, unique_id_r as other, p from q
                 union all select unique_id_r, unique_id_l, p from q),
        best as (select id, first(other order by p desc, other) as other from ends group by id)
        select q.unique_id_l, q.unique_id_r from q
        where q.p >= {opts.threshold}
           or (exists (select 1 from best where best.id = q.unique_id_l
                       and best.other = q.unique_id_r)
               and exists (select 1 from best where best.id = q.unique_id_r
                           and best.other = q.unique_id_l))
    """)


def _train(
    linker: Linker,
    roles: Collection[str],
    records: int,
    opts: LinkageOptions,
    say: Callable[[str], None],
) -> list[str]:
    """Unsupervised estimation: u by random sampling, m by EM on each training rule.

    EM needs thousands of pairs to be reliable: below ``opts.em_min_records`` records, and for
    a rule that yields no pairs, the starting m probabilities are kept. Returns notes on what
    was skipped.
    """
    notes: list[str] = []
    if records < opts.em_min_records:
        notes.append(f"{records} records: too few to train on, starting m and u kept")
        return notes
    say("estimating u probabilities by random sampling")
    linker.training.estimate_u_using_random_sampling(max_pairs=opts.u_max_pairs, seed=opts.seed)
    for rule in training_rules(roles):
        say("estimating m probabilities (expectation maximisation)")
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=opts.em_max_pairs)
        except EMTrainingException as exc:
            notes.append(f"EM skipped: {str(exc).splitlines()[0]}")
    return notes


@contextmanager
def _quiet_splink() -> Iterator[None]:
    """Splink logs progress and advice at INFO/WARNING; SPMIS reports its own progress."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
