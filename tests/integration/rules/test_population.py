"""What the registry's records mean for the rules in a month (``spmis.rules.population``): IDPoor
card validity, NSSF membership, pregnancy due dates and births, read the same way for the batch
and for one household; and who may ask. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.errors import Forbidden, InvalidInput, NotFound
from spmis.rules.population import load_population, load_population_parallel
from spmis.rules.service import RulesService
from tests.integration.rules.registry_seed import seed_registry


def _by_id(ids: Any, values: Any) -> dict[int, Any]:
    return {int(i): v.item() if hasattr(v, "item") else v for i, v in zip(ids, values, strict=True)}


def test_registry_facts_in_a_month(ctx: AppContext) -> None:
    seed_registry(ctx.engine)

    def load(period: str) -> Any:
        with ctx.engine.connect() as conn:
            return load_population(conn, period).population

    def idpoor(period: str) -> dict[int, int]:
        pop = load(period)
        return _by_id(pop.household_ids, pop.household["idpoor_level"])

    # card 4 has no dates: valid every month
    assert idpoor("2026-06") == {1: 1, 2: 0, 3: 0, 4: 1}  # last month of card 1; 3 not yet
    assert idpoor("2026-07") == {1: 0, 2: 0, 3: 0, 4: 1}  # card 1 expired
    assert idpoor("2026-08") == {1: 0, 2: 0, 3: 2, 4: 1}
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
    # a few households (the household page) are read as rows: the same facts as the batch's
    with ctx.engine.connect() as conn:
        few = load_population(conn, "2026-08", [1, 2, 3, 4, 999]).population
    assert few.household_ids.tolist() == sorted(aug.household_ids.tolist())
    for name in ("idpoor_level", "commune_code"):
        assert _by_id(few.household_ids, few.household[name]) == _by_id(
            aug.household_ids, aug.household[name]), name
    assert sorted(few.person_ids.tolist()) == sorted(aug.person_ids.tolist())
    for name in ("date_of_birth", "sex", "disability", "pregnant", "nssf_member"):
        assert _by_id(few.person_ids, few.person[name]) == _by_id(
            aug.person_ids, aug.person[name]), name
    assert _by_id(few.person_ids, few.person_roles) == _by_id(aug.person_ids, aug.person_roles)


def _answer(ctx: AppContext, hid: int, period: str, programme: str) -> Any:
    answers = RulesService(ctx).household_eligibility(SYSTEM, hid, period)
    return next(a for a in answers if a.programme.id == programme)


def test_household_answers_follow_the_card_and_the_fund(ctx: AppContext) -> None:
    seed_registry(ctx.engine)
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
    seed_registry(ctx.engine)
    service = RulesService(ctx)
    elsewhere = Actor("reg", frozenset({"registrar"}), "1201")
    with pytest.raises(NotFound):  # outside one's area answers as missing (issue 12 #9)
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
