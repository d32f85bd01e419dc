"""XLSX files are checked before they are read (issue 12, finding 6): a 400 KB file whose shared
strings unpacked to 400 MB took the server to 5.9 GB. The archive's index is checked (total size,
compression ratio) before openpyxl opens it, and the sheet is streamed with limits on rows,
columns and cell length; each refusal names the file and the limit."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.registry.fileformat import (
    HOUSEHOLD_COLUMNS,
    FileFormatError,
    SheetLimits,
    read_chunks,
    read_header,
)
from spmis.registry.importer import import_households

ROW = {"household_key": "H1", "village_code": "12010101", "person_key": "P1",
       "relationship": "head", "family_name_latin": "Sok", "given_name_latin": "Dara",
       "sex": "F", "date_of_birth": "1988-04-12", "occupation": "BOMB"}


def workbook(path: Path, rows: int = 1, extra_columns: int = 0, cell: str = "BOMB") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append([*HOUSEHOLD_COLUMNS, *(f"x{i}" for i in range(extra_columns))])
    for i in range(rows):
        values = {**ROW, "household_key": f"H{i}", "person_key": f"P{i}", "occupation": cell}
        ws.append([values.get(c) for c in HOUSEHOLD_COLUMNS] + ["v"] * extra_columns)
    wb.save(path)
    return path


SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def bomb(path: Path, unpacked_mib: int) -> Path:
    """A valid XLSX whose shared-strings table holds one string (the "BOMB" cell of the sheet)
    that unpacks to ``unpacked_mib`` MiB of 'a': written in pieces, so making it costs little
    memory."""
    plain = workbook(path.with_suffix(".plain.xlsx"))
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                        compresslevel=9) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="' + SST_TYPE.encode() + b'"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="'
                                    + SST_REL.encode()
                                    + b'" Target="sharedStrings.xml"/></Relationships>')
            elif info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b't="inlineStr"><is><t>BOMB</t></is></c>',
                                    b't="s"><v>0</v></c>')
            out.writestr(info, data)
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns='
                     b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                     b'uniqueCount="1"><si><t>')
            piece = b"a" * 1024**2
            for _ in range(unpacked_mib):
                fh.write(piece)
            fh.write(b"</t></si></sst>")
    return path


def test_a_decompression_bomb_is_refused_unread_in_bounded_memory(ctx: AppContext,
                                                                   tmp_path: Path) -> None:
    path = bomb(tmp_path / "households.xlsx", 64)
    assert path.stat().st_size < 200 * 1024  # 64 MiB of text in a file of a few hundred KB
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError) as refused:
            import_households(ctx, path, SYSTEM, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    text = str(refused.value)
    assert "households.xlsx" in text and "xl/sharedStrings.xml" in text
    assert "SPMIS_XLSX_MAX_COMPRESSION_RATIO" in text and refused.value.msg_km
    assert peak < 8 * 1024**2, f"peak {peak / 1024**2:.1f} MiB while refusing"


def test_total_unpacked_size_is_limited(tmp_path: Path) -> None:
    path = bomb(tmp_path / "big.xlsx", 3)
    limits = SheetLimits(max_uncompressed_bytes=2 * 1024**2, max_compression_ratio=10**6)
    with pytest.raises(FileFormatError, match="SPMIS_XLSX_MAX_UNCOMPRESSED_BYTES"):
        read_header(path, limits)
    assert read_header(path, SheetLimits(max_compression_ratio=10**6))[0] == "household_key"


def test_rows_columns_and_cell_length_are_limited(tmp_path: Path) -> None:
    def read_all(path: Path, limits: SheetLimits) -> int:
        return sum(f.height for f in read_chunks(path, HOUSEHOLD_COLUMNS, 100, limits))

    ok = workbook(tmp_path / "ok.xlsx", rows=5)
    assert read_all(ok, SheetLimits()) == 5
    with pytest.raises(FileFormatError, match=r"ok.xlsx: has more than 4 rows.*XLSX_MAX_ROWS"):
        read_all(ok, SheetLimits(max_rows=4))
    wide = workbook(tmp_path / "wide.xlsx", extra_columns=5)
    with pytest.raises(FileFormatError, match=r"wide.xlsx: row 1 has more than 30 columns"):
        read_all(wide, SheetLimits(max_columns=30))
    long = workbook(tmp_path / "long.xlsx", cell="x" * 3000)
    with pytest.raises(FileFormatError,
                       match=r"long.xlsx: the cell in row 2, column 21 holds more than 2,000"):
        read_all(long, SheetLimits())


def test_limits_come_from_the_settings(ctx: AppContext, tmp_path: Path) -> None:
    from dataclasses import replace

    small = replace(ctx, settings=ctx.settings.model_copy(update={"xlsx_max_rows": 2}))
    path = workbook(tmp_path / "three.xlsx", rows=3)
    with pytest.raises(FileFormatError, match="SPMIS_XLSX_MAX_ROWS"):
        import_households(small, path, SYSTEM, progress=False)
    assert import_households(ctx, path, SYSTEM, progress=False).people_created == 3
