"""``spmis link``: record linkage from the command line.

``spmis link dedupe INPUT.csv --id-column ID --column given_name=FIRST ... --out OUTPUT.csv``
finds the rows of any CSV that are the same person, with no labels, and writes
``record_id,cluster_id`` for every input row (rows of one person share the cluster_id, which is
the record_id of one of them), sorted by record_id. The trained model is saved next to the
output (``OUTPUT.model.json``) so the run can be repeated exactly with ``--model``.

The registry commands (``registry-dedupe``, ``match``, ``coverage-gap``) come from
``spmis.linkage.registry_cli`` and are added to the same group.

Bad input ends with the option or column and the reason, in English and Khmer, exit status 2,
no traceback: a missing file or column, an empty file, an unknown role, duplicate or empty ids,
a date column that cannot be read. Values that cannot be read in an otherwise good column
(a date such as 1990-02-30) are counted, reported and treated as unknown.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console

from spmis.errors import FieldError, InvalidInput
from spmis.formula_guard import copy_csv
from spmis.linkage.prepare import PrepareReport
from spmis.linkage.roles import ROLES, ColumnMapping, parse_column_options

__all__ = ["app"]

app = typer.Typer(
    help="Record linkage: find the records that are the same person (Splink, no labels).",
    no_args_is_help=True,
)
console = Console(stderr=True)

#: above this share of unreadable non-empty values, a column is taken to be the wrong column
UNREADABLE_MAX_SHARE = 0.5

_ROLES_HELP = "ROLE=COLUMN, repeatable. Roles: " + "; ".join(f"{k} ({v})" for k, v in ROLES.items())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _input_error(code: str, msg: str, msg_km: str, loc: str = "INPUT") -> InvalidInput:
    return InvalidInput([FieldError((loc,), code, msg, msg_km)])


def load_input(con: duckdb.DuckDBPyConnection, path: Path, mapping: ColumnMapping) -> int:
    """Create view ``__spmis_cli_source`` (record_id + role columns) over the CSV at ``path``
    and check it; returns the number of rows. Raises ``InvalidInput`` naming the problem."""
    if not path.is_file():
        raise _input_error("not_found", f"file {str(path)!r} does not exist",
                           f"រកមិនឃើញឯកសារ {str(path)!r}")
    if path.stat().st_size == 0:
        raise _input_error("empty", f"file {str(path)!r} is empty", f"ឯកសារ {str(path)!r} ទទេ")
    reader = (f"read_csv({_sql_str(str(path))}, all_varchar = true, header = true, "
              f"auto_detect = true)")
    try:
        header = [r[0] for r in con.execute(f"describe select * from {reader}").fetchall()]
        con.execute(f"create or replace temp table __spmis_cli_raw as select * from {reader}")
    except duckdb.Error as exc:
        reason = str(exc).strip().splitlines()[0]
        raise _input_error("unreadable", f"cannot read {str(path)!r} as CSV: {reason}",
                           f"មិនអាចអានឯកសារ {str(path)!r} ជា CSV បានទេ") from None
    mapping.check_against(header)
    rows = _scalar(con, "select count(*) from __spmis_cli_raw")
    if rows == 0:
        raise _input_error("empty", f"file {str(path)!r} has a header but no data rows",
                           f"ឯកសារ {str(path)!r} គ្មានជួរទិន្នន័យទេ")
    idc = _quote(mapping.id_column)
    blank = _scalar(con, f"select count(*) from __spmis_cli_raw where nullif(trim({idc}), '') "
                         f"is null")
    if blank:
        raise _input_error(
            "missing_id", f"{blank} row(s) have no value in id column {mapping.id_column!r}",
            f"ជួរ {blank} គ្មានលេខសម្គាល់ក្នុងជួរឈរ {mapping.id_column!r}", "--id-column")
    dups = con.execute(
        f"select trim({idc}) as id, count(*) as n from __spmis_cli_raw group by 1 "
        f"having count(*) > 1 order by n desc, id limit 3").fetchall()
    if dups:
        n_dup = _scalar(con, f"select count(*) from (select trim({idc}) from __spmis_cli_raw "
                             f"group by 1 having count(*) > 1)")
        examples = ", ".join(f"{i!r} ({n} rows)" for i, n in dups)
        raise _input_error(
            "duplicate_id",
            f"id column {mapping.id_column!r} is not unique: {n_dup} id(s) repeat, "
            f"e.g. {examples}",
            f"ជួរឈរលេខសម្គាល់ {mapping.id_column!r} មានលេខស្ទួន {n_dup}", "--id-column")
    cols = [f"trim({idc}) as record_id"] + [
        f"nullif(trim({_quote(col)}), '') as {role}" for role, col in mapping.roles.items()]
    con.execute(f"create or replace temp view __spmis_cli_source as "
                f"select {', '.join(cols)} from __spmis_cli_raw")
    return rows


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _check_unreadable(
    con: duckdb.DuckDBPyConnection, mapping: ColumnMapping, report: PrepareReport
) -> None:
    """A column where most values cannot be read is the wrong column: stop. Otherwise report."""
    for role, bad in report.unreadable.items():
        column = mapping.roles[role]
        filled = _scalar(con, f"select count({role}) from __spmis_cli_source")
        sample = ", ".join(repr(e) for e in report.examples.get(role, []))
        if filled and bad / filled > UNREADABLE_MAX_SHARE:
            raise InvalidInput([FieldError(
                ("--column", role), "unreadable_values",
                f"{bad} of {filled} values in column {column!r} ({role}) cannot be read, "
                f"e.g. {sample}: is it the right column?",
                f"តម្លៃ {bad} ក្នុងចំណោម {filled} ក្នុងជួរឈរ {column!r} មិនអាចអានបានទេ")])
        console.print(
            f"[yellow]warning:[/yellow] {role}: {bad} value(s) in column {column!r} could not be "
            f"read (e.g. {sample}) and were treated as unknown\n"
            f"         តម្លៃ {bad} ក្នុងជួរឈរ {column!r} មិនអាចអានបាន ហើយត្រូវបានចាត់ទុកថាមិនស្គាល់")


def _load_model(path: Path, roles: set[str]) -> dict[str, Any]:
    from spmis.linkage.comparisons import comparisons

    try:
        model = json.loads(path.read_text(encoding="utf-8"))
        names = [c["output_column_name"] for c in model["comparisons"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _input_error("bad_model", f"cannot read model {str(path)!r}: {exc}",
                           f"មិនអាចអានម៉ូដែល {str(path)!r} បានទេ", "--model") from None
    expected = [c.get_comparison("duckdb").output_column_name for c in comparisons(roles)]
    if names != expected:
        raise _input_error(
            "model_roles",
            f"model {str(path)!r} compares {names}, but the mapped roles give {expected}: "
            "map the same roles as the run that trained it",
            "ម៉ូដែលមិនត្រូវនឹងតួនាទីដែលបានកំណត់ទេ", "--model")
    return dict(model)


def _fail(exc: InvalidInput) -> typer.Exit:
    for err in exc.errors or []:
        console.print(f"[red]error:[/red] {err.field}: {err.msg}\n       {err.msg_km}",
                      highlight=False)
    return typer.Exit(2)


@app.command("dedupe")
def dedupe(
    input_csv: Annotated[Path, typer.Argument(metavar="INPUT.csv", help="the list to deduplicate")],
    id_column: Annotated[str, typer.Option("--id-column", help="column with a unique row id")],
    column: Annotated[list[str], typer.Option("--column", "-c", help=_ROLES_HELP)],
    out: Annotated[Path, typer.Option("--out", help="output CSV: record_id,cluster_id")],
    threshold: Annotated[float, typer.Option(
        "--threshold", min=0.01, max=0.999999,
        help="match probability at or above which two rows are the same person (from 0.5, "
             "two rows that are each other's most probable partner are too)")] = 0.8,
    model: Annotated[Path | None, typer.Option(
        "--model", help="use this saved model instead of training (OUTPUT.model.json of a "
                        "previous run with the same roles)")] = None,
    model_out: Annotated[Path | None, typer.Option(
        "--model-out", help="where to save the trained model (default OUTPUT.model.json)")] = None,
    pairs_out: Annotated[Path | None, typer.Option(
        "--pairs-out", help="also write scored pairs with probability >= 0.5 (for review)")] = None,
    memory_limit: Annotated[str, typer.Option(
        "--memory-limit", help="DuckDB memory limit; it spills to disk beyond it")] = "3GB",
) -> None:
    """Find the rows of INPUT.csv that are the same person and write record_id,cluster_id."""
    from spmis.linkage.engine import LinkageOptions, connect
    from spmis.linkage.engine import dedupe as run_dedupe

    t0 = time.perf_counter()
    try:
        mapping = parse_column_options(id_column, column)
        roles = set(mapping.roles)
        saved = _load_model(model, roles) if model is not None else None
        con = connect(memory_limit=memory_limit)
        rows = load_input(con, input_csv, mapping)
        with console.status("linking...") as status:
            result = run_dedupe(
                con, "__spmis_cli_source", roles, LinkageOptions(threshold=threshold),
                model=saved, progress=lambda msg: status.update(msg),
                check=lambda report: _check_unreadable(con, mapping, report))
    except InvalidInput as exc:
        raise _fail(exc) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    copy_csv(con, f"select record_id, cluster_id from {result.clusters}", out,
             order_by="__q.record_id")
    model_path = model_out or out.with_name(out.stem + ".model.json")
    model_path.write_text(json.dumps(result.model, indent=2, ensure_ascii=False),
                          encoding="utf-8")
    if pairs_out is not None:
        copy_csv(con, result.pairs, pairs_out,
                 order_by="__q.match_probability desc, __q.record_id_l, __q.record_id_r")
    in_groups = _scalar(con, f"select count(*) from (select cluster_id from {result.clusters} "
                             f"group by 1 having count(*) > 1)")
    console.print(
        f"{rows:,} rows, {result.pairs_scored:,} pairs scored, {result.clusters_count:,} people "
        f"({rows - result.clusters_count:,} duplicate rows in {in_groups:,} groups) in "
        f"{time.perf_counter() - t0:.1f} s\n"
        f"written: {out} and the model {model_path}", highlight=False)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


def _add_registry_commands() -> None:
    """The registry commands share the ``link`` group when their module is present."""
    try:
        from spmis.linkage import registry_cli
    except ImportError:  # pragma: no cover - the registry part is optional for this CLI
        return
    registry_cli.register(app)


_add_registry_commands()
