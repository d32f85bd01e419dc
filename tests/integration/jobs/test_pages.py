"""The import page streams uploads to disk and hands them to a job; the job pages and API.
Refused uploads (too large, no CSRF token, wrong type) leave no file behind (issue 12, item 3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spmis.app import create_app
from spmis.context import AppContext
from spmis.jobs.files import JobFiles
from spmis.jobs.worker import JobWorker

HTML = {"Accept": "text/html"}
PASSWORD = "correct horse battery staple"
CSV = (b"household_key,village_code,person_key,relationship,sex,date_of_birth,"
       b"family_name_latin,given_name_latin\n"
       b"H1,12010101,P1,head,F,1980-01-01,Sok,Dara\n"
       b"H1,12010101,P2,child,M,2010-05-05,Sok,Vibol\n"
       b"H2,12010101,P3,head,X,1980-01-01,Chan,Sophea\n")


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
def small_limit_ctx(ctx: AppContext) -> AppContext:
    """The same installation with a 1 MB upload limit."""
    return AppContext(ctx.settings.model_copy(update={"import_max_upload_mb": 1}), ctx.engine,
                      ctx.gazetteer, ctx.cipher)


@pytest.fixture
def browser_for(make_user):  # type: ignore[no-untyped-def]
    """``browser_for(app_ctx, role, scope)``: a signed-in browser-like client."""
    clients: list[TestClient] = []

    def make(app_ctx: AppContext, role: str = "registrar", scope: str = "") -> TestClient:
        name = make_user(role, scope)
        c = TestClient(create_app(ctx=app_ctx), headers=HTML)
        token = re.search(r'name="login_token" value="([^"]+)"', c.get("/login").text)
        assert token
        r = c.post("/login", data={"username": name, "password": PASSWORD, "next": "/office",
                                   "login_token": token.group(1)}, follow_redirects=False)
        assert r.status_code == 303, r.text
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def uploads_left(ctx: AppContext) -> list[str]:
    folder = JobFiles(ctx.settings).root / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_upload_over_the_limit_is_refused_and_leaves_nothing(
        small_limit_ctx: AppContext, browser_for) -> None:  # type: ignore[no-untyped-def]
    c = browser_for(small_limit_ctx)
    token = csrf(c.get("/office/imports").text)
    big = CSV + b"H9,12010101,P9,head,F,1980-01-01,Sok,Dara\n" * 30_000  # ~1.3 MB
    r = c.post("/office/imports", data={"csrf_token": token},
               files={"file": ("big.csv", big, "text/csv")})
    assert r.status_code == 413
    assert "ឯកសារធំជាង ១ មេកាបៃ" in r.text
    assert uploads_left(small_limit_ctx) == []


def test_an_upload_over_the_limit_without_a_length_is_stopped_while_streaming(
        small_limit_ctx: AppContext, browser_for) -> None:  # type: ignore[no-untyped-def]
    c = browser_for(small_limit_ctx)
    token = csrf(c.get("/office/imports").text)
    boundary = "spmisboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()

    def body() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        yield head + CSV
        for _ in range(40):
            yield b"H9,12010101,P9,head,F,1980-01-01,Sok,Dara\n" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    r = c.post("/office/imports", content=body(),
               headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413
    assert uploads_left(small_limit_ctx) == []


def test_an_upload_without_the_form_token_is_refused_and_leaves_nothing(
        ctx: AppContext, browser_for) -> None:  # type: ignore[no-untyped-def]
    c = browser_for(ctx)
    c.get("/office/imports")
    r = c.post("/office/imports", files={"file": ("h.csv", CSV, "text/csv")})
    assert r.status_code == 403
    r = c.post("/office/imports", data={"csrf_token": "forged"},
               files={"file": ("h.csv", CSV, "text/csv")})
    assert r.status_code == 403
    assert uploads_left(ctx) == []


def test_a_wrong_file_is_refused_on_the_page_and_leaves_nothing(
        ctx: AppContext, browser_for) -> None:  # type: ignore[no-untyped-def]
    c = browser_for(ctx)
    token = csrf(c.get("/office/imports").text)
    for name, content in (("notes.txt", b"hello"), ("h.csv", b""),
                          ("h.csv", b"a,b\n1,2\n")):
        r = c.post("/office/imports", data={"csrf_token": token},
                   files={"file": (name, content, "text/csv")})
        assert r.status_code == 422 and 'id="file-error"' in r.text
    assert uploads_left(ctx) == []


def test_upload_to_job_page_with_progress_counts_and_reject_report(
        ctx: AppContext, browser_for) -> None:  # type: ignore[no-untyped-def]
    c = browser_for(ctx, "registrar", "120101")
    token = csrf(c.get("/office/imports").text)
    r = c.post("/office/imports", data={"csrf_token": token},
               files={"file": ("households.csv", CSV, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    job_url = r.headers["location"]
    waiting = c.get(job_url + "?lang=en")
    assert "Waiting for a worker" in waiting.text
    assert 'hx-trigger="every 2s"' in waiting.text  # the status refreshes itself
    assert uploads_left(ctx) and all(not n.endswith(".part") for n in uploads_left(ctx))
    JobWorker(ctx).drain()
    assert uploads_left(ctx) == []
    done = c.get(job_url + "?lang=en")
    assert "Finished" in done.text and "hx-trigger" not in done.text
    assert re.search(r"People created</?[a-z]*>?: 2", done.text) or "People created: 2" in \
        done.text
    km = c.get(job_url + "/progress?lang=km")
    assert "បានបញ្ចប់" in km.text
    report = c.get(job_url + "/reports/rejects.csv")
    assert report.status_code == 200 and "Sophea" in report.text
    assert report.headers["cache-control"] == "no-store"
    listing = c.get("/office/jobs?lang=en")
    assert job_url in listing.text and "Import a households file" in listing.text


def test_jobs_api_lists_own_jobs_and_cancels(ctx: AppContext, auth_client, make_user,
                                             browser_for) -> None:  # type: ignore[no-untyped-def]
    c = browser_for(ctx, "registrar", "")
    token = csrf(c.get("/office/imports").text)
    r = c.post("/office/imports", data={"csrf_token": token},
               files={"file": ("households.csv", CSV, "text/csv")}, follow_redirects=False)
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    admin = auth_client("admin")
    listed = admin.get("/api/v1/jobs").json()
    assert [j["id"] for j in listed] == [job_id]
    one = admin.get(f"/api/v1/jobs/{job_id}").json()
    assert one["state"] == "queued" and one["kind"] == "registry.import_households"
    assert one["progress"] == {"done": 0, "total": None, "percent": None, "message": None,
                               "message_km": None}
    stranger = auth_client("registrar")
    assert stranger.get("/api/v1/jobs").json() == []
    assert stranger.get(f"/api/v1/jobs/{job_id}").status_code == 404
    cancelled = admin.post(f"/api/v1/jobs/{job_id}/cancel").json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["error"]["code"] == "cancelled"
    assert uploads_left(ctx) == []  # a cancelled job's upload goes at once
    assert admin.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 409
    assert Path(ctx.settings.var_dir).exists()
