"""A district officer (scope: a 4-digit district code) sees and changes nothing outside the
district, on every query path that filters by geographic scope: registry search (households,
people, enterprises), export, import (households and enterprises), DCI search, deduplication
runs and the linkage review queue (queue, comparison, decisions, merges, runs, undo), and
approvals (list, read, decide).

The data lies in two districts of the same province (1201 and 1202), so a filter that stopped
at the province, or let every record through, fails here. Every path uses ``spmis.auth.scope``:
breaking that one module makes each test below fail."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spmis.auth.approvals import ApprovalService
from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.interop import model as dci
from spmis.interop.client import search_criteria
from spmis.interop.records import Disclosure
from spmis.interop.service import DciService
from spmis.linkage import schemas as ls
from spmis.linkage.registry_dedupe import run_registry_dedupe
from spmis.linkage.review import ReviewService
from spmis.registry import schemas as rs
from spmis.registry.exporter import export_enterprises, export_households
from spmis.registry.fileformat import ENTERPRISE_COLUMNS, HOUSEHOLD_COLUMNS
from spmis.registry.importer import import_enterprises, import_households
from spmis.registry.personal import PersonalDataService
from spmis.registry.service import RegistryService

DISTRICT, OTHER_DISTRICT = "1201", "1202"  # Chamkar Mon and Doun Penh, both Phnom Penh
HOME, OTHER = "12010101", "12020101"
OFFICER = Actor("district-officer", frozenset({"registrar", "approver"}), DISTRICT)


@dataclass
class Side:
    """What was registered in one district."""

    households: list[int]
    people: list[int]
    enterprise: int


def _register(ctx: AppContext, village: str, nids: tuple[str, str], given: str,
              born: str) -> Side:
    """Two households whose heads look like one person with two national IDs (a review pair
    for deduplication), one enterprise; every person consents to data sharing."""
    service = RegistryService(ctx)
    households, people = [], []
    for nid in nids:
        hh = service.create_household(rs.HouseholdCreate.model_validate({
            "village_code": village, "members": [{
                "relationship": "head", "family_name_latin": "Sok", "given_name_latin": given,
                "family_name_km": "សុខ", "sex": "F", "date_of_birth": born,
                "identifiers": {"national_id": nid}}]}), SYSTEM)
        households.append(hh.id)
        people.append(hh.members[0].id)
        PersonalDataService(ctx).record_consent(hh.members[0].id, SYSTEM, "data_sharing",
                                                "given", date(2026, 1, 1))
    enterprise = service.create_enterprise(rs.EnterpriseCreate(
        name_latin=f"Angkor Rice {village}", village_code=village), SYSTEM)
    return Side(households, people, enterprise.id)


@pytest.fixture
def sides(ctx: AppContext) -> tuple[Side, Side]:
    # different people in each district: deduplication pairs no one across them
    return (_register(ctx, HOME, ("100200301", "100200302"), "Dara", "1988-04-12"),
            _register(ctx, OTHER, ("100200401", "100200402"), "Sophea", "1975-09-30"))


@pytest.fixture
def officer(auth_client: Any) -> TestClient:
    client: TestClient = auth_client("registrar,approver", DISTRICT)
    return client


def _refused(r: Any) -> None:
    assert r.status_code in (403, 404), (r.status_code, r.text)
    assert OTHER not in r.text


# ---------------------------------------------------------------- registry search
def test_registry_search(sides: tuple[Side, Side], officer: TestClient) -> None:
    home, other = sides
    households = officer.get("/api/v1/households").json()
    assert sorted(h["id"] for h in households["items"]) == home.households
    people = officer.get("/api/v1/persons", params={"name": "Sok"}).json()
    assert sorted(p["id"] for p in people["items"]) == home.people
    enterprises = officer.get("/api/v1/enterprises").json()
    assert [e["id"] for e in enterprises["items"]] == [home.enterprise]
    for path in ("/api/v1/households", "/api/v1/persons", "/api/v1/enterprises"):
        assert officer.get(path, params={"area": OTHER_DISTRICT}).json()["total"] == 0
        assert officer.get(path, params={"area": OTHER}).json()["total"] == 0
    for path in (f"/api/v1/households/{other.households[0]}",
                 f"/api/v1/persons/{other.people[0]}",
                 f"/api/v1/enterprises/{other.enterprise}"):
        _refused(officer.get(path))


# ---------------------------------------------------------------- export
def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_export(ctx: AppContext, sides: tuple[Side, Side], tmp_path: Path) -> None:
    households = export_households(ctx, tmp_path / "households.csv", OFFICER)
    rows = _csv(tmp_path / "households.csv")
    assert households.households == 2 and {r["village_code"] for r in rows} == {HOME}
    export_enterprises(ctx, tmp_path / "enterprises.csv", OFFICER)
    assert {r["village_code"] for r in _csv(tmp_path / "enterprises.csv")} == {HOME}
    export_households(ctx, tmp_path / "other.csv", OFFICER, area=OTHER_DISTRICT)
    assert _csv(tmp_path / "other.csv") == []


# ---------------------------------------------------------------- import
def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_import(ctx: AppContext, tmp_path: Path) -> None:
    people = [{"household_key": f"H-{v}", "village_code": v, "person_key": f"P-{v}",
               "relationship": "head", "family_name_latin": "Keo", "given_name_latin": "Rith",
               "sex": "M", "date_of_birth": "1990-01-01"} for v in (HOME, OTHER)]
    summary = import_households(ctx, _write(tmp_path / "h.csv", HOUSEHOLD_COLUMNS, people),
                                OFFICER, tmp_path / "h-rejects.csv", progress=False)
    assert (summary.households_created, summary.rows_rejected) == (1, 1)
    [reject] = _csv(tmp_path / "h-rejects.csv")
    assert reject["village_code"] == OTHER and reject["error_field"] == "village_code"
    enterprises = [{"enterprise_key": f"E-{v}", "name_latin": "Mekong Tuk-tuk",
                    "village_code": v} for v in (HOME, OTHER)]
    summary = import_enterprises(ctx, _write(tmp_path / "e.csv", ENTERPRISE_COLUMNS, enterprises),
                                 OFFICER, tmp_path / "e-rejects.csv", progress=False)
    assert (summary.enterprises_created, summary.rows_rejected) == (1, 1)
    assert [r["village_code"] for r in _csv(tmp_path / "e-rejects.csv")] == [OTHER]
    found = RegistryService(ctx).search_households(SYSTEM, area=OTHER_DISTRICT)
    assert found.total == 0


# ---------------------------------------------------------------- DCI search
def test_dci_search(ctx: AppContext, sides: tuple[Side, Side]) -> None:
    home, _other = sides
    service = DciService(ctx)
    query = [{"expression1": {"attribute_name": "surname", "operator": "eq",
                              "attribute_value": "Sok"}}]
    with ctx.engine.connect() as conn:
        for entity, expected in (("Member", home.people), ("Household", home.households)):
            criteria = dci.parse_criteria(search_criteria("predicate", query, entity=entity),
                                          "search_criteria", 50, 100)
            records, total = service.run_criteria(conn, criteria, OFFICER,
                                                  Disclosure(OFFICER.username, "test", None))
            assert total == len(expected) == len(records), entity
            everything, _ = service.run_criteria(conn, criteria, SYSTEM,
                                                 Disclosure(SYSTEM.username, "test", None))
            assert len(everything) == 2 * len(expected)


# ---------------------------------------------------------------- linkage
def test_deduplication_and_review(ctx: AppContext, sides: tuple[Side, Side],
                                  officer: TestClient) -> None:
    home, other = sides
    run_registry_dedupe(ctx, SYSTEM)  # the whole country: one pair in each district
    other_officer = Actor("other-officer", frozenset({"registrar"}), OTHER_DISTRICT)
    assert run_registry_dedupe(ctx, other_officer).records == 2
    assert run_registry_dedupe(ctx, OFFICER).records == 2

    runs = officer.get("/api/v1/linkage/runs").json()
    assert [r["scope"] for r in runs] == [DISTRICT]
    queue = officer.get("/api/v1/linkage/reviews").json()
    assert [(i["person_id_l"], i["person_id_r"]) for i in queue["items"]] == [tuple(home.people)]
    reviews = ReviewService(ctx)
    everything = reviews.queue(SYSTEM).items
    [theirs] = [i for i in everything if i.person_id_l == other.people[0]]
    _refused(officer.get(f"/api/v1/linkage/reviews/{theirs.id}"))
    _refused(officer.post(f"/api/v1/linkage/reviews/{theirs.id}/accept",
                          json={"reason": "same person"}))
    _refused(officer.post(f"/api/v1/linkage/reviews/{theirs.id}/reject",
                          json={"reason": "not the same"}))

    # a merge in each district, filed and approved by country-wide staff
    maker = Actor("maker", frozenset({"registrar"}), "")
    checker = Actor("checker", frozenset({"approver"}), "")
    for item in everything:
        filed = reviews.accept(item.id, ls.AcceptIn(reason="one person, two cards"), maker)
        ApprovalService(ctx).approve(filed.id, checker, "agreed")
    merges = officer.get("/api/v1/linkage/merges").json()
    assert [m["survivor_id"] for m in merges] == [home.people[0]]
    [their_merge] = [m for m in reviews.merges(SYSTEM) if m.survivor_id == other.people[0]]
    _refused(officer.post(f"/api/v1/linkage/merges/{their_merge.id}/undo",
                          json={"reason": "two sisters"}))
    assert officer.get("/api/v1/linkage/merges",
                       params={"person_id": other.people[1]}).json() == []


# ---------------------------------------------------------------- approvals
def test_approvals(ctx: AppContext, sides: tuple[Side, Side], auth_client: Any,
                   officer: TestClient) -> None:
    home, other = sides
    registrar = auth_client("registrar")
    filed = {}
    for side, nid in ((home, "300400501"), (other, "300400502")):
        r = registrar.patch(f"/api/v1/persons/{side.people[0]}", json={
            "identifiers": {"national_id": nid}, "reason": "card renewed"})
        assert r.status_code == 202, r.text
        filed[side.people[0]] = r.json()["id"]
    mine, theirs = filed[home.people[0]], filed[other.people[0]]

    listed = officer.get("/api/v1/approvals").json()
    assert [a["id"] for a in listed] == [mine]
    assert officer.get("/api/v1/approvals", params={"status": "pending"}).json() == listed
    _refused(officer.get(f"/api/v1/approvals/{theirs}"))
    _refused(officer.post(f"/api/v1/approvals/{theirs}/approve", json={"reason": "fine"}))
    _refused(officer.post(f"/api/v1/approvals/{theirs}/reject", json={"reason": "not seen"}))
    assert ApprovalService(ctx).get(theirs, SYSTEM).status == "pending"
    ok = officer.post(f"/api/v1/approvals/{mine}/approve", json={"reason": "card seen"})
    assert ok.status_code == 200, ok.text
