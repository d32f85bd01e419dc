"""Evaluation runs are kept (issue 11): two evaluations of the same month both stay readable by
run id; a run's amounts do not change when the registry changes and a later run differs; the
current result of a month is a pointer that a later run (of some or all programmes) moves. The
service, the HTTP API (roles, scope, paging, errors) and the command line. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.registry import schemas as rs
from spmis.registry.service import RegistryService
from spmis.rules.service import RulesService
from spmis.rules.store import read_results
from tests.integration.rules.registry_seed import seed_registry

PERIOD = "2026-08"


def _rows(service: RulesService, run_id: int) -> list[tuple[Any, ...]]:
    page = service.results(SYSTEM, run_id, limit=5000)
    assert page.next_after is None
    return [(r.household_id, r.programme, r.entity_id, r.eligible, r.amount, r.currency)
            for r in page.results]


def test_a_pinned_run_does_not_change_when_a_later_run_differs(ctx: AppContext) -> None:
    seed_registry(ctx.engine)
    service = RulesService(ctx)
    first = service.evaluate(SYSTEM, PERIOD)
    pinned = _rows(service, first.run_id)
    base = [r for r in pinned if r[1] == "family_package_base"]
    assert [(r[0], r[4]) for r in base] == [(3, 28_000), (4, 28_000)]  # card 1 expired in June

    # the registry changes: household 1's card is renewed through the registry's use case
    registry = RegistryService(ctx)
    registry.update_household(1, rs.HouseholdUpdate(
        idpoor_card_number="R-0001", idpoor_valid_to=date(2027, 6, 30),
        reason="card renewed"), SYSTEM)
    second = service.evaluate(SYSTEM, PERIOD)
    later = _rows(service, second.run_id)
    assert second.run_id != first.run_id
    assert [(r[0], r[4]) for r in later if r[1] == "family_package_base"] == [
        (1, 28_000), (3, 28_000), (4, 28_000)]
    assert later != pinned

    # the first run reads exactly as it did; the month's current results are the second run's
    assert _rows(service, first.run_id) == pinned
    assert set(service.current_runs(SYSTEM, PERIOD).values()) == {second.run_id}
    with ctx.engine.connect() as conn:
        current = read_results(conn, PERIOD)
    assert {r["run_id"] for r in current} == {second.run_id}
    runs = {r.id: r for r in service.runs(SYSTEM, PERIOD)}
    assert set(runs) == {first.run_id, second.run_id}
    assert runs[first.run_id].current_for == []
    assert sorted(runs[second.run_id].current_for) == sorted(runs[second.run_id].programmes)
    detail = service.run(SYSTEM, first.run_id)
    totals = {t.programme: t for t in detail.totals}
    assert (totals["family_package_base"].eligible, totals["family_package_base"].amount) == (
        2, 56_000)

    # a run of one programme moves only that programme's pointer
    third = service.evaluate(SYSTEM, PERIOD, ["family_package_base"])
    pointers = service.current_runs(SYSTEM, PERIOD)
    assert pointers["family_package_base"] == third.run_id
    assert {p for p, r in pointers.items() if r == second.run_id} == set(pointers) - {
        "family_package_base"}
    assert _rows(service, first.run_id) == pinned


def test_runs_over_http(ctx: AppContext, auth_client: Any) -> None:
    seed_registry(ctx.engine)
    service = RulesService(ctx)
    first = service.evaluate(SYSTEM, PERIOD).run_id
    service.evaluate(SYSTEM, PERIOD, ["family_package_base"])
    officer = auth_client("programme_officer")
    runs = officer.get("/api/v1/rules/runs", params={"period": PERIOD})
    assert runs.status_code == 200, runs.text
    assert [r["id"] for r in runs.json()] == [first + 1, first]
    assert "family_package_base" not in runs.json()[1]["current_for"]
    detail = officer.get(f"/api/v1/rules/runs/{first}")
    assert detail.status_code == 200 and detail.json()["totals"]

    # paging: one row at a time, in (household, programme, entity) order, to the end
    seen, after = [], None
    while True:
        params: dict[str, Any] = {"limit": 1, **({"after": after} if after else {})}
        page = officer.get(f"/api/v1/rules/runs/{first}/results", params=params).json()
        seen += [(r["household_id"], r["programme"], r["entity_id"]) for r in page["results"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == len(_rows(service, first))
    one = officer.get(f"/api/v1/rules/runs/{first}/results", params={"household_id": 4})
    assert {r["household_id"] for r in one.json()["results"]} == {4}
    current = officer.get("/api/v1/rules/current", params={"period": PERIOD}).json()
    assert current["runs"]["family_package_base"] == first + 1
    assert current["runs"]["covid19_cash_transfer"] == first

    # a finance officer of province 01 sees the households of province 01 only
    province = auth_client("finance_officer", "01")
    mine = province.get(f"/api/v1/rules/runs/{first}/results").json()["results"]
    assert mine and {r["household_id"] for r in mine} <= {1, 2, 3}
    other = province.get(f"/api/v1/rules/runs/{first}/results", params={"household_id": 4})
    missing = province.get(f"/api/v1/rules/runs/{first}/results",
                           params={"household_id": 987654})
    # outside the area answers as missing (issue 12 #9; it was 403, an existence oracle)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace("4", "N") == missing.json()["detail"].replace(
        "987654", "N")

    # errors name the field, in English and Khmer; a registrar has no access to runs
    bad = officer.get(f"/api/v1/rules/runs/{first}/results", params={"after": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["after"]
    assert bad.json()["detail"][0]["msg_km"]
    assert officer.get("/api/v1/rules/runs/999999").status_code == 404
    assert officer.get("/api/v1/rules/current", params={"period": "2026-13"}).status_code == 422
    assert auth_client("registrar").get("/api/v1/rules/runs").status_code == 403
