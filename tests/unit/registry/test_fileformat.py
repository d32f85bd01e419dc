"""Reading import files: header checks, byte-order mark, column order, chunks, spreadsheets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from spmis.registry.fileformat import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_REQUIRED,
    FileFormatError,
    check_columns,
    read_chunks,
    read_header,
)


def test_bom_spaces_and_column_order(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(
        "\ufeffperson_key, household_key ,village_code,extra\nP1,H1,01020101,x\n"
        "P2, H1 ,,y\n".encode())
    assert read_header(path) == ["person_key", "household_key", "village_code", "extra"]
    frame = pl.concat(list(read_chunks(path, HOUSEHOLD_COLUMNS, 100)))
    assert frame.columns == ["source_row", *HOUSEHOLD_COLUMNS]
    assert frame["household_key"].to_list() == ["H1", "H1"]
    assert frame["village_code"].to_list() == ["01020101", None]  # leading zero kept
    assert frame["source_row"].to_list() == [2, 3]
    assert frame["sex"].null_count() == 2  # a column not in the file is all empty


def test_chunks_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("household_key,person_key\n" + "".join(
        f"H{i},P{i}\n" for i in range(1000)))
    sizes = [f.height for f in read_chunks(path, HOUSEHOLD_COLUMNS, 100)]
    assert sum(sizes) == 1000 and max(sizes) <= 200


def test_refused_files(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="unknown file type"):
        read_header(tmp_path / "a.json")
    with pytest.raises(FileFormatError, match="no such file"):
        read_header(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(FileFormatError, match="empty"):
        read_header(empty)
    with pytest.raises(FileFormatError, match="sex, date_of_birth"):
        check_columns(["household_key", "village_code", "person_key", "relationship"],
                      HOUSEHOLD_REQUIRED, HOUSEHOLD_COLUMNS, "h.csv")
    with pytest.raises(FileFormatError, match="given twice: sex"):
        check_columns([*HOUSEHOLD_REQUIRED, "sex"], HOUSEHOLD_REQUIRED, HOUSEHOLD_COLUMNS, "h.csv")


def test_xlsx_cells_become_text(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["household_key", "village_code", "person_key", "date_of_birth", "pregnant"])
    ws.append(["H1", "01020101", "P1", datetime(1990, 5, 17), False])
    ws.append([None, None, None, None, None])
    ws.append([7, 1020101, 12.0, "1990-05-18", True])
    path = tmp_path / "h.xlsx"
    wb.save(path)
    frame = pl.concat(list(read_chunks(path, HOUSEHOLD_COLUMNS, 100)))
    assert frame["date_of_birth"].to_list() == ["1990-05-17", "1990-05-18"]
    assert frame["pregnant"].to_list() == ["false", "true"]
    assert frame["household_key"].to_list() == ["H1", "7"]
    assert frame["person_key"].to_list() == ["P1", "12"]
    assert frame["source_row"].to_list() == [2, 4]


def test_unreadable_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(b"household_key,person_key\nH1,P\xe9\n")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_header(latin1)
    broken = tmp_path / "broken.csv"
    broken.write_text('household_key,village_code\nH1,"12010101\n')
    with pytest.raises(FileFormatError, match="cannot be read as CSV"):
        list(read_chunks(broken, HOUSEHOLD_COLUMNS, 100))
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a spreadsheet")
    with pytest.raises(FileFormatError, match="cannot be read"):
        read_header(fake)
