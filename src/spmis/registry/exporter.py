"""``spmis export households`` / ``spmis export enterprises``: the registry written in the import
format (docs/import-format.md), streamed a page of households at a time (keyset pagination on
the id), so memory does not grow with the registry.

Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) are written
with a leading quote (``spmis.formula_guard``); the importer removes it, so a re-import of an
export gives back the same registry.

National ID and phone are stored encrypted; they are written in clear only when asked for
(``include_identifiers``), otherwise left empty. A file exported without them is not meant to
be imported again: its rows would differ from the stored ones and be reported as such.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import polars as pl
from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from spmis.auth import access
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import InvalidInput, StorageFull
from spmis.formula_guard import guard_row, write_csv
from spmis.registry.fileformat import ENTERPRISE_COLUMNS, HOUSEHOLD_COLUMNS, check_suffix
from spmis.registry.model import ENCRYPTED_IDENTIFIERS, IdentifierType
from spmis.registry.service_base import area_conditions
from spmis.registry.store import enterprise, household, person, person_identifier

PAGE_HOUSEHOLDS = 5000
_ID_COLUMNS = {
    IdentifierType.NATIONAL_ID.value: "national_id",
    IdentifierType.PHONE.value: "phone",
    IdentifierType.NSSF_MEMBER.value: "nssf_member",
    IdentifierType.BIRTH_CERTIFICATE.value: "birth_certificate",
}


@dataclass
class ExportSummary:
    kind: str
    out: Path
    households: int = 0
    rows: int = 0
    identifiers_included: bool = False
    seconds: float = 0.0

    def __str__(self) -> str:
        what = f"{self.households:,} households, " if self.kind == "households" else ""
        ids = ("national ID and phone in clear" if self.identifiers_included
               else "national ID and phone left empty")
        return (f"{what}{self.rows:,} rows written to {self.out} ({ids}) "
                f"in {self.seconds:.1f}s")


class _Sink:
    """Writes frames to a CSV or XLSX file, header first, text cells guarded.

    The rows go to a temporary owner-only file beside ``out`` (``.NAME.XXXX.partial``), renamed
    to ``out`` by ``commit`` only once everything is written: a write that fails (a full disk, a
    file-size limit) leaves no file that looks complete, and ``abort`` removes the partial one (it
    may hold identifiers in clear). An earlier file at ``out`` stays as it was until the rename.
    """

    def __init__(self, out: Path, columns: tuple[str, ...]) -> None:
        self.suffix = check_suffix(out)
        self.out = out
        self.columns = columns
        out.parent.mkdir(parents=True, exist_ok=True)
        self.partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._csv: IO[bytes] | None = None
        self._wb: Any = None
        try:
            if self.suffix == ".csv":
                self._csv = os.fdopen(fd, "wb")
                write_csv(pl.DataFrame(schema=dict.fromkeys(columns, pl.String)), self._csv)
            else:
                os.close(fd)
                from openpyxl import Workbook

                self._wb = Workbook(write_only=True)
                self._ws = self._wb.create_sheet("households" if "person_key" in columns
                                                 else "enterprises")
                self._ws.append(list(columns))
        except BaseException:
            self.abort()
            raise

    def write(self, frame: pl.DataFrame) -> None:
        frame = frame.select([pl.col(c).cast(pl.String) for c in self.columns])
        if self._csv is not None:
            write_csv(frame, self._csv, include_header=False)
        else:
            for row in frame.iter_rows():
                self._ws.append(guard_row(row))

    def commit(self) -> None:
        """Finish the file and give it its name."""
        if self._csv is not None:
            self._csv.flush()
            os.fsync(self._csv.fileno())
            self._csv.close()
        if self._wb is not None:
            self._wb.save(self.partial)
        os.replace(self.partial, self.out)

    def abort(self) -> None:
        """Drop the partial file (and openpyxl's temporary copy of the sheet, which holds the
        same rows, at once rather than when the process exits)."""
        if self._csv is not None:
            with contextlib.suppress(OSError):  # closing flushes: the disk may still be full
                self._csv.close()
        writer = getattr(getattr(self, "_ws", None), "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):  # its stream may have failed already
                writer.xf.close()
            with contextlib.suppress(Exception):
                writer.cleanup()
        self.partial.unlink(missing_ok=True)

    @contextlib.contextmanager
    def writing(self) -> Iterator[_Sink]:
        """``commit`` when the block succeeds; otherwise ``abort``, and a write that failed for
        lack of room (or any other OS error) becomes ``StorageFull`` naming the file."""
        try:
            yield self
            self.commit()
        except OSError as exc:
            self.abort()
            raise StorageFull(self.out, exc) from exc
        except BaseException:
            self.abort()
            raise


def _pages(conn: Connection, table: Any, conditions: list[Any]) -> Iterator[list[RowMapping]]:
    """Rows of ``table`` matching ``conditions`` in id order, a bounded page at a time."""
    last = 0
    while True:
        rows = list(conn.execute(
            select(table).where(*conditions, table.c.id > last)
            .order_by(table.c.id).limit(PAGE_HOUSEHOLDS)
        ).mappings())
        if not rows:
            return
        last = rows[-1]["id"]
        yield rows


def _log_clear_reads(ctx: AppContext, actor: Actor, reads: dict[int, set[str]],
                     reason: str) -> None:
    """Every identifier decrypted for the file is an unmasked read: one access-log row per
    person, committed before the page is written."""
    if not reads:
        return
    with ctx.engine.begin() as conn:
        access.log_reads(conn, actor.username, "person",
                         {pid: ",".join(sorted(fields)) for pid, fields in reads.items()},
                         reason, "export")


def _bool_text(col: str) -> pl.Expr:
    return pl.when(pl.col(col)).then(pl.lit("true")).otherwise(pl.lit("false")).alias(col)


def export_households(
    ctx: AppContext, out: Path, actor: Actor, area: str | None = None,
    include_identifiers: bool = False, reason: str | None = None,
) -> ExportSummary:
    """Write the active households (and their active members) of ``area`` to ``out``.
    With ``include_identifiers`` national ID and phone are decrypted: ``reason`` is then
    required and every person whose identifiers are written is logged in the access log."""
    if include_identifiers and len((reason or "").strip()) < 3:
        raise InvalidInput.one(("reason",), "missing",
                               "is required to export national ID and phone in clear",
                               "តម្រូវឱ្យមានហេតុផល ដើម្បីនាំចេញលេខសម្គាល់ និងលេខទូរស័ព្ទ")
    started = time.perf_counter()
    conditions = [household.c.status == "active",
                  *area_conditions(ctx, actor, area, household.c.village_code)]
    summary = ExportSummary("households", out, identifiers_included=include_identifiers)
    with _Sink(out, HOUSEHOLD_COLUMNS).writing() as sink, ctx.engine.connect() as conn:
        for hh in _pages(conn, household, conditions):
            reads: dict[int, set[str]] = {}
            frame = _household_page(ctx, conn, hh, include_identifiers, reads)
            if include_identifiers:
                _log_clear_reads(ctx, actor, reads, reason or "")
            sink.write(frame)
            summary.households += len(hh)
            summary.rows += frame.height
    summary.seconds = time.perf_counter() - started
    return summary


def _household_page(ctx: AppContext, conn: Connection, hh: Any,
                    include_identifiers: bool, reads: dict[int, set[str]]) -> pl.DataFrame:
    hh_frame = pl.DataFrame([dict(r) for r in hh], infer_schema_length=None).select(
        pl.col("id").alias("household_id"), pl.col("external_key").alias("household_key"),
        "village_code", "address_detail", "idpoor_level", "idpoor_card_number",
        "idpoor_valid_from", "idpoor_valid_to")
    ids = hh_frame["household_id"].to_list()
    people = conn.execute(
        select(person, enterprise.c.external_key.label("enterprise_key"))
        .outerjoin(enterprise, enterprise.c.id == person.c.enterprise_id)
        .where(person.c.household_id.in_(ids), person.c.status == "active")
        .order_by(person.c.household_id, person.c.id)
    ).mappings().all()
    p_frame = pl.DataFrame([dict(r) for r in people], infer_schema_length=None)
    if p_frame.height == 0:
        return pl.DataFrame(schema=dict.fromkeys(HOUSEHOLD_COLUMNS, pl.String))
    idents = conn.execute(
        select(person_identifier.c.person_id, person_identifier.c.id_type,
               person_identifier.c.value_enc, person_identifier.c.value_clear)
        .where(person_identifier.c.person_id.in_(p_frame["id"].to_list()))
    ).all()
    values: dict[str, dict[int, str]] = {c: {} for c in _ID_COLUMNS.values()}
    for pid, id_type, enc, clear in idents:
        col = _ID_COLUMNS.get(id_type)
        if col is None:
            continue
        if IdentifierType(id_type) in ENCRYPTED_IDENTIFIERS:
            if include_identifiers and enc is not None:
                values[col][pid] = ctx.cipher.decrypt(enc, id_type)
                reads.setdefault(pid, set()).add(id_type)
        elif clear is not None:
            values[col][pid] = clear
    p_frame = p_frame.with_columns(
        [pl.col("id").replace_strict(v, default=None, return_dtype=pl.String).alias(c)
         for c, v in values.items()])
    frame = p_frame.rename({"external_key": "person_key"}).join(
        hh_frame, on="household_id", how="left", maintain_order="left")
    return frame.with_columns(
        _bool_text("dob_estimated"), _bool_text("disability"), _bool_text("pregnant"))


def export_enterprises(ctx: AppContext, out: Path, actor: Actor,
                       area: str | None = None) -> ExportSummary:
    """Write the active enterprises of ``area`` to ``out``."""
    started = time.perf_counter()
    conditions = [enterprise.c.status == "active",
                  *area_conditions(ctx, actor, area, enterprise.c.village_code)]
    summary = ExportSummary("enterprises", out, identifiers_included=True)
    with _Sink(out, ENTERPRISE_COLUMNS).writing() as sink, ctx.engine.connect() as conn:
        for rows in _pages(conn, enterprise, conditions):
            frame = pl.DataFrame([dict(r) for r in rows], infer_schema_length=None).rename(
                {"external_key": "enterprise_key"})
            sink.write(frame)
            summary.rows += frame.height
    summary.seconds = time.perf_counter() - started
    return summary
