"""A commune registrar sees and changes only their commune: by list, by search, by id, and by
guessing ids. Out-of-scope requests get 403 (or 404) with a message, never data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

HOME_VILLAGE, HOME_COMMUNE, OTHER_VILLAGE = "12010101", "120101", "01020101"

NID_HOME, NID_OTHER = "111222333", "444555666"


def _setup(household: Callable[..., dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    home = household(HOME_VILLAGE, given_name_latin="Dara",
                     identifiers={"national_id": NID_HOME})
    other = household(OTHER_VILLAGE, given_name_latin="Dara",
                      identifiers={"national_id": NID_OTHER})
    return home, other


def _no_data(r: Any, *secrets: str) -> None:
    assert r.status_code in (403, 404), r.text
    body = r.json()
    assert set(body) == {"detail", "detail_km"}, body
    for secret in secrets:
        assert secret not in r.text


def test_list_and_search_show_only_own_commune(auth_client, household) -> None:  # type: ignore[no-untyped-def]
    home, _other = _setup(household)
    reg = auth_client("registrar", HOME_COMMUNE)
    listed = reg.get("/api/v1/households").json()
    assert [h["id"] for h in listed["items"]] == [home["id"]] and listed["total"] == 1
    assert reg.get("/api/v1/households", params={"area": "01"}).json()["total"] == 0
    by_name = reg.get("/api/v1/persons", params={"name": "Sok Dara"}).json()
    assert {p["household_id"] for p in by_name["items"]} == {home["id"]}
    by_id = reg.get("/api/v1/persons", params={"identifier_type": "national_id",
                                               "identifier": NID_OTHER}).json()
    assert by_id["total"] == 0 and by_id["items"] == []
    own = reg.get("/api/v1/persons", params={"identifier_type": "national_id",
                                             "identifier": NID_HOME}).json()
    assert own["total"] == 1


def test_read_by_id_and_guessed_ids_refused(auth_client, household) -> None:  # type: ignore[no-untyped-def]
    home, other = _setup(household)
    reg = auth_client("registrar", HOME_COMMUNE)
    other_pid = other["members"][0]["id"]
    for path in (f"/api/v1/households/{other['id']}", f"/api/v1/persons/{other_pid}",
                 f"/api/v1/households/{other['id']}/history",
                 f"/api/v1/persons/{other_pid}/history", f"/api/v1/persons/{other_pid}/consents"):
        _no_data(reg.get(path), "Banteay", OTHER_VILLAGE)
    # guessing: walk every id around the real ones; only the own record answers with data
    seen = []
    for guess in range(1, max(home["id"], other["id"]) + 5):
        r = reg.get(f"/api/v1/households/{guess}")
        if r.status_code == 200:
            seen.append(r.json()["id"])
        else:
            _no_data(r, OTHER_VILLAGE)
    assert seen == [home["id"]]


def test_changes_outside_commune_refused(auth_client, household, admin: TestClient) -> None:  # type: ignore[no-untyped-def]
    home, other = _setup(household)
    reg = auth_client("registrar", HOME_COMMUNE)
    other_pid = other["members"][0]["id"]
    home_pid = home["members"][0]["id"]
    attempts = [
        ("PATCH", f"/api/v1/households/{other['id']}", {"address_detail": "x", "reason": "fix"}),
        ("PATCH", f"/api/v1/persons/{other_pid}", {"given_name_latin": "X", "reason": "fix"}),
        ("PATCH", f"/api/v1/persons/{other_pid}",
         {"identifiers": {"national_id": "999888777"}, "reason": "fix"}),
        ("POST", f"/api/v1/households/{other['id']}/members",
         {"person": {**home["members"][0] | {"relationship": "child"}}, "reason": "birth"}),
        ("POST", f"/api/v1/households/{home['id']}/members",
         {"person_id": other_pid, "relationship": "child", "reason": "moved in"}),
        ("POST", f"/api/v1/households/{home['id']}/members/{home_pid}/move",
         {"to_household_id": other["id"], "relationship": "child", "reason": "moved"}),
        ("POST", "/api/v1/households", {"village_code": OTHER_VILLAGE, "members": [
            {"relationship": "head", "family_name_latin": "Keo", "given_name_latin": "Rith",
             "sex": "M", "date_of_birth": "1990-01-01"}]}),
        ("POST", f"/api/v1/persons/{other_pid}/consents",
         {"purpose": "contact", "status": "given", "effective_on": "2026-01-01"}),
    ]
    for method, path, body in attempts:
        r = reg.request(method, path, json=body)
        assert r.status_code in (403, 404, 422), (method, path, r.status_code, r.text)
        if r.status_code != 422:
            _no_data(r, OTHER_VILLAGE)
    # nothing changed on the other side
    after = admin.get(f"/api/v1/households/{other['id']}").json()
    assert after["version"] == other["version"]
    assert [m["id"] for m in after["members"]] == [other_pid]
    assert admin.get("/api/v1/households").json()["total"] == 2
    assert admin.get("/api/v1/approvals").json() == []


def test_reveal_outside_scope_refused(auth_client, household) -> None:  # type: ignore[no-untyped-def]
    _home, other = _setup(household)
    reg = auth_client("registrar", HOME_COMMUNE)
    r = reg.post(f"/api/v1/persons/{other['members'][0]['id']}/reveal",
                 json={"reason": "checking identity at the commune office"})
    _no_data(r, NID_OTHER)
