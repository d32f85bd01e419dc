"""The payments API and pages (issue 14): a cycle through the API as a background job, bad
input answered 422 with the field named in English and Khmer (never a 500), roles, and the
back-office pages with their counts. SQLite and PostgreSQL."""

from __future__ import annotations

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.jobs.worker import JobWorker
from spmis.rules.service import RulesService
from tests.integration.payments.seed import seed_registry

CODE = "covid19_cash_transfer"
PERIOD = "2023-06"


def test_a_cycle_through_the_api(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    seed_registry(ctx.engine)
    officer, approver = auth_client("programme_officer"), auth_client("approver")
    finance, finance_2 = auth_client("finance_officer"), auth_client("finance_officer")
    assert officer.post("/api/v1/payments/programmes/seed").json()["created"]
    assert officer.post(f"/api/v1/payments/programmes/{CODE}/state",
                        json={"state": "active", "reason": "sub-decree"}).status_code == 200
    r = finance.put(f"/api/v1/payments/programmes/{CODE}/budgets/2023",
                    json={"amount": 9_000_000, "currency": "KHR", "legal_reference": "law"})
    assert r.status_code == 200, r.text
    run = RulesService(ctx).evaluate(SYSTEM, PERIOD, [CODE])
    enrol = officer.post("/api/v1/payments/enrolment-runs",
                         json={"programme": CODE, "evaluation_run_id": run.run_id})
    assert enrol.status_code == 201 and enrol.json()["candidates"] == 5
    assert officer.post(f"/api/v1/payments/enrolment-runs/{enrol.json()['id']}/decision",
                        json={"approve": True, "reason": "ok"}).status_code == 403
    assert approver.post(f"/api/v1/payments/enrolment-runs/{enrol.json()['id']}/decision",
                         json={"approve": True, "reason": "checked"}).json()["state"] == "approved"

    for body, field, code in [
        ({"programme": "nope", "period": PERIOD}, "programme", "unknown_programme"),
        ({"programme": CODE, "period": "2019-01"}, "period", "before_programme_start"),
        ({"programme": CODE, "period": "June"}, "period", "period_format"),
    ]:
        bad = finance.post("/api/v1/payments/cycles", json=body)
        assert bad.status_code == 422, bad.text
        detail = bad.json()["detail"][0]
        assert (detail["loc"][-1], detail["type"]) == (field, code) and detail["msg_km"]
    started = finance.post("/api/v1/payments/cycles", json={"programme": CODE, "period": PERIOD})
    assert started.status_code == 202, started.text
    JobWorker(ctx).drain()
    job = finance.get(f"/api/v1/jobs/{started.json()['job_id']}").json()
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["lines"] == 5 and job["progress"]["percent"] == 100
    cycle_id = started.json()["cycle_id"]
    assert finance.post(f"/api/v1/payments/cycles/{cycle_id}/approve", json={}).status_code == 409
    ok = finance_2.post(f"/api/v1/payments/cycles/{cycle_id}/approve", json={})
    assert ok.status_code == 200 and ok.json()["lines_approved"] == 5
    book = finance.get(f"/api/v1/payments/ledger/{CODE}/2023").json()
    assert book["total"]["committed"] == book["total"]["pending"] > 0
    assert book["total"]["free"] == 9_000_000 - book["total"]["committed"]
    history = officer.get("/api/v1/payments/households/1").json()
    assert [line["state"] for line in history["lines"]] == ["approved"]
    assert auth_client("registrar").get("/api/v1/payments/households/1").status_code == 403


def test_pages_show_the_programme_run_cycle_and_ledger(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    seed_registry(ctx.engine)
    officer = auth_client("programme_officer")
    officer.post("/api/v1/payments/programmes/seed")
    officer.post(f"/api/v1/payments/programmes/{CODE}/state",
                 json={"state": "active", "reason": "sub-decree"})
    run = RulesService(ctx).evaluate(SYSTEM, PERIOD, [CODE])
    enrol = officer.post("/api/v1/payments/enrolment-runs",
                         json={"programme": CODE, "evaluation_run_id": run.run_id}).json()
    html = {"accept": "text/html", "cookie": "spmis_lang=en"}
    for path, expect in [
        ("/office/payments", "COVID-19"),
        (f"/office/payments/programmes/{CODE}", "List the candidates"),
        (f"/office/payments/enrolment-runs/{enrol['id']}", 'id="candidates">5<'),
        (f"/office/payments/ledger/{CODE}?year=2023", "Budget"),
        ("/office/payments/shocks", "Declare a shock"),
        ("/office/households/1/payments", "Programmes and payments"),
    ]:
        page = officer.get(path, headers=html)
        assert page.status_code == 200, (path, page.text[:300])
        assert expect in page.text, path
    registrar = auth_client("registrar").get("/office/households/1/payments", headers=html)
    assert registrar.status_code == 200 and "Programmes and payments" not in registrar.text
    khmer = officer.get("/office/payments", headers={"accept": "text/html"})
    assert "ការឧបត្ថម្ភសាច់ប្រាក់" in khmer.text and 'lang="km"' in khmer.text


def test_a_decision_needs_the_reason_its_approver_typed(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    """A decision posted from its page without a reason was taken with "decided on its page":
    now a rejection (or an approval) without a typed reason is refused, the page shown again
    with the error at the field in English and Khmer (422), the API naming ``reason``; nothing
    is decided."""
    seed_registry(ctx.engine)
    officer, approver = auth_client("programme_officer"), auth_client("approver")
    officer.post("/api/v1/payments/programmes/seed")
    officer.post(f"/api/v1/payments/programmes/{CODE}/state",
                 json={"state": "active", "reason": "sub-decree"})
    run = RulesService(ctx).evaluate(SYSTEM, PERIOD, [CODE])
    enrol = officer.post("/api/v1/payments/enrolment-runs",
                         json={"programme": CODE, "evaluation_run_id": run.run_id}).json()
    page = f"/office/payments/enrolment-runs/{enrol['id']}"
    for lang, words in (("en", "type the reason for the decision"),
                        ("km", "សូមវាយហេតុផលនៃការសម្រេច")):
        for reason in ("", "  "):
            refused = approver.post(page + "/decision", data={"decision": "reject",
                                                             "reason": reason},
                                    headers={"accept": "text/html",
                                             "cookie": f"spmis_lang={lang}"},
                                    follow_redirects=False)
            assert refused.status_code == 422, refused.text[:300]
            assert 'id="reason-error"' in refused.text and words in refused.text
    api = approver.post(f"/api/v1/payments/enrolment-runs/{enrol['id']}/decision",
                        json={"approve": False, "reason": "  "})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "reason"
    assert officer.get(f"/api/v1/payments/enrolment-runs/{enrol['id']}").json()["state"] == \
        "pending"
    decided = approver.post(page + "/decision", data={"decision": "reject",
                                                       "reason": "the list is out of date"},
                            headers={"accept": "text/html"}, follow_redirects=False)
    assert decided.status_code == 303
    history = officer.get(f"/api/v1/payments/enrolment-runs/{enrol['id']}").json()
    assert history["state"] == "rejected"
