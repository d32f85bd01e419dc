"""Registry use case: equity (IDPoor) cards reach the registry.

When a round's list of poor households is approved (``spmis.targeting``), each household on it
gets its IDPoor level, card number and validity dates in the registry: the household's
``idpoor_level``, ``idpoor_card_number``, ``idpoor_valid_from`` and ``idpoor_valid_to``, the
columns the rules read (``spmis.rules.population``: a card counts in a month only when valid on
one of its days, so an expired card stops counting on its own).

``apply_equity_cards`` does it set-based, in the caller's transaction: one ``change_log`` entry
per household that changes, written by one ``INSERT ... SELECT`` with the old and new value of
each field (built by the database's JSON functions), then one ``UPDATE`` that bumps their
versions. A household already holding exactly these values is left alone (so applying the same
cards twice changes nothing); a household that is no longer active (dissolved, merged) is
skipped. This is the only code that writes cards into the registry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Connection, Select, func, literal, or_, select

from spmis.db.base import utcnow
from spmis.db.history import bump_versions, change_log, log_select
from spmis.registry.store import household

__all__ = ["CARD_COLUMNS", "apply_equity_cards"]

#: the columns ``cards`` must have (by these names), and the household column each goes to
CARD_COLUMNS = {
    "level": "idpoor_level",
    "card_number": "idpoor_card_number",
    "valid_from": "idpoor_valid_from",
    "valid_to": "idpoor_valid_to",
}


def _json_changes(conn: Connection, pairs: list[tuple[str, Any, Any]]) -> Any:
    """``{field: [old, new], ...}`` built by the database (SQLite ``json_object`` or
    PostgreSQL ``json_build_object``)."""
    sqlite = conn.dialect.name == "sqlite"
    obj = func.json_object if sqlite else func.json_build_object
    arr = func.json_array if sqlite else func.json_build_array
    args: list[Any] = []
    for name, old, new in pairs:
        args += [literal(name), arr(old, new)]
    return obj(*args)


def apply_equity_cards(conn: Connection, cards: Select[Any], *, by: str, reason: str,
                       action: str = "equity_card", at: datetime | None = None) -> int:
    """Give each household of ``cards`` (a select of ``household_id`` and the ``CARD_COLUMNS``,
    at most one row per household) its card: level, number and validity, with history.
    Returns the number of households changed."""
    now = at or utcnow()
    c = cards.subquery("card")
    h = household.alias("h")
    differs: list[ColumnElement[bool]] = [
        h.c[col].is_distinct_from(c.c[name]) for name, col in CARD_COLUMNS.items()]
    # the households that change, by an alias so that it is not correlated with the UPDATE
    changed = (select(h.c.id).join(c, c.c.household_id == h.c.id)
               .where(h.c.status == "active", or_(*differs)))
    pairs = [(col, household.c[col], c.c[name]) for name, col in CARD_COLUMNS.items()]
    changes = _json_changes(conn, pairs)
    entries = (select(
        literal("household"), household.c.id, household.c.version + 1, literal(action),
        literal(now, change_log.c.changed_at.type), literal(by), literal(reason),
        changes if conn.dialect.name == "sqlite" else changes.cast(JSON))
        .join(c, c.c.household_id == household.c.id)
        .where(household.c.id.in_(changed)))
    if log_select(conn, entries) == 0:
        return 0

    def value(name: str) -> Any:
        return select(c.c[name]).where(c.c.household_id == household.c.id).scalar_subquery()

    return bump_versions(conn, household, [household.c.id.in_(changed)],
                         {col: value(name) for name, col in CARD_COLUMNS.items()}, by, now)
