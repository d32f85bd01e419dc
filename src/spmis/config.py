"""One settings object for the whole system (environment prefix ``SPMIS_``).

Every setting is declared once here with its default and help text; the CLI and the docs read
the same declarations (``spmis settings`` prints them, a test fails when one is undocumented).

Secrets: outside ``development`` the service refuses to start with a missing, short or
placeholder secret key, encryption key or blind-index key. In ``development`` (the embedded demo)
random keys are generated once and kept in ``var/dev-secrets.json`` so that data encrypted by one
run stays readable by the next; no fixed key ships with the code.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "changethis", "secret", "password", "dev", "test", "xxx", "key"}
)
MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class UnsafeSettingsError(RuntimeError):
    """Raised when the settings would start the service in an unsafe state."""


class Settings(BaseSettings):
    """SPMIS settings. Read from the environment (``SPMIS_*``) and an optional ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="SPMIS_", env_file=".env", extra="ignore")

    env: Environment = Field(
        Environment.DEVELOPMENT,
        description="development (embedded demo), test, or production.",
    )
    database_url: str = Field(
        "sqlite:///./var/spmis.db",
        description="SQLAlchemy URL: a SQLite file (default) or postgresql://user@host/db.",
    )
    var_dir: Path = Field(Path("./var"), description="Folder for the SQLite file, dev keys, files.")
    secret_key: str = Field(
        "", description="Signs sessions and tokens. At least 32 random bytes outside development."
    )
    encryption_keys: str = Field(
        "",
        description=(
            "Field-encryption keyring: comma-separated 'key_id:base64-of-32-bytes'. The first key "
            "encrypts; all keys decrypt (key rotation)."
        ),
    )
    blind_index_key: str = Field(
        "",
        description="Base64 key of the keyed hash (HMAC-SHA256) used to look up encrypted IDs.",
    )
    db_pool_size: int = Field(
        15, ge=1, le=500,
        description=("PostgreSQL connections each process keeps open for reuse. A request that "
                     "finds them all busy opens another (up to db_max_overflow more), closed "
                     "when returned: opening one costs the server and PostgreSQL several "
                     "milliseconds of CPU, so keep this at least the number of requests a "
                     "process serves at once."),
    )
    db_max_overflow: int = Field(
        5, ge=0, le=500,
        description="Connections a process may open beyond db_pool_size while all are busy.",
    )
    default_page_size: int = Field(50, ge=1, le=1000, description="API page size by default.")
    max_page_size: int = Field(500, ge=1, le=10000, description="Largest page the API returns.")
    import_chunk_rows: int = Field(
        20000, ge=100, le=1_000_000, description="Rows per chunk when importing files."
    )
    import_max_upload_mb: int = Field(
        256, ge=1, le=100_000,
        description=("Largest file the import page accepts, in MB (10^6 bytes). A 1,000,000-row "
                     "households file from `spmis synth` is about 166 MB."),
    )
    import_retention_days: int = Field(
        30, ge=1, le=3650,
        description="Days an import's encrypted reject report is kept after its job ended.",
    )
    jobs_heartbeat_seconds: float = Field(
        5.0, ge=0.1, le=300,
        description="How often a worker renews the lease of the job it runs, in seconds.",
    )
    jobs_lease_seconds: float = Field(
        30.0, ge=0.5, le=3600,
        description=("A running job whose heartbeat is older than this many seconds is taken "
                     "for abandoned (its worker is gone): resumed or failed with the reason."),
    )
    jobs_max_attempts: int = Field(
        3, ge=1, le=100,
        description="Times a resumable job is started before a stop in the middle fails it.",
    )
    timezone: str = Field("Asia/Phnom_Penh", description="Time zone in which times are shown.")
    session_hours: int = Field(
        8, ge=1, le=72, description="Lifetime of a page login session, in hours."
    )
    token_minutes: int = Field(
        15, ge=1, le=1440, description="Lifetime of an API bearer token, in minutes."
    )
    activation_hours: int = Field(
        72, ge=1, le=720,
        description="Lifetime of the one-time link with which a new staff user (or one whose "
        "password was reset) sets their own password, in hours.",
    )
    lockout_threshold: int = Field(
        5, ge=1, le=100,
        description="Failed logins of one account from one client address, within "
        "lockout_minutes, after which that address may not try that account any more.",
    )
    lockout_minutes: int = Field(
        15, ge=1, le=10080,
        description="The window, in minutes, in which failed logins are counted (and so how "
        "long a throttled address waits after its last counted failure).",
    )
    lockout_address_threshold: int = Field(
        30, ge=1, le=10000,
        description="Failed logins from one client address, whatever the account, within "
        "lockout_minutes, after which that address may not log in at all.",
    )
    pin_address_threshold: int = Field(
        5, ge=1, le=10000,
        description="Wrong grievance ticket numbers or PINs from one client address, whatever "
        "the ticket, within pin_address_minutes, after which that address may not follow any "
        "ticket (the public follow-up page and API answer 429).",
    )
    pin_address_minutes: int = Field(
        15, ge=1, le=10080,
        description="The window, in minutes, in which pin_address_threshold counts.",
    )
    pin_ticket_threshold: int = Field(
        20, ge=1, le=100000,
        description="Wrong PINs for one grievance ticket from anywhere, within "
        "pin_ticket_minutes, after which nobody may follow that ticket until they leave the "
        "window (guessing one ticket's PIN from many addresses is slowed).",
    )
    pin_ticket_minutes: int = Field(
        60, ge=1, le=10080,
        description="The window, in minutes, in which pin_ticket_threshold counts.",
    )
    public_rate_per_minute: int = Field(
        120,
        ge=1,
        le=1_000_000,
        description="Requests a minute each client address may make to public endpoints.",
    )
    public_rate_burst: int = Field(
        60, ge=1, le=1_000_000, description="Burst of requests allowed to public endpoints."
    )
    max_body_public_bytes: int = Field(
        64 * 1024, ge=1024, le=1024**3,
        description=(
            "Largest request body a public route (screener, login, public pages) accepts, in "
            "bytes; a larger one is refused with 413 before it is read."
        ),
    )
    max_body_staff_bytes: int = Field(
        4 * 1024**2, ge=1024, le=1024**3,
        description=(
            "Largest request body a staff route (the API, DCI, office pages) accepts, in bytes; "
            "a larger one is refused with 413 before it is read. File uploads are limited by "
            "their own streaming limit instead."
        ),
    )
    xlsx_max_uncompressed_bytes: int = Field(
        500 * 1024**2, ge=1024**2, le=64 * 1024**3,
        description=(
            "Largest total size an uploaded XLSX file may unpack to, in bytes (checked from the "
            "archive's index before anything is read; a decompression bomb is refused)."
        ),
    )
    xlsx_max_compression_ratio: int = Field(
        100, ge=10, le=100_000,
        description=(
            "Largest compression ratio of a part of an XLSX file over 1 MiB unpacked (real "
            "sheets stay under about 30; a decompression bomb is in the thousands)."
        ),
    )
    xlsx_max_rows: int = Field(
        1_048_576, ge=1, le=100_000_000,
        description="Most rows an imported XLSX sheet may have (Excel's own maximum by default).",
    )
    xlsx_max_columns: int = Field(
        100, ge=1, le=16_384, description="Most columns an imported XLSX sheet may have."
    )
    xlsx_max_cell_chars: int = Field(
        2_000, ge=10, le=32_767,
        description="Most characters one cell of an imported XLSX sheet may hold.",
    )
    linkage_auto_merge_floor: float = Field(
        0.995, ge=0.5, le=1.0,
        description=(
            "Match probability below which no deduplication run merges two people without a "
            "person deciding (API, CLI and jobs alike); a run may ask for a higher threshold, "
            "never a lower one. People of different recorded sex are never merged "
            "automatically, whatever the probability."
        ),
    )
    workers: int = Field(
        1, ge=1, le=64,
        description=(
            "Worker processes `spmis serve` starts (each answers requests on its own; about "
            "one or two per core). `spmis serve --workers N` overrides it."
        ),
    )
    forwarded_allow_ips: str = Field(
        "",
        description=(
            "Comma-separated addresses of the reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto headers are believed (the client address then comes from them: "
            "rate limits and login records). Empty: no proxy is believed, the client address "
            "is the connection's."
        ),
    )
    log_format: Literal["auto", "json", "text"] = Field(
        "auto",
        description=(
            "Server log lines: json (one JSON object a line, with the request id), text, or auto "
            "(text in development, json otherwise)."
        ),
    )
    fund_bakong_account: str = Field(
        "nssf_contribution@nbcq", min_length=3, max_length=32,
        pattern=r"^[a-z0-9_.]{1,20}@[a-z0-9_]{1,11}$",
        description=(
            "The social security fund's Bakong account (name@bank) that the KHQR string of a "
            "contribution invoice pays to. The default is a placeholder: set the fund's own."
        ),
    )
    dci_sender_id: str = Field(
        "spmis.local", min_length=1, max_length=99,
        description="This registry's DCI identity (header sender_id and signature kidId).",
    )

    @model_validator(mode="after")
    def _secrets_safe(self) -> Settings:
        if self.env == Environment.DEVELOPMENT:
            self._fill_dev_secrets()
        problems = _secret_problems(self)
        if problems:
            raise UnsafeSettingsError(
                "refusing to start: " + "; ".join(problems) + " (see docs/security.md)"
            )
        return self

    def _fill_dev_secrets(self) -> None:
        """Generate and persist random development keys for any that are not set."""
        if self.secret_key and self.encryption_keys and self.blind_index_key:
            return
        path = self.var_dir / "dev-secrets.json"
        stored: dict[str, Any] = {}
        if path.exists():
            stored = json.loads(path.read_text())
        changed = False
        defaults = {
            "secret_key": lambda: secrets.token_urlsafe(48),
            "encryption_keys": lambda: "dev1:" + base64.b64encode(os.urandom(32)).decode(),
            "blind_index_key": lambda: base64.b64encode(os.urandom(32)).decode(),
        }
        for name, make in defaults.items():
            if not getattr(self, name):
                if name not in stored:
                    stored[name] = make()
                    changed = True
                object.__setattr__(self, name, stored[name])
        if changed:
            private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(json.dumps(stored, indent=2))
            path.chmod(0o600)

    @property
    def effective_log_format(self) -> str:
        """``json`` or ``text`` (``auto`` resolved by the environment)."""
        if self.log_format != "auto":
            return self.log_format
        return "text" if self.env == Environment.DEVELOPMENT else "json"

def _decode_key(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def _secret_problems(s: Settings) -> list[str]:
    problems: list[str] = []
    if s.secret_key.strip().lower() in PLACEHOLDERS or len(s.secret_key) < MIN_SECRET_BYTES:
        problems.append("SPMIS_SECRET_KEY is missing, a placeholder or shorter than 32 characters")
    ring = [part.strip() for part in s.encryption_keys.split(",") if part.strip()]
    if not ring:
        problems.append("SPMIS_ENCRYPTION_KEYS is missing")
    for part in ring:
        kid, _, b64 = part.partition(":")
        key = _decode_key(b64)
        if not kid or key is None or len(key) != 32:
            problems.append(
                f"SPMIS_ENCRYPTION_KEYS entry '{kid or '?'}' must be 'id:base64 of 32 bytes'"
            )
    bkey = _decode_key(s.blind_index_key)
    if bkey is None or len(bkey) < MIN_SECRET_BYTES:
        problems.append("SPMIS_BLIND_INDEX_KEY must be base64 of at least 32 bytes")
    return problems


def dev_secret(settings: Settings, name: str, create: bool = True) -> str | None:
    """A development-only value kept in ``var/dev-secrets.json`` (made once, random, and kept
    for the next run), such as the demo accounts' password; None outside development, or when
    missing and ``create`` is false."""
    if settings.env != Environment.DEVELOPMENT:
        return None
    path = settings.var_dir / "dev-secrets.json"
    stored: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if name in stored or not create:
        return stored.get(name)
    stored[name] = "spmis-" + secrets.token_urlsafe(9)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(stored, indent=2))
    return str(stored[name])


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (0700), created with its parents if
    missing. SPMIS keeps the SQLite file, development keys and job files under ``var_dir``."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        path.chmod(0o700)
    return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()


def new_key_b64() -> str:
    """A fresh random 32-byte key, base64-encoded, for operators generating keys."""
    return base64.b64encode(os.urandom(32)).decode()
