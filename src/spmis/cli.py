"""The ``spmis`` command line: the platform's own commands (``spmis.ops_cli``: serve, demo, db)
and every capability's commands (``Capability.commands`` in the manifests), mounted here."""

from __future__ import annotations

import typer

from spmis.manifest import each, resolve

app = typer.Typer(
    help="SPMIS: Social Protection Management Information System", no_args_is_help=True
)


def _add(sub: typer.Typer, name: str | None) -> None:
    """Mount ``sub`` under ``name``, or merge its commands at the top level when None."""
    if name is None:
        app.registered_commands.extend(sub.registered_commands)
        app.registered_groups.extend(sub.registered_groups)
    else:
        app.add_typer(sub, name=name)


def _mount() -> None:
    _add(resolve("spmis.ops_cli:app"), None)
    for _cap, command in each("commands"):
        _add(resolve(command.target), command.name)


_mount()


def main() -> None:
    """Console-script entry point: unsafe settings end with a clear message, not a traceback."""
    from spmis.config import UnsafeSettingsError

    try:
        app()
    except UnsafeSettingsError as exc:
        typer.echo(f"spmis: {exc}", err=True)
        raise SystemExit(2) from exc
