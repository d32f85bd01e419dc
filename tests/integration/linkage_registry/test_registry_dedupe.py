"""Deduplication runs over the registry: automatic merge only above the high threshold and only
without a conflicting identifier; the uncertain band and conflicts go to the review queue;
re-running changes nothing and queues nothing twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.linkage.registry_dedupe import run_registry_dedupe
from spmis.linkage.store import link_candidate, link_review, link_run

from .helpers import OTHER_VILLAGE, add_household, member, person_state


def _queue(ctx: AppContext) -> list[tuple[int, int, str, list[str]]]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            link_review.c.person_id_l, link_review.c.person_id_r, link_review.c.status,
            link_review.c.conflicts).order_by(link_review.c.id))]


def test_conflicting_national_id_blocks_automatic_merge(ctx: AppContext) -> None:
    [a] = add_household(ctx, member(identifiers={"national_id": "100200301"}))
    [b] = add_household(ctx, member(identifiers={"national_id": "100200302"}))
    summary = run_registry_dedupe(ctx, SYSTEM)
    assert summary.auto_merged == 0 and summary.blocked == 1 and summary.queued == 1
    assert person_state(ctx, a)["row"]["status"] == "active"
    assert person_state(ctx, b)["row"]["status"] == "active"
    assert _queue(ctx) == [(a, b, "pending", ["national_id"])]


def test_sure_duplicate_is_merged_and_rerun_is_idempotent(ctx: AppContext) -> None:
    [a] = add_household(ctx, member(identifiers={"national_id": "100200300"}))
    [b] = add_household(ctx, member(family_name_latin="Sokh", identifiers={"phone": "012345678"}))
    [c] = add_household(ctx, member(given_name_latin="Vanna", sex="M", date_of_birth="1970-01-05"))
    first = run_registry_dedupe(ctx, SYSTEM)
    assert first.auto_merged == 1
    assert person_state(ctx, b)["row"]["merged_into_id"] == a
    assert person_state(ctx, c)["row"]["status"] == "active"
    with ctx.engine.connect() as conn:
        reasons = conn.execute(select(link_candidate.c.reasons)).scalar_one()
    assert {"name=same", "date_of_birth=same", "sex=same", "place=village"} <= set(reasons)
    second = run_registry_dedupe(ctx, SYSTEM)
    assert (second.auto_merged, second.queued, second.candidates) == (0, 0, 0)
    with ctx.engine.connect() as conn:
        runs = conn.execute(select(link_run.c.status, link_run.c.model)).all()
    assert [r.status for r in runs] == ["finished", "finished"]
    assert runs[0].model and "comparisons" in runs[0].model


def test_queue_items_are_not_duplicated_by_reruns(ctx: AppContext) -> None:
    add_household(ctx, member(identifiers={"national_id": "100200301"}), village=OTHER_VILLAGE)
    add_household(ctx, member(identifiers={"national_id": "100200302"}), village=OTHER_VILLAGE)
    run_registry_dedupe(ctx, SYSTEM)
    again = run_registry_dedupe(ctx, SYSTEM)
    assert again.queued == 0
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(link_review)).scalar_one() == 1
        last = conn.execute(select(link_review.c.last_run_id)).scalar_one()
    assert last == again.run_id


def test_conflict_through_a_third_record_blocks_the_whole_group(ctx: AppContext) -> None:
    # A and C hold different national IDs; B (no ID) matches both: merging A=B and B=C would
    # make A and C one person, so none of them is merged automatically
    [a] = add_household(ctx, member(identifiers={"national_id": "100200301"}))
    [b] = add_household(ctx, member())
    [c] = add_household(ctx, member(identifiers={"national_id": "100200302"}))
    summary = run_registry_dedupe(ctx, SYSTEM)
    assert summary.auto_merged == 0
    assert all(person_state(ctx, p)["row"]["status"] == "active" for p in (a, b, c))
    queue = {(l_, r_): conflicts for l_, r_, _status, conflicts in _queue(ctx)}
    assert queue[(a, c)] == ["national_id"]
    assert "via_other_record" in queue[(a, b)] and "via_other_record" in queue[(b, c)]


def test_uncertain_pair_goes_to_review_and_a_rejected_pair_stays_apart(ctx: AppContext) -> None:
    [a] = add_household(ctx, member(date_of_birth="1988-04-12"))
    [b] = add_household(ctx, member(date_of_birth="1988-04-12", family_name_latin="Sak",
                                    sex="M"), village=OTHER_VILLAGE)
    summary = run_registry_dedupe(ctx, SYSTEM, auto_merge_threshold=0.9999999,
                                  review_threshold=0.01)
    assert summary.auto_merged == 0 and summary.queued == 1
    assert _queue(ctx)[0][:3] == (a, b, "pending")


def test_human_decisions_stop_later_automatic_merges(ctx: AppContext) -> None:
    from spmis.db.uow import UnitOfWork
    from spmis.linkage.merge import undo_merge
    from spmis.linkage.review import ReviewService
    from spmis.linkage.store import link_merge

    # an automatic merge that a person undoes is not redone by the next run
    [a] = add_household(ctx, member())
    [b] = add_household(ctx, member())
    assert run_registry_dedupe(ctx, SYSTEM).auto_merged == 1
    with ctx.engine.connect() as conn:
        merge_id = conn.execute(select(link_merge.c.id)).scalar_one()
    with UnitOfWork(ctx.engine) as uow:
        undo_merge(uow.conn, merge_id, SYSTEM, "two people with the same name and birthday")
        uow.commit()
    again = run_registry_dedupe(ctx, SYSTEM)
    assert again.auto_merged == 0 and again.queued == 0
    assert person_state(ctx, b)["row"]["status"] == "active"
    # a pair a clerk rejected is not merged even when a later run is surer
    [c] = add_household(ctx, member(given_name_latin="Vanna", sex="M"), village=OTHER_VILLAGE)
    [d] = add_household(ctx, member(given_name_latin="Vanna", sex="M"), village=OTHER_VILLAGE)
    # 0.9: with the small-list starting values, (a or b) vs (c or d) score about 0.82 (same
    # family name and birth date); only the (c, d) pair is under review here
    run_registry_dedupe(ctx, SYSTEM, auto_merge_threshold=1.0, review_threshold=0.9)
    review = ReviewService(ctx)
    [item] = review.queue(SYSTEM).items
    assert (item.person_id_l, item.person_id_r) == (c, d)
    review.reject(item.id, "different fathers", SYSTEM)
    assert run_registry_dedupe(ctx, SYSTEM).auto_merged == 0
    assert person_state(ctx, d)["row"]["status"] == "active"
    assert a != c


def test_failed_run_is_recorded_and_overlapping_runs_are_refused(
        ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    from spmis.auth.model import Actor
    from spmis.db.base import utcnow
    from spmis.errors import Conflict
    from spmis.linkage import engine

    add_household(ctx, member())
    add_household(ctx, member())

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine, "dedupe", broken)
    with pytest.raises(RuntimeError):
        run_registry_dedupe(ctx, SYSTEM)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(link_run.c.status)).scalar_one() == "failed"
    monkeypatch.undo()
    with ctx.engine.begin() as conn:
        conn.execute(link_run.insert().values(
            kind="registry_dedupe", status="running", started_at=utcnow(), started_by="x",
            scope="12", auto_merge_threshold=0.99, review_threshold=0.8))
    with pytest.raises(Conflict):
        run_registry_dedupe(ctx, SYSTEM)  # the whole country overlaps Phnom Penh
    elsewhere = Actor("clerk", frozenset({"registrar"}), "01")
    assert run_registry_dedupe(ctx, elsewhere).records == 0
