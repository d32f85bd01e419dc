"""Targeting on a real database (SQLite and PostgreSQL): a questionnaire becomes a draft
assessment, the same instance again changes nothing, a household outside the enumerator's
commune is refused; scoring a round is set-based and a past round is recomputed with its own
parameters; the explanation names every item in English and Khmer."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound
from spmis.targeting import queries
from spmis.targeting.forms import parse_instance
from spmis.targeting.model import RoundDraft
from spmis.targeting.service import TargetingService
from spmis.targeting.store import targeting_assessment, targeting_score
from tests.integration.targeting.helpers import (
    ENUMERATOR,
    OFFICER,
    ON_THE_LINE,
    OTHER,
    VERY_POOR,
    WELL_OFF,
    household,
    instance,
    new_round,
)


def _count(ctx: AppContext, table=targeting_assessment) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def test_a_submission_becomes_a_draft_and_the_same_instance_changes_nothing(
        ctx: AppContext) -> None:
    service = TargetingService(ctx)
    round_id, hh = new_round(ctx), household(ctx)
    sub = parse_instance(instance(round_id, hh, VERY_POOR), utcnow())
    first = service.receive(sub, ENUMERATOR)
    assert first.created
    again = service.receive(parse_instance(instance(round_id, hh, VERY_POOR), utcnow()),
                            ENUMERATOR)
    assert again.assessment_id == first.assessment_id and not again.created
    assert _count(ctx) == 1
    row = service.assessment(first.assessment_id, ENUMERATOR)
    assert row["status"] == "draft" and row["score"] is None and row["explanation"] is None
    assert row["answers"] == VERY_POOR and row["enumerator"] == "enum-120101"
    assert row["commune_code"] == "120101" and row["channel"] == "odk"
    assert row["submitted_at"].isoformat().startswith("2026-03-02T02:31:12")
    assert [e["action"] for e in row["history"]] == ["receive"]
    # the same instance id with other answers is refused and changes nothing
    with pytest.raises(Conflict):
        service.receive(parse_instance(instance(round_id, hh, WELL_OFF), utcnow()), ENUMERATOR)
    assert service.assessment(first.assessment_id, ENUMERATOR)["answers"] == VERY_POOR


def test_a_household_outside_the_commune_is_refused_with_its_reason(ctx: AppContext) -> None:
    service = TargetingService(ctx)
    round_id, elsewhere = new_round(ctx), household(ctx, OTHER)
    for number in (elsewhere, 999_999):  # outside, and no such household: one answer
        sub = parse_instance(instance(round_id, number, VERY_POOR,
                                      f"uuid:other-{number}"), utcnow())
        with pytest.raises(Forbidden) as refused:
            service.receive(sub, ENUMERATOR)
        assert f"no household number {number} in your commune" in refused.value.msg
        assert f"គ្មានគ្រួសារលេខ {number}" in refused.value.msg_km
    assert _count(ctx) == 0


def test_a_closed_round_or_a_round_elsewhere_receives_nothing(ctx: AppContext) -> None:
    service = TargetingService(ctx)
    hh = household(ctx)
    closed = new_round(ctx, "CLOSED-1")
    service.set_round_status(closed, "closed", SYSTEM)
    with pytest.raises(Conflict):
        service.receive(parse_instance(instance(closed, hh, VERY_POOR), utcnow()), ENUMERATOR)
    kandal = new_round(ctx, "KANDAL-1", area="08")
    with pytest.raises(NotFound):
        service.receive(parse_instance(instance(kandal, hh, VERY_POOR), utcnow()), ENUMERATOR)
    assert [r["code"] for r in service.open_rounds(ENUMERATOR)] == []


def test_malformed_instances_are_refused_naming_the_part(ctx: AppContext) -> None:
    with pytest.raises(InvalidInput) as bad_xml:
        parse_instance(b"<data id='spmis_idpoor_r1'><roof>thatch", utcnow())
    assert bad_xml.value.errors[0].loc == ("xml_submission_file",)
    wrong = dict(VERY_POOR, roof="gold", dependants=9)
    with pytest.raises(InvalidInput) as bad_answers:
        parse_instance(instance(1, 5, wrong), utcnow())
    fields = {e.field: e for e in bad_answers.value.errors}
    assert set(fields) == {"roof", "dependants"}
    assert fields["roof"].msg_km and "more than the members" in fields["dependants"].msg
    with pytest.raises(InvalidInput) as other_form:
        parse_instance(instance(1, 5, VERY_POOR).replace(b"spmis_idpoor_r1", b"other"),
                       utcnow())
    assert other_form.value.errors[0].loc == ("form_id",)
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b'<data id="spmis_idpoor_r1">&b;</data>')
    with pytest.raises(InvalidInput):
        parse_instance(bomb, utcnow())


def test_scoring_a_round_and_a_past_round_with_its_own_parameters(ctx: AppContext) -> None:
    service = TargetingService(ctx)
    now_round = new_round(ctx, "2026-R1", date(2026, 1, 1))
    past_round = new_round(ctx, "2020-R1", date(2020, 3, 1))
    answers = [VERY_POOR, ON_THE_LINE, WELL_OFF]
    ids: dict[int, list[int]] = {now_round: [], past_round: []}
    for n, a in enumerate(answers):
        hh = household(ctx, name=["Dara", "Sophea", "Vanna"][n])
        for r in (now_round, past_round):
            sub = parse_instance(instance(r, hh, a, f"uuid:{r}-{n}"), utcnow())
            ids[r].append(service.receive(sub, ENUMERATOR).assessment_id)
    result = service.score_round(now_round, OFFICER)
    assert (result["assessments"], result["level_1"], result["level_2"],
            result["not_poor"]) == (3, 1, 1, 1)
    service.score_round(past_round, OFFICER)
    levels = {r: [service.assessment(i, ENUMERATOR)["score"]["level"] for i in ids[r]]
              for r in ids}
    totals = {r: [service.assessment(i, ENUMERATOR)["score"]["total"] for i in ids[r]]
              for r in ids}
    assert levels == {now_round: [1, 2, 0], past_round: [1, 0, 0]}
    assert totals == {now_round: [97, 45, 0], past_round: [91, 44, 0]}
    # a rescoring replaces the scores, and the round's history says so
    service.score_round(now_round, OFFICER)
    assert _count(ctx, targeting_score) == 6
    history = service.round(now_round, OFFICER)["history"]
    assert [e["action"] for e in history] == ["create", "score", "score"]
    one = service.assessment(ids[now_round][1], ENUMERATOR)
    assert one["status"] == "scored"
    explained = one["explanation"]
    assert explained.total == 45 and explained.level == 2
    assert [line.item for line in explained.lines][:2] == ["roof", "walls"]
    roof = explained.lines[0]
    assert (roof.question_en, roof.answer_en, roof.points) == (
        "What is the roof of the house made of?", "Tiles or concrete", 0)
    assert roof.question_km == "តើដំបូលផ្ទះធ្វើពីអ្វី?" and roof.answer_km == "ក្បឿង ឬបេតុង"
    assert "at least 45" in explained.summary_en and "៤៥" in explained.summary_km
    with ctx.engine.connect() as conn:
        scored = conn.execute(queries.scored_assessments(past_round, "120101")).mappings().all()
        points = json.loads(conn.scalar(select(targeting_score.c.points).where(
            targeting_score.c.assessment_id == ids[past_round][0])) or "{}")
    assert len(scored) == 3 and points["income"] == 10 and points["land"] == 10


def test_scope_of_reads_and_scoring(ctx: AppContext) -> None:
    service = TargetingService(ctx)
    round_id, hh = new_round(ctx), household(ctx)
    done = service.receive(parse_instance(instance(round_id, hh, VERY_POOR), utcnow()),
                           ENUMERATOR)
    stranger = Actor("enum-other", frozenset({"enumerator"}), "120201")
    with pytest.raises(NotFound):
        service.assessment(done.assessment_id, stranger)
    assert service.assessments(round_id, stranger) == []
    assert len(service.assessments(round_id, ENUMERATOR)) == 1
    with pytest.raises(Forbidden):
        service.score_round(round_id, ENUMERATOR)  # the round covers the whole province
    with pytest.raises(InvalidInput) as early:
        service.create_round(RoundDraft("OLD", "old", "village", "12", date(2010, 1, 1),
                                        date(2010, 1, 1), date(2010, 2, 1)), SYSTEM)
    assert early.value.errors[0].field == "parameter_date"
