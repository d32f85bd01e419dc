"""``spmis link dedupe`` end to end on generated lists with known duplicates, and every kind of
bad input ending with a named field, a reason and exit status 2 (no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from spmis.cli import app
from spmis.linkage.evaluate import pairwise_scores
from spmis.linkage.saved_model import port_model
from spmis.linkage.synthetic import generate

runner = CliRunner()
ROLES = ["-c", "family_name=family", "-c", "given_name=given", "-c", "date_of_birth=dob",
         "-c", "sex=sex", "-c", "village_code=village", "-c", "phone=phone",
         "-c", "id_number=nid"]


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    people, truth = generate(6000, seed=7)
    folder = tmp_path_factory.mktemp("people")
    people.rename({"record_id": "ID", "family_name": "family", "given_name": "given",
                   "date_of_birth": "dob", "village_code": "village", "id_number": "nid"}
                  ).write_csv(folder / "people.csv")
    truth.write_csv(folder / "truth.csv")
    return folder / "people.csv", folder / "truth.csv"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["link", "dedupe", *args])
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    if result.exit_code not in (0, 2):
        raise AssertionError(f"exit {result.exit_code}: {text}") from result.exception
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), text
    return result.exit_code, " ".join(text.split())


def test_dedupe_finds_the_known_duplicates(people: tuple[Path, Path], tmp_path: Path) -> None:
    people_csv, truth_csv = people
    out = tmp_path / "clusters.csv"
    code, text = run(str(people_csv), "--id-column", "ID", *ROLES, "--out", str(out))
    assert code == 0, text
    clusters = pl.read_csv(out, infer_schema=False)
    assert clusters.columns == ["record_id", "cluster_id"]
    assert clusters.height == 6000
    assert clusters["record_id"].n_unique() == 6000
    con = duckdb.connect()
    con.execute(f"create table c as select * from read_csv('{out}', all_varchar=true)")
    con.execute(f"create table t as select * from read_csv('{truth_csv}', all_varchar=true)")
    scores = pairwise_scores(con, "c", "t")
    assert scores.precision >= 0.97, scores
    assert scores.recall >= 0.93, scores
    model = json.loads((tmp_path / "clusters.model.json").read_text(encoding="utf-8"))
    assert [c["output_column_name"] for c in model["comparisons"]] == [
        "name", "date_of_birth", "sex", "village_phone", "id_number"]

    # the saved model repeats the run exactly, without training
    again = tmp_path / "again.csv"
    code, text = run(str(people_csv), "--id-column", "ID", *ROLES, "--out", str(again),
                     "--model", str(tmp_path / "clusters.model.json"))
    assert code == 0, text
    assert "training skipped" in text
    assert again.read_text() == out.read_text()

    # the same model in Spark's dialect (as a registry on Spark would save it) runs here too
    roles = {"family_name", "given_name", "date_of_birth", "sex", "village_code", "phone",
             "id_number"}
    spark_model = tmp_path / "spark.model.json"
    spark_model.write_text(json.dumps(port_model(model, roles, "spark")), encoding="utf-8")
    from_spark = tmp_path / "from_spark.csv"
    code, text = run(str(people_csv), "--id-column", "ID", *ROLES, "--out", str(from_spark),
                     "--model", str(spark_model))
    assert code == 0, text
    assert from_spark.read_text() == out.read_text()

    # the SQL in a model file is never run: only its numbers are taken
    tampered = json.loads(json.dumps(model))
    tampered["comparisons"][0]["comparison_levels"][1]["sql_condition"] = "1 = 1"
    spark_model.write_text(json.dumps(tampered), encoding="utf-8")
    code, text = run(str(people_csv), "--id-column", "ID", *ROLES, "--out", str(from_spark),
                     "--model", str(spark_model))
    assert code == 0, text
    assert from_spark.read_text() == out.read_text()

    # a Spark model whose levels are not those of this version is refused, not guessed at
    other = port_model(model, roles, "spark")
    other["comparisons"][0]["comparison_levels"][1]["label_for_charts"] = "renamed"
    spark_model.write_text(json.dumps(other), encoding="utf-8")
    code, text = run(str(people_csv), "--id-column", "ID", *ROLES, "--out", str(from_spark),
                     "--model", str(spark_model))
    assert code == 2 and "model" in text and "renamed" in text, text


def test_small_list_without_training(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("no,name,born\n1,Sok Dara,1990-05-03\n2,Sokh Dara,1990-03-05\n"
                   "3,Dara Sok,1990\n4,Keo Virak,1971-01-09\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, text = run(str(src), "--id-column", "no", "-c", "full_name=name",
                     "-c", "date_of_birth=born", "--out", str(out))
    assert code == 0, text
    assert out.read_text().splitlines() == [
        "record_id,cluster_id", "1,1", "2,1", "3,1", "4,4"]


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


GOOD = "ID,given,family,dob\n1,Dara,Sok,1990-05-03\n2,Dara,Sokh,1990-03-05\n"


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        (GOOD, ["-c", "given_name=first"],
         "--column.given_name: column 'first' mapped to role 'given_name' is not in the file"),
        (GOOD, ["-c", "given=given"], "unknown role 'given'"),
        (GOOD, ["-c", "given_name"], "'given_name' is not ROLE=COLUMN"),
        ("", ["-c", "given_name=given"], "is empty"),
        ("ID,given\n", ["-c", "given_name=given"], "has a header but no data rows"),
        ("ID,given\n1,Dara\n1,Sok\n2,Vy\n", ["-c", "given_name=given"],
         "--id-column: id column 'ID' is not unique: 1 id(s) repeat, e.g. '1' (2 rows)"),
        ("ID,given\n1,Dara\n,Sok\n", ["-c", "given_name=given"],
         "1 row(s) have no value in id column 'ID'"),
        ("ID,given,dob\n1,Dara,yesterday\n2,Sok,soon\n3,Vy,1990-01-02\n",
         ["-c", "given_name=given", "-c", "date_of_birth=dob"],
         "--column.date_of_birth: 2 of 3 values in column 'dob' (date_of_birth) cannot be read"),
    ],
)
def test_bad_input_is_named(tmp_path: Path, content: str, args: list[str], words: str) -> None:
    code, text = run(write(tmp_path, content), "--id-column", "ID", *args,
                     "--out", str(tmp_path / "out.csv"))
    assert code == 2
    assert words in text
    assert "Traceback" not in text
    assert not (tmp_path / "out.csv").exists()


def test_missing_file_and_id_column(tmp_path: Path) -> None:
    code, text = run(str(tmp_path / "nope.csv"), "--id-column", "ID", "-c", "given_name=g",
                     "--out", str(tmp_path / "o.csv"))
    assert (code, "does not exist" in text) == (2, True)
    code, text = run(write(tmp_path, GOOD), "--id-column", "KEY", "-c", "given_name=given",
                     "--out", str(tmp_path / "o.csv"))
    assert code == 2
    assert "--id-column: id column 'KEY' is not in the file" in text


def test_some_unreadable_dates_are_counted_and_the_run_goes_on(tmp_path: Path) -> None:
    content = GOOD + "3,Vy,Keo,1990-02-30\n4,Bopha,Chan,1985-07-01\n"
    code, text = run(write(tmp_path, content), "--id-column", "ID", "-c", "given_name=given",
                     "-c", "family_name=family", "-c", "date_of_birth=dob",
                     "--out", str(tmp_path / "out.csv"))
    assert code == 0, text
    assert "1 value(s) in column 'dob' could not be read (e.g. '1990-02-30')" in text
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 5
