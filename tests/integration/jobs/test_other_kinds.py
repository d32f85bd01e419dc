"""Evaluation and registry deduplication as background jobs (issue 11): submitted through the API
or with ``--background`` on the command line, run by the worker, results on the job's record;
the synchronous command line keeps working (tests/integration/rules, linkage_registry)."""

from __future__ import annotations

from typer.testing import CliRunner

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.jobs import JobService, JobState
from spmis.jobs.worker import JobWorker
from tests.integration.linkage_registry.helpers import add_household, member

PERIOD = "2026-11"


def _registry(ctx: AppContext) -> None:
    add_household(ctx, member(identifiers={"national_id": "100200300"}))
    add_household(ctx, member(family_name_latin="Sokh", identifiers={"phone": "012345678"}))
    add_household(ctx, member(given_name_latin="Vanna", sex="M", date_of_birth="1970-01-05"))


def test_evaluation_through_the_api_is_a_job_with_its_run(ctx: AppContext,
                                                          auth_client) -> None:  # type: ignore[no-untyped-def]
    _registry(ctx)
    officer = auth_client("programme_officer")
    r = officer.post("/api/v1/jobs", json={"kind": "rules.evaluate",
                                           "parameters": {"period": PERIOD}})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued" and job["kind"] == "rules.evaluate"
    JobWorker(ctx).drain()
    done = officer.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["state"] == "succeeded", done["error"]
    result = done["result"]
    assert result["period"] == PERIOD and result["households"] == 3 and result["persons"] == 3
    assert result["run_id"] >= 1 and result["totals"]
    assert done["progress"]["percent"] == 100


def test_the_api_refuses_what_a_kind_does_not_allow(ctx: AppContext,
                                                    auth_client) -> None:  # type: ignore[no-untyped-def]
    registrar = auth_client("registrar")
    refused = registrar.post("/api/v1/jobs", json={"kind": "rules.evaluate",
                                                   "parameters": {"period": PERIOD}})
    assert refused.status_code == 403
    officer = auth_client("programme_officer")
    bad = officer.post("/api/v1/jobs", json={"kind": "rules.evaluate",
                                             "parameters": {"period": "2026-13"}})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["parameters", "period"]
    assert bad.json()["detail"][0]["msg_km"]
    imports = registrar.post("/api/v1/jobs", json={"kind": "registry.import_households",
                                                   "parameters": {}})
    assert imports.status_code == 422  # an import starts from its page, with its file
    assert imports.json()["detail"][0]["loc"] == ["kind"]
    assert JobService(ctx).list(SYSTEM) == []


def test_dedupe_with_background_flag_is_queued_and_run(ctx: AppContext, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from spmis.cli import app

    _registry(ctx)
    monkeypatch.setattr("spmis.linkage.registry_cli._ctx", lambda: AppContext.create(
        ctx.settings))
    out = CliRunner().invoke(app, ["link", "registry-dedupe", "--background"])
    assert out.exit_code == 0, out.output
    assert "queued" in out.output
    [job] = JobService(ctx).list(SYSTEM)
    assert job.kind == "linkage.registry_dedupe" and job.state == JobState.QUEUED
    assert job.parameters == {"review_threshold": 0.8, "auto_merge_threshold": None,
                              "memory_limit": "2GB"}
    JobWorker(ctx).drain()
    done = JobService(ctx).get(SYSTEM, job.id)
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.result is not None
    assert (done.result["records"], done.result["auto_merged"]) == (3, 1)


def test_evaluation_with_background_flag_is_queued(ctx: AppContext, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from spmis.cli import app

    monkeypatch.setattr("spmis.config.get_settings", lambda: ctx.settings)
    out = CliRunner().invoke(app, ["rules", "evaluate", "--period", PERIOD, "--background"])
    assert out.exit_code == 0, out.output
    [job] = JobService(ctx).list(SYSTEM)
    assert (job.kind, job.parameters) == ("rules.evaluate",
                                          {"period": PERIOD, "programmes": None})


def test_a_reform_simulated_through_the_api_is_a_job_with_its_figures(
        ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    """Issue 13, item 22: the policy page's job, through the API: a preset reform or parameter
    changes, refused naming the field, figures by programme, province and sex as the result."""
    _registry(ctx)
    officer = auth_client("programme_officer")
    submit = officer.post("/api/v1/jobs", json={"kind": "rules.simulate", "parameters": {
        "period": PERIOD, "changes": {
            "social_assistance.family_package.elderly_age": {"start": "2026-01-01",
                                                             "value": 50}},
        "name": "elderly from 50", "programmes": ["family_package_elderly"]}})
    assert submit.status_code == 202, submit.text
    JobWorker(ctx).drain()
    done = officer.get(f"/api/v1/jobs/{submit.json()['id']}").json()
    assert done["state"] == "succeeded", done["error"]
    rows = done["result"]["rows"]
    assert {r["programme"] for r in rows} == {"family_package_elderly"}
    assert {r["dimension"] for r in rows} == {"total", "province", "sex"}
    total = next(r for r in rows if r["dimension"] == "total")
    assert total["unit"] == "households" and done["result"]["name"] == "elderly from 50"
    for parameters, field in (
            ({"period": PERIOD, "preset": "nope"}, "preset"),
            ({"period": "2026-13", "preset": "family_base_50000"}, "period"),
            ({"period": PERIOD, "changes": {"social_assistance.nope": 1}}, "changes"),
            ({"period": PERIOD, "changes": {"social_assistance.family_package.elderly_age": 5},
              "programmes": ["nope"]}, "programmes"),
            ({"period": PERIOD, "preset": "family_base_50000", "x": 1}, "x")):
        bad = officer.post("/api/v1/jobs", json={"kind": "rules.simulate",
                                                 "parameters": parameters})
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"][0]["loc"] == ["parameters", field], bad.text
        assert bad.json()["detail"][0]["msg_km"]
    refused = auth_client("registrar").post("/api/v1/jobs", json={
        "kind": "rules.simulate", "parameters": {"period": PERIOD, "preset": "family_base_50000"}})
    assert refused.status_code == 403
