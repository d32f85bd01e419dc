"""Use cases of the payments capability, called the same way by the API, the pages, the command
line and background jobs. Each opens one unit of work, checks the actor's role and scope,
validates everything before writing and commits once: nothing is half-applied.

Who does what: programme officers (and administrators) keep programmes, list candidates, open
and run cycles, declare shocks and ask for manual exits; an approver other than the maker
decides enrolment runs, shocks and exits; a finance officer other than the maker approves a
cycle."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.history import entries
from spmis.db.uow import UnitOfWork
from spmis.errors import InvalidInput, NotFound
from spmis.payments import cycles, enrolment, exits, ledger, programmes, shocks, store
from spmis.payments.common import national, programme_by_code, programme_row, require_role
from spmis.payments.model import check_period, period_of
from spmis.registry import queries as registry

__all__ = ["MAKERS", "READERS", "PaymentsService", "today"]

A, PO, APR, FIN, AUD = "admin", "programme_officer", "approver", "finance_officer", "auditor"
MAKERS = (A, PO)
READERS = (A, PO, APR, FIN, AUD)


def today() -> date:
    return datetime.now(UTC).date()


class PaymentsService:
    def __init__(self, ctx: AppContext, *, clock: Any = None) -> None:
        self.ctx = ctx
        self.today = clock or today

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # ------------------------------------------------------------ programmes
    def seed_programmes(self, actor: Actor) -> list[str]:
        require_role(actor, A, PO)
        national(actor)
        with self._uow() as uow:
            created = programmes.seed(uow.conn, actor)
            uow.commit()
            return created

    def programmes(self, actor: Actor) -> list[dict[str, Any]]:
        require_role(actor, *READERS)
        with self._uow() as uow:
            rows = programmes.list_programmes(uow.conn)
            year = self.today().year
            for r in rows:
                r["budget"] = programmes.budget_for(uow.conn, r["id"], year)
                r["budget_year"] = year
            return rows

    def programme(self, actor: Actor, code: str) -> dict[str, Any]:
        require_role(actor, *READERS)
        with self._uow() as uow:
            row = dict(programme_by_code(uow.conn, code, None))
            b = store.programme_budget
            row["budgets"] = [dict(x) for x in uow.conn.execute(
                select(b).where(b.c.programme_id == row["id"]).order_by(b.c.fiscal_year)
            ).mappings()]
            e = store.enrolment_run
            row["enrolment_runs"] = [dict(x) for x in uow.conn.execute(
                select(e).where(e.c.programme_id == row["id"]).order_by(e.c.id.desc())
                .limit(20)).mappings()]
            c = store.payment_cycle
            row["cycles"] = [dict(x) for x in uow.conn.execute(
                select(c).where(c.c.programme_id == row["id"]).order_by(c.c.period.desc())
                .limit(24)).mappings()]
            bn = store.beneficiary
            row["beneficiaries"] = {s: int(n) for s, n in uow.conn.execute(
                select(bn.c.state, func.count()).where(bn.c.programme_id == row["id"])
                .group_by(bn.c.state))}
            return row

    def set_programme_state(self, actor: Actor, code: str, state: str, reason: str,
                            expected_version: int | None = None) -> int:
        require_role(actor, A, PO)
        national(actor)
        with self._uow() as uow:
            version = programmes.set_state(uow.conn, actor, code, state, reason,
                                           expected_version)
            uow.commit()
            return version

    def set_budget(self, actor: Actor, code: str, fiscal_year: int, amount: int,
                   currency: str, legal_reference: str) -> None:
        require_role(actor, A, PO, FIN)
        national(actor)
        with self._uow() as uow:
            programmes.set_budget(uow.conn, actor, code, fiscal_year, amount, currency,
                                  legal_reference)
            uow.commit()

    # ------------------------------------------------------------ enrolment
    def create_enrolment_run(self, actor: Actor, programme_code: str,
                             evaluation_run_id: int) -> dict[str, Any]:
        require_role(actor, *MAKERS)
        national(actor)
        with self._uow() as uow:
            run_id = enrolment.create_run(uow.conn, actor, programme_code, evaluation_run_id)
            uow.commit()
            return enrolment.run_detail(uow.conn, run_id)

    def apply(self, actor: Actor, programme_code: str, household_id: int,
              period: str | None = None) -> dict[str, Any]:
        """Enrolment on application of one household (inside the actor's scope)."""
        require_role(actor, *MAKERS)
        from spmis.rules.service import RulesService
        period = check_period(period or period_of(self.today()))
        with self._uow() as uow:
            prog = programme_by_code(uow.conn, programme_code)
        answers = RulesService(self.ctx).household_eligibility(actor, household_id, period)
        answer = next((a for a in answers if a.programme.id == prog["rules_programme"]), None)
        with self._uow() as uow:
            run_id = enrolment.apply(uow.conn, actor, programme_code, household_id, period,
                                     answer is not None and answer.eligible,
                                     answer.amount if answer else 0)
            uow.commit()
            return enrolment.run_detail(uow.conn, run_id)

    def decide_enrolment(self, actor: Actor, enrolment_id: int, approve: bool,
                         reason: str) -> dict[str, Any]:
        require_role(actor, APR)
        national(actor)
        with self._uow() as uow:
            enrolment.decide(uow.conn, actor, enrolment_id, approve, reason, self.today())
            uow.commit()
            return enrolment.run_detail(uow.conn, enrolment_id)

    def enrolment_run(self, actor: Actor, enrolment_id: int) -> dict[str, Any]:
        require_role(actor, *READERS)
        with self._uow() as uow:
            run = enrolment.run_detail(uow.conn, enrolment_id)
            run["programme"] = dict(programme_row(uow.conn, run["programme_id"]))
            return run

    def enrolment_runs(self, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
        require_role(actor, *READERS)
        e, p = store.enrolment_run, store.programme
        with self._uow() as uow:
            return [dict(r) for r in uow.conn.execute(
                select(e, p.c.code.label("programme")).join_from(e, p, p.c.id == e.c.programme_id)
                .order_by(e.c.id.desc()).limit(limit)).mappings()]

    # ------------------------------------------------------------ cycles
    def open_cycle(self, actor: Actor, programme_code: str, period: str,
                   evaluation_run_id: int | None = None) -> int:
        require_role(actor, A, PO, FIN)
        national(actor)
        with self._uow() as uow:
            cycle_id = cycles.open_cycle(uow.conn, actor, programme_code, period, self.today(),
                                         evaluation_run_id)
            uow.commit()
            return cycle_id

    def run_cycle(self, actor: Actor, cycle_id: int,
                  progress: cycles.Progress | None = None) -> dict[str, Any]:
        """Compute a cycle's lines in one transaction (all of it or nothing)."""
        require_role(actor, A, PO, FIN)
        national(actor)
        with self._uow() as uow:
            done = cycles.run(uow.conn, actor, cycle_id, self.today(), progress)
            uow.commit()
            return done

    def approve_cycle(self, actor: Actor, cycle_id: int, reason: str | None = None) -> int:
        require_role(actor, FIN)
        national(actor)
        with self._uow() as uow:
            n = cycles.approve(uow.conn, actor, cycle_id, reason)
            uow.commit()
            return n

    def add_line(self, actor: Actor, cycle_id: int, beneficiary_id: int, amount: int) -> int:
        require_role(actor, A, PO, FIN)
        national(actor)
        with self._uow() as uow:
            line = cycles.add_line(uow.conn, actor, cycle_id, beneficiary_id, amount)
            uow.commit()
            return line

    def cycle(self, actor: Actor, cycle_id: int) -> dict[str, Any]:
        require_role(actor, *READERS)
        with self._uow() as uow:
            row = dict(cycles.cycle_row(uow.conn, cycle_id))
            row["programme"] = dict(programme_row(uow.conn, row["programme_id"]))
            row["totals"] = cycles.totals(uow.conn, cycle_id)
            row["history"] = [dict(h) for h in entries(uow.conn, "payment_cycle", cycle_id)]
            return row

    def cycles(self, actor: Actor, programme_code: str | None = None,
               limit: int = 50) -> list[dict[str, Any]]:
        require_role(actor, *READERS)
        c, p = store.payment_cycle, store.programme
        query = (select(c, p.c.code.label("programme")).join_from(c, p, p.c.id == c.c.programme_id)
                 .order_by(c.c.id.desc()).limit(limit))
        if programme_code is not None:
            query = query.where(p.c.code == programme_code)
        with self._uow() as uow:
            return [dict(r) for r in uow.conn.execute(query).mappings()]

    # ------------------------------------------------------------ ledger
    def ledger(self, actor: Actor, programme_code: str, fiscal_year: int) -> dict[str, Any]:
        require_role(actor, *READERS)
        if not 2000 <= fiscal_year <= 2100:
            raise InvalidInput.one(("fiscal_year",), "out_of_range",
                                   "a year between 2000 and 2100", "ឆ្នាំចន្លោះពី ២០០០ ដល់ ២១០០")
        with self._uow() as uow:
            prog = programme_by_code(uow.conn, programme_code)
            return ledger.ledger_year(uow.conn, prog, fiscal_year)

    # ------------------------------------------------------------ beneficiaries and exits
    def household_payments(self, actor: Actor, household_id: int) -> dict[str, Any]:
        """A household's programmes (state and its history) and every payment line, newest
        first; only inside the actor's scope."""
        require_role(actor, *READERS)
        with self._uow() as uow:
            conn = uow.conn
            village = registry.household_village_code(conn, household_id)
            if village is None or not scope.covers(actor.scope, village):
                raise NotFound(f"household {household_id} not found",
                               f"រកមិនឃើញគ្រួសារលេខ {household_id}")
            b, p, e = store.beneficiary, store.programme, store.entitlement
            found = [dict(r) for r in conn.execute(
                select(b, p.c.code.label("programme"), p.c.name_en, p.c.name_km)
                .join_from(b, p, p.c.id == b.c.programme_id)
                .where(b.c.household_id == household_id).order_by(b.c.id)).mappings()]
            for f in found:
                f["history"] = [dict(h) for h in entries(conn, "beneficiary", f["id"])]
            lines = [dict(r) for r in conn.execute(
                select(e, p.c.code.label("programme"), p.c.name_en, p.c.name_km)
                .join_from(e, p, p.c.id == e.c.programme_id)
                .where(e.c.household_id == household_id)
                .order_by(e.c.period.desc(), e.c.id.desc())).mappings()]
            return {"household_id": household_id, "beneficiaries": found, "lines": lines}

    def request_exit(self, actor: Actor, beneficiary_id: int, reason: str) -> int:
        require_role(actor, *MAKERS)
        with self._uow() as uow:
            b = store.beneficiary
            hh = uow.conn.execute(select(b.c.household_id).where(b.c.id == beneficiary_id)
                                  ).scalar()
            village = registry.household_village_code(uow.conn, int(hh)) if hh else None
            if village is not None and not scope.covers(actor.scope, village):
                # answered as a missing one (issue 12 #9: no existence oracle)
                raise NotFound(f"beneficiary {beneficiary_id} not found",
                               f"រកមិនឃើញអ្នកទទួលផលលេខ {beneficiary_id}")
            request_id = exits.request_exit(self.ctx, uow.conn, actor, beneficiary_id, reason)
            uow.commit()
            return request_id

    # ------------------------------------------------------------ shocks
    def declare_shock(self, actor: Actor, **fields: Any) -> dict[str, Any]:
        require_role(actor, *MAKERS)
        national(actor)
        with self._uow() as uow:
            shock_id = shocks.declare(uow.conn, actor, **fields)
            uow.commit()
            return self._shock(uow, shock_id)

    def decide_shock(self, actor: Actor, shock_id: int, approve: bool,
                     reason: str) -> dict[str, Any]:
        require_role(actor, APR)
        national(actor)
        with self._uow() as uow:
            shocks.decide(uow.conn, actor, shock_id, approve, reason, self.today())
            uow.commit()
            return self._shock(uow, shock_id)

    def shock(self, actor: Actor, shock_id: int) -> dict[str, Any]:
        require_role(actor, *READERS)
        with self._uow() as uow:
            return self._shock(uow, shock_id)

    def shocks(self, actor: Actor) -> list[dict[str, Any]]:
        require_role(actor, *READERS)
        s, p = store.shock, store.programme
        with self._uow() as uow:
            return [dict(r) for r in uow.conn.execute(
                select(s, p.c.code.label("programme")).join_from(s, p, p.c.id == s.c.programme_id)
                .order_by(s.c.id.desc()).limit(100)).mappings()]

    @staticmethod
    def _shock(uow: UnitOfWork, shock_id: int) -> dict[str, Any]:
        row = dict(shocks.shock_row(uow.conn, shock_id))
        row["preview"] = shocks.preview(uow.conn, shock_id)
        row["communes"] = list(uow.conn.execute(
            select(store.shock_commune.c.commune_code)
            .where(store.shock_commune.c.shock_id == shock_id)
            .order_by(store.shock_commune.c.commune_code)).scalars())
        return row

    def end_due_shocks(self, actor: Actor, period: str) -> int:
        require_role(actor, *MAKERS)
        national(actor)
        check_period(period)
        with self._uow() as uow:
            n = shocks.end_due(uow.conn, actor, period)
            uow.commit()
            return n
