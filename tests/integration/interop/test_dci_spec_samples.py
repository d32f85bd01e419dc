"""The DCI specification's own sample search requests (``tests/fixtures/dci/processflow*.json``,
copied from ``spdci/api-standards``) sent to SPMIS and answered as the spec says (issue 12 #15:
the Group vocabulary of the samples was rejected with ``rjct.search_criteria.invalid``).

The samples' envelopes are illustrations: placeholder signatures, a ``message_ts`` of 2023, and
empty ``transaction_id``/``reference_id``. The test signs each with registry A's key, dates it
now, names the two registries, makes ``total_count`` the integer the header schema requires and
fills the empty ids; every ``search_criteria`` is sent exactly as published.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from spmis.auth.model import SYSTEM
from spmis.registry.personal import PersonalDataService

from .conftest import FIXTURES, Pair, add_household, member

SEARCH = "/registry/sync/search"


def _sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return loaded


def _send(pair: Pair, sample: dict[str, Any], post: Any) -> dict[str, Any]:
    service = pair.a.service()
    fresh = service.request_header("search", pair.b.sender_id, 1)
    header = {**sample["header"], **{k: fresh[k] for k in (
        "message_id", "message_ts", "sender_id", "receiver_id")}}
    header["total_count"] = int(header["total_count"])
    header.pop("meta", None)  # "" where the header schema wants an object; SPMIS ignores it
    message = copy.deepcopy(sample["message"])
    message["transaction_id"] = message["transaction_id"] or "txn-sample"
    for i, item in enumerate(message["search_request"]):
        item["reference_id"] = item["reference_id"] or f"ref-{i}"
    resp = post(SEARCH, service.seal(header, message))
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    service.verify(body, expected_sender=pair.b.sender_id)
    return body


@pytest.fixture
def post(registry_pair: Pair, token_for: Any) -> Any:
    pair = registry_pair
    token = token_for(pair.b, pair.clients["a_at_b"], pair.clients["a_secret"])
    return lambda path, body: pair.b_http.post(path, json=body,
                                               headers={"Authorization": f"Bearer {token}"})


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    [answer] = body["message"]["search_response"]
    return dict(answer)


def test_search_by_poverty_score_returns_groups(pair_seeded: Any, post: Any,
                                                dci_schemas: Any) -> None:
    """Process flow 1-1: collection and response entity ``Group``, ``poverty_score $lt 5``,
    sorted by poverty score. A Group is a household; its poverty score is the IDPoor level."""
    pair, seeded = pair_seeded
    body = _send(pair, _sample("processflow1-1req"), post)
    dci_schemas.check(body, dci_schemas.response(SEARCH))
    answer = _answer(body)
    assert answer["status"] == "succ", answer
    [group] = answer["data"]["reg_records"]
    assert group["@type"] == "Household"
    assert group["household_identifier"] == str(seeded["hh1"].id)
    assert group["poverty_score"] == "1"


def test_search_by_household_size_sorts_by_it(pair_seeded: Any, post: Any,
                                              dci_schemas: Any) -> None:
    """Process flow 1-2: collection ``HouseHold``, ``household_size $lt 5``, sorted by household
    size. The household without consent to data sharing is neither returned nor counted."""
    pair, seeded = pair_seeded
    body = _send(pair, _sample("processflow1-2req"), post)
    dci_schemas.check(body, dci_schemas.response(SEARCH))
    answer = _answer(body)
    assert answer["status"] == "succ", answer
    records = answer["data"]["reg_records"]
    assert [r["household_identifier"] for r in records] == [
        str(seeded["hh2"].id), str(seeded["hh1"].id)]
    assert [r["household_size"] for r in records] == ["1", "2"]
    assert answer["pagination"]["total_count"] == 2


def test_household_size_counts_only_consenting_members(registry_pair: Pair, post: Any) -> None:
    """A household of two whose second member did not consent has size 1 for a search, as in
    the record returned: the search must not reveal that someone else lives there."""
    pair = registry_pair
    hh = add_household(pair.b.ctx, member(given_name_latin="Alone"),
                       member("child", given_name_latin="Private", date_of_birth="2020-01-01"),
                       consent=())
    PersonalDataService(pair.b.ctx).record_consent(hh.members[0].id, SYSTEM, "data_sharing",
                                                   "given", date(2026, 1, 1))
    sample = _sample("processflow1-2req")
    expression = sample["message"]["search_request"][0]["search_criteria"]["query"]["value"]
    found = {}
    for size in (1, 2):
        expression["expression"]["query"] = {"household_size": {"$eq": size}}
        body = _send(pair, copy.deepcopy(sample), post)
        found[size] = [r["household_identifier"] for r in _answer(body)["data"]["reg_records"]]
    assert found == {1: [str(hh.id)], 2: []}


@pytest.mark.parametrize(("name", "field", "why"), [
    # Group of female widows: SPMIS records no marital status
    ("processflow1-3req", "query.value.expression.query.$and[1].marital_status",
     "not recorded by this registry"),
    # query_type "expression" with a predicate list, against the spec's own schema
    ("processflow2req", "search_criteria.query", "give the query type 'predicate'"),
    ("processflow3areq", "search_criteria.query", "give the query type 'predicate'"),
    ("processflow4req", "search_criteria.query", "give the query type 'predicate'"),
])
def test_what_cannot_be_answered_is_rejected_naming_the_field(
        registry_pair: Pair, post: Any, dci_schemas: Any, name: str, field: str,
        why: str) -> None:
    body = _send(registry_pair, _sample(name), post)
    dci_schemas.check(body, dci_schemas.response(SEARCH))
    answer = _answer(body)
    assert answer["status"] == "rjct"
    assert answer["status_reason_code"] == "rjct.search_criteria.invalid"
    assert field in answer["status_reason_message"], answer
    assert why in answer["status_reason_message"], answer
