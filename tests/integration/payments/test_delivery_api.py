"""Payment delivery over HTTP (issue 14): a finance officer downloads a payroll and uploads the
provider's result file, reconciled by a job; other roles are refused; bad input is named in
English and Khmer, never a 500."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from spmis.context import AppContext
from spmis.jobs.worker import JobWorker
from spmis.payments.payroll_files import reference
from tests.integration.payments.delivery_fixtures import approved_cycle, line_states


def test_payroll_download_and_result_upload_through_the_api(ctx: AppContext,
                                                            auth_client) -> None:  # type: ignore[no-untyped-def]
    c = approved_cycle(ctx, 2)
    fin = auth_client("finance_officer")
    summary = fin.get(f"/api/v1/payments/cycles/{c.cycle_id}/payroll-summary").json()
    assert summary["counts"][0]["code"] == "example_bank" and summary["counts"][0]["lines"] == 2
    r = fin.get(f"/api/v1/payments/cycles/{c.cycle_id}/payroll",
                params={"provider": "example_bank", "format": "csv"})
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert len(rows) == 3 and rows[1][2] == "80000"
    assert auth_client("registrar").get(
        f"/api/v1/payments/cycles/{c.cycle_id}/payroll",
        params={"provider": "example_bank"}).status_code == 403
    bad = fin.get(f"/api/v1/payments/cycles/{c.cycle_id}/payroll",
                  params={"provider": "nobody"})
    assert bad.status_code == 404 and bad.json()["detail"]

    lines = "Reference,Status,Date,Reason\n" + "".join(
        f"{reference(i, 1)},SUCCESS,01/12/2026,\n" for i in c.lines)
    up = fin.post(f"/api/v1/payments/cycles/{c.cycle_id}/reconciliations",
                  data={"provider": "example_bank"},
                  files={"file": ("result.csv", lines.encode(), "text/csv")})
    assert up.status_code == 202, up.text
    JobWorker(ctx).drain()
    job = fin.get(up.json()["job"]).json()
    assert job["state"] == "succeeded" and job["result"]["state"] == "applied"
    assert [s["state"] for s in line_states(ctx, c.lines)] == ["paid", "paid"]
    recs = fin.get(f"/api/v1/payments/cycles/{c.cycle_id}/reconciliations").json()
    assert recs[0]["paid"] == 2

    wrong = fin.post(f"/api/v1/payments/cycles/{c.cycle_id}/reconciliations",
                     data={"provider": "example_bank"},
                     files={"file": ("result.pdf", b"x", "application/pdf")})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"][-1] == "file"
    assert wrong.json()["detail"][0]["msg_km"]
    unknown = fin.post(f"/api/v1/payments/cycles/{c.cycle_id}/reconciliations",
                       data={"provider": "nobody"},
                       files={"file": ("r.csv", lines.encode(), "text/csv")})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "provider"


def test_the_command_line_exports_and_reconciles(ctx: AppContext, tmp_path,  # type: ignore[no-untyped-def]
                                                 monkeypatch) -> None:
    from spmis.cli import app

    c = approved_cycle(ctx, 2, provider="example_wallet")
    monkeypatch.setattr("spmis.payments.delivery_cli._ctx",
                        lambda: AppContext.create(ctx.settings))
    out = tmp_path / "payroll.xlsx"
    done = CliRunner().invoke(app, ["payroll", "export", str(c.cycle_id), "--provider",
                                    "example_wallet", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "2 payments, 160,000 KHR" in done.output and out.stat().st_size > 0
    result = tmp_path / "result.csv"
    result.write_text("ref;result;paid_on;note\n" + "".join(
        f"{reference(i, 1)};REJECTED;2026-12-01;wallet closed\n" for i in c.lines),
        encoding="utf-8")
    rec = CliRunner().invoke(app, ["payroll", "reconcile", str(c.cycle_id), str(result),
                                   "--provider", "example_wallet"])
    assert rec.exit_code == 0, rec.output
    assert "2 failed" in rec.output
    again = CliRunner().invoke(app, ["payroll", "reconcile", str(c.cycle_id), str(result),
                                     "--provider", "example_wallet"])
    assert again.exit_code == 1 and "already settled" in again.output
