"""The pension payroll: the fund's monthly pensions paid every month through a payment cycle.

An approved old-age or survivors' pension places a monthly payment order
(``payments.orders.place``, ``frequency='monthly'``) with the amount the rules gave at approval
(kept), its first month (``first_period``: the claim's month, paid with the claim itself), its
last month if it has one (``last_period``) and the person whose recorded death ends it
(``ends_on_death_of``: the pensioner; none for a survivors' pension, paid on the deceased
member's record). The programme ``nssf_pension`` (kind ``pension``) carries those orders into
the payments package's cycles, so the months after the first are paid, approved (maker-checker),
put in providers' payroll files, reconciled and counted in the ledger like any programme's lines.

Running the pension cycle of month M is set-based:

1. one ``INSERT ... SELECT`` makes each pensioner a beneficiary of ``nssf_pension`` (once: the
   unique key programme + person), so a payment account can be kept for them;
2. one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` adds a line for every month from the
   one after the order's first month up to M (months owed by a pension approved late are paid in
   M's payroll, each under its own month) unless the order was cancelled, its last month is
   before it, or the registry records the person's death (``person.status = 'deceased'``: the
   registry keeps no date of death, so nothing more is paid once a death is recorded). A line's
   component is ``pension:<order id>``: with the beneficiary, programme and month it is the
   line's unique key, one per pension and month, so a second run creates nothing. Only months
   after a pension's latest line are read, so a month skipped while a death was recorded is not
   paid back by itself if the record is corrected later.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import RowMapping

from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import audit_values, log_change
from spmis.payments import store
from spmis.payments.common import analyze, insert_ignoring_duplicates, log_set
from spmis.payments.model import (
    BeneficiaryState,
    EntitlementState,
    ProgrammeState,
    month_after,
    period_of,
)
from spmis.payments.order_store import payment_order
from spmis.registry import queries as registry
from spmis.rules import tax_benefit_system

__all__ = ["COMPONENT", "KIND", "PROGRAMME", "add_lines", "ensure_programme", "is_pension",
           "pension_start"]

PROGRAMME = "nssf_pension"
KIND = "pension"
COMPONENT = "pension:"
SOURCE = "pension"  # beneficiary.source
ENDED_STATES = ("cancelled",)  # an order in these states is not paid any more
b, e, o = store.beneficiary, store.entitlement, payment_order


def is_pension(prog: Any) -> bool:
    """Whether ``prog`` (a programme row) is the pension payroll."""
    return bool(prog["kind"] == KIND)


def pension_start() -> date:
    """The first day of the pension scheme's first month (its contributions' start)."""
    node = tax_benefit_system().parameters.social_security.pension
    year = int(node.scheme_start_year.values_list[-1].value)
    month = int(node.scheme_start_month.values_list[-1].value)
    return date(year, month, 1)


def ensure_programme(conn: Connection, actor: Actor) -> RowMapping:
    """The programme ``nssf_pension``, created (active) the first time it is needed."""
    p = store.programme
    row = conn.execute(select(p).where(p.c.code == PROGRAMME)).mappings().first()
    if row is not None:
        return row
    start = pension_start()
    values = {"code": PROGRAMME, "name_en": "NSSF pensions (old-age and survivors)",
              "name_km": "សោធននិវត្តន៍ និងសោធនអ្នកនៅរស់ របស់ ប.ស.ស.", "kind": KIND,
              "rules_programme": PROGRAMME, "rules_variable": "nssf_old_age_pension",
              "entity": "person", "currency": "KHR", "frequency": "monthly", "target_area": "",
              "start_date": start, "end_date": None, "state": ProgrammeState.ACTIVE.value}
    new_id = int(conn.execute(insert(p).values(**values, **audit_values(actor.username))
                              .returning(p.c.id)).scalar_one())
    log_change(conn, "programme", new_id, 1, "create", actor.username,
               "the fund's first monthly pension",
               {"code": [None, PROGRAMME], "start_date": [None, start.isoformat()]})
    return conn.execute(select(p).where(p.c.id == new_id)).mappings().one()


def _months(first: str, last: str) -> Any:
    """The months ``first`` to ``last`` as a small derived table (one row each; from the
    earliest month owed, so a few dozen: SQLite takes up to 500, about 41 years)."""
    periods, month = [], first
    while month <= last:
        periods.append(select(literal(month, String(7)).label("period")))
        month = month_after(month)
    return (union_all(*periods) if len(periods) > 1 else periods[0]).subquery("months")


def _due(prog: Any) -> list[Any]:
    """Conditions on ``payment_order`` for the pensions still paid (not cancelled, in the
    programme's currency, with a first month, the person's death not recorded)."""
    p = registry.people().alias("died")
    dead = exists(select(p.c.id).where(p.c.id == o.c.ends_on_death_of,
                                       p.c.status == "deceased")).correlate(o)
    return [o.c.frequency == "monthly", o.c.state.not_in(ENDED_STATES),
            o.c.currency == prog["currency"], o.c.first_period.is_not(None),
            or_(o.c.ends_on_death_of.is_(None), ~dead)]


def _enrol(conn: Connection, actor: Actor, prog: Any, today: date) -> int:
    """Make every pensioner with a pension due a beneficiary (once); returns how many new."""
    p = registry.people()
    now = utcnow()
    audit = audit_values(actor.username, now)
    pensioners = (select(o.c.person_id).where(*_due(prog)).distinct()).subquery("pensioners")
    rows = select(
        literal(prog["id"]), literal("person"), p.c.id, p.c.household_id,
        literal(BeneficiaryState.ENROLLED.value), literal(SOURCE), literal(today),
        *(literal(v, b.c[k].type) for k, v in audit.items())
    ).select_from(pensioners.join(p, p.c.id == pensioners.c.person_id))
    new = insert_ignoring_duplicates(conn, b, [
        "programme_id", "entity", "entity_id", "household_id", "state", "source", "enrolled_on",
        *audit], rows)
    if new:
        log_set(conn, b, "beneficiary", [b.c.programme_id == prog["id"], b.c.version == 1,
                                         b.c.created_at == now],
                action="enrol", by=actor.username, reason="an approved pension of the fund",
                changes={"state": [None, BeneficiaryState.ENROLLED]}, at=now, version_offset=0)
    return new


def add_lines(conn: Connection, actor: Actor, cycle: Any, prog: Any, today: date,
              columns: list[str]) -> int:
    """The pension lines of ``cycle`` (see the module), set-based; returns how many are new.
    Only months after a pension's latest line are candidates (a pension paid for years is not
    read again month by month; the unique key still guards against a second line)."""
    _enrol(conn, actor, prog, today)
    component = literal(COMPONENT, String(24)) + cast(o.c.id, String(20))
    done = e.alias("done")
    latest = (select(func.max(done.c.period))
              .where(done.c.beneficiary_id == b.c.id, done.c.programme_id == prog["id"],
                     done.c.component == component).scalar_subquery())
    paid_up_to = func.coalesce(latest, o.c.first_period)
    pensions = o.join(b, and_(b.c.programme_id == prog["id"], b.c.entity_id == o.c.person_id))
    earliest = conn.execute(select(func.min(paid_up_to)).select_from(pensions)
                            .where(*_due(prog))).scalar()
    first = max(month_after(earliest), period_of(prog["start_date"])) if earliest else None
    if first is None or first > cycle["period"]:
        return 0
    p, h = registry.people(), registry.households()
    months = _months(first, cycle["period"])
    rows = (
        select(literal(cycle["id"]), literal(cycle["id"]), literal(prog["id"]), b.c.id,
               p.c.household_id, o.c.amount, months.c.period, component, o.c.currency,
               literal(EntitlementState.DRAFT.value), h.c.province_code, h.c.commune_code,
               p.c.sex)
        .select_from(
            pensions.join(p, p.c.id == o.c.person_id)
            .join(h, h.c.id == p.c.household_id)
            .join(months, and_(months.c.period > paid_up_to,
                               or_(o.c.last_period.is_(None),
                                   months.c.period <= o.c.last_period))))
        .where(*_due(prog))
    )
    new = insert_ignoring_duplicates(conn, e, columns, rows)
    analyze(conn, e, b)
    return new
