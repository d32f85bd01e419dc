"""Personal data protection use cases on registry people: revealing identifiers in clear (with a
reason, logged in the access log, ``spmis.auth.access``) and consent records per person and
purpose.

Identifiers are masked in every ordinary response; a caller whose role needs a clear value asks
for it with a reason, and the read is logged in the same transaction (no log, no data).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from spmis.auth import access
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import NotFound
from spmis.registry.model import IdentifierType
from spmis.registry.schemas import ConsentOut, ConsentsOut, RevealOut
from spmis.registry.service import RegistryService
from spmis.registry.store import consent, person_identifier

__all__ = ["PersonalDataService"]


class PersonalDataService:
    """Reveal identifiers (logged), record and read consent."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    def _check_person(self, pid: int, actor: Actor) -> None:
        """404 when the person does not exist, 403 when outside the actor's area."""
        RegistryService(self.ctx).get_person(pid, actor)

    def reveal(self, pid: int, actor: Actor, reason: str,
               fields: list[IdentifierType] | None = None,
               client_address: str | None = None) -> RevealOut:
        """The clear identifiers of a person; every call writes one access-log row."""
        self._check_person(pid, actor)
        wanted = [f.value for f in (fields or list(IdentifierType))]
        with self._uow() as uow:
            conn = uow.conn
            rows = conn.execute(select(person_identifier).where(
                person_identifier.c.person_id == pid,
                person_identifier.c.id_type.in_(wanted))).mappings().all()
            clear: dict[str, str] = {}
            for row in rows:
                if row["value_enc"] is not None:
                    clear[row["id_type"]] = self.ctx.cipher.decrypt(row["value_enc"],
                                                                    row["id_type"])
                else:
                    clear[row["id_type"]] = row["value_clear"]
            if not clear:
                raise NotFound("this person has none of these identifiers",
                               "បុគ្គលនេះគ្មានលេខសម្គាល់ទាំងនេះទេ")
            log_id = access.log_read(conn, actor.username, "person", pid, ",".join(sorted(clear)),
                                     reason, client_address)
            uow.commit()
        return RevealOut(person_id=pid, identifiers=clear, access_log_id=log_id)

    def record_consent(self, pid: int, actor: Actor, purpose: str, status: str,
                       effective_on: date, note: str | None = None) -> ConsentsOut:
        """Record that consent for ``purpose`` was given or withdrawn (kept as an event)."""
        self._check_person(pid, actor)
        with self._uow() as uow:
            uow.conn.execute(insert(consent).values(
                person_id=pid, purpose=purpose, status=status, effective_on=effective_on,
                note=note, recorded_at=utcnow(), recorded_by=actor.username[:64]))
            uow.commit()
        return self.consents(pid, actor)

    def consents(self, pid: int, actor: Actor) -> ConsentsOut:
        """Every consent event of a person, and the latest one per purpose."""
        self._check_person(pid, actor)
        with self._uow() as uow:
            rows = uow.conn.execute(select(consent).where(consent.c.person_id == pid)
                                    .order_by(consent.c.effective_on, consent.c.id)
                                    ).mappings().all()
        history = [ConsentOut(**{k: r[k] for k in ConsentOut.model_fields}) for r in rows]
        current: dict[str, ConsentOut] = {}
        for event in history:
            current[event.purpose] = event
        return ConsentsOut(person_id=pid, current=current, history=history)
