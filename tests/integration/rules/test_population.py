"""What the registry's records mean for the rules in a month (``spmis.rules.population``): IDPoor
card validity, NSSF membership, pregnancy due dates and births, read the same way for the batch
and for one household; and who may ask. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.errors import Forbidden, InvalidInput, NotFound
from spmis.registry.store import enterprise, household, person, person_identifier
from spmis.rules.population import load_population, load_population_parallel
from spmis.rules.service import RulesService

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AUDIT = {"created_at": NOW, "created_by": "t", "updated_at": NOW, "updated_by": "t"}
RURAL = {"village_code": "01020101", "commune_code": "010201", "district_code": "0102",
         "province_code": "01"}


def _person(pid: int, hh: int, rel: str, sex: str, dob: date, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid, "household_id": hh, "relationship": rel, "sex": sex, "date_of_birth": dob,
        "name_key": "x", "name_skeleton": "x", "name_km_key": "x", "disability": False,
        "pregnant": False, "expected_delivery_date": None, "employment_type": "none",
        "enterprise_id": None, "status": "active", **AUDIT, **extra,
    }


def _seed(engine: Engine) -> None:
    ent = {"village_code": "01020101", "commune_code": "010201", "district_code": "0102",
           "province_code": "01", "status": "active", **AUDIT}
    with engine.begin() as conn:
        conn.execute(insert(enterprise), [
            {"id": 1, "name_latin": "Registered Co", "nssf_employer_number": "NSSF0000001", **ent},
            {"id": 2, "name_latin": "Unregistered Co", "nssf_employer_number": None, **ent},
        ])
        conn.execute(insert(household), [
            # card valid January - June 2026
            {"id": 1, **RURAL, "idpoor_level": 1, "idpoor_valid_from": date(2026, 1, 1),
             "idpoor_valid_to": date(2026, 6, 30), "status": "active", **AUDIT},
            {"id": 2, **RURAL, "idpoor_level": None, "idpoor_valid_from": None,
             "idpoor_valid_to": None, "status": "active", **AUDIT},
            # card valid from August 2026, no end recorded
            {"id": 3, **RURAL, "idpoor_level": 2, "idpoor_valid_from": date(2026, 8, 1),
             "idpoor_valid_to": None, "status": "active", **AUDIT},
        ])
        conn.execute(insert(person), [
            _person(11, 1, "head", "F", date(1990, 3, 3), pregnant=True,
                    expected_delivery_date=date(2026, 8, 15)),
            _person(12, 1, "child", "M", date(2026, 9, 10)),  # born in September 2026
            _person(21, 2, "head", "M", date(1985, 1, 1), employment_type="formal",
                    enterprise_id=1),  # registered employer, number not in the registry
            _person(22, 2, "spouse", "F", date(1987, 1, 1), employment_type="formal",
                    enterprise_id=2),  # employer unknown to the fund
            _person(23, 2, "sibling", "M", date(1990, 1, 1), employment_type="self_employed"),
            _person(24, 2, "child", "F", date(2025, 12, 1), employment_type="none"),
            _person(31, 3, "head", "F", date(1970, 1, 1)),
        ])
        conn.execute(insert(person_identifier), [
            {"person_id": 23, "id_type": "nssf_member", "value_hash": "h23",
             "value_clear": "N23", "created_at": NOW},  # voluntary member: a number, no employer
            {"person_id": 21, "id_type": "birth_certificate", "value_hash": "h21",
             "value_clear": "B21", "created_at": NOW},
        ])


def _by_id(ids: Any, values: Any) -> dict[int, Any]:
    return {int(i): v.item() if hasattr(v, "item") else v for i, v in zip(ids, values, strict=True)}


def test_registry_facts_in_a_month(ctx: AppContext) -> None:
    _seed(ctx.engine)

    def load(period: str) -> Any:
        with ctx.engine.connect() as conn:
            return load_population(conn, period).population

    def idpoor(period: str) -> dict[int, int]:
        pop = load(period)
        return _by_id(pop.household_ids, pop.household["idpoor_level"])

    assert idpoor("2026-06") == {1: 1, 2: 0, 3: 0}  # last month of card 1; card 3 not yet
    assert idpoor("2026-07") == {1: 0, 2: 0, 3: 0}  # card 1 expired
    assert idpoor("2026-08") == {1: 0, 2: 0, 3: 2}
    aug, sep = load("2026-08"), load("2026-09")
    assert 12 not in aug.person_ids.tolist() and 12 in sep.person_ids.tolist()  # born in Sept
    assert _by_id(aug.person_ids, aug.person["pregnant"])[11] is True  # due 15 August
    assert _by_id(sep.person_ids, sep.person["pregnant"])[11] is False  # due date passed
    assert {k: v for k, v in _by_id(aug.person_ids, aug.person["nssf_member"]).items()
            if k // 10 == 2} == {21: True, 22: False, 23: True, 24: False}
    parallel = load_population_parallel(ctx.engine, "2026-08", workers=2).population
    assert sorted(parallel.person_ids.tolist()) == sorted(aug.person_ids.tolist())
    assert _by_id(parallel.person_ids, parallel.person["nssf_member"]) == _by_id(
        aug.person_ids, aug.person["nssf_member"])


def _answer(ctx: AppContext, hid: int, period: str, programme: str) -> Any:
    answers = RulesService(ctx).household_eligibility(SYSTEM, hid, period)
    return next(a for a in answers if a.programme.id == programme)


def test_household_answers_follow_the_card_and_the_fund(ctx: AppContext) -> None:
    _seed(ctx.engine)
    june = _answer(ctx, 1, "2026-06", "family_package_base")
    july = _answer(ctx, 1, "2026-07", "family_package_base")
    assert (june.eligible, june.amount) == (True, 28_000)
    assert (july.eligible, july.amount) == (False, 0)
    assert july.summary.en == "not eligible: no IDPoor card"
    # no IDPoor card, but NSSF members in the household (2023 revision) and a child under 2
    child = _answer(ctx, 2, "2026-08", "pregnant_child_cash_transfer")
    assert child.eligible and "NSSF" in child.summary.en
    # the pregnancy due in August counts in August, not after
    assert _answer(ctx, 1, "2026-08", "pregnant_child_cash_transfer").eligible is False  # no card
    hh3 = RulesService(ctx).household_eligibility(SYSTEM, 3, "2026-08")
    assert {a.programme.id for a in hh3 if a.eligible} == {"family_package_base"}


def test_who_may_ask(ctx: AppContext) -> None:
    _seed(ctx.engine)
    service = RulesService(ctx)
    elsewhere = Actor("reg", frozenset({"registrar"}), "1201")
    with pytest.raises(Forbidden):
        service.household_eligibility(elsewhere, 1, "2026-08")
    assert service.household_eligibility(Actor("reg", frozenset({"registrar"}), "0102"), 1,
                                         "2026-08")
    with pytest.raises(NotFound):
        service.household_eligibility(SYSTEM, 999, "2026-08")
    with pytest.raises(InvalidInput) as bad:
        service.household_eligibility(SYSTEM, 1, "2026-13")
    assert bad.value.errors[0].loc == ("period",) and bad.value.errors[0].msg_km
    with pytest.raises(Forbidden):
        service.evaluate(elsewhere, "2026-08")
