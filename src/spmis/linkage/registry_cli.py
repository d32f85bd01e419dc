"""``spmis link`` commands that work on the registry:

- ``registry-dedupe``: a deduplication run (schedule it, e.g. nightly, or run it on demand);
- ``match LIST.csv``: link an external list to the registry, one output line per input row;
- ``coverage-gap --members MEMBERS.csv``: workers in the registry who are not fund members.

``register(app)`` adds them to any Typer app (the ``link`` group of the engine's CLI); ``app`` is
a group of its own for when that CLI is not mounted. Bad input (missing file or column, empty
file, unknown role) ends with the field and reason in English and Khmer, exit status 2.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from spmis.auth.model import Actor
    from spmis.context import AppContext
    from spmis.errors import InvalidInput

app = typer.Typer(help="Record linkage on the registry: deduplication, list matching, "
                       "coverage gap.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

ColumnOpt = Annotated[list[str], typer.Option(
    "--column", "-c", help="ROLE=COLUMN, repeatable; roles: given_name, family_name, full_name, "
                           "family_name_km, given_name_km (Khmer beside Latin), "
                           "date_of_birth, sex, phone, id_number, village_code")]
IdColumnOpt = Annotated[str | None, typer.Option(
    "--id-column", help="column identifying a row in the output (default: the row number)")]
ThresholdOpt = Annotated[float, typer.Option(
    "--threshold", min=0.01, max=1.0, help="match probability at or above which rows match")]
ScopeOpt = Annotated[str, typer.Option(
    "--scope", help="limit to an area code prefix (2/4/6 digits)")]
MemoryOpt = Annotated[str, typer.Option("--memory-limit", help="DuckDB memory limit, e.g. 2GB")]


def _ctx() -> AppContext:
    from spmis.config import get_settings
    from spmis.context import AppContext

    return AppContext.create(get_settings())


def _actor(scope: str) -> Actor:
    from spmis.auth.model import Actor

    try:
        return Actor(f"cli:{getpass.getuser()}", frozenset({"admin"}), scope)
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] --scope: {exc}")
        raise typer.Exit(2) from None


def _invalid(exc: InvalidInput) -> typer.Exit:
    for e in exc.errors:
        err_console.print(f"[red]error:[/red] {e.field}: {e.msg}\n       {e.msg_km}",
                          highlight=False)
    return typer.Exit(2)


def _id_type(value: str) -> object:
    from spmis.registry.model import IdentifierType

    try:
        return IdentifierType(value)
    except ValueError:
        err_console.print(f"[red]error:[/red] --id-type: {value!r} is not one of "
                          f"{', '.join(t.value for t in IdentifierType)}")
        raise typer.Exit(2) from None


def registry_dedupe(
    auto_merge_threshold: Annotated[float | None, typer.Option(
        max=1.0, help="merge automatically at or above this probability (default and lowest "
                      "allowed: the setting SPMIS_LINKAGE_AUTO_MERGE_FLOOR)")] = None,
    review_threshold: Annotated[float, typer.Option(
        min=0.01, max=1.0, help="queue for clerical review at or above this probability")] = 0.8,
    scope: ScopeOpt = "",
    memory_limit: MemoryOpt = "2GB",
    background: Annotated[bool, typer.Option(
        "--background", help="queue it as a background job for `spmis worker` and return")] = False,
) -> None:
    """Find duplicate people in the registry: merge the sure ones, queue the uncertain ones."""
    from spmis.errors import InvalidInput
    from spmis.linkage.registry_dedupe import run_registry_dedupe

    if background:
        _queue_dedupe(scope, auto_merge_threshold, review_threshold, memory_limit)
        return

    try:
        s = run_registry_dedupe(_ctx(), _actor(scope), auto_merge_threshold=auto_merge_threshold,
                                review_threshold=review_threshold, memory_limit=memory_limit,
                                progress=lambda m: err_console.print(f"… {m}", style="dim"))
    except InvalidInput as exc:
        raise _invalid(exc) from None
    table = Table(title=f"deduplication run {s.run_id}")
    for name in ("people", "pairs scored", "candidates", "merged automatically",
                 "queued for review", "blocked by a conflicting identifier", "seconds"):
        table.add_column(name, justify="right")
    table.add_row(*map(str, (s.records, s.pairs_scored, s.candidates, s.auto_merged, s.queued,
                             s.blocked, f"{s.seconds:.1f}")))
    console.print(table)
    for note in s.notes:
        console.print(f"note: {note}")


def _queue_dedupe(scope: str, auto_merge_threshold: float | None, review_threshold: float,
                  memory_limit: str) -> None:
    from spmis.errors import InvalidInput
    from spmis.jobs import JobService
    from spmis.linkage.dedupe_job import KIND, check_parameters

    ctx = _ctx()
    try:
        job = JobService(ctx).submit(_actor(scope), KIND, check_parameters({
            "auto_merge_threshold": auto_merge_threshold, "review_threshold": review_threshold,
            "memory_limit": memory_limit}), check_roles=False)
    except InvalidInput as exc:
        raise _invalid(exc) from None
    finally:
        ctx.engine.dispose()
    console.print(f"job {job.id} queued: `spmis jobs show {job.id}` or /office/jobs/{job.id}")


def match(
    list_file: Annotated[Path, typer.Argument(metavar="LIST.csv", help="the list to link")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output CSV")],
    column: ColumnOpt,
    id_column: IdColumnOpt = None,
    id_type: Annotated[str, typer.Option(
        help="registry identifier the id_number column holds")] = "national_id",
    level: Annotated[str, typer.Option(help="person or household")] = "person",
    threshold: ThresholdOpt = 0.9,
    scope: ScopeOpt = "",
    memory_limit: MemoryOpt = "2GB",
) -> None:
    """Link an external list to the registry: for each row the matched person or household,
    the match probability and the reason; then a summary."""
    from spmis.errors import InvalidInput
    from spmis.linkage.match import match_list, parse_mapping

    try:
        mapping = parse_mapping(id_column, column)
        s = match_list(_ctx(), list_file, mapping, _actor(scope), out,
                       id_type=_id_type(id_type), level=level,  # type: ignore[arg-type]
                       threshold=threshold, memory_limit=memory_limit,
                       progress=lambda m: err_console.print(f"… {m}", style="dim"))
    except InvalidInput as exc:
        raise _invalid(exc) from None
    table = Table(title=f"{list_file.name} linked to the registry ({s.level} level)")
    for name in ("rows", "matched", "ambiguous", "unmatched", "registry people", "seconds"):
        table.add_column(name, justify="right")
    table.add_row(*map(str, (s.rows, s.matched, s.ambiguous, s.unmatched, s.registry_people,
                             f"{s.seconds:.1f}")))
    console.print(table)
    for note in s.notes:
        console.print(f"note: {note}")
    console.print(f"written: {out}")


def coverage_gap(
    members: Annotated[Path, typer.Option("--members", help="the fund's member list (CSV)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output CSV")],
    column: ColumnOpt,
    id_column: IdColumnOpt = None,
    id_type: Annotated[str, typer.Option(
        help="registry identifier the id_number column holds")] = "nssf_member",
    threshold: ThresholdOpt = 0.9,
    scope: ScopeOpt = "",
    memory_limit: MemoryOpt = "2GB",
) -> None:
    """Registry workers (formal, informal, self-employed) who are not fund members, by
    province, sex and employment type."""
    from spmis.errors import InvalidInput
    from spmis.linkage.coverage import coverage_gap as run
    from spmis.linkage.match import parse_mapping

    try:
        mapping = parse_mapping(id_column, column)
        s = run(_ctx(), members, mapping, _actor(scope), out,
                id_type=_id_type(id_type),  # type: ignore[arg-type]
                threshold=threshold, memory_limit=memory_limit,
                progress=lambda m: err_console.print(f"… {m}", style="dim"))
    except InvalidInput as exc:
        raise _invalid(exc) from None
    table = Table(title="workers in the registry who are not fund members")
    for name in ("province", "sex", "employment type", "workers", "members", "not members"):
        table.add_column(name, justify="left" if name in ("province", "employment type",
                                                          "sex") else "right")
    for r in s.rows:
        table.add_row(f"{r['province_code']} {r['province_en'] or ''}", r["sex"],
                      r["employment_type"], str(r["workers"]), str(r["fund_members"]),
                      str(r["not_members"]))
    table.add_row("total", "", "", str(s.workers), str(s.workers - s.not_members),
                  str(s.not_members), style="bold")
    console.print(table)
    console.print(f"member rows: {s.member_rows}, matched to the registry: {s.members_matched}")
    for note in s.notes:
        console.print(f"note: {note}")
    console.print(f"written: {out}")


def register(target: typer.Typer) -> None:
    """Add these commands to ``target`` (e.g. the engine's ``link`` group)."""
    target.command("registry-dedupe")(registry_dedupe)
    target.command("match")(match)
    target.command("coverage-gap")(coverage_gap)


register(app)
