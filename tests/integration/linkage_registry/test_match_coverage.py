"""``spmis link match`` and ``spmis link coverage-gap`` against a real registry (SQLite and
PostgreSQL): matched / ambiguous / unmatched rows with probability and reason, household level,
identifiers compared by keyed hash, and every kind of bad input ending with exit status 2."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.linkage import registry_cli
from spmis.linkage.coverage import coverage_gap
from spmis.linkage.match import match_list, parse_mapping
from spmis.registry.model import IdentifierType

from .helpers import OTHER_VILLAGE, add_household, member

NAMES = ["--column", "family_name=surname", "--column", "given_name=first",
         "--column", "date_of_birth=dob", "--column", "sex=sex"]


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def people(ctx: AppContext) -> dict[str, Any]:
    [dara, son] = add_household(
        ctx, member(employment_type="informal", identifiers={"national_id": "100200300"}),
        member("child", given_name_latin="Vannak", sex="M", date_of_birth="2001-06-01",
               employment_type="formal", identifiers={"nssf_member": "NSSF-0001"}))
    [twin1] = add_household(ctx, member(given_name_latin="Sophea", date_of_birth="1975-03-03",
                                        employment_type="self_employed"), village=OTHER_VILLAGE)
    [twin2] = add_household(ctx, member(given_name_latin="Sophea", date_of_birth="1975-03-03",
                                        employment_type="self_employed"), village=OTHER_VILLAGE)
    [other] = add_household(ctx, member(family_name_latin="Chea", given_name_latin="Srey",
                                        date_of_birth="1960-09-09", employment_type="none"))
    return {"dara": dara, "son": son, "twin1": twin1, "twin2": twin2, "other": other}


def test_match_list_rows_summary_and_reasons(ctx: AppContext, people: dict[str, Any],
                                             tmp_path: Path) -> None:
    src = _csv(tmp_path / "list.csv", (
        "ref,surname,first,dob,sex,nid\n"
        "A1,Sokh,Dara,12/04/1988,F,100200300\n"   # transliteration + other date format + ID
        "A2,Sok,Sophea,1975-03-03,F,\n"           # two registry people fit: ambiguous
        "A3,Meas,Bopha,1999-12-31,F,\n"))          # nobody
    mapping = parse_mapping("ref", ["family_name=surname", "given_name=first",
                                    "date_of_birth=dob", "sex=sex", "id_number=nid"])
    out = tmp_path / "out.csv"
    summary = match_list(ctx, src, mapping, SYSTEM, out, id_type=IdentifierType.NATIONAL_ID)
    assert (summary.rows, summary.matched, summary.ambiguous, summary.unmatched) == (3, 1, 1, 1)
    rows = {r["ref"]: r for r in _read(out)}
    assert list(rows) == ["A1", "A2", "A3"]  # input order kept
    assert rows["A1"]["status"] == "matched"
    assert int(rows["A1"]["person_id"]) == people["dara"]
    assert rows["A1"]["household_id"] == rows["A1"]["household_id"].strip() != ""
    assert float(rows["A1"]["match_probability"]) >= 0.9
    assert "id_number=same" in rows["A1"]["reason"] and "name=same" in rows["A1"]["reason"]
    assert rows["A2"]["status"] == "ambiguous" and rows["A2"]["candidates"] == "2"
    assert rows["A3"]["status"] == "unmatched" and rows["A3"]["person_id"] == ""
    assert "100200300" not in out.read_text().replace("A1,", "")  # no identifier echoed


def test_match_at_household_level(ctx: AppContext, people: dict[str, Any],
                                  tmp_path: Path) -> None:
    src = _csv(tmp_path / "list.csv", "surname,first,dob,sex\nSok,Vannak,2001-06-01,M\n")
    out = tmp_path / "out.csv"
    mapping = parse_mapping(None, ["family_name=surname", "given_name=first",
                                   "date_of_birth=dob", "sex=sex"])
    summary = match_list(ctx, src, mapping, SYSTEM, out, level="household")
    [row] = _read(out)
    assert summary.matched == 1 and row["row"] == "1" and row["household_id"]
    assert "person_id" not in row


def test_coverage_gap_counts_workers_who_are_not_members(ctx: AppContext,
                                                         people: dict[str, Any],
                                                         tmp_path: Path) -> None:
    members = _csv(tmp_path / "members.csv",
                   "member_no,surname,first,dob,sex\nNSSF-0001,Sok,Vannak,,M\n")
    mapping = parse_mapping("member_no", ["id_number=member_no", "family_name=surname",
                                          "given_name=first", "sex=sex"])
    out = tmp_path / "gap.csv"
    gap = coverage_gap(ctx, members, mapping, SYSTEM, out)
    assert (gap.member_rows, gap.members_matched, gap.workers, gap.not_members) == (1, 1, 4, 3)
    table = {(r["province_code"], r["sex"], r["employment_type"]): r for r in _read(out)}
    assert table[("12", "M", "formal")]["not_members"] == "0"
    assert table[("12", "M", "formal")]["fund_members"] == "1"
    assert table[("12", "F", "informal")]["not_members"] == "1"
    assert table[("01", "F", "self_employed")]["not_members"] == "2"
    assert table[("01", "F", "self_employed")]["province_en"]
    assert all(r["employment_type"] != "none" for r in table.values())


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_cli_match_coverage_and_bad_input(ctx: AppContext, people: dict[str, Any],
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spmis.cli import app

    monkeypatch.setattr(registry_cli, "_ctx", lambda: ctx)
    runner = CliRunner()
    good = _csv(tmp_path / "l.csv", "surname,first,dob,sex\nSokh,Dara,1988-04-12,F\n")
    out = tmp_path / "o.csv"
    r = runner.invoke(app, ["link", "match", str(good), *NAMES, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "matched" in r.output and _read(out)[0]["status"] == "matched"
    r = runner.invoke(app, ["link", "coverage-gap", "--members", str(good), *NAMES,
                            "--out", str(tmp_path / "g.csv")])
    assert r.exit_code == 0, r.output
    assert "not members" in r.output and (tmp_path / "g.csv").exists()

    def bad(*args: str) -> str:
        res = runner.invoke(app, ["link", "match", *args, "--out", str(out)])
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output
        return " ".join(res.output.split())  # rich wraps long lines

    assert "surname" in bad(str(_csv(tmp_path / "m.csv", "name,dob\nX,1990\n")), *NAMES)
    assert "empty" in bad(str(_csv(tmp_path / "e.csv", "")), *NAMES)
    assert "no data rows" in bad(str(_csv(tmp_path / "h.csv", "surname,first,dob,sex\n")),
                                 *NAMES)
    assert "unknown role" in bad(str(good), "--column", "nickname=first")
    assert "cannot be compared" in bad(str(good), *NAMES, "--column", "address=first")
    assert "does not exist" in bad(str(tmp_path / "nope.csv"), *NAMES)
    assert "--id-type" in bad(str(good), *NAMES, "--id-type", "passport")
    assert "level" in bad(str(good), *NAMES, "--level", "village")
