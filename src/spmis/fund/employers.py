"""Enterprises registered with the fund, their employer accounts, affiliations (workers and
voluntary members) and the notified exchange rates. Each function runs inside the caller's unit
of work and checks everything before it writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import audit_values, log_change
from spmis.errors import Conflict, NotFound
from spmis.fund import model as m
from spmis.fund import schemas as s
from spmis.fund import store
from spmis.fund.common import WRITERS, employer_for, require_role
from spmis.registry import queries as registry
from spmis.registry.model import IdentifierType

E = store.fund_employer
AF = store.fund_affiliation


def register(conn: Connection, actor: Actor, data: s.EmployerIn, today: date) -> int:
    """Register a registry enterprise with the fund; the 30-day deadline is kept with it."""
    require_role(actor, *WRITERS)
    ent = registry.enterprise_row(conn, data.enterprise_id)
    if ent is None or not scope.covers(actor.scope, ent["village_code"]):
        raise m.bad("enterprise_id", "unknown_enterprise",
                    f"enterprise_id: there is no enterprise {data.enterprise_id} in your area",
                    f"enterprise_id៖ មិនមានសហគ្រាស {data.enterprise_id} ក្នុងតំបន់របស់អ្នកទេ")
    registered_on = data.registered_on or today
    if data.first_hire_date > registered_on:
        raise m.bad("first_hire_date", "after_registration",
                    "first_hire_date: the first worker cannot be hired after registration",
                    "first_hire_date៖ ថ្ងៃជួលកម្មករដំបូងមិនអាចក្រោយថ្ងៃចុះបញ្ជីបានទេ")
    taken = conn.execute(select(E.c.enterprise_id, E.c.employer_number).where(
        (E.c.enterprise_id == data.enterprise_id)
        | (E.c.employer_number == data.employer_number))).first()
    if taken is not None:
        field = "enterprise_id" if taken.enterprise_id == data.enterprise_id else \
            "employer_number"
        raise m.bad(field, "duplicate", f"{field}: already registered with the fund",
                    f"{field}៖ បានចុះបញ្ជីជាមួយមូលនិធិរួចហើយ")
    values = {
        "enterprise_id": data.enterprise_id, "employer_number": data.employer_number,
        "name": ent["name_latin"], "sector": data.sector, "village_code": ent["village_code"],
        "address": data.address, "contact_name": data.contact_name,
        "contact_phone": data.contact_phone, "contact_email": data.contact_email,
        "first_hire_date": data.first_hire_date, "registered_on": registered_on,
        "registration_due": m.registration_due(data.first_hire_date),
    }
    eid = int(conn.execute(insert(E).values(**values, state="active",
                                            **audit_values(actor.username))
                           .returning(E.c.id)).scalar_one())
    log_change(conn, "fund_employer", eid, 1, "create", actor.username, None,
               {k: [None, v] for k, v in values.items()})
    return eid


def employer_out(row: RowMapping) -> dict[str, Any]:
    """An employer as the API shows it, with whether it registered late."""
    out = dict(row)
    out["registered_late"] = row["registered_on"] > row["registration_due"]
    return out


def link_user(conn: Connection, actor: Actor, employer_id: int, username: str) -> None:
    """Let the account ``username`` (role ``employer``) act for this employer only."""
    require_role(actor, *WRITERS)
    employer_for(conn, actor, employer_id, write=True)
    u = store.fund_employer_user
    held = conn.execute(select(u.c.employer_id).where(u.c.username == username)
                        ).scalar_one_or_none()
    if held is not None:
        raise Conflict(f"{username} already acts for employer {held}",
                       f"{username} កំពុងធ្វើការជំនួសនិយោជក {held} រួចហើយ")
    conn.execute(insert(u).values(username=username, employer_id=employer_id,
                                  created_at=utcnow(), created_by=actor.username))
    log_change(conn, "fund_employer", employer_id, 0, "link_user", actor.username, None,
               {"username": [None, username]})


def affiliate(conn: Connection, actor: Actor, data: s.AffiliationIn, today: date) -> int:
    """A worker of an enterprise (fund staff, or the enterprise's own account), or a member of
    the voluntary health care scheme (fund staff); the 3-day deadline is kept with it."""
    voluntary = data.kind in ("self_employed", "dependant")
    if voluntary:
        require_role(actor, *WRITERS)
        if data.employer_id is not None:
            raise m.bad("employer_id", "not_employee",
                        "employer_id: a voluntary member has no employer",
                        "employer_id៖ សមាជិកស្ម័គ្រចិត្តគ្មាននិយោជកទេ")
    elif data.employer_id is None:
        raise m.bad("employer_id", "missing", "employer_id: an employee needs an employer",
                    "employer_id៖ និយោជិតត្រូវការនិយោជក")
    else:
        employer_for(conn, actor, data.employer_id, write=True)
    if data.kind == "dependant":
        principal = conn.execute(select(AF.c.id).where(AF.c.id == data.principal_id)
                                 ).scalar_one_or_none() if data.principal_id else None
        if principal is None:
            raise m.bad("principal_id", "unknown_member",
                        "principal_id: a dependant needs the affiliation of the member they "
                        "depend on", "principal_id៖ អ្នកនៅក្នុងបន្ទុកត្រូវការសមាជិកដែលខ្លួនពឹងផ្អែក")
    elif data.principal_id is not None:
        raise m.bad("principal_id", "not_dependant", "principal_id: only for a dependant",
                    "principal_id៖ សម្រាប់តែអ្នកនៅក្នុងបន្ទុកប៉ុណ្ណោះ")
    if registry.person_with_village(conn, data.person_id) is None:
        raise m.bad("person_id", "unknown_person",
                    f"person_id: there is no person {data.person_id} in the registry",
                    f"person_id៖ មិនមានបុគ្គល {data.person_id} ក្នុងបញ្ជីទេ")
    if data.end_date is not None and data.end_date < data.start_date:
        raise m.bad("end_date", "before_start", "end_date: before start_date",
                    "end_date៖ មុនថ្ងៃចាប់ផ្តើម")
    wage = None if data.wage is None else m.to_minor(data.wage, data.currency)
    if data.employer_id is not None and conn.execute(select(AF.c.id).where(
            AF.c.employer_id == data.employer_id, AF.c.person_id == data.person_id,
            AF.c.end_date.is_(None))).first() is not None:
        raise m.bad("person_id", "duplicate",
                    "person_id: already a worker of this enterprise (end that first)",
                    "person_id៖ ជាកម្មកររបស់សហគ្រាសនេះរួចហើយ")
    values = {
        "person_id": data.person_id, "employer_id": data.employer_id, "kind": data.kind,
        "scheme": "voluntary_health" if voluntary else "formal",
        "principal_id": data.principal_id, "start_date": data.start_date,
        "end_date": data.end_date, "declared_on": data.declared_on or today,
        "declaration_due": m.affiliation_due(data.start_date), "position": data.position,
        "wage": wage, "currency": data.currency,
    }
    aid = int(conn.execute(insert(AF).values(**values, **audit_values(actor.username))
                           .returning(AF.c.id)).scalar_one())
    log_change(conn, "fund_affiliation", aid, 1, "create", actor.username, None,
               {k: [None, v] for k, v in values.items()})
    return aid


def end_affiliation(conn: Connection, actor: Actor, affiliation_id: int, end: date) -> None:
    row = conn.execute(select(AF).where(AF.c.id == affiliation_id)).mappings().first()
    missing = NotFound(f"there is no affiliation {affiliation_id} that you may change",
                       f"មិនមានការចុះបញ្ជី {affiliation_id} ដែលអ្នកអាចកែបានទេ")
    if row is None or (row["employer_id"] is None and not actor.has_role(*WRITERS)):
        raise missing
    if row["employer_id"] is not None:
        try:  # another enterprise's worker answers as a missing affiliation, not its employer
            employer_for(conn, actor, int(row["employer_id"]), write=True)
        except NotFound:
            raise missing from None
    if end < row["start_date"]:
        raise m.bad("end_date", "before_start", "end_date: before the start",
                    "end_date៖ មុនថ្ងៃចាប់ផ្តើម")
    conn.execute(update(AF).where(AF.c.id == affiliation_id).values(
        end_date=end, version=AF.c.version + 1, updated_at=utcnow(),
        updated_by=actor.username))
    log_change(conn, "fund_affiliation", affiliation_id, int(row["version"]) + 1, "end",
               actor.username, None, {"end_date": [row["end_date"], end]})


def workers(conn: Connection, employer_id: int) -> list[dict[str, Any]]:
    """An employer's affiliations (current and past), with whether each was declared late."""
    rows = conn.execute(select(AF).where(AF.c.employer_id == employer_id)
                        .order_by(AF.c.end_date.is_not(None), AF.c.person_id)).mappings()
    return [dict(r) | {"declared_late": r["declared_on"] > r["declaration_due"]} for r in rows]


def _name(*parts: str | None) -> str | None:
    return " ".join(p for p in parts if p) or None


def current_workers(conn: Connection, employer_id: int, on: date) -> list[dict[str, Any]]:
    """The employer's workers on ``on`` (affiliations not ended before it), each person once,
    by person, with what the employer's own account is shown of them: the names in Khmer and
    in Latin letters as the registry holds them and the fund member number if there is one
    (no birth date, other identifier or address). One query."""
    p, i = registry.people(), registry.identifiers()
    member = and_(i.c.person_id == AF.c.person_id,
                  i.c.id_type == IdentifierType.NSSF_MEMBER.value)
    rows = conn.execute(
        select(AF.c.id, AF.c.person_id, AF.c.position, p.c.family_name_km, p.c.given_name_km,
               p.c.family_name_latin, p.c.given_name_latin,
               i.c.value_clear.label("member_number"))
        .select_from(AF.outerjoin(p, p.c.id == AF.c.person_id).outerjoin(i, member))
        .where(AF.c.employer_id == employer_id,
               or_(AF.c.end_date.is_(None), AF.c.end_date >= on))
        .order_by(AF.c.person_id, AF.c.id)).mappings()
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(int(r["person_id"]), {
            "affiliation_id": r["id"], "person_id": r["person_id"], "position": r["position"],
            "name_km": _name(r["family_name_km"], r["given_name_km"]),
            "name_latin": _name(r["family_name_latin"], r["given_name_latin"]),
            "member_number": r["member_number"]})
    return list(out.values())


def set_rate(conn: Connection, actor: Actor, period: str, data: s.RateIn) -> None:
    """The riel rate of the dollar the fund notified for ``period`` (kept with its source); a
    month already used by a submitted declaration keeps its rate."""
    require_role(actor, *WRITERS)
    m.parse_period(period)
    r = store.fund_exchange_rate
    old = conn.execute(select(r).where(r.c.period == period)).mappings().first()
    if old is not None:
        used = conn.execute(select(store.fund_declaration.c.id).where(
            store.fund_declaration.c.period == period,
            store.fund_declaration.c.state == "submitted")).first()
        if used is not None and old["khr_per_usd"] != data.khr_per_usd:
            raise Conflict(f"the rate of {period} was used by submitted declarations",
                           f"អត្រាប្តូរប្រាក់ខែ {period} បានប្រើក្នុងការប្រកាសរួចហើយ")
        conn.execute(update(r).where(r.c.period == period).values(
            khr_per_usd=data.khr_per_usd, source=data.source, notified_on=data.notified_on,
            version=r.c.version + 1, updated_at=utcnow(), updated_by=actor.username))
        return
    conn.execute(insert(r).values(period=period, khr_per_usd=data.khr_per_usd,
                                  source=data.source, notified_on=data.notified_on,
                                  **audit_values(actor.username)))


def rate_of(conn: Connection, period: str) -> int | None:
    r = store.fund_exchange_rate
    found = conn.execute(select(r.c.khr_per_usd).where(r.c.period == period)
                         ).scalar_one_or_none()
    return None if found is None else int(found)
