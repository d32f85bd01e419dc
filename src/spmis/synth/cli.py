"""``spmis synth``: write a synthetic population (see ``spmis.synth.generator``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer()
console = Console()


@app.command("synth")
def synth(
    households: Annotated[int, typer.Option("--households", min=1, max=5_000_000,
                                            help="number of households to generate")],
    out: Annotated[Path, typer.Option("--out", help="folder for the CSV files")],
    seed: Annotated[int, typer.Option("--seed", help="random seed (same seed, same files)")] = 1,
    duplicates: Annotated[float, typer.Option(
        "--duplicates", min=0.0, max=1.0,
        help="duplicate records as a share of the original people (0.15 = 15%)")] = 0.15,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="reference date YYYY-MM-DD for ages and pregnancies (default today)"
    )] = None,
) -> None:
    """Generate a synthetic Cambodian population: households.csv (import format),
    enterprises.csv, people.csv and truth.csv (duplicate ground truth) in OUT."""
    from spmis.synth.generator import generate

    ref: date | None = None
    if as_of is not None:
        try:
            ref = date.fromisoformat(as_of)
        except ValueError:
            console.print(f"[red]error:[/red] --as-of: '{as_of}' is not a date YYYY-MM-DD")
            raise typer.Exit(2) from None
    with console.status("generating..."):
        summary = generate(households=households, seed=seed, out_dir=out,
                           duplicate_share=duplicates, as_of=ref)
    console.print(str(summary), soft_wrap=True)
