"""The column-wise import rules agree with the model's one-record rules, row for row."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl

from spmis.registry.fileformat import HOUSEHOLD_COLUMNS, ROW_COLUMN
from spmis.registry.import_rules import (
    ERRORS,
    SEP,
    validate_household_rows,
    validate_households_together,
)
from spmis.registry.model import PersonFacts, validate_idpoor, validate_person

TODAY = date(2026, 11, 22)
VILLAGES = pl.Series(["12010101", "01020101"])


def _random_rows(n: int) -> list[dict[str, str | None]]:
    rnd = random.Random(3)

    def pick(*options: str | None) -> str | None:
        return rnd.choice(options)

    rows = []
    for i in range(n):
        dob = TODAY - timedelta(days=rnd.randint(-400, 125 * 366))
        edd = TODAY + timedelta(days=rnd.randint(-30, 330))
        vfrom = TODAY - timedelta(days=rnd.randint(0, 900))
        rows.append({
            "household_key": f"H{i}", "village_code": "12010101", "person_key": f"P{i}",
            "relationship": "head",
            "family_name_latin": pick("Sok", None, "S0k", "Chan Dara", "O'Neil"),
            "given_name_latin": pick("Dara", None, "D@ra"),
            "family_name_km": pick("សុខ", None, "Sok", "សុខ១"),
            "given_name_km": pick("តារា", None),
            "sex": pick("F", "M", "X"),
            "date_of_birth": dob.isoformat(),
            "disability": pick("true", "false"),
            "functional_difficulties": pick(None, "seeing", "seeing;walking", "flying"),
            "pregnant": pick("false", "false", "true"),
            "expected_delivery_date": pick(None, edd.isoformat()),
            "employment_type": pick("formal", "none", "informal", "self_employed", "retired"),
            "idpoor_level": pick(None, "1", "2", "3"),
            "idpoor_card_number": pick(None, "KH-123"),
            "idpoor_valid_from": pick(None, vfrom.isoformat()),
            "idpoor_valid_to": pick(None, (vfrom + timedelta(days=rnd.randint(-100, 900)))
                                    .isoformat()),
        })
    return rows


def _frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    data = {c: pl.Series([r.get(c) for r in rows], dtype=pl.String) for c in HOUSEHOLD_COLUMNS}
    return pl.DataFrame({ROW_COLUMN: list(range(2, len(rows) + 2)), **data})


def _model_fields(r: dict[str, str | None]) -> set[str]:
    def d(v: str | None) -> date | None:
        return date.fromisoformat(v) if v else None

    facts = PersonFacts.from_mapping({
        **r, "date_of_birth": d(r["date_of_birth"]), "disability": r["disability"] == "true",
        "pregnant": r["pregnant"] == "true", "expected_delivery_date": d(
            r["expected_delivery_date"]),
        "functional_difficulties": (r["functional_difficulties"] or "").split(";")
        if r["functional_difficulties"] else [],
    })
    errors = validate_person(facts, TODAY)
    level = r["idpoor_level"]
    errors += validate_idpoor(int(level) if level else None, r["idpoor_card_number"],
                              d(r["idpoor_valid_from"]), d(r["idpoor_valid_to"]))
    return {str(e.loc[0]) for e in errors}


def test_row_rules_agree_with_model() -> None:
    rows = _random_rows(3000)
    frame = validate_household_rows(_frame(rows), TODAY, VILLAGES, "")
    got = [{e.split(SEP)[0] for e in errs} for errs in frame[ERRORS].to_list()]
    want = [_model_fields(r) for r in rows]
    mismatches = [(r, g, w) for r, g, w in zip(rows, got, want, strict=True) if g != w]
    assert not mismatches[:5]
    assert sum(1 for w in want if not w) > 10  # the sample has good rows too


def _household(*rels: str, key: str = "H1", village: str = "12010101") -> list[dict[str, str]]:
    return [{"household_key": key, "village_code": village, "person_key": f"{key}-{i}",
             "relationship": rel, "family_name_latin": "Sok", "given_name_latin": "Dara",
             "sex": "F", "date_of_birth": "1990-01-01"} for i, rel in enumerate(rels)]


def _fields(rows: list[dict[str, str]]) -> list[set[str]]:
    frame = validate_household_rows(_frame(rows), TODAY, VILLAGES, "")  # type: ignore[arg-type]
    frame = validate_households_together(frame)
    return [{e.split(SEP)[0] for e in errs} for errs in frame[ERRORS].to_list()]


def test_household_rules() -> None:
    assert _fields(_household("head", "spouse")) == [set(), set()]
    assert _fields(_household("head", "head")) == [set(), {"relationship"}]
    assert _fields(_household("spouse", "child")) == [{"relationship"}, {"relationship"}]
    mixed = _household("head", "child")
    mixed[1]["village_code"] = "01020101"
    assert _fields(mixed) == [set(), {"village_code"}]
    split = _household("head", key="A") + _household("head", key="B") + _household(
        "child", key="A")
    split[2]["person_key"] = "A-2"
    assert _fields(split)[0] == {"household_key"} and _fields(split)[2] >= {"household_key"}
    unknown = _household("head", village="99999999")
    assert _fields(unknown) == [{"village_code"}]
