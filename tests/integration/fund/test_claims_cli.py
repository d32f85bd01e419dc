"""``spmis fund-claims`` on the command line: a claim submitted, reviewed, refused by the rules
and rejected with its reason, the statement as JSON and as a Khmer PDF, coverage and the gap;
bad input exits with the field and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmis.cli import app as cli
from spmis.config import get_settings
from spmis.context import AppContext
from tests.integration.fund.claims_seed import seed
from tests.pdf_check import assert_khmer_page


@pytest.fixture
def fund_cli(ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The CLI on the test database (the same settings as ``ctx``)."""
    s = ctx.settings
    monkeypatch.chdir(tmp_path)
    for name, value in (("ENV", "test"), ("DATABASE_URL", s.database_url),
                        ("VAR_DIR", str(s.var_dir)), ("SECRET_KEY", s.secret_key),
                        ("ENCRYPTION_KEYS", s.encryption_keys),
                        ("BLIND_INDEX_KEY", s.blind_index_key)):
        monkeypatch.setenv(f"SPMIS_{name}", str(value))
    get_settings.cache_clear()
    yield seed(ctx)
    get_settings.cache_clear()


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["fund-claims", *args])
    assert result.exit_code == code, result.output
    return result.output if code == 0 else " ".join(result.output.split())


def test_claims_and_statements_on_the_command_line(fund_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fund = fund_cli
    claim = json.loads(run("submit", str(fund.elder), "old_age", "2026-07-01"))
    assert claim["refusal"] == "under_pension_age"
    run("act", str(claim["id"]), "review", "--as", "a:fund_officer")
    out = run("act", str(claim["id"]), "approve", "--as", "b:fund_officer", code=2)
    assert "starts at 60" in out
    rejected = json.loads(run("act", str(claim["id"]), "reject", "--reason", "under 60",
                              "--as", "b:fund_officer"))
    assert rejected["state"] == "rejected"
    assert f"{claim['id']:>6}" in run("list", "--state", "rejected")
    out = run("submit", str(fund.mother), "maternity", "2026-07-10", "--detail",
              "leave_days=-1", code=2)
    assert "details.leave_days" in out and "between 1 and 366" in out
    statement = json.loads(run("statement", str(fund.worker)))
    assert statement["totals"]["wage_khr"] == 6 * 900_000 + 3 * 500_000
    pdf = tmp_path / "s.pdf"
    run("statement", str(fund.worker), "--pdf", str(pdf), "--lang", "km")
    assert_khmer_page(pdf.read_bytes())
    assert json.loads(run("coverage", str(fund.worker), "--on", "2026-07-01"))["covered"]
    assert "by_province" in json.loads(run("gap"))
