"""Pure parts of access control: the route table's helpers, the token bucket, log redaction,
passwords, tokens and roles."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from spmis.auth import tokens
from spmis.auth.passwords import hash_secret, password_problem, verify_secret
from spmis.auth.policy import ANY_STAFF, DECIDE, REVEAL, ROUTE_POLICY, allows, decide
from spmis.auth.ratelimit import TokenBucket
from spmis.auth.roles import ALL_ROLES, PUBLIC, parse_roles
from spmis.auth.web import RedactingFilter, redact
from spmis.db.base import utcnow

KEY = "k" * 48


def test_decide_and_allows() -> None:
    assert decide("HEAD", "/health") == PUBLIC
    assert decide("GET", "/api/v1/nowhere") is None
    assert not allows(None, frozenset({"admin"}))
    assert allows(PUBLIC, None)
    rule = decide("POST", "/api/v1/households")
    assert allows(rule, frozenset({"registrar"})) and not allows(rule, frozenset({"auditor"}))
    assert not allows(rule, None)


def test_table_is_sane() -> None:
    for (method, path), rule in ROUTE_POLICY.items():
        assert method in {"GET", "POST", "PATCH", "PUT", "DELETE", "MOUNT"}, method
        assert path.startswith("/")
        assert rule == PUBLIC or (isinstance(rule, frozenset) and rule <= ALL_ROLES and rule)
    assert "admin" not in DECIDE  # maker-checker: only designated approvers decide
    assert "admin" not in REVEAL and "auditor" not in REVEAL
    # self-service actions open to every staff role (log out, cancel one's own request) aside,
    # no write is granted to the auditor
    auditor_writes = [k for k, r in ROUTE_POLICY.items()
                      if r not in (PUBLIC, ANY_STAFF) and "auditor" in r
                      and k[0] not in ("GET", "MOUNT")]
    assert auditor_writes == [], "the auditor is read-only"


def test_token_bucket_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=60, burst=2, clock=lambda: now[0])
    assert bucket.take("a") == 0 and bucket.take("a") == 0
    wait = bucket.take("a")
    assert wait == pytest.approx(1.0)
    assert bucket.take("b") == 0
    now[0] += 1.0
    assert bucket.take("a") == 0


def test_redaction_of_logs() -> None:
    line = ('127.0.0.1 - "GET /api/v1/persons?identifier_type=national_id&identifier=100200300 '
            'HTTP/1.1" 200 Authorization: Bearer eyJabc.def.ghi password=hunter2hunter2')
    out = redact(line)
    for secret in ("100200300", "eyJabc", "hunter2"):
        assert secret not in out
    assert "identifier_type=national_id" in out
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s "%s %s"', ("1.2.3.4", "GET", "/x?phone=012345678"), None)
    RedactingFilter().filter(record)
    assert "012345678" not in record.getMessage()
    # the shape survives (uvicorn's access formatter unpacks the arguments): issue 12 #10
    assert record.args == ("1.2.3.4", "GET", "/x?phone=***")
    spanning = logging.LogRecord("app", logging.INFO, __file__, 1, "token=%s", ("abc123",), None)
    RedactingFilter().filter(spanning)
    assert spanning.getMessage() == "token=***"


def test_passwords() -> None:
    stored = hash_secret("a long enough passphrase")
    assert stored.startswith("$argon2id$")
    assert verify_secret(stored, "a long enough passphrase")
    assert not verify_secret(stored, "wrong")
    assert not verify_secret(None, "anything")
    assert password_problem("short", "bob")
    assert password_problem("bob-is-my-name-ok", "bob")
    assert password_problem("aaaaaaaaaaaaaaaa", "x")
    assert password_problem("correct horse battery", "dara") is None


def test_tokens_expire_and_bind_to_key() -> None:
    good = tokens.issue(KEY, "user:dara", 5)
    assert tokens.subject_of(KEY, good.token) == "user:dara"
    old = tokens.issue(KEY, "user:dara", 1, now=utcnow() - timedelta(minutes=5))
    with pytest.raises(tokens.TokenError) as info:
        tokens.subject_of(KEY, old.token)
    assert info.value.expired
    with pytest.raises(tokens.TokenError):
        tokens.subject_of("z" * 48, good.token)
    with pytest.raises(tokens.TokenError):
        tokens.subject_of(KEY, "not-a-token")


def test_parse_roles() -> None:
    assert parse_roles("registrar, approver") == {"registrar", "approver"}
    with pytest.raises(ValueError, match="unknown"):
        parse_roles("registrar,king")
    with pytest.raises(ValueError):
        parse_roles("")
