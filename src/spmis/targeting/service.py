"""Targeting use cases: rounds, receiving a questionnaire (from ODK Collect over OpenRosa, or
typed in at the commune office), reading assessments with their explained score, and scoring a
round. Each opens a unit of work, keeps to the actor's scope (``spmis.auth.scope``) and writes
history (``spmis.db.history``); scoring is set-based (``scoring``)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, select

from spmis.auth import scope as scopes
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import audit_values, entries, log_change, update_versioned
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from spmis.registry import queries as registry
from spmis.targeting import forms, queries, scoring
from spmis.targeting.explain import Explanation, explain
from spmis.targeting.model import (
    AssessmentStatus,
    Channel,
    RoundDraft,
    RoundStatus,
    Submission,
    round_problems,
)
from spmis.targeting.store import targeting_assessment, targeting_round

ROUND_ENTITY = "targeting_round"
ASSESSMENT_ENTITY = "assessment"


@dataclass(frozen=True)
class Received:
    """What a submission became: the assessment, and whether this call created it (False: the
    same instance was received before and nothing changed)."""

    assessment_id: int
    created: bool


def round_not_found() -> NotFound:
    return NotFound("no such assessment round in your area",
                    "រកមិនឃើញជុំវាយតម្លៃនេះក្នុងតំបន់របស់អ្នកទេ")


def _assessment_not_found() -> NotFound:
    return NotFound("no such assessment in your area",
                    "រកមិនឃើញការវាយតម្លៃនេះក្នុងតំបន់របស់អ្នកទេ")


def household_refused(household_id: int) -> Forbidden:
    """The one answer for a household that does not exist or lies outside the actor's area
    (no oracle of which)."""
    return Forbidden(f"no household number {household_id} in your commune: check the number "
                     "on the household's page or the village list",
                     f"គ្មានគ្រួសារលេខ {household_id} ក្នុងឃុំរបស់អ្នកទេ៖ សូមពិនិត្យលេខនៅលើ"
                     "ទំព័រគ្រួសារ ឬបញ្ជីភូមិ")


class TargetingService:
    """Rounds, assessments and scores."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # ------------------------------------------------------------ rounds
    def create_round(self, draft: RoundDraft, by: Actor) -> int:
        """A new round (open), inside the actor's area; returns its id."""
        problems = round_problems(draft)
        if problems:
            raise InvalidInput(problems)
        if not scopes.covers(by.scope, draft.area_code):
            raise Forbidden("the round's area is outside your area",
                            "តំបន់របស់ជុំនៅក្រៅតំបន់របស់អ្នក")
        with self._uow() as uow:
            conn = uow.conn
            if queries.round_by_code(conn, draft.code) is not None:
                raise Conflict(f"a round with the code {draft.code} exists",
                               f"ជុំដែលមានលេខកូដ {draft.code} មានរួចហើយ")
            values = {"code": draft.code, "name": draft.name.strip(), "kind": draft.kind,
                      "area_code": draft.area_code, "parameter_date": draft.parameter_date,
                      "opens_on": draft.opens_on, "closes_on": draft.closes_on,
                      "status": RoundStatus.OPEN.value}
            round_id = int(conn.execute(insert(targeting_round).values(
                **values, **audit_values(by.username)).returning(targeting_round.c.id)
            ).scalar_one())
            log_change(conn, ROUND_ENTITY, round_id, 1, "create", by.username, None,
                       {k: [None, str(v)] for k, v in values.items()})
            uow.commit()
            return round_id

    def set_round_status(self, round_id: int, status: str, by: Actor) -> None:
        """Open or close a round (a closed round receives no more questionnaires)."""
        if status not in {s.value for s in RoundStatus}:
            raise InvalidInput.one(("status",), "invalid", "open or closed", "បើក ឬបិទ")
        with self._uow() as uow:
            row = self._round(uow.conn, round_id, by)
            if row["status"] != status:
                update_versioned(uow.conn, targeting_round, ROUND_ENTITY, round_id,
                                 row["version"], {"status": status}, action="status",
                                 by=by.username, reason=None,
                                 changes={"status": [row["status"], status]})
            uow.commit()

    @staticmethod
    def _round(conn: Connection, round_id: int, by: Actor) -> Any:
        row = queries.round_by_id(conn, round_id)
        if row is None or not scopes.overlaps(by.scope, row["area_code"]):
            raise round_not_found()
        return row

    def rounds(self, by: Actor) -> list[dict[str, Any]]:
        """The rounds whose area overlaps the actor's, newest first, with their counts."""
        with self.ctx.engine.connect() as conn:
            out = [dict(r) for r in queries.rounds(conn, by.scope)]
            a = targeting_assessment.c
            counts = {int(rid): int(n) for rid, n in conn.execute(
                select(a.round_id, func.count()).where(*scopes.conditions(by.scope,
                                                                          a.village_code))
                .group_by(a.round_id)).all()}
        for r in out:
            r["assessments"] = int(counts.get(r["id"], 0))
        return out

    def round(self, round_id: int, by: Actor) -> dict[str, Any]:
        """One round with its scorings."""
        with self.ctx.engine.connect() as conn:
            row = dict(self._round(conn, round_id, by))
            row["scorings"] = [dict(s) for s in queries.scorings(conn, round_id)]
            row["history"] = [dict(e) for e in entries(conn, ROUND_ENTITY, round_id)]
            return row

    def open_rounds(self, by: Actor) -> list[dict[str, Any]]:
        """The open rounds an enumerator may fill in (area overlapping theirs)."""
        return [r for r in self.rounds(by) if r["status"] == RoundStatus.OPEN.value]

    def form_round(self, round_id: int, by: Actor) -> dict[str, Any]:
        """An open round whose form the actor may download."""
        with self.ctx.engine.connect() as conn:
            row = dict(self._round(conn, round_id, by))
        if row["status"] != RoundStatus.OPEN.value:
            raise round_not_found()
        return row

    # ------------------------------------------------------------ assessments
    def receive(self, submission: Submission, by: Actor,
                channel: Channel = Channel.ODK) -> Received:
        """A questionnaire becomes a draft assessment. The same instance id again changes
        nothing (the same answers) or is refused (different ones); a household outside the
        actor's area, or a round that is closed or does not cover it, is refused with the
        reason."""
        now = utcnow()
        with self._uow() as uow:
            conn = uow.conn
            existing = conn.execute(select(targeting_assessment).where(
                targeting_assessment.c.instance_id == submission.instance_id)).mappings().first()
            if existing is not None:
                return self._again(existing, submission, by)
            round_row = self._round(conn, submission.round_id, by)
            if round_row["status"] != RoundStatus.OPEN.value:
                raise Conflict(f"the round {round_row['code']} is closed: it receives no more "
                               "questionnaires", f"ជុំ {round_row['code']} បានបិទហើយ៖ "
                               "មិនទទួលកម្រងសំណួរទៀតទេ")
            village = registry.household_village_code(conn, submission.household_id)
            if village is None or not scopes.covers(by.scope, village):
                raise household_refused(submission.household_id)
            if not scopes.covers(round_row["area_code"], village):
                raise Forbidden(f"household {submission.household_id} is outside the area of "
                                f"round {round_row['code']}", f"គ្រួសារ {submission.household_id}"
                                f" នៅក្រៅតំបន់នៃជុំ {round_row['code']}")
            values = {
                "round_id": submission.round_id, "household_id": submission.household_id,
                "village_code": village, "commune_code": village[:6],
                "instance_id": submission.instance_id, "form_id": submission.form_id,
                "form_version": submission.form_version, "channel": channel.value,
                "enumerator": by.username[:64], "submitted_at": submission.submitted_at,
                "received_at": now, "answers": json.dumps(submission.answers, sort_keys=True),
                "status": AssessmentStatus.DRAFT.value}
            new_id = int(conn.execute(insert(targeting_assessment).values(
                **values, **audit_values(by.username, now)).returning(targeting_assessment.c.id)
            ).scalar_one())
            log_change(conn, ASSESSMENT_ENTITY, new_id, 1, "receive", by.username, None,
                       {"round_id": [None, submission.round_id],
                        "household_id": [None, submission.household_id],
                        "instance_id": [None, submission.instance_id],
                        "channel": [None, channel.value]}, at=now)
            uow.commit()
            return Received(new_id, True)

    def enter_at_office(self, round_id: int, household_id: int, answers: dict[str, Any],
                        by: Actor) -> Received:
        """A questionnaire typed in at the commune office (the household asked there) becomes
        a draft assessment, checked as a submission from ODK Collect is."""
        errors: list[FieldError] = []
        checked = forms.answers_problems({k: str(v) for k, v in answers.items()}, errors)
        unknown = sorted(set(answers) - set(checked) - {e.loc[0] for e in errors})
        errors += [FieldError(("answers", k), "unknown_item", "not an item of the questionnaire",
                              "មិនមែនជាសំណួរនៃកម្រងសំណួរទេ") for k in unknown]
        if errors:
            raise InvalidInput([FieldError(("answers", *e.loc), e.code, e.msg, e.msg_km)
                                if e.loc[0] != "answers" else e for e in errors])
        submission = Submission(
            instance_id=f"office:{uuid.uuid4()}", form_id=f"{forms.FORM_PREFIX}{round_id}",
            form_version="office", round_id=round_id, household_id=household_id,
            submitted_at=utcnow(), answers=checked)
        return self.receive(submission, by, Channel.OFFICE)

    @staticmethod
    def _again(existing: Any, submission: Submission, by: Actor) -> Received:
        if not scopes.covers(by.scope, existing["village_code"]):
            raise household_refused(submission.household_id)
        same = (existing["household_id"] == submission.household_id
                and existing["round_id"] == submission.round_id
                and json.loads(existing["answers"]) == submission.answers)
        if not same:
            raise Conflict(f"the instance {submission.instance_id} was received before with "
                           "other answers; it is not changed",
                           f"ទម្រង់ {submission.instance_id} បានទទួលរួចហើយ ដោយមានចម្លើយផ្សេង "
                           "ហើយមិនត្រូវបានកែប្រែទេ")
        return Received(int(existing["id"]), False)

    def assessments(self, round_id: int, by: Actor, *, village: str = "",
                    level: int | None = None, limit: int = 100,
                    offset: int = 0) -> list[dict[str, Any]]:
        """A round's assessments inside the actor's area (and ``village``, a code prefix),
        newest first."""
        with self.ctx.engine.connect() as conn:
            self._round(conn, round_id, by)
            query = queries.assessments(round_id, by.scope)
            cols = query.selected_columns
            if village:
                query = query.where(scopes.area_condition(cols.village_code, village))
            if level is not None:
                query = query.where(cols.level == level)
            rows = conn.execute(query.order_by(cols.id.desc()).limit(limit).offset(offset)
                                ).mappings().all()
            return [dict(r) for r in rows]

    def assessment(self, assessment_id: int, by: Actor) -> dict[str, Any]:
        """One assessment with its answers, its score explained item by item (English and
        Khmer) and its history."""
        with self.ctx.engine.connect() as conn:
            row = queries.assessment(conn, assessment_id)
            if row is None or not scopes.covers(by.scope, row["village_code"]):
                raise _assessment_not_found()
            row["round"] = dict(self._round(conn, row["round_id"], by))
            row["history"] = [dict(e) for e in entries(conn, ASSESSMENT_ENTITY, assessment_id)]
        score = row["score"]
        row["explanation"] = None if score is None else explain(
            row["answers"], score["points"], score["total"], score["level"],
            score["parameter_date"])
        return row

    def preview(self, answers: dict[str, Any], on: date) -> Explanation:
        """The score a questionnaire would have under the parameters in force on ``on``."""
        return scoring.preview(answers, on)

    # ------------------------------------------------------------ scoring
    def score_round(self, round_id: int, by: Actor, job_id: int | None = None) -> dict[str, Any]:
        """Score every assessment of a round with the parameters of its parameter date
        (set-based; a rescoring replaces the scores). Returns the counts by level."""
        with self._uow() as uow:
            row = self._round(uow.conn, round_id, by)
            if by.scope and not scopes.covers(by.scope, row["area_code"]):
                raise Forbidden("only someone whose area covers the whole round may score it",
                                "មានតែអ្នកដែលតំបន់គ្របដណ្តប់ជុំទាំងមូលទេ ទើបអាចដាក់ពិន្ទុបាន")
            result = scoring.score_round(uow.conn, round_id, row["parameter_date"],
                                         by.username, job_id)
            update_versioned(uow.conn, targeting_round, ROUND_ENTITY, round_id, row["version"],
                             {}, action="score", by=by.username, reason=None,
                             changes={"scoring_id": [None, result["scoring_id"]],
                                      "assessments": [None, result["assessments"]]})
            uow.commit()
            return result
