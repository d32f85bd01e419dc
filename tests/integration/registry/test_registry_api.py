"""Registry API on a real database (SQLite and PostgreSQL): happy paths, every bad input named in
the foundation issue, membership changes and history."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from spmis.context import AppContext
from spmis.db.history import change_log
from spmis.registry.store import household, person, person_identifier

VILLAGE = "12010101"  # Phnom Penh, Chamkar Mon
OTHER_VILLAGE = "01020101"  # Banteay Meanchey


@pytest.fixture
def api(auth_client) -> TestClient:  # type: ignore[no-untyped-def]
    """The client the registry tests call the API with (authenticated as an admin)."""
    client: TestClient = auth_client("admin")
    return client


def member(rel: str = "head", **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "relationship": rel,
        "family_name_latin": "Sok",
        "given_name_latin": "Dara",
        "family_name_km": "សុខ",
        "given_name_km": "តារា",
        "sex": "F",
        "date_of_birth": "1988-04-12",
    }
    body.update(kw)
    return body


def household_body(*members: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"village_code": VILLAGE, "members": list(members) or [member()]}
    body.update(kw)
    return body


def create(api: TestClient, *members: dict[str, Any], **kw: Any) -> dict[str, Any]:
    r = api.post("/api/v1/households", json=household_body(*members, **kw))
    assert r.status_code == 201, r.text
    return dict(r.json())


def fields_of(r: Any) -> set[str]:
    return {".".join(str(p) for p in d["loc"]) for d in r.json()["detail"]}


def count(ctx: AppContext, table: Any) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_health_reports_schema_version(api: TestClient) -> None:
    body = api.get("/health/ready").json()
    assert body["status"] == "ready"
    assert body["schema_version"] == body["schema_head"]


def test_create_and_read_household(api: TestClient) -> None:
    hh = create(
        api,
        member(identifiers={"national_id": "100200300", "phone": "012 345 678"}),
        member(
            "child",
            given_name_latin="Vannak",
            given_name_km="វណ្ណៈ",
            sex="M",
            date_of_birth="2025-06-01",
        ),
        idpoor_level=1,
        idpoor_card_number="EC-12-0001",
        idpoor_valid_from="2024-01-01",
        idpoor_valid_to="2026-12-31",
    )
    assert [a["code"] for a in hh["area"]] == ["12", "1201", "120101", VILLAGE]
    assert hh["commune_code"] == "120101"
    assert hh["idpoor_level"] == 1
    head = hh["members"][0]
    assert hh["head_person_id"] == head["id"]
    assert head["identifiers"] == {"national_id": "******300", "phone": "*********678"}
    got = api.get(f"/api/v1/households/{hh['id']}").json()
    assert got["members"] == hh["members"]
    assert api.get(f"/api/v1/persons/{head['id']}").json()["household_id"] == hh["id"]


def test_identifiers_stored_encrypted(api: TestClient, ctx: AppContext) -> None:
    create(api, member(identifiers={"national_id": "100200300", "phone": "012345678"}))
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(person_identifier)).mappings().all()
    assert {r["id_type"] for r in rows} == {"national_id", "phone"}
    for r in rows:
        assert r["value_clear"] is None
        assert b"100200300" not in r["value_enc"] and b"12345678" not in r["value_enc"]
        assert "100200300" not in r["value_hash"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"name": "Sokh Dara"}, 1),
        ({"name": "sok"}, 1),
        ({"name": "Dara Sok"}, 1),
        ({"name": "Soc Dra"}, 1),
        ({"name": "តារា"}, 1),
        ({"name": "Heng"}, 1),
        ({"name": "Chan"}, 0),
        ({"area": "12"}, 1),
        ({"area": "1201"}, 1),
        ({"area": "120101"}, 1),
        ({"area": VILLAGE}, 1),
        ({"area": "01"}, 1),
        ({"area": "02"}, 0),
        ({"identifier_type": "national_id", "identifier": "100 200 300"}, 1),
        ({"identifier_type": "phone", "identifier": "+85512345678"}, 1),
        ({"identifier_type": "national_id", "identifier": "999888777"}, 0),
    ],
)
def test_search_persons(api: TestClient, query: dict[str, str], expected: int) -> None:
    create(api, member(identifiers={"national_id": "100200300", "phone": "012345678"}))
    create(
        api,
        member(
            family_name_latin="Heng",
            family_name_km="ហេង",
            given_name_latin="Sophea",
            given_name_km="សុភា",
        ),
        village_code=OTHER_VILLAGE,
    )
    r = api.get("/api/v1/persons", params=query)
    assert r.status_code == 200, r.text
    if query == {"name": "Heng"}:
        expected = 1
    names = [(p["family_name_latin"], p["given_name_latin"]) for p in r.json()["items"]]
    assert len(names) == expected, names


def test_search_pagination(api: TestClient) -> None:
    for i in range(5):
        create(api, member(given_name_latin=f"Dara{'a' * i}"))
    page1 = api.get("/api/v1/persons", params={"area": VILLAGE, "page_size": 2}).json()
    page3 = api.get("/api/v1/persons", params={"area": VILLAGE, "page_size": 2, "page": 3}).json()
    assert page1["total"] == 5
    assert len(page1["items"]) == 2
    assert len(page3["items"]) == 1
    hh = api.get("/api/v1/households", params={"area": "1201", "page_size": 10}).json()
    assert hh["total"] == 5


def test_update_household_and_history(api: TestClient) -> None:
    hh = create(api)
    r = api.patch(
        f"/api/v1/households/{hh['id']}",
        json={
            "idpoor_level": 2,
            "idpoor_card_number": "EC-9",
            "reason": "IDPoor round 10",
            "expected_version": hh["version"],
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == hh["version"] + 1
    history = api.get(f"/api/v1/households/{hh['id']}/history").json()
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["changes"]["idpoor_level"] == [None, 2]
    assert history[1]["reason"] == "IDPoor round 10"
    assert history[1]["changed_by"]
    stale = api.patch(
        f"/api/v1/households/{hh['id']}",
        json={"address_detail": "St 1", "reason": "fix", "expected_version": 1},
    )
    assert stale.status_code == 409


def test_update_person_history_keeps_every_version(api: TestClient) -> None:
    pid = create(api)["members"][0]["id"]
    for name in ("Darra", "Daro"):
        r = api.patch(
            f"/api/v1/persons/{pid}", json={"given_name_latin": name, "reason": "spelling"}
        )
        assert r.status_code == 200, r.text
    history = api.get(f"/api/v1/persons/{pid}/history").json()
    assert [h["version"] for h in history] == [1, 2, 3]
    assert history[2]["changes"] == {"given_name_latin": ["Darra", "Daro"]}
    assert api.get(f"/api/v1/persons/{pid}").json()["version"] == 3


def test_membership_add_move_set_head_split(api: TestClient) -> None:
    a = create(api, member(), member("spouse", given_name_latin="Bopha", sex="F"))
    b = create(api, member(family_name_latin="Keo", given_name_latin="Rith", sex="M"))
    head_a, spouse_a = (m["id"] for m in a["members"])
    # add a new child
    r = api.post(
        f"/api/v1/households/{a['id']}/members",
        json={
            "person": member("child", given_name_latin="Mony", date_of_birth="2020-01-01"),
            "reason": "birth",
        },
    )
    assert r.status_code == 200, r.text
    child = r.json()["members"][-1]["id"]
    # move the spouse to household b
    r = api.post(
        f"/api/v1/households/{a['id']}/members/{spouse_a}/move",
        json={"to_household_id": b["id"], "relationship": "spouse", "reason": "marriage"},
    )
    assert r.status_code == 200, r.text
    assert spouse_a in [m["id"] for m in r.json()["members"]]
    # make the child head of a; the former head becomes a parent
    r = api.post(
        f"/api/v1/households/{a['id']}/head",
        json={"person_id": child, "former_head_relationship": "parent", "reason": "x y"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["head_person_id"] == child
    # split the former head off into a new household
    r = api.post(
        f"/api/v1/households/{a['id']}/split",
        json={"person_ids": [head_a], "head_person_id": head_a, "reason": "moved out"},
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["head_person_id"] == head_a and new["village_code"] == VILLAGE
    assert [m["id"] for m in api.get(f"/api/v1/households/{a['id']}").json()["members"]] == [child]
    person_history = api.get(f"/api/v1/persons/{head_a}/history").json()
    assert [h["action"] for h in person_history] == ["create", "relationship", "split"]


def test_membership_errors(api: TestClient) -> None:
    a = create(api, member(), member("child", given_name_latin="Mony", date_of_birth="2020-01-01"))
    b = create(api)
    head_a, child = (m["id"] for m in a["members"])
    r = api.post(
        f"/api/v1/households/{a['id']}/members",
        json={"person": member("head", given_name_latin="Rith"), "reason": "test"},
    )
    assert r.status_code == 422 and fields_of(r) == {"relationship"}
    r = api.post(
        f"/api/v1/households/{a['id']}/members/{head_a}/move",
        json={"to_household_id": b["id"], "relationship": "spouse", "reason": "test"},
    )
    assert r.status_code == 422 and fields_of(r) == {"person_id"}
    r = api.post(
        f"/api/v1/households/{a['id']}/members/{child}/move",
        json={"to_household_id": b["id"], "relationship": "head", "reason": "test"},
    )
    assert r.status_code == 422 and fields_of(r) == {"relationship"}
    r = api.post(
        f"/api/v1/households/{a['id']}/split",
        json={"person_ids": [head_a], "head_person_id": child, "reason": "test"},
    )
    assert r.status_code == 422 and fields_of(r) == {"head_person_id"}
    r = api.post(f"/api/v1/households/{b['id']}/head", json={"person_id": child, "reason": "test"})
    assert r.status_code == 422 and fields_of(r) == {"person_id"}


def test_unknown_village_is_rejected_and_nothing_written(api: TestClient, ctx: AppContext) -> None:
    r = api.post("/api/v1/households", json=household_body(village_code="12999999"))
    assert r.status_code == 422
    assert fields_of(r) == {"village_code"}
    assert "gazetteer" in r.json()["detail"][0]["msg"]
    assert r.json()["detail"][0]["msg_km"]
    assert count(ctx, household) == 0


def test_impossible_date_is_rejected(api: TestClient, ctx: AppContext) -> None:
    r = api.post("/api/v1/households", json=household_body(member(date_of_birth="2023-02-30")))
    assert r.status_code == 422
    assert fields_of(r) == {"body.members.0.date_of_birth"}
    r = api.post("/api/v1/households", json=household_body(member(date_of_birth="2099-01-01")))
    assert r.status_code == 422 and fields_of(r) == {"members.0.date_of_birth"}
    assert count(ctx, person) == 0


def test_second_head_is_rejected(api: TestClient, ctx: AppContext) -> None:
    r = api.post("/api/v1/households", json=household_body(member(), member(given_name_latin="B")))
    assert r.status_code == 422
    assert fields_of(r) == {"members.1.relationship"}
    assert count(ctx, household) == 0 and count(ctx, person) == 0


def test_identifier_owned_by_another_person(api: TestClient, ctx: AppContext) -> None:
    create(api, member(identifiers={"national_id": "100200300"}))
    before = (count(ctx, household), count(ctx, person), count(ctx, change_log))
    r = api.post(
        "/api/v1/households",
        json=household_body(
            member(given_name_latin="Other", identifiers={"national_id": "100-200-300"})
        ),
    )
    assert r.status_code == 422
    assert fields_of(r) == {"members.0.identifiers.national_id"}
    assert r.json()["detail"][0]["type"] == "identifier_taken"
    assert (count(ctx, household), count(ctx, person), count(ctx, change_log)) == before


def test_shared_phone_is_allowed(api: TestClient) -> None:
    create(api, member(identifiers={"phone": "012345678"}))
    create(api, member(given_name_latin="Bopha", identifiers={"phone": "012345678"}))
    r = api.get("/api/v1/persons", params={"identifier_type": "phone", "identifier": "012345678"})
    assert r.json()["total"] == 2


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"idpoor_level": 3, "idpoor_card_number": "X-1"}, "idpoor_level"),
        ({"village_code": "1201"}, "body.village_code"),
        ({"village_code": "99999999"}, "village_code"),
        ({"unknown": 1}, "body.unknown"),
    ],
)
def test_bad_household_updates(api: TestClient, patch: dict[str, Any], field: str) -> None:
    hh = create(api)
    r = api.patch(f"/api/v1/households/{hh['id']}", json={**patch, "reason": "test"})
    assert r.status_code == 422, r.text
    assert field in fields_of(r)
    assert api.get(f"/api/v1/households/{hh['id']}").json()["version"] == hh["version"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sex": "X"}, "body.members.0.sex"),
        ({"identifiers": {"phone": "123"}}, "members.0.identifiers.phone"),
        ({"identifiers": {"passport": "1"}}, "body.members.0.identifiers.passport.[key]"),
        ({"pregnant": True}, "members.0.expected_delivery_date"),
        ({"family_name_km": "Sok"}, "members.0.family_name_km"),
        ({"enterprise_id": 999}, "members.0.enterprise_id"),
    ],
)
def test_bad_person_fields(api: TestClient, body: dict[str, Any], field: str) -> None:
    r = api.post("/api/v1/households", json=household_body(member(**body)))
    assert r.status_code == 422, r.text
    assert field in fields_of(r), fields_of(r)


def test_not_found_and_bad_ids(api: TestClient) -> None:
    assert api.get("/api/v1/households/999").status_code == 404
    assert api.get("/api/v1/persons/999").status_code == 404
    assert api.get("/api/v1/persons/abc").status_code == 422
    assert api.get("/api/v1/persons/0").status_code == 422
    assert api.get("/api/v1/persons", params={"area": "123"}).status_code == 422
    assert api.get("/api/v1/persons", params={"area": "99"}).status_code == 422
    assert api.get("/api/v1/persons", params={"identifier": "123456789"}).status_code == 422
    assert api.get("/api/v1/persons", params={"name": "!!!"}).status_code == 422
    assert api.post("/api/v1/households", content=b"{not json").status_code == 422


def test_enterprises(api: TestClient) -> None:
    r = api.post(
        "/api/v1/enterprises",
        json={
            "name_latin": "Angkor Garments",
            "name_km": "អង្គរ",
            "nssf_employer_number": "NSSF-001",
            "village_code": VILLAGE,
            "sector": "C",
            "size_workers": 120,
        },
    )
    assert r.status_code == 201, r.text
    ent = r.json()
    dup = api.post(
        "/api/v1/enterprises",
        json={"name_latin": "Other", "village_code": VILLAGE, "nssf_employer_number": "NSSF-001"},
    )
    assert dup.status_code == 422 and fields_of(dup) == {"nssf_employer_number"}
    r = api.patch(f"/api/v1/enterprises/{ent['id']}", json={"size_workers": 130, "reason": "count"})
    assert r.json()["size_workers"] == 130
    assert api.get("/api/v1/enterprises", params={"name": "angkor"}).json()["total"] == 1
    worker = create(api, member(employment_type="formal", enterprise_id=ent["id"]))
    assert worker["members"][0]["enterprise_id"] == ent["id"]
    history = api.get(f"/api/v1/enterprises/{ent['id']}/history").json()
    assert [h["action"] for h in history] == ["create", "update"]


def test_reference_data(api: TestClient) -> None:
    provinces = api.get("/api/v1/reference/provinces").json()
    assert len(provinces) == 25
    pp = next(p for p in provinces if p["code"] == "12")
    assert pp["name_en"] == "Phnom Penh" and pp["name_km"]
    districts = api.get("/api/v1/reference/provinces/12/districts").json()
    assert all(d["code"].startswith("12") and len(d["code"]) == 4 for d in districts)
    communes = api.get("/api/v1/reference/districts/1201/communes").json()
    assert "120101" in [c["code"] for c in communes]
    villages = api.get("/api/v1/reference/communes/120101/villages").json()
    assert VILLAGE in [v["code"] for v in villages]
    assert api.get("/api/v1/reference/units/01020101").json()["level"] == "village"
    assert api.get("/api/v1/reference/units/99").status_code == 404
    assert api.get("/api/v1/reference/units/1").status_code == 422
