"""The fund over HTTP, on both engines: an employer account reaches its own enterprise and gets
404 for another's; bad input is a 422 naming the field; the upload answers row-level rejects;
the month's run is a background job; the CLI runs the same use cases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from spmis.context import AppContext
from spmis.fund import store
from spmis.jobs.worker import JobWorker
from tests.integration.fund.seed import fund_with_two_employers

P = "/api/v1/fund"


def test_employer_account_sees_only_its_enterprise(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    _, e1, e2 = fund_with_two_employers(ctx)
    boss = auth_client("employer")
    officer = auth_client("fund_officer")
    r = officer.get(f"{P}/employers")
    assert {e["id"] for e in r.json()} == {e1, e2}
    # the employer (no link yet) sees no enterprise at all
    assert boss.get(f"{P}/employers").json() == []
    assert boss.get(f"{P}/employers/{e1}/workers").status_code == 404


def test_api_month_for_an_employer(ctx: AppContext, auth_client, make_user,  # type: ignore[no-untyped-def]
                                   tmp_path: Path) -> None:
    fund, e1, e2 = fund_with_two_employers(ctx)
    username = make_user("employer")
    officer = auth_client("fund_officer")
    assert officer.post(f"{P}/employers/{e1}/users",
                        json={"username": username}).status_code == 201
    boss = auth_client("employer", username=username)
    assert [e["id"] for e in boss.get(f"{P}/employers").json()] == [e1]
    assert [w["person_id"] for w in boss.get(f"{P}/employers/{e1}/workers").json()] == [
        41, 42, 43]
    for path in (f"/employers/{e2}/workers", f"/employers/{e2}", f"/employers/{e2}/invoices"):
        r = boss.get(P + path)
        assert r.status_code == 404 and r.json()["detail_km"]
    r = boss.post(f"{P}/employers/{e2}/declarations",
                  json={"period": "2026-11", "lines": [{"person_id": 42, "wage": "500000"}]})
    assert r.status_code == 404
    r = boss.post(f"{P}/employers/{e1}/declarations", json={
        "period": "2026-11", "lines": [{"person_id": 41, "wage": "500000"},
                                       {"person_id": 42, "wage": "-3"}]})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"][-3:] == ["lines", 1, "wage"] and detail["msg_km"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.fund_declaration)
                            ).scalar_one() == 0
    f = tmp_path / "nov.csv"
    f.write_text("person_id,wage,currency\n41,500000,KHR\n42,800000,KHR\n44,1,KHR\n")
    with f.open("rb") as fh:
        r = boss.post(f"{P}/employers/{e1}/declarations/upload", data={"period": "2026-11"},
                      files={"file": ("nov.csv", fh, "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert body["rejects"][0]["source_row"] == 4
    assert boss.post(f"{P}/declarations/{body['declaration_id']}/submit").status_code == 200
    assert boss.post(f"{P}/runs", json={"period": "2026-11"}).status_code == 403
    r = officer.post(f"{P}/runs", json={"period": "2008-01"})
    assert r.status_code == 422
    r = officer.post(f"{P}/runs", json={"period": "2026-11"})
    assert r.status_code == 202
    JobWorker(ctx).drain()
    invoices = boss.get(f"{P}/employers/{e1}/invoices").json()
    assert len(invoices) == 1
    inv = boss.get(f"{P}/invoices/{invoices[0]['id']}").json()
    assert inv["khqr"].startswith("000201")
    other = auth_client("employer")
    assert other.get(f"{P}/invoices/{inv['id']}").status_code == 404
    r = officer.post(f"{P}/employers/{e1}/payments", json={
        "amount": 10_000, "received_on": "2026-12-10", "reference": "BK-9"})
    assert r.status_code == 201 and r.json()["allocations"][0]["amount"] == 10_000
    assert boss.get(f"{P}/arrears", params={"employer_id": e1}).status_code == 200
    del fund


def test_cli_runs_the_month(ctx: AppContext, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fund, e1, _ = fund_with_two_employers(ctx)
    from spmis.config import get_settings
    from spmis.fund.cli import app

    monkeypatch.setenv("SPMIS_DATABASE_URL", ctx.settings.database_url)
    for name in ("secret_key", "encryption_keys", "blind_index_key"):
        monkeypatch.setenv(f"SPMIS_{name.upper()}", str(getattr(ctx.settings, name)))
    monkeypatch.setenv("SPMIS_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    f = tmp_path / "nov.csv"
    f.write_text("person_id,wage\n41,500000\n")
    runner = CliRunner()
    r = runner.invoke(app, ["declare", str(e1), "2026-11", str(f), "--submit"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["run", "2026-11"])
    assert r.exit_code == 0 and '"workers": 1' in r.output, r.output
    r = runner.invoke(app, ["run", "2008-01"])
    assert r.exit_code == 2 and "before the fund" in r.output
    get_settings.cache_clear()
    del fund
