"""Access-control tables (SQLAlchemy Core).

- ``staff_user``: people who log in; argon2 password hash, roles, geographic scope, optional TOTP
  secret (AES-GCM encrypted with the field-encryption key ring), lockout counters.
- ``api_client``: machine clients (OAuth2 client credentials); only an argon2 hash of the secret.
- ``auth_session``: page login sessions; only a SHA-256 of the session token is stored.
- ``account_activation``: one-time links with which a staff user sets their own password (a new
  account, or after a reset); only a SHA-256 of the token is kept; single use, expiring.
- ``login_attempt``: every login and token attempt: the audit trail, and the shared state of
  login throttling (failures per account and client address, and per client address).
- ``approval_request``: maker-checker requests of any kind; sensitive parts of the payload
  (identifier values) are kept only encrypted in ``payload_enc``.
- ``access_log``: every unmasked read of personal data (who, what, when, why).
- ``public_rate_bucket``: the token bucket of each client address on the public endpoints, shared
  by every worker and server (``spmis.auth.ratelimit``); rows idle long enough to be full again
  are pruned.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.encrypted import EncryptedColumn

staff_user = Table(
    "staff_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("full_name", String(200)),
    Column("password_hash", String(255), nullable=False),
    Column("roles", String(255), nullable=False),
    Column("scope", String(6), nullable=False, server_default=text("''")),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("totp_secret_enc", LargeBinary),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UTCDateTime()),
    Column("last_login_at", UTCDateTime()),
    Column("password_changed_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
)

api_client = Table(
    "api_client",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    Column("roles", String(255), nullable=False),
    Column("scope", String(6), nullable=False, server_default=text("''")),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
)

auth_session = Table(
    "auth_session",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Id, ForeignKey("staff_user.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("client_address", String(64)),
)

account_activation = Table(
    "account_activation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Id, ForeignKey("staff_user.id"), nullable=False, index=True),
    Column("purpose", String(16), nullable=False),  # 'activate' (new account) or 'reset'
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

login_attempt = Table(
    "login_attempt",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("principal", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("client_address", String(64)),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_login_attempt_principal_at", "principal", "at"),
    Index("ix_login_attempt_address_at", "client_address", "at"),
)

approval_request = Table(
    "approval_request",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(48), nullable=False),
    Column("entity_type", String(32)),
    Column("entity_id", Id),
    Column("area_code", String(8)),
    Column("payload", JSON, nullable=False),
    Column("payload_enc", LargeBinary),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("maker", String(64), nullable=False),
    Column("made_at", UTCDateTime(), nullable=False),
    Column("checker", String(64)),
    Column("decided_at", UTCDateTime()),
    Column("decision_reason", Text),
    Column("result", JSON),
    Index("ix_approval_request_status_kind", "status", "kind"),
    Index("ix_approval_request_entity", "entity_type", "entity_id"),
)

access_log = Table(
    "access_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", Id, nullable=False),
    Column("fields", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("client_address", String(64)),
    Index("ix_access_log_entity", "entity_type", "entity_id"),
    Index("ix_access_log_actor_at", "actor", "at"),
)

# ------------------------------------------------------------------ encrypted columns
#: encryption contexts (bound as associated data) of this capability's encrypted columns
TOTP_CONTEXT = "totp_secret"
PAYLOAD_CONTEXT = "approval_payload"
#: every encrypted column, for key rotation (``spmis keys rotate``)
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(staff_user, "totp_secret_enc", TOTP_CONTEXT),
    EncryptedColumn(approval_request, "payload_enc", PAYLOAD_CONTEXT),
)

public_rate_bucket = Table(
    "public_rate_bucket",
    metadata,
    Column("client_key", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("touched", Float, nullable=False),  # seconds since the epoch (UTC) of the last take
    Column("granted", Integer, nullable=False),  # 1 when the last take got a token
    Index("ix_public_rate_bucket_touched", "touched"),
)
