"""A programme with beneficiaries, an approved payment cycle and its entitlement lines, written
straight into the payments tables (the schema of migration 0011), so that payroll files,
reconciliation, conditions and notifications are tested on real rows of a real database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.db.history import audit_values
from spmis.payments.accounts import set_account
from spmis.payments.providers import install_examples
from spmis.payments.store import beneficiary, entitlement, payment_cycle, programme
from spmis.registry.store import person
from tests.integration.linkage_registry.helpers import add_household, member

PERIOD = "2026-11"
GIVEN = ["Dara", "Sophea", "Vanna", "Channa", "Bopha", "Kosal", "Rathana", "Sokha", "Mealea"]
AMOUNT = 80_000


@dataclass
class Cycle:
    programme_id: int
    cycle_id: int
    beneficiaries: list[int] = field(default_factory=list)
    persons: list[int] = field(default_factory=list)
    households: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def add_programme(ctx: AppContext, code: str = "pwcu2", frequency: str = "monthly") -> int:
    with ctx.engine.begin() as conn:
        return int(conn.execute(insert(programme).values(
            code=code, name_en="Pregnant women and children under 2",
            name_km="ស្ត្រីមានផ្ទៃពោះ និងកុមារអាយុក្រោម២ឆ្នាំ", kind="cash_transfer",
            rules_programme="pregnant_child_cash_transfer",
            rules_variable="pregnant_child_cash_transfer", entity="person", currency="KHR",
            frequency=frequency, target_area="", start_date=date(2026, 1, 1), state="active",
            **audit_values("system")).returning(programme.c.id)).scalar_one())


def add_cycle(ctx: AppContext, programme_id: int, period: str = PERIOD, sequence: int = 1,
              state: str = "approved") -> int:
    with ctx.engine.begin() as conn:
        return int(conn.execute(insert(payment_cycle).values(
            programme_id=programme_id, period=period, sequence=sequence, evaluation_run_id=1,
            state=state, currency="KHR", **audit_values("maker"))
            .returning(payment_cycle.c.id)).scalar_one())


def add_beneficiary(ctx: AppContext, programme_id: int, *, family: str = "Sok",
                    given: str = "Dara", family_km: str | None = None) -> tuple[int, int, int]:
    """(beneficiary id, person id, household id) of a new enrolled woman."""
    [pid] = add_household(ctx, member(family_name_latin=family, given_name_latin=given,
                                      family_name_km=family_km))
    from spmis.registry import queries

    people = queries.people()
    with ctx.engine.begin() as conn:
        hid = conn.execute(select(people.c.household_id).where(people.c.id == pid)).scalar_one()
        bid = conn.execute(insert(beneficiary).values(
            programme_id=programme_id, entity="person", entity_id=pid, household_id=hid,
            state="enrolled", source="run", enrolled_on=date(2026, 1, 5),
            **audit_values("system")).returning(beneficiary.c.id)).scalar_one()
    return int(bid), pid, int(hid)


def add_line(ctx: AppContext, cycle_id: int, programme_id: int, bid: int, hid: int, *,
             amount: int = AMOUNT, component: str = "benefit", period: str = PERIOD,
             state: str = "approved") -> int:
    with ctx.engine.begin() as conn:
        return int(conn.execute(insert(entitlement).values(
            cycle_id=cycle_id, payroll_cycle_id=cycle_id, programme_id=programme_id,
            beneficiary_id=bid, household_id=hid, amount=amount, period=period,
            component=component, currency="KHR", state=state, province_code="12",
            commune_code="120101", recipient_sex="F").returning(entitlement.c.id)).scalar_one())


def approved_cycle(ctx: AppContext, n: int = 3, provider: str = "example_bank",
                   accounts: list[str] | None = None, names: list[tuple[str, str]] | None = None,
                   state: str = "approved") -> Cycle:
    """A programme, ``n`` beneficiaries with an account at ``provider`` and an approved cycle
    with one 80,000 riel line each."""
    install_examples(ctx, SYSTEM)
    prog = add_programme(ctx)
    cyc = add_cycle(ctx, prog, state=state)
    out = Cycle(prog, cyc)
    for i in range(n):
        family, given = ("Sok", GIVEN[i % len(GIVEN)])
        bid, pid, hid = add_beneficiary(ctx, prog, family=family, given=given)
        if names and i < len(names):  # names the registry would refuse today (older data)
            with ctx.engine.begin() as conn:
                conn.execute(update(person).where(person.c.id == pid).values(
                    family_name_latin=names[i][0], given_name_latin=names[i][1]))
        if accounts is not None:
            acct = accounts[i]
        elif provider == "example_bank":
            acct = f"00012345{i:04d}"
        else:
            acct = f"person{i}@wing"
        set_account(ctx, SYSTEM, bid, provider, acct, pid)
        out.beneficiaries.append(bid)
        out.persons.append(pid)
        out.households.append(hid)
        out.lines.append(add_line(ctx, cyc, prog, bid, hid))
    return out


def line_states(ctx: AppContext, ids: list[int]) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(entitlement.c.id, entitlement.c.state, entitlement.c.settled_on,
                   entitlement.c.state_reason, entitlement.c.attempt,
                   entitlement.c.payroll_cycle_id)
            .where(entitlement.c.id.in_(ids)).order_by(entitlement.c.id)).mappings()]
