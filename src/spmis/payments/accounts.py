"""Where a beneficiary is paid: a provider and an account or wallet number of the provider's
account type, stored encrypted (context ``payment_account``) with a keyed hash; one account per
beneficiary and provider, and one active account per beneficiary: the newest one given replaces
the earlier (history in change_log), so no line is ever in two providers' payrolls."""

from __future__ import annotations

import re

from sqlalchemy import insert, select, update

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.history import audit_values, log_change
from spmis.errors import FieldError, InvalidInput, NotFound
from spmis.payments.delivery_store import payment_account
from spmis.payments.providers import AccountType, get_provider
from spmis.payments.store import beneficiary
from spmis.registry import queries as registry

__all__ = ["CONTEXT", "account_problems", "set_account"]

CONTEXT = "payment_account"
_PATTERNS = {
    AccountType.BANK_ACCOUNT: (re.compile(r"[0-9]{6,20}"), "6 to 20 digits", "លេខ ៦ ដល់ ២០ ខ្ទង់"),
    AccountType.MOBILE_WALLET: (re.compile(r"0[1-9][0-9]{7,8}|855[1-9][0-9]{7,8}"),
                                "a Cambodian mobile number (e.g. 012345678)",
                                "លេខទូរស័ព្ទចល័តកម្ពុជា (ឧ. 012345678)"),
    AccountType.BAKONG: (re.compile(r"[a-z0-9_.]{1,20}@[a-z0-9_]{1,11}"),
                         "a Bakong account id, name@bank (at most 32 characters)",
                         "លេខគណនីបាគង name@bank (មិនលើស ៣២ តួអក្សរ)"),
}


def account_problems(account_type: str, value: str,
                     loc: tuple[str | int, ...] = ("account",)) -> list[FieldError]:
    """Why ``value`` is not an account of ``account_type`` (none when it is)."""
    pattern, en, km = _PATTERNS[AccountType(account_type)]
    if pattern.fullmatch(value) is None or len(value) > 32:
        return [FieldError(loc, "account_format", f"give {en}", f"សូមផ្តល់{km}")]
    return []


def set_account(ctx: AppContext, actor: Actor, beneficiary_id: int, provider_code: str,
                account: str, holder_person_id: int) -> int:
    """Record (or replace) the account ``beneficiary_id`` is paid to at ``provider_code``."""
    account = account.strip().replace(" ", "")
    with ctx.engine.begin() as conn:
        provider = get_provider(conn, provider_code)
        errors = account_problems(provider.layout.account_type, account)
        if errors:
            raise InvalidInput(errors)
        hh = conn.execute(select(beneficiary.c.household_id)
                          .where(beneficiary.c.id == beneficiary_id)).scalar()
        village = registry.household_village_code(conn, int(hh)) if hh is not None else None
        # outside the caller's area answers as a missing one (issue 12 #9): a district officer
        # may neither learn of nor redirect the payments of a household elsewhere
        if village is None or not scope.covers(actor.scope, village):
            raise NotFound("no such beneficiary", "រកមិនឃើញអ្នកទទួលផលនេះទេ")
        holder = registry.person_with_village(conn, holder_person_id)
        if holder is None or holder["household_id"] != hh:
            raise InvalidInput.one(("holder_person_id",), "not_a_member",
                                   "the account holder must be a member of the household",
                                   "ម្ចាស់គណនីត្រូវតែជាសមាជិកនៃគ្រួសារ")
        values = {"account_enc": ctx.cipher.encrypt(account, CONTEXT),
                  "account_hash": ctx.cipher.blind_index(account, CONTEXT),
                  "holder_person_id": holder_person_id, "active": True}
        # one active account per beneficiary: no line can be in two providers' payrolls
        conn.execute(update(payment_account).where(
            payment_account.c.beneficiary_id == beneficiary_id,
            payment_account.c.provider_id != provider.id, payment_account.c.active.is_(True))
            .values(active=False, version=payment_account.c.version + 1,
                    updated_by=actor.username))
        row = conn.execute(select(payment_account.c.id, payment_account.c.version).where(
            payment_account.c.beneficiary_id == beneficiary_id,
            payment_account.c.provider_id == provider.id)).first()
        if row is None:
            account_id = conn.execute(insert(payment_account).values(
                beneficiary_id=beneficiary_id, provider_id=provider.id, **values,
                **audit_values(actor.username)).returning(payment_account.c.id)).scalar_one()
            version = 1
        else:
            account_id, version = row.id, row.version + 1
            conn.execute(update(payment_account).where(payment_account.c.id == account_id)
                         .values(**values, version=version, updated_by=actor.username,
                                 updated_at=audit_values(actor.username)["updated_at"]))
        log_change(conn, "payment_account", account_id, version,
                   "create" if version == 1 else "update", actor.username, None,
                   {"account": "changed", "provider": provider_code,
                    "holder_person_id": holder_person_id})
        return int(account_id)
