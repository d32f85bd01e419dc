"""Claims of the fund's members over the API, on both engines: the rules' amount and reason, the
decision workflow with maker-checker, payment through the payments package, encrypted
documents, an employer kept to its own workers, and bad input refused with nothing stored."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import func, select

from spmis.auth.access import access_log
from spmis.context import AppContext
from spmis.fund.claims_store import fund_claim, fund_claim_document
from tests.integration.fund.claims_seed import seed

PDF = b"%PDF-1.4\n% a tiny test file with a name: Sok Dara\n%%EOF\n"


def claim_body(person: int, kind: str, day: str, **details: int) -> dict[str, Any]:
    return {"person_id": person, "kind": kind, "event_date": day, "details": details}


def count_claims(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(fund_claim)).scalar_one())


def test_a_pension_claim_at_59_is_refused_with_its_reason(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    fund = seed(ctx)
    maker, checker = auth_client("fund_officer"), auth_client("fund_officer")
    r = maker.post("/api/v1/fund/claims", json=claim_body(fund.elder, "old_age", "2026-07-01"))
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["state"] == "submitted"
    assert claim["refusal"] == "under_pension_age"
    assert claim["amount"] == 0
    assert claim["refusal_en"] == "The member is 59: the old-age pension starts at 60."
    assert "៥៩" in claim["refusal_km"] or "59" in claim["refusal_km"]
    assert maker.post(f"/api/v1/fund/claims/{claim['id']}/actions",
                      json={"action": "review"}).status_code == 200
    r = checker.post(f"/api/v1/fund/claims/{claim['id']}/actions", json={"action": "approve"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["type"] == "under_pension_age"
    assert "starts at 60" in r.json()["detail"][0]["msg"]
    r = checker.post(f"/api/v1/fund/claims/{claim['id']}/actions",
                     json={"action": "reject", "reason": claim["refusal_en"]})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "rejected"
    assert r.json()["reason"] == "The member is 59: the old-age pension starts at 60."
    assert [h["action"] for h in r.json()["history"]] == ["submit", "review", "reject"]


def test_a_maternity_claim_is_decided_by_another_and_paid_by_finance(  # type: ignore[no-untyped-def]
        ctx: AppContext, auth_client) -> None:
    fund = seed(ctx)
    maker, reviewer, checker = (auth_client("fund_officer") for _ in range(3))
    finance = auth_client("finance_officer")
    body = claim_body(fund.mother, "maternity", "2026-07-10", leave_days=90)
    body["documents"] = [{"kind": "birth_certificate", "filename": "birth.pdf",
                          "content_base64": base64.b64encode(PDF).decode()}]
    r = maker.post("/api/v1/fund/claims", json=body)
    assert r.status_code == 201, r.text
    claim = r.json()
    # six months of 1,200,000 riel: 40,000 a day; 70% for 90 days
    assert (claim["amount"], claim["currency"], claim["refusal"]) == (2_520_000, "KHR", "")
    assert claim["computed"]["average_daily_wage"] == 40_000
    cid = claim["id"]
    act = f"/api/v1/fund/claims/{cid}/actions"
    assert maker.post(act, json={"action": "approve"}).status_code == 409  # not reviewed yet
    assert reviewer.post(act, json={"action": "review"}).status_code == 200
    for same in (maker, reviewer):  # maker-checker
        r = same.post(act, json={"action": "approve"})
        assert r.status_code == 403, r.text
    assert finance.post(act, json={"action": "approve"}).status_code == 403
    r = checker.post(act, json={"action": "approve"})
    assert r.status_code == 200, r.text
    order = r.json()["payment_order"]
    assert (r.json()["state"], order["amount"], order["state"]) == ("approved", 2_520_000,
                                                                    "ordered")
    assert checker.post(act, json={"action": "pay", "reference": "X"}).status_code == 403
    r = finance.post(act, json={"action": "pay"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["reference"]
    r = finance.post(act, json={"action": "pay", "reference": "BANK-0042"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "paid"
    assert r.json()["payment_order"]["reference"] == "BANK-0042"
    assert finance.post(act, json={"action": "pay", "reference": "again"}).status_code == 409
    # the document: encrypted at rest, given back whole, the read logged
    with ctx.engine.connect() as conn:
        sealed = conn.execute(select(fund_claim_document.c.content_enc)).scalar_one()
    assert PDF not in bytes(sealed) and b"Sok Dara" not in bytes(sealed)
    doc_id = claim["documents"][0]["id"]
    got = maker.get(f"/api/v1/fund/claims/{cid}/documents/{doc_id}")
    assert got.status_code == 200 and got.content == PDF
    with ctx.engine.connect() as conn:
        logged = conn.execute(select(func.count()).select_from(access_log).where(
            access_log.c.entity_type == "fund_claim_document")).scalar_one()
    assert logged == 1


def test_an_employer_sees_only_its_own_workers_claims(  # type: ignore[no-untyped-def]
        ctx: AppContext, auth_client, make_user) -> None:
    boss = make_user("employer")
    fund = seed(ctx, employer_user=boss)
    officer, employer = auth_client("fund_officer"), auth_client(username=boss)
    theirs = officer.post("/api/v1/fund/claims", json=claim_body(
        fund.mother, "childbirth", "2026-07-10", babies=1)).json()
    r = employer.post("/api/v1/fund/claims", json=claim_body(
        fund.other_worker, "injury", "2026-07-02", incapacity_days=10))
    assert r.status_code == 201, r.text
    mine = r.json()
    assert employer.get(f"/api/v1/fund/claims/{theirs['id']}").status_code == 404
    assert [c["id"] for c in employer.get("/api/v1/fund/claims").json()] == [mine["id"]]
    r = employer.post("/api/v1/fund/claims", json=claim_body(
        fund.mother, "childbirth", "2026-07-10", babies=1))
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "not_your_worker"
    assert employer.get(f"/api/v1/fund/members/{fund.mother}/statement").status_code == 404
    lines = employer.get(f"/api/v1/fund/members/{fund.worker}/statement").json()["lines"]
    assert {line["employer_number"] for line in lines} == {"E00002"}


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"details": {"leave_days": -3}}, ["details", "leave_days"], "out_of_range"),
    ({"details": {"leave_days": 90, "babies": 2}}, ["details", "babies"], "unknown_field"),
    ({"details": {}}, ["details", "leave_days"], "missing"),
    ({"event_date": "2099-01-01"}, ["event_date"], "in_the_future"),
    ({"event_date": "2001-01-01"}, ["event_date"], "before_scheme"),
    ({"person_id": 999_999}, ["person_id"], "unknown_person"),
    ({"documents": [{"kind": "other", "filename": "a.exe",
                     "content_base64": base64.b64encode(b"MZ\x90\x00").decode()}]},
     ["documents", 0], "document_type"),
    ({"documents": [{"kind": "other", "filename": "big.pdf",
                     "content_base64": base64.b64encode(b"%PDF-" + b"0" * 999_997).decode()}]},
     ["documents", 0], "document_too_large"),
    ({"documents": [{"kind": "other", "filename": "a.pdf", "content_base64": "@@@@"}]},
     ["documents", 0, "content_base64"], "bad_base64"),
])
def test_bad_input_is_refused_naming_the_field(  # type: ignore[no-untyped-def]
        ctx: AppContext, auth_client, change: dict[str, Any], field: list[Any],
        code: str) -> None:
    fund = seed(ctx)
    body = {**claim_body(fund.mother, "maternity", "2026-07-10", leave_days=90), **change}
    r = auth_client("fund_officer").post("/api/v1/fund/claims", json=body)
    assert r.status_code == 422, r.text
    error = r.json()["detail"][0]
    assert (error["loc"][-len(field):], error["type"]) == (field, code), error
    assert error["msg"] and error["msg_km"]
    assert count_claims(ctx) == 0


def test_an_unknown_kind_and_a_rejection_without_reason(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    fund = seed(ctx)
    officer, other = auth_client("fund_officer"), auth_client("fund_officer")
    r = officer.post("/api/v1/fund/claims", json=claim_body(fund.mother, "lottery", "2026-07-10"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "kind"
    cid = officer.post("/api/v1/fund/claims", json=claim_body(
        fund.mother, "visits", "2026-07-10", visits=3)).json()["id"]
    r = other.post(f"/api/v1/fund/claims/{cid}/actions", json={"action": "reject"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["reason"]
    assert officer.get("/api/v1/fund/claims/424242").status_code == 404


def test_key_rotation_seals_the_documents_again(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    """``spmis keys rotate`` re-encrypts claim documents with the new key, a few at a time; the
    file comes back whole with only the new key."""
    import os

    from spmis.auth.keys import encrypted_columns, rotate
    from spmis.auth.model import Actor
    from spmis.fund.claims import ClaimService

    fund = seed(ctx)
    officer = auth_client("fund_officer")
    ids = []
    for n in range(3):
        body = claim_body(fund.mother, "visits", "2026-07-10", visits=1)
        body["documents"] = [{"kind": "medical_certificate", "filename": f"v{n}.pdf",
                              "content_base64": base64.b64encode(PDF + bytes([n])).decode()}]
        ids.append(officer.post("/api/v1/fund/claims", json=body).json()["id"])
    column = next(c for c in encrypted_columns() if c.table is fund_claim_document)
    assert column.chunk_rows == 20
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = AppContext.create(ctx.settings.model_copy(
        update={"encryption_keys": f"t2:{new_key},{ctx.settings.encryption_keys}"}))
    try:
        assert rotate(rotated, chunk_rows=2)["fund_claim_document"] == 3
    finally:
        rotated.engine.dispose()
    only_new = AppContext.create(ctx.settings.model_copy(
        update={"encryption_keys": f"t2:{new_key}"}))
    try:
        service, reader = ClaimService(only_new), Actor("r", frozenset({"fund_officer"}))
        for n, cid in enumerate(ids):
            doc_id = service.get(reader, cid)["documents"][0]["id"]
            assert service.document(reader, cid, doc_id)[1] == PDF + bytes([n])
    finally:
        only_new.engine.dispose()
