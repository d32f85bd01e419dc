"""Programmes as data: the social assistance programmes of the rules catalogue become programme
records (names, the rules variable that computes the amount, target area, budget per fiscal
year, frequency, providers, dates, state). ``seed`` takes the start date from the first dated
formula of the amount's variable and the end date from the programme's ``active`` parameter
(the day before it turns false), so the record says what the rules say."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from spmis.auth.model import Actor
from spmis.db.history import audit_values, log_change, update_versioned
from spmis.errors import FieldError, InvalidInput
from spmis.payments import store
from spmis.payments.common import programme_by_code
from spmis.payments.model import (
    CURRENCIES,
    PROGRAMME_MOVES,
    Frequency,
    ProgrammeState,
    check_move,
)
from spmis.rules import catalogue, tax_benefit_system

__all__ = ["budget_for", "catalogue_dates", "list_programmes", "seed", "set_budget", "set_state"]

_NO_DATE = "0001-01-01"


def _formula_start(variable: str) -> date | None:
    starts = [k for k in tax_benefit_system().variables[variable].formulas if k != _NO_DATE]
    return date.fromisoformat(min(starts)) if starts else None


def _active_end(programme_id: str) -> date | None:
    """The last day of the programme's ``active`` parameter being true (None: still true)."""
    node = tax_benefit_system().parameters.social_assistance
    for name in node.children:
        if programme_id.startswith(name) and "active" in node.children[name].children:
            values = node.children[name].children["active"].values_list  # newest first
            if values and not values[0].value:
                return date.fromisoformat(values[0].instant_str) - timedelta(days=1)
    return None


def catalogue_dates() -> dict[str, tuple[date, date | None]]:
    """Start and end date of every social assistance programme of the catalogue. A part without
    a dated formula of its own starts with the first dated part of its family (Family Package
    parts with the base payment)."""
    out: dict[str, tuple[date, date | None]] = {}
    items = [p for p in catalogue.programmes() if p.kind == "social_assistance"]
    for p in items:
        start = _formula_start(p.variable) or (_formula_start(p.eligible) if p.eligible else None)
        if start is None:
            family = "_".join(p.id.split("_")[:2])
            dated = [d for q in items if q.id.startswith(family)
                     if (d := _formula_start(q.variable)) is not None]
            start = min(dated) if dated else date(2000, 1, 1)
        out[p.id] = (start, _active_end(p.id))
    return out


def seed(conn: Connection, actor: Actor) -> list[str]:
    """Create the record (state draft) of each catalogue programme that has none; returns the
    codes created. Running it again creates nothing."""
    have = set(conn.execute(select(store.programme.c.code)).scalars())
    dates = catalogue_dates()
    created = []
    for p in catalogue.programmes():
        if p.kind != "social_assistance" or p.id in have:
            continue
        start, end = dates[p.id]
        frequency = p.payment if p.payment in set(Frequency) else Frequency.MONTHLY
        new_id = conn.execute(insert(store.programme).values(
            code=p.id, name_en=p.name_en, name_km=p.name_km, kind=p.kind, rules_programme=p.id,
            rules_variable=p.variable, entity=p.entity, currency=p.currency,
            frequency=frequency, target_area="", start_date=start, end_date=end,
            state=ProgrammeState.DRAFT, **audit_values(actor.username),
        ).returning(store.programme.c.id)).scalar_one()
        log_change(conn, "programme", int(new_id), 1, "create", actor.username,
                   "seeded from the rules catalogue", {"code": [None, p.id]})
        created.append(p.id)
    return created


def list_programmes(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(store.programme).order_by(store.programme.c.id)).mappings()
    return [dict(r) for r in rows]


def set_state(conn: Connection, actor: Actor, code: str, new_state: str, reason: str,
              expected_version: int | None = None) -> int:
    """Move a programme between draft, active, suspended and closed; returns its version."""
    row = programme_by_code(conn, code, None)
    if new_state not in set(ProgrammeState):
        raise InvalidInput.one(("state",), "enum", "one of draft, active, suspended, closed",
                               "ជម្រើសមិនត្រឹមត្រូវ៖ draft, active, suspended, closed")
    check_move("programme", PROGRAMME_MOVES, row["state"], new_state)
    return update_versioned(
        conn, store.programme, "programme", row["id"], expected_version or row["version"],
        {"state": new_state}, action="state", by=actor.username, reason=reason,
        changes={"state": [row["state"], new_state]})


def set_budget(conn: Connection, actor: Actor, code: str, fiscal_year: int, amount: int,
               currency: str, legal_reference: str) -> None:
    """The budget of a programme for a fiscal year (smallest unit), with its legal source."""
    row = programme_by_code(conn, code)
    problems = []
    if not 2000 <= fiscal_year <= 2100:
        problems.append((("fiscal_year",), "out_of_range", "a year between 2000 and 2100",
                         "ឆ្នាំចន្លោះពី ២០០០ ដល់ ២១០០"))
    if amount < 0:
        problems.append((("amount",), "negative", "the budget cannot be negative",
                         "ថវិកាមិនអាចអវិជ្ជមានបានទេ"))
    if currency not in CURRENCIES or currency != row["currency"]:
        problems.append((("currency",), "currency_mismatch",
                         f"the programme pays in {row['currency']}",
                         f"កម្មវិធីនេះបង់ជា {row['currency']}"))
    if not legal_reference.strip():
        problems.append((("legal_reference",), "missing", "name the budget's legal source",
                         "សូមបញ្ជាក់ប្រភពច្បាប់នៃថវិកា"))
    if problems:
        raise InvalidInput([FieldError(*p) for p in problems])
    b = store.programme_budget
    found = conn.execute(select(b).where(b.c.programme_id == row["id"],
                                         b.c.fiscal_year == fiscal_year)).mappings().first()
    if found is None:
        new_id = conn.execute(insert(b).values(
            programme_id=row["id"], fiscal_year=fiscal_year, amount=amount, currency=currency,
            legal_reference=legal_reference, **audit_values(actor.username),
        ).returning(b.c.id)).scalar_one()
        log_change(conn, "budget", int(new_id), 1, "create", actor.username, legal_reference,
                   {"amount": [None, amount]})
        return
    update_versioned(conn, b, "budget", found["id"], found["version"],
                     {"amount": amount, "legal_reference": legal_reference}, action="update",
                     by=actor.username, reason=legal_reference,
                     changes={"amount": [found["amount"], amount]})


def budget_for(conn: Connection, programme_id: int, fiscal_year: int) -> int:
    b = store.programme_budget
    found = conn.execute(select(b.c.amount).where(b.c.programme_id == programme_id,
                                                  b.c.fiscal_year == fiscal_year)).scalar()
    return int(found or 0)
