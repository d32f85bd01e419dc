"""Conditions (issue 14): a conditional payment is withheld by the payment cycle until its
compliance event is recorded, by a staff member or from a health centre's file; a file with
problems is refused whole with each problem named in English and Khmer. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import Conflict, InvalidInput, NotFound
from spmis.payments import store
from spmis.payments.conditions import import_events, record_event, set_condition
from spmis.payments.delivery_store import compliance_event
from spmis.registry.store import person
from tests.integration.payments.seed import APPROVER, FINANCE, OFFICER, service
from tests.integration.payments.test_enrolment_cycle import CODE, PERIOD, enrolled_programme

TODAY = date(2026, 12, 6)
NURSE = Actor("nurse", frozenset({"programme_officer"}), "")


def _paid_households(ctx: AppContext) -> list[int]:
    e = store.entitlement
    with ctx.engine.connect() as conn:
        return sorted(conn.execute(select(e.c.household_id)).scalars())


def test_a_conditional_payment_is_withheld_until_its_visit_is_recorded(
        ctx: AppContext) -> None:
    _, enrol_id = enrolled_programme(ctx)
    pay = service(ctx)
    pay.decide_enrolment(APPROVER, enrol_id, True, "checked")
    set_condition(ctx, OFFICER, CODE, "antenatal_visit", "prakas 2023 art. 4")
    with pytest.raises(Conflict):
        set_condition(ctx, OFFICER, CODE, "vaccination", "again")
    cycle_id = pay.open_cycle(FINANCE, CODE, PERIOD)
    assert pay.run_cycle(FINANCE, cycle_id)["new_lines"] == 0  # no visit yet: all withheld
    assert _paid_households(ctx) == []

    record_event(ctx, NURSE, 11, "antenatal_visit", date(2023, 6, 10), "Kampong Cham HC",
                 today=TODAY)  # household 1's woman
    record_event(ctx, NURSE, 21, "antenatal_visit", date(2023, 7, 2), "Kampong Cham HC",
                 today=TODAY)  # household 2: after June, not yet due in June
    again = pay.run_cycle(FINANCE, cycle_id)
    assert again["new_lines"] == 1 and _paid_households(ctx) == [1]
    assert pay.run_cycle(FINANCE, cycle_id)["new_lines"] == 0  # and only once


def test_an_event_is_checked_before_it_is_recorded(ctx: AppContext) -> None:
    enrolled_programme(ctx)
    with pytest.raises(InvalidInput) as exc:
        record_event(ctx, NURSE, 11, "dentist", date(2027, 1, 1), "", today=TODAY)
    assert {e.loc[0] for e in exc.value.errors} == {"kind", "event_date", "facility"}
    assert all(e.msg_km for e in exc.value.errors)
    with pytest.raises(NotFound):  # outside the nurse's district
        record_event(ctx, Actor("n2", frozenset({"programme_officer"}), "1201"), 11,
                     "vaccination", date(2023, 6, 1), "HC", today=TODAY)
    record_event(ctx, NURSE, 11, "vaccination", date(2023, 6, 1), "HC", today=TODAY)
    with pytest.raises(Conflict):
        record_event(ctx, NURSE, 11, "vaccination", date(2023, 6, 1), "HC", today=TODAY)


def test_a_health_centre_file_is_checked_whole_then_recorded_once(ctx: AppContext,
                                                                   tmp_path: Path) -> None:
    enrolled_programme(ctx)
    with ctx.engine.begin() as conn:
        for pid in (11, 21, 31):
            conn.execute(person.update().where(person.c.id == pid)
                         .values(external_key=f"P-{pid}"))
    bad = tmp_path / "bad.csv"
    bad.write_text("person_key,event,date,facility\n"
                   "P-11,antenatal_visit,2023-06-03,Kampong Cham HC\n"
                   "P-99,antenatal_visit,2023-06-03,Kampong Cham HC\n"
                   "P-21,massage,2023-06-03,Kampong Cham HC\n"
                   "P-31,vaccination,03/06/2023,Kampong Cham HC\n", encoding="utf-8")
    result = import_events(ctx, NURSE, bad, today=TODAY)
    assert [(p["line"], p["code"]) for p in result.problems] == [
        (3, "unknown_person"), (4, "unknown_event"), (5, "bad_date")]
    assert "P-99 is not in the registry" in result.problems[0]["msg"]
    assert result.problems[0]["msg_km"] and result.recorded == 0
    with ctx.engine.connect() as conn:
        assert conn.execute(select(store.notification_outbox.c.id)).first() is None
    good = tmp_path / "good.csv"
    good.write_text("person_key,event,date,facility\n"
                    "P-11,antenatal_visit,2023-06-03,Kampong Cham HC\n"
                    "P-21,delivery,2023-06-20,Kampong Cham HC\n", encoding="utf-8")
    first = import_events(ctx, NURSE, good, today=TODAY)
    assert (first.problems, first.recorded, first.already) == ([], 2, 0)
    second = import_events(ctx, NURSE, good, today=TODAY)
    assert (second.recorded, second.already) == (0, 2)
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(compliance_event.c.person_id, compliance_event.c.source)
                            .order_by(compliance_event.c.person_id)).all()
    assert [tuple(r) for r in rows] == [(11, "import"), (21, "import")]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("who,what,when\nP-11,delivery,2023-06-20\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        import_events(ctx, NURSE, wrong, today=TODAY)
    assert exc.value.errors[0].code == "missing_columns" and exc.value.errors[0].msg_km
