"""Two SPMIS instances, each a real uvicorn server on its own 127.0.0.1 port and database
(A on SQLite; B on SQLite and on PostgreSQL), exchange over HTTP: a synchronous search made with
the ``spmis dci search`` command, an asynchronous search answered at A's /registry/on-search, and
a subscription notification after a change in B's registry."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from spmis.app import create_app
from spmis.context import AppContext
from spmis.interop.client import DciClient, search_criteria
from spmis.interop.notifier import Notifier
from spmis.interop.service import DciService
from spmis.interop.transport import Transport

from .conftest import (
    OTHER_VILLAGE,
    Registry_,
    add_household,
    connect,
    fresh_sqlite,
    member,
    registry_settings,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A uvicorn server for one app, in a thread."""

    def __init__(self, ctx: AppContext) -> None:
        self.port = _free_port()
        self.app = create_app(ctx=ctx)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        transport = getattr(self.app.state, "dci_transport", None)
        if transport is not None:
            transport.close()


def _wait_for(check: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def instances(ctx: AppContext, tmp_path: Path,
              migrated_sqlite: Path) -> Iterator[tuple[Registry_, Registry_]]:
    """A (SQLite) and B (the parametrised database), served and connected."""
    ctx.settings.dci_sender_id = "registry-b.test"
    a_settings = registry_settings(fresh_sqlite(migrated_sqlite, tmp_path / "a.db"),
                                   tmp_path / "var-a", "registry-a.test")
    ctx_a = AppContext.create(a_settings)
    try:
        with Server(ctx_a) as server_a, Server(ctx) as server_b:
            a = Registry_(ctx_a, server_a.app, server_a.url)
            b = Registry_(ctx, server_b.app, server_b.url)
            connect(a, b)
            yield a, b
    finally:
        ctx_a.engine.dispose()


def _cli(registry: Registry_, *args: str, as_json: bool = True) -> Any:
    settings = registry.ctx.settings
    env = {**os.environ, "SPMIS_ENV": "test", "SPMIS_DATABASE_URL": settings.database_url,
           "SPMIS_VAR_DIR": str(settings.var_dir), "SPMIS_SECRET_KEY": settings.secret_key,
           "SPMIS_ENCRYPTION_KEYS": settings.encryption_keys,
           "SPMIS_BLIND_INDEX_KEY": settings.blind_index_key,
           "SPMIS_DCI_SENDER_ID": settings.dci_sender_id}
    command = [sys.executable, "-c", "from spmis.cli import main; main()", "dci", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout) if as_json else done.stdout


@pytest.mark.slow
def test_two_registries_exchange_search_and_notification(
        instances: tuple[Registry_, Registry_], dci_schemas: Any) -> None:
    a, b = instances
    add_household(b.ctx, member(given_name_latin="Sophea", family_name_latin="Chan",
                                identifiers={"national_id": "200300400"}),
                  village=OTHER_VILLAGE)

    # 0. registry A re-reads B's published keys over HTTP with the command line (idempotent)
    out = _cli(a, "peer", "add", b.sender_id, "--url", b.base_url, "--fetch-jwks",
               as_json=False)
    [b_key] = DciService(b.ctx).keys.jwks()["keys"]
    assert f"trusted key {b_key['kid']} of {b.sender_id}" in out
    [listed] = [p for p in _cli(a, "peer", "list") if p["sender_id"] == b.sender_id]
    assert listed["kids"] == [b_key["kid"]] and listed["client_id"]

    # 1. sync search, with the command line of registry A
    answer = _cli(a, "search", "--peer", b.base_url, "--id-type", "NID",
                  "--id-value", "200300400")
    dci_schemas.check(answer, dci_schemas.response("/registry/sync/search"))
    [record] = answer["message"]["search_response"][0]["data"]["reg_records"]
    assert record["name"]["given_name"] == "Sophea"
    assert answer["header"]["sender_id"] == b.sender_id

    service_a = DciService(a.ctx, transport=Transport())
    client = DciClient(service_a)
    try:
        # 2. async search: B acknowledges, then POSTs the result to A's /registry/on-search
        ack = client.search(b.sender_id, [search_criteria("predicate", [
            {"expression1": {"attribute_name": "surname", "operator": "eq",
                             "attribute_value": "Chan"}}])], sync=False)
        received = _wait_for(lambda: service_a.inbox(action="on-search",
                                                     transaction_id=ack["transaction_id"]))
        envelope = received[0]["envelope"]
        dci_schemas.check(envelope, dci_schemas.request_body("/registry/on-search"))
        service_a.verify(envelope, expected_sender=b.sender_id)
        names = [r["name"]["given_name"]
                 for r in envelope["message"]["search_response"][0]["data"]["reg_records"]]
        assert names == ["Sophea"]

        # 3. subscription, a change in B's registry, one notification at A's /registry/notify
        client.subscribe(b.sender_id, "predicate", [
            {"expression1": {"attribute_name": "province_code", "operator": "eq",
                             "attribute_value": "01"}}])
        _wait_for(lambda: service_a.inbox(action="on-subscribe"))
        add_household(b.ctx, member(given_name_latin="Chenda", date_of_birth="1990-01-01"),
                      village=OTHER_VILLAGE)
        service_b = DciService(b.ctx, transport=Transport())
        try:
            run = Notifier(service_b).run()
        finally:
            service_b.transport.close()
        assert run.delivered == [a.sender_id], run
        [notify] = service_a.inbox(action="notify")
        dci_schemas.check(notify["envelope"], dci_schemas.envelope(
            "MsgCallbackHeader_V1.0.0", "notify", "NotifyEventRequest"))
        [event] = notify["envelope"]["message"]["notify_event"]
        assert event["data"]["reg_records"]["name"]["given_name"] == "Chenda"
    finally:
        service_a.transport.close()
