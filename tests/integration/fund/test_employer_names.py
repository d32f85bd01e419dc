"""An employer's own page names its current workers (Khmer and Latin names, fund member number)
and nothing more about them; every view that shows names is logged as a read, in one statement;
an uploaded file's refused rows name the enterprise's workers and say nothing about anyone else
(the same answer whether or not the number exists). On both engines."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from spmis.auth.store import access_log
from spmis.context import AppContext
from spmis.registry.identifiers import seal
from spmis.registry.model import IdentifierType
from spmis.registry.store import person_identifier
from tests.integration.fund.seed import NOW, OFFICER, fund_with_two_employers, hire

HTML = {"accept": "text/html", "cookie": "spmis_lang=en"}
NATIONAL_ID = "012345678"


def _reads(ctx: AppContext, actor: str) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(access_log).where(access_log.c.actor == actor)
            .order_by(access_log.c.entity_id)).mappings()]


def _boss(ctx: AppContext, make_user, auth_client):  # type: ignore[no-untyped-def]
    make_user("employer", username="boss")
    return auth_client("employer", username="boss")


def test_the_own_page_names_current_workers_and_logs_the_read(  # type: ignore[no-untyped-def]
        ctx: AppContext, make_user, auth_client) -> None:
    fund, e1, _ = fund_with_two_employers(ctx)
    # 44 worked here and left yesterday; 41 holds a national ID as well as a member number
    left = hire(fund, OFFICER, e1, 44, declared_on=date(2022, 1, 3))
    fund.end_affiliation(OFFICER, left, date.today() - timedelta(days=1))
    with ctx.engine.begin() as conn:
        conn.execute(insert(person_identifier).values(
            person_id=41, created_at=NOW,
            **vars(seal(ctx.cipher, IdentifierType.NATIONAL_ID, NATIONAL_ID))))
    boss = _boss(ctx, make_user, auth_client)
    inserts: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO ACCESS_LOG"):
            inserts.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        page = boss.get("/employer", headers=HTML)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)
    assert page.status_code == 200, page.text[:300]
    text = page.text
    for name in ("Pich Sreyneang", "ពេជ្រ ស្រីនាង", "Chan Sophea", "ចាន់ សុភា", "Keo Bopha", "កែវ បុប្ផា",
                 "Member no. NSSF-M-0041"):
        assert name in text, name
    # the labels of the wage fields name the worker, not the number
    assert ('<label class="visually-hidden" for="lines-0-wage">Wage of Pich Sreyneang</label>'
            in text)
    # a worker who left is not named (nor offered a wage field); no birth date or identifier
    assert "Ly Vannak" not in text and "លី" not in text and "NSSF-M-0044" not in text
    assert 'name="lines-3-wage"' not in text
    assert NATIONAL_ID not in text and "1990" not in text
    assert len(inserts) == 1, inserts
    reads = _reads(ctx, "boss")
    assert [(r["entity_type"], r["entity_id"], r["fields"]) for r in reads] == [
        ("person", 41, "name,nssf_member"), ("person", 42, "name,nssf_member"),
        ("person", 43, "name,nssf_member")]
    # a second view is a second read
    assert boss.get("/employer", headers=HTML).status_code == 200
    assert len(_reads(ctx, "boss")) == 6
    # fund staff's page of the enterprise shows numbers, as before, and logs nothing here
    officer = auth_client("fund_officer")
    staff = officer.get(f"/office/fund/employers/{e1}", headers=HTML)
    assert staff.status_code == 200 and "Pich Sreyneang" not in staff.text


def test_refused_rows_name_own_workers_only(  # type: ignore[no-untyped-def]
        ctx: AppContext, make_user, auth_client, tmp_path: Path) -> None:
    fund_with_two_employers(ctx)
    boss = _boss(ctx, make_user, auth_client)
    form = boss.get("/employer", headers=HTML)
    assert form.status_code == 200
    f = tmp_path / "dec.csv"
    # 41 works here (a bad wage); 44 is in the registry but works elsewhere or nowhere; 987654321
    # is nobody
    f.write_text("person_id,wage,currency\n41,abc,KHR\n42,500000,KHR\n44,700000,KHR\n"
                 "987654321,700000,KHR\n")
    with f.open("rb") as fh:
        r = boss.post("/employer/upload", data={"upload_period": "2026-11"},
                      files={"file": ("dec.csv", fh, "text/csv")}, headers=HTML)
    assert r.status_code == 200, r.text[:500]
    rows = _rows(r.text)
    assert sorted(rows) == [2, 4, 5]
    assert "Pich Sreyneang" in rows[2][1] and "not a number" not in rows[2][1]
    assert "Ly Vannak" not in r.text and "លី" not in r.text
    # the row of a registry person who does not work here reads as the row of nobody
    assert [c.replace("44", "N") for c in rows[4][1:]] == [
        c.replace("987654321", "N") for c in rows[5][1:]]
    reads = {x["entity_id"] for x in _reads(ctx, "boss")}
    assert reads == {41, 42, 43}
    # the month the file was sent with stays in the upload form, for the corrected file
    assert re.search(r'<input[^>]*id="upload_period"[^>]*value="2026-11"', r.text) or \
        re.search(r'<input[^>]*value="2026-11"[^>]*id="upload_period"', r.text), \
        re.findall(r'<input[^>]*upload_period[^>]*>', r.text)


def _rows(html: str) -> dict[int, list[str]]:
    """The refused rows of the page (their cells' text), by their row number in the file."""
    table = html[html.index('id="rejects"'):]
    table = table[:table.index("</table>")]
    return {int(m.group(1)): [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                              for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(2), re.S)]
            for m in re.finditer(r'<tr data-row="(\d+)">(.*?)</tr>', table, re.S)}


def test_the_form_names_the_worker_at_fault_and_holds_the_months_draft(  # type: ignore[no-untyped-def]
        ctx: AppContext, make_user, auth_client) -> None:
    fund_with_two_employers(ctx)
    boss = _boss(ctx, make_user, auth_client)
    lines = {"lines-0-person_id": "41", "lines-0-wage": "150000",
             "lines-1-person_id": "42", "lines-1-wage": "-5",
             "lines-2-person_id": "43", "lines-2-wage": ""}
    r = boss.post("/employer/declare", data={"period": "2026-10", **lines}, headers=HTML)
    assert r.status_code == 422
    start = r.text.index("error-summary")
    summary = r.text[start:r.text.index("</ul>", start)]
    assert '<a href="#lines-1-wage">Wage of Chan Sophea</a>' in summary
    lines["lines-1-wage"] = "1,000,000"
    r = boss.post("/employer/declare", data={"period": "2026-10", **lines}, headers=HTML,
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/employer?period=2026-10#declaration"
    boss.post("/employer/declare", data={"period": "2026-11", "lines-0-person_id": "41",
                                         "lines-0-wage": "7"}, headers=HTML)
    # the newest draft by default, the asked month's draft when asked, with its month
    assert 'id="period" name="period" type="text" value="2026-11"' in boss.get(
        "/employer", headers=HTML).text
    october = boss.get("/employer?period=2026-10", headers=HTML).text
    assert 'id="period" name="period" type="text" value="2026-10"' in october
    assert 'value="1000000"' in october
    assert 'value="2026-12"' in boss.get("/employer?period=2026-12", headers=HTML).text
