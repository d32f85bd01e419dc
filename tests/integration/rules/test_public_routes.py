"""The rules routes in the real application: public (no login), behind the access control."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_screener_and_parameters_need_no_login(client: TestClient) -> None:
    body = {"period": "2026-11", "idpoor_level": 2, "commune_code": "010201",
            "members": [{"age": 30, "sex": "female"}, {"age": 1}]}
    res = client.post("/api/v1/screener", json=body)
    assert res.status_code == 200, res.text
    assert any(p["eligible"] for p in res.json()["programmes"])
    bad = client.post("/api/v1/screener", json={**body, "idpoor_level": 3})
    assert bad.status_code == 422
    assert ["body", "idpoor_level"] in [d["loc"] for d in bad.json()["detail"]]
    assert client.get("/api/v1/parameters").status_code == 200
    assert client.get("/api/v1/programmes").status_code == 200
