"""The community review and equity cards over HTTP: the API's flow with its refusals (bad input
named by field, the maker not deciding their own change), the back-office pages and their
PDFs (the village posting list in Khmer, rasterised: not blank, Khmer shaped), and the public
check of a card, which says nothing about the household."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.jobs.worker import JobWorker
from spmis.targeting.review_store import targeting_list
from tests.integration.targeting_review.seed import COMMUNE, seed
from tests.pdf_check import assert_khmer_page


def test_review_over_the_api_and_pages(ctx: AppContext, auth_client,  # type: ignore[no-untyped-def]
                                       client: TestClient) -> None:
    seed(ctx.engine)
    clerk = auth_client("registrar", COMMUNE)
    approver = auth_client("approver", "12")
    started = clerk.post("/api/v1/targeting/lists", json={"round_id": 1,
                                                          "commune_code": COMMUNE})
    assert started.status_code == 201, started.text
    list_id = started.json()["id"]
    assert started.json()["households"] == 3
    bad = clerk.post(f"/api/v1/targeting/lists/{list_id}/changes",
                     json={"household_id": 6, "action": "add", "level": 3, "reason": "x"})
    assert bad.status_code == 422
    assert {tuple(e["loc"])[-1] for e in bad.json()["detail"]} >= {"level", "reason"}
    asked = clerk.post(f"/api/v1/targeting/lists/{list_id}/changes", json={
        "household_id": 6, "action": "add", "level": 1, "reason": "lost the house in a flood"})
    assert asked.status_code == 201, asked.text
    change = asked.json()["id"]
    assert clerk.post(f"/api/v1/targeting/changes/{change}/decision", json={
        "decision": "accept", "reason": "my own"}).status_code == 403
    decided = approver.post(f"/api/v1/targeting/changes/{change}/decision",
                            json={"decision": "accept", "reason": "visited the family"})
    assert decided.status_code == 204, decided.text
    detail = clerk.get(f"/api/v1/targeting/lists/{list_id}").json()
    assert {e["household_id"] for e in detail["entries"] if e["included"]} == {1, 2, 3, 6}
    assert "family_name_km" not in detail["entries"][0]
    # pages: the round's communes, the list (English and Khmer)
    page = clerk.get("/office/targeting/review/1?lang=en")
    assert page.status_code == 200 and "Tonle Basak" in page.text
    page = clerk.get(f"/office/targeting/lists/{list_id}?lang=en")
    assert page.status_code == 200 and "Ask for this change" in page.text
    assert "សុខ" in page.text  # the head's name
    assert approver.get(f"/office/targeting/lists/{list_id}?lang=km").status_code == 200
    posted = clerk.post(f"/api/v1/targeting/lists/{list_id}/post", json={})
    assert posted.status_code == 200 and posted.json()["status"] == "posted"
    objection = clerk.post(f"/api/v1/targeting/lists/{list_id}/objections", json={
        "kind": "wrongly_listed", "household_id": 1,
        "description": "This family has a shop and a car."})
    assert objection.status_code == 201 and objection.json()["pin"]
    # the village posting list, in Khmer: page 1 is not blank and its Khmer is shaped
    pdf = clerk.get(f"/office/targeting/lists/{list_id}/posting.pdf?village=12010101&lang=km")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert_khmer_page(pdf.content)
    # the final approval, once the objection period is over; the job issues the cards
    early = approver.post(f"/api/v1/targeting/lists/{list_id}/approve",
                          json={"reason": "no objection upheld"})
    assert early.status_code == 409
    with ctx.engine.begin() as conn:
        conn.execute(update(targeting_list).where(targeting_list.c.id == list_id).values(
            objections_until=utcnow().date() - timedelta(days=1)))
    approved = approver.post(f"/api/v1/targeting/lists/{list_id}/approve",
                             json={"reason": "no objection upheld"})
    assert approved.status_code == 200, approved.text
    JobWorker(ctx).drain()
    cards = clerk.get("/api/v1/targeting/households/6/cards").json()
    assert len(cards) == 1 and cards[0]["level"] == 1
    number = cards[0]["card_number"]
    card_pdf = clerk.get(f"/office/targeting/cards/{cards[0]['id']}.pdf?lang=km")
    assert card_pdf.status_code == 200
    assert_khmer_page(card_pdf.content)
    # anyone may check the number: its state and level, nothing about the household
    public = client.get(f"/api/v1/targeting/cards/{number}")
    assert public.status_code == 200
    assert public.json() == {"card_number": number, "state": "valid", "level": 1,
                             "valid_from": cards[0]["valid_from"],
                             "valid_to": cards[0]["valid_to"], "commune_code": COMMUNE}
    assert client.get("/api/v1/targeting/cards/EC-0000-0000-0000-0").status_code == 404
    shown = client.get(f"/cards/verify?n={number.lower()}&lang=en")
    assert shown.status_code == 200 and "Valid" in shown.text and "Poor Level 1" in shown.text
    assert "Mao" not in shown.text and "ម៉ៅ" not in shown.text
    assert client.get("/cards/verify?n=nonsense&lang=en").status_code == 404
    assert client.get("/cards/verify").status_code == 200
