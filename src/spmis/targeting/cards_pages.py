"""The public verification page of an equity card (no login, Khmer first, phone-sized): what a
card's QR code opens, or a number typed in. It says whether the card is valid today, its level,
its dates and its commune, nothing else about the household; like every public route it is
rate limited per address, and card numbers are random, so it cannot be walked through."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.db.base import utcnow
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx
from spmis.pagekit.templating import render
from spmis.targeting.cards import CardService
from spmis.targeting.review_model import card_state, normalise_card_number
from spmis.targeting.review_pages import CARD_STATE_LABELS, LEVEL_LABELS

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/cards/verify", response_class=HTMLResponse)
async def verify(request: Request, n: str | None = None) -> Response:
    """The form to type a card number, and (``?n=``) what the card is."""
    context: dict[str, object] = {"number": "", "card": None, "state": None, "asked": False,
                                  "level_labels": LEVEL_LABELS,
                                  "state_labels": CARD_STATE_LABELS}
    status = 200
    if n is not None and n.strip():
        number = normalise_card_number(n[:64])
        card = await run_in_threadpool(CardService(app_ctx(request)).verify, number)
        context.update(number=number, card=card, asked=True,
                       state=card_state(card, utcnow().date()) if card else None)
        status = 200 if card else 404
    response = render(request, "public/card_verify.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
