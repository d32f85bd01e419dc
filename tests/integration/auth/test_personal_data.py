"""Personal data: nothing in clear in the database, reveal with a reason is logged, consent
records, and key rotation."""

from __future__ import annotations

import base64
import os

from sqlalchemy import select

from spmis.auth.accounts import AccountService
from spmis.auth.approvals import ApprovalService
from spmis.auth.keys import count_by_key, rotate
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.tables import metadata
from spmis.registry.personal import PersonalDataService
from spmis.registry.service import RegistryService

NID, PHONE = "100200300", "012345678"
CLEAR_FORMS = (NID, PHONE, "12345678", "+85512345678")


def _dump_database(ctx: AppContext) -> list[tuple[str, object]]:
    """Every value of every table, raw."""
    cells: list[tuple[str, object]] = []
    with ctx.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                cells.extend((table.name, value) for value in row)
    return cells


def test_database_holds_no_national_id_or_phone_in_clear(household, auth_client,  # type: ignore[no-untyped-def]
                                                        ctx: AppContext) -> None:
    hh = household(identifiers={"national_id": NID, "phone": PHONE})
    pid = hh["members"][0]["id"]
    reg = auth_client("registrar")
    reg.patch(f"/api/v1/persons/{pid}", json={"identifiers": {"phone": "097 765 4321"},
                                              "reason": "new phone number"})
    reg.post(f"/api/v1/persons/{pid}/reveal", json={"reason": "verifying identity"})
    cells = _dump_database(ctx)
    assert len(cells) > 50
    for table, value in cells:
        raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for clear in (*CLEAR_FORMS, "977654321"):
            assert clear.encode() not in raw, f"{clear} in clear in table {table}"


def test_reveal_needs_a_reason_and_is_logged(household, auth_client) -> None:  # type: ignore[no-untyped-def]
    pid = household(identifiers={"national_id": NID, "phone": PHONE})["members"][0]["id"]
    officer = auth_client("grievance_officer")
    assert officer.post(f"/api/v1/persons/{pid}/reveal", json={}).status_code == 422
    r = officer.post(f"/api/v1/persons/{pid}/reveal",
                     json={"reason": "complaint 42: caller identity", "fields": ["national_id"]})
    assert r.status_code == 200, r.text
    assert r.json()["identifiers"] == {"national_id": NID}
    both = officer.post(f"/api/v1/persons/{pid}/reveal", json={"reason": "call back"}).json()
    assert both["identifiers"] == {"national_id": NID, "phone": "+85512345678"}
    # ordinary reads stay masked
    masked = officer.get(f"/api/v1/persons/{pid}").json()["identifiers"]
    assert NID not in str(masked)
    # roles that do not need clear values cannot reveal
    for role in ("auditor", "admin", "finance_officer"):
        assert auth_client(role).post(f"/api/v1/persons/{pid}/reveal",
                                      json={"reason": "curious"}).status_code == 403
    log = auth_client("auditor").get("/api/v1/access-log", params={"entity_id": pid}).json()
    assert [e["reason"] for e in log] == ["call back", "complaint 42: caller identity"]
    assert log[1]["actor"].startswith("grievance_officer") and log[1]["fields"] == "national_id"
    assert log[0]["fields"] == "national_id,phone" and log[0]["at"]
    assert auth_client("registrar").get("/api/v1/access-log").status_code == 403


def test_consent_given_and_withdrawn(household, auth_client) -> None:  # type: ignore[no-untyped-def]
    pid = household()["members"][0]["id"]
    reg = auth_client("registrar", "120101")
    r = reg.post(f"/api/v1/persons/{pid}/consents", json={
        "purpose": "data_sharing", "status": "given", "effective_on": "2026-01-05"})
    assert r.status_code == 201, r.text
    r = reg.post(f"/api/v1/persons/{pid}/consents", json={
        "purpose": "data_sharing", "status": "withdrawn", "effective_on": "2026-03-01",
        "note": "asked at the commune office"})
    reg.post(f"/api/v1/persons/{pid}/consents", json={
        "purpose": "contact", "status": "given", "effective_on": "2026-01-05"})
    body = reg.get(f"/api/v1/persons/{pid}/consents").json()
    assert body["current"]["data_sharing"]["status"] == "withdrawn"
    assert body["current"]["contact"]["status"] == "given"
    assert len(body["history"]) == 3
    bad = reg.post(f"/api/v1/persons/{pid}/consents", json={
        "purpose": "marketing", "status": "given", "effective_on": "2026-01-05"})
    assert bad.status_code == 422
    assert reg.get("/api/v1/persons/999999/consents").status_code == 404


def test_key_rotation_reencrypts_everything_once(household, auth_client,  # type: ignore[no-untyped-def]
                                                 ctx: AppContext, make_user) -> None:
    pids = [household(given_name_latin=["Dara", "Bopha", "Rith"][i], identifiers={
        "national_id": f"10020030{i}", "phone": f"01234567{i}"})["members"][0]["id"]
        for i in range(3)]
    AccountService(ctx).enable_totp(make_user("approver"))
    pending = auth_client("registrar").patch(f"/api/v1/persons/{pids[0]}", json={
        "identifiers": {"national_id": "999888777"}, "reason": "renewed card"}).json()
    new_key = base64.b64encode(os.urandom(32)).decode()
    ring = f"t2:{new_key},{ctx.settings.encryption_keys}"
    rotated = AppContext.create(ctx.settings.model_copy(update={"encryption_keys": ring}))
    try:
        done = rotate(rotated, chunk_rows=2)
        mine = ("person_identifier", "staff_user", "approval_request")  # other tables: their tests
        assert {t: done[t] for t in mine} == {"person_identifier": 6, "staff_user": 1,
                                              "approval_request": 1}
        assert all(set(c) <= {"t2"} for c in count_by_key(rotated).values())
        again = rotate(rotated)
        assert {t: again[t] for t in mine} == {"person_identifier": 0, "staff_user": 0,
                                               "approval_request": 0}
    finally:
        rotated.engine.dispose()
    only_new = AppContext.create(ctx.settings.model_copy(
        update={"encryption_keys": f"t2:{new_key}"}))
    try:
        officer = Actor("officer", frozenset({"registrar"}), "")
        shown = PersonalDataService(only_new).reveal(pids[1], officer, "after rotation")
        assert shown.identifiers == {"national_id": "100200301", "phone": "+85512345671"}
        assert RegistryService(only_new).get_person(pids[2], officer).identifiers
        checker = Actor("checker", frozenset({"approver"}), "")
        assert ApprovalService(only_new).approve(pending["id"], checker, "ok now").status == \
            "approved"
    finally:
        only_new.engine.dispose()
