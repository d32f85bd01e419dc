"""The formula guard (issue 12, finding 2): every cell a spreadsheet would run gets a quote,
reading removes exactly that quote, plain numbers stay numbers, and no module of SPMIS writes a
spreadsheet file around the guard."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from spmis.formula_guard import (
    TRIGGERS,
    copy_csv,
    guard,
    guard_frame,
    guard_row,
    unguard,
    unguard_expr,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "spmis"
NUMBER = re.compile(r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?")
SAMPLES = ["=1+1", '=HYPERLINK("http://x","y")', "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
           "\t=1", "\r=1", "'=x", "'x", "''", "'", "=", "-", "+", "@", "x", "", "a=b",
           "-5", "+85512345678", "+855 12 345 678", "1.5e3", "-.5", "'-5"]


def runs_in_a_spreadsheet(cell: str) -> bool:
    return bool(cell) and cell[0] in TRIGGERS and not NUMBER.fullmatch(cell)


def test_samples() -> None:
    assert guard("=1+1") == "'=1+1"
    assert guard("'=x") == "''=x"
    assert guard("+85512345678") == "+85512345678"  # E.164 phone: a number, unchanged
    assert guard("-5") == "-5"
    assert guard("+855 12 345 678") == "'+855 12 345 678"
    assert guard(None) is None and unguard(None) is None
    for value in SAMPLES:
        assert unguard(guard(value)) == value
        assert not runs_in_a_spreadsheet(guard(value) or "")


@given(st.text(alphabet=st.sampled_from([*TRIGGERS, "'", "a", "1", ".", "e", " "]),
               max_size=8))
def test_any_text_round_trips_and_never_runs(value: str) -> None:
    guarded = guard(value)
    assert guarded is not None and unguard(guarded) == value
    assert not runs_in_a_spreadsheet(guarded)


def test_polars_and_duckdb_agree_with_python(tmp_path: Path) -> None:
    frame = pl.DataFrame({"text": SAMPLES, "n": list(range(len(SAMPLES)))})
    guarded = guard_frame(frame)
    assert guarded["text"].to_list() == [guard(v) for v in SAMPLES]
    assert guarded["n"].to_list() == frame["n"].to_list()
    back = guarded.select(unguard_expr(pl.col("text")))["text"].to_list()
    assert back == SAMPLES
    assert guard_row(["=1", 5, None]) == ["'=1", 5, None]
    con = duckdb.connect()
    con.register("src", frame.to_arrow())
    out = tmp_path / "out.csv"
    copy_csv(con, "select * from src", out, order_by="__q.n desc")
    read = pl.read_csv(out, infer_schema=False)
    assert read["text"].to_list()[::-1] == [guard(v) for v in SAMPLES]


#: modules allowed to write CSV without the guard, and why
UNGUARDED_WRITERS = {
    "formula_guard.py": "the guard itself",
    "registry/bulk_store.py": "a CSV stream into PostgreSQL's COPY, never a file",
    "rules/store.py": "a CSV stream into PostgreSQL's COPY, never a file",
    "targeting/scoring.py": "a CSV stream into PostgreSQL's COPY, never a file",
    "fund/run.py": "a CSV stream of computed amounts into PostgreSQL's COPY, never a file",
    "rules/area_types.py": "the table shipped in the package, from the gazetteer, no user text",
}
RAW_WRITER = re.compile(r"\.write_csv\(|csv\.writer\(|DictWriter\(|\.write_excel\(|"
                        r"\.sink_csv\(|\.to_csv\(|\bcopy\b.*\bto\b.*\(header")


def test_every_spreadsheet_writer_goes_through_the_guard() -> None:
    """A new CSV/XLSX writer must use ``spmis.formula_guard`` (or be listed above with why)."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in UNGUARDED_WRITERS:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{rel}:{no}: {line.strip()}"
                      for no, line in enumerate(text.splitlines(), 1) if RAW_WRITER.search(line)]
        if "Workbook(" in text and "guard_row" not in text:
            offenders.append(f"{rel}: writes XLSX without guard_row")
    assert not offenders, "\n".join(offenders)
