"""Who may do what at the fund, and the rows every use case starts from.

Fund staff (administrators and fund officers; auditors read) work inside their geographic scope
(the enterprise's village). An ``employer`` account acts for the one enterprise it is linked to
(``fund_employer_user``) and sees nothing else: any other enterprise answers as a missing one,
so an employer cannot even learn which ids exist."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.errors import Forbidden, NotFound
from spmis.fund import store

__all__ = ["EMPLOYER", "READERS", "WRITERS", "employer_for", "require_role", "today"]

A, FUND, AUD, EMPLOYER = "admin", "fund_officer", "auditor", "employer"
#: fund staff who change fund data
WRITERS = (A, FUND)
#: fund staff who read it
READERS = (A, FUND, AUD)


def today() -> date:
    return datetime.now(UTC).date()


def require_role(actor: Actor, *roles: str) -> None:
    """``Forbidden`` (403, naming the roles) unless the actor holds one of ``roles``."""
    if not actor.has_role(*roles):
        names = ", ".join(roles)
        raise Forbidden(f"this needs one of the roles: {names}",
                        f"សកម្មភាពនេះត្រូវការតួនាទីមួយក្នុងចំណោម៖ {names}")


def is_staff(actor: Actor, write: bool) -> bool:
    return actor.has_role(*(WRITERS if write else READERS))


def _missing(employer_id: int) -> NotFound:
    return NotFound(f"there is no employer {employer_id} that you may act for",
                    f"មិនមាននិយោជក {employer_id} ដែលអ្នកអាចធ្វើការជំនួសបានទេ")


def linked_employer(conn: Connection, actor: Actor) -> int | None:
    """The employer an ``employer`` account acts for (None when it is not linked)."""
    u = store.fund_employer_user
    found = conn.execute(select(u.c.employer_id).where(u.c.username == actor.username)
                         ).scalar_one_or_none()
    return None if found is None else int(found)


def employer_for(conn: Connection, actor: Actor, employer_id: int, *,
                 write: bool) -> RowMapping:
    """The employer ``employer_id`` if ``actor`` may read it (``write``: change its workers and
    declarations): fund staff inside their scope, or the employer's own account."""
    row = conn.execute(select(store.fund_employer).where(
        store.fund_employer.c.id == employer_id)).mappings().first()
    if is_staff(actor, write):
        if row is None or not scope.covers(actor.scope, row["village_code"]):
            raise _missing(employer_id)
        return row
    if actor.has_role(EMPLOYER):
        if row is None or linked_employer(conn, actor) != employer_id:
            raise _missing(employer_id)
        return row
    require_role(actor, *(WRITERS if write else READERS), EMPLOYER)
    raise _missing(employer_id)  # pragma: no cover - require_role raised
