"""The engine on the registry: bulk load, evaluate, bulk write (idempotent), on SQLite and
PostgreSQL; and the ``spmis rules evaluate`` / ``spmis simulate`` commands."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from sqlalchemy import Engine, func, insert, select
from typer.testing import CliRunner

from spmis.config import Settings
from spmis.db.engine import make_engine
from spmis.registry.store import household, person
from spmis.rules.engine import evaluate
from spmis.rules.population import load_population, load_population_parallel
from spmis.rules.store import read_results, rules_result, rules_run, run_results, write_run

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AUDIT = {"created_at": NOW, "created_by": "t", "updated_at": NOW, "updated_by": "t"}


def _person(hh: int, rel: str, sex: str, dob: date, **extra: Any) -> dict[str, Any]:
    row = {
        "household_id": hh, "relationship": rel, "sex": sex, "date_of_birth": dob,
        "name_key": "x", "name_skeleton": "x", "name_km_key": "x", "disability": False,
        "pregnant": False, "employment_type": "none", "status": "active", **AUDIT,
    }
    row.update(extra)
    return row


def _seed(engine: Engine) -> None:
    rules_result.create(engine, checkfirst=True)
    rules_run.create(engine, checkfirst=True)
    geo = {"village_code": "12010101", "commune_code": "120101", "district_code": "1201",
           "province_code": "12"}
    rural = {"village_code": "01020101", "commune_code": "010201", "district_code": "0102",
             "province_code": "01"}
    with engine.begin() as conn:
        conn.execute(insert(household), [
            {"id": 1, **geo, "idpoor_level": 1, "idpoor_valid_to": None, "status": "active",
             **AUDIT},
            {"id": 2, **rural, "idpoor_level": 2, "idpoor_valid_to": date(2020, 12, 31),
             "status": "active", **AUDIT},
            {"id": 3, **rural, "idpoor_level": 2, "idpoor_valid_to": None, "status": "active",
             **AUDIT},
            {"id": 4, **rural, "idpoor_level": 1, "idpoor_valid_to": None, "status": "moved",
             **AUDIT},
        ])
        conn.execute(insert(person), [
            _person(1, "head", "F", date(1980, 5, 5)),
            _person(1, "child", "M", date(2018, 2, 2)),
            _person(1, "parent", "F", date(1950, 1, 1), disability=True),
            _person(2, "head", "M", date(1970, 1, 1)),
            _person(3, "head", "F", date(1990, 1, 1)),
            _person(3, "child", "F", date(2020, 12, 1)),
            _person(3, "spouse", "M", date(1988, 1, 1), status="deceased"),
            _person(4, "head", "F", date(1960, 1, 1)),
        ])


def test_load_evaluate_write_is_bulk_and_every_run_is_kept(engine_kind: str, db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        _seed(engine)
        with engine.connect() as conn:
            loaded = load_population(conn, "2021-03")
        pop = loaded.population
        parallel = load_population_parallel(engine, "2021-03", workers=3).population
        assert sorted(parallel.person_ids.tolist()) == sorted(pop.person_ids.tolist())
        assert parallel.household_ids.tolist() == pop.household_ids.tolist()
        assert pop.household_ids.tolist() == [1, 2, 3]
        assert len(pop.person_ids) == 6  # the deceased and the moved household are left out
        # household 2's card expired in 2020
        assert pop.household["idpoor_level"].tolist() == [1, 0, 2]
        results = evaluate(pop, "2021-03", ["covid19_cash_transfer", "family_package_base"])
        covid = results["covid19_cash_transfer"].amount.tolist()
        # 1: Phnom Penh level 1, 3 members, 2 vulnerable; 3: rural level 2, 2 members, 1 vulnerable
        assert covid == [120_000 + 3 * 52_000 + 2 * 40_000, 0, 80_000 + 2 * 16_000 + 16_000]
        run_ids = []
        for _ in range(2):
            run_id, rows = write_run(engine, "2021-03", pop, results)
            assert rows == 2
            run_ids.append(run_id)
        with engine.connect() as conn:
            stored = read_results(conn, "2021-03")
            first = run_results(conn, run_ids[0])
            runs = conn.execute(select(func.count()).select_from(rules_run)).scalar_one()
        assert [(r["programme"], r["entity_id"], r["amount"], r["run_id"]) for r in stored] == [
            ("covid19_cash_transfer", 1, 356_000, run_ids[1]),
            ("covid19_cash_transfer", 3, 128_000, run_ids[1]),
        ]
        assert [(r["household_id"], r["amount"]) for r in first] == [(1, 356_000), (3, 128_000)]
        assert runs == 2
    finally:
        engine.dispose()


def test_cli_evaluate_and_simulate(
    engine_kind: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spmis.rules.cli import app as rules_app
    from spmis.rules.cli import simulate_app

    app = typer.Typer()
    app.add_typer(rules_app, name="rules")
    app.registered_commands.extend(simulate_app.registered_commands)
    engine = make_engine(settings.database_url)
    try:
        _seed(engine)
        monkeypatch.setattr("spmis.config.get_settings", lambda: settings)
        runner = CliRunner()
        res = runner.invoke(app, ["rules", "evaluate", "--period", "2026-11"])
        assert res.exit_code == 0, res.output
        assert "family_package_base" in res.output
        with engine.connect() as conn:
            stored = read_results(conn, "2026-11", ["family_package_base"])
        assert [(r["entity_id"], r["amount"]) for r in stored] == [(1, 28_000), (3, 28_000)]

        runs = runner.invoke(app, ["rules", "runs", "--period", "2026-11"])
        assert runs.exit_code == 0 and "│ all " in runs.output, runs.output
        shown = runner.invoke(app, ["rules", "results", "1", "--programme", "family_package_base"])
        assert shown.exit_code == 0 and "28,000" in shown.output, shown.output
        missing = runner.invoke(app, ["rules", "results", "99"])
        assert missing.exit_code == 2 and "run 99 not found" in missing.output

        bad = runner.invoke(app, ["rules", "evaluate", "--period", "2026-13"])
        assert bad.exit_code != 0 and "YYYY-MM" in bad.output
        before = runner.invoke(app, ["rules", "evaluate", "--period", "2008-10"])
        assert before.exit_code == 2 and "2008-11 to 2999-12" in before.output, before.output

        reform = tmp_path / "reform.yaml"
        reform.write_text(
            "name: base 50000\nchanges:\n"
            "  social_assistance.family_package.base_payment:\n"
            "    - {start: 2026-01-01, value: 50000}\n",
            encoding="utf-8",
        )
        out = tmp_path / "sim.csv"
        res = runner.invoke(app, [
            "simulate", "--reform", str(reform), "--period", "2026-11",
            "--programme", "family_package_base", "--csv", str(out),
        ])
        assert res.exit_code == 0, res.output
        # issue 13, item 22: the table fits 80 columns, nothing cut, households and people apart
        lines = res.output.splitlines()
        assert max(len(line) for line in lines) <= 80 and "…" not in res.output, res.output
        assert "Family Package - base payment (family_package_base), KHR" in lines
        rows = {line[:32].strip(): line[32:].split() for line in lines if line.startswith("  ")}
        assert rows["households paid"] == ["2", "2", "0"]
        assert rows["cost, KHR"] == ["56,000", "100,000", "+44,000"]
        assert rows["women in households paid"] == ["4", "4", "0"]  # people, said so
        assert rows["men in households paid"] == ["1", "1", "0"]
        frame = pl.read_csv(out, schema_overrides={"key": pl.Utf8})
        total = frame.filter(pl.col("dimension") == "total").row(0, named=True)
        assert (total["baseline_cost"], total["reform_cost"]) == (56_000, 100_000)
        assert total["baseline_beneficiaries"] == 2
        by_province = {
            r["key"]: r["reform_cost"]
            for r in frame.filter(pl.col("dimension") == "province").iter_rows(named=True)
        }
        assert by_province == {"01": 50_000, "12": 50_000}
        by_sex = frame.filter(pl.col("dimension") == "sex")
        assert set(by_sex["key"]) == {"F", "M"} and set(by_sex["unit"]) == {"people"}
        assert set(frame.filter(pl.col("dimension") != "sex")["unit"]) == {"households"}
        assert by_sex["reform_cost"].sum() == 100_000
    finally:
        engine.dispose()
