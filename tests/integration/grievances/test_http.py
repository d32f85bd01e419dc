"""Grievances over HTTP: the public form (double-submit token, no login), the follow-up page and
its limit on PIN guesses, staff intake and the back-office actions through the API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from spmis.context import AppContext

HTML = {"accept": "text/html"}


def _token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the form carries its token"
    return found.group(1)


def test_public_form_gives_ticket_and_pin_and_follow_shows_status(client: TestClient) -> None:
    page = client.get("/grievances?lang=en", headers=HTML)
    assert page.status_code == 200 and "Make a complaint" in page.text
    form = {"form_token": _token(page.text), "category": "wrong_amount",
            "description": "We were paid 80,000 riel instead of 120,000.",
            "province": "12", "district": "1201", "commune": "120101", "kind": "complaint",
            "action": "submit"}
    # without the cookie's token the post is refused
    refused = TestClient(client.app).post("/grievances", data=form, headers=HTML)
    assert refused.status_code == 403
    done = client.post("/grievances", data=form, headers=HTML)
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    ticket = re.search(r'id="ticket">([\d-]+)<', done.text).group(1)  # type: ignore[union-attr]
    pin = re.search(r'id="pin">(\d+)<', done.text).group(1)  # type: ignore[union-attr]
    page = client.get("/grievances/follow", headers=HTML)
    shown = client.post("/grievances/follow", headers=HTML, data={
        "form_token": _token(page.text), "ticket": ticket, "pin": pin})
    assert shown.status_code == 200 and 'id="status"' in shown.text
    assert "Received" in shown.text


def test_public_form_names_each_wrong_field(client: TestClient) -> None:
    page = client.get("/grievances?lang=en", headers=HTML)
    answer = client.post("/grievances", headers=HTML, data={
        "form_token": _token(page.text), "description": "short", "phone": "xx"})
    assert answer.status_code == 422
    for field in ("category", "description", "commune", "phone"):
        assert f'id="{field}-error"' in answer.text or f'href="#{field}"' in answer.text, field


def test_guessing_pins_on_the_api_is_refused_with_429(client: TestClient, ctx: AppContext,
                                                     auth_client) -> None:  # type: ignore[no-untyped-def]
    staff = auth_client("grievance_officer", "120101")
    made = staff.post("/api/v1/grievances", json={
        "category": "exclusion", "description": "Our household was left out of the list.",
        "area_code": "12010101", "channel": "phone"})
    assert made.status_code == 201, made.text
    ticket, pin = made.json()["ticket"], made.json()["pin"]
    wrong = "000000" if pin != "000000" else "111111"
    for _ in range(ctx.settings.pin_address_threshold):
        assert client.post("/api/v1/grievances/follow",
                           json={"ticket": ticket, "pin": wrong}).status_code == 404
    limited = client.post("/api/v1/grievances/follow", json={"ticket": ticket, "pin": pin})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert client.post("/api/v1/grievances/follow",
                       json={"ticket": "12", "pin": "x"}).status_code in (422, 429)


def test_staff_review_and_resolve_through_the_api(auth_client) -> None:  # type: ignore[no-untyped-def]
    officer = auth_client("grievance_officer", "120101")
    made = officer.post("/api/v1/grievances", json={
        "category": "staff_conduct", "description": "The village chief asked for money.",
        "area_code": "120101", "channel": "visit", "name": "Chan Sophea"}).json()
    queue = officer.get("/api/v1/grievances").json()
    assert [g["ticket"] for g in queue] == [made["ticket"]]
    assert "Chan" not in str(queue)  # contact details never in the queue
    gid = made["id"]
    assert officer.post(f"/api/v1/grievances/{gid}/review", json={}).json()["status"] == \
        "in_review"
    bad = officer.post(f"/api/v1/grievances/{gid}/resolve", json={"reason": ""})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["reason"]
    done = officer.post(f"/api/v1/grievances/{gid}/resolve",
                        json={"reason": "The chief was warned by the district."})
    assert done.json()["status"] == "resolved"
    other = auth_client("grievance_officer", "010201")
    assert other.get(f"/api/v1/grievances/{gid}").status_code == 404
    assert other.get("/api/v1/grievances").json() == []
