"""No existence oracle (issue 12 #9): for every route with an id in its path, a record outside
the caller's area answers exactly as a record that does not exist (same status, same message
but for the number), and an identifier-change request does not tell its maker that the number
belongs to someone elsewhere in the country (its approver meets that conflict).

A route whose path holds an id this test does not know fails ``test_every_id_route_is_known``:
decide how it hides records outside the caller's area, then add it here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.linkage.store import link_review
from spmis.payments.service import PaymentsService
from spmis.payments.store import beneficiary, programme
from spmis.targeting.forms import parse_instance
from spmis.targeting.model import RoundDraft
from spmis.targeting.review_store import equity_card, targeting_list, targeting_list_change
from spmis.targeting.service import TargetingService

from .conftest import HOME_COMMUNE, HOME_VILLAGE, OTHER_VILLAGE, person

MISSING = 987_654_321
#: path parameters that are not ids of records kept per area (public reference data, choices)
NOT_RECORDS = {"code", "programme_id", "decision", "action", "year",
               "run_id",  # eligibility runs cover the whole country; results are scope-filtered
               # payment cycles, their reconciliations and shocks are national decisions: only
               # national staff act on them (spmis.payments.common.national); what they show of
               # people is filtered by the reader's area (tests/integration/payments)
               "cycle_id", "rec_id", "shock_id",
               # an equity card's number is what anyone may check (public, rate limited, random:
               # it cannot be walked through; tests/integration/targeting_review)
               "card_number",
               # a month (YYYY-MM) of the fund's notified exchange rates, not a record
               "period"}
#: ids whose records this test makes in another area, and the routes it sends them to
RECORD_PARAMS = {"household_id", "person_id", "enterprise_id", "request_id", "review_id",
                 "user_id", "merge_id", "import_id", "beneficiary_id", "grievance_id",
                 # jobs and their files belong to one user: another user's answers "no such
                 # job", as a missing one does (spmis.jobs.service; tests/integration/jobs)
                 "job_id", "name",
                 # assessment rounds of another area, and assessments of households elsewhere
                 # (spmis.targeting.service: "no such round / assessment in your area")
                 "round_id", "assessment_id",
                 # a commune's list of poor households, a change asked of it, an equity card
                 # (spmis.targeting.review and cards: "no such list / change / card in your area")
                 "list_id", "change_id", "card_id",
                 # the social security fund: an employer's account acts for its own enterprise
                 # only, fund staff inside their area (spmis.fund.common.employer_for; a
                 # worker's affiliation, a declaration and an invoice answer "no such ... that
                 # you may see" through it: employers.end_affiliation, declarations
                 # .declaration_row, billing.invoice); claims and their documents likewise
                 # (spmis.fund.claims.ClaimService._visible; a document only of its own claim)
                 # - test_another_enterprise_in_the_fund_answers_as_missing
                 "employer_id", "affiliation_id", "declaration_id", "invoice_id", "claim_id",
                 "document_id"}


def _id_routes(app: FastAPI) -> list[tuple[str, str, set[str]]]:
    out = []
    for rc in iter_route_contexts(app.routes):
        params = set(re.findall(r"\{([^}]+)\}", str(rc.path)))
        for method in sorted((rc.methods or set()) - {"HEAD"}):
            if params - NOT_RECORDS:
                out.append((method, str(rc.path), params))
    return out


def test_every_id_route_is_known(app: FastAPI) -> None:
    unknown = sorted({p for _m, _path, params in _id_routes(app) for p in params}
                     - NOT_RECORDS - RECORD_PARAMS)
    assert not unknown, f"path ids this test does not cover yet: {unknown}"


def _shape(r: Any) -> tuple[int, str]:
    """Status and body with every number replaced: the id asked for may differ."""
    return r.status_code, re.sub(r"\d+", "N", r.text)


def test_outside_the_area_answers_as_missing(app: FastAPI, ctx: AppContext, auth_client: Any,
                                             admin: TestClient, make_user: Any) -> None:
    other = admin.post("/api/v1/households", json={"village_code": OTHER_VILLAGE, "members": [
        person(given_name_latin="Vanna", identifiers={"national_id": "444555666"})]}).json()
    other_pid = other["members"][0]["id"]
    enterprise = admin.post("/api/v1/enterprises", json={
        "name_latin": "Far away garage", "village_code": OTHER_VILLAGE})
    assert enterprise.status_code == 201, enterprise.text
    far_registrar = auth_client("registrar", OTHER_VILLAGE[:6])
    filed = far_registrar.patch(f"/api/v1/persons/{other_pid}", json={
        "identifiers": {"national_id": "777888999"}, "reason": "card renewed"})
    assert filed.status_code == 202, filed.text
    with ctx.engine.begin() as conn:
        review = conn.execute(insert(link_review).values(
            person_id_l=other_pid, person_id_r=other_pid, match_probability=0.9, reasons=[],
            conflicts=[], area_code_l=OTHER_VILLAGE, area_code_r=OTHER_VILLAGE,
            created_at=datetime.now(UTC)).returning(link_review.c.id)).scalar_one()
    far_user = admin.post("/api/v1/users", json={"username": "far-away-clerk",
                                                 "roles": ["auditor"], "scope": "01"})
    assert far_user.status_code == 201, far_user.text
    grievance = admin.post("/api/v1/grievances", json={
        "category": "exclusion", "description": "left out of the list", "area_code": OTHER_VILLAGE,
        "name": "Vanna", "phone": "012444555"})
    assert grievance.status_code == 201, grievance.text
    PaymentsService(ctx).seed_programmes(Actor("officer", frozenset({"programme_officer"}), ""))
    now = datetime.now(UTC)
    with ctx.engine.begin() as conn:
        programme_id = conn.execute(select(programme.c.id).limit(1)).scalar_one()
        enrolled = conn.execute(insert(beneficiary).values(
            programme_id=programme_id, entity="household", entity_id=other["id"],
            household_id=other["id"], state="enrolled", source="application",
            created_at=now, created_by="t", updated_at=now, updated_by="t",
        ).returning(beneficiary.c.id)).scalar_one()
    targeting = TargetingService(ctx)
    national = Actor("officer", frozenset({"programme_officer"}), "")
    far_round = targeting.create_round(RoundDraft(
        "FAR-1", "Banteay Meanchey", "village", "01", now.date(), now.date(), now.date()),
        national)
    answers = "".join(f"<{k}>{v}</{k}>" for k, v in {
        "roof": "thatch", "walls": "wood_or_tin", "floor_area": "small", "land": "none",
        "transport": "bicycle", "durables": "tv", "livestock": "none", "income": "own_farm",
        "shocks": "none", "members": 3, "dependants": 1, "disabled": 0, "chronic_ill": 0}.items())
    assessed = targeting.receive(parse_instance(
        f'<data id="spmis_idpoor_r{far_round}"><household_id>{other["id"]}</household_id>'
        f'{answers}<meta><instanceID>uuid:far</instanceID></meta></data>'.encode(), now),
        national).assessment_id
    with ctx.engine.begin() as conn:  # a list, a change and a card of the far commune
        far_list = conn.execute(insert(targeting_list).values(
            round_id=far_round, commune_code=OTHER_VILLAGE[:6], status="posted",
            version=1, created_at=now, created_by="t", updated_at=now, updated_by="t",
        ).returning(targeting_list.c.id)).scalar_one()
        far_change = conn.execute(insert(targeting_list_change).values(
            list_id=far_list, household_id=other["id"], action="remove", reason="moved",
            request_id=MISSING - 1, made_by="t", made_at=now,
        ).returning(targeting_list_change.c.id)).scalar_one()
        far_card = conn.execute(insert(equity_card).values(
            card_number="EC-0000-0000-0000-0", household_id=other["id"], list_id=far_list,
            round_id=far_round, commune_code=OTHER_VILLAGE[:6], village_code=OTHER_VILLAGE,
            level=1, valid_from=now.date(), valid_to=now.date(), status="issued", version=1,
            created_at=now, created_by="t", updated_at=now, updated_by="t",
        ).returning(equity_card.c.id)).scalar_one()
    outside = {"household_id": other["id"], "person_id": other_pid,
               "list_id": far_list, "change_id": far_change, "card_id": far_card,
               "round_id": far_round, "assessment_id": assessed,
               "enterprise_id": enterprise.json()["id"], "request_id": filed.json()["id"],
               "review_id": review, "user_id": far_user.json()["id"],
               "beneficiary_id": enrolled, "grievance_id": grievance.json()["id"]}
    callers = {role: auth_client(role, HOME_COMMUNE) for role in (
        "registrar", "approver", "auditor", "admin", "programme_officer", "finance_officer",
        "grievance_officer")}
    checked, wrong = 0, []
    for method, path, params in _id_routes(app):
        if not params & set(outside) or params - NOT_RECORDS - set(outside):
            continue  # merges and imports: their own tests (linkage, import)
        fill = {"decision": "approve", "code": "12", "action": "disable"}
        there = path.format(**fill, **{p: outside[p] for p in params & set(outside)})
        nowhere = path.format(**fill, **dict.fromkeys(params & set(outside), MISSING))
        for role, caller in callers.items():
            body: dict[str, Any] = {"reason": "checking", "csrf_token": "x",
                                    "provider": "wallet", "account": "012345678",
                                    "holder_person_id": other_pid}
            a = caller.request(method, there, json=body, follow_redirects=False)
            b = caller.request(method, nowhere, json=body, follow_redirects=False)
            assert a.status_code != 500 and b.status_code != 500, (method, path, role)
            if _shape(a) != _shape(b):
                wrong.append(f"{method} {path} as {role}: outside {a.status_code} "
                             f"{a.text[:120]} / missing {b.status_code} {b.text[:120]}")
            for secret in ("444555666", "Vanna", "Banteay", OTHER_VILLAGE):
                assert secret not in a.text, (method, path, role)
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked >= 60


def test_an_identifier_conflict_goes_to_the_approver(auth_client: Any, admin: TestClient,
                                                     make_user: Any) -> None:
    """A district registrar asking to set a national ID that a person elsewhere holds got
    ``identifier_taken`` at once: proof the number exists somewhere in the country."""
    home = admin.post("/api/v1/households", json={"village_code": HOME_VILLAGE,
                                                  "members": [person()]}).json()
    admin.post("/api/v1/households", json={"village_code": OTHER_VILLAGE, "members": [
        person(given_name_latin="Vanna", identifiers={"national_id": "444555666"})]})
    registrar = auth_client("registrar", HOME_COMMUNE)
    pid = home["members"][0]["id"]
    filed = registrar.patch(f"/api/v1/persons/{pid}", json={
        "identifiers": {"national_id": "444555666"}, "reason": "card seen"})
    assert filed.status_code == 202, filed.text
    assert "identifier_taken" not in filed.text and "another person" not in filed.text
    approver = auth_client("approver")
    decided = approver.post(f"/api/v1/approvals/{filed.json()['id']}/approve",
                            json={"reason": "card checked"})
    assert decided.status_code == 422, decided.text
    assert decided.json()["detail"][0]["type"] == "identifier_taken"
    rejected = approver.post(f"/api/v1/approvals/{filed.json()['id']}/reject",
                             json={"reason": "the number belongs to someone else"})
    assert rejected.status_code == 200


def _pending(client: TestClient, kind: str) -> list[dict[str, Any]]:
    return [r for r in client.get("/api/v1/approvals", params={"status": "pending"}).json()
            if r["kind"] == kind]


def test_registering_a_number_held_elsewhere_goes_to_the_approver(
        auth_client: Any, admin: TestClient) -> None:
    """A district registrar registering a person with a national ID that a person elsewhere
    holds got ``identifier_taken`` at once (creation and a new member alike)."""
    admin.post("/api/v1/households", json={"village_code": OTHER_VILLAGE, "members": [
        person(given_name_latin="Vanna", identifiers={"national_id": "444555666"})]})
    registrar = auth_client("registrar", HOME_COMMUNE)
    created = registrar.post("/api/v1/households", json={"village_code": HOME_VILLAGE,
                                                         "members": [person(identifiers={
                                                             "national_id": "444555666",
                                                             "phone": "012345678"})]})
    assert created.status_code == 201, created.text
    assert "identifier_taken" not in created.text and "444555666" not in created.text
    member = created.json()["members"][0]
    assert "national_id" not in member["identifiers"] and "phone" in member["identifiers"]
    filed = _pending(registrar, "identifier_change")
    assert [r["entity_id"] for r in filed] == [member["id"]]
    approver = auth_client("approver")
    decided = approver.post(f"/api/v1/approvals/{filed[0]['id']}/approve",
                            json={"reason": "card checked"})
    assert decided.status_code == 422 and decided.json()["detail"][0]["type"] == "identifier_taken"
    added = registrar.post(f"/api/v1/households/{created.json()['id']}/members", json={
        "person": person(relationship="child", given_name_latin="Mony",
                         date_of_birth="2015-01-01", identifiers={"national_id": "444555666"}),
        "reason": "born here"})
    assert added.status_code == 200, added.text
    assert len(_pending(registrar, "identifier_change")) == 2
    # a number held inside the registrar's own area is told at once: they can see its holder
    again = registrar.post("/api/v1/households", json={"village_code": HOME_VILLAGE, "members": [
        person(given_name_latin="Dara", identifiers={"phone": "012345678",
                                                     "national_id": "101202303"})]})
    assert again.status_code == 201
    mine = registrar.post("/api/v1/households", json={"village_code": HOME_VILLAGE, "members": [
        person(given_name_latin="Kosal", identifiers={"national_id": "101202303"})]})
    assert mine.status_code == 422 and mine.json()["detail"][0]["type"] == "identifier_taken"


def test_an_enterprise_number_held_elsewhere_goes_to_the_approver(
        auth_client: Any, admin: TestClient) -> None:
    """The enterprise ``duplicate`` answer told a district registrar that an NSSF number is
    used somewhere in the country."""
    far = admin.post("/api/v1/enterprises", json={"name_latin": "Far garage",
                                                  "village_code": OTHER_VILLAGE,
                                                  "nssf_employer_number": "NSSF-777"})
    assert far.status_code == 201, far.text
    registrar = auth_client("registrar", HOME_COMMUNE)
    mine = registrar.post("/api/v1/enterprises", json={"name_latin": "Home garage",
                                                       "village_code": HOME_VILLAGE,
                                                       "nssf_employer_number": "NSSF-777"})
    assert mine.status_code == 201, mine.text
    assert "duplicate" not in mine.text and mine.json()["nssf_employer_number"] is None
    filed = _pending(registrar, "enterprise_numbers")
    assert [r["entity_id"] for r in filed] == [mine.json()["id"]]
    assert "NSSF-777" not in str(filed)
    decided = auth_client("approver").post(f"/api/v1/approvals/{filed[0]['id']}/approve",
                                           json={"reason": "checked the register"})
    assert decided.status_code == 422 and decided.json()["detail"][0]["type"] == "duplicate"
    # a correction likewise
    fixed = registrar.patch(f"/api/v1/enterprises/{mine.json()['id']}", json={
        "nssf_employer_number": "NSSF-777", "tax_id": "T-1", "reason": "card seen"})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["tax_id"] == "T-1" and fixed.json()["nssf_employer_number"] is None
    assert len(_pending(registrar, "enterprise_numbers")) == 2


#: ids of the social security fund (spmis.fund) checked by the next test
FUND_PARAMS = ("employer_id", "affiliation_id", "declaration_id", "invoice_id", "claim_id",
               "document_id")


#: a valid body of each fund route that takes one (by how its path ends)
_FUND_BODIES: dict[str, dict[str, Any]] = {
    "/end": {"end_date": "2030-01-01"}, "/users": {},
    "/actions": {"action": "review", "reason": "checking"},
    "/pension-end": {"last_period": "2026-12", "reason": "checking"},
    "/declarations": {"period": "2026-01", "lines": [{"person_id": 1, "wage": "1000"}]},
    "/upload": {"period": "2026-01"},
    "/payments": {"amount": 1000, "received_on": "2026-01-05", "reference": "R-1"}}


def _far_fund(ctx: AppContext) -> dict[str, int]:
    """An enterprise of the far province in the fund: its worker, a month's declaration, an
    invoice, and a claim with a document."""
    from spmis.db.history import audit_values
    from spmis.fund import store as fs
    from spmis.fund.claims_store import fund_claim, fund_claim_document

    day = datetime.now(UTC).date()
    audit = audit_values("t")
    with ctx.engine.begin() as conn:
        def add(table: Any, **values: Any) -> int:
            return int(conn.execute(insert(table).values(**values).returning(table.c.id))
                       .scalar_one())

        employer = add(fs.fund_employer, enterprise_id=MISSING - 7, employer_number="NSSF-FAR",
                       name="Kampot Pepper", sector="farming", village_code=OTHER_VILLAGE,
                       address="Banteay road", contact_name="Vanna", first_hire_date=day,
                       registered_on=day, registration_due=day, **audit)
        affiliation = add(fs.fund_affiliation, person_id=MISSING - 8, employer_id=employer,
                          kind="employee", scheme="formal", start_date=day, declared_on=day,
                          declaration_due=day, wage=1_000_000, currency="KHR", **audit)
        declaration = add(fs.fund_declaration, employer_id=employer, period="2026-01",
                          sequence=1, state="draft", source="api", content_hash="far",
                          workers=1, wage_total=1_000_000, **audit)
        invoice = add(fs.fund_invoice, employer_id=employer, period="2026-01",
                      kind="contribution", sequence=1, amount=50_000, currency="KHR",
                      due_date=day, state="open", **audit)
        claim = add(fund_claim, kind="maternity", person_id=MISSING - 8, employer_id=employer,
                    village_code=OTHER_VILLAGE, event_date=day, period="2026-01", details={},
                    state="submitted", amount=0, currency="KHR", payment="one_off",
                    refusal="", computed={}, **audit)
        document = add(fund_claim_document, claim_id=claim, kind="other", filename="far.pdf",
                       content_type="application/pdf", size=1, sha256="0" * 64,
                       content_enc=b"x", uploaded_by="t", uploaded_at=datetime.now(UTC))
    return {"employer_id": employer, "affiliation_id": affiliation,
            "declaration_id": declaration, "invoice_id": invoice, "claim_id": claim,
            "document_id": document}


def test_another_enterprise_in_the_fund_answers_as_missing(
        app: FastAPI, ctx: AppContext, auth_client: Any, make_user: Any) -> None:
    """An employer's account acts for its own enterprise only, and fund staff inside their
    area: another enterprise's employer record, worker, declaration, invoice, claim and claim
    document answer exactly as ones that do not exist (``POST .../affiliations/{id}/end`` told
    an employer "there is no employer N", proof that the affiliation exists elsewhere)."""
    from spmis.fund import store as fs

    outside = _far_fund(ctx)
    boss = make_user("employer", "")
    with ctx.engine.begin() as conn:
        own = int(conn.execute(insert(fs.fund_employer).values(
            enterprise_id=MISSING - 9, employer_number="NSSF-HOME", name="Home garage",
            sector="garage", village_code=HOME_VILLAGE, address="Street 1", contact_name="Sok",
            first_hire_date=datetime.now(UTC).date(), registered_on=datetime.now(UTC).date(),
            registration_due=datetime.now(UTC).date(), created_at=datetime.now(UTC),
            created_by="t", updated_at=datetime.now(UTC), updated_by="t",
        ).returning(fs.fund_employer.c.id)).scalar_one())
        conn.execute(insert(fs.fund_employer_user).values(
            username=boss, employer_id=own, created_at=datetime.now(UTC), created_by="t"))
    callers = {"employer": auth_client("employer", "", username=boss),
               "fund_officer": auth_client("fund_officer", HOME_COMMUNE),
               "auditor": auth_client("auditor", HOME_COMMUNE)}
    assert callers["employer"].get(f"/api/v1/fund/employers/{own}").status_code == 200
    checked, wrong, reached = 0, [], set()
    for method, path, params in _id_routes(app):
        if not params & set(FUND_PARAMS) or params - NOT_RECORDS - set(FUND_PARAMS):
            continue
        fill = {"action": "review", "period": "2026-01"}
        there = path.format(**fill, **{p: outside[p] for p in params & set(FUND_PARAMS)})
        nowhere = path.format(**fill, **dict.fromkeys(params & set(FUND_PARAMS), MISSING))
        body = next((b for end, b in _FUND_BODIES.items() if path.endswith(end)),
                    {"csrf_token": "x"}) | ({"username": boss} if path.endswith("users") else {})
        for role, caller in callers.items():
            sent: dict[str, Any] = ({"data": body, "files": {"file": (
                "a.csv", b"person_id,wage,currency\n1,1000,KHR\n")}}
                if path.endswith("upload") else {"json": body})
            a = caller.request(method, there, follow_redirects=False, **sent)
            b = caller.request(method, nowhere, follow_redirects=False, **sent)
            assert a.status_code != 500 and b.status_code != 500, (method, path, role)
            # a valid body, so that the answer is the access check's (not the schema's)
            assert a.status_code != 422 or not path.startswith("/api"), (path, a.text)
            if _shape(a) != _shape(b):
                wrong.append(f"{method} {path} as {role}: outside {a.status_code} "
                             f"{a.text[:120]} / missing {b.status_code} {b.text[:120]}")
            for secret in ("Kampot", "NSSF-FAR", "Vanna", "far.pdf", OTHER_VILLAGE):
                assert secret not in a.text, (method, path, role)
            reached |= params & set(FUND_PARAMS)
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert reached == set(FUND_PARAMS) and checked >= 40, (reached, checked)
