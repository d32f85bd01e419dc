"""Top-level operations commands: database migrations, demo data, the web server, settings."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from spmis.config import Settings, get_settings

if TYPE_CHECKING:
    from spmis.context import AppContext

app = typer.Typer()
db_app = typer.Typer(help="Database schema migrations.")
app.add_typer(db_app, name="db")
console = Console()

WORKER_HEALTHCHECK_SECONDS = 60
DEMO_HOUSEHOLDS = 300
DEMO_SEED = 20261122


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database named by SPMIS_DATABASE_URL up to REVISION (default: newest)."""
    from spmis.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    console.print(f"database migrated to {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the migration the database is at."""
    from spmis.db.engine import make_engine
    from spmis.db.migrate import current_revision, head_revision

    engine = make_engine(get_settings().database_url)
    console.print(f"current: {current_revision(engine)}  newest: {head_revision()}")


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="only when no household exists")
    ] = False,
    households: Annotated[int, typer.Option(min=1, max=100_000)] = DEMO_HOUSEHOLDS,
    seed: int = DEMO_SEED,
) -> None:
    """Load a synthetic demo population (from ``spmis synth``) into the database."""
    from spmis.context import AppContext

    ctx = AppContext.create(get_settings())
    try:
        load_demo(ctx, if_empty, households, seed)
    finally:
        ctx.engine.dispose()


@app.command("demo-accounts")
def demo_accounts() -> None:
    """Development only: one demo staff account per role (the registrar in the district with
    the most households), all with the demo password, which is printed and shown on the
    sign-in page."""
    from spmis.auth.demo import ensure_demo_accounts
    from spmis.context import AppContext

    ctx = AppContext.create(get_settings())
    try:
        done = ensure_demo_accounts(ctx, busiest_district(ctx))
    finally:
        ctx.engine.dispose()
    if done is None:
        console.print("not in development: no demo account is created")
        return
    password, created = done
    console.print(f"demo accounts, one per role ({len(created)} created), listed on /login")
    console.print(f"password of each: {password}")


def busiest_district(ctx: AppContext) -> str:
    """The district with the most households (Chamkar Mon, 1201, in an empty registry)."""
    from sqlalchemy import func, select

    from spmis.registry import queries

    h = queries.households()
    with ctx.engine.connect() as conn:
        code = conn.execute(
            select(h.c.district_code).group_by(h.c.district_code)
            .order_by(func.count().desc(), h.c.district_code).limit(1)).scalar()
    return code or "1201"


def load_demo(ctx: AppContext, if_empty: bool, households: int, seed: int) -> None:
    """Load ``households`` synthetic households (seed ``seed``) into ``ctx``'s registry
    (nothing when ``if_empty`` and the registry has households); tests and benchmarks use it."""
    from sqlalchemy import func, select

    from spmis.auth.model import SYSTEM
    from spmis.registry import queries
    from spmis.registry.importer import import_enterprises, import_households
    from spmis.synth.generator import generate

    with ctx.engine.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(queries.households())).scalar_one()
    if if_empty and existing:
        console.print(f"demo data not loaded: the registry already holds {existing} households")
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(households=households, seed=seed, out_dir=Path(tmp), duplicate_share=0.0)
        # employers first: formal workers refer to them by enterprise_key
        import_enterprises(ctx, Path(tmp) / "enterprises.csv", SYSTEM,
                           reject_path=Path(tmp) / "enterprise-rejects.csv", progress=False)
        summary = import_households(
            ctx,
            Path(tmp) / "households.csv",
            SYSTEM,
            reject_path=Path(tmp) / "rejects.csv",
            progress=False,
        )
    console.print(f"demo data loaded: {summary}")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="worker processes (default: SPMIS_WORKERS, 1)")] = None,
    reload: bool = False,
) -> None:
    """Serve the API and pages (uvicorn; several worker processes with --workers N).

    Background jobs are not run here: start ``spmis worker`` as its own process (service)."""
    import uvicorn

    from spmis.logs import log_config

    settings = get_settings()  # fail fast on unsafe settings, before the server starts
    count = workers or settings.workers
    if reload and count > 1:
        raise typer.BadParameter("--reload serves with one process; leave out --workers")
    proxies = settings.forwarded_allow_ips.strip()
    with _metrics_folder(count):
        uvicorn.run(
            "spmis.main:app", host=host, port=port, reload=reload,
            workers=count if count > 1 else None,
            proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
            log_config=log_config(settings.effective_log_format), access_log=False,
            timeout_graceful_shutdown=30, server_header=False,
            # a worker starting on a busy machine takes more than uvicorn's 5 s to answer the
            # supervisor's ping (importing the rules engine alone takes seconds): it would be
            # killed and started again, over and over
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )


@contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    """With several workers, a fresh private folder for prometheus-client's multiprocess mode
    (``PROMETHEUS_MULTIPROC_DIR``, inherited by the workers), removed when the server stops.
    One the operator set is emptied first: files of an earlier run would be added in."""
    from spmis.metrics import MULTIPROC_ENV

    if workers == 1 and not os.environ.get(MULTIPROC_ENV):
        yield
        return
    given = os.environ.get(MULTIPROC_ENV)
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="spmis-metrics-"))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(folder, ignore_errors=True)


@app.command("backup")
def backup_command(
    dump: Annotated[Path, typer.Argument(help="the backup file to write (must not exist)")],
    keys_out: Annotated[Path, typer.Option(
        "--keys-out", help="where to write the keys that read it: a file in ANOTHER folder, "
                           "owner-only (must not exist)")],
) -> None:
    """Back up the database (PostgreSQL: pg_dump custom format; SQLite: online backup) and,
    apart from it, the keys that read its encrypted identifiers."""
    from spmis.backup import BackupError, backup

    try:
        result = backup(get_settings(), dump, keys_out)
    except BackupError as exc:
        console.print(f"[red]backup failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"{result.engine} backup written: {result.dump} ({result.bytes:,} bytes)")
    console.print(f"keys written apart: {result.keys} (owner-only); keep it in the secret store, "
                  "away from the backups")


@app.command("restore")
def restore_command(
    dump: Annotated[Path, typer.Argument(help="a file written by `spmis backup`")],
    force: Annotated[bool, typer.Option(
        "--force", help="replace the tables of a database that is not empty")] = False,
) -> None:
    """Restore a backup into the database named by SPMIS_DATABASE_URL (an empty one, unless
    --force). Stop the servers and workers first. Set SPMIS_ENCRYPTION_KEYS and
    SPMIS_BLIND_INDEX_KEY from the backup's keys file to read it."""
    from spmis.backup import BackupError, restore

    try:
        kind = restore(get_settings().database_url, dump, force=force)
    except BackupError as exc:
        console.print(f"[red]restore refused:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"{kind} backup restored from {dump}; run `spmis db upgrade` if this release "
                  "is newer than the backup")


@app.command("settings")
def show_settings() -> None:
    """List every setting with its default and help text."""
    table = Table("setting", "default", "help")
    for name, field in Settings.model_fields.items():
        table.add_row(f"SPMIS_{name.upper()}", repr(field.default), field.description or "")
    console.print(table)
