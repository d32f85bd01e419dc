"""Targeting over its JSON API and pages: a round opened by a programme officer, a
questionnaire typed in at the commune office (refused naming each wrong answer), scoring as a
background job through the API, and the assessment page explaining the score item by item in
Khmer and in English."""

from __future__ import annotations

from typing import Any

from spmis.context import AppContext
from spmis.jobs.worker import JobWorker
from tests.integration.targeting.helpers import ON_THE_LINE, OTHER, VERY_POOR, household

ROUND = {"code": "2026-R1", "name": "Phnom Penh 2026", "kind": "village", "area_code": "12",
         "parameter_date": "2026-01-01", "opens_on": "2026-01-15", "closes_on": "2026-06-30"}
HTML_EN = {"accept": "text/html", "cookie": "spmis_lang=en"}
HTML_KM = {"accept": "text/html"}


def test_round_office_entry_scoring_job_and_pages(ctx: AppContext, auth_client: Any) -> None:
    officer = auth_client("programme_officer", "12")
    assert auth_client("registrar", "120101").post("/api/v1/targeting/rounds",
                                                   json=ROUND).status_code == 403
    created = officer.post("/api/v1/targeting/rounds", json=ROUND)
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]
    assert officer.post("/api/v1/targeting/rounds", json=ROUND).status_code == 409
    early = officer.post("/api/v1/targeting/rounds",
                         json=dict(ROUND, code="OLD", parameter_date="2001-01-01"))
    assert early.status_code == 422 and early.json()["detail"][0]["loc"] == ["parameter_date"]

    clerk = auth_client("registrar", "120101")
    home, far = household(ctx), household(ctx, OTHER, "Sophea")
    bad = clerk.post("/api/v1/targeting/assessments", json={
        "round_id": round_id, "household_id": home,
        "answers": dict(VERY_POOR, roof="gold", colour="blue")})
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {
        ("answers", "roof"), ("answers", "colour")}
    outside = clerk.post("/api/v1/targeting/assessments", json={
        "round_id": round_id, "household_id": far, "answers": VERY_POOR})
    assert outside.status_code == 403 and "ក្នុងឃុំរបស់អ្នក" in outside.json()["detail_km"]
    entered = [clerk.post("/api/v1/targeting/assessments", json={
        "round_id": round_id, "household_id": home, "answers": a}) for a in (VERY_POOR,
                                                                             ON_THE_LINE)]
    assert [r.status_code for r in entered] == [201, 201]
    first = entered[0].json()["assessment_id"]

    job = officer.post(f"/api/v1/targeting/rounds/{round_id}/score")
    assert job.status_code == 202, job.text
    assert clerk.post(f"/api/v1/targeting/rounds/{round_id}/score").status_code == 403
    JobWorker(ctx).drain()
    done = officer.get(f"/api/v1/jobs/{job.json()['job_id']}").json()
    assert done["state"] == "succeeded", done["error"]
    assert (done["result"]["level_1"], done["result"]["level_2"]) == (1, 1)

    listed = clerk.get(f"/api/v1/targeting/rounds/{round_id}/assessments?level=1").json()
    assert [(a["id"], a["total"], a["level"], a["status"]) for a in listed] == [
        (first, 97, 1, "scored")]
    one = clerk.get(f"/api/v1/targeting/assessments/{first}").json()
    assert one["channel"] == "office" and one["explanation"]["level_km"] == "ក្រីក្រកម្រិត ១"
    assert one["explanation"]["lines"][0] == {
        "item": "roof", "question_en": "What is the roof of the house made of?",
        "question_km": "តើដំបូលផ្ទះធ្វើពីអ្វី?", "answer_en": "Thatch or leaves",
        "answer_km": "ស្លឹក ឬស្បូវ", "points": 10}

    for path, english, khmer in [
        ("/office/targeting", "Phnom Penh 2026", "គ្រួសារក្រីក្រ (IDPoor)"),
        (f"/office/targeting/rounds/{round_id}", "Poor Level 1", "ក្រីក្រកម្រិត ១"),
        (f"/office/targeting/assessments/{first}", "Thatch or leaves", "ស្លឹក ឬស្បូវ"),
    ]:
        en = clerk.get(path, headers=HTML_EN)
        km = clerk.get(path, headers=HTML_KM)
        assert en.status_code == 200 and english in en.text, (path, en.text[:300])
        assert km.status_code == 200 and khmer in km.text, path
    page = clerk.get(f"/office/targeting/assessments/{first}", headers=HTML_KM).text
    assert "ពិន្ទុ ៩៧៖ ចាប់ពី ៦០" in page and "What is the roof" not in page
    # a user of another commune does not see it
    stranger = auth_client("registrar", "120201")
    assert stranger.get(f"/office/targeting/assessments/{first}",
                        headers=HTML_EN).status_code == 404
