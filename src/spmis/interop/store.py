"""DCI interoperability tables (SQLAlchemy Core) and the registry query the searches run.

- ``dci_signing_key``: this registry's Ed25519 signing keys; the private key only encrypted with
  the field-encryption key ring. The newest active key signs; all active keys are published.
- ``dci_peer``: other registries this one talks to: their DCI ``sender_id``, base URL, the
  OAuth2 client credentials SPMIS uses to call them (the secret only encrypted), and
  ``inbound_client``, the API client of this registry that the peer must call with.
- ``dci_peer_key``: the peers' public keys (``x`` of an OKP/Ed25519 JWK) by ``kid``.
- ``dci_transaction``: every DCI message received or sent (search, subscribe, notify, ...), its
  status and reason code, for ``/registry/txn/status`` and for refusing a replayed message_id.
  Requests that may hold identifiers are kept only encrypted (``request_enc``); ``result`` holds
  statuses and counts, never personal data.
- ``dci_subscription``: who is notified of which registry changes; ``last_change_id`` is the
  watermark: the newest ``change_log`` row already notified to this subscription.
- ``dci_inbox``: results and notifications other registries sent us (encrypted).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    false,
    func,
    not_,
    or_,
    select,
    text,
)

from spmis.auth.scope import condition as scope_condition
from spmis.auth.scope import prefix_condition
from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.encrypted import EncryptedColumn
from spmis.interop.model import And, Cond, Expr, Not, Or
from spmis.registry import queries
from spmis.registry.queries import identifier_match

#: the registry's tables, read-only (``spmis.registry.queries``)
person, household, person_identifier = queries.people(), queries.households(), queries.identifiers()

dci_signing_key = Table(
    "dci_signing_key",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kid", String(64), nullable=False, unique=True),
    Column("public_x", String(64), nullable=False),
    Column("private_enc", LargeBinary, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime(), nullable=False),
)

dci_peer = Table(
    "dci_peer",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sender_id", String(99), nullable=False, unique=True),
    Column("base_url", String(255), nullable=False),
    Column("client_id", String(64)),
    Column("client_secret_enc", LargeBinary),
    Column("inbound_client", String(64)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
)

dci_peer_key = Table(
    "dci_peer_key",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sender_id", String(99), nullable=False),
    Column("kid", String(64), nullable=False),
    Column("public_x", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Index("uq_dci_peer_key_sender_kid", "sender_id", "kid", unique=True),
)

dci_transaction = Table(
    "dci_transaction",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("direction", String(3), nullable=False),  # 'in' received, 'out' sent
    Column("peer", String(99), nullable=False),
    Column("action", String(24), nullable=False),
    Column("message_id", String(99), nullable=False),
    Column("transaction_id", String(99), nullable=False),
    Column("correlation_id", String(99), nullable=False, unique=True),
    Column("status", String(4), nullable=False),
    Column("status_reason_code", String(64)),
    Column("status_reason_message", String(999)),
    Column("callback_uri", String(255)),
    Column("request_enc", LargeBinary),
    Column("result", JSON),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("uq_dci_transaction_message", "direction", "peer", "message_id", unique=True),
    Index("ix_dci_transaction_peer_txn", "peer", "transaction_id"),
)

dci_subscription = Table(
    "dci_subscription",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(99), nullable=False, unique=True),
    Column("subscriber", String(99), nullable=False),
    Column("notify_uri", String(255), nullable=False),
    Column("reg_event_type", String(64)),
    Column("response_entity", String(16), nullable=False),
    Column("criteria_enc", LargeBinary, nullable=False),
    Column("status", String(12), nullable=False, server_default=text("'subscribe'")),
    Column("last_change_id", Id, nullable=False, server_default=text("0")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Index("ix_dci_subscription_subscriber", "subscriber", "status"),
)

dci_inbox = Table(
    "dci_inbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("peer", String(99), nullable=False),
    Column("action", String(24), nullable=False),
    Column("transaction_id", String(99), nullable=False),
    Column("correlation_id", String(99)),
    Column("message_id", String(99), nullable=False),
    Column("message_enc", LargeBinary, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("note", Text),
    Index("ix_dci_inbox_peer_txn", "peer", "transaction_id"),
)


# ------------------------------------------------------------------ encrypted columns
#: encryption contexts (bound as associated data) of this capability's encrypted columns
KEY_CONTEXT = "dci_signing_key"
SECRET_CONTEXT = "dci_peer_secret"  # noqa: S105 (an encryption context label)
REQUEST_CONTEXT = "dci_request"
CRITERIA_CONTEXT = "dci_subscription"
INBOX_CONTEXT = "dci_inbox"
#: every encrypted column, for key rotation (``spmis keys rotate``)
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(dci_signing_key, "private_enc", KEY_CONTEXT),
    EncryptedColumn(dci_peer, "client_secret_enc", SECRET_CONTEXT),
    EncryptedColumn(dci_transaction, "request_enc", REQUEST_CONTEXT),
    EncryptedColumn(dci_subscription, "criteria_enc", CRITERIA_CONTEXT),
    EncryptedColumn(dci_inbox, "message_enc", INBOX_CONTEXT),
)


# ------------------------------------------------------------------ expression -> SQL
def _text_eq(columns: Sequence[Any], values: Sequence[str]) -> ColumnElement[bool]:
    lowered = [v.lower() for v in values]
    return or_(*[func.lower(c).in_(lowered) for c in columns])


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "in":
        return column.in_(list(value))
    return {
        "eq": column == value, "lt": column < value, "gt": column > value,
        "le": column <= value, "ge": column >= value,
    }[op]


def _year_condition(op: str, value: Any) -> ColumnElement[bool]:
    dob = person.c.date_of_birth
    if op == "in":
        return or_(*[_year_condition("eq", v) for v in value])
    first, last = date(value, 1, 1), date(value, 12, 31)
    return {
        "eq": and_(dob >= first, dob <= last), "lt": dob < first, "gt": dob > last,
        "le": dob <= last, "ge": dob >= first,
    }[op]


#: household area codes derived from the village code (its first 2, 4 and 6 digits)
_DERIVED_CODES = {"province_code": 2, "district_code": 4, "commune_code": 6}


def _derived_code_range(op: str, code: str) -> ColumnElement[bool]:
    """``<derived code> <op> code`` (code as long as the derived code) as a range on the indexed
    village code. Codes nest, so the village code starts with the derived code: a village code
    below ``code`` has a smaller prefix, and one above it that does not start with it a greater
    one."""
    village = household.c.village_code
    starts = prefix_condition(village, code)
    return {
        "lt": village < code, "ge": village >= code,
        "gt": and_(village > code, not_(starts)), "le": or_(village < code, starts),
    }[op]


def household_size(purpose: str, on: date) -> ColumnElement[Any]:
    """The size of a person's or household's household as a DCI answer reports it: its active
    members who consented to ``purpose`` (a correlated count on ``household``), so a search on
    ``household_size`` never counts, and so reveals, people who did not consent."""
    member = person.alias("sized_member")
    return select(func.count()).select_from(member).where(
        member.c.household_id == household.c.id, member.c.status == "active",
        queries.consented(purpose, on, member.c.id)).scalar_subquery()


def compile_condition(cond: Cond, hashes: dict[tuple[str, str], str | None],
                      size: ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """SQL for one condition. ``hashes`` maps (identifier type, raw value) to its blind index
    (None when the value is malformed: such a condition matches nothing); ``size`` is the
    household size expression (``household_size``) a condition on it compares."""
    attr, op, value = cond.attribute, cond.op, cond.value
    if attr == "household_size":
        if size is None:
            raise ValueError("a household_size condition needs the size expression")
        return _compare(size, op, value)
    if attr.startswith("id:"):
        id_type = attr[3:]
        digests = [h for v in value if (h := hashes.get((id_type, v))) is not None]
        if not digests:
            return false()
        return person.c.id.in_(select(person_identifier.c.person_id).where(
            identifier_match(id_type, digests)))
    values = value if op == "in" else (value,)
    if attr == "given_name":
        return _text_eq([person.c.given_name_latin, person.c.given_name_km], values)
    if attr == "family_name":
        return _text_eq([person.c.family_name_latin, person.c.family_name_km], values)
    if attr == "birth_year":
        return _year_condition(op, value)
    if attr == "area_code":
        return or_(*[prefix_condition(household.c.village_code, code) for code in values])
    if attr in _DERIVED_CODES and op in ("eq", "in"):
        # codes nest: equality on a derived code is a prefix test on the indexed village code
        # (registry.store); a value of the wrong length matches nothing, as before
        return or_(false(), *[
            prefix_condition(household.c.village_code, code)
            for code in values if isinstance(code, str) and len(code) == _DERIVED_CODES[attr]])
    if attr in _DERIVED_CODES and isinstance(value, str) and len(value) == _DERIVED_CODES[attr]:
        return _derived_code_range(op, value)
    column = {
        "sex": person.c.sex, "birth_date": person.c.date_of_birth,
        "province_code": household.c.province_code, "district_code": household.c.district_code,
        "commune_code": household.c.commune_code, "village_code": household.c.village_code,
        "idpoor_level": household.c.idpoor_level, "employment_type": person.c.employment_type,
        "disability": person.c.disability,
    }[attr]
    return _compare(column, op, value)


def compile_expr(expr: Expr, hashes: dict[tuple[str, str], str | None],
                 size: ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    if isinstance(expr, Cond):
        return compile_condition(expr, hashes, size)
    if isinstance(expr, And):
        return and_(*[compile_expr(p, hashes, size) for p in expr.parts])
    if isinstance(expr, Or):
        return or_(*[compile_expr(p, hashes, size) for p in expr.parts])
    assert isinstance(expr, Not)
    return not_(compile_expr(expr.part, hashes, size))


def identifier_values(expr: Expr) -> list[tuple[str, str]]:
    """Every (identifier type, raw value) the expression compares, to blind-index first."""
    if isinstance(expr, Cond):
        if expr.attribute.startswith("id:"):
            return [(expr.attribute[3:], v) for v in expr.value]
        return []
    if isinstance(expr, Not):
        return identifier_values(expr.part)
    return [pair for part in expr.parts for pair in identifier_values(part)]


def person_filter(where: ColumnElement[bool], scope: str, purpose: str,
                  on: date) -> ColumnElement[bool]:
    """Active persons matching ``where`` inside ``scope`` who consented to ``purpose``."""
    return and_(person.c.status == "active", household.c.status == "active",
                scope_condition(scope, household.c.village_code),
                queries.consented(purpose, on), where)

