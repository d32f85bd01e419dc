"""No existence oracle in bulk import (issue 12 #9): a file row whose national ID (or an
enterprise row whose enterprise number) another record already holds was rejected with "already
belongs to another person/enterprise", which told a district registrar that the number exists
somewhere in the country. The row is now saved without that number, the number is filed for an
approver (``identifier_change`` / ``enterprise_numbers``, as the single-record path does), and
the report says only that it awaits a reviewer's decision - the same words whether the holder
is inside or outside the importer's area. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from spmis.app import create_app
from spmis.auth.approvals import ApprovalService
from spmis.auth.model import SYSTEM, Actor
from spmis.auth.store import PAYLOAD_CONTEXT, approval_request
from spmis.context import AppContext
from spmis.errors import InvalidInput
from spmis.jobs.worker import JobWorker
from spmis.registry.fileformat import ENTERPRISE_COLUMNS, HOUSEHOLD_COLUMNS
from spmis.registry.importer import import_enterprises, import_households
from spmis.registry.store import enterprise, person, person_identifier

HOME_VILLAGE = "12010101"    # district 1201 (Phnom Penh)
OTHER_VILLAGE = "01020101"   # district 0102 (Banteay Meanchey)
REGISTRAR = Actor("registrar-1201", frozenset({"registrar"}), "1201")
APPROVER = Actor("approver-kh", frozenset({"approver"}), "")
FAR_ID, NEAR_ID, FREE_ID = "444555666", "101202303", "111222333"
NOTICE_EN = "imported without this number: it awaits a reviewer's decision"
NOTICE_KM = "បាននាំចូលដោយគ្មានលេខនេះ៖ លេខនេះកំពុងរង់ចាំការសម្រេចរបស់អ្នកពិនិត្យ"


def _person_row(hh: str, pk: str, village: str, **kw: str) -> dict[str, str]:
    base = {"household_key": hh, "village_code": village, "person_key": pk,
            "relationship": "head", "family_name_latin": "Sok", "given_name_latin": "Dara",
            "sex": "F", "date_of_birth": "1988-04-12"}
    return base | kw


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    return path


def _report(path: Path, key: str) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {r[key]: r for r in csv.DictReader(fh)}


def _holders(ctx: AppContext, tmp_path: Path) -> None:
    """A person with ``FAR_ID`` in another district and one with ``NEAR_ID`` in the
    registrar's own district, imported by the system."""
    _write(tmp_path / "holders.csv", HOUSEHOLD_COLUMNS, [
        _person_row("HF", "PF", OTHER_VILLAGE, national_id=FAR_ID, given_name_latin="Vanna"),
        _person_row("HN", "PN", HOME_VILLAGE, national_id=NEAR_ID, given_name_latin="Kosal")])
    assert import_households(ctx, tmp_path / "holders.csv", SYSTEM,
                             progress=False).people_created == 2


def _requests(ctx: AppContext, kind: str) -> list[Any]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(approval_request).where(
            approval_request.c.kind == kind).order_by(approval_request.c.id)).mappings())


def _national_ids(ctx: AppContext) -> dict[str, bool]:
    """Person key -> whether the person has a national ID stored."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(person.c.external_key, person_identifier.c.id).outerjoin(
            person_identifier, (person_identifier.c.person_id == person.c.id)
            & (person_identifier.c.id_type == "national_id")))
        return {k: i is not None for k, i in rows}


def test_a_held_national_id_goes_to_a_reviewer_in_the_same_words_anywhere(
        ctx: AppContext, tmp_path: Path) -> None:
    _holders(ctx, tmp_path)
    path = _write(tmp_path / "mine.csv", HOUSEHOLD_COLUMNS, [
        _person_row("H1", "P-FAR", HOME_VILLAGE, national_id=FAR_ID),
        _person_row("H2", "P-NEAR", HOME_VILLAGE, national_id=NEAR_ID),
        _person_row("H3", "P-FREE", HOME_VILLAGE, national_id=FREE_ID)])
    summary = import_households(ctx, path, REGISTRAR, progress=False)
    assert (summary.people_created, summary.rows_rejected, summary.rows_held) == (3, 0, 2)
    text = (tmp_path / "mine.rejects.csv").read_text(encoding="utf-8")
    for told in ("another person", "belongs", "ជារបស់", OTHER_VILLAGE, "Vanna", "Kosal"):
        assert told not in text
    report = _report(tmp_path / "mine.rejects.csv", "person_key")
    assert set(report) == {"P-FAR", "P-NEAR"}
    far, near = report["P-FAR"], report["P-NEAR"]
    assert far["error_field"] == near["error_field"] == "national_id"
    assert far["error_reason"] == near["error_reason"] == f"national_id: {NOTICE_EN} / {NOTICE_KM}"
    stored = _national_ids(ctx)
    assert (stored["P-FAR"], stored["P-NEAR"], stored["P-FREE"]) == (False, False, True)

    filed = _requests(ctx, "identifier_change")
    with ctx.engine.connect() as conn:
        ids = dict(conn.execute(select(person.c.external_key, person.c.id)).all())
    assert [(r["entity_id"], r["maker"], r["status"], r["area_code"]) for r in filed] == [
        (ids["P-FAR"], REGISTRAR.username, "pending", HOME_VILLAGE),
        (ids["P-NEAR"], REGISTRAR.username, "pending", HOME_VILLAGE)]
    assert filed[0]["payload"] == {
        "person_id": ids["P-FAR"], "identifiers": {"national_id": "******666"},
        "patch": {"expected_version": 1, "reason": f"import batch {summary.batch_id}: mine.csv"}}
    assert FAR_ID not in json.dumps(filed[0]["payload"])
    assert json.loads(ctx.cipher.decrypt(filed[1]["payload_enc"], PAYLOAD_CONTEXT)) == {
        "identifiers": {"national_id": NEAR_ID}}

    # the same file again: every row unchanged, the notices again, no second request
    again = import_households(ctx, path, REGISTRAR, progress=False)
    assert (again.rows_unchanged, again.rows_rejected, again.rows_held) == (3, 0, 2)
    assert len(_requests(ctx, "identifier_change")) == 2

    # the approver meets the conflict; once the holder no longer has it, approving sets it
    approvals = ApprovalService(ctx)
    with pytest.raises(InvalidInput) as taken:
        approvals.approve(filed[1]["id"], APPROVER, "card seen")
    assert taken.value.errors[0].code == "identifier_taken"
    with ctx.engine.begin() as conn:
        conn.execute(delete(person_identifier).where(
            person_identifier.c.person_id == ids["PN"],
            person_identifier.c.id_type == "national_id"))
    assert approvals.approve(filed[1]["id"], APPROVER, "card seen").status == "approved"
    assert _national_ids(ctx)["P-NEAR"] is True


def test_a_stored_person_with_another_number_is_still_told_different_content(
        ctx: AppContext, tmp_path: Path) -> None:
    """Only a number for a person without one of that type is held: a stored person with
    another national ID is "different content", held elsewhere or not."""
    _holders(ctx, tmp_path)
    first = _write(tmp_path / "a.csv", HOUSEHOLD_COLUMNS, [
        _person_row("H1", "P1", HOME_VILLAGE, national_id=FREE_ID)])
    import_households(ctx, first, REGISTRAR, progress=False)
    changed = _write(tmp_path / "b.csv", HOUSEHOLD_COLUMNS, [
        _person_row("H1", "P1", HOME_VILLAGE, national_id=FAR_ID)])
    summary = import_households(ctx, changed, REGISTRAR, progress=False)
    assert (summary.rows_rejected, summary.rows_held) == (1, 0)
    reason = _report(tmp_path / "b.rejects.csv", "person_key")["P1"]["error_reason"]
    assert "already imported with different content" in reason
    assert _requests(ctx, "identifier_change") == []


def test_a_held_enterprise_number_goes_to_a_reviewer_in_the_same_words_anywhere(
        ctx: AppContext, tmp_path: Path) -> None:
    _write(tmp_path / "holders.csv", ENTERPRISE_COLUMNS, [
        {"enterprise_key": "E-FAR", "name_latin": "Far garage", "village_code": OTHER_VILLAGE,
         "nssf_employer_number": "NSSF-777"},
        {"enterprise_key": "E-NEAR", "name_latin": "Near garage", "village_code": HOME_VILLAGE,
         "tax_id": "T-555"}])
    import_enterprises(ctx, tmp_path / "holders.csv", SYSTEM, progress=False)
    path = _write(tmp_path / "mine.csv", ENTERPRISE_COLUMNS, [
        {"enterprise_key": "E1", "name_latin": "Home garage", "village_code": HOME_VILLAGE,
         "nssf_employer_number": "NSSF-777", "tax_id": "T-1"},
        {"enterprise_key": "E2", "name_latin": "Home shop", "village_code": HOME_VILLAGE,
         "tax_id": "T-555"}])
    summary = import_enterprises(ctx, path, REGISTRAR, progress=False)
    assert (summary.enterprises_created, summary.rows_rejected, summary.rows_held) == (2, 0, 2)
    text = (tmp_path / "mine.rejects.csv").read_text(encoding="utf-8")
    assert "another enterprise" not in text and "Far garage" not in text
    report = _report(tmp_path / "mine.rejects.csv", "enterprise_key")
    assert report["E1"]["error_field"] == "nssf_employer_number"
    assert report["E2"]["error_field"] == "tax_id"
    assert {r["error_reason"].split(": ", 1)[1] for r in report.values()} == {
        f"{NOTICE_EN} / {NOTICE_KM}"}
    with ctx.engine.connect() as conn:
        stored = {r.external_key: r for r in conn.execute(select(enterprise))}
    assert stored["E1"].nssf_employer_number is None and stored["E1"].tax_id == "T-1"
    assert stored["E2"].tax_id is None
    filed = _requests(ctx, "enterprise_numbers")
    assert [(r["entity_id"], r["payload"]) for r in filed] == [
        (stored["E1"].id, {"enterprise_id": stored["E1"].id, "fields": ["nssf_employer_number"]}),
        (stored["E2"].id, {"enterprise_id": stored["E2"].id, "fields": ["tax_id"]})]
    assert json.loads(ctx.cipher.decrypt(filed[0]["payload_enc"], PAYLOAD_CONTEXT)) == {
        "nssf_employer_number": "NSSF-777"}
    again = import_enterprises(ctx, path, REGISTRAR, progress=False)
    assert (again.rows_unchanged, again.rows_held) == (2, 2)
    assert len(_requests(ctx, "enterprise_numbers")) == 2
    with pytest.raises(InvalidInput) as duplicate:
        ApprovalService(ctx).approve(filed[1]["id"], APPROVER, "checked the register")
    assert duplicate.value.errors[0].code == "duplicate"


def test_the_downloadable_report_and_the_job_page_say_only_that_a_reviewer_decides(
        ctx: AppContext, tmp_path: Path, make_user: Any) -> None:
    """The report a registrar downloads from the import job's page, and the page itself."""
    _holders(ctx, tmp_path)
    name = make_user("registrar", "1201")
    c = TestClient(create_app(ctx=ctx), headers={"Accept": "text/html"})
    token = re.search(r'name="login_token" value="([^"]+)"', c.get("/login").text)
    assert token
    c.post("/login", data={"username": name, "password": "correct horse battery staple",
                           "next": "/office", "login_token": token.group(1)})
    form = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/office/imports").text)
    assert form
    upload = (tmp_path / "up.csv")
    _write(upload, HOUSEHOLD_COLUMNS, [
        _person_row("H1", "P-FAR", HOME_VILLAGE, national_id=FAR_ID),
        _person_row("H2", "P-NEAR", HOME_VILLAGE, national_id=NEAR_ID)])
    r = c.post("/office/imports", data={"csrf_token": form.group(1)},
               files={"file": ("up.csv", upload.read_bytes(), "text/csv")},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    job_url = r.headers["location"]
    JobWorker(ctx).drain()
    page = c.get(job_url + "?lang=en").text
    assert "Rows saved with a number awaiting a reviewer" in page and 'id="held-hint"' in page
    assert "ជួរដែលបានរក្សាទុក ដោយមានលេខរង់ចាំអ្នកពិនិត្យ" in c.get(job_url + "?lang=km").text
    report = c.get(job_url + "/reports/rejects.csv")
    assert report.status_code == 200
    rows = {r["person_key"]: r for r in csv.DictReader(report.text.splitlines())}
    assert rows["P-FAR"]["error_reason"] == rows["P-NEAR"]["error_reason"] == (
        f"national_id: {NOTICE_EN} / {NOTICE_KM}")
    assert "another person" not in report.text and "belongs" not in report.text
    c.close()
