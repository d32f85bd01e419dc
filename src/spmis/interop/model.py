"""DCI social registry messages: the envelope, header checks, and the three query types parsed
into one boolean expression. Pure domain: standard library only.

The interface is the DCI Social Registry API v1.0.0 (``spdci/standards``,
``release/yaml/social_api_v1.0.0.yaml``; a copy is in ``tests/fixtures/dci/``). Every message is
an envelope ``{signature, header, message}``. Problems found here raise ``EnvelopeError`` (the
whole message is refused: a header status reason code or an ``err.*`` code) or ``CriteriaError``
(one request of a batch is rejected with a ``rjct.*`` search reason code); both name the field.

Query types map onto the same expression tree (``Cond``/``And``/``Or``/``Not``) that
``spmis.interop.store`` compiles to one SQL query:

- ``idtype-value``: ``{"type": "NID", "value": "123456789"}``; DCI identifier types map to SPMIS
  identifier types (``ID_TYPES``).
- ``predicate``: a list of ``{seq_num, expression1, condition, expression2}``; each item is
  ``expression1`` alone or combined with ``expression2`` by ``and``/``or``/``not`` (and-not);
  the items are combined with *and*, in ``seq_num`` order.
- ``expression``: ``{"type": ..., "value": {"expression": {"collection": "Person"|"Group"|
  "Household", "query": {...}}}}`` with a MongoDB-style query: ``$and``, ``$or``, ``$not`` and
  the operators ``$eq $lt $gt $le/$lte $ge/$gte $in``. The spec's Group vocabulary is read:
  ``Group`` is a household, ``poverty_score`` its IDPoor level, ``household_size``/``group_size``
  its (consenting, active) members, ``demographic_info.person.sex`` a member's ``sex``.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

VERSION = "1.0.0"
#: the largest number of requests one message may carry
MAX_BATCH = 100
#: how far a message timestamp may be from our clock
MAX_CLOCK_SKEW = timedelta(minutes=10)
#: the expression tree may not nest deeper than this (bad input must not exhaust the stack)
MAX_DEPTH = 8


class Status(StrEnum):
    """Request status of the spec: received, pending, success, rejected."""

    RCVD = "rcvd"
    PDNG = "pdng"
    SUCC = "succ"
    RJCT = "rjct"


class Action(StrEnum):
    SEARCH = "search"
    ON_SEARCH = "on-search"
    SUBSCRIBE = "subscribe"
    ON_SUBSCRIBE = "on-subscribe"
    UNSUBSCRIBE = "unsubscribe"
    NOTIFY = "notify"
    TXN_STATUS = "txn-status"
    TXN_ON_STATUS = "txn-on-status"


class ResponseEntity(StrEnum):
    """What one result record is: a person (``Member``) or a household with its members."""

    MEMBER = "Member"
    HOUSEHOLD = "Household"


#: DCI identifier type codes (and SPMIS's own names) -> SPMIS identifier type
ID_TYPES: dict[str, str] = {
    "nid": "national_id", "uin": "national_id", "national_id": "national_id",
    "mobile": "phone", "phone": "phone", "phone_number": "phone",
    "brn": "birth_certificate", "birth_certificate": "birth_certificate",
    "idpoor": "idpoor_card", "idpoor_card": "idpoor_card",
    "nssf": "nssf_member", "nssf_member": "nssf_member",
}
#: SPMIS identifier type -> the DCI code SPMIS writes in responses
DCI_ID_CODES: dict[str, str] = {
    "national_id": "NID", "phone": "MOBILE", "birth_certificate": "BRN",
    "idpoor_card": "IDPOOR", "nssf_member": "NSSF",
}

#: query attribute names (lower case) -> SPMIS attribute
ATTRIBUTES: dict[str, str] = {
    "given_name": "given_name", "first_name": "given_name",
    "family_name": "family_name", "surname": "family_name", "last_name": "family_name",
    "sex": "sex", "gender": "sex",
    "birth_date": "birth_date", "dob": "birth_date", "date_of_birth": "birth_date",
    "yob": "birth_year", "birth_year": "birth_year",
    "area_code": "area_code", "area-code": "area_code",
    "province_code": "province_code", "district_code": "district_code",
    "commune_code": "commune_code", "village_code": "village_code",
    "idpoor_level": "idpoor_level", "employment_type": "employment_type",
    "disability": "disability", "is_disabled": "disability",
    # the spec's Group (household) vocabulary: its poverty score is the IDPoor level
    "poverty_score": "idpoor_level", "household_size": "household_size",
    "group_size": "household_size",
}
#: attributes the spec's Group and Member objects name that this registry does not record
NOT_RECORDED = frozenset({
    "marital_status", "income_level", "education_level", "language_code", "ethnicity",
    "nationality", "is_deceased", "death_date", "email", "poverty_score_type", "group_type",
    "location", "place", "place_address"})
#: object paths of the spec's Group and Member under which a person's attributes sit
#: (``demographic_info.person.sex`` is ``sex``)
MEMBER_PATHS = ("demographic_info.person.", "demographic_info.", "household_member.",
                "member.", "person.")
#: attributes compared as numbers (a poverty score "2.5" compares with IDPoor levels 1 and 2)
NUMERIC = frozenset({"idpoor_level", "household_size"})
OPERATORS = frozenset({"eq", "lt", "gt", "le", "ge", "in"})
_MONGO_OPS = {"$eq": "eq", "$lt": "lt", "$gt": "gt", "$le": "le", "$lte": "le", "$ge": "ge",
              "$gte": "ge", "$in": "in"}
_SEX = {"f": "F", "female": "F", "2": "F", "m": "M", "male": "M", "1": "M"}
SORTABLE = {"birth_date": "birth_date", "family_name": "family_name", "given_name": "given_name",
            "id": "id", "idpoor_level": "idpoor_level", "poverty_score": "idpoor_level",
            "household_size": "household_size", "group_size": "household_size"}
#: sort keys of households (a household search orders by these; person keys apply to people)
HOUSEHOLD_SORT = frozenset({"id", "idpoor_level", "household_size"})


class EnvelopeError(ValueError):
    """The whole message is refused. ``code`` is a MsgHeaderStatusReasonCode (``rjct.*``) or an
    Error code (``err.*``); ``field`` names the offending field."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.code = code
        self.field = field
        self.detail = f"{field}: {message}"


class CriteriaError(ValueError):
    """One request of a batch is rejected with a ``rjct.*`` reason code naming the field."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.code = code
        self.field = field
        self.detail = f"{field}: {message}"


# ------------------------------------------------------------------ expression tree
@dataclass(frozen=True)
class Cond:
    """``attribute op value``; ``attribute`` is an SPMIS attribute or ``id:<identifier type>``."""

    attribute: str
    op: str
    value: Any


@dataclass(frozen=True)
class And:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    part: Expr


Expr = Cond | And | Or | Not


@dataclass(frozen=True)
class Criteria:
    """A parsed ``search_criteria`` (or a subscription ``filter``)."""

    query_type: str
    expr: Expr
    entity: ResponseEntity
    page_size: int
    page_number: int
    sort: tuple[tuple[str, bool], ...]  # (attribute, descending)
    purpose: str
    reg_event_type: str | None


# ------------------------------------------------------------------ header
def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with a time zone, or None."""
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


def iso(ts: datetime) -> str:
    """A timestamp as the spec writes it: ISO 8601 with time zone."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds")


def check_header(envelope: Any, action: Action, receiver_id: str, now: datetime,
                 items: int | None = None) -> dict[str, Any]:
    """The header of a request envelope after checking it against the spec and our identity.

    ``items`` is the number of requests in the message when the header's ``total_count`` must
    match it (searches, subscriptions)."""
    if not isinstance(envelope, Mapping):
        raise EnvelopeError("err.request.bad", "body", "must be a JSON object "
                            "{signature, header, message}")
    header = envelope.get("header")
    if not isinstance(header, Mapping):
        raise EnvelopeError("err.request.bad", "header", "is required and must be an object")
    version = header.get("version", VERSION)
    if version != VERSION:
        raise EnvelopeError("rjct.version.invalid", "header.version",
                            f"{version!r} is not supported; use {VERSION}")
    for name in ("message_id", "sender_id"):
        value = header.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 99:
            code = "err.sender_id.invalid" if name == "sender_id" else "err.request.bad"
            raise EnvelopeError(code, f"header.{name}", "is required: a string of 1-99 characters")
    ts = parse_timestamp(header.get("message_ts"))
    if ts is None:
        raise EnvelopeError("rjct.message_ts.invalid", "header.message_ts",
                            "is required: an ISO 8601 date-time with a time zone")
    if abs(ts - now) > MAX_CLOCK_SKEW:
        raise EnvelopeError("rjct.message_ts.invalid", "header.message_ts",
                            "is too far from the receiver's clock")
    if header.get("action") != action.value:
        raise EnvelopeError("rjct.action.invalid", "header.action",
                            f"must be {action.value!r} on this endpoint")
    total = header.get("total_count")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise EnvelopeError("rjct.total_count.invalid", "header.total_count",
                            "is required: a whole number of requests in the message")
    if items is not None:
        if items > MAX_BATCH:
            raise EnvelopeError("rjct.total_count.limit_exceeded", "header.total_count",
                                f"at most {MAX_BATCH} requests per message")
        if total != items:
            raise EnvelopeError("rjct.total_count.invalid", "header.total_count",
                                f"is {total} but the message holds {items} requests")
    receiver = header.get("receiver_id")
    if receiver is not None and receiver != receiver_id:
        raise EnvelopeError("err.receiver_id.invalid", "header.receiver_id",
                            f"this registry is {receiver_id!r}")
    if header.get("is_msg_encrypted") is True:
        raise EnvelopeError("err.encryption.invalid", "header.is_msg_encrypted",
                            "encrypted messages are not supported; send the message in clear "
                            "over TLS")
    uri = header.get("sender_uri")
    if uri not in (None, "") and (not isinstance(uri, str) or not re.match(r"^https?://", uri)):
        raise EnvelopeError("err.sender_uri.invalid", "header.sender_uri",
                            "must be an http(s) URL")
    return dict(header)


def _decoded_path(path: str) -> str | None:
    """``path`` percent-decoded until it no longer changes (at most three rounds), or None when
    it hides a dot segment, a backslash or a control character at any round."""
    for _ in range(4):
        if "\\" in path or any(ord(ch) < 32 for ch in path):
            return None
        if any(part in (".", "..") for part in path.split("/")):
            return None
        decoded = unquote(path)
        if decoded == path:
            return path
        path = decoded
    return None


def uri_under(base: str, uri: str) -> bool:
    """True when ``uri`` lies under ``base``: same scheme, host and port, no user info, and a
    path that is ``base``'s path or below it. Percent-encoding and dot segments are resolved
    before comparing, and a path that needs them to climb (``/../``, ``%2e%2e``, ``..%2f``) is
    refused outright rather than normalised, since receivers differ in how they resolve them."""
    try:
        want, got = urlsplit(base), urlsplit(uri)
        want_port, got_port = want.port, got.port
    except ValueError:
        return False
    if (got.scheme.lower() != want.scheme.lower() or got.username is not None
            or got.password is not None or (got.hostname or "") != (want.hostname or "")
            or got_port != want_port or not got.hostname):
        return False
    base_path = _decoded_path(want.path)
    path = _decoded_path(got.path or "/")
    if base_path is None or path is None:
        return False
    base_path = posixpath.normpath("/" + base_path.strip("/")) if base_path.strip("/") else ""
    return path == base_path or path == base_path + "/" or path.startswith(base_path + "/")


def message_of(envelope: Mapping[str, Any], list_field: str) -> tuple[dict[str, Any], list[Any]]:
    """The message object and its batch list ``list_field``; EnvelopeError naming the field."""
    message = envelope.get("message")
    if not isinstance(message, Mapping):
        raise EnvelopeError("err.request.bad", "message", "is required and must be an object")
    tid = message.get("transaction_id")
    if not isinstance(tid, str) or not tid.strip() or len(tid) > 99:
        raise EnvelopeError("err.request.bad", "message.transaction_id",
                            "is required: a string of 1-99 characters")
    items = message.get(list_field)
    if not isinstance(items, list) or not items:
        raise EnvelopeError("err.request.bad", f"message.{list_field}",
                            "is required: a non-empty list")
    return dict(message), items


def batch_item(item: Any, index: int, list_field: str, criteria_field: str,
               seen: set[str]) -> tuple[str, Mapping[str, Any]]:
    """(reference_id, criteria) of one batch item; CriteriaError naming the field."""
    where = f"message.{list_field}[{index}]"
    if not isinstance(item, Mapping):
        raise CriteriaError("rjct.reference_id.invalid", where, "must be an object")
    ref = item.get("reference_id")
    if not isinstance(ref, str) or not ref.strip() or len(ref) > 99:
        raise CriteriaError("rjct.reference_id.invalid", f"{where}.reference_id",
                            "is required: a string of 1-99 characters")
    if ref in seen:
        raise CriteriaError("rjct.reference_id.duplicate", f"{where}.reference_id",
                            "is used twice in this message")
    seen.add(ref)
    if parse_timestamp(item.get("timestamp")) is None:
        raise CriteriaError("rjct.timestamp.invalid", f"{where}.timestamp",
                            "is required: an ISO 8601 date-time with a time zone")
    criteria = item.get(criteria_field)
    if not isinstance(criteria, Mapping):
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.{criteria_field}",
                            "is required and must be an object")
    return ref, criteria


# ------------------------------------------------------------------ criteria
def _scalar(value: Any, where: str) -> Any:
    if isinstance(value, bool | int | float | str):
        return value
    raise CriteriaError("rjct.search_criteria.invalid", where,
                        "must be a string, number or boolean")


def _value_for(attribute: str, op: str, raw: Any, where: str) -> Any:
    """The attribute value checked and converted (dates, sex codes, area codes)."""
    if op == "in":
        if not isinstance(raw, list) or not raw or len(raw) > 1000:
            raise CriteriaError("rjct.search_criteria.invalid", where,
                                "operator 'in' needs a list of 1-1000 values")
        return tuple(_value_for(attribute, "eq", v, f"{where}[{i}]") for i, v in enumerate(raw))
    value = _scalar(raw, where)
    if attribute == "birth_date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise CriteriaError("rjct.search_criteria.invalid", where,
                                "must be a date YYYY-MM-DD") from None
    if attribute in NUMERIC:
        try:
            real = float(str(value).strip())
        except ValueError:
            real = math.nan
        if not math.isfinite(real) or isinstance(value, bool):
            raise CriteriaError("rjct.search_criteria.invalid", where, "must be a number")
        return int(real) if real.is_integer() else real
    if attribute == "birth_year":
        try:
            number = int(str(value))
        except ValueError:
            raise CriteriaError("rjct.search_criteria.invalid", where,
                                "must be a whole number") from None
        if not 1850 <= number <= 2200:
            raise CriteriaError("rjct.search_criteria.invalid", where, "is not a plausible year")
        return number
    if attribute == "sex":
        sex = _SEX.get(str(value).strip().lower())
        if sex is None:
            raise CriteriaError("rjct.search_criteria.invalid", where,
                                "must be F/female or M/male")
        return sex
    if attribute == "disability":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false", "1", "0", "yes", "no"):
            raise CriteriaError("rjct.search_criteria.invalid", where, "must be true or false")
        return text in ("true", "1", "yes")
    if attribute.endswith("_code"):
        code = str(value).strip()
        if not code.isdigit() or len(code) not in (2, 4, 6, 8):
            raise CriteriaError("rjct.search_criteria.invalid", where,
                                "must be a 2, 4, 6 or 8 digit NCDD area code")
        return code
    text = str(value).strip()
    if not text or len(text) > 200:
        raise CriteriaError("rjct.search_criteria.invalid", where, "must be 1-200 characters")
    return text


def condition(name: Any, op: Any, raw: Any, where: str) -> Cond:
    """One ``attribute op value`` condition, with the attribute mapped to SPMIS's. For ``in``
    the value is a list or a comma-separated string (the spec's attribute_value schema allows
    only scalars)."""
    if op == "in" and isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(name, str):
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.attribute_name",
                            "is required: a string")
    if op not in OPERATORS:
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.operator",
                            f"must be one of {', '.join(sorted(OPERATORS))}")
    key = name.strip().lower()
    for prefix in MEMBER_PATHS:
        if key.startswith(prefix) and key[len(prefix):]:
            key = key[len(prefix):]
            break
    if key in ID_TYPES:
        if op not in ("eq", "in"):
            raise CriteriaError("rjct.search_criteria.invalid", f"{where}.operator",
                                "identifiers can only be compared with eq or in")
        values = raw if op == "in" else [raw]
        if not isinstance(values, list) or not values or len(values) > 1000:
            raise CriteriaError("rjct.search_criteria.invalid", f"{where}.attribute_value",
                                "operator 'in' needs a list of 1-1000 values")
        texts = tuple(str(_scalar(v, f"{where}.attribute_value")) for v in values)
        return Cond(f"id:{ID_TYPES[key]}", "in", texts)
    attribute = ATTRIBUTES.get(key)
    if attribute is None and key in NOT_RECORDED:
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.attribute_name",
                            f"{name!r} is not recorded by this registry, so it cannot be "
                            "searched on")
    if attribute is None:
        known = ", ".join(sorted(set(ATTRIBUTES) | set(ID_TYPES)))
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.attribute_name",
                            f"unknown attribute {name!r}; known: {known}")
    if op not in ("eq", "in") and attribute in (
            "given_name", "family_name", "sex", "employment_type", "disability"):
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.operator",
                            f"{name} can only be compared with eq or in")
    return Cond(attribute, op, _value_for(attribute, op, raw, f"{where}.attribute_value"))


def _predicate_expr(item: Any, where: str) -> Expr:
    if not isinstance(item, Mapping):
        raise CriteriaError("rjct.search_criteria.invalid", where, "must be an object")
    e1 = item.get("expression1")
    if not isinstance(e1, Mapping):
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.expression1",
                            "is required and must be an object")
    first = condition(e1.get("attribute_name"), e1.get("operator"), e1.get("attribute_value"),
                      f"{where}.expression1")
    cond = item.get("condition")
    e2 = item.get("expression2")
    if cond is None and e2 is None:
        return first
    if cond not in ("and", "or", "not") or not isinstance(e2, Mapping):
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.condition",
                            "condition (and, or, not) and expression2 go together")
    second = condition(e2.get("attribute_name"), e2.get("operator"), e2.get("attribute_value"),
                       f"{where}.expression2")
    if cond == "and":
        return And((first, second))
    if cond == "or":
        return Or((first, second))
    return And((first, Not(second)))


def parse_predicate(query: Any, where: str) -> Expr:
    """A ``predicate`` query: a list of expressions combined with *and* by ``seq_num``."""
    if not isinstance(query, list) or not query or len(query) > 50:
        raise CriteriaError("rjct.search_criteria.invalid", where,
                            "a predicate query is a list of 1-50 expressions")

    def seq(pair: tuple[int, Any]) -> float:
        number = pair[1].get("seq_num") if isinstance(pair[1], Mapping) else None
        return float(number) if isinstance(number, int | float) else float(pair[0])

    ordered = sorted(enumerate(query), key=seq)
    parts = tuple(_predicate_expr(item, f"{where}[{i}]") for i, item in ordered)
    return parts[0] if len(parts) == 1 else And(parts)


def _mongo(node: Any, where: str, depth: int) -> Expr:
    if depth > MAX_DEPTH:
        raise CriteriaError("rjct.search_criteria.invalid", where, "nests too deeply")
    if not isinstance(node, Mapping) or not node:
        raise CriteriaError("rjct.search_criteria.invalid", where, "must be a non-empty object")
    parts: list[Expr] = []
    for key, value in node.items():
        here = f"{where}.{key}"
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise CriteriaError("rjct.search_criteria.invalid", here,
                                    "must be a non-empty list")
            subs = tuple(_mongo(v, f"{here}[{i}]", depth + 1) for i, v in enumerate(value))
            parts.append(And(subs) if key == "$and" else Or(subs))
        elif key == "$not":
            parts.append(Not(_mongo(value, here, depth + 1)))
        elif isinstance(value, Mapping):
            for op_key, operand in value.items():
                op = _MONGO_OPS.get(op_key)
                if op is None:
                    raise CriteriaError("rjct.search_criteria.invalid", f"{here}.{op_key}",
                                        f"unknown operator; known: {', '.join(_MONGO_OPS)}")
                parts.append(_cond_at(key, op, operand, f"{here}.{op_key}"))
        else:
            parts.append(_cond_at(key, "eq", value, here))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _cond_at(name: str, op: str, value: Any, where: str) -> Cond:
    try:
        return condition(name, op, value, where)
    except CriteriaError as exc:  # the Mongo form has no attribute_name/operator fields
        raise CriteriaError(exc.code, where, str(exc).split(": ", 1)[-1]) from None


#: names of what a result record is, in the spec's and SPMIS's words (lower case); the spec's
#: samples say Group, HouseHold and member as well as its enum's Household, Family and Member
_ENTITIES = {"household": ResponseEntity.HOUSEHOLD, "family": ResponseEntity.HOUSEHOLD,
             "group": ResponseEntity.HOUSEHOLD, "member": ResponseEntity.MEMBER,
             "person": ResponseEntity.MEMBER, "individual": ResponseEntity.MEMBER}


def entity_of(name: Any) -> ResponseEntity | None:
    """The response entity a collection or ``response_entity`` names, or None."""
    return _ENTITIES.get(name.strip().lower()) if isinstance(name, str) else None


def parse_expression(query: Any, where: str) -> tuple[Expr, ResponseEntity | None]:
    """An ``expression`` query; the collection, when given, chooses the response entity."""
    if not isinstance(query, Mapping):
        raise CriteriaError("rjct.search_criteria.invalid", where,
                            "an expression query is an object {type, value}")
    value = query.get("value")
    expression = value.get("expression") if isinstance(value, Mapping) else None
    if not isinstance(expression, Mapping):
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.value.expression",
                            "is required: {collection, query}")
    collection = expression.get("collection")
    entity: ResponseEntity | None = None
    if collection is not None:
        entity = entity_of(collection)
        if entity is None:
            raise CriteriaError("rjct.search_criteria.invalid",
                                f"{where}.value.expression.collection",
                                "must be Group, Household, Family, Person or Member")
    return _mongo(expression.get("query"), f"{where}.value.expression.query", 0), entity


def parse_idtype_value(query: Any, where: str) -> Expr:
    """An ``idtype-value`` query: ``{type, value}``."""
    if not isinstance(query, Mapping):
        raise CriteriaError("rjct.search_criteria.invalid", where,
                            "an idtype-value query is an object {type, value}")
    id_type = query.get("type")
    spmis_type = ID_TYPES.get(str(id_type).strip().lower()) if isinstance(id_type, str) else None
    if spmis_type is None:
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.type",
                            f"unknown identifier type; known: {', '.join(sorted(ID_TYPES))}")
    value = query.get("value")
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.value",
                            "is required: the identifier value")
    return Cond(f"id:{spmis_type}", "in", (str(value),))


QUERY_TYPES = ("idtype-value", "expression", "predicate")


def query_type_of(query: Any) -> str | None:
    """The query type a query's shape implies: a list is a ``predicate``, ``{type, value}`` with
    an ``expression`` object in ``value`` an ``expression``, another ``{type, value}`` an
    ``idtype-value``; None when the shape says nothing."""
    if isinstance(query, list):
        return "predicate"
    if isinstance(query, Mapping) and "value" in query:
        value = query.get("value")
        if isinstance(value, Mapping) and "expression" in value:
            return "expression"
        return "idtype-value"
    return None


def parse_query(query_type: Any, query: Any, where: str,
                type_where: str | None = None) -> tuple[Expr, ResponseEntity | None]:
    """Any of the three query types. ``type_where`` names the query type's field in errors
    (by default the ``query_type`` beside ``where``)."""
    if query_type == "idtype-value":
        return parse_idtype_value(query, where), None
    if query_type == "predicate":
        return parse_predicate(query, where), None
    if query_type == "expression":
        if isinstance(query, list):
            raise CriteriaError("rjct.search_criteria.invalid", where,
                                "an expression query is an object {type, value}; this is a "
                                "predicate list: give the query type 'predicate'")
        return parse_expression(query, where)
    raise CriteriaError("rjct.search_criteria.invalid",
                        type_where or where.rsplit(".", 1)[0] + ".query_type",
                        f"must be {', '.join(QUERY_TYPES)}")


def parse_criteria(criteria: Mapping[str, Any], where: str, default_page_size: int,
                   max_page_size: int, query_key: str = "query",
                   type_key: str = "query_type") -> Criteria:
    """A ``search_criteria`` (or, with ``filter``/``filter_type``, a ``subscribe_criteria``).

    A search must state its ``query_type`` (the spec requires it); a subscription's
    ``filter_type`` is optional in the spec, so without one the filter's shape decides."""
    query_type = criteria.get(type_key)
    if query_type is None and type_key != "query_type":
        query_type = query_type_of(criteria.get(query_key))
    expr, collection = parse_query(query_type, criteria.get(query_key), f"{where}.{query_key}",
                                   f"{where}.{type_key}")
    entity = collection or ResponseEntity.MEMBER
    raw_entity = criteria.get("response_entity")
    if raw_entity is not None:
        named = entity_of(raw_entity)
        if named is None:
            raise CriteriaError("rjct.search_criteria.invalid", f"{where}.response_entity",
                                "must be Household, Family, Group or Member")
        entity = named
    page_size, page_number = default_page_size, 1
    pagination = criteria.get("pagination")
    if pagination is not None:
        if not isinstance(pagination, Mapping):
            raise CriteriaError("rjct.pagination.invalid", f"{where}.pagination",
                                "must be an object {page_size, page_number}")
        page_size = _whole(pagination.get("page_size"), f"{where}.pagination.page_size",
                           1, max_page_size)
        page_number = _whole(pagination.get("page_number", 1),
                             f"{where}.pagination.page_number", 1, 1_000_000)
    return Criteria(
        query_type=str(query_type), expr=expr, entity=entity, page_size=page_size,
        page_number=page_number, sort=_sort(criteria.get("sort"), f"{where}.sort"),
        purpose=consent_purpose(criteria.get("consent"), f"{where}.consent"),
        reg_event_type=criteria.get("reg_event_type")
        if isinstance(criteria.get("reg_event_type"), str) else None,
    )


def _whole(value: Any, where: str, low: int, high: int) -> int:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or int(value) != value):
        raise CriteriaError("rjct.pagination.invalid", where, "must be a whole number")
    if not low <= int(value) <= high:
        raise CriteriaError("rjct.pagination.invalid", where, f"must be {low}-{high}")
    return int(value)


def _sort(value: Any, where: str) -> tuple[tuple[str, bool], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > 5:
        raise CriteriaError("rjct.sort.invalid", where, "must be a list of at most 5 items")
    out = []
    for i, item in enumerate(value):
        name = item.get("attribute_name") if isinstance(item, Mapping) else None
        order = item.get("sort_order", "asc") if isinstance(item, Mapping) else None
        if name not in SORTABLE:
            raise CriteriaError("rjct.sort.invalid", f"{where}[{i}].attribute_name",
                                f"must be one of {', '.join(SORTABLE)}")
        if order not in ("asc", "desc"):
            raise CriteriaError("rjct.sort.invalid", f"{where}[{i}].sort_order",
                                "must be asc or desc")
        out.append((SORTABLE[name], order == "desc"))
    return tuple(out)


#: consent purposes SPMIS records (``spmis.auth``); a DCI search asks for one of them
CONSENT_PURPOSES = ("data_sharing", "registration", "contact", "research")
DEFAULT_PURPOSE = "data_sharing"


def consent_purpose(consent: Any, where: str) -> str:
    """The purpose the requester states in ``consent.purpose.code`` (default data_sharing)."""
    if consent is None:
        return DEFAULT_PURPOSE
    purpose = consent.get("purpose") if isinstance(consent, Mapping) else None
    code = purpose.get("code") if isinstance(purpose, Mapping) else None
    if code is None:
        return DEFAULT_PURPOSE
    if code not in CONSENT_PURPOSES:
        raise CriteriaError("rjct.search_criteria.invalid", f"{where}.purpose.code",
                            f"must be one of {', '.join(CONSENT_PURPOSES)}")
    return str(code)


def unsubscribe_codes(message: Mapping[str, Any]) -> Sequence[str]:
    """Subscription codes of an unsubscribe message (the spec's required list is spelt
    ``sunscription_codes``; either spelling is read)."""
    codes = message.get("subscription_codes", message.get("sunscription_codes"))
    if not isinstance(codes, list) or not codes or len(codes) > MAX_BATCH:
        raise EnvelopeError("err.request.bad", "message.subscription_codes",
                            f"is required: a list of 1-{MAX_BATCH} subscription codes")
    if not all(isinstance(c, str) and 0 < len(c) <= 99 for c in codes):
        raise EnvelopeError("err.request.bad", "message.subscription_codes",
                            "each code is a string of 1-99 characters")
    return codes
