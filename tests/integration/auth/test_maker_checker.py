"""Maker-checker: a change of identifier becomes a request; the maker cannot approve it; another
approver (in scope) can; decisions and reasons are kept; identifier values stay encrypted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from spmis.auth.approvals import ApprovalService
from spmis.auth.model import Actor
from spmis.auth.store import approval_request
from spmis.context import AppContext
from spmis.errors import Forbidden, InvalidInput
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService

COMMUNE = "120101"
OLD_NID, NEW_NID = "111222333", "777888999"


def _request(reg, household):  # type: ignore[no-untyped-def]
    hh = household(identifiers={"national_id": OLD_NID})
    pid = hh["members"][0]["id"]
    r = reg.patch(f"/api/v1/persons/{pid}", json={
        "identifiers": {"national_id": NEW_NID}, "given_name_latin": "Darra",
        "reason": "ID card renewed, seen at the commune office"})
    assert r.status_code == 202, r.text
    return pid, r.json()


def test_identifier_change_needs_another_approver(auth_client, household, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    maker = auth_client("registrar,approver", COMMUNE)  # holds both roles: still not alone
    pid, req = _request(maker, household)
    assert req["status"] == "pending" and req["kind"] == "identifier_change"
    assert req["payload"]["identifiers"] == {"national_id": "******999"}
    # nothing applied yet
    person = maker.get(f"/api/v1/persons/{pid}").json()
    assert person["identifiers"]["national_id"].endswith("333")
    assert person["given_name_latin"] == "Dara"
    # the maker cannot approve their own request
    own = maker.post(f"/api/v1/approvals/{req['id']}/approve", json={"reason": "looks fine"})
    assert own.status_code == 403
    assert "another approver" in own.json()["detail"] and own.json()["detail_km"]
    # an approver in another province does not even see it
    far = auth_client("approver", "01")
    assert far.post(f"/api/v1/approvals/{req['id']}/approve",
                    json={"reason": "looks right"}).status_code == 404
    assert far.get("/api/v1/approvals").json() == []
    # a second approver covering the commune approves: the change is applied
    checker = auth_client("approver", "12")
    pending = checker.get("/api/v1/approvals", params={"status": "pending"}).json()
    assert [p["id"] for p in pending] == [req["id"]]
    ok = checker.post(f"/api/v1/approvals/{req['id']}/approve",
                      json={"reason": "card copy checked"})
    assert ok.status_code == 200, ok.text
    decided = ok.json()
    assert decided["status"] == "approved" and decided["decision_reason"] == "card copy checked"
    assert decided["checker"] != decided["maker"] and decided["decided_at"]
    person = maker.get(f"/api/v1/persons/{pid}").json()
    assert person["identifiers"]["national_id"] == "******999"
    assert person["given_name_latin"] == "Darra"
    history = maker.get(f"/api/v1/persons/{pid}/history").json()
    assert f"request {req['id']}" in history[-1]["reason"]
    assert history[-1]["changes"]["identifiers.national_id"] == "changed"
    # decided once only
    again = checker.post(f"/api/v1/approvals/{req['id']}/approve", json={"reason": "again"})
    assert again.status_code == 409
    # the request row holds no identifier in clear
    with ctx.engine.connect() as conn:
        row = conn.execute(select(approval_request)).mappings().one()
        raw = conn.execute(text("SELECT payload FROM approval_request")).scalar_one()
    assert NEW_NID not in str(raw) and NEW_NID.encode() not in bytes(row["payload_enc"])


def test_reject_and_cancel_keep_decisions(auth_client, household) -> None:  # type: ignore[no-untyped-def]
    maker = auth_client("registrar", COMMUNE)
    pid, req = _request(maker, household)
    checker = auth_client("approver")
    r = checker.post(f"/api/v1/approvals/{req['id']}/reject", json={"reason": "no proof given"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert maker.get(f"/api/v1/persons/{pid}").json()["identifiers"]["national_id"].endswith("333")
    r2 = maker.patch(f"/api/v1/persons/{pid}", json={"identifiers": {"phone": "012345678"},
                                                     "reason": "new phone"})
    assert r2.status_code == 202
    other_registrar = auth_client("registrar", COMMUNE)
    assert other_registrar.post(f"/api/v1/approvals/{r2.json()['id']}/cancel",
                                json={"reason": "not mine"}).status_code == 404
    c = maker.post(f"/api/v1/approvals/{r2.json()['id']}/cancel", json={"reason": "typo"})
    assert c.status_code == 200 and c.json()["status"] == "cancelled"
    mine = maker.get("/api/v1/approvals").json()
    assert {m["status"] for m in mine} == {"rejected", "cancelled"}
    # a registrar cannot decide at all (role), an admin neither
    for role in ("registrar", "admin"):
        assert auth_client(role).post(f"/api/v1/approvals/{req['id']}/approve",
                                      json={"reason": "looks right"}).status_code == 403


def test_bad_identifier_refused_at_once(auth_client, household) -> None:  # type: ignore[no-untyped-def]
    maker = auth_client("registrar", COMMUNE)
    pid = household()["members"][0]["id"]
    taken = household(given_name_latin="Bopha", identifiers={"national_id": "555444333"})
    r = maker.patch(f"/api/v1/persons/{pid}", json={"identifiers": {"national_id": "12"},
                                                    "reason": "typo"})
    assert r.status_code == 422
    assert maker.get("/api/v1/approvals").json() == []
    # a number another person holds is the approver's to see, not the maker's (issue 12 #9):
    # the request is filed, and approving it is refused naming the conflict
    r = maker.patch(f"/api/v1/persons/{pid}", json={"identifiers": {"national_id": "555444333"},
                                                    "reason": "typo"})
    assert r.status_code == 202 and taken and "identifier_taken" not in r.text


def test_service_refuses_identifier_change_without_request(ctx: AppContext, household) -> None:  # type: ignore[no-untyped-def]
    pid = household()["members"][0]["id"]
    actor = Actor("someone", frozenset({"registrar"}), "")
    patch = s.PersonUpdate(identifiers={"national_id": NEW_NID}, reason="direct write")
    with pytest.raises(Forbidden):
        RegistryService(ctx).update_person(pid, patch, actor)
    filed = RegistryService(ctx).request_person_update(pid, patch, actor)
    with pytest.raises(Forbidden):
        ApprovalService(ctx).approve(filed.id, Actor("someone", frozenset({"approver"}), ""),
                                     "fine")


def test_a_correction_saves_its_fields_and_files_only_the_new_identifiers(  # type: ignore[no-untyped-def]
        ctx: AppContext, household) -> None:
    """Issue 13 item 2: a registrar's correction with a new phone keeps its other edits."""
    pid = household(identifiers={"national_id": OLD_NID})["members"][0]["id"]
    maker = Actor("reg-1", frozenset({"registrar"}), COMMUNE)
    service = RegistryService(ctx)
    due = service.today() + timedelta(days=60)
    done = service.correct_person(pid, s.PersonUpdate(
        given_name_latin="Darra", pregnant=True, expected_delivery_date=due,
        identifiers={"phone": "012345678"}, reason="new ID card; pregnancy seen"), maker)
    assert set(done.saved) == {"given_name_latin", "pregnant", "expected_delivery_date"}
    assert done.awaiting_approval == ["phone"] and done.request_id is not None
    now = service.get_person(pid, maker)
    assert now.given_name_latin == "Darra" and now.pregnant and now.expected_delivery_date == due
    assert "phone" not in now.identifiers  # the phone waits for the approver
    checker = Actor("appr-1", frozenset({"approver"}), "12")
    request = ApprovalService(ctx).get(done.request_id, checker)
    assert request.payload["patch"] == {"reason": "new ID card; pregnancy seen",
                                        "expected_version": now.version}
    ApprovalService(ctx).approve(done.request_id, checker, "card seen")
    after = service.get_person(pid, maker)
    assert after.identifiers["phone"].endswith("678") and after.given_name_latin == "Darra"
    # a refused identifier saves nothing of the correction
    with pytest.raises(InvalidInput) as refused:
        service.correct_person(pid, s.PersonUpdate(
            given_name_latin="Dora", identifiers={"phone": "12"}, reason="typo"), maker)
    assert refused.value.errors[0].loc == ("identifiers", "phone")
    assert service.get_person(pid, maker).given_name_latin == "Darra"
    # without identifiers nothing is filed
    plain = service.correct_person(pid, s.PersonUpdate(occupation="farmer", reason="asked"), maker)
    assert plain.saved == ["occupation"] and plain.request_id is None


def test_a_stale_request_is_approved_on_the_current_record_only_when_it_still_applies(  # type: ignore[no-untyped-def]
        auth_client, household) -> None:
    """Issue 13 item 3: a request made on an older version of the record is refused as it stands
    (409), approved with ``rebase`` when nothing it changes was changed since, and refused with
    the fields that clash when something was."""
    maker = auth_client("registrar", COMMUNE)
    pid = household(identifiers={"national_id": OLD_NID})["members"][0]["id"]
    phone = maker.patch(f"/api/v1/persons/{pid}", json={
        "identifiers": {"phone": "012345678"}, "given_name_latin": "Darra",
        "reason": "new phone, name as on the card"}).json()
    other = maker.patch(f"/api/v1/persons/{pid}", json={
        "identifiers": {"phone": "012999888"}, "reason": "her other phone"}).json()
    assert maker.patch(f"/api/v1/persons/{pid}", json={
        "occupation": "farmer", "reason": "asked at the visit"}).status_code == 200
    checker = auth_client("approver", "12")
    stale = checker.post(f"/api/v1/approvals/{phone['id']}/approve", json={"reason": "seen"})
    assert stale.status_code == 409
    ok = checker.post(f"/api/v1/approvals/{phone['id']}/approve", params={"rebase": "true"},
                      json={"reason": "seen"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["result"]["rebased_from"]["patch"]["expected_version"] == 1
    person = maker.get(f"/api/v1/persons/{pid}").json()
    assert person["occupation"] == "farmer" and person["given_name_latin"] == "Darra"
    assert person["identifiers"]["phone"].endswith("678")
    clash = checker.post(f"/api/v1/approvals/{other['id']}/approve", params={"rebase": "true"},
                         json={"reason": "seen"})
    assert clash.status_code == 409
    assert "identifiers.phone" in clash.json()["detail"] and clash.json()["detail_km"]
    assert checker.get(f"/api/v1/approvals/{other['id']}").json()["status"] == "pending"
    assert checker.post(f"/api/v1/approvals/{other['id']}/reject",
                        json={"reason": "phone changed since"}).json()["status"] == "rejected"


def test_the_approver_is_shown_both_sides_of_a_change(ctx: AppContext, household) -> None:  # type: ignore[no-untyped-def]
    """Issue 13 item 4: the person, each field now and requested (identifiers masked on both
    sides), later changes of the record, and a requested number another person holds by now."""
    from spmis.registry.queries import PersonChangeView

    pid = household(identifiers={"national_id": OLD_NID})["members"][0]["id"]
    maker = Actor("reg-1", frozenset({"registrar"}), COMMUNE)
    service = RegistryService(ctx)
    rid = service.request_person_update(pid, s.PersonUpdate(
        given_name_latin="Darra", identifiers={"national_id": NEW_NID, "phone": "012345678"},
        reason="new card"), maker).id
    service.correct_person(pid, s.PersonUpdate(occupation="farmer", reason="asked"), maker)
    other = household(given_name_latin="Bopha", identifiers={"phone": "012345678"})
    approver = Actor("appr-1", frozenset({"approver"}), "12")
    requests = ApprovalService(ctx).list(approver, status="pending")
    view = ApprovalService(ctx).describe(requests, approver)[rid]
    assert isinstance(view, PersonChangeView)
    assert view.person.given_name_latin == "Dara" and view.person.village_code.startswith(COMMUNE)
    sides = {c.field: (c.before, c.after) for c in view.changes}
    assert sides == {"given_name_latin": ("Dara", "Darra"),
                     "identifiers.national_id": ("******333", "******999"),
                     "identifiers.phone": (None, "*********678")}
    assert view.stale and view.later[0].fields == ("occupation",) and not view.clashes
    assert [(c.field, c.owner.id if c.owner else None) for c in view.conflicts] == [
        ("identifiers.phone", other["members"][0]["id"])]
    far = Actor("appr-2", frozenset({"approver"}), "01")
    assert ApprovalService(ctx).describe(requests, far) == {}  # not theirs to see
