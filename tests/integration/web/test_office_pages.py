"""Back-office pages over HTTP, signed in with a session cookie as a browser is: sign in, register
a household (messages next to fields), household and person pages (masked identifiers, reveal
with a reason), correction that becomes an approval, the approval queue, scope, user admin."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}
PASSWORD = "correct horse battery staple"
VILLAGE = "12010101"  # Phnom Penh, commune 120101


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page carries a CSRF token"
    return found.group(1)


@pytest.fixture
def signed_in(app, make_user):  # type: ignore[no-untyped-def]
    """``signed_in(role, scope)``: a browser-like client with a session for a new user."""
    clients: list[TestClient] = []

    def make(role: str = "registrar", scope: str = "") -> TestClient:
        name = make_user(role, scope)
        c = TestClient(app, headers=HTML)
        form = c.get("/login").text
        token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)
        r = c.post("/login", data={"username": name, "password": PASSWORD, "next": "/office",
                                   "login_token": token}, follow_redirects=False)
        assert r.status_code == 303, r.text
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def household_form(token: str, **extra: str) -> dict[str, str]:
    form = {"csrf_token": token, "province": "12", "district": "1201", "commune": "120101",
            "village": VILLAGE, "rows": "1", "idpoor_level": "1",
            "idpoor_card_number": "PP-12-0001",
            "members-0-relationship": "head", "members-0-family_name_km": "សុខ",
            "members-0-given_name_km": "តារា", "members-0-family_name_latin": "Sok",
            "members-0-given_name_latin": "Dara", "members-0-sex": "F",
            "members-0-date_of_birth": "1950-04-12",
            "members-0-identifiers-national_id": "123456789"}
    form.update(extra)
    return form


def register(c: TestClient, **extra: str) -> int:
    """Register through the form; when it asks first about people who may already be registered
    (the tests register the same person more than once), answer that they are different."""
    token = csrf(c.get("/office/households/new").text)
    form = household_form(token, **extra)
    r = c.post("/office/households/new", data=form, follow_redirects=False)
    if r.status_code == 200 and 'value="save-anyway"' in r.text:
        seen = re.search(r'name="seen_duplicates" value="([^"]*)"', r.text).group(1)
        r = c.post("/office/households/new", follow_redirects=False,
                   data=form | {"action": "save-anyway", "seen_duplicates": seen})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("/")[-1].split("?")[0])


def test_office_needs_sign_in(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, headers=HTML) as c:
        r = c.get("/office/households", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")
        forged = c.post("/login", data={"username": "nobody", "password": "x"})
        assert forged.status_code == 403  # no login token: a cross-site sign-in is refused
        token = re.search(r'name="login_token" value="([^"]+)"', forged.text).group(1)
        bad = c.post("/login", data={"username": "nobody", "password": "x",
                                     "login_token": token})
        assert bad.status_code == 401
        assert 'role="alert"' in bad.text
        evil = c.get("/login?next=//evil.example/x")
        assert 'name="next" value="/office"' in evil.text


def test_register_meets_errors_next_to_fields_then_succeeds(signed_in) -> None:  # type: ignore[no-untyped-def]
    c = signed_in("registrar", "120101")
    token = csrf(c.get("/office/households/new").text)
    r = c.post("/office/households/new", data=household_form(
        token, **{"members-0-date_of_birth": "2999-01-01",
                  "members-0-identifiers-national_id": "12"}))
    assert r.status_code == 422
    for name in ("members-0-date_of_birth", "members-0-identifiers-national_id"):
        assert f'id="{name}-error"' in r.text, name
    assert 'value="Sok"' in r.text  # what was typed is kept
    r = c.post("/office/households/new", data=household_form(token, **{"members-0-sex": ""}))
    assert r.status_code == 422 and 'id="members-0-sex-error"' in r.text
    hid = register(c)
    page = c.get(f"/office/households/{hid}?created=1")
    assert page.status_code == 200
    assert "*******89" in page.text or "89" in page.text
    assert "123456789" not in page.text  # masked
    assert 'data-programme="family_package_elderly"' in page.text  # eligibility shown


def test_registrar_of_another_commune_cannot_open_the_household(signed_in) -> None:  # type: ignore[no-untyped-def]
    hid = register(signed_in("registrar", "120101"))
    other = signed_in("registrar", "010201")
    r = other.get(f"/office/households/{hid}")
    assert r.status_code == 404  # the same page as for a household that does not exist
    assert "123456789" not in r.text


def test_correction_of_an_identifier_is_approved_by_a_second_user(signed_in) -> None:  # type: ignore[no-untyped-def]
    maker = signed_in("registrar", "120101")
    hid = register(maker)
    pid = int(re.search(r'href="/office/people/(\d+)"', maker.get(
        f"/office/households/{hid}").text).group(1))
    form = maker.get(f"/office/people/{pid}/edit").text
    data = {"csrf_token": csrf(form), "expected_version": "1", "family_name_km": "សុខ",
            "given_name_km": "តារា", "family_name_latin": "Sok", "given_name_latin": "Dara",
            "sex": "F", "date_of_birth": "1950-04-12", "reason": "x"}
    short = maker.post(f"/office/people/{pid}/edit", data=data)
    assert short.status_code == 422 and 'id="reason-error"' in short.text
    data.update(reason="card replaced", **{"identifiers-national_id": "987654321"})
    r = maker.post(f"/office/people/{pid}/edit", data=data, follow_redirects=False)
    assert r.status_code == 303 and "requested=" in r.headers["location"]
    checker = signed_in("approver", "12")
    queue = checker.get("/office/approvals")
    rid = re.search(r'data-request="(\d+)"', queue.text).group(1)
    r = checker.post(f"/office/approvals/{rid}/approve",
                     data={"csrf_token": csrf(queue.text), "reason": "seen the new card"},
                     follow_redirects=False)
    assert r.status_code == 303
    assert "seen the new card" in checker.get("/office/approvals?status=approved").text
    revealer = signed_in("registrar", "120101")
    person = revealer.get(f"/office/people/{pid}").text
    shown = revealer.post(f"/office/people/{pid}/reveal",
                          data={"csrf_token": csrf(person), "reason": "home visit"})
    assert "987654321" in shown.text


def test_forms_refuse_a_missing_csrf_token(signed_in) -> None:  # type: ignore[no-untyped-def]
    c = signed_in("registrar", "120101")
    r = c.post("/office/households/new", data=household_form("forged"))
    assert r.status_code == 403


def test_admin_creates_an_account(signed_in) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    page = admin.get("/office/users")
    assert page.status_code == 200
    r = admin.post("/office/users", data={"csrf_token": csrf(page.text), "username": "sokha",
                                          "scope": "120101", "roles": ["auditor"]})
    assert r.status_code == 200 and "sokha" in r.text
    assert re.search(r'<code class="activation-link">[^<]*/activate\?token=', r.text)
    # a registrar may see identifiers: a second administrator decides (issue 12 #4)
    r = admin.post("/office/users", data={"csrf_token": csrf(page.text), "username": "sokha2",
                                          "scope": "120101", "roles": ["registrar"]})
    assert r.status_code == 200 and "data-filed" in r.text and "activation-link" not in r.text
    queue = admin.get("/office/approvals")
    assert queue.status_code == 200 and "sokha2" in queue.text
    assert "/approve" not in queue.text  # its maker cannot decide it
    other = signed_in("admin")
    queue = other.get("/office/approvals")
    rid = re.search(r'action="/office/approvals/(\d+)/approve"', queue.text)
    assert rid, queue.text
    done = other.post(f"/office/approvals/{rid.group(1)}/approve",
                      data={"csrf_token": csrf(queue.text), "reason": "checked with the office"})
    assert done.status_code == 200 and 'class="activation-link"' in done.text
    registrar = signed_in("registrar", "120101")
    assert registrar.get("/office/users").status_code == 403


IMPORT_CSV = (
    "household_key,village_code,person_key,relationship,sex,date_of_birth,family_name_latin,"
    "given_name_latin\n"
    "H1,12010101,P1,head,F,1980-01-01,Sok,Dara\n"
    "H1,12010101,P2,child,M,2010-05-05,Sok,Vibol\n"
    "H2,12010101,P3,head,X,1980-01-01,Chan,Sophea\n"
)


def test_import_keeps_good_rows_and_offers_the_reject_report(signed_in, ctx) -> None:  # type: ignore[no-untyped-def]
    from spmis.jobs.worker import JobWorker

    c = signed_in("registrar", "120101")
    page = c.get("/office/imports")
    assert page.status_code == 200
    token = csrf(page.text)
    r = c.post("/office/imports", data={"csrf_token": token},
               files={"file": ("households.csv", IMPORT_CSV.encode(), "text/csv")},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    job_page = r.headers["location"]
    assert re.fullmatch(r"/office/jobs/\d+", job_page)
    JobWorker(ctx).drain()  # the worker process runs the import
    page = c.get(job_page)
    assert page.status_code == 200
    link = re.search(r'href="(/office/jobs/\d+/reports/rejects.csv)"', page.text)
    assert link, "a reject report to download"
    report = c.get(link.group(1))
    assert report.status_code == 200
    assert "H2" in report.text and "sex" in report.text
    assert "P1" not in report.text
    other = signed_in("registrar", "120101")
    assert other.get(link.group(1)).status_code == 404  # only the uploader's
    assert other.get(job_page).status_code == 404
    bad = c.post("/office/imports", data={"csrf_token": token},
                 files={"file": ("notes.txt", b"hello", "text/plain")})
    assert bad.status_code == 422 and 'id="file-error"' in bad.text
    wrong = c.post("/office/imports", data={"csrf_token": token},
                   files={"file": ("h.csv", b"a,b\n1,2\n", "text/csv")})
    assert wrong.status_code == 422 and "household_key" in wrong.text


def test_linkage_pair_side_by_side_accept_files_a_merge_request(signed_in, ctx) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from spmis.db.base import utcnow
    from spmis.linkage.store import link_review

    c = signed_in("registrar", "120101")
    first = register(c)
    second = register(c, **{"members-0-identifiers-national_id": "555666777",
                            "members-0-given_name_latin": "Darra"})
    ids = [int(re.search(r'href="/office/people/(\d+)"', c.get(
        f"/office/households/{h}").text).group(1)) for h in (first, second)]
    with ctx.engine.begin() as conn:
        rid = conn.execute(insert(link_review).values(
            person_id_l=ids[0], person_id_r=ids[1], match_probability=0.93,
            reasons=["name=similar"], conflicts=["national_id"], area_code_l=VILLAGE,
            area_code_r=VILLAGE, status="pending", created_at=utcnow(),
        ).returning(link_review.c.id)).scalar_one()
    queue = c.get("/office/linkage")
    assert f'data-review="{rid}"' in queue.text
    pair = c.get(f"/office/linkage/{rid}")
    assert pair.status_code == 200 and "Darra" in pair.text and "Dara" in pair.text
    token = csrf(pair.text)
    short = c.post(f"/office/linkage/{rid}/reject", data={"csrf_token": token, "reason": ""})
    assert short.status_code == 422 and 'id="reason-error"' in short.text
    r = c.post(f"/office/linkage/{rid}/accept",
               data={"csrf_token": token, "reason": "same woman, typo", "survivor_id": ids[0]},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    approver = signed_in("approver", "12")
    assert "Merge of two records of one person" in approver.get("/office/approvals?lang=en").text
    assert signed_in("registrar", "010201").get(f"/office/linkage/{rid}").status_code == 404


def test_household_correction_with_messages_next_to_fields(signed_in) -> None:  # type: ignore[no-untyped-def]
    c = signed_in("registrar", "120101")
    hid = register(c)
    form = c.get(f"/office/households/{hid}/edit").text
    data = {"csrf_token": csrf(form), "expected_version": "1", "idpoor_level": "",
            "idpoor_card_number": "PP-12-0001", "reason": "card withdrawn"}
    r = c.post(f"/office/households/{hid}/edit", data=data)
    assert r.status_code == 422 and 'id="idpoor_level-error"' in r.text
    data.update(idpoor_level="2")
    r = c.post(f"/office/households/{hid}/edit", data=data, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"] + "&lang=en")
    assert "The correction is saved." in page.text and "Level 2" in page.text
    stale = c.post(f"/office/households/{hid}/edit", data=data | {"idpoor_level": "1"})
    assert stale.status_code == 409  # the version changed since the form was read


def test_add_a_person_to_the_registration_form(signed_in) -> None:  # type: ignore[no-untyped-def]
    c = signed_in("registrar", "120101")
    token = csrf(c.get("/office/households/new").text)
    r = c.post("/office/households/new", data=household_form(token, action="add"))
    assert r.status_code == 200
    assert 'name="members-1-family_name_km"' in r.text and 'value="Sok"' in r.text
    data = household_form(token, rows="2", **{
        "members-1-relationship": "child", "members-1-family_name_latin": "Sok",
        "members-1-given_name_latin": "Nita", "members-1-sex": "F",
        "members-1-date_of_birth": "2015-06-01"})
    done = c.post("/office/households/new", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert "Nita" in c.get(done.headers["location"]).text


def test_a_likely_duplicate_is_confirmed_before_anything_is_saved(signed_in, ctx) -> None:  # type: ignore[no-untyped-def]
    """Issue 13, item 15, without JavaScript: 'Register' shows the people who may already be
    registered and saves nothing; 'Register anyway' saves only when no one new turned up."""
    from sqlalchemy import func, select

    from spmis.registry.store import household

    def households() -> int:
        with ctx.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(household)).scalar_one())

    c = signed_in("registrar", "120101")
    first = register(c)
    token = csrf(c.get("/office/households/new").text)
    form = household_form(token, **{"members-0-given_name_latin": "Darra",
                                    "members-0-identifiers-national_id": "223456789"})
    asked = c.post("/office/households/new?lang=en", data=form)
    assert asked.status_code == 200 and households() == 1
    assert "Nothing is saved yet" in asked.text
    assert re.search(r'href="/office/people/\d+" target="_blank"', asked.text)
    assert f"Household {first}" in asked.text
    unseen = c.post("/office/households/new", data=form | {"action": "save-anyway",
                                                          "seen_duplicates": "999999"})
    assert unseen.status_code == 200 and households() == 1  # asked again: not the one shown
    seen = re.search(r'name="seen_duplicates" value="([^"]*)"', asked.text).group(1)
    done = c.post("/office/households/new", follow_redirects=False,
                  data=form | {"action": "save-anyway", "seen_duplicates": seen})
    assert done.status_code == 303 and households() == 2
    check = c.post("/office/households/new/duplicates", data=form | {"row": "0"})
    assert check.status_code == 200 and check.text.count("data-person=") == 2


def test_a_refusal_names_the_roles_that_may(signed_in, auth_client) -> None:  # type: ignore[no-untyped-def]
    """Issue 13, item 16: a 403 says which roles a page (or an API route) needs."""
    admin = signed_in("admin", "")
    page = admin.get("/office/linkage/1?lang=en")
    assert page.status_code == 403
    assert "This page is for: <strong>Approver, Auditor, Registrar</strong>" in page.text
    assert "Your roles: Administrator" in page.text
    km = admin.get("/office/linkage/1?lang=km")
    assert "ទំព័រនេះសម្រាប់៖ <strong>អ្នកអនុម័ត, សវនករ, អ្នកចុះឈ្មោះ</strong>" in km.text
    api = auth_client("admin").get("/api/v1/linkage/reviews")
    assert api.status_code == 403
    assert api.json()["detail"].endswith("it needs one of these roles: approver, auditor, "
                                         "registrar")
    assert admin.get("/office/linkage").status_code == 200  # the runs, and the button to start one


def test_a_deduplication_run_is_started_from_the_page_as_a_job(signed_in, ctx) -> None:  # type: ignore[no-untyped-def]
    from spmis.jobs.worker import JobWorker

    c = signed_in("registrar", "120101")
    register(c)
    register(c, **{"members-0-given_name_latin": "Darra",
                   "members-0-identifiers-national_id": "223456789"})
    page = c.get("/office/linkage?lang=en")
    assert "Find possible duplicates in my area" in page.text
    started = c.post("/office/linkage/runs", data={"csrf_token": csrf(page.text)},
                     follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/office/jobs/")
    JobWorker(ctx).drain()
    job = c.get(started.headers["location"] + "?lang=en")
    assert "Finished" in job.text and "People compared" in job.text, job.text
    runs = c.get("/office/linkage?lang=en")
    assert 'data-run="' in runs.text and "Finished" in runs.text
    approver = signed_in("approver", "12")
    assert approver.post("/office/linkage/runs",
                         data={"csrf_token": csrf(approver.get("/office/linkage").text)}
                         ).status_code == 403
