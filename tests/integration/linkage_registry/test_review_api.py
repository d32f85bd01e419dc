"""The clerical review queue over HTTP: list, side-by-side comparison with masked identifiers,
reject, accept -> maker-checker merge request that only another user (an approver) can approve,
undo -> request -> approval restores both records exactly; bad input gets 4xx, never 500."""

from __future__ import annotations

from typing import Any

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.linkage.registry_dedupe import run_registry_dedupe

from .helpers import OTHER_VILLAGE, add_household, content, member, person_state


def _pair(ctx: AppContext) -> tuple[int, int]:
    [a] = add_household(ctx, member(identifiers={"national_id": "100200301"}))
    [b] = add_household(ctx, member(identifiers={"national_id": "100200302",
                                                 "phone": "012 345 678"}))
    run_registry_dedupe(ctx, SYSTEM)
    return a, b


def test_queue_compare_accept_approve_undo(ctx: AppContext, auth_client: Any,
                                           make_user: Any) -> None:
    a, b = _pair(ctx)
    before = {p: person_state(ctx, p) for p in (a, b)}
    maker_name = make_user("registrar,approver")
    clerk = auth_client(username=maker_name)
    checker = auth_client("approver")

    queue = clerk.get("/api/v1/linkage/reviews").json()
    assert queue["total"] == 1
    item = queue["items"][0]
    assert (item["person_id_l"], item["person_id_r"]) == (a, b)
    assert item["conflicts"] == ["national_id"]

    cmp = clerk.get(f"/api/v1/linkage/reviews/{item['id']}").json()
    assert cmp["left"]["identifiers"]["national_id"].endswith("301")
    assert cmp["left"]["identifiers"]["national_id"].startswith("*")
    assert "100200301" not in str(cmp)
    fields = {f["field"]: f for f in cmp["fields"]}
    assert fields["family_name_latin"]["same"] is True
    assert fields["identifiers.national_id"]["same"] is False
    assert fields["identifiers.phone"]["same"] is None

    filed = clerk.post(f"/api/v1/linkage/reviews/{item['id']}/accept",
                       json={"reason": "same mother, checked the family book"})
    assert filed.status_code == 202, filed.text
    request_id = filed.json()["id"]
    assert filed.json()["kind"] == "person_merge"
    assert person_state(ctx, b)["row"]["status"] == "active"  # nothing merged yet

    own = clerk.post(f"/api/v1/approvals/{request_id}/approve", json={"reason": "ok by me"})
    assert own.status_code == 403  # the maker cannot approve their own request
    ok = checker.post(f"/api/v1/approvals/{request_id}/approve", json={"reason": "agreed"})
    assert ok.status_code == 200, ok.text
    merge_id = ok.json()["result"]["merge_id"]
    assert person_state(ctx, b)["row"]["merged_into_id"] == a
    assert clerk.get("/api/v1/linkage/reviews", params={"status": "merged"}).json()["total"] == 1
    merges = clerk.get("/api/v1/linkage/merges", params={"person_id": b}).json()
    assert [m["id"] for m in merges] == [merge_id] and merges[0]["method"] == "clerical"

    undo = clerk.post(f"/api/v1/linkage/merges/{merge_id}/undo",
                      json={"reason": "two sisters, not one person"})
    assert undo.status_code == 202, undo.text
    again = clerk.post(f"/api/v1/linkage/merges/{merge_id}/undo", json={"reason": "twice"})
    assert again.status_code == 409
    ok = checker.post(f"/api/v1/approvals/{undo.json()['id']}/approve", json={"reason": "yes"})
    assert ok.status_code == 200, ok.text
    for p in (a, b):
        assert content(person_state(ctx, p)) == content(before[p])


def test_reject_and_rejected_request_reopens(ctx: AppContext, auth_client: Any) -> None:
    _pair(ctx)
    clerk, checker = auth_client("registrar"), auth_client("approver")
    item = clerk.get("/api/v1/linkage/reviews").json()["items"][0]
    filed = clerk.post(f"/api/v1/linkage/reviews/{item['id']}/accept",
                       json={"reason": "looks the same"}).json()
    assert clerk.get("/api/v1/linkage/reviews").json()["total"] == 0
    checker.post(f"/api/v1/approvals/{filed['id']}/reject", json={"reason": "IDs differ"})
    reopened = clerk.get("/api/v1/linkage/reviews").json()
    assert reopened["total"] == 1 and reopened["items"][0]["status"] == "pending"
    r = clerk.post(f"/api/v1/linkage/reviews/{item['id']}/reject",
                   json={"reason": "different national IDs"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert clerk.post(f"/api/v1/linkage/reviews/{item['id']}/reject",
                      json={"reason": "again"}).status_code == 409


def test_scope_roles_and_bad_input(ctx: AppContext, auth_client: Any) -> None:
    _pair(ctx)  # both in Phnom Penh (12)
    elsewhere = auth_client("registrar", scope=OTHER_VILLAGE[:2])
    assert elsewhere.get("/api/v1/linkage/reviews").json()["total"] == 0
    assert elsewhere.get("/api/v1/linkage/reviews/1").status_code == 404  # as if missing
    clerk = auth_client("registrar")
    assert clerk.get("/api/v1/linkage/reviews/999").status_code == 404
    assert clerk.get("/api/v1/linkage/reviews", params={"status": "nonsense"}).status_code == 422
    assert clerk.post("/api/v1/linkage/reviews/1/accept", json={}).status_code == 422
    bad = clerk.post("/api/v1/linkage/reviews/1/accept",
                     json={"reason": "same", "survivor_id": 999})
    assert bad.status_code == 422
    assert clerk.post("/api/v1/linkage/merges/999/undo",
                      json={"reason": "nope"}).status_code == 404
    auditor = auth_client("auditor")
    assert auditor.post("/api/v1/linkage/reviews/1/accept",
                        json={"reason": "same"}).status_code == 403
    runs = auth_client("admin").get("/api/v1/linkage/runs").json()
    assert runs[0]["status"] == "finished" and runs[0]["queued"] == 1


def test_run_on_demand_over_http(ctx: AppContext, auth_client: Any) -> None:
    add_household(ctx, member())
    add_household(ctx, member())
    clerk = auth_client("registrar", scope="12")
    admin = auth_client("admin")
    bad = admin.post("/api/v1/linkage/runs",
                     json={"auto_merge_threshold": 0.999, "review_threshold": 1.0})
    assert bad.status_code == 422 and bad.json()["detail"][0]["msg_km"]
    assert admin.post("/api/v1/linkage/runs", json={"auto_merge_threshold": 2}).status_code == 422
    run = clerk.post("/api/v1/linkage/runs", json={})
    assert run.status_code == 201, run.text
    assert (run.json()["scope"], run.json()["records"], run.json()["auto_merged"]) == ("12", 2, 1)
    assert auth_client("approver").post("/api/v1/linkage/runs", json={}).status_code == 403


def test_nobody_merges_below_the_floor_over_http(ctx: AppContext, auth_client: Any) -> None:
    # issue 12, finding 1: a district registrar auto-merged people at probability 0.27
    add_household(ctx, member())
    [b] = add_household(ctx, member(family_name_latin="Sak", sex="M"))
    hostile = {"auto_merge_threshold": 0.01, "review_threshold": 0.005}
    clerk = auth_client("registrar", scope="12")
    refused = clerk.post("/api/v1/linkage/runs", json=hostile)
    assert refused.status_code == 403, refused.text
    assert "auto_merge_threshold" in refused.json()["detail"] and refused.json()["detail_km"]
    below = auth_client("admin").post("/api/v1/linkage/runs", json=hostile)
    assert below.status_code == 422, below.text
    assert below.json()["detail"][0]["loc"] == ["auto_merge_threshold"]
    assert below.json()["detail"][0]["type"] == "below_floor"
    assert auth_client("admin").get("/api/v1/linkage/runs").json() == []
    assert auth_client("admin").get(f"/api/v1/persons/{b}").json()["status"] == "active"
