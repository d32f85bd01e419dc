"""Grievances on a real database (SQLite and PostgreSQL): intake, routing, deadlines from the
parameter file, escalation of a missed deadline, appeals before a second reviewer, the follow-up
by ticket and PIN (and the limit on guessing), the outbox and the history of every change."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from spmis.auth import throttle
from spmis.auth.model import Actor
from spmis.auth.store import login_attempt
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import entries
from spmis.errors import Forbidden, InvalidInput, NotFound, RateLimited
from spmis.grievances import parameters
from spmis.grievances.model import Intake
from spmis.grievances.outbox import LogSender
from spmis.grievances.service import GrievanceService
from spmis.grievances.store import grievance, grievance_message

COMMUNE = "120101"  # Chamkar Mon district (1201), Phnom Penh (12)
VILLAGE = "12010101"
OFFICER = Actor("grv-commune", frozenset({"grievance_officer"}), COMMUNE)
DISTRICT = Actor("grv-district", frozenset({"grievance_officer"}), "1201")
ELSEWHERE = Actor("grv-other", frozenset({"grievance_officer"}), "010201")


def complaint(**kw: object) -> Intake:
    values: dict[str, object] = {"category": "payment_not_received", "area_code": VILLAGE,
                                 "description": "The payment of November did not arrive."}
    values.update(kw)
    return Intake(**values)  # type: ignore[arg-type]


@pytest.fixture
def service(ctx: AppContext) -> GrievanceService:
    return GrievanceService(ctx)


def test_public_intake_gives_a_ticket_and_a_pin_routed_to_the_commune(
        service: GrievanceService, ctx: AppContext) -> None:
    receipt = service.submit(complaint(name="Sok Dara", phone="012 345 678"))
    assert len(receipt.ticket) == 9 and len(receipt.pin) == 6
    with ctx.engine.connect() as conn:
        row = conn.execute(select(grievance).where(grievance.c.id == receipt.id)).mappings().one()
    assert row["office"] == COMMUNE and row["status"] == "received"
    assert row["channel"] == "web" and row["anonymous"] is False
    # the PIN and the contact details are not stored in clear
    assert receipt.pin not in row["pin_hash"]
    assert b"Sok" not in row["name_enc"] and b"345" not in row["phone_enc"]
    days = parameters.deadline_days("payment_not_received", utcnow().date())
    assert days.days == 7 and "SPMIS working default" in days.reference
    assert abs(row["deadline"] - (row["received_at"] + timedelta(days=7))) < timedelta(seconds=1)
    # the commune's officer sees it, an officer elsewhere does not
    assert [g.ticket for g in service.queue(OFFICER)] == [receipt.ticket]
    assert service.queue(ELSEWHERE) == []
    with pytest.raises(NotFound):
        service.get(ELSEWHERE, receipt.id)


def test_anonymous_complaint_and_bad_input_named_by_field(service: GrievanceService) -> None:
    receipt = service.submit(complaint(category="fraud"))
    assert service.get(OFFICER, receipt.id).anonymous
    with pytest.raises(InvalidInput) as exc:
        service.submit(Intake(category="nonsense", description="short", area_code="99",
                              phone="abc"))
    fields = {e.field for e in exc.value.errors}
    assert fields == {"category", "description", "commune", "phone"}
    assert all(e.msg_km for e in exc.value.errors)
    with pytest.raises(InvalidInput) as exc:
        service.submit(complaint(area_code="999999"))
    assert exc.value.errors[0].code == "unknown_area"


def test_staff_intake_only_inside_their_area(service: GrievanceService) -> None:
    receipt = service.submit(complaint(channel="phone"), OFFICER)
    assert service.get(OFFICER, receipt.id).channel == "phone"
    with pytest.raises(Forbidden):
        service.submit(complaint(channel="visit"), ELSEWHERE)


def test_queue_is_sorted_by_deadline(service: GrievanceService) -> None:
    slow = service.submit(complaint(category="exclusion"))  # 30 days
    fast = service.submit(complaint(category="payment_not_received"))  # 7 days
    middle = service.submit(complaint(category="wrong_amount"))  # 15 days
    assert [g.id for g in service.queue(OFFICER)] == [fast.id, middle.id, slow.id]


def test_a_missed_deadline_escalates_to_the_next_level(
        service: GrievanceService, ctx: AppContext) -> None:
    late = service.submit(complaint())
    on_time = service.submit(complaint(category="exclusion"))
    # eight days later the 7-day deadline is missed, the 30-day one is not
    later = utcnow() + timedelta(days=8)
    assert service.escalate_overdue(later) == 1
    moved = service.get(DISTRICT, late.id)
    assert moved.office == "1201" and moved.escalations == 1 and moved.level == "district"
    assert moved.deadline > later
    assert service.get(OFFICER, on_time.id).office == COMMUNE
    # the commune no longer sees it; the district does
    assert late.id not in [g.id for g in service.queue(OFFICER)]
    assert late.id in [g.id for g in service.queue(DISTRICT)]
    # running again at the same time changes nothing (the new deadline is not missed)
    assert service.escalate_overdue(later) == 0
    # a resolved grievance never escalates
    service.resolve(OFFICER, on_time.id, "Answered by phone: the payment date was explained.")
    # missed again: province, then national, then nowhere further
    assert service.escalate_overdue(later + timedelta(days=16)) == 1
    assert service.get(Actor("p", frozenset(), "12"), late.id).office == "12"
    assert service.escalate_overdue(later + timedelta(days=32)) == 1
    assert service.escalate_overdue(later + timedelta(days=48)) == 0
    national = service.get(Actor("n", frozenset(), ""), late.id)
    assert national.office == "" and national.escalations == 3
    with ctx.engine.connect() as conn:
        log = entries(conn, "grievance", late.id)
        events = [m["event"] for m in conn.execute(
            select(grievance_message.c.event).where(grievance_message.c.grievance_id == late.id)
            .order_by(grievance_message.c.id)).mappings()]
    assert [e["action"] for e in log] == ["create", "escalate", "escalate", "escalate"]
    assert log[1]["changes"]["office"] == [COMMUNE, "1201"]
    assert events == ["received", "escalated", "escalated", "escalated"]


def test_an_appeal_goes_to_a_second_reviewer(service: GrievanceService) -> None:
    receipt = service.submit(complaint(kind="appeal", category="exclusion",
                                       decision_kind="enrolment", decision_ref="enrolment 41",
                                       decided_by="po-first"), OFFICER)
    first = Actor("po-first", frozenset({"programme_officer"}), COMMUNE)
    second = Actor("po-second", frozenset({"programme_officer"}), COMMUNE)
    with pytest.raises(Forbidden, match="second reviewer"):
        service.start_review(first, receipt.id)
    with pytest.raises(Forbidden, match="second reviewer"):
        service.resolve(first, receipt.id, "The decision was right.", "upheld")
    reviewing = service.start_review(second, receipt.id)
    assert reviewing.status == "in_review" and reviewing.reviewer == "po-second"
    with pytest.raises(InvalidInput) as exc:
        service.resolve(second, receipt.id, "We looked again.")
    assert exc.value.errors[0].field == "outcome"
    done = service.resolve(second, receipt.id, "The household is enrolled from next month.",
                           "changed")
    assert done.status == "resolved" and done.outcome == "changed"


def test_a_public_appeal_needs_its_decider_recorded_before_review(
        service: GrievanceService) -> None:
    receipt = service.submit(complaint(kind="appeal", decision_kind="eligibility"))
    with pytest.raises(InvalidInput) as exc:
        service.start_review(OFFICER, receipt.id)
    assert exc.value.errors[0].field == "decided_by"
    service.record_decision(OFFICER, receipt.id, "run 7", "grv-commune")
    with pytest.raises(Forbidden):  # the officer who made it cannot review it
        service.start_review(OFFICER, receipt.id)
    assert service.start_review(DISTRICT, receipt.id).reviewer == "grv-district"


def test_the_complainant_follows_each_change_with_ticket_and_pin(
        service: GrievanceService) -> None:
    receipt = service.submit(complaint(phone="012345678"))
    with pytest.raises(NotFound):
        service.follow(receipt.ticket, "000000" if receipt.pin != "000000" else "111111", "1.1.1.1")
    view = service.follow(receipt.ticket, receipt.pin, "1.1.1.1")
    assert view.status == "received" and [e.action for e in view.events] == ["create"]
    service.start_review(OFFICER, receipt.id)
    service.resolve(OFFICER, receipt.id, "The payment was sent again on 3 December.")
    view = service.follow(receipt.ticket.replace("-", ""), receipt.pin, "1.1.1.1")
    assert view.status == "resolved"
    assert [e.action for e in view.events] == ["create", "review", "resolve"]
    assert view.events[-1].note == "The payment was sent again on 3 December."
    view = service.answer_satisfaction(receipt.ticket, receipt.pin, "satisfied", "1.1.1.1")
    assert view.status == "closed" and view.satisfaction == "satisfied"
    # an outbox message for each status change, in Khmer and English; the default sender
    # writes them to the log and says so (never "sent")
    messages = service.messages(OFFICER, receipt.id)
    assert [m["event"] for m in messages] == ["received", "in_review", "resolved", "closed"]
    assert all(m["text_km"] and m["text_en"] and m["state"] == "queued" for m in messages)
    assert "3 December" in str(messages[2]["text_en"])
    assert service.deliver(LogSender()) == {"logged": 4}
    assert {m["state"] for m in service.messages(OFFICER, receipt.id)} == {"logged"}


def test_guessing_pins_is_rate_limited(service: GrievanceService) -> None:
    receipt = service.submit(complaint())
    wrong = "000000" if receipt.pin != "000000" else "111111"
    for _ in range(service.ctx.settings.pin_address_threshold):
        with pytest.raises(NotFound):
            service.follow(receipt.ticket, wrong, "6.6.6.6")
    # the guesser's address is refused even with the right PIN now
    with pytest.raises(RateLimited):
        service.follow(receipt.ticket, receipt.pin, "6.6.6.6")
    # the complainant, elsewhere, is not locked out
    assert service.follow(receipt.ticket, receipt.pin, "7.7.7.7").ticket == receipt.ticket


def test_contact_details_are_read_with_a_logged_reason(service: GrievanceService,
                                                       ctx: AppContext) -> None:
    from spmis.auth.access import read_log

    receipt = service.submit(complaint(name="Sok Dara", phone="012345678"))
    with pytest.raises(InvalidInput):
        service.contact(OFFICER, receipt.id, "")
    assert service.contact(OFFICER, receipt.id, "to call back") == {
        "name": "Sok Dara", "phone": "012345678"}
    with ctx.engine.connect() as conn:
        logged = read_log(conn, entity_type="grievance", entity_id=receipt.id)
    assert [(e.actor, e.reason) for e in logged] == [("grv-commune", "to call back")]


def test_key_rotation_reencrypts_contact_details(service: GrievanceService,
                                                 ctx: AppContext) -> None:
    import base64
    import os

    from spmis.auth.keys import rotate

    receipt = service.submit(complaint(name="Sok Dara", phone="012345678"))
    service.submit(complaint())  # anonymous: nothing to re-encrypt
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = AppContext.create(ctx.settings.model_copy(
        update={"encryption_keys": f"t2:{new_key},{ctx.settings.encryption_keys}"}))
    try:
        assert rotate(rotated)["grievance"] == 1  # the one row with a contact
        assert rotate(rotated)["grievance"] == 0
    finally:
        rotated.engine.dispose()
    only_new = AppContext.create(ctx.settings.model_copy(
        update={"encryption_keys": f"t2:{new_key}"}))
    try:
        assert GrievanceService(only_new).contact(OFFICER, receipt.id, "call back") == {
            "name": "Sok Dara", "phone": "012345678"}
    finally:
        only_new.engine.dispose()


def test_pin_tries_share_the_login_attempts_and_take_their_limits_from_settings(
        ctx: AppContext) -> None:
    """The follow-up's PIN throttling kept its own table and literal limits: it now records
    its tries with the staff logins' attempts (``login_attempt``, kind ``grievance_pin``) and
    its limits are settings. A guesser of one ticket from many addresses is stopped at
    ``pin_ticket_threshold``; PIN failures do not count against staff logins from the same
    address."""
    tight = replace(ctx, settings=ctx.settings.model_copy(update={
        "pin_address_threshold": 2, "pin_ticket_threshold": 3, "lockout_address_threshold": 1}))
    service = GrievanceService(tight)
    receipt = service.submit(complaint())
    wrong = "000000" if receipt.pin != "000000" else "111111"
    for _ in range(2):
        with pytest.raises(NotFound):
            service.follow(receipt.ticket, wrong, "6.6.6.6")
    with pytest.raises(RateLimited) as limited:  # the address: 2 failures
        service.follow(receipt.ticket, receipt.pin, "6.6.6.6")
    assert limited.value.retry_after == tight.settings.pin_address_minutes * 60
    with pytest.raises(NotFound):
        service.follow(receipt.ticket, wrong, "6.6.6.7")
    with pytest.raises(RateLimited) as limited:  # the ticket: 3 failures from anywhere
        service.follow(receipt.ticket, receipt.pin, "7.7.7.7")
    assert limited.value.retry_after == tight.settings.pin_ticket_minutes * 60
    with ctx.engine.connect() as conn:
        tries = conn.execute(select(login_attempt.c.principal, login_attempt.c.kind,
                                    login_attempt.c.outcome, login_attempt.c.client_address)
                             .order_by(login_attempt.c.id)).all()
        assert [tuple(t) for t in tries] == [
            (receipt.ticket, "grievance_pin", "bad_pin", "6.6.6.6"),
            (receipt.ticket, "grievance_pin", "bad_pin", "6.6.6.6"),
            (receipt.ticket, "grievance_pin", "bad_pin", "6.6.6.7")]
        # staff logins from the guesser's address are not throttled by PIN failures
        assert not throttle.throttled(conn, tight.settings, "someone", "password", "6.6.6.6",
                                      utcnow())
