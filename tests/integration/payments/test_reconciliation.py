"""Reconciliation of a provider's result file (issue 14): applied whole in one transaction or
refused whole with a report in English and Khmer; unknown references, duplicate lines and wrong
columns are each refused with nothing applied; nothing is applied twice; failed lines are
retried in the next cycle or cancelled with a reason."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import InvalidInput
from spmis.jobs import JobService, JobState
from spmis.jobs.files import JobFiles
from spmis.jobs.worker import JobWorker
from spmis.payments.delivery_store import reconciliation, reconciliation_line
from spmis.payments.payroll_files import reference
from spmis.payments.reconcile_job import KIND
from spmis.payments.reconciliation import cancel_failed, reconcile, retry_failed
from spmis.payments.store import notification_outbox, payment_cycle
from tests.integration.payments.delivery_fixtures import (
    Cycle,
    add_cycle,
    approved_cycle,
    line_states,
)

FINANCE = Actor("fin", frozenset({"finance_officer"}), "")
TODAY = date(2026, 12, 5)
HEADER = "Reference,Status,Date,Reason,Amount"


def _file(tmp_path: Path, lines: list[str], header: str = HEADER, name: str = "result.csv"
          ) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def _ok_lines(c: Cycle) -> list[str]:
    r = [reference(i, 1) for i in c.lines]
    return [f"{r[0]},SUCCESS,02/12/2026,,80000", f"{r[1]},SUCCESS,02/12/2026,,80000",
            f"{r[2]},FAILED,03/12/2026,account closed,80000"]


def _run(ctx: AppContext, c: Cycle, path: Path):  # type: ignore[no-untyped-def]
    return reconcile(ctx, FINANCE, c.cycle_id, "example_bank", path, path.name, today=TODAY)


def _applied_nothing(ctx: AppContext, c: Cycle) -> None:
    assert [s["state"] for s in line_states(ctx, c.lines)] == ["approved"] * 3
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reconciliation_line)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(notification_outbox)).scalar() == 0


def test_a_good_file_is_applied_once_and_tells_the_households(ctx: AppContext,
                                                              tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    path = _file(tmp_path, _ok_lines(c))
    result = _run(ctx, c, path)
    assert result.state == "applied", [p.as_dict() for p in result.problems]
    assert (result.lines, result.paid, result.failed) == (3, 2, 1)
    assert result.amount_paid == 160_000
    states = line_states(ctx, c.lines)
    assert [s["state"] for s in states] == ["paid", "paid", "failed"]
    assert states[0]["settled_on"] == date(2026, 12, 2)
    assert states[2]["state_reason"] == "account closed"
    with ctx.engine.connect() as conn:
        out = conn.execute(select(notification_outbox).order_by(notification_outbox.c.id)
                           ).mappings().all()
    assert [o["event"] for o in out] == ["payment_sent", "payment_sent", "payment_failed"]
    assert all(o["state"] == "queued" and o["channel"] == "letter" for o in out)
    assert "80000 KHR for 2026-11 was sent on 2026-12-02" in out[0]["text_en"]
    assert "ប្រាក់ឧបត្ថម្ភ 80000 KHR" in out[0]["text_km"]
    assert "(account closed)" in out[2]["text_en"]

    again = _run(ctx, c, path)  # the same file a second time: refused, nothing changes
    assert again.state == "refused"
    assert [p.code for p in again.problems] == ["already_settled"] * 3
    assert "already settled (paid)" in again.problems[0].as_dict()["msg"]
    assert again.problems[0].as_dict()["msg_km"]
    assert line_states(ctx, c.lines) == states
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notification_outbox)).scalar() == 3


def test_unknown_references_are_refused_with_nothing_applied(ctx: AppContext,
                                                             tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    lines = _ok_lines(c)
    lines[1] = "SP999999-1,SUCCESS,02/12/2026,,80000"  # ours in form, not in this payroll
    lines.append("INV-77,SUCCESS,02/12/2026,,80000")  # not ours at all
    lines.append(f"{reference(c.lines[1], 2)},SUCCESS,02/12/2026,,80000")  # another attempt
    result = _run(ctx, c, _file(tmp_path, lines))
    assert result.state == "refused"
    assert [(p.line, p.code) for p in result.problems] == [
        (3, "unknown_reference"), (5, "unknown_reference"), (6, "unknown_reference")]
    assert "SP999999-1 is not a line of this cycle" in result.problems[0].as_dict()["msg"]
    _applied_nothing(ctx, c)


def test_duplicate_lines_are_refused_with_nothing_applied(ctx: AppContext,
                                                          tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    lines = _ok_lines(c)
    lines.append(lines[0].replace("SUCCESS", "FAILED").replace(",,", ",no,"))
    result = _run(ctx, c, _file(tmp_path, lines))
    assert result.state == "refused"
    assert [(p.line, p.code) for p in result.problems] == [(2, "duplicate_line"),
                                                           (5, "duplicate_line")]
    assert "appears more than once" in result.problems[0].as_dict()["msg"]
    _applied_nothing(ctx, c)


def test_wrong_columns_are_refused_with_nothing_applied(ctx: AppContext,
                                                        tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    wrong = _file(tmp_path, _ok_lines(c), header="Ref,Status,When,Reason,Amount")
    result = _run(ctx, c, wrong)
    assert result.state == "refused"
    [p] = result.problems
    assert p.code == "missing_columns" and p.line == 1
    assert p.as_dict()["msg"] == ("the file lacks the columns Reference, Date of the provider's "
                                  "layout")
    assert "Reference, Date" in p.as_dict()["msg_km"]
    _applied_nothing(ctx, c)
    with ctx.engine.connect() as conn:
        rec = conn.execute(select(reconciliation)).mappings().one()
    assert rec["state"] == "refused" and rec["report"]["problems"][0]["code"] == \
        "missing_columns"


def test_one_bad_line_means_nothing_is_half_applied(ctx: AppContext, tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    lines = _ok_lines(c)
    lines[2] = lines[2].replace("account closed", "")  # a failure without its reason
    lines[0] = lines[0].replace("80000", "90000")  # and an amount the payroll does not give
    lines[1] = lines[1].replace("SUCCESS", "MAYBE").replace("02/12/2026", "31/02/2026")
    result = _run(ctx, c, _file(tmp_path, lines))
    assert result.state == "refused"
    assert sorted((p.line, p.code) for p in result.problems) == [
        (2, "amount_mismatch"), (3, "bad_date"), (3, "unknown_status"), (4, "reason_missing")]
    _applied_nothing(ctx, c)


def test_two_reconciliations_of_one_file_at_once_apply_it_once(ctx: AppContext,
                                                               tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    path = _file(tmp_path, _ok_lines(c))
    results: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(_run(ctx, c, path).state)
        except BaseException as exc:  # a Conflict from the guarded update is an answer too
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(results) == ["applied", "refused"], (results, errors)
    assert [s["state"] for s in line_states(ctx, c.lines)] == ["paid", "paid", "failed"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notification_outbox)).scalar() == 3


def test_reconciliation_runs_as_a_job_with_progress_and_its_report(ctx: AppContext,
                                                                   tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    files = JobFiles(ctx.settings)
    name, part = files.new_upload(".csv")
    lines = [*_ok_lines(c), "INV-1,SUCCESS,02/12/2026,,1"]
    part.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    part.replace(files.upload(name))
    service = JobService(ctx)
    job = service.submit(FINANCE, KIND, {"upload": name, "file_name": "bank.csv",
                                         "cycle_id": c.cycle_id, "provider": "example_bank"})
    JobWorker(ctx).drain()
    done = service.get(FINANCE, job.id)
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.result is not None and done.result["state"] == "refused"
    assert done.result["problem_count"] == 1 and done.result["message_km"]
    assert done.progress_message and "refused" in done.progress_message
    assert service.reports(done) == ["rejects.csv"]
    report = b"".join(service.read_report(FINANCE, job.id, "rejects.csv")).decode("utf-8-sig")
    assert "INV-1 is not a line of this cycle" in report and "លេខយោង INV-1" in report
    _applied_nothing(ctx, c)


def test_failed_lines_are_retried_in_the_next_cycle_or_cancelled(ctx: AppContext,
                                                                 tmp_path: Path) -> None:
    c = approved_cycle(ctx, 3)
    r = [reference(i, 1) for i in c.lines]
    lines = [f"{r[0]},SUCCESS,02/12/2026,,", f"{r[1]},FAILED,02/12/2026,wallet blocked,",
             f"{r[2]},FAILED,02/12/2026,name mismatch,"]
    assert _run(ctx, c, _file(tmp_path, lines)).state == "applied"
    nxt = add_cycle(ctx, c.programme_id, period="2026-12", state="draft")
    with pytest.raises(InvalidInput) as exc:
        retry_failed(ctx, FINANCE, c.cycle_id, nxt, [c.lines[0]])  # paid: not a failed line
    assert exc.value.errors[0].code == "not_failed" and exc.value.errors[0].msg_km
    with pytest.raises(InvalidInput):
        cancel_failed(ctx, FINANCE, c.cycle_id, [c.lines[2]], "")
    assert retry_failed(ctx, FINANCE, c.cycle_id, nxt, [c.lines[1]]) == 1
    assert cancel_failed(ctx, FINANCE, c.cycle_id, [c.lines[2]], "recipient moved abroad") == 1
    states = line_states(ctx, c.lines)
    assert [s["state"] for s in states] == ["paid", "approved", "cancelled"]
    assert states[1]["attempt"] == 2 and states[1]["payroll_cycle_id"] == nxt
    assert states[2]["state_reason"] == "recipient moved abroad"
    # the retry has a new reference: the old result line cannot settle it
    with ctx.engine.begin() as conn:
        conn.execute(update(payment_cycle).where(payment_cycle.c.id == nxt)
                     .values(state="approved"))
    again = reconcile(ctx, FINANCE, nxt, "example_bank",
                      _file(tmp_path, [f"{r[1]},SUCCESS,04/12/2026,,"], name="b.csv"), "b.csv",
                      today=TODAY)
    assert again.state == "refused" and again.problems[0].code == "unknown_reference"
    new = reconcile(ctx, FINANCE, nxt, "example_bank", _file(tmp_path, [
        f"{reference(c.lines[1], 2)},SUCCESS,04/12/2026,,"], name="c.csv"), "c.csv", today=TODAY)
    assert new.state == "applied" and new.paid == 1
