"""Bulk import of households and people (``spmis import households FILE``) and of enterprises
(``spmis import enterprises FILE``) from CSV or XLSX files in the format of docs/import-format.md.

How a file is processed:

1. The header is checked (unknown extension, missing file or missing required columns refuse
   the whole file with ``FileFormatError``). An ``import_batch`` row records who imported which
   file (with its SHA-256) and, at the end, the counts.
2. The file is read in chunks of ``settings.import_chunk_rows`` rows; the rows of the last
   household of a chunk are held back and joined to the next chunk, so a household is always
   processed whole. Rows of one household must be contiguous in the file (as ``spmis export``
   and ``spmis synth`` write them); rows of a household that reappear later are rejected.
3. Each chunk is validated as whole columns (``import_rules``): the same rules as the API
   (``model.validate_person``, ``validate_members``, ``validate_idpoor``, identifier formats,
   the gazetteer, the actor's area), then against the database in a few set-based queries:
   existing external keys, enterprise keys, identifiers owned by another person.
4. Re-import is idempotent: a row whose ``person_key`` (and household) is already stored with
   the same content is counted unchanged; one stored with different content is rejected
   ("already imported with different content; use the API to correct") and nothing stored is
   changed. A household is written whole or not at all: when one of its rows is rejected, its
   other rows are rejected too, naming that row.
5. Good new households are written per chunk in one transaction: households, people,
   identifiers (national ID and phone encrypted, all with their keyed hash) and one
   ``change_log`` row per household and person (action ``import``, the actor, reason naming the
   batch) - the same stored result as ``RegistryService.create_household``.
6. Every rejected row goes to the reject file: the row as read plus ``source_row``,
   ``error_field`` and ``error_reason`` (English / Khmer), text cells guarded against formulas
   (``spmis.formula_guard``; the reader removes the guard, so a corrected report re-imports).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import polars as pl
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Connection, insert, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from spmis.auth.approvals import Filing, file_requests, pending_among
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db import chain
from spmis.db.base import utcnow
from spmis.db.history import change_log
from spmis.formula_guard import write_csv
from spmis.registry import import_rules as rules
from spmis.registry.bulk_store import BulkStore
from spmis.registry.enterprises import ENTERPRISE_NUMBERS
from spmis.registry.fileformat import (
    ENTERPRISE_COLUMNS,
    ENTERPRISE_REQUIRED,
    ERROR_COLUMNS,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_REQUIRED,
    ROW_COLUMN,
    FileFormatError,
    SheetLimits,
    check_columns,
    read_chunks,
    read_header,
)
from spmis.registry.identifier_columns import blind_index_many, encrypt_many
from spmis.registry.model import ENCRYPTED_IDENTIFIERS, UNIQUE_IDENTIFIERS
from spmis.registry.service_base import IDENTIFIER_CHANGE
from spmis.registry.store import (
    enterprise,
    household,
    import_batch,
    person,
    person_identifier,
)

DIFFERENT = ("already imported with different content; use the API to correct",
             "បាននាំចូលរួចហើយ ដោយមានខ្លឹមសារខុសគ្នា សូមកែតាម API")
#: the notice of a row imported without a number another record holds (issue 12 #9): the same
#: words wherever that record is, so the report does not tell where, or whether it lies in the
#: importer's area
AWAITS_REVIEW = ("imported without this number: it awaits a reviewer's decision",
                 "បាននាំចូលដោយគ្មានលេខនេះ៖ លេខនេះកំពុងរង់ចាំការសម្រេចរបស់អ្នកពិនិត្យ")
#: the rows of the report that are notices (saved rows), not rejects
NOTICES = "_notices"

#: person columns compared on re-import: (file-side column, stored column)
_PERSON_COMPARE = (
    ("household_key", "household_key"), ("relationship", "relationship"),
    ("family_name_km", "family_name_km"), ("given_name_km", "given_name_km"),
    ("family_name_latin", "family_name_latin"), ("given_name_latin", "given_name_latin"),
    ("sex", "sex"), ("date_of_birth", "date_of_birth"), ("dob_estimated", "dob_estimated"),
    ("disability", "disability"), ("functional_difficulties", "functional_difficulties"),
    ("pregnant", "pregnant"), ("expected_delivery_date", "expected_delivery_date"),
    ("occupation", "occupation"), ("employment_type", "employment_type"),
    ("enterprise_key", "enterprise_key"),
    *((col, f"h_{col}") for col in rules.IDENTIFIER_COLUMNS),
)
_HOUSEHOLD_COMPARE = ("village_code", "address_detail", "idpoor_level", "idpoor_card_number",
                      "idpoor_valid_from", "idpoor_valid_to")


@dataclass
class ImportSummary:
    """Counts of one import; ``str()`` is a one-line summary."""

    kind: str
    file: Path
    batch_id: int | None = None
    rows_read: int = 0
    households_created: int = 0
    people_created: int = 0
    enterprises_created: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    #: rows saved without a number another record holds: the number awaits a reviewer (a
    #: maker-checker request each), and the row is in the report with that notice
    rows_held: int = 0
    reject_path: Path | None = None
    seconds: float = 0.0

    @property
    def rows_created(self) -> int:
        return self.people_created + self.enterprises_created

    def __str__(self) -> str:
        if self.kind == "enterprises":
            created = f"{self.enterprises_created:,} enterprises created"
        else:
            created = (f"{self.households_created:,} households and {self.people_created:,} "
                       "people created")
        rate = self.rows_read / self.seconds if self.seconds else 0.0
        rejects = f"{self.rows_rejected:,} rejected"
        if self.rows_held:
            rejects += f", {self.rows_held:,} with a number awaiting a reviewer's decision"
        if (self.rows_rejected or self.rows_held) and self.reject_path:
            rejects += f" (see {self.reject_path})"
        return (f"{self.file.name}: {self.rows_read:,} rows read, {created}, "
                f"{self.rows_unchanged:,} unchanged, {rejects}; batch {self.batch_id}, "
                f"{self.seconds:.1f}s ({rate:,.0f} rows/s)")


def default_reject_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def _today(ctx: AppContext) -> date:
    return datetime.now(ZoneInfo(ctx.settings.timezone)).date()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count_rows(path: Path) -> int | None:
    """Data rows in the file, for the progress bar (approximate for CSV with quoted newlines)."""
    if path.suffix.lower() == ".csv":
        lines = 0
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                lines += block.count(b"\n")
        return max(lines - 1, 0)
    return None


class _RejectWriter:
    """Appends rejected rows (and saved rows with a notice, ``AWAITS_REVIEW``) to a CSV file,
    created on the first such row (a reject file left by an earlier run at the same path is
    removed first)."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        self.columns = (ROW_COLUMN, *columns, *ERROR_COLUMNS)
        self._fh: IO[bytes] | None = None
        self.count = 0

    def write(self, rows: pl.DataFrame) -> None:
        if rows.height == 0:
            return
        cells = [rules.first_error_fields(e) for e in rows[rules.ERRORS].to_list()]
        out = rows.select(self.columns[:-2]).with_columns(
            error_field=pl.Series([c[0] for c in cells], dtype=pl.String),
            error_reason=pl.Series([c[1] for c in cells], dtype=pl.String),
        )
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # owner-only: the report holds identifiers in clear (docs/security.md)
            self._fh = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                         0o600), "wb")
            write_csv(out, self._fh, include_header=True)
        else:
            write_csv(out, self._fh, include_header=False)
        self.count += rows.height

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _household_chunks(path: Path, chunk_rows: int,
                      limits: SheetLimits) -> Iterator[pl.DataFrame]:
    """Chunks that never split a household: the trailing run of the last household key of a
    chunk is carried into the next one."""
    carry: pl.DataFrame | None = None
    for chunk in read_chunks(path, HOUSEHOLD_COLUMNS, chunk_rows, limits):
        frame = chunk if carry is None else pl.concat([carry, chunk])
        key = frame["household_key"]
        last = key[-1]
        run_start = frame.height
        # walk back over the trailing rows with the same key (vectorised)
        same = (key == last) if last is not None else key.is_null()
        breaks = (~same).arg_true()
        run_start = int(breaks[-1]) + 1 if breaks.len() else 0
        if run_start == 0:
            carry = frame
            continue
        carry = frame[run_start:]
        yield frame[:run_start]
    if carry is not None and carry.height:
        yield carry


#: called after each chunk is counted, in file order: (counts so far, rows in the file or None)
ChunkCallback = Callable[["ImportSummary", int | None], None]


class _Progress:
    def __init__(self, enabled: bool, total: int | None, label: str,
                 on_chunk: ChunkCallback | None = None) -> None:
        self.total = total
        self.on_chunk = on_chunk
        self.progress: Progress | None = None
        if enabled:
            self.progress = Progress(
                TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                transient=False,
            )
            self.task = self.progress.add_task(label, total=total)
            self.progress.start()

    def advance(self, n: int) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, n)

    def counted(self, summary: ImportSummary) -> None:
        if self.on_chunk is not None:
            self.on_chunk(summary, self.total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


# ---------------------------------------------------------------------------- batch rows
def _start_batch(ctx: AppContext, kind: str, path: Path, actor: Actor) -> int:
    with ctx.engine.begin() as conn:
        return int(conn.execute(
            insert(import_batch).values(
                kind=kind, file_name=path.name[:255], file_sha256=_file_sha256(path),
                started_at=utcnow(), started_by=actor.username,
            ).returning(import_batch.c.id)
        ).scalar_one())


def _finish_batch(ctx: AppContext, summary: ImportSummary) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(update(import_batch).where(import_batch.c.id == summary.batch_id).values(
            finished_at=utcnow(), rows_read=summary.rows_read,
            rows_created=summary.rows_created, rows_unchanged=summary.rows_unchanged,
            rows_rejected=summary.rows_rejected,
        ))


_RETRY_PGCODES = {"40P01", "40001"}  # deadlock, serialisation failure
ATTEMPTS = 4


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _RETRY_PGCODES


def _run_chunk(ctx: AppContext, work: Callable[[Connection], Any]) -> Any:
    """Run ``work`` in one transaction. When another writer (a parallel chunk of this import,
    or any other session) commits a clashing key first, the unique indexes fail this
    transaction as a whole; it is run again and then sees the other rows and rejects or counts
    the clashing ones."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with ctx.engine.begin() as conn:
                return work(conn)
        except DBAPIError as exc:
            if attempt == ATTEMPTS or not _retryable(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def default_writers(ctx: AppContext) -> int:
    """Parallel writer transactions: 2 on PostgreSQL (its backends use separate cores), 1 on
    SQLite (one writer at a time)."""
    return 2 if ctx.engine.dialect.name == "postgresql" else 1


# ---------------------------------------------------------------------------- households
def import_households(
    ctx: AppContext,
    path: Path,
    actor: Actor,
    reject_path: Path | None = None,
    progress: bool = True,
    today: date | None = None,
    writers: int | None = None,
    on_chunk: ChunkCallback | None = None,
    shown_name: str | None = None,
) -> ImportSummary:
    """Import a households file (one row per person); see the module docstring. ``writers``
    chunks are checked and written at the same time (default ``default_writers``).
    ``on_chunk`` is told the counts after each chunk (a background job's progress; it may
    raise to stop the import: chunks already written stay, each household whole). ``shown_name``
    is the file's name as its user knows it (an upload is stored under another), for the
    records' history."""
    started = time.perf_counter()
    path = Path(path)
    header = read_header(path, SheetLimits.from_settings(ctx.settings))
    check_columns(header, HOUSEHOLD_REQUIRED, HOUSEHOLD_COLUMNS, path.name)
    reject_path = reject_path or default_reject_path(path)
    summary = ImportSummary("households", path, reject_path=reject_path)
    summary.batch_id = _start_batch(ctx, "households", path, actor)
    importer = _HouseholdImport(ctx, actor, summary.batch_id, path, today or _today(ctx),
                                shown_name)
    rejects = _RejectWriter(reject_path, HOUSEHOLD_COLUMNS)
    bar = _Progress(progress, _count_rows(path), f"importing {path.name}", on_chunk)
    read_error: FileFormatError | None = None
    try:
        # pipeline: the next chunk is read and validated (Polars, hashing) while worker
        # threads check and write earlier ones, each in its own transaction; results are
        # counted in file order. At most ``writers`` + 1 chunks are in memory.
        workers = max(1, writers or default_writers(ctx))
        if ctx.engine.dialect.name != "postgresql":
            workers = 1  # SQLite has one writer at a time; ids are reserved after max(id)
        chunks = _household_chunks(path, ctx.settings.import_chunk_rows,
                                   SheetLimits.from_settings(ctx.settings))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="spmis-import") as pool:
            pending: deque[Future[_ChunkResult]] = deque()
            while True:
                try:
                    chunk = next(chunks, None)
                except FileFormatError as exc:  # e.g. a broken quote or bad bytes mid-file
                    read_error = exc
                    break
                if chunk is None:
                    break
                prepared = importer.prepare(chunk)
                while len(pending) >= workers:
                    _count(summary, rejects, bar, pending.popleft().result())
                pending.append(pool.submit(_run_chunk, ctx,
                                           partial(importer.store, frame=prepared)))
            while pending:
                _count(summary, rejects, bar, pending.popleft().result())
    finally:
        bar.close()
        rejects.close()
    summary.seconds = time.perf_counter() - started
    _finish_batch(ctx, summary)
    if read_error is not None:
        raise FileFormatError(
            f"{read_error}; the {summary.rows_read:,} rows before it were processed "
            f"({summary.people_created:,} people created, {summary.rows_rejected:,} rejected): "
            "fix the file and import it again - imported rows will count as unchanged"
        ) from read_error
    return summary


@dataclass
class _ChunkResult:
    rows: int
    #: the rows for the report, in file order: rejects, and saved rows with a notice
    reported: pl.DataFrame
    households: int = 0
    people: int = 0
    unchanged: int = 0
    #: of ``reported``, the saved rows whose number awaits a reviewer
    held: int = 0


def _count(summary: ImportSummary, rejects: _RejectWriter, bar: _Progress,
           result: _ChunkResult) -> None:
    rejects.write(result.reported)
    summary.rows_read += result.rows
    summary.households_created += result.households
    summary.people_created += result.people
    summary.rows_unchanged += result.unchanged
    summary.rows_rejected += result.reported.height - result.held
    summary.rows_held += result.held
    bar.advance(result.rows)
    bar.counted(summary)


def _created_json(*fields: str | pl.Expr) -> pl.Expr:
    """A record's creation entry in ``change_log`` as JSON, as ``RegistryBase._created`` writes
    it: the given fields that are not empty (the area codes derived from the village code are
    not among them). Each present field is encoded on its own and the members joined."""
    members = []
    for f in fields:
        expr = pl.col(f) if isinstance(f, str) else f
        name = expr.meta.output_name()
        member = pl.struct(expr.alias(name)).struct.json_encode().str.strip_prefix(
            "{").str.strip_suffix("}")
        members.append(pl.when(expr.is_not_null()).then(member))
    return pl.lit("{") + pl.concat_str(members, separator=",", ignore_nulls=True) + pl.lit("}")


def _chain_log(conn: Connection, log: pl.DataFrame, now: datetime, reason: str) -> None:
    """Queue the audit chain entries of ``change_log`` rows written in bulk, as
    ``spmis.db.history`` does for the rows it writes (payload built set-based)."""
    payload = pl.concat_str([
        pl.lit('{"at":' + json.dumps(now.isoformat()) + ',"changes":'), pl.col("changes"),
        pl.lit(',"reason":' + json.dumps(reason, ensure_ascii=False) + "}")])
    chain.defer(conn, log.select("changed_by", "entity_type", "entity_id", "version", "action",
                                 payload.alias("payload")).iter_rows())


def _masked(value: pl.Expr) -> pl.Expr:
    """``identifiers.mask`` of each value: only the last 3 characters shown (1 when short)."""
    keep = pl.when(value.str.len_chars() > 4).then(3).otherwise(1)
    hidden = value.str.len_chars() - keep
    return value.str.head(hidden).str.replace_all(".", "*") + value.str.tail(keep)


def _with_notices(frame: pl.DataFrame, held_cols: list[str]) -> pl.DataFrame:
    """The ``AWAITS_REVIEW`` notice of each held number of a row that is saved (or was
    already), in the column ``NOTICES``."""
    ok = pl.col(rules.ERRORS).list.len() == 0
    notices = [rules.check(ok & pl.col(f"_held_{c}"), c, *AWAITS_REVIEW) for c in held_cols]
    if not notices:
        return frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(NOTICES))
    return frame.with_columns(
        pl.concat_list([n.cast(pl.String) for n in notices]).list.drop_nulls().alias(NOTICES))


def _without_held(frame: pl.DataFrame, held_cols: list[str]) -> pl.DataFrame:
    """``frame`` with the held numbers taken out (they are written only when approved)."""
    return frame.with_columns(
        *[pl.when(~pl.col(f"_held_{c}")).then(pl.col(f"_id_{c}")).alias(f"_id_{c}")
          for c in held_cols],
        *[pl.when(~pl.col(f"_held_{c}")).then(pl.col(f"_h_{c}")).alias(f"_h_{c}")
          for c in held_cols])


def _report(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of a chunk for the report, in file order: each reject with its errors, each
    saved row with a held number with its notices (in the error columns)."""
    ok = pl.col(rules.ERRORS).list.len() == 0
    return frame.filter(~ok | (pl.col(NOTICES).list.len() > 0)).with_columns(
        pl.when(ok).then(pl.col(NOTICES)).otherwise(pl.col(rules.ERRORS)).alias(rules.ERRORS))


class _HouseholdImport:
    def __init__(self, ctx: AppContext, actor: Actor, batch_id: int, path: Path,
                 today: date, shown_name: str | None = None) -> None:
        self.ctx = ctx
        self.actor = actor
        self.batch_id = batch_id
        self.today = today
        self.reason = f"import batch {batch_id}: {shown_name or path.name}"
        self.villages = pl.Series(
            [c for c, u in ctx.gazetteer.units.items() if u.level == "village"], dtype=pl.String)
        self.rejected_households: set[str] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ per chunk
    def prepare(self, rows: pl.DataFrame) -> pl.DataFrame:
        """What needs no database: the rules on each row and across the rows of a household,
        keyed hashes of the identifiers, name keys."""
        frame = rules.validate_household_rows(rows, self.today, self.villages, self.actor.scope)
        frame = rules.validate_households_together(frame)
        frame = self._hash_identifiers(frame)
        return rules.name_keys(frame)

    def store(self, conn: Connection, frame: pl.DataFrame) -> _ChunkResult:
        """Check a prepared chunk against the database and write its new households."""
        store = BulkStore(conn)
        rows = frame.height
        frame = self._against_database(store, frame)
        frame = self._whole_households(frame)
        ok = pl.col(rules.ERRORS).list.len() == 0
        held_cols = [c for c in rules.IDENTIFIER_COLUMNS if f"_held_{c}" in frame.columns]
        frame = _with_notices(frame, held_cols)
        bad = frame.filter(~ok)
        with self._lock:
            self.rejected_households.update(
                k for k in bad["household_key"].drop_nulls().unique().to_list())
        unchanged = frame.filter(ok & pl.col("_p_id").is_not_null())
        new = frame.filter(ok & pl.col("_p_id").is_null())
        households, new_ids = self._write(store, _without_held(new, held_cols))
        held = pl.concat([new.with_columns(new_ids.alias("_pid"), _version=pl.lit(1, pl.Int64)),
                          unchanged.with_columns(pl.col("_p_id").alias("_pid"),
                                                 pl.col("_db_version").alias("_version"))],
                         how="vertical_relaxed").filter(pl.col(NOTICES).list.len() > 0)
        self._file_held(store.conn, held, held_cols)
        return _ChunkResult(rows, _report(frame), households, new_ids.len(), unchanged.height,
                            held.height)

    def _file_held(self, conn: Connection, held: pl.DataFrame, held_cols: list[str]) -> None:
        """The numbers held back, as one identifier-change request per person on the version
        the import left (its approver meets the conflict, as for a person registered through
        the API: ``RegistryBase._file_held``). A stored person with such a request pending
        already (an earlier import of the same row) gets no second one."""
        if held.height == 0:
            return
        waiting = pending_among(conn, IDENTIFIER_CHANGE, "person",
                                held.filter(pl.col("_p_id").is_not_null())["_p_id"].to_list())
        held = held.filter(~pl.col("_pid").is_in(list(waiting)))
        kinds = {c: rules.IDENTIFIER_COLUMNS[c].value for c in held_cols}
        given = {c: pl.when(pl.col(f"_held_{c}")).then(pl.col(f"_id_{c}")) for c in held_cols}
        shown = _created_json(*[_masked(v).alias(kinds[c]) for c, v in given.items()])
        secret = _created_json(*[v.alias(kinds[c]) for c, v in given.items()])
        reason = json.dumps(self.reason, ensure_ascii=False)
        parts = held.select(
            pl.col("_pid"), pl.col("village_code"),
            pl.concat_str([pl.lit('{"identifiers":'), shown,
                           pl.lit(',"patch":{"expected_version":'), pl.col("_version"),
                           pl.lit(f',"reason":{reason}}},"person_id":'), pl.col("_pid"),
                           pl.lit("}")]).alias("payload"),
            (pl.lit('{"identifiers":') + secret + pl.lit("}")).alias("secret"))
        file_requests(self.ctx, conn, kind=IDENTIFIER_CHANGE, maker=self.actor,
                      reason=self.reason, filing=Filing(
                          "person", parts["_pid"].to_list(), parts["village_code"].to_list(),
                          parts["payload"].to_list(), parts["secret"].to_list()))

    def _hash_identifiers(self, frame: pl.DataFrame) -> pl.DataFrame:
        cipher = self.ctx.cipher
        out = {}
        for col, id_type in rules.IDENTIFIER_COLUMNS.items():
            values = frame[f"_id_{col}"]
            present = values.drop_nulls()
            hashes = blind_index_many(cipher, present.to_list(), id_type.value)
            full = pl.Series([None] * frame.height, dtype=pl.String)
            if present.len():
                idx = values.is_not_null().arg_true()
                full = full.scatter(idx, pl.Series(hashes, dtype=pl.String))
            out[f"_h_{col}"] = full
        return frame.with_columns(**out)

    def _against_database(self, store: BulkStore, frame: pl.DataFrame) -> pl.DataFrame:
        hh_keys = frame["household_key"].drop_nulls().unique()
        p_keys = frame["person_key"].drop_nulls().unique()
        ent_keys = frame["enterprise_key"].drop_nulls().unique()
        S, I16, D, B = pl.String, pl.Int16, pl.Date, pl.Boolean
        hh_db = store.fetch(
            "SELECT external_key, id, village_code, address_detail, idpoor_level, "
            "idpoor_card_number, idpoor_valid_from, idpoor_valid_to FROM household "
            "WHERE external_key {match}", hh_keys,
            {"household_key": S, "_hh_id": pl.Int64, "_db_village_code": S,
             "_db_address_detail": S, "_db_idpoor_level": I16, "_db_idpoor_card_number": S,
             "_db_idpoor_valid_from": D, "_db_idpoor_valid_to": D}, unique=True)
        p_db = store.fetch(
            "SELECT p.external_key, p.id, h.external_key, p.relationship, p.family_name_km, "
            "p.given_name_km, p.family_name_latin, p.given_name_latin, p.sex, p.date_of_birth, "
            "p.dob_estimated, p.disability, p.functional_difficulties, p.pregnant, "
            "p.expected_delivery_date, p.occupation, p.employment_type, e.external_key, "
            "p.version FROM person p JOIN household h ON h.id = p.household_id "
            "LEFT JOIN enterprise e ON e.id = p.enterprise_id WHERE p.external_key {match}",
            p_keys,
            {"person_key": S, "_p_id": pl.Int64, "_db_household_key": S,
             "_db_relationship": S, "_db_family_name_km": S, "_db_given_name_km": S,
             "_db_family_name_latin": S, "_db_given_name_latin": S, "_db_sex": S,
             "_db_date_of_birth": D, "_db_dob_estimated": B, "_db_disability": B,
             "_db_functional_difficulties": S, "_db_pregnant": B,
             "_db_expected_delivery_date": D, "_db_occupation": S, "_db_employment_type": S,
             "_db_enterprise_key": S, "_db_version": pl.Int64}, unique=True)
        ent_db = store.fetch("SELECT external_key, id FROM enterprise WHERE external_key {match}",
                             ent_keys, {"enterprise_key": S, "_enterprise_id": pl.Int64},
                             unique=True)
        unique_cols = [c for c, t in rules.IDENTIFIER_COLUMNS.items() if t in UNIQUE_IDENTIFIERS]
        # owners of the unique identifiers: one query per type, each key through the unique
        # (id_type, value_hash) index
        owners = pl.concat([store.fetch(
            "SELECT value_hash, id_type, person_id FROM person_identifier "
            f"WHERE id_type = '{rules.IDENTIFIER_COLUMNS[c].value}' AND value_hash {{match}}",
            frame[f"_h_{c}"].drop_nulls().unique(),
            {"value_hash": S, "id_type": S, "owner": pl.Int64}, unique=True)
            for c in unique_cols])
        # stored identifiers of those people, one column per type (keyed hashes compared)
        stored_ids = store.fetch(
            "SELECT person_id, id_type, value_hash FROM person_identifier "
            "WHERE person_id {match}", p_db["_p_id"],
            {"_p_id": pl.Int64, "id_type": S, "value_hash": S})
        for col, id_type in rules.IDENTIFIER_COLUMNS.items():
            p_db = p_db.join(
                stored_ids.filter(pl.col("id_type") == id_type.value).select(
                    "_p_id", pl.col("value_hash").alias(f"_db_h_{col}")),
                on="_p_id", how="left")
        frame = (frame.join(hh_db, on="household_key", how="left", maintain_order="left")
                 .join(p_db, on="person_key", how="left", maintain_order="left")
                 .join(ent_db, on="enterprise_key", how="left", maintain_order="left"))
        for col in unique_cols:
            t = rules.IDENTIFIER_COLUMNS[col].value
            o = owners.filter(pl.col("id_type") == t).select(
                pl.col("value_hash").alias(f"_h_{col}"), pl.col("owner").alias(f"_owner_{col}"))
            frame = frame.join(o, on=f"_h_{col}", how="left", maintain_order="left")
        return self._classify(frame, unique_cols)

    def _classify(self, frame: pl.DataFrame, unique_cols: list[str]) -> pl.DataFrame:
        ok = pl.col(rules.ERRORS).list.len() == 0
        hh_exists = pl.col("_hh_id").is_not_null()
        p_exists = pl.col("_p_id").is_not_null()
        # a number another person holds, given for a new person or for a stored one that has
        # none of that type: held for a reviewer (issue 12 #9), whoever and wherever the holder
        # is. (A stored person with another number of that type: "different content" below.)
        frame = frame.with_columns(**{
            f"_held_{col}": (pl.col(f"_owner_{col}").is_not_null()
                             & (~p_exists | (pl.col(f"_owner_{col}") != pl.col("_p_id")))
                             & (~p_exists | pl.col(f"_db_h_{col}").is_null()))
            for col in unique_cols})
        mine = {
            "household_key": pl.col("household_key"),
            "relationship": pl.col("_relationship"),
            "family_name_km": pl.col("family_name_km"),
            "given_name_km": pl.col("given_name_km"),
            "family_name_latin": pl.col("family_name_latin"),
            "given_name_latin": pl.col("given_name_latin"),
            "sex": pl.col("_sex"),
            "date_of_birth": pl.col("_dob"),
            "dob_estimated": pl.col("_dob_estimated"),
            "disability": pl.col("_disability"),
            "functional_difficulties": pl.col("_domains").list.join(";").replace("", None),
            "pregnant": pl.col("_pregnant"),
            "expected_delivery_date": pl.col("_edd"),
            "occupation": pl.col("occupation"),
            "employment_type": pl.col("_employment"),
            "enterprise_key": pl.col("enterprise_key"),
            **{f"h_{col}": pl.col(f"_h_{col}") for col in rules.IDENTIFIER_COLUMNS},
            **{f"h_{col}": pl.when(~pl.col(f"_held_{col}")).then(pl.col(f"_h_{col}"))
               for col in unique_cols},
        }
        hh_mine = {
            "village_code": pl.col("village_code"), "address_detail": pl.col("address_detail"),
            "idpoor_level": pl.col("_idpoor_level"),
            "idpoor_card_number": pl.col("idpoor_card_number"),
            "idpoor_valid_from": pl.col("_vfrom"), "idpoor_valid_to": pl.col("_vto"),
        }
        checks: list[pl.Expr] = []
        for f in _HOUSEHOLD_COMPARE:
            checks.append(rules.check(ok & hh_exists & ~hh_mine[f].eq_missing(
                pl.col(f"_db_{f}")), f, *DIFFERENT))
        for f, stored in _PERSON_COMPARE:
            checks.append(rules.check(ok & p_exists & ~mine[stored].eq_missing(
                pl.col(f"_db_{stored}")), f, *DIFFERENT))
        checks += [
            rules.check(ok & hh_exists & ~p_exists, "household_key",
                        "this household is already in the registry; add members with the API",
                        "គ្រួសារនេះមាននៅក្នុងបញ្ជីរួចហើយ សូមបន្ថែមសមាជិកតាម API"),
            rules.check(pl.col("enterprise_key").is_not_null()
                        & pl.col("_enterprise_id").is_null(), "enterprise_key",
                        "is not an enterprise in the registry (import enterprises first)",
                        "រកមិនឃើញសហគ្រាសនេះក្នុងបញ្ជី"),
        ]
        with self._lock:
            rejected_before = list(self.rejected_households)
        if rejected_before:
            checks.append(rules.check(
                ~hh_exists & pl.col("household_key").is_in(rejected_before),
                "household_key",
                "rows of this household were rejected earlier in the file (rows of a household "
                "must be together)", "ជួរនៃគ្រួសារនេះត្រូវបានបដិសេធមុននេះក្នុងឯកសារ"))
        return rules.add_errors(frame, checks)

    def _whole_households(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A new household is written whole or not at all."""
        has_err = pl.col(rules.ERRORS).list.len() > 0
        first_bad = pl.when(has_err).then(pl.col(ROW_COLUMN)).min().over("_run")
        sibling = pl.when(~has_err & first_bad.is_not_null() & pl.col("_hh_id").is_null()).then(
            pl.format(
                "household_key{}not imported: row {} of the same household was rejected"
                "{}មិនបាននាំចូល៖ ជួរទី {} នៃគ្រួសារដដែលត្រូវបានបដិសេធ",
                pl.lit(rules.SEP), first_bad, pl.lit(rules.SEP), first_bad))
        return rules.add_errors(frame, [sibling])

    # ------------------------------------------------------------------ writing
    def _write(self, store: BulkStore, new: pl.DataFrame) -> tuple[int, pl.Series]:
        """Write the new households of ``new``; (households written, the people's ids in the
        order of ``new``)."""
        if new.height == 0:
            return 0, pl.Series("id", [], dtype=pl.Int64)
        now = utcnow()
        actor = self.actor.username
        ts = store.timestamp_value(household, "created_at", now)
        hh_rows = new.filter(pl.col("_run").is_first_distinct())
        hh_ids = store.allocate_ids(household, hh_rows.height)
        p_ids = store.allocate_ids(person, new.height)
        hh_rows = hh_rows.select(
            pl.col("_run"),
            hh_ids.alias("id"),
            pl.col("household_key").alias("external_key"),
            pl.col("village_code"),
            pl.col("village_code").str.slice(0, 6).alias("commune_code"),
            pl.col("village_code").str.slice(0, 4).alias("district_code"),
            pl.col("village_code").str.slice(0, 2).alias("province_code"),
            pl.col("address_detail"),
            pl.col("_idpoor_level").alias("idpoor_level"),
            pl.col("idpoor_card_number"),
            pl.col("_vfrom").alias("idpoor_valid_from"),
            pl.col("_vto").alias("idpoor_valid_to"),
        )
        audit = [pl.lit("active").alias("status"), pl.lit(1).alias("version"),
                 pl.lit(ts).alias("created_at"), pl.lit(actor).alias("created_by"),
                 pl.lit(ts).alias("updated_at"), pl.lit(actor).alias("updated_by")]
        store.insert(household, hh_rows.drop("_run").with_columns(audit))
        people = new.with_columns(p_ids.alias("id")).join(
            hh_rows.select("_run", pl.col("id").alias("household_id")), on="_run", how="left",
            maintain_order="left")
        people = people.select(
            pl.col("id"), pl.col("person_key").alias("external_key"), pl.col("household_id"),
            pl.col("_relationship").alias("relationship"),
            "family_name_km", "given_name_km", "family_name_latin", "given_name_latin",
            "name_key", "name_skeleton", "name_km_key",
            pl.col("_sex").alias("sex"), pl.col("_dob").alias("date_of_birth"),
            pl.col("_dob_estimated").alias("dob_estimated"),
            pl.col("_disability").alias("disability"),
            pl.col("_domains").list.join(";").replace("", None).alias("functional_difficulties"),
            pl.col("_pregnant").alias("pregnant"),
            pl.col("_edd").alias("expected_delivery_date"), pl.col("occupation"),
            pl.col("_employment").alias("employment_type"),
            pl.col("_enterprise_id").alias("enterprise_id"),
            self._identifier_types().alias("_identifiers"),
            *[pl.col(f"_id_{c}") for c in rules.IDENTIFIER_COLUMNS],
            *[pl.col(f"_h_{c}") for c in rules.IDENTIFIER_COLUMNS],
        )
        person_cols = [c for c in people.columns if not c.startswith("_")]
        store.insert(person, people.select(person_cols).with_columns(audit))
        self._write_identifiers(store, people, ts)
        self._write_log(store, hh_rows, people, now)
        return hh_rows.height, p_ids

    def _identifier_types(self) -> pl.Expr:
        parts = [pl.when(pl.col(f"_id_{col}").is_not_null()).then(pl.lit(t.value))
                 for col, t in rules.IDENTIFIER_COLUMNS.items()]
        return pl.concat_list(parts).list.drop_nulls().list.sort()

    def _write_identifiers(self, store: BulkStore, people: pl.DataFrame, ts: Any) -> None:
        frames = []
        for col, id_type in rules.IDENTIFIER_COLUMNS.items():
            part = people.filter(pl.col(f"_id_{col}").is_not_null()).select(
                pl.col("id").alias("person_id"), pl.lit(id_type.value).alias("id_type"),
                pl.col(f"_h_{col}").alias("value_hash"), pl.col(f"_id_{col}").alias("_value"))
            if part.height == 0:
                continue
            if id_type in ENCRYPTED_IDENTIFIERS:
                enc = encrypt_many(self.ctx.cipher, part["_value"].to_list(), id_type.value)
                part = part.with_columns(value_enc=pl.Series(enc, dtype=pl.Binary),
                                         value_clear=pl.lit(None, dtype=pl.String))
            else:
                part = part.with_columns(value_enc=pl.lit(None, dtype=pl.Binary),
                                         value_clear=pl.col("_value"))
            frames.append(part.drop("_value").with_columns(created_at=pl.lit(ts)))
        if frames:
            # in key order: each index entry goes to the right edge of the indexes on
            # (person_id, id_type) and id instead of splitting pages in the middle
            store.insert(person_identifier, pl.concat(frames).sort("person_id", "id_type"))

    def _write_log(self, store: BulkStore, hh_rows: pl.DataFrame, people: pl.DataFrame,
                   now: datetime) -> None:
        ts = store.timestamp_value(change_log, "changed_at", now)
        common = [pl.lit(1).alias("version"), pl.lit("import").alias("action"),
                  pl.lit(ts).alias("changed_at"), pl.lit(self.actor.username).alias("changed_by"),
                  pl.lit(self.reason).alias("reason")]
        hh_changes = _created_json(
            "village_code", "address_detail", "idpoor_level", "idpoor_card_number",
            "idpoor_valid_from", "idpoor_valid_to")
        hh_log = hh_rows.select(pl.lit("household").alias("entity_type"),
                                pl.col("id").alias("entity_id"), *common,
                                hh_changes.alias("changes"))
        p_changes = _created_json(
            "family_name_km", "given_name_km", "family_name_latin", "given_name_latin", "sex",
            "date_of_birth", "dob_estimated", "disability", "functional_difficulties",
            "pregnant", "expected_delivery_date", "occupation", "employment_type",
            "enterprise_id", "household_id", "relationship",
            pl.col("_identifiers").alias("identifiers"))
        p_log = people.select(pl.lit("person").alias("entity_type"),
                              pl.col("id").alias("entity_id"), *common, p_changes.alias("changes"))
        log = pl.concat([hh_log, p_log])
        store.insert(change_log, log)
        _chain_log(store.conn, log, now, self.reason)


# ---------------------------------------------------------------------------- enterprises
def import_enterprises(
    ctx: AppContext,
    path: Path,
    actor: Actor,
    reject_path: Path | None = None,
    progress: bool = True,
) -> ImportSummary:
    """Import an enterprises file (one row per enterprise; ``enterprise_key`` is the external
    key that worker rows of a households file refer to)."""
    started = time.perf_counter()
    path = Path(path)
    header = read_header(path, SheetLimits.from_settings(ctx.settings))
    check_columns(header, ENTERPRISE_REQUIRED, ENTERPRISE_COLUMNS, path.name)
    reject_path = reject_path or default_reject_path(path)
    summary = ImportSummary("enterprises", path, reject_path=reject_path)
    summary.batch_id = _start_batch(ctx, "enterprises", path, actor)
    villages = pl.Series([c for c, u in ctx.gazetteer.units.items() if u.level == "village"],
                         dtype=pl.String)
    rejects = _RejectWriter(reject_path, ENTERPRISE_COLUMNS)
    bar = _Progress(progress, _count_rows(path), f"importing {path.name}")
    reason = f"import batch {summary.batch_id}: {path.name}"
    try:
        for chunk in read_chunks(path, ENTERPRISE_COLUMNS, ctx.settings.import_chunk_rows,
                                 SheetLimits.from_settings(ctx.settings)):
            result: _ChunkResult = _run_chunk(ctx, partial(
                _enterprise_chunk, ctx=ctx, rows=chunk, villages=villages, actor=actor,
                reason=reason))
            rejects.write(result.reported)
            summary.rows_read += chunk.height
            summary.enterprises_created += result.people
            summary.rows_unchanged += result.unchanged
            summary.rows_rejected += result.reported.height - result.held
            summary.rows_held += result.held
            bar.advance(chunk.height)
    finally:
        bar.close()
        rejects.close()
    summary.seconds = time.perf_counter() - started
    _finish_batch(ctx, summary)
    return summary


_ENTERPRISE_UNIQUE = ("nssf_employer_number", "moc_registration_number", "tax_id")


def _enterprise_chunk(conn: Connection, ctx: AppContext, rows: pl.DataFrame,
                      villages: pl.Series, actor: Actor, reason: str) -> _ChunkResult:
    """Check and write a chunk of enterprise rows; the result counts new enterprises in
    ``people``."""
    store = BulkStore(conn)
    size = pl.col("size_workers")
    frame = rows.with_columns(
        _size=pl.when(size.str.contains(r"^\d{1,7}$")).then(size.cast(pl.Int64)),
        _sector=pl.col("sector").str.to_uppercase(),
    )
    checks = [
        rules.check(pl.col(f).is_null(), f, "is required", "តម្រូវឱ្យមាន")
        for f in ENTERPRISE_REQUIRED
    ]
    checks += rules.nul_checks(c for c in ENTERPRISE_COLUMNS if c in rows.columns)
    for f in ("enterprise_key", "name_latin", "name_km", *_ENTERPRISE_UNIQUE):
        limit = rules.max_len(enterprise, "external_key" if f == "enterprise_key" else f)
        checks.append(rules.check(pl.col(f).str.len_chars() > limit, f,
                                  f"is longer than {limit} characters", f"វែងជាង {limit} តួអក្សរ"))
    checks += [
        rules.check(pl.col("village_code").is_not_null()
                    & ~pl.col("village_code").is_in(villages.implode()), "village_code",
                    "is not a village code in the gazetteer (8 digits, e.g. 12010101)",
                    "រកមិនឃើញលេខកូដភូមិក្នុងបញ្ជីរដ្ឋបាល"),
        rules.check(pl.col("sector").is_not_null() & ~pl.col("_sector").str.contains(r"^[A-U]$"),
                    "sector", "must be an ISIC Rev.4 section letter A to U",
                    "ត្រូវតែជាអក្សរ A ដល់ U"),
        rules.check(size.is_not_null() & (pl.col("_size").is_null()
                                         | (pl.col("_size") > 1_000_000)),
                    "size_workers", "must be a whole number from 0 to 1,000,000",
                    "ត្រូវតែជាចំនួនគត់ពី ០ ដល់ ១,០០០,០០០"),
        rules.check(pl.col("enterprise_key").is_not_null()
                    & (pl.int_range(pl.len()).over("enterprise_key") > 0), "enterprise_key",
                    "appears more than once in the file", "មានច្រើនជាងម្តងក្នុងឯកសារ"),
    ]
    if actor.scope:
        checks.append(rules.outside_scope_check(actor.scope))
    for f in _ENTERPRISE_UNIQUE:
        checks.append(rules.check(pl.col(f).is_not_null()
                                  & (pl.int_range(pl.len()).over(f) > 0), f,
                                  "is given for another enterprise earlier in the file",
                                  "ជារបស់សហគ្រាសមួយទៀតក្នុងឯកសារ"))
    frame = rules.add_errors(frame, checks)
    S = pl.String
    existing = store.fetch(
        "SELECT external_key, id, name_latin, name_km, nssf_employer_number, "
        "moc_registration_number, tax_id, village_code, sector, size_workers FROM enterprise "
        "WHERE external_key {match}", frame["enterprise_key"].drop_nulls().unique().to_list(),
        {"enterprise_key": S, "_id": pl.Int64, "_db_name_latin": S, "_db_name_km": S,
         "_db_nssf_employer_number": S, "_db_moc_registration_number": S, "_db_tax_id": S,
         "_db_village_code": S, "_db_sector": S, "_db_size_workers": pl.Int64}, unique=True)
    frame = frame.join(existing, on="enterprise_key", how="left", maintain_order="left")
    ok = pl.col(rules.ERRORS).list.len() == 0
    exists = pl.col("_id").is_not_null()
    for f in _ENTERPRISE_UNIQUE:
        owners = store.fetch(f"SELECT {f}, id FROM enterprise WHERE {f} {{match}}",
                             frame[f].drop_nulls().unique().to_list(),
                             {f: S, f"_owner_{f}": pl.Int64}, unique=True)
        frame = frame.join(owners, on=f, how="left", maintain_order="left")
    # a number another enterprise holds, for a new enterprise or a stored one without a number
    # of that kind: held for a reviewer, in the same words wherever the holder is (issue 12 #9)
    frame = frame.with_columns(**{
        f"_held_{f}": (pl.col(f"_owner_{f}").is_not_null()
                       & ~pl.col(f"_owner_{f}").eq_missing(pl.col("_id"))
                       & (~exists | pl.col(f"_db_{f}").is_null()))
        for f in _ENTERPRISE_UNIQUE})
    mine = {"name_latin": pl.col("name_latin"), "name_km": pl.col("name_km"),
            **{f: pl.when(~pl.col(f"_held_{f}")).then(pl.col(f)) for f in _ENTERPRISE_UNIQUE},
            "village_code": pl.col("village_code"),
            "sector": pl.col("_sector"), "size_workers": pl.col("_size")}
    checks = [rules.check(ok & exists & ~expr.eq_missing(pl.col(f"_db_{f}")), f, *DIFFERENT)
              for f, expr in mine.items()]
    frame = _with_notices(rules.add_errors(frame, checks), list(_ENTERPRISE_UNIQUE))
    ok = pl.col(rules.ERRORS).list.len() == 0
    unchanged = frame.filter(ok & exists)
    new = frame.filter(ok & ~exists)
    ids = store.allocate_ids(enterprise, new.height)
    held = pl.concat([new.with_columns(ids.alias("_eid")),
                      unchanged.with_columns(pl.col("_id").alias("_eid"))],
                     how="vertical_relaxed").filter(pl.col(NOTICES).list.len() > 0)
    new = new.with_columns(**{f: pl.when(~pl.col(f"_held_{f}")).then(pl.col(f))
                              for f in _ENTERPRISE_UNIQUE})
    if new.height:
        now = utcnow()
        ts = store.timestamp_value(enterprise, "created_at", now)
        rows = new.select(
            ids.alias("id"), pl.col("enterprise_key").alias("external_key"), "name_latin",
            "name_km", "nssf_employer_number", "moc_registration_number", "tax_id",
            "village_code", pl.col("_sector").alias("sector"),
            pl.col("_size").alias("size_workers"),
            pl.col("village_code").str.slice(0, 6).alias("commune_code"),
            pl.col("village_code").str.slice(0, 4).alias("district_code"),
            pl.col("village_code").str.slice(0, 2).alias("province_code"),
        )
        store.insert(enterprise, rows.with_columns(
            pl.lit("active").alias("status"), pl.lit(1).alias("version"),
            pl.lit(ts).alias("created_at"), pl.lit(actor.username).alias("created_by"),
            pl.lit(ts).alias("updated_at"), pl.lit(actor.username).alias("updated_by")))
        log_ts = store.timestamp_value(change_log, "changed_at", now)
        changes = _created_json("name_latin", "name_km", "nssf_employer_number",
                                "moc_registration_number", "tax_id", "village_code", "sector",
                                "size_workers")
        log = rows.select(
            pl.lit("enterprise").alias("entity_type"), pl.col("id").alias("entity_id"),
            pl.lit(1).alias("version"), pl.lit("import").alias("action"),
            pl.lit(log_ts).alias("changed_at"), pl.lit(actor.username).alias("changed_by"),
            pl.lit(reason).alias("reason"), changes.alias("changes"))
        store.insert(change_log, log)
        _chain_log(store.conn, log, now, reason)
    _file_enterprise_numbers(ctx, conn, held, actor, reason)
    return _ChunkResult(frame.height, _report(frame), people=new.height,
                        unchanged=unchanged.height, held=held.height)


def _file_enterprise_numbers(ctx: AppContext, conn: Connection, held: pl.DataFrame,
                             actor: Actor, reason: str) -> None:
    """The enterprise numbers held back, as one request each enterprise (as
    ``EnterpriseUseCases._file_enterprise_numbers`` files for one); none for a stored
    enterprise that has one pending already."""
    if held.height == 0:
        return
    waiting = pending_among(conn, ENTERPRISE_NUMBERS, "enterprise",
                            held.filter(pl.col("_id").is_not_null())["_id"].to_list())
    held = held.filter(~pl.col("_eid").is_in(list(waiting)))
    fields = sorted(_ENTERPRISE_UNIQUE)
    names = pl.concat_str([pl.when(pl.col(f"_held_{f}")).then(pl.lit(f'"{f}"')) for f in fields],
                          separator=",", ignore_nulls=True)
    secret = _created_json(*[pl.when(pl.col(f"_held_{f}")).then(pl.col(f)).alias(f)
                             for f in fields])
    parts = held.select(
        pl.col("_eid"), pl.col("village_code"),
        pl.concat_str([pl.lit('{"enterprise_id":'), pl.col("_eid"), pl.lit(',"fields":['),
                       names, pl.lit("]}")]).alias("payload"),
        secret.alias("secret"))
    file_requests(ctx, conn, kind=ENTERPRISE_NUMBERS, maker=actor, reason=reason,
                  filing=Filing("enterprise", parts["_eid"].to_list(),
                                parts["village_code"].to_list(), parts["payload"].to_list(),
                                parts["secret"].to_list()))
