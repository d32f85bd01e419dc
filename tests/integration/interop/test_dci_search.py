"""DCI search between two registries, every request and answer validated against the spec's
schemas (tests/fixtures/dci): idtype-value, predicate and expression queries, pagination,
household records, consent, the access log, and the asynchronous search with its callback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from spmis.auth.accounts import AccountService
from spmis.auth.store import access_log
from spmis.interop.client import DciClient, search_criteria
from spmis.interop.store import dci_transaction

from .conftest import Pair


def _records(answer: dict[str, Any], index: int = 0) -> list[dict[str, Any]]:
    item = answer["message"]["search_response"][index]
    assert item["status"] == "succ", item
    return list(item["data"]["reg_records"])


def _search(pair: Pair, dci_schemas: Any, *criteria: dict[str, Any]) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []
    transport = pair.a.app.state.dci_transport
    original = transport.post

    def spy(peer: Any, url: str, envelope: dict[str, Any]) -> Any:
        sent.append(envelope)
        return original(peer, url, envelope)

    transport.post = spy
    try:
        answer = DciClient(pair.a.service()).search(pair.b.sender_id, list(criteria))
    finally:
        transport.post = original
    request = sent[0]
    if request["message"]["search_request"][0]["search_criteria"]["query_type"] != "expression":
        dci_schemas.check(request, dci_schemas.request_body("/registry/sync/search"))
    dci_schemas.check(answer, dci_schemas.response("/registry/sync/search"))
    return answer


def test_idtype_value_search_finds_the_person_and_validates(pair_seeded: Any,
                                                             dci_schemas: Any) -> None:
    pair, seeded = pair_seeded
    answer = _search(pair, dci_schemas, search_criteria("idtype-value",
                                                        {"type": "NID", "value": "100200300"}))
    header = answer["header"]
    assert header["action"] == "on-search" and header["status"] == "succ"
    assert header["sender_id"] == pair.b.sender_id
    [record] = _records(answer)
    assert record["name"]["given_name"] == "Dara"
    assert {"identifier_type": "NID", "identifier_value": "100200300"}.items() <= \
        record["identifier"][0].items()
    assert "MOBILE" not in {i["identifier_type"] for i in record["identifier"]}
    assert record["address"]["postal_code"] == "12010101"
    assert answer["message"]["search_response"][0]["pagination"]["total_count"] == 1
    # the decrypted national ID is in the access log of registry B, with the caller and why
    with pair.b.ctx.engine.connect() as conn:
        rows = conn.execute(select(access_log)).mappings().all()
    assert [(r["entity_id"], r["fields"]) for r in rows] == [
        (seeded["hh1"].members[0].id, "national_id")]
    assert rows[0]["actor"] == f"client:{pair.clients['a_at_b']}"
    assert rows[0]["reason"].startswith("DCI search")


def test_phone_and_other_identifier_types_are_mapped(pair_seeded: Any, dci_schemas: Any) -> None:
    pair, _ = pair_seeded
    answer = _search(pair, dci_schemas,
                     search_criteria("idtype-value", {"type": "MOBILE", "value": "+85512345678"}),
                     search_criteria("idtype-value", {"type": "BRN", "value": "bc-2015-77"}),
                     search_criteria("idtype-value", {"type": "NID", "value": "999999999"}))
    assert [r["name"]["given_name"] for r in _records(answer, 0)] == ["Dara"]
    assert [r["name"]["given_name"] for r in _records(answer, 1)] == ["Vannak"]
    assert _records(answer, 2) == []


def test_predicate_search_with_pagination_and_sort(pair_seeded: Any, dci_schemas: Any) -> None:
    pair, _ = pair_seeded
    query = [{"seq_num": 1, "expression1": {"attribute_name": "sex", "operator": "eq",
                                            "attribute_value": "female"}},
             {"seq_num": 2, "expression1": {"attribute_name": "YOB", "operator": "le",
                                            "attribute_value": "1988"},
              "condition": "and",
              "expression2": {"attribute_name": "area_code", "operator": "in",
                              "attribute_value": "12,01"}}]
    sort = [{"attribute_name": "birth_date", "sort_order": "asc"}]
    first = _search(pair, dci_schemas, search_criteria("predicate", query, page_size=1,
                                                       sort=sort))
    second = _search(pair, dci_schemas, search_criteria("predicate", query, page_size=1,
                                                        page_number=2, sort=sort))
    # Bopha (1949) has not consented to data sharing: not disclosed, not counted
    assert [r["name"]["given_name"] for r in _records(first)] == ["Sophea"]
    assert [r["name"]["given_name"] for r in _records(second)] == ["Dara"]
    assert first["message"]["search_response"][0]["pagination"] == {
        "page_size": 1, "page_number": 1, "total_count": 2}


def test_consent_purpose_requested_is_the_one_checked(pair_seeded: Any,
                                                      dci_schemas: Any) -> None:
    pair, _ = pair_seeded
    query = [{"expression1": {"attribute_name": "surname", "operator": "eq",
                              "attribute_value": "keo"}}]
    sharing = _search(pair, dci_schemas, search_criteria("predicate", query))
    research = _search(pair, dci_schemas, search_criteria("predicate", query,
                                                          purpose="research"))
    assert _records(sharing) == []
    assert [r["name"]["given_name"] for r in _records(research)] == ["Bopha"]


def test_expression_search_for_households(pair_seeded: Any, dci_schemas: Any) -> None:
    pair, _ = pair_seeded
    query = {"type": "ns:org:QueryType:NoSql", "value": {"expression": {
        "collection": "Household",
        "query": {"$and": [{"idpoor_level": {"$le": 2}}, {"province_code": {"$eq": "12"}}]}}}}
    answer = _search(pair, dci_schemas, search_criteria("expression", query))
    [household] = _records(answer)
    assert household["@type"] == "Household" and household["poverty_score"] == "1"
    names = [m["household_member"]["demographic_info"]["person"]["name"]["given_name"]
             for m in household["member_list"]]
    assert names == ["Dara", "Vannak"]


def test_expression_requests_meet_the_spec_except_its_ambiguous_one_of(
        dci_schemas: Any) -> None:
    """The spec's query ``oneOf`` lists an object-valued query twice (QueryExpression and an
    identifier whose value may be an object): every expression query matches both branches, so
    a strict validator can only report that ambiguity — and nothing else."""
    request = {"header": {"message_id": "m1", "message_ts": "2026-11-22T02:00:00+00:00",
                          "action": "search", "sender_id": "a", "total_count": 1},
               "message": {"transaction_id": "t1", "search_request": [{
                   "reference_id": "r1", "timestamp": "2026-11-22T02:00:00+00:00",
                   "search_criteria": search_criteria("expression", {
                       "type": "ns:org:QueryType:NoSql",
                       "value": {"expression": {"collection": "Person",
                                                "query": {"sex": "F"}}}})}]}}
    problems = dci_schemas.errors(request, dci_schemas.request_body("/registry/sync/search"))
    assert problems and all("is valid under each of" in p or "is not valid under any" in p
                            for p in problems), problems


def test_bad_criteria_are_rejected_per_request_naming_the_field(pair_seeded: Any,
                                                                dci_schemas: Any) -> None:
    pair, _ = pair_seeded
    answer = _search(
        pair, dci_schemas,
        search_criteria("idtype-value", {"type": "PASSPORT", "value": "X1"}),
        search_criteria("predicate", [{"expression1": {"attribute_name": "shoe_size",
                                                       "operator": "eq",
                                                       "attribute_value": "42"}}]),
        search_criteria("predicate", [{"expression1": {"attribute_name": "YOB",
                                                       "operator": "lt",
                                                       "attribute_value": "old"}}]),
        search_criteria("idtype-value", {"type": "NID", "value": "100200300"}, page_size=100000),
        search_criteria("idtype-value", {"type": "NID", "value": "100200300"}))
    items = answer["message"]["search_response"]
    assert [i["status"] for i in items] == ["rjct", "rjct", "rjct", "rjct", "succ"]
    assert items[0]["status_reason_code"] == "rjct.search_criteria.invalid"
    assert "search_request[0].search_criteria.query.type" in items[0]["status_reason_message"]
    assert "attribute_name" in items[1]["status_reason_message"]
    assert "expression1.attribute_value" in items[2]["status_reason_message"]
    assert items[3]["status_reason_code"] == "rjct.pagination.invalid"
    assert "pagination.page_size" in items[3]["status_reason_message"]


def test_async_search_acknowledges_then_calls_back(pair_seeded: Any, dci_schemas: Any) -> None:
    pair, _ = pair_seeded
    client = DciClient(pair.a.service())
    ack = client.search(pair.b.sender_id, [search_criteria(
        "idtype-value", {"type": "NID", "value": "200300400"})], sync=False)
    dci_schemas.check({"message": {k: v for k, v in ack.items() if k != "transaction_id"}},
                      dci_schemas.ack())
    assert ack["ack_status"] == "ACK"
    # the background task has run: A's inbox holds B's signed on-search, verified on arrival
    [received] = pair.a.service().inbox(action="on-search")
    envelope = received["envelope"]
    dci_schemas.check(envelope, dci_schemas.request_body("/registry/on-search"))
    assert envelope["message"]["transaction_id"] == ack["transaction_id"]
    assert envelope["message"]["correlation_id"] == ack["correlation_id"]
    [record] = envelope["message"]["search_response"][0]["data"]["reg_records"]
    assert record["name"]["given_name"] == "Sophea"
    with pair.a.ctx.engine.connect() as conn:  # reading the inbox is a logged read
        logged = conn.execute(select(access_log.c.entity_type, access_log.c.entity_id)).all()
    assert [tuple(r) for r in logged] == [("dci_inbox", received["id"])]
    with pair.b.ctx.engine.connect() as conn:
        row = conn.execute(select(dci_transaction).where(
            dci_transaction.c.correlation_id == ack["correlation_id"])).mappings().one()
    assert row["status"] == "succ" and row["direction"] == "in"
    assert "Sophea" not in str(row["result"]) and "200300400" not in str(row["result"])
    # and the transaction status, asked synchronously, says so
    status = client.txn_status(pair.b.sender_id, "correlation_id", ack["correlation_id"])
    dci_schemas.check(status, dci_schemas.response("/registry/sync/txn/status"))
    txn = status["message"]["txnstatus_response"]["txn_status"]
    assert txn["correlation_id"] == ack["correlation_id"]
    assert [i["status"] for i in txn["search_response"]] == ["succ"]


def test_transaction_status_async_and_unknown(pair_seeded: Any, dci_schemas: Any) -> None:
    pair, _ = pair_seeded
    client = DciClient(pair.a.service())
    answer = client.search(pair.b.sender_id, [search_criteria(
        "idtype-value", {"type": "NID", "value": "100200300"})])
    tid = answer["message"]["transaction_id"]
    ack = client.txn_status(pair.b.sender_id, "transaction_id", tid, sync=False)
    assert ack["ack_status"] == "ACK"
    [received] = pair.a.service().inbox(action="txn-on-status")
    dci_schemas.check(received["envelope"], dci_schemas.request_body("/registry/txn/on-status"))
    status = received["envelope"]["message"]["txnstatus_response"]
    assert status["txn_type"] == "search"
    assert status["txn_status"]["transaction_id"] == tid
    assert [i["status"] for i in status["txn_status"]["search_response"]] == ["succ"]
    unknown = client.txn_status(pair.b.sender_id, "transaction_id", "no-such-txn")
    dci_schemas.check(unknown, dci_schemas.response("/registry/sync/txn/status"))
    [item] = unknown["message"]["txnstatus_response"]["txn_status"]["search_response"]
    assert item["status"] == "rjct"
    assert item["status_reason_code"] == "rjct.reference_id.invalid"


def test_a_replayed_message_is_refused_on_every_engine(pair_seeded: Any) -> None:
    pair, _ = pair_seeded
    service = pair.a.service()
    header = service.request_header("search", pair.b.sender_id, 1)
    message = {"transaction_id": "txn-replay", "search_request": [{
        "reference_id": "r1", "timestamp": header["message_ts"],
        "search_criteria": search_criteria("idtype-value", {"type": "NID",
                                                            "value": "100200300"})}]}
    envelope = service.seal(header, message)
    token = AccountService(pair.b.ctx).client_token(pair.clients["a_at_b"],
                                                     pair.clients["a_secret"]).token
    auth = {"Authorization": f"Bearer {token}"}
    assert pair.b_http.post("/registry/sync/search", json=envelope,
                            headers=auth).status_code == 200
    again = pair.b_http.post("/registry/sync/search", json=envelope, headers=auth)
    assert again.status_code == 400
    assert again.json()["header"]["status_reason_code"] == "rjct.message_id.duplicate"
