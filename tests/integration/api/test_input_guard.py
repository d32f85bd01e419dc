"""A NUL character in any field of a request is refused with 422 naming the field, before it can
reach the database (PostgreSQL's driver raised on it: a 500, found by fuzzing the login)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _nul_fields(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert all(d["type"] == "nul_character" and d["msg"] and d["msg_km"] for d in detail)
    return [d["loc"] for d in detail]


def test_json_body_fields_and_keys(client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json={"username": "ad\x00min", "password": "x"})
    assert _nul_fields(r) == [["body", "username"]]
    r = client.post("/api/v1/auth/login", json={"username": "a", "password": "p",
                                                "extra": [{"k\x00": 1}, "fine", "b\x00d"]})
    assert _nul_fields(r) == [["body", "extra", 0, "k\x00"], ["body", "extra", 2]]


def test_query_and_path(auth_client: Any) -> None:
    api = auth_client("registrar")
    assert _nul_fields(api.get("/api/v1/households", params={"area": "12\x0001"})) == [
        ["query", "area"]]
    assert _nul_fields(api.get("/api/v1/households/1%00")) == [["path", "household_id"]]


def test_forms_read_by_the_page_and_by_the_route(client: TestClient) -> None:
    r = client.post("/login", data={"username": "x\x00", "password": "y"})  # page reads it
    assert _nul_fields(r) == [["body", "username"]]
    r = client.post("/api/v1/auth/token",  # FastAPI parses it (Form parameters)
                    data={"grant_type": "client_credentials", "client_id": "c\x00"})
    assert _nul_fields(r) == [["body", "client_id"]]
    r = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                "client_id": "nobody", "client_secret": "x"})
    assert r.status_code == 401, r.text  # a form without NUL reaches the route


def test_text_without_nul_is_untouched(client: TestClient) -> None:
    # a literal backslash-u text is not a NUL: the login answers as for any unknown user
    r = client.post("/api/v1/auth/login", json={"username": "\\u0000", "password": "x"})
    assert r.status_code == 401, r.text
