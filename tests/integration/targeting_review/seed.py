"""A commune with scored households for the community review tests: commune 120101 (Tonle
Basak, Phnom Penh) with villages 12010101 and 12010102, and one household in another commune
(010201). Round 1's scores: households 1 and 2 Poor Level 1, 3 Poor Level 2, 4 not poor, 5
first scored Level 2 then (a later assessment) not poor, 6 never assessed; household 7 is in
the other commune and Level 1."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from spmis.auth.model import Actor
from spmis.registry.store import household, person
from spmis.targeting.store import (
    targeting_assessment,
    targeting_round,
    targeting_score,
    targeting_scoring,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
AUDIT = {"version": 1, "created_at": NOW, "created_by": "t", "updated_at": NOW,
         "updated_by": "t"}
COMMUNE = "120101"
V1, V2 = "12010101", "12010102"
OTHER = "01020101"
#: household id -> village, (Khmer family, given), (Latin family, given)
HOUSEHOLDS = {
    1: (V1, ("សុខ", "ដារា"), ("Sok", "Dara")),
    2: (V1, ("ចាន់", "សុភា"), ("Chan", "Sophea")),
    3: (V2, ("កែវ", "វណ្ណា"), ("Keo", "Vanna")),
    4: (V2, ("ហេង", "សំណាង"), ("Heng", "Samnang")),
    5: (V1, ("លី", "ស្រីមុំ"), ("Ly", "Sreymom")),
    6: (V2, ("ម៉ៅ", "ពិសិដ្ឋ"), ("Mao", "Piseth")),
    7: (OTHER, ("ស៊ុន", "ធីតា"), ("Sun", "Thida")),
}
#: (assessment id, household id, level) in the order received
SCORES = [(1, 1, 1), (2, 2, 1), (3, 3, 2), (4, 4, 0), (5, 5, 2), (6, 7, 1), (7, 5, 0)]


def _place(village: str) -> dict[str, str]:
    return {"village_code": village, "commune_code": village[:6], "district_code": village[:4],
            "province_code": village[:2]}


def seed(engine: Engine) -> int:
    """The registry, round 1 and its scores; returns the round's id."""
    people: list[dict[str, Any]] = []
    for hid, (_village, (fk, gk), (fl, gl)) in HOUSEHOLDS.items():
        people.append({
            "id": hid * 10 + 1, "household_id": hid, "relationship": "head", "sex": "F",
            "date_of_birth": date(1980, 1, 1), "family_name_km": fk, "given_name_km": gk,
            "family_name_latin": fl, "given_name_latin": gl, "name_key": "x",
            "name_skeleton": "x", "name_km_key": "x", "status": "active", **AUDIT})
        people.append({
            "id": hid * 10 + 2, "household_id": hid, "relationship": "child", "sex": "M",
            "date_of_birth": date(2015, 1, 1), "family_name_km": fk, "given_name_km": "កូន",
            "family_name_latin": fl, "given_name_latin": "Kon", "name_key": "y",
            "name_skeleton": "y", "name_km_key": "y", "status": "active", **AUDIT})
    with engine.begin() as conn:
        conn.execute(insert(household), [{"id": hid, **_place(v), "status": "active", **AUDIT}
                                         for hid, (v, _, _) in HOUSEHOLDS.items()])
        conn.execute(insert(person), people)
        conn.execute(insert(targeting_round).values(
            id=1, code="R2026", name="Round 2026", kind="village", area_code="12",
            parameter_date=date(2026, 1, 1), opens_on=date(2026, 10, 1),
            closes_on=date(2026, 11, 30), status="open", **AUDIT))
        conn.execute(insert(targeting_scoring).values(
            id=1, round_id=1, parameter_date=date(2026, 1, 1), assessments=len(SCORES),
            scored_at=NOW, scored_by="t"))
        conn.execute(insert(targeting_assessment), [{
            "id": aid, "round_id": 1, "household_id": hid,
            "village_code": HOUSEHOLDS[hid][0], "commune_code": HOUSEHOLDS[hid][0][:6],
            "instance_id": f"uuid:{aid}", "form_id": "idpoor", "form_version": "1",
            "channel": "odk", "enumerator": "enum", "submitted_at": NOW, "received_at": NOW,
            "answers": "{}", "status": "scored", **AUDIT} for aid, hid, _ in SCORES])
        conn.execute(insert(targeting_score), [{
            "assessment_id": aid, "round_id": 1, "scoring_id": 1, "total": 50 - 10 * level,
            "level": level, "points": "{}", "parameter_date": date(2026, 1, 1)}
            for aid, _, level in SCORES])
    return 1


def staff(name: str, *roles: str, scope: str = "") -> Actor:
    return Actor(name, frozenset(roles), scope)


CLERK = staff("clerk", "registrar", scope=COMMUNE)
CLERK_2 = staff("clerk-2", "registrar", scope=COMMUNE)
APPROVER = staff("approver", "approver", scope="12")
APPROVER_2 = staff("approver-2", "approver", scope="12")
ELSEWHERE = staff("clerk-other", "registrar", scope="010201")
