"""Equity cards: issuing a round's cards from its approved commune lists (set-based), replacing a
household's card of an earlier round, writing each card into the registry
(``spmis.registry.equity``), and reading a card back (the public verification page, the printed
card).

Issuing one commune's list is one transaction: the card numbers are drawn at random by the
operating system's generator, vectorised (``numpy``), never from the household id; the cards are
inserted in one statement; the household's earlier card, if any, is marked ``replaced`` in one
``UPDATE`` with one history entry per card (``INSERT ... SELECT``); the registry receives the
new level, number and dates in two statements. A list already issued is skipped, so a stopped
job is simply run again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import JSON, Connection, and_, insert, literal, select, update

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import change_log, log_change, log_select
from spmis.db.uow import UnitOfWork
from spmis.errors import NotFound
from spmis.registry.equity import apply_equity_cards
from spmis.rules import tax_benefit_system
from spmis.targeting.review_model import (
    ALPHABET,
    PREFIX,
    RANDOM_CHARS,
    Card,
    CardStatus,
    ListStatus,
    is_card_number,
    normalise_card_number,
    validity,
)
from spmis.targeting.review_store import equity_card, targeting_list, targeting_list_entry

__all__ = ["CardParameters", "CardService", "card_numbers", "card_parameters", "issue_list"]

CARD_ENTITY = "equity_card"
LIST_ENTITY = "targeting_list"


@dataclass(frozen=True)
class CardParameters:
    """The card rules in force on a day, with their sources."""

    validity_months: int
    objection_days: int
    validity_reference: str
    objection_reference: str


def card_parameters(on: date) -> CardParameters:
    """The validity of a card and the objection period in force on ``on`` (dated parameters of
    the rules package, ``targeting/equity_card.yaml``)."""
    system = tax_benefit_system()
    node = system.get_parameters_at_instant(on.isoformat()).targeting.equity_card
    meta = system.parameters.targeting.equity_card
    return CardParameters(int(node.validity_months), int(node.objection_days),
                          str(meta.validity_months.metadata["reference"]),
                          str(meta.objection_days.metadata["reference"]))


def card_numbers(count: int) -> list[str]:
    """``count`` fresh card numbers (``review_model.new_card_number``'s form), drawn together:
    ``os.urandom`` bytes reduced to base-32 digits (256 is a multiple of 32, so each digit is
    uniform) and the check characters computed as one matrix product. Distinct."""
    while True:
        digits = np.frombuffer(os.urandom(count * RANDOM_CHARS), dtype=np.uint8) % 32
        digits = digits.reshape(count, RANDOM_CHARS)
        weights = np.arange(1, RANDOM_CHARS + 1, dtype=np.int64)
        check = (digits.astype(np.int64) @ weights) % 31
        letters = np.array(list(ALPHABET))
        body = letters[digits]
        parts = [PREFIX, "-"]
        cols = [*(body[:, i] for i in range(RANDOM_CHARS)), letters[check]]
        text = np.full(count, "".join(parts), dtype=object)
        for i, col in enumerate(cols):
            if i in (4, 8, 12):
                text = text + "-"
            text = text + col.astype(object)
        numbers: list[str] = text.tolist()
        if len(set(numbers)) == count:
            return numbers


def issue_list(ctx: AppContext, conn: Connection, list_id: int, by: str,
               today: date | None = None) -> int:
    """Issue the cards of one approved list in the caller's transaction; returns how many.
    A list that is not ``approved`` (already issued, or not yet approved) issues nothing."""
    row = conn.execute(select(targeting_list).where(targeting_list.c.id == list_id)
                       .with_for_update()).mappings().one()
    if row["status"] != ListStatus.APPROVED:
        return 0
    issued_on = today or utcnow().date()
    valid_from, valid_to = validity(issued_on, card_parameters(issued_on).validity_months)
    e = targeting_list_entry
    entries = conn.execute(select(e.c.household_id, e.c.level, e.c.village_code)
                           .where(e.c.list_id == list_id, e.c.included.is_(True))
                           .order_by(e.c.household_id)).all()
    now = utcnow()
    if entries:
        numbers = card_numbers(len(entries))
        audit = {"version": 1, "created_at": now, "created_by": by, "updated_at": now,
                 "updated_by": by}
        conn.execute(insert(equity_card), [
            {"card_number": n, "household_id": hid, "list_id": list_id,
             "round_id": row["round_id"], "commune_code": row["commune_code"],
             "village_code": village, "level": level, "valid_from": valid_from,
             "valid_to": valid_to, "status": CardStatus.ISSUED.value, **audit}
            for n, (hid, level, village) in zip(numbers, entries, strict=True)])
        c = equity_card
        log_select(conn, select(
            literal(CARD_ENTITY), c.c.id, literal(1), literal("issue"),
            literal(now, change_log.c.changed_at.type), literal(by),
            literal(f"list {list_id} approved"),
            literal({"list_id": list_id, "round_id": row["round_id"]}, JSON))
            .where(c.c.list_id == list_id))
        _replace_earlier(conn, list_id, by, now)
        cards = select(c.c.household_id, c.c.level, c.c.card_number, c.c.valid_from,
                       c.c.valid_to).where(c.c.list_id == list_id)
        apply_equity_cards(conn, cards, by=by, at=now,
                           reason=f"equity card of round {row['round_id']}, list {list_id}")
    version = row["version"] + 1
    conn.execute(update(targeting_list).where(targeting_list.c.id == list_id).values(
        status=ListStatus.ISSUED.value, cards_issued=len(entries), version=version,
        updated_at=now, updated_by=by))
    log_change(conn, LIST_ENTITY, list_id, version, "issue", by, None,
               {"status": [ListStatus.APPROVED.value, ListStatus.ISSUED.value],
                "cards_issued": len(entries)}, at=now)
    return len(entries)


def _replace_earlier(conn: Connection, list_id: int, by: str, now: Any) -> None:
    """The household's card of an earlier list that is still ``issued`` becomes ``replaced``
    (by this list's card), with one history entry each."""
    old, new = equity_card, equity_card.alias("new")
    newer = (select(new.c.id).where(new.c.list_id == list_id,
                                    new.c.household_id == old.c.household_id)
             .scalar_subquery())
    earlier = and_(old.c.list_id != list_id, old.c.status == CardStatus.ISSUED.value,
                   old.c.household_id.in_(select(new.c.household_id)
                                          .where(new.c.list_id == list_id)))
    log_select(conn, select(
        literal(CARD_ENTITY), old.c.id, old.c.version + 1, literal("replace"),
        literal(now, change_log.c.changed_at.type), literal(by),
        literal(f"replaced by the card of list {list_id}"),
        literal({"status": [CardStatus.ISSUED.value, CardStatus.REPLACED.value]}, JSON))
        .where(earlier))
    conn.execute(update(old).where(earlier).values(
        status=CardStatus.REPLACED.value, replaced_by=newer, version=old.c.version + 1,
        updated_at=now, updated_by=by))


def _card(row: Any) -> Card:
    return Card(row.card_number, row.level, row.valid_from, row.valid_to, row.status,
                row.commune_code)


class CardService:
    """Reading cards: the public check of a number, and staff reads of a household's cards."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def verify(self, text: str) -> Card | None:
        """The card with number ``text`` (as typed or scanned), or None: a malformed number is
        not looked up. Only what a checker needs (level, dates, status, commune)."""
        number = normalise_card_number(text)
        if not is_card_number(number):
            return None
        with self.ctx.engine.connect() as conn:
            row = conn.execute(select(equity_card).where(
                equity_card.c.card_number == number)).first()
        return None if row is None else _card(row)

    def household_cards(self, actor: Actor, household_id: int) -> list[dict[str, Any]]:
        """Every card a household has held, newest first (staff; inside the actor's area)."""
        c = equity_card
        with UnitOfWork(self.ctx.engine) as uow:
            rows = uow.conn.execute(
                select(c).where(c.c.household_id == household_id,
                                *scope.conditions(actor.scope, c.c.village_code))
                .order_by(c.c.id.desc())).mappings().all()
        return [dict(r) for r in rows]

    def card(self, actor: Actor, card_id: int) -> dict[str, Any]:
        """One card (staff, inside the actor's area), to print."""
        c = equity_card
        with UnitOfWork(self.ctx.engine) as uow:
            row = uow.conn.execute(select(c).where(
                c.c.id == card_id, *scope.conditions(actor.scope, c.c.village_code))
            ).mappings().first()
        if row is None:
            raise NotFound("no such card in your area", "រកមិនឃើញប័ណ្ណនេះក្នុងតំបន់របស់អ្នកទេ")
        return dict(row)

    def list_cards(self, actor: Actor, list_id: int) -> list[dict[str, Any]]:
        """The cards a list issued (inside the actor's area), by village."""
        c = equity_card
        with UnitOfWork(self.ctx.engine) as uow:
            rows = uow.conn.execute(
                select(c).where(c.c.list_id == list_id,
                                *scope.conditions(actor.scope, c.c.village_code))
                .order_by(c.c.village_code, c.c.id)).mappings().all()
        return [dict(r) for r in rows]
