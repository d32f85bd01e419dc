"""Use cases of the social security fund, called the same way by the API, the pages, the command
line and the background job. Each opens one unit of work, checks the actor's role and scope (an
employer: its own enterprise), validates everything before writing and commits once: nothing is
half-applied."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from spmis.auth import access, scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import InvalidInput
from spmis.fund import billing, declarations, employers, run, store, upload
from spmis.fund import model as m
from spmis.fund import schemas as s
from spmis.fund.common import (
    EMPLOYER,
    READERS,
    WRITERS,
    employer_for,
    linked_employer,
    require_role,
    today,
)
from spmis.fund.declarations import RawLine
from spmis.registry.fileformat import SheetLimits
from spmis.rules.contributions import fund_start

__all__ = ["FundService", "RawLine"]

#: what an employer's account is shown of its own workers (logged as read)
OWN_WORKER_FIELDS = "name,nssf_member"


class FundService:
    def __init__(self, ctx: AppContext, *, clock: Callable[[], date] | None = None) -> None:
        self.ctx = ctx
        self.today = clock or today

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # ------------------------------------------------------------ employers
    def register_employer(self, actor: Actor, data: s.EmployerIn) -> dict[str, Any]:
        with self._uow() as uow:
            eid = employers.register(uow.conn, actor, data, self.today())
            uow.commit()
            return self._employer(uow, actor, eid)

    def _employer(self, uow: UnitOfWork, actor: Actor, employer_id: int) -> dict[str, Any]:
        return employers.employer_out(employer_for(uow.conn, actor, employer_id, write=False))

    def employer(self, actor: Actor, employer_id: int) -> dict[str, Any]:
        """An employer with its totals (invoiced, paid, credit)."""
        with self._uow() as uow:
            out = self._employer(uow, actor, employer_id)
            out |= billing.totals(uow.conn, employer_id)
            return out

    def employers(self, actor: Actor, q: str | None = None,
                  limit: int = 100) -> list[dict[str, Any]]:
        """Employers in the actor's scope (by name or number), or an employer's own one."""
        e = store.fund_employer
        with self._uow() as uow:
            if actor.has_role(EMPLOYER) and not actor.has_role(*READERS):
                own = linked_employer(uow.conn, actor)
                return [] if own is None else [self._employer(uow, actor, own)]
            require_role(actor, *READERS)
            query = select(e).where(scope.condition(actor.scope, e.c.village_code))
            if q:
                like = f"%{q.strip()[:100]}%"
                query = query.where(e.c.name.ilike(like) | e.c.employer_number.ilike(like))
            rows = uow.conn.execute(query.order_by(e.c.name, e.c.id).limit(limit)).mappings()
            return [employers.employer_out(r) for r in rows]

    def own_employer(self, actor: Actor) -> int | None:
        """The employer an ``employer`` account acts for."""
        with self._uow() as uow:
            return linked_employer(uow.conn, actor)

    def link_user(self, actor: Actor, employer_id: int, username: str) -> None:
        with self._uow() as uow:
            employers.link_user(uow.conn, actor, employer_id, username)
            uow.commit()

    # ------------------------------------------------------------ workers
    def affiliate(self, actor: Actor, data: s.AffiliationIn) -> dict[str, Any]:
        with self._uow() as uow:
            aid = employers.affiliate(uow.conn, actor, data, self.today())
            uow.commit()
            row = uow.conn.execute(select(store.fund_affiliation).where(
                store.fund_affiliation.c.id == aid)).mappings().one()
            return dict(row) | {"declared_late": row["declared_on"] > row["declaration_due"]}

    def end_affiliation(self, actor: Actor, affiliation_id: int, end: date) -> None:
        with self._uow() as uow:
            employers.end_affiliation(uow.conn, actor, affiliation_id, end)
            uow.commit()

    def workers(self, actor: Actor, employer_id: int) -> list[dict[str, Any]]:
        with self._uow() as uow:
            employer_for(uow.conn, actor, employer_id, write=False)
            return employers.workers(uow.conn, employer_id)

    def own_workers(self, actor: Actor, client_address: str | None = None
                    ) -> list[dict[str, Any]]:
        """The current workers of the enterprise an account acts for, named for it (none for an
        account not linked); the read of their names is logged, one statement for them all."""
        with self._uow() as uow:
            own = linked_employer(uow.conn, actor)
            if own is None:
                return []
            rows = employers.current_workers(uow.conn, own, self.today())
            access.log_reads(uow.conn, actor.username, "person",
                             dict.fromkeys((r["person_id"] for r in rows), OWN_WORKER_FIELDS),
                             "employer: its own workers", client_address)
            uow.commit()
            return rows

    def set_rate(self, actor: Actor, period: str, data: s.RateIn) -> None:
        with self._uow() as uow:
            employers.set_rate(uow.conn, actor, period, data)
            uow.commit()

    def rates(self, actor: Actor) -> list[dict[str, Any]]:
        require_role(actor, *READERS, EMPLOYER)
        r = store.fund_exchange_rate
        with self._uow() as uow:
            return [dict(x) for x in uow.conn.execute(
                select(r.c.period, r.c.khr_per_usd, r.c.source, r.c.notified_on)
                .order_by(r.c.period.desc()).limit(36)).mappings()]

    # ------------------------------------------------------------ declarations
    def declare(self, actor: Actor, employer_id: int, period: str, lines: Sequence[RawLine],
                *, correction: bool = False, source: str = "api") -> dict[str, Any]:
        """A month's wages, every line right or nothing stored (typed entry, API)."""
        with self._uow() as uow:
            out = declarations.declare(uow.conn, actor, employer_id, period, lines,
                                       source=source, correction=correction,
                                       fund_start=fund_start(), today=self.today())
            uow.commit()
            return out

    def upload(self, actor: Actor, employer_id: int, period: str, path: Path,
               *, correction: bool = False) -> dict[str, Any]:
        """A declaration file: its right rows become the draft (or the correction), its wrong
        rows come back as rejects (with a reject CSV); a file without a right row stores
        nothing."""
        with self._uow() as uow:
            employer_for(uow.conn, actor, employer_id, write=True)
            m.check_period_open(period, fund_start(), self.today())
            read = upload.read(path, SheetLimits.from_settings(self.ctx.settings))
            checked = declarations.check_lines(uow.conn, employer_id, period, read.lines,
                                               loc=(), by_index=False)
            rejects = upload.reject_report(read, read.rejects + checked.errors)
            out: dict[str, Any] = {"declaration_id": None, "unchanged": False,
                                   "accepted": len(checked.lines), "rejected": len(rejects),
                                   "rejects": rejects}
            if checked.lines:
                out |= declarations.store_lines(
                    uow.conn, actor, employer_id, period, checked.lines, source="upload",
                    filename=path.name[:200], correction=correction)
                uow.commit()
            return out

    def submit(self, actor: Actor, declaration_id: int) -> dict[str, Any]:
        with self._uow() as uow:
            out = declarations.submit(uow.conn, actor, declaration_id)
            uow.commit()
            return out

    def declaration(self, actor: Actor, declaration_id: int) -> dict[str, Any]:
        with self._uow() as uow:
            return declarations.detail(uow.conn, actor, declaration_id)

    def declarations(self, actor: Actor, employer_id: int) -> list[dict[str, Any]]:
        with self._uow() as uow:
            employer_for(uow.conn, actor, employer_id, write=False)
            return declarations.of_employer(uow.conn, employer_id)

    # ------------------------------------------------------------ the month's run
    def check_run(self, actor: Actor, period: str) -> None:
        """Refuse a run that cannot start (before anything is queued)."""
        require_role(actor, *WRITERS)
        if actor.scope:
            raise InvalidInput.one(("period",), "national",
                                   "the contribution run covers the whole fund: it needs a "
                                   "national scope", "ការគណនាភាគទានគ្របដណ្ដប់មូលនិធិទាំងមូល")
        m.check_period_open(period, fund_start(), self.today())

    def run_month(self, actor: Actor, period: str, job_id: int | None = None,
                  progress: Callable[[float], None] | None = None) -> dict[str, Any]:
        """Compute the month's contributions and invoices for the whole fund (idempotent: a
        second run computes only corrections submitted since, and else nothing)."""
        self.check_run(actor, period)
        started = time.monotonic()
        r = store.fund_contribution_run
        with self._uow() as uow:
            run_id = int(uow.conn.execute(insert(r).values(
                period=period, state="running", job_id=job_id, started_at=utcnow(),
                created_by=actor.username).returning(r.c.id)).scalar_one())
            summary = run.compute(uow.conn, period, run_id, self.today(), progress)
            seconds = int(time.monotonic() - started)
            uow.conn.execute(update(r).where(r.c.id == run_id).values(
                state="done", employers=summary["employers"], workers=summary["workers"],
                invoices=summary["invoices"], amount=summary["amount"], seconds=seconds,
                finished_at=utcnow()))
            uow.commit()
            return {"run_id": run_id, "period": period, **summary}

    def runs(self, actor: Actor) -> list[dict[str, Any]]:
        require_role(actor, *READERS)
        r = store.fund_contribution_run
        with self._uow() as uow:
            return [dict(x) for x in uow.conn.execute(
                select(r).order_by(r.c.id.desc()).limit(24)).mappings()]

    # ------------------------------------------------------------ money
    def invoices(self, actor: Actor, employer_id: int) -> list[dict[str, Any]]:
        with self._uow() as uow:
            employer_for(uow.conn, actor, employer_id, write=False)
            return billing.invoices(uow.conn, employer_id)

    def invoice(self, actor: Actor, invoice_id: int) -> dict[str, Any]:
        with self._uow() as uow:
            return billing.invoice(uow.conn, actor, invoice_id,
                                   self.ctx.settings.fund_bakong_account)

    def record_payment(self, actor: Actor, employer_id: int,
                       data: s.PaymentIn) -> dict[str, Any]:
        with self._uow() as uow:
            out = billing.record_payment(uow.conn, actor, employer_id, data.amount,
                                         data.currency, data.received_on, data.reference,
                                         data.channel)
            uow.commit()
            return out

    def payments(self, actor: Actor, employer_id: int) -> list[dict[str, Any]]:
        with self._uow() as uow:
            employer_for(uow.conn, actor, employer_id, write=False)
            return billing.payments(uow.conn, employer_id)

    def arrears(self, actor: Actor, employer_id: int | None = None,
                on: date | None = None) -> list[dict[str, Any]]:
        with self._uow() as uow:
            return billing.arrears(uow.conn, actor, on or self.today(), employer_id)
