"""A member's record and statement: every month's contributory wage and contributions per scheme
across employers, with totals; the printable statement (HTML and PDF, Khmer and English) carries
a QR code to a public verification page; health care coverage on a day and the member card.

The statement is read from the contributions in force (``spmis.fund.queries.member_months``:
each employer-month's latest submitted declaration), so it always equals what was declared.

Verification: a statement's code is ``<person id>-<last month>-<keyed hash>``, the hash (HMAC
with the installation's blind-index key) over the person, the last month and the total of
contributions. The public page recomputes the statement up to that month and answers whether
the code matches, showing only the months covered, their number and the totals: no name, no
wage, no employer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from spmis.auth import access, scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.uow import UnitOfWork
from spmis.errors import Forbidden, InvalidInput, NotFound
from spmis.fund import queries
from spmis.registry import queries as registry
from spmis.rules.claims import health_coverage_conditions

__all__ = ["SCHEMES", "Coverage", "StatementService", "verification_code"]

#: the amounts of a statement line, in riel, in the order they are shown
SCHEMES = ("wage_khr", "occupational_risk", "health_care_employer", "health_care_worker",
           "pension_employer", "pension_worker", "total")
STAFF = ("admin", "fund_officer", "auditor")
EMPLOYER = "employer"
_CODE = re.compile(r"^(\d{1,12})-(\d{4}-\d{2})-([0-9a-f]{20})$")


@dataclass(frozen=True)
class Coverage:
    """Health care coverage of a member on a day, and why."""

    person_id: int
    day: date
    covered: bool
    months_with_contribution: int
    months_needed: int
    window: list[str]
    card_status: str  # active, lapsed, none


def verification_code(ctx: AppContext, person_id: int, last_period: str, total: int) -> str:
    """The code a statement carries (and its QR code links to)."""
    digest = ctx.cipher.blind_index(f"{person_id}|{last_period}|{total}", "fund_statement")
    return f"{person_id}-{last_period}-{digest[:20]}"


def _months_before(day: date, count: int) -> list[str]:
    year, month = day.year, day.month
    out = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        out.append(f"{year}-{month:02d}")
    return out


class StatementService:
    """Statements, verification and coverage (API, pages and CLI call these)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _person(self, conn: Any, actor: Actor, person_id: int) -> tuple[Any, int | None]:
        """The person if ``actor`` may read their record, and the employer the actor is limited
        to (an employer sees the months of its own enterprise only)."""
        missing = NotFound(f"there is no member {person_id} that you may see",
                           f"គ្មានសមាជិកលេខ {person_id} ដែលអ្នកអាចមើលបានទេ")
        person = registry.person_with_village(conn, person_id)
        if actor.has_role(*STAFF):
            if person is None or not scope.covers(actor.scope, person["village_code"]):
                raise missing
            return person, None
        if actor.has_role(EMPLOYER):
            employer = queries.employer_of_user(conn, actor.username)
            mine = employer is not None and any(
                a["employer_id"] == employer
                for a in queries.member_affiliations(conn, person_id))
            if person is None or not mine:
                raise missing
            return person, employer
        raise Forbidden("this needs one of the roles: admin, fund_officer, auditor, employer",
                        "សកម្មភាពនេះត្រូវការតួនាទីរបស់បេឡាជាតិ ឬនិយោជក")

    def statement(self, actor: Actor, person_id: int, *, until: str | None = None,
                  client_address: str | None = None) -> dict[str, Any]:
        """The member's months (one line per month and employer, oldest first), the totals per
        scheme, and the statement's verification code; the read is logged."""
        if until is not None and not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", until):
            raise InvalidInput.one(("until",), "bad_period", "until: a month as YYYY-MM",
                                   "until៖ ត្រូវការខែជាទម្រង់ YYYY-MM")
        with UnitOfWork(self.ctx.engine) as uow:
            person, employer = self._person(uow.conn, actor, person_id)
            rows = [r for r in queries.member_months(uow.conn, person_id)
                    if (employer is None or r["employer_id"] == employer)
                    and (until is None or r["period"] <= until)]
            access.log_read(uow.conn, actor.username, "person", person_id, "fund_statement",
                            "member statement", client_address)
            uow.commit()
        lines = [{"period": r["period"], "employer_number": r["employer_number"],
                  "employer_name": r["employer_name"],
                  **{k: int(r[k]) for k in SCHEMES}} for r in rows]
        totals = {k: sum(line[k] for line in lines) for k in SCHEMES}
        last = lines[-1]["period"] if lines else None
        code = (verification_code(self.ctx, person_id, last, totals["total"])
                if last and employer is None else None)
        return {
            "person_id": person_id,
            "name_km": " ".join(filter(None, (person["family_name_km"], person["given_name_km"]))),
            "name_latin": " ".join(filter(None, (person["family_name_latin"],
                                                 person["given_name_latin"]))),
            "date_of_birth": person["date_of_birth"], "sex": person["sex"],
            "currency": "KHR", "lines": lines, "totals": totals,
            "months": len({line["period"] for line in lines}),
            "first_period": lines[0]["period"] if lines else None, "last_period": last,
            "verification_code": code, "employer_only": employer is not None,
        }

    def verify(self, code: str) -> dict[str, Any] | None:
        """What a statement's code says, if it is genuine (None otherwise): only the months
        covered, their number and the totals."""
        m = _CODE.match((code or "").strip())
        if m is None:
            return None
        person_id, last = int(m.group(1)), m.group(2)
        with UnitOfWork(self.ctx.engine) as uow:
            rows = [r for r in queries.member_months(uow.conn, person_id) if r["period"] <= last]
        total = sum(int(r["total"]) for r in rows)
        if not rows or verification_code(self.ctx, person_id, last, total) != code.strip():
            return None
        return {"first_period": rows[0]["period"], "last_period": last,
                "months": len({r["period"] for r in rows}), "total": total, "currency": "KHR",
                "employers": len({r["employer_id"] for r in rows})}

    def coverage(self, actor: Actor, person_id: int, day: date) -> Coverage:
        """Whether the member is covered for health care on ``day``: enough months with a health
        care contribution in the months before (conditions are rules parameters)."""
        needed, lookback = health_coverage_conditions(day)
        window = _months_before(day, lookback)
        with UnitOfWork(self.ctx.engine) as uow:
            self._person(uow.conn, actor, person_id)
            rows = queries.member_months(uow.conn, person_id)
            ever = bool(queries.member_affiliations(uow.conn, person_id))
        paid = {r["period"] for r in rows if r["period"] in window
                and int(r["health_care_employer"]) + int(r["health_care_worker"]) > 0}
        covered = len(paid) >= needed
        status = "active" if covered else ("lapsed" if ever else "none")
        return Coverage(person_id, day, covered, len(paid), needed, window, status)
