"""The household page and the batch evaluation give every household the same answers (issue 11):
for EVERY household of the demo population (``spmis demo``) and three months - this month (every
IDPoor card valid), a month when part of the cards have expired, and a month with a pregnant
member in a covered household - the page's function (``web.eligibility.household_eligibility``)
says what the batch stored (``RulesService.evaluate``), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from spmis.ops_cli import app as ops_app
from spmis.registry.store import household, person
from spmis.rules.screener import current_period
from spmis.rules.service import RulesService
from spmis.rules.store import read_results
from spmis.web.eligibility import household_eligibility

Answers = dict[tuple[int, str], tuple[bool, int, str]]


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _demo(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("spmis.ops_cli.get_settings", lambda: settings)
    res = CliRunner().invoke(ops_app, ["demo"])
    assert res.exit_code == 0, res.output


def _months(engine: Engine) -> dict[str, str]:
    """The three months, read from the demo data (generated as of today)."""
    with engine.connect() as conn:
        valid_to = sorted(conn.execute(
            select(household.c.idpoor_valid_to).where(household.c.idpoor_level.in_([1, 2]))
        ).scalars())
        due = conn.execute(
            select(func.min(person.c.expected_delivery_date)).where(person.c.pregnant)
        ).scalar_one()
    assert len(valid_to) > 10 and due is not None, "the demo needs IDPoor cards and pregnancies"
    now = current_period()
    assert _month(valid_to[0]) >= now, "every demo card is valid this month"
    expired = _month(_next_month(valid_to[len(valid_to) // 2]))  # about half have expired
    return {"before expiry": now, "after expiry": expired, "pregnant member": _month(due)}


def _batch(ctx: AppContext, period: str) -> Answers:
    """The stored run's rows per household and programme (person rows summed)."""
    RulesService(ctx).evaluate(SYSTEM, period)
    with ctx.engine.connect() as conn:
        rows = read_results(conn, period)
        household_of = {r.id: r.household_id
                        for r in conn.execute(select(person.c.id, person.c.household_id))}
    agg: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [False, 0, ""])
    for r in rows:
        hid = r["entity_id"] if r["entity"] == "household" else household_of[r["entity_id"]]
        entry = agg[(hid, r["programme"])]
        entry[0] = entry[0] or r["eligible"]
        entry[1] += r["amount"]
        entry[2] = r["currency"]
    return {k: (bool(e), int(a), c) for k, (e, a, c) in agg.items()}


def _page(ctx: AppContext, household_ids: list[int], period: str) -> Answers:
    out: Answers = {}
    for hid in household_ids:
        answers = household_eligibility(ctx, SYSTEM, hid, "en", period)
        assert answers is not None, f"household {hid}: eligibility not computed"
        for a in answers:
            if a["eligible"] or a["amount"]:
                out[(hid, a["id"])] = (a["eligible"], a["amount"], a["currency"])
    return out


def test_page_equals_batch_for_every_demo_household(
    settings: Settings, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    _demo(settings, monkeypatch)
    months = _months(ctx.engine)
    with ctx.engine.connect() as conn:
        ids = list(conn.execute(select(household.c.id).order_by(household.c.id)).scalars())
    assert len(ids) >= 300
    seen: dict[str, Answers] = {}
    for label, period in months.items():
        batch = _batch(ctx, period)
        page = _page(ctx, ids, period)
        assert page == batch, (label, period, set(page.items()) ^ set(batch.items()))
        seen[label] = batch
    # the months do what they are chosen for: cards expire, a pregnancy is covered
    def idpoor(answers: Answers) -> set[int]:
        return {h for (h, p) in answers if p == "family_package_base"}
    assert idpoor(seen["after expiry"]) < idpoor(seen["before expiry"])
    assert idpoor(seen["after expiry"])
    with ctx.engine.connect() as conn:
        pregnant_households = set(conn.execute(
            select(person.c.household_id).where(person.c.pregnant)).scalars())
    covered = {h for (h, p) in seen["pregnant member"] if p == "pregnant_child_cash_transfer"}
    assert covered & pregnant_households
