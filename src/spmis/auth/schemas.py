"""HTTP input and output models of access control (pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from spmis.auth.roles import Role

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
Scope = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{2}){0,3}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    totp: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = None


class SessionOut(BaseModel):
    username: str
    roles: list[str]
    scope: str
    csrf_token: str = Field(description=f"send it back in the {'X-CSRF-Token'} header or the "
                                        "csrf_token form field on every unsafe request")
    expires_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class MeOut(BaseModel):
    username: str
    roles: list[str]
    scope: str


class UserCreate(_In):
    """A new account. No password: the person chooses theirs through the activation link."""

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    full_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    roles: list[Role] = Field(min_length=1, max_length=8)
    scope: Scope = ""
    reason: Reason | None = Field(None, description="why (for the second administrator when the "
                                                    "account needs one)")


class UserUpdate(_In):
    full_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    roles: list[Role] | None = Field(None, min_length=1, max_length=8)
    scope: Scope | None = None
    is_active: bool | None = None
    unlock: bool = False
    reason: Reason | None = None


class ResetIn(_In):
    reason: Reason | None = None


class ActivateIn(_In):
    token: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ActivationOut(BaseModel):
    """A one-time link for the person an account is for: shown this once; hand it to them."""

    username: str
    activation_path: str
    activation_url: str
    purpose: str
    expires_at: datetime


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str | None
    roles: list[str]
    scope: str
    is_active: bool
    totp_enabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    awaiting_activation: bool = False


class UserCreated(UserOut):
    activation: ActivationOut


class AccountChangeOut(BaseModel):
    version: int
    action: str
    changed_at: datetime
    changed_by: str
    changes: dict[str, Any]


class LoginAttemptOut(BaseModel):
    principal: str
    kind: str
    succeeded: bool
    outcome: str
    client_address: str | None
    at: datetime


class ApprovalOut(BaseModel):
    id: int
    kind: str
    entity_type: str | None
    entity_id: int | None
    area_code: str | None
    payload: dict[str, Any]
    reason: str
    status: str
    maker: str
    made_at: datetime
    checker: str | None
    decided_at: datetime | None
    decision_reason: str | None
    result: dict[str, Any] | None
    once: dict[str, Any] | None = Field(
        None, description="shown to the checker this once and never stored: the activation "
        "link of a staff account whose creation or new rights were just approved")


class DecisionIn(_In):
    reason: Reason


class AccessLogOut(BaseModel):
    id: int
    at: datetime
    actor: str
    entity_type: str
    entity_id: int
    fields: str
    reason: str
    client_address: str | None
