"""The ``spmis`` command line. Each capability contributes a Typer sub-app; they are listed in
``SUBCOMMANDS`` (module path, attribute, command name) and mounted here. Top-level commands that
belong to no single capability (serve, demo) live in ``spmis.ops_cli``."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help="SPMIS: Social Protection Management Information System", no_args_is_help=True
)

#: (module, Typer attribute, command name); name None merges the module's commands at top level
SUBCOMMANDS: list[tuple[str, str, str | None]] = [
    ("spmis.ops_cli", "app", None),
    ("spmis.synth.cli", "app", None),
    ("spmis.registry.cli", "app", None),
    ("spmis.rules.cli", "app", "rules"),
    ("spmis.rules.cli", "simulate_app", None),
    ("spmis.auth.cli", "user_app", "user"),
    ("spmis.auth.cli", "client_app", "client"),
    ("spmis.auth.cli", "keys_app", "keys"),
    ("spmis.linkage.cli", "app", "link"),
    ("spmis.interop.cli", "app", "dci"),
]


def _mount() -> None:
    for module_name, attr, name in SUBCOMMANDS:
        sub = getattr(importlib.import_module(module_name), attr)
        if name is None:
            app.registered_commands.extend(sub.registered_commands)
            app.registered_groups.extend(sub.registered_groups)
        else:
            app.add_typer(sub, name=name)


_mount()


def main() -> None:
    """Console-script entry point: unsafe settings end with a clear message, not a traceback."""
    from spmis.config import UnsafeSettingsError

    try:
        app()
    except UnsafeSettingsError as exc:
        typer.echo(f"spmis: {exc}", err=True)
        raise SystemExit(2) from exc
