"""Khmer name search is as forgiving as Latin search (issue 13, item 14): a name typed without
a diacritic sign (ហុន for ហ៊ុន), or with one the record lacks, finds the person; a Khmer typo is
found by the typo-tolerant pass. Migration 0007 turns the keys of people already stored into the
loose keys, in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from spmis.db.engine import make_engine
from spmis.db.migrate import upgrade
from spmis.names import khmer_key, khmer_loose_key
from spmis.registry.store import household, person

VILLAGE = "12010101"


def _register(api: TestClient, family_km: str, given_km: str, latin: str) -> None:
    body = {"village_code": VILLAGE, "members": [{
        "relationship": "head", "family_name_km": family_km, "given_name_km": given_km,
        "family_name_latin": latin, "given_name_latin": "Dara", "sex": "M",
        "date_of_birth": "1970-01-02"}]}
    r = api.post("/api/v1/households", json=body)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ហុន", ["Hun"]),  # triisap left out
        ("ហ៊ុន", ["Hun"]),  # as registered
        ("ហុន សែន", ["Hun"]),
        ("ម៉ៅ", ["Mao"]),  # a muusikatoan the record does not have
        ("ប៊ុនថន", ["Bunthoeun"]),  # bantoc left out
        ("ហុនសេន", ["Hun"]),  # one vowel wrong: the typo-tolerant pass
        ("សុខ", []),
    ],
)
def test_a_khmer_name_is_found_whatever_its_diacritics(auth_client, typed: str,  # type: ignore[no-untyped-def]
                                                        found: list[str]) -> None:
    api = auth_client("registrar", "120101")
    _register(api, "ហ៊ុន", "សែន", "Hun")
    _register(api, "មៅ", "សុផល", "Mao")
    _register(api, "ប៊ុនថន់", "ចាន់", "Bunthoeun")
    r = api.get("/api/v1/persons", params={"name": typed})
    assert r.status_code == 200, r.text
    assert [p["family_name_latin"] for p in r.json()["items"]] == found


def test_migration_0007_loosens_the_keys_already_stored(empty_db_url: str) -> None:
    upgrade(empty_db_url, "0006_registry_indexes")
    engine = make_engine(empty_db_url)
    now = datetime.now(UTC)
    audit = {"created_at": now, "created_by": "t", "updated_at": now, "updated_by": "t",
             "version": 1}
    names = ["ហ៊ុនសែន", "សុខតារា", "ម៉ៅ", "ឲ្យ"]
    try:
        with engine.begin() as conn:
            hid = conn.execute(insert(household).values(
                village_code=VILLAGE, commune_code=VILLAGE[:6], district_code=VILLAGE[:4],
                province_code=VILLAGE[:2], **audit).returning(household.c.id)).scalar_one()
            for i, km in enumerate(names):
                conn.execute(insert(person).values(
                    household_id=hid, relationship="head" if i == 0 else "child",
                    family_name_km=km, name_key="x", name_skeleton="x",
                    name_km_key=khmer_key(km), sex="M", date_of_birth=date(1970, 1, 2), **audit))
        upgrade(empty_db_url)
        with engine.connect() as conn:
            stored = conn.execute(select(person.c.name_km_key).order_by(person.c.id)).scalars()
            assert list(stored) == [khmer_loose_key(n) for n in names]
    finally:
        engine.dispose()
