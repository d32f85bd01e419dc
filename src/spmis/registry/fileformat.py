"""The bulk file formats of the registry (households.csv / .xlsx and enterprises.csv / .xlsx):
column names, which are required, and reading a file in bounded chunks of text columns.

Documented for operators in docs/import-format.md; ``spmis synth`` writes, ``spmis import``
reads and ``spmis export`` writes these same columns. Reading removes the quote that
``spmis.formula_guard`` puts before a cell a spreadsheet would run (``'=1+1`` -> ``=1+1``).

An XLSX file is a zip archive: before openpyxl opens it, its index is checked against
``SheetLimits`` (total unpacked size, compression ratio of each large part), so a
decompression bomb is refused unread; the sheet is then read in streaming mode (openpyxl
``read_only``) with limits on rows, columns and cell length. Each refusal names the file and the
limit (and the setting that raises it).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from spmis.formula_guard import unguard_expr

if TYPE_CHECKING:
    from spmis.config import Settings

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
    """The file cannot be read as an import file at all (the whole file is refused).
    ``msg_km`` is the Khmer text when the message has one."""

    def __init__(self, msg: str, msg_km: str | None = None) -> None:
        super().__init__(msg)
        self.msg_km = msg_km


@dataclass(frozen=True)
class SheetLimits:
    """What an XLSX file may hold (defaults = the settings' defaults, ``spmis.config``)."""

    max_uncompressed_bytes: int = 500 * 1024**2
    max_compression_ratio: int = 100
    max_rows: int = 1_048_576
    max_columns: int = 100
    max_cell_chars: int = 2_000
    #: parts smaller than this unpacked are not judged by their ratio (tiny, very regular XML)
    ratio_floor_bytes: int = 1024**2

    @classmethod
    def from_settings(cls, settings: Settings) -> SheetLimits:
        return cls(settings.xlsx_max_uncompressed_bytes, settings.xlsx_max_compression_ratio,
                   settings.xlsx_max_rows, settings.xlsx_max_columns,
                   settings.xlsx_max_cell_chars)


def _mib(n: float) -> str:
    return f"{n / 1024**2:,.1f} MiB"


def check_xlsx_archive(path: Path, limits: SheetLimits) -> None:
    """Refuse an XLSX file whose parts would unpack to more than the limits allow, from the
    archive's index alone (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise FileFormatError(f"{path.name}: cannot be read: {exc}") from None
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise FileFormatError(
            f"{path.name}: unpacks to {_mib(total)}, more than the limit of "
            f"{_mib(limits.max_uncompressed_bytes)} (SPMIS_XLSX_MAX_UNCOMPRESSED_BYTES); "
            "split the file",
            f"{path.name}៖ ឯកសារពន្លាបានទំហំ {_mib(total)} លើសកម្រិត "
            f"{_mib(limits.max_uncompressed_bytes)} សូមបំបែកឯកសារ")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= limits.ratio_floor_bytes and ratio > limits.max_compression_ratio:
            raise FileFormatError(
                f"{path.name}: part {info.filename} is compressed {ratio:,.0f} times, more than "
                f"the limit of {limits.max_compression_ratio} "
                "(SPMIS_XLSX_MAX_COMPRESSION_RATIO): not a spreadsheet SPMIS reads",
                f"{path.name}៖ ផ្នែក {info.filename} ត្រូវបានបង្ហាប់ {ratio:,.0f} ដង លើសកម្រិត "
                f"{limits.max_compression_ratio}")


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileFormatError(
            f"{path.name}: unknown file type '{path.suffix}'; use .csv or .xlsx"
        )
    return suffix


def read_header(path: Path, limits: SheetLimits | None = None) -> list[str]:
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
            first = next(_xlsx_rows(path, limits or SheetLimits()), None)
    except UnicodeDecodeError as exc:
        raise FileFormatError(
            f"{path.name}: is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'"
        ) from None
    except FileFormatError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # a broken spreadsheet
        raise FileFormatError(f"{path.name}: cannot be read: {exc}") from None
    if not first:
        raise FileFormatError(f"{path.name}: the file is empty (no header row)",
                              f"{path.name}៖ ឯកសារទទេ (គ្មានជួរដេកឈ្មោះជួរឈរ)")
    return [str(c or "").strip() for c in first]


def check_columns(header: Sequence[str], required: Sequence[str], known: Sequence[str],
                  name: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise FileFormatError(
            f"{name}: missing required column(s): {', '.join(missing)}",
            f"{name}៖ ខ្វះជួរឈរដែលត្រូវមាន៖ {', '.join(missing)}",
        )
    dupes = sorted({c for c in header if header.count(c) > 1 and c})
    if dupes:
        raise FileFormatError(f"{name}: column(s) given twice: {', '.join(dupes)}",
                              f"{name}៖ ជួរឈរមានពីរដង៖ {', '.join(dupes)}")


def read_chunks(path: Path, columns: Sequence[str], chunk_rows: int,
                limits: SheetLimits | None = None) -> Iterator[pl.DataFrame]:
    """The file as DataFrames of about ``chunk_rows`` rows: every column in ``columns`` as text
    (missing ones all null, unknown ones dropped), cells stripped, empty cells null, plus
    ``source_row`` (the row number in the file, the header being row 1); the formula guard's
    quote is removed (``spmis.formula_guard.unguard``). Memory is bounded by
    the chunk size, not the file size."""
    suffix = check_suffix(path)
    limits = limits or SheetLimits()
    header = read_header(path, limits)
    if suffix == ".csv":
        frames = _csv_chunks(path, header, chunk_rows)
    else:
        frames = _xlsx_chunks(path, header, chunk_rows, limits)
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


def _xlsx_rows(path: Path, limits: SheetLimits) -> Iterator[tuple[object, ...]]:
    """The first sheet's rows, streamed, after the archive check; refuses a row past
    ``max_rows``, a value past ``max_columns`` and a text longer than ``max_cell_chars``."""
    check_xlsx_archive(path, limits)
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    rows: Generator[tuple[object, ...], None, None] | None = None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True, max_col=limits.max_columns + 1)
        for row_no, row in enumerate(rows, 1):
            if row_no > limits.max_rows:
                raise _limit(path, f"has more than {limits.max_rows:,} rows",
                             f"មានជួរដេកលើស {limits.max_rows:,}", "SPMIS_XLSX_MAX_ROWS")
            if len(row) > limits.max_columns and row[limits.max_columns] is not None:
                raise _limit(path, f"row {row_no} has more than {limits.max_columns} columns",
                             f"ជួរដេកទី {row_no} មានជួរឈរលើស {limits.max_columns}",
                             "SPMIS_XLSX_MAX_COLUMNS")
            for col, value in enumerate(row[:limits.max_columns], 1):
                if isinstance(value, str) and len(value) > limits.max_cell_chars:
                    raise _limit(
                        path, f"the cell in row {row_no}, column {col} holds more than "
                        f"{limits.max_cell_chars:,} characters",
                        f"ក្រឡាក្នុងជួរដេកទី {row_no} ជួរឈរទី {col} មានតួអក្សរលើស "
                        f"{limits.max_cell_chars:,}", "SPMIS_XLSX_MAX_CELL_CHARS")
            yield row[:limits.max_columns]
    finally:
        if rows is not None:  # the sheet's reader holds the archive open until it is closed
            rows.close()
        wb.close()


def _limit(path: Path, what: str, what_km: str, setting: str) -> FileFormatError:
    return FileFormatError(f"{path.name}: {what} (the limit; setting {setting})",
                           f"{path.name}៖ {what_km} (កម្រិតកំណត់ {setting})")


def _xlsx_chunks(path: Path, header: list[str], chunk_rows: int,
                 limits: SheetLimits) -> Iterator[pl.DataFrame]:
    rows = _xlsx_rows(path, limits)
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
