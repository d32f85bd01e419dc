"""Personal data in the DCI tables: after searches by national ID and phone, an asynchronous
answer, a subscription and a notification, neither registry's database holds a national ID or a
phone number in clear; and after a field-encryption key rotation (old key removed) the DCI keys,
peer secrets, subscriptions and inbox still decrypt."""

from __future__ import annotations

import base64
import os
from typing import Any

from sqlalchemy import select

from spmis.auth.keys import rotate
from spmis.context import AppContext
from spmis.crypto import FieldCipher
from spmis.db.tables import metadata
from spmis.interop.client import DciClient, search_criteria
from spmis.interop.notifier import Notifier
from spmis.interop.service import DciService
from spmis.interop.store import ENCRYPTED_COLUMNS

from .conftest import Pair, add_household, member

CLEAR = ("100200300", "200300400", "777888999", "012345678", "12345678", "+85512345678",
         "+85587654321", "87654321")


def _cells(ctx: AppContext) -> list[tuple[str, bytes]]:
    out = []
    with ctx.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                out.extend((table.name, bytes(v) if isinstance(v, bytes | memoryview)
                            else str(v).encode()) for v in row)
    return out


def _exchange(pair: Pair) -> None:
    client = DciClient(pair.a.service())
    client.search(pair.b.sender_id, [
        search_criteria("idtype-value", {"type": "NID", "value": "100200300"}),
        search_criteria("idtype-value", {"type": "MOBILE", "value": "012 345 678"})])
    client.search(pair.b.sender_id, [search_criteria(
        "idtype-value", {"type": "NID", "value": "200300400"})], sync=False)
    client.subscribe(pair.b.sender_id, "idtype-value", {"type": "NID", "value": "777888999"})
    add_household(pair.b.ctx, member(given_name_latin="Rith", identifiers={
        "national_id": "777888999", "phone": "087 654 321"}))
    assert Notifier(pair.b.service()).run().delivered == [pair.a.sender_id]


def test_no_identifier_in_clear_in_either_database(pair_seeded: Any) -> None:
    pair, _ = pair_seeded
    _exchange(pair)
    inbox = pair.a.service().inbox()
    assert {r["action"] for r in inbox} == {"on-search", "on-subscribe", "notify"}
    assert "777888999" in str(inbox)  # the notification did carry it, encrypted at rest
    for ctx in (pair.a.ctx, pair.b.ctx):
        for table, raw in _cells(ctx):
            for clear in CLEAR:
                assert clear.encode() not in raw, f"{clear} in clear in {table}"


def test_key_rotation_covers_the_dci_tables(pair_seeded: Any) -> None:
    pair, _ = pair_seeded
    _exchange(pair)
    for registry in (pair.a, pair.b):
        old = registry.ctx.settings
        new_key = f"t2:{base64.b64encode(os.urandom(32)).decode()}"
        both = old.model_copy(update={"encryption_keys": f"{new_key},{old.encryption_keys}"})
        ctx = AppContext.create(both)
        try:
            done = rotate(ctx)
        finally:
            ctx.engine.dispose()
        for column in ENCRYPTED_COLUMNS:
            assert column.table.name in done
        assert done["dci_signing_key"] == 1 and done["dci_peer"] == 1
        registry.ctx.cipher = FieldCipher.from_settings(
            old.model_copy(update={"encryption_keys": new_key}))
    # only the new keys now: everything still decrypts, and the registries still talk
    a_service, b_service = pair.a.service(), pair.b.service()
    assert len(a_service.inbox()) == 3
    assert b_service.keys.peer(pair.a.sender_id).client_secret
    answer = DciClient(DciService(pair.a.ctx, transport=a_service.transport)).search(
        pair.b.sender_id, [search_criteria("idtype-value", {"type": "NID",
                                                            "value": "100200300"})])
    assert answer["message"]["search_response"][0]["status"] == "succ"
    assert Notifier(b_service).run().failed == {}
