"""Every indicator as ONE set-based SQL statement (a UNION ALL of grouped selects), inside an
actor's scope: registry counts by province and sex; payments by programme, month, province and
the recipient's sex (paid, amount, on time and late, failed); grievances by province; the
social security fund's members, contributions, collections and arrears.

Each capability is read through its ``queries`` module (``registry.queries``,
``payments.queries``, ``grievances.queries``, ``fund.queries``), never its tables by name (the
contract ``indicators-reads-queries`` in ``.importlinter`` forbids ``spmis.db.tables`` here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    Date,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from spmis.auth import scope as scopes
from spmis.fund import queries as fund
from spmis.grievances import queries as grievances
from spmis.indicators.model import NOT_RECORDED, Indicator
from spmis.payments import queries as payments
from spmis.registry import queries as registry

__all__ = ["COLUMNS", "Due", "indicators_select"]

COLUMNS = ("indicator", "programme", "period", "province_code", "sex", "currency", "value")
#: (payment cycle id, due date) of each cycle (``payments.queries.due_dates``)
Due = Sequence[tuple[int, date]]


class days_between(FunctionElement[float]):
    """Days (fractional) from the first moment to the second, in either dialect."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
            f"{compiler.process(start, **kw)})) / 86400.0)")


@compiles(days_between, "sqlite")
def _days_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    end_sql, start_sql = compiler.process(end, **kw), compiler.process(start, **kw)
    return f"(julianday({end_sql}) - julianday({start_sql}))"


def _row(indicator: Indicator, programme: Any, period: Any, province: Any, sex: Any,
         currency: Any, value: Any) -> list[Any]:
    def text(v: Any, n: int) -> Any:
        return literal(v, String(n)) if isinstance(v, str) else v

    return [literal(indicator.value, String(32)).label("indicator"),
            text(programme, 40).label("programme"), text(period, 7).label("period"),
            text(province, 3).label("province_code"), text(sex, 3).label("sex"),
            text(currency, 3).label("currency"), cast(value, BigInteger).label("value")]


def _registry(scope: str) -> list[Select[Any]]:
    h, p = registry.households(), registry.people()
    in_scope = scopes.conditions(scope, h.c.village_code)
    people = (select(*_row(Indicator.PEOPLE, "", "", h.c.province_code, p.c.sex, "",
                           func.count()))
              .select_from(p.join(h, h.c.id == p.c.household_id))
              .where(p.c.status == "active", h.c.status == "active", *in_scope)
              .group_by(h.c.province_code, p.c.sex))
    head = p.alias("head")
    households = (select(*_row(Indicator.HOUSEHOLDS, "", "", h.c.province_code, head.c.sex, "",
                               func.count()))
                  .select_from(h.join(head, and_(head.c.household_id == h.c.id,
                                                 head.c.relationship == "head",
                                                 head.c.status == "active")))
                  .where(h.c.status == "active", *in_scope)
                  .group_by(h.c.province_code, head.c.sex))
    return [people, households]


def _due_table(due: Due) -> Any:
    """The due date of each payment cycle, as a small derived table (one row a cycle)."""
    rows = [select(literal(cycle, BigInteger).label("cycle_id"),
                   literal(on, Date).label("due_on")) for cycle, on in due]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("due")


def _payments(scope: str, due: Due) -> list[Select[Any]]:
    ent, prog = payments.entitlements(), payments.programmes()
    if len(scope) <= 6:
        in_scope = scopes.conditions(scope, ent.c.commune_code)
    else:  # a village: through the household's own code
        in_scope = [ent.c.household_id.in_(registry.household_ids_in_scope(scope))]
    joined = ent.join(prog, prog.c.id == ent.c.programme_id)
    keys = (prog.c.code, ent.c.period, ent.c.province_code, ent.c.recipient_sex)
    paid = [ent.c.state == "paid", *in_scope]
    beneficiaries = (select(*_row(Indicator.BENEFICIARIES, *keys, "",
                                  func.count(ent.c.beneficiary_id.distinct())))
                     .select_from(joined).where(*paid).group_by(*keys))
    failed = (select(*_row(Indicator.FAILED, *keys, "", func.count()))
              .select_from(joined)
              .where(ent.c.state.in_(("failed", "returned")), *in_scope).group_by(*keys))
    # one pass over the paid lines: the amount, and how many were settled by the due date
    if due:
        d = _due_table(due)
        source = joined.outerjoin(d, d.c.cycle_id == ent.c.cycle_id)
        on_time: ColumnElement[int] = func.count(case((ent.c.settled_on <= d.c.due_on, 1)))
        late: ColumnElement[int] = func.count(case((ent.c.settled_on > d.c.due_on, 1)))
    else:
        source, on_time, late = joined, literal(0), literal(0)
    lines = (select(prog.c.code.label("programme"), ent.c.period, ent.c.province_code,
                    ent.c.recipient_sex, ent.c.currency, func.sum(ent.c.amount).label("amount"),
                    on_time.label("on_time"), late.label("late"))
             .select_from(source).where(*paid).group_by(*keys, ent.c.currency)
             .cte("paid_lines"))
    pk = (lines.c.programme, lines.c.period, lines.c.province_code, lines.c.recipient_sex)
    amount = select(*_row(Indicator.AMOUNT, *pk, lines.c.currency, lines.c.amount))
    timely = [select(*_row(indicator, *pk, "", func.sum(column)))
              .group_by(*pk).having(func.sum(column) > 0)
              for indicator, column in ((Indicator.ON_TIME, lines.c.on_time),
                                        (Indicator.LATE, lines.c.late))]
    return [beneficiaries, amount, *timely, failed]


def _median_days(days: ColumnElement[float], province: ColumnElement[str],
                 where: list[ColumnElement[bool]]) -> list[Select[Any]]:
    """The median of ``days`` per province and for the whole scope (province ""): the
    middle row (or the mean of the two middle rows) of each ordered group, by window functions
    (both dialects; no percentile function in SQLite)."""
    out = []
    for group in (province, None):
        # the whole scope's median is the cell of province "" (published as ``all``)
        ranked = select((group if group is not None else literal("", String(2))).label("province"),
                        days.label("days"),
                        func.row_number().over(partition_by=group, order_by=days).label("rn"),
                        func.count().over(partition_by=group).label("n")).where(*where).subquery()
        middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        out.append(select(*_row(Indicator.GRIEVANCE_DAYS, "", "", ranked.c.province,
                                NOT_RECORDED, "", func.round(func.avg(ranked.c.days))))
                   .where(middle).group_by(ranked.c.province))
    return out


def _grievances(scope: str) -> list[Select[Any]]:
    g = grievances.grievances()
    province = func.substr(g.c.area_code, 1, 2)
    in_scope = scopes.conditions(scope, g.c.area_code)
    resolved = [g.c.resolved_at.is_not(None), *in_scope]

    def count(indicator: Indicator, *where: ColumnElement[bool]) -> Select[Any]:
        return (select(*_row(indicator, "", "", province, NOT_RECORDED, "", func.count()))
                .where(*where).group_by(province))

    return [count(Indicator.GRIEVANCES, *in_scope),
            count(Indicator.RESOLVED, *resolved),
            count(Indicator.RESOLVED_ON_TIME, g.c.resolved_at <= g.c.deadline, *resolved),
            *_median_days(days_between(g.c.received_at, g.c.resolved_at), province, resolved)]


def _fund(scope: str) -> list[Select[Any]]:
    """The social security fund: members (an affiliation in force today) by their household's
    province and their sex; per month, the contributions due and the workers they are for, by
    the employer's province and the worker's sex; per month, the employers invoiced, what they
    paid and what is overdue (arrears), by the employer's province (an employer has no sex)."""
    a, c, e, inv = fund.affiliations(), fund.contributions(), fund.employers(), fund.invoices()
    h, p = registry.households(), registry.people()
    today = func.current_date()
    in_force = and_(a.c.start_date <= today, or_(a.c.end_date.is_(None), a.c.end_date >= today))
    members = (select(*_row(Indicator.FUND_MEMBERS, "", "", h.c.province_code, p.c.sex, "",
                            func.count(a.c.person_id.distinct())))
               .select_from(a.join(p, p.c.id == a.c.person_id)
                            .join(h, h.c.id == p.c.household_id))
               .where(in_force, *scopes.conditions(scope, h.c.village_code))
               .group_by(h.c.province_code, p.c.sex))
    employer_province = func.substr(e.c.village_code, 1, 2)
    by_worker = (select(c.c.period, employer_province.label("province"), p.c.sex, c.c.currency,
                        func.count(c.c.person_id.distinct()).label("workers"),
                        func.sum(c.c.total).label("due"))
                 .select_from(c.join(e, e.c.id == c.c.employer_id)
                              .join(p, p.c.id == c.c.person_id))
                 .where(*scopes.conditions(scope, e.c.village_code))
                 .group_by(c.c.period, employer_province, p.c.sex, c.c.currency)
                 .cte("fund_workers"))
    w = by_worker.c
    overdue = case((inv.c.due_date < today, inv.c.amount - inv.c.paid), else_=0)
    by_employer = (select(inv.c.period, employer_province.label("province"), inv.c.currency,
                          func.count(inv.c.employer_id.distinct()).label("employers"),
                          func.sum(inv.c.paid).label("paid"),
                          func.sum(overdue).label("arrears"))
                   .select_from(inv.join(e, e.c.id == inv.c.employer_id))
                   .where(*scopes.conditions(scope, e.c.village_code))
                   .group_by(inv.c.period, employer_province, inv.c.currency)
                   .cte("fund_employers"))
    b = by_employer.c
    return [members,
            select(*_row(Indicator.FUND_CONTRIBUTORS, "", w.period, w.province, w.sex, "",
                         w.workers)),
            select(*_row(Indicator.FUND_CONTRIBUTIONS, "", w.period, w.province, w.sex,
                         w.currency, w.due)),
            select(*_row(Indicator.FUND_EMPLOYERS, "", b.period, b.province, NOT_RECORDED, "",
                         b.employers)),
            select(*_row(Indicator.FUND_COLLECTED, "", b.period, b.province, NOT_RECORDED,
                         b.currency, b.paid)),
            select(*_row(Indicator.FUND_ARREARS, "", b.period, b.province, NOT_RECORDED,
                         b.currency, b.arrears))]


def indicators_select(scope: str = "", due: Due = ()) -> CompoundSelect[Any]:
    """Every indicator cell inside ``scope`` (the whole country by default): ``COLUMNS``;
    ``due``: the due date of each programme's month, for payments on time and late."""
    return union_all(*_registry(scope), *_payments(scope, due), *_grievances(scope),
                     *_fund(scope))
