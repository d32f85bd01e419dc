"""The bulk file formats of the registry (households.csv / .xlsx and enterprises.csv / .xlsx):
column names, which are required, and reading a file in bounded chunks of text columns.

Documented for operators in docs/import-format.md; ``spmis synth`` writes, ``spmis import``
reads and ``spmis export`` writes these same columns. Reading removes the quote that
``spmis.formula_guard`` puts before a cell a spreadsheet would run (``'=1+1`` -> ``=1+1``).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

import polars as pl

from spmis.formula_guard import unguard_expr

HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "household_key", "village_code", "address_detail", "idpoor_level", "idpoor_card_number",
    "idpoor_valid_from", "idpoor_valid_to", "person_key", "relationship", "family_name_km",
    "given_name_km", "family_name_latin", "given_name_latin", "sex", "date_of_birth",
    "dob_estimated", "disability", "functional_difficulties", "pregnant",
    "expected_delivery_date", "occupation", "employment_type", "enterprise_key", "national_id",
    "phone", "nssf_member", "birth_certificate",
)
#: columns a households file must have (the others may be left out)
HOUSEHOLD_REQUIRED: tuple[str, ...] = (
    "household_key", "village_code", "person_key", "relationship", "sex", "date_of_birth",
)
ENTERPRISE_COLUMNS: tuple[str, ...] = (
    "enterprise_key", "name_latin", "name_km", "nssf_employer_number",
    "moc_registration_number", "tax_id", "village_code", "sector", "size_workers",
)
ENTERPRISE_REQUIRED: tuple[str, ...] = ("enterprise_key", "name_latin", "village_code")

#: columns added to each row of a reject file
ROW_COLUMN = "source_row"
ERROR_COLUMNS: tuple[str, ...] = ("error_field", "error_reason")
SUPPORTED_SUFFIXES = (".csv", ".xlsx")


class FileFormatError(ValueError):
    """The file cannot be read as an import file at all (the whole file is refused)."""


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileFormatError(
            f"{path.name}: unknown file type '{path.suffix}'; use .csv or .xlsx"
        )
    return suffix


def read_header(path: Path) -> list[str]:
    """Column names of the file's first row (stripped)."""
    suffix = check_suffix(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    first: Sequence[object] | None
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                first = next(csv.reader(fh), None)
        else:
            first = next(_xlsx_rows(path), None)
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{path.name}: is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'"
        ) from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # a broken spreadsheet
        raise FileFormatError(f"{path.name}: cannot be read: {exc}") from None
    if not first:
        raise FileFormatError(f"{path.name}: the file is empty (no header row)")
    return [str(c or "").strip() for c in first]


def check_columns(header: Sequence[str], required: Sequence[str], known: Sequence[str],
                  name: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise FileFormatError(
            f"{name}: missing required column(s): {', '.join(missing)}"
        )
    dupes = sorted({c for c in header if header.count(c) > 1 and c})
    if dupes:
        raise FileFormatError(f"{name}: column(s) given twice: {', '.join(dupes)}")


def read_chunks(path: Path, columns: Sequence[str], chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The file as DataFrames of about ``chunk_rows`` rows: every column in ``columns`` as text
    (missing ones all null, unknown ones dropped), cells stripped, empty cells null, plus
    ``source_row`` (the row number in the file, the header being row 1); the formula guard's
    quote is removed (``spmis.formula_guard.unguard``). Memory is bounded by
    the chunk size, not the file size."""
    suffix = check_suffix(path)
    header = read_header(path)
    if suffix == ".csv":
        frames = _csv_chunks(path, header, chunk_rows)
    else:
        frames = _xlsx_chunks(path, header, chunk_rows)
    try:
        for frame in frames:
            yield _normalise_frame(frame, columns)
    except pl.exceptions.PolarsError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileFormatError(f"{path.name}: cannot be read as CSV: {first_line}") from None


def _normalise_frame(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    present = set(frame.columns)
    exprs = [pl.col(ROW_COLUMN).cast(pl.Int64)]
    for c in columns:
        if c in present:
            text = pl.col(c).cast(pl.String).str.strip_chars()
            exprs.append(pl.when(text == "").then(None).otherwise(unguard_expr(text)).alias(c))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(c))
    return frame.select(exprs)


def _csv_chunks(path: Path, header: list[str], chunk_rows: int) -> Iterator[pl.DataFrame]:
    # the header as read by ``read_header`` (byte-order mark and spaces removed)
    names = [h or f"_unnamed_{i}" for i, h in enumerate(header)]
    lazy = pl.scan_csv(
        path, infer_schema=False, row_index_name=ROW_COLUMN, row_index_offset=2,
        encoding="utf8", truncate_ragged_lines=True, new_columns=names,
    )
    yield from lazy.collect_batches(chunk_size=chunk_rows)


def _cell_text(value: object) -> str | None:
    """A spreadsheet cell as the text the CSV format would hold."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else (
            value.isoformat())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[object, ...]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        yield from ws.iter_rows(values_only=True)
    finally:
        wb.close()


def _xlsx_chunks(path: Path, header: list[str], chunk_rows: int) -> Iterator[pl.DataFrame]:
    rows = _xlsx_rows(path)
    next(rows, None)
    width = len(header)
    names = [h or f"_unnamed_{i}" for i, h in enumerate(header)]
    batch: list[list[str | None]] = []
    row_no = 1
    for raw in rows:
        row_no += 1
        cells = [_cell_text(v) for v in raw[:width]]
        if all(c is None or c.strip() == "" for c in cells):
            continue  # spreadsheets often carry empty formatted rows
        cells += [None] * (width - len(cells))
        batch.append([str(row_no), *cells])
        if len(batch) >= chunk_rows:
            yield _frame(batch, names)
            batch = []
    if batch:
        yield _frame(batch, names)


def _frame(batch: list[list[str | None]], names: list[str]) -> pl.DataFrame:
    cols = list(zip(*batch, strict=True))
    data = {ROW_COLUMN: pl.Series(cols[0], dtype=pl.String).cast(pl.Int64)}
    for i, name in enumerate(names):
        data[name] = pl.Series(cols[i + 1], dtype=pl.String)
    return pl.DataFrame(data)
