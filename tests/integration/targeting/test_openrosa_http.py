"""ODK Collect's side of SPMIS, over real HTTP (uvicorn on a port): the form list and form
download with the OpenRosa headers, the HEAD pre-check, and a submission as ODK Collect sends it
(multipart, ``xml_submission_file``, HTTP Basic as an enumerator) that becomes a draft
assessment; the same instance again changes nothing; a household outside the enumerator's
commune and a malformed instance are refused with their reasons in English and Khmer; wrong
passwords are throttled as logins are."""

from __future__ import annotations

import socket
import threading
import time
from email.utils import formatdate
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select

from spmis.auth.ratelimit import TokenBucket
from spmis.context import AppContext
from spmis.targeting.service import TargetingService
from spmis.targeting.store import targeting_assessment
from tests.conftest import TEST_PASSWORD
from tests.integration.targeting.helpers import (
    ENUMERATOR,
    OTHER,
    VERY_POOR,
    household,
    instance,
    new_round,
)

RESPONSE = "{http://openrosa.org/http/response}"
FORMS = "{http://openrosa.org/xforms/xformsList}"
#: the headers ODK Collect sends with every request
#: generous: two cores shared by many test runs, and each request checks a password (argon2)
TIMEOUT = 120
COLLECT = {"X-OpenRosa-Version": "1.0", "User-Agent": "org.odk.collect.android/v2024.3.1",
           "Accept-Encoding": "gzip,deflate"}


class Server:
    """SPMIS served by uvicorn on a free port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _send(client: httpx.Client, xml: bytes, language: str = "en") -> httpx.Response:
    """The request ODK Collect sends: a multipart POST with the instance as a file part."""
    return client.post("/odk/submission", files={
        "xml_submission_file": ("2026-03-02_09-31-12.xml", xml, "text/xml")},
        headers={**COLLECT, "Date": formatdate(usegmt=True), "Accept-Language": language})


def _message(r: httpx.Response) -> tuple[str, str]:
    root = ElementTree.fromstring(r.content)
    assert root.tag == f"{RESPONSE}OpenRosaResponse"
    message = root.find(f"{RESPONSE}message")
    assert message is not None
    return message.get("nature", ""), message.text or ""


def _count(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(targeting_assessment)) or 0)


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgres"], indirect=True)
def test_odk_collect_lists_downloads_and_submits(app: FastAPI, ctx: AppContext,
                                                 make_user: Any) -> None:
    app.state.rate_limiter = TokenBucket(per_minute=10**6, burst=10**6)
    name = make_user("enumerator", "120101")
    make_user("enumerator", "120201", username="enum-far")
    round_id, home, far = new_round(ctx), household(ctx), household(ctx, OTHER, "Sophea")
    with Server(app) as base, httpx.Client(base_url=base, auth=(name, TEST_PASSWORD),
                                           timeout=TIMEOUT) as collect:
        # without credentials: a Basic challenge ODK Collect answers with the account
        anonymous = httpx.get(f"{base}/odk/formList", headers=COLLECT, timeout=TIMEOUT)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith("Basic realm=")
        listed = collect.get("/odk/formList", headers=COLLECT)
        assert listed.status_code == 200 and listed.headers["x-openrosa-version"] == "1.0"
        assert listed.headers["content-type"] == "text/xml; charset=utf-8"
        assert listed.headers["date"].endswith("GMT")
        entries = ElementTree.fromstring(listed.content).findall(f"{FORMS}xform")
        assert [e.findtext(f"{FORMS}formID") for e in entries] == [f"spmis_idpoor_r{round_id}"]
        url = entries[0].findtext(f"{FORMS}downloadUrl") or ""
        md5 = entries[0].findtext(f"{FORMS}hash") or ""
        assert url.startswith(base) and md5.startswith("md5:")
        form = collect.get(url, headers=COLLECT)
        assert form.status_code == 200 and f'id="spmis_idpoor_r{round_id}"' in form.text
        assert "តើដំបូលផ្ទះធ្វើពីអ្វី?" in form.text
        pre = collect.head("/odk/submission", headers=COLLECT)
        assert pre.status_code == 204 and pre.headers["x-openrosa-version"] == "1.0"
        assert int(pre.headers["x-openrosa-accept-content-length"]) > 100_000

        # a submission becomes a draft assessment
        first = _send(collect, instance(round_id, home, VERY_POOR))
        assert first.status_code == 201 and first.headers["x-openrosa-version"] == "1.0"
        nature, text = _message(first)
        assert nature == "submit_success" and "(draft)" in text and "ព្រាង" in text
        drafts = TargetingService(ctx).assessments(round_id, ENUMERATOR)
        assert [(d["household_id"], d["status"], d["enumerator"]) for d in drafts] == [
            (home, "draft", name)]
        # the same instance again: success for the phone, nothing changes
        again = _send(collect, instance(round_id, home, VERY_POOR))
        assert again.status_code == 201 and "nothing changed" in _message(again)[1]
        assert _count(ctx) == 1

        # a household outside the enumerator's commune: refused, with the reason
        outside = _send(collect, instance(round_id, far, VERY_POOR, "uuid:far-1"), "km")
        assert outside.status_code == 403 and outside.headers["x-openrosa-version"] == "1.0"
        nature, text = _message(outside)
        assert nature == "submit_error" and text.startswith(f"គ្មានគ្រួសារលេខ {far}")
        assert f"no household number {far} in your commune" in text

        # a malformed instance: refused naming what is wrong
        broken = instance(round_id, home, dict(VERY_POOR, roof="gold"), "uuid:bad-1")
        bad = _send(collect, broken)
        assert bad.status_code == 400
        assert "roof" in _message(bad)[1] and "'gold' is not an answer" in _message(bad)[1]
        truncated = _send(collect, instance(round_id, home, VERY_POOR, "uuid:cut")[:200])
        assert truncated.status_code == 400 and "not well-formed" in _message(truncated)[1]
        no_part = collect.post("/odk/submission", files={"other": ("a.xml", b"<a/>")},
                               headers=COLLECT)
        assert no_part.status_code == 400 and "xml_submission_file" in _message(no_part)[1]
        # without the OpenRosa header (what a web page could send): refused
        forged = collect.post("/odk/submission", files={
            "xml_submission_file": ("a.xml", instance(round_id, home, VERY_POOR, "uuid:f"))})
        assert forged.status_code == 400
        assert _count(ctx) == 1

        # an enumerator of another commune sees the round but not this household
        with httpx.Client(base_url=base, auth=("enum-far", TEST_PASSWORD),
                          timeout=TIMEOUT) as other:
            assert _send(other, instance(round_id, home, VERY_POOR, "uuid:x")).status_code == 403

        # a registrar's password is right but the role is not an enumerator's
        registrar = make_user("registrar", "120101")
        with httpx.Client(base_url=base, auth=(registrar, TEST_PASSWORD),
                          timeout=TIMEOUT) as wrong_role:
            assert wrong_role.get("/odk/formList", headers=COLLECT).status_code == 403


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_wrong_passwords_are_throttled_like_logins(app: FastAPI, ctx: AppContext,
                                                   make_user: Any) -> None:
    app.state.rate_limiter = TokenBucket(per_minute=10**6, burst=10**6)
    name = make_user("enumerator", "120101")
    with Server(app) as base:
        statuses = [httpx.get(f"{base}/odk/formList", auth=(name, "wrong-password"),
                              headers=COLLECT, timeout=TIMEOUT).status_code for _ in range(12)]
        assert set(statuses) == {401}
        # after too many failures even the right password is refused for a while
        right = httpx.get(f"{base}/odk/formList", auth=(name, TEST_PASSWORD), headers=COLLECT,
                          timeout=TIMEOUT)
        assert right.status_code == 401
        garbled = httpx.get(f"{base}/odk/formList", headers={
            **COLLECT, "Authorization": "Basic !!!notbase64"}, timeout=TIMEOUT)
        assert garbled.status_code == 401
