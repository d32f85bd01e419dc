"""``spmis import households|enterprises FILE`` and ``spmis export households|enterprises``."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer()
import_app = typer.Typer(help="Bulk import of registry files (CSV or XLSX).",
                         no_args_is_help=True)
export_app = typer.Typer(help="Export the registry in the import format (CSV or XLSX).",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
console = Console()
err_console = Console(stderr=True)

ScopeOption = Annotated[str, typer.Option(
    "--scope", help="limit to an area code prefix (2/4/6 digits), as a registrar's scope")]


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(2)


def _actor(scope: str):  # type: ignore[no-untyped-def]
    from spmis.auth.model import Actor

    try:
        return Actor(f"cli:{getpass.getuser()}", frozenset({"admin"}), scope)
    except ValueError as exc:
        raise _fail(f"--scope: {exc}") from None


def _ctx():  # type: ignore[no-untyped-def]
    from spmis.config import get_settings
    from spmis.context import AppContext

    return AppContext.create(get_settings())


def _run_import(kind: str, file: Path, rejects: Path | None, progress: bool, scope: str) -> None:
    from spmis.registry.fileformat import (
        ENTERPRISE_COLUMNS,
        ENTERPRISE_REQUIRED,
        HOUSEHOLD_COLUMNS,
        HOUSEHOLD_REQUIRED,
        FileFormatError,
        check_columns,
        check_suffix,
        read_header,
    )
    from spmis.registry.importer import import_enterprises, import_households

    required, known = ((HOUSEHOLD_REQUIRED, HOUSEHOLD_COLUMNS) if kind == "households"
                       else (ENTERPRISE_REQUIRED, ENTERPRISE_COLUMNS))
    try:  # refuse a bad file before touching settings or the database
        check_suffix(file)
        if not file.is_file():
            raise FileFormatError(f"FILE: {file} does not exist")
        check_columns(read_header(file), required, known, file.name)
    except FileFormatError as exc:
        raise _fail(str(exc)) from None
    actor = _actor(scope)
    run = import_households if kind == "households" else import_enterprises
    try:
        summary = run(_ctx(), file, actor, reject_path=rejects, progress=progress)
    except FileFormatError as exc:
        raise _fail(str(exc)) from None
    console.print(str(summary), soft_wrap=True)


@import_app.command("households")
def import_households_cmd(
    file: Annotated[Path, typer.Argument(help="households file, .csv or .xlsx")],
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="reject file (default: FILE's name with .rejects.csv)")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    scope: ScopeOption = "",
) -> None:
    """Import households and their members, one row per person (docs/import-format.md).
    Good households are committed, bad rows go to the reject file with the field and the
    reason; importing the same file again changes nothing."""
    _run_import("households", file, rejects, progress, scope)


@import_app.command("enterprises")
def import_enterprises_cmd(
    file: Annotated[Path, typer.Argument(help="enterprises file, .csv or .xlsx")],
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="reject file (default: FILE's name with .rejects.csv)")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    scope: ScopeOption = "",
) -> None:
    """Import enterprises (before the households whose workers refer to them)."""
    _run_import("enterprises", file, rejects, progress, scope)


def _export_target(out: Path) -> None:
    from spmis.registry.fileformat import FileFormatError, check_suffix

    try:
        check_suffix(out)
    except FileFormatError as exc:
        raise _fail(f"--out: {exc}") from None


@export_app.command("households")
def export_households_cmd(
    out: Annotated[Path, typer.Option("--out", help="file to write, .csv or .xlsx")],
    area: Annotated[str | None, typer.Option(
        "--area", help="only this province, district, commune or village code")] = None,
    include_identifiers: Annotated[bool, typer.Option(
        "--include-identifiers",
        help="write national ID and phone in clear (they are stored encrypted); without it "
             "those columns are left empty")] = False,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="why identifiers are exported in clear (required with "
                         "--include-identifiers; every person written is logged)")] = None,
    scope: ScopeOption = "",
) -> None:
    """Export households and their members in the import format, streaming."""
    from spmis.errors import InvalidInput, StorageFull
    from spmis.registry.exporter import export_households

    _export_target(out)
    try:
        summary = export_households(_ctx(), out, _actor(scope), area=area,
                                    include_identifiers=include_identifiers, reason=reason)
    except InvalidInput as exc:
        raise _fail(f"--{exc.errors[0].field}: {exc.errors[0].msg}") from None
    except StorageFull as exc:
        raise _fail(exc.msg) from None
    console.print(str(summary), soft_wrap=True)


@export_app.command("enterprises")
def export_enterprises_cmd(
    out: Annotated[Path, typer.Option("--out", help="file to write, .csv or .xlsx")],
    area: Annotated[str | None, typer.Option(
        "--area", help="only this province, district, commune or village code")] = None,
    scope: ScopeOption = "",
) -> None:
    """Export enterprises in the import format."""
    from spmis.errors import InvalidInput, StorageFull
    from spmis.registry.exporter import export_enterprises

    _export_target(out)
    try:
        summary = export_enterprises(_ctx(), out, _actor(scope), area=area)
    except InvalidInput as exc:
        raise _fail(f"--area: {exc.errors[0].msg}") from None
    except StorageFull as exc:
        raise _fail(exc.msg) from None
    console.print(str(summary), soft_wrap=True)
