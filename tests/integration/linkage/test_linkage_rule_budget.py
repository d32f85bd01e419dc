"""Every blocking rule is counted before any join, and a rule whose pairs would swamp the run
is left out with a note (at 17,000,000 records one fixed rule alone made 263 million pairs).

The count must be the pairs Splink's own blocking makes for the rule, swapped day and month
(a rule whose two sides differ) included, or the budget decides on a wrong figure.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from splink import DuckDBAPI, Linker
from splink.blocking_rule_library import CustomRule

from spmis.linkage import engine
from spmis.linkage.comparisons import blocking_rules, build_settings, two_key_rules
from spmis.linkage.prepare import prepare
from spmis.synth.generator import generate

ROLES = {"family_name", "given_name", "family_name_km", "given_name_km", "date_of_birth", "sex",
         "village_code", "phone"}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder: Path = tmp_path_factory.mktemp("budget")
    generate(households=600, seed=11, out_dir=folder, duplicate_share=0.15,
             as_of=date(2025, 1, 1))
    con = engine.connect(memory_limit="1GB")
    con.execute(f"""create table people as select person_key as record_id,
        coalesce(family_name_latin, family_name_km) as family_name,
        coalesce(given_name_latin, given_name_km) as given_name, family_name_km, given_name_km,
        date_of_birth, sex, village_code, phone
        from read_csv('{folder / "households.csv"}', all_varchar = true)""")
    prepare(con, "people", ROLES, engine.PREPARED)
    return con


def _splink_pairs(con: duckdb.DuckDBPyConnection, condition: str) -> int:
    """Pairs Splink's blocking makes for ``condition`` alone."""
    settings = build_settings(ROLES, fixed_rules=[CustomRule(condition)])
    linker = Linker(DuckDBAPI(connection=con).register(engine.PREPARED), settings,
                    log_level=None)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    return int(con.execute(f"select count(*) from {blocked.physical_name}").fetchall()[0][0])


def test_each_rule_is_counted_as_splink_blocks_it(con: duckdb.DuckDBPyConnection) -> None:
    fixed = [r.get_blocking_rule("duckdb").blocking_rule_sql for r in blocking_rules(ROLES)]
    swapped = [c for c in fixed if "dob_day" in c]
    assert swapped  # the rule whose two sides differ is among them
    conditions = fixed + [cond for _, cond in two_key_rules(ROLES)][:4]
    counted = {c: engine.rule_pairs(con, c) for c in conditions}
    assert sum(counted.values()) > 1000  # the list has pairs to count
    assert counted == {c: _splink_pairs(con, c) for c in conditions}


def test_a_rule_over_budget_is_left_out_with_a_note(con: duckdb.DuckDBPyConnection) -> None:
    records = int(con.execute(f"select count(*) from {engine.PREPARED}").fetchall()[0][0])
    counts = sorted((engine.rule_pairs(con, r), i) for i, r in enumerate(blocking_rules(ROLES)))
    (biggest, which), (second, _) = counts[-1], counts[-2]
    assert biggest > second  # one rule to leave out
    opts = engine.LinkageOptions(block_pairs_floor=0,
                                 rule_pairs_per_record=(biggest + second) / 2 / records)
    fixed, _, notes = engine.budgeted_rules(con, ROLES, records, opts)
    sql = blocking_rules(ROLES)[which].get_blocking_rule("duckdb").blocking_rule_sql
    assert [r.get_blocking_rule("duckdb").blocking_rule_sql for r in fixed] == [
        r.get_blocking_rule("duckdb").blocking_rule_sql
        for i, r in enumerate(blocking_rules(ROLES)) if i != which]
    assert any(n.startswith(f"blocking rule {sql} left out: {biggest:,} pairs") for n in notes)
    # with the default budget a list this size keeps every fixed rule
    kept, _, notes = engine.budgeted_rules(con, ROLES, records, engine.LinkageOptions())
    assert len(kept) == len(blocking_rules(ROLES))
    assert not any(n.startswith("blocking rule") for n in notes)
