"""The references that migration 0023 took out of the database's hands: beneficiaries and
entitlement lines name their programme, enrolment run, shock, beneficiary and cycles without a
foreign key (checked row by row, the keys cost most of a bulk step's time). Every writer takes
those ids from a row it has just read or written, and nothing deletes such rows; this check,
one anti-join per reference, shows that it stays so (``spmis payments check-references``, run
after the nightly backup: docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select

from spmis.payments.store import (
    beneficiary,
    enrolment_run,
    entitlement,
    payment_cycle,
    programme,
    shock,
)

__all__ = ["REFERENCES", "Dangling", "dangling_references"]

#: (table, column, referenced table): the six keys migration 0023 dropped
REFERENCES: tuple[tuple[Table, str, Table], ...] = (
    (beneficiary, "programme_id", programme),
    (beneficiary, "enrolment_run_id", enrolment_run),
    (beneficiary, "shock_id", shock),
    (entitlement, "beneficiary_id", beneficiary),
    (entitlement, "cycle_id", payment_cycle),
    (entitlement, "payroll_cycle_id", payment_cycle),
)


@dataclass(frozen=True)
class Dangling:
    """Rows of ``table`` whose ``column`` names no row of ``referenced``."""

    table: str
    column: str
    referenced: str
    rows: int


def dangling_references(conn: Connection) -> list[Dangling]:
    """Each reference of ``REFERENCES`` with the number of rows pointing at nothing (0 when all
    is well), set-based."""
    out = []
    for table, column, referenced in REFERENCES:
        ref = table.c[column]
        missing = ~select(referenced.c.id).where(referenced.c.id == ref).exists()
        rows = conn.execute(select(func.count()).select_from(table)
                            .where(ref.is_not(None), missing)).scalar_one()
        out.append(Dangling(table.name, column, referenced.name, int(rows)))
    return out
