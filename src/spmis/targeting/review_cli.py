"""``spmis equity``: the commune lists of a round, issuing a round's equity cards now (what the
background job does), and checking a card number."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Community review and equity cards (IDPoor): lists, issuing, checking.",
                  no_args_is_help=True)
console = Console()


def _ctx():  # type: ignore[no-untyped-def]
    from spmis.config import get_settings
    from spmis.context import AppContext

    return AppContext.create(get_settings())


@app.command("lists")
def lists_cmd(round_id: Annotated[int, typer.Argument(help="the round's id")],
              area: Annotated[str, typer.Option(help="area code ('' for all)")] = "") -> None:
    """The commune lists of a round: status and households by level."""
    from spmis.auth.model import Actor
    from spmis.targeting.review import ReviewService

    ctx = _ctx()
    try:
        rows = ReviewService(ctx).summaries(Actor("system", frozenset({"admin"}), area),
                                            round_id)
    finally:
        ctx.engine.dispose()
    table = Table("list", "commune", "status", "households", "level 1", "level 2", "pending",
                  "cards")
    for s in rows:
        table.add_row(str(s.id), s.commune_code, s.status, str(s.households), str(s.level1),
                      str(s.level2), str(s.pending),
                      "" if s.cards_issued is None else str(s.cards_issued))
    console.print(table)


@app.command("issue")
def issue_cmd(round_id: Annotated[int, typer.Argument(help="the round's id")]) -> None:
    """Issue now the cards of every approved list of a round (each list in its own
    transaction; lists already issued are skipped)."""
    from spmis.db.uow import UnitOfWork
    from spmis.targeting.cards import issue_list
    from spmis.targeting.review import ReviewService

    ctx = _ctx()
    total = 0
    try:
        for list_id in ReviewService(ctx).approved_lists(round_id):
            with UnitOfWork(ctx.engine) as uow:
                issued = issue_list(ctx, uow.conn, list_id, "system")
                uow.commit()
            console.print(f"list {list_id}: {issued} cards")
            total += issued
    finally:
        ctx.engine.dispose()
    console.print(f"cards issued: {total}")


@app.command("check")
def check_cmd(number: Annotated[str, typer.Argument(help="a card number, as printed")]) -> None:
    """What the public verification page says of a card number."""
    from spmis.db.base import utcnow
    from spmis.targeting.cards import CardService
    from spmis.targeting.review_model import card_state

    ctx = _ctx()
    try:
        card = CardService(ctx).verify(number)
    finally:
        ctx.engine.dispose()
    if card is None:
        console.print("no equity card has this number")
        raise typer.Exit(1)
    console.print(f"{card.card_number}: {card_state(card, utcnow().date()).value}, level "
                  f"{card.level}, valid {card.valid_from} to {card.valid_to}, commune "
                  f"{card.commune_code}")
