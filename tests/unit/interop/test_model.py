"""DCI envelope checks and query parsing (pure): the three query types become one expression
tree; every refusal names the field and carries the spec's reason code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spmis.interop import model as m

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _envelope(**header: Any) -> dict[str, Any]:
    base = {"message_id": "m1", "message_ts": NOW.isoformat(), "action": "search",
            "sender_id": "registry-a", "total_count": 1}
    base.update(header)
    return {"header": base, "message": {}}


def test_a_good_header_passes() -> None:
    header = m.check_header(_envelope(receiver_id="me"), m.Action.SEARCH, "me", NOW, items=1)
    assert header["sender_id"] == "registry-a"


@pytest.mark.parametrize(("envelope", "code", "field"), [
    ([], "err.request.bad", "body"),
    ({"header": "x"}, "err.request.bad", "header"),
    (_envelope(version="2.0.0"), "rjct.version.invalid", "header.version"),
    (_envelope(message_id=""), "err.request.bad", "header.message_id"),
    (_envelope(sender_id=None), "err.sender_id.invalid", "header.sender_id"),
    (_envelope(message_ts="2026-11-22T03:00:00"), "rjct.message_ts.invalid",
     "header.message_ts"),
    (_envelope(message_ts=(NOW - timedelta(hours=1)).isoformat()), "rjct.message_ts.invalid",
     "header.message_ts"),
    (_envelope(action="on-search"), "rjct.action.invalid", "header.action"),
    (_envelope(total_count=True), "rjct.total_count.invalid", "header.total_count"),
    (_envelope(total_count=2), "rjct.total_count.invalid", "header.total_count"),
    (_envelope(receiver_id="other"), "err.receiver_id.invalid", "header.receiver_id"),
    (_envelope(is_msg_encrypted=True), "err.encryption.invalid", "header.is_msg_encrypted"),
    (_envelope(sender_uri="ftp://x"), "err.sender_uri.invalid", "header.sender_uri"),
])
def test_bad_headers_name_the_field(envelope: Any, code: str, field: str) -> None:
    with pytest.raises(m.EnvelopeError) as info:
        m.check_header(envelope, m.Action.SEARCH, "me", NOW, items=1)
    assert (info.value.code, info.value.field) == (code, field)


def test_batch_limit() -> None:
    with pytest.raises(m.EnvelopeError) as info:
        m.check_header(_envelope(total_count=101), m.Action.SEARCH, "me", NOW, items=101)
    assert info.value.code == "rjct.total_count.limit_exceeded"


def test_idtype_value_maps_dci_types() -> None:
    for dci, spmis in (("NID", "national_id"), ("UIN", "national_id"), ("MOBILE", "phone"),
                       ("BRN", "birth_certificate"), ("IDPOOR", "idpoor_card"),
                       ("nssf", "nssf_member"), ("national_id", "national_id")):
        assert m.parse_idtype_value({"type": dci, "value": "123"}, "q") == m.Cond(
            f"id:{spmis}", "in", ("123",))
    with pytest.raises(m.CriteriaError) as info:
        m.parse_idtype_value({"type": "PASSPORT", "value": "1"}, "q")
    assert info.value.field == "q.type"


def test_predicate_items_are_anded_in_seq_num_order() -> None:
    expr = m.parse_predicate([
        {"seq_num": 2, "expression1": {"attribute_name": "sex", "operator": "eq",
                                       "attribute_value": "female"},
         "condition": "not",
         "expression2": {"attribute_name": "disability", "operator": "eq",
                         "attribute_value": "true"}},
        {"seq_num": 1, "expression1": {"attribute_name": "birth_date", "operator": "ge",
                                       "attribute_value": "1960-01-01"}},
    ], "q")
    assert expr == m.And((
        m.Cond("birth_date", "ge", date(1960, 1, 1)),
        m.And((m.Cond("sex", "eq", "F"), m.Not(m.Cond("disability", "eq", True))))))


def test_in_takes_a_list_or_comma_separated_text() -> None:
    assert m.condition("area_code", "in", "12, 0102", "q") == m.Cond("area_code", "in",
                                                                    ("12", "0102"))
    assert m.condition("NID", "in", ["1", "2"], "q") == m.Cond("id:national_id", "in",
                                                               ("1", "2"))


def test_expression_query_with_collection() -> None:
    expr, entity = m.parse_expression({"type": "ns:org:QueryType:NoSql", "value": {
        "expression": {"collection": "Household", "query": {
            "$or": [{"idpoor_level": {"$lte": 2}}, {"$not": {"YOB": {"$gt": 1960}}}],
            "village_code": "12010101"}}}}, "q")
    assert entity is m.ResponseEntity.HOUSEHOLD
    assert expr == m.And((
        m.Or((m.Cond("idpoor_level", "le", 2), m.Not(m.Cond("birth_year", "gt", 1960)))),
        m.Cond("village_code", "eq", "12010101")))


@pytest.mark.parametrize(("query_type", "query", "field"), [
    ("predicate", [], "q"),
    ("predicate", [{"expression1": {"attribute_name": "nickname", "operator": "eq",
                                    "attribute_value": "x"}}], "q[0].expression1.attribute_name"),
    ("predicate", [{"expression1": {"attribute_name": "sex", "operator": "lt",
                                    "attribute_value": "F"}}], "q[0].expression1.operator"),
    ("predicate", [{"expression1": {"attribute_name": "sex", "operator": "eq",
                                    "attribute_value": "X"}}],
     "q[0].expression1.attribute_value"),
    ("predicate", [{"expression1": {"attribute_name": "area_code", "operator": "eq",
                                    "attribute_value": "123"}}],
     "q[0].expression1.attribute_value"),
    ("predicate", [{"expression1": {"attribute_name": "sex", "operator": "eq",
                                    "attribute_value": "F"}, "condition": "xor",
                    "expression2": {}}], "q[0].condition"),
    ("expression", {"value": {"expression": {"query": {"age": {"$regex": "x"}}}}},
     "q.value.expression.query.age.$regex"),
    ("expression", {"value": {"expression": {"collection": "Cars", "query": {"sex": "F"}}}},
     "q.value.expression.collection"),
    ("expression", {"value": {"expression": {"query": {"sex": {"$gt": "F"}}}}},
     "q.value.expression.query.sex.$gt"),
    ("graphql", {}, "q.query_type"),
])
def test_bad_queries_name_the_field(query_type: str, query: Any, field: str) -> None:
    with pytest.raises(m.CriteriaError) as info:
        m.parse_query(query_type, query, "q")
    assert info.value.code == "rjct.search_criteria.invalid"
    assert info.value.field == field


def test_deep_nesting_is_refused_not_recursed() -> None:
    query: dict[str, Any] = {"sex": "F"}
    for _ in range(50):
        query = {"$not": query}
    with pytest.raises(m.CriteriaError, match="nests too deeply"):
        m.parse_expression({"value": {"expression": {"query": query}}}, "q")


def test_criteria_pagination_sort_and_consent() -> None:
    criteria = m.parse_criteria({
        "query_type": "idtype-value", "query": {"type": "NID", "value": "123456789"},
        "response_entity": "Family", "pagination": {"page_size": 10, "page_number": 3},
        "sort": [{"attribute_name": "birth_date", "sort_order": "desc"}],
        "consent": {"purpose": {"code": "research"}}}, "c", 50, 500)
    assert (criteria.entity, criteria.page_size, criteria.page_number) == (
        m.ResponseEntity.HOUSEHOLD, 10, 3)
    assert criteria.sort == (("birth_date", True),)
    assert criteria.purpose == "research"
    plain = m.parse_criteria({"query_type": "idtype-value",
                              "query": {"type": "NID", "value": "1"}}, "c", 50, 500)
    assert (plain.page_size, plain.purpose, plain.entity) == (50, "data_sharing",
                                                              m.ResponseEntity.MEMBER)
    for bad, code, field in (
            ({"pagination": {"page_size": 501}}, "rjct.pagination.invalid",
             "c.pagination.page_size"),
            ({"pagination": {"page_size": 10, "page_number": 0}}, "rjct.pagination.invalid",
             "c.pagination.page_number"),
            ({"pagination": {"page_size": float("inf")}}, "rjct.pagination.invalid",
             "c.pagination.page_size"),
            ({"pagination": {"page_size": 2.5}}, "rjct.pagination.invalid",
             "c.pagination.page_size"),
            ({"sort": [{"attribute_name": "salary"}]}, "rjct.sort.invalid",
             "c.sort[0].attribute_name"),
            ({"consent": {"purpose": {"code": "marketing"}}}, "rjct.search_criteria.invalid",
             "c.consent.purpose.code"),
            ({"response_entity": "Car"}, "rjct.search_criteria.invalid", "c.response_entity")):
        with pytest.raises(m.CriteriaError) as info:
            m.parse_criteria({"query_type": "idtype-value",
                              "query": {"type": "NID", "value": "1"}, **bad}, "c", 50, 500)
        assert (info.value.code, info.value.field) == (code, field)


def test_unsubscribe_reads_both_spellings() -> None:
    assert m.unsubscribe_codes({"sunscription_codes": ["a"]}) == ["a"]
    assert m.unsubscribe_codes({"subscription_codes": ["b"]}) == ["b"]
    with pytest.raises(m.EnvelopeError) as info:
        m.unsubscribe_codes({"subscription_codes": [1]})
    assert info.value.field == "message.subscription_codes"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["type", "value", "expression", "query", "collection",
                                       "$and", "$or", "$not", "$lt", "sex", "YOB", "NID",
                                       "expression1", "expression2", "condition",
                                       "attribute_name", "operator", "attribute_value",
                                       "seq_num", "pagination", "page_size", "x"]),
                      inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(query_type=st.sampled_from(["idtype-value", "predicate", "expression", "other"]),
       query=JSON, extra=JSON)
def test_any_json_query_is_parsed_or_refused_cleanly(query_type: str, query: Any,
                                                     extra: Any) -> None:
    criteria = {"query_type": query_type, "query": query}
    if isinstance(extra, dict):
        criteria.update({k: v for k, v in extra.items() if k not in criteria})
    problem: m.CriteriaError | None = None
    try:
        m.parse_criteria(criteria, "c", 50, 500)
    except m.CriteriaError as exc:
        problem = exc
    if problem is not None:
        assert problem.code.startswith("rjct.") and problem.field.startswith("c")


@settings(max_examples=300, deadline=None)
@given(header=JSON)
def test_any_json_header_is_checked_or_refused_cleanly(header: Any) -> None:
    problem: m.EnvelopeError | None = None
    try:
        m.check_header({"header": header, "message": {}}, m.Action.SEARCH, "me", NOW, items=1)
    except m.EnvelopeError as exc:
        problem = exc
    if problem is not None:
        assert problem.field.startswith(("header", "body"))


BASE = "https://b.example.gov.kh/dci"


@pytest.mark.parametrize("uri", [
    BASE, BASE + "/", BASE + "/registry/on-search", BASE + "/registry/on-search?x=1",
    "HTTPS://B.example.gov.kh/dci/registry/on-search", BASE + "/a%20b",
])
def test_a_callback_under_the_peers_base_is_accepted(uri: str) -> None:
    assert m.uri_under(BASE, uri)


@pytest.mark.parametrize("uri", [
    # issue 12 #7: the prefix test accepted these, and the callback left the peer's base
    BASE + "/../steal", BASE + "/%2e%2e/steal", BASE + "/%2E%2E/steal", BASE + "/.%2e/steal",
    BASE + "/..%2fsteal", BASE + "/%252e%252e/steal", BASE + "/registry/../../steal",
    BASE + "/./registry", BASE + "/..\\steal", BASE + "/%5c..%5csteal", BASE + "/%0d%0aX",
    "https://b.example.gov.kh/dcix", "https://b.example.gov.kh/", "http://b.example.gov.kh/dci",
    "https://b.example.gov.kh:8443/dci", "https://b.example.gov.kh@evil.example/dci",
    "https://x@b.example.gov.kh/dci", "https://b.example.gov.kh.evil.example/dci",
    "https://evil.example/dci", "https://b.example.gov.kh:99999/dci", "not a url",
])
def test_a_callback_outside_the_peers_base_is_refused(uri: str) -> None:
    assert not m.uri_under(BASE, uri)


def test_a_root_base_accepts_any_path_without_dot_segments() -> None:
    assert m.uri_under("http://testserver", "http://testserver/registry/on-search")
    assert not m.uri_under("http://testserver", "http://testserver/%2e%2e/x")


PREDICATE = [{"expression1": {"attribute_name": "sex", "operator": "eq", "attribute_value": "F"}}]


@pytest.mark.parametrize(("query", "kind"), [
    (PREDICATE, "predicate"),
    ({"type": "NID", "value": "123"}, "idtype-value"),
    ({"type": "ns:org:QueryType:NoSql", "value": {"expression": {"query": {"sex": "F"}}}},
     "expression"),
    ("nonsense", None), ({}, None),
])
def test_a_subscription_filter_without_filter_type_is_read_from_its_shape(query: Any,
                                                                          kind: str | None) -> None:
    where = "message.subscribe_request[0].subscribe_criteria"
    criteria = {"filter": query, "reg_event_type": "REGISTER"}
    if kind is None:
        with pytest.raises(m.CriteriaError) as info:
            m.parse_criteria(criteria, where, 10, 100, "filter", "filter_type")
        assert info.value.field == f"{where}.filter_type"
    else:
        parsed = m.parse_criteria(criteria, where, 10, 100, "filter", "filter_type")
        assert parsed.query_type == kind
    # a search still has to say which query type it sends (the spec requires it)
    with pytest.raises(m.CriteriaError) as info:
        m.parse_criteria({"query": PREDICATE}, "s", 10, 100)
    assert info.value.field == "s.query_type"


def test_the_specs_group_vocabulary_is_read() -> None:
    """Issue 12 #15: Group, poverty_score, household_size and member paths of the spec."""
    query = {"type": "ns:org:QueryType:NoSql", "value": {"expression": {
        "collection": "Group", "query": {"$and": [
            {"poverty_score": {"$lt": "2.5"}}, {"group_size": {"$ge": 3}},
            {"demographic_info.person.sex": {"$eq": "female"}}]}}}}
    expr, entity = m.parse_expression(query, "q")
    assert entity is m.ResponseEntity.HOUSEHOLD
    assert expr == m.And((m.Cond("idpoor_level", "lt", 2.5), m.Cond("household_size", "ge", 3),
                          m.Cond("sex", "eq", "F")))
    for name in ("Group", "HouseHold", "family", "Household"):
        assert m.entity_of(name) is m.ResponseEntity.HOUSEHOLD
    assert m.entity_of("member") is m.ResponseEntity.MEMBER
    with pytest.raises(m.CriteriaError, match="not recorded by this registry"):
        m.condition("marital_status", "eq", "W", "q")
    with pytest.raises(m.CriteriaError, match="must be a number"):
        m.condition("poverty_score", "lt", "poor", "q")
    criteria = m.parse_criteria({"query_type": "idtype-value", "query": {"type": "NID",
                                                                         "value": "1"},
                                 "sort": [{"attribute_name": "poverty_score"}]}, "s", 10, 100)
    assert criteria.sort == (("idpoor_level", False),)
