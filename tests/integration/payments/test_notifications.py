"""Notifications (issue 14): texts in Khmer and English go to the outbox set-based, by SMS when
the recipient has a phone and by letter otherwise; the default sender writes them to the log
and never claims to have sent them."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from spmis.context import AppContext
from spmis.payments.notifications import (
    Delivery,
    LogSender,
    OutboxItem,
    deliver,
    queue_enrolled,
    queue_exit,
)
from spmis.payments.store import beneficiary, notification_outbox
from tests.integration.linkage_registry.helpers import add_household, member
from tests.integration.payments.delivery_fixtures import add_beneficiary, approved_cycle


def _outbox(ctx: AppContext) -> list[dict]:  # type: ignore[type-arg]
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(notification_outbox).order_by(notification_outbox.c.id)).mappings()]


class Gateway:
    """A sender that delivers the first item and fails the second (as a gateway might)."""

    name = "gateway"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, item: OutboxItem) -> Delivery:
        self.calls += 1
        if self.calls == 2:
            raise ConnectionError("gateway timed out")
        return Delivery(sent=True, detail="accepted")


def test_enrolment_and_exit_texts_in_both_languages_by_sms_or_letter(ctx: AppContext) -> None:
    c = approved_cycle(ctx, 1)
    [pid] = add_household(ctx, member(given_name_latin="Channa",
                                      identifiers={"phone": "012345678"}))
    bid_phone, _, _ = add_beneficiary(ctx, c.programme_id, given="Bopha")
    with ctx.engine.begin() as conn:
        conn.execute(beneficiary.update().where(beneficiary.c.id == bid_phone)
                     .values(entity_id=pid))
        assert queue_enrolled(conn, [c.beneficiaries[0], bid_phone]) == 2
        assert queue_exit(conn, select(beneficiary.c.id).where(
            beneficiary.c.id == c.beneficiaries[0]), "child_turned_2") == 1
    out = sorted(_outbox(ctx), key=lambda o: (o["event"] != "enrolled", o["beneficiary_id"]))
    assert [(o["event"], o["channel"]) for o in out] == [
        ("enrolled", "letter"), ("enrolled", "sms"), ("exit", "letter")]
    assert out[0]["text_en"].startswith("Pregnant women and children under 2: you are enrolled")
    assert out[0]["text_km"].startswith("ស្ត្រីមានផ្ទៃពោះ")
    assert out[2]["text_en"].endswith("your enrolment has ended: the child turned 2.")
    assert "កុមារមានអាយុគ្រប់ ២ឆ្នាំ" in out[2]["text_km"]


def test_the_log_sender_never_claims_to_have_sent(ctx: AppContext,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    c = approved_cycle(ctx, 2)
    with ctx.engine.begin() as conn:
        queue_enrolled(conn, c.beneficiaries)
    with caplog.at_level(logging.INFO, logger="spmis.payments.notifications"):
        assert deliver(ctx, LogSender()) == {"sent": 0, "logged": 2, "failed": 0}
    assert "you are enrolled" in caplog.text
    out = _outbox(ctx)
    assert {o["state"] for o in out} == {"logged"} and all(o["sent_at"] is None for o in out)
    assert deliver(ctx, LogSender()) == {"sent": 0, "logged": 0, "failed": 0}  # once only


def test_a_real_sender_marks_what_it_delivered_and_what_failed(ctx: AppContext) -> None:
    c = approved_cycle(ctx, 2)
    with ctx.engine.begin() as conn:
        queue_enrolled(conn, c.beneficiaries)
    assert deliver(ctx, Gateway()) == {"sent": 1, "logged": 0, "failed": 1}
    out = _outbox(ctx)
    assert [o["state"] for o in out] == ["sent", "failed"]
    assert out[0]["sent_at"] is not None and out[1]["last_error"] == "gateway timed out"
    assert [o["attempts"] for o in out] == [1, 1]
