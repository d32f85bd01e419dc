"""A declaration file (CSV or XLSX) read with the registry import's file-format machinery
(``spmis.registry.fileformat``: size and zip-bomb limits, streaming, formula-guard quotes
removed) and answered like the registry import: the rows that are right become the month's
draft, each wrong row comes back with its row number, the field and the reason, as a list and as
a reject CSV (formula-guarded) with the registry's reject columns.

Columns: ``person_id`` (the registry person), ``wage`` (riel, or dollars with cents) and
``currency`` (KHR when empty)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from spmis.errors import FieldError, InvalidInput
from spmis.formula_guard import write_csv
from spmis.fund.declarations import RawLine
from spmis.registry import fileformat as ff

__all__ = ["COLUMNS", "REQUIRED", "ReadFile", "read", "reject_csv", "reject_report"]

#: the columns of a declaration file, and those it must have
COLUMNS = ("person_id", "wage", "currency")
REQUIRED = ("person_id", "wage")
#: rows one upload may hold (an enterprise's month)
MAX_ROWS = 100_000


@dataclass
class ReadFile:
    lines: list[RawLine] = field(default_factory=list)
    values: dict[int, tuple[str | None, ...]] = field(default_factory=dict)
    rejects: list[tuple[int, FieldError]] = field(default_factory=list)


def _file_error(exc: ff.FileFormatError) -> InvalidInput:
    return InvalidInput.one(("file",), "bad_file", str(exc), exc.msg_km or str(exc))


def read(path: Path, limits: ff.SheetLimits) -> ReadFile:
    """The file's rows as lines, and the rows refused already (a person id that is not a
    number, a missing wage); a file that cannot be read at all is refused whole."""
    out = ReadFile()
    try:
        ff.check_suffix(path)
        if path.suffix.lower() == ".xlsx":
            ff.check_xlsx_archive(path, limits)
        ff.check_columns(ff.read_header(path, limits), REQUIRED, COLUMNS, path.name)
        for chunk in ff.read_chunks(path, COLUMNS, 10_000, limits):
            for row, person, wage, currency in chunk.select(
                    ff.ROW_COLUMN, *COLUMNS).iter_rows():
                out.values[row] = (person, wage, currency)
                if len(out.values) > MAX_ROWS:
                    raise ff.FileFormatError(
                        f"{path.name}: more than {MAX_ROWS:,} rows; split the file",
                        f"{path.name}៖ លើសពី {MAX_ROWS:,} ជួរ សូមបំបែកឯកសារ")
                if person is None or not person.isdigit() or not 0 < int(person) < 2**62:
                    out.rejects.append((row, FieldError(
                        ("person_id",), "not_a_number", "person_id: the registry person's id "
                        "(a number) is needed", "person_id៖ ត្រូវការលេខសម្គាល់បុគ្គល")))
                    continue
                if wage is None:
                    out.rejects.append((row, FieldError(
                        ("wage",), "missing", "wage: missing", "wage៖ មិនមាន")))
                    continue
                out.lines.append(RawLine(row, int(person), wage, (currency or "KHR").upper()))
    except ff.FileFormatError as exc:
        raise _file_error(exc) from None
    return out


def reject_report(read_file: ReadFile, rejects: list[tuple[int, FieldError]]) -> list[
        dict[str, Any]]:
    """The refused rows, in file order: row number, the cells and the first error."""
    out = []
    for row, err in sorted(rejects, key=lambda x: x[0]):
        person, wage, currency = read_file.values.get(row, (None, None, None))
        out.append({ff.ROW_COLUMN: row, "person_id": person, "wage": wage,
                    "currency": currency, "error_field": err.field, "error_reason": err.msg,
                    "error_reason_km": err.msg_km})
    return out


def reject_csv(report: list[dict[str, Any]]) -> bytes:
    """The reject report as the registry import writes it (formula-guarded CSV)."""
    columns = (ff.ROW_COLUMN, *COLUMNS, *ff.ERROR_COLUMNS)
    frame = pl.DataFrame([{c: r[c] for c in columns} for r in report],
                         schema=dict.fromkeys(columns, pl.String) | {ff.ROW_COLUMN: pl.Int64},
                         orient="row")
    buf = io.BytesIO()
    write_csv(frame, buf)
    return buf.getvalue()


