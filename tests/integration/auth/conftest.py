"""Helpers for the access-control tests: households in two communes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

HOME_VILLAGE = "12010101"  # Phnom Penh, Chamkar Mon; commune 120101
HOME_COMMUNE = "120101"
OTHER_VILLAGE = "01020101"  # Banteay Meanchey; commune 010201


def person(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "relationship": "head", "family_name_latin": "Sok", "given_name_latin": "Dara",
        "family_name_km": "សុខ", "given_name_km": "តារា", "sex": "F",
        "date_of_birth": "1988-04-12",
    }
    body.update(kw)
    return body


@pytest.fixture
def admin(auth_client) -> TestClient:  # type: ignore[no-untyped-def]
    client: TestClient = auth_client("admin")
    return client


@pytest.fixture
def household(admin: TestClient) -> Callable[..., dict[str, Any]]:
    """``household(village, **person_fields)`` registers a one-person household as an admin."""

    def make(village: str = HOME_VILLAGE, **kw: Any) -> dict[str, Any]:
        r = admin.post("/api/v1/households",
                       json={"village_code": village, "members": [person(**kw)]})
        assert r.status_code == 201, r.text
        return dict(r.json())

    return make
