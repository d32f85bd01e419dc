"""This registry's signing keys and the other registries it trusts (their base URL, the client
credentials SPMIS uses there, their public keys). Operators manage them with ``spmis dci``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select, update

from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import InvalidInput, NotFound
from spmis.interop.signing import SigningKey, b64url, b64url_decode, public_jwk, public_key_from_jwk
from spmis.interop.store import (
    KEY_CONTEXT,
    SECRET_CONTEXT,
    dci_peer,
    dci_peer_key,
    dci_signing_key,
)
from spmis.interop.transport import Peer

_SENDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,98}$")


def _bad(field: str, msg: str) -> InvalidInput:
    return InvalidInput.one((field,), "invalid", msg, "តម្លៃមិនត្រឹមត្រូវ")


class KeyRing:
    """Signing keys (private halves encrypted at rest) and peers' public keys."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # ------------------------------------------------------------ our keys
    def signing_key(self) -> SigningKey:
        """The newest active signing key; one is created on first use."""
        with self._uow() as uow:
            row = uow.conn.execute(select(dci_signing_key).where(dci_signing_key.c.active)
                                   .order_by(dci_signing_key.c.id.desc()).limit(1)).first()
        if row is None:
            return self.rotate()
        raw = self.ctx.cipher.decrypt(row.private_enc, KEY_CONTEXT)
        return SigningKey.from_raw(b64url_decode(raw))

    def rotate(self) -> SigningKey:
        """Create a new signing key; older keys stay published until retired."""
        key = SigningKey.generate()
        with self._uow() as uow:
            uow.conn.execute(insert(dci_signing_key).values(
                kid=key.kid, public_x=key.x, active=True, created_at=utcnow(),
                private_enc=self.ctx.cipher.encrypt(b64url(key.raw()), KEY_CONTEXT)))
            uow.commit()
        return key

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys to publish at /.well-known/jwks.json."""
        self.signing_key()
        with self._uow() as uow:
            xs = uow.conn.execute(select(dci_signing_key.c.public_x).where(
                dci_signing_key.c.active).order_by(dci_signing_key.c.id)).scalars().all()
        return {"keys": [public_jwk(x) for x in xs]}

    # ------------------------------------------------------------ peers
    def add_peer(self, sender_id: str, base_url: str, by: str, client_id: str | None = None,
                 client_secret: str | None = None, inbound_client: str | None = None) -> None:
        """Register (or update) a peer registry: ``client_id``/``client_secret`` are what SPMIS
        uses at the peer; ``inbound_client`` is this registry's API client the peer must use."""
        if not _SENDER.match(sender_id or ""):
            raise _bad("sender_id", "1-99 letters, digits, '.', '_', ':' or '-'")
        if not re.match(r"^https?://[^\s/]+", base_url or "") or len(base_url) > 255:
            raise _bad("base_url", "an http(s) URL of at most 255 characters")
        values: dict[str, Any] = {"base_url": base_url.rstrip("/"), "active": True}
        if client_id is not None:  # what is not given is kept
            values["client_id"] = client_id
        if inbound_client is not None:
            values["inbound_client"] = inbound_client
        if client_secret is not None:
            values["client_secret_enc"] = self.ctx.cipher.encrypt(client_secret, SECRET_CONTEXT)
        with self._uow() as uow:
            done = uow.conn.execute(update(dci_peer).where(dci_peer.c.sender_id == sender_id)
                                    .values(**values)).rowcount
            if not done:
                uow.conn.execute(insert(dci_peer).values(
                    sender_id=sender_id, created_at=utcnow(), created_by=by[:64], **values))
            uow.commit()

    def add_peer_key(self, sender_id: str, jwk: Mapping[str, Any], by: str) -> str:
        """Trust a peer's public key (a JWK as published at its jwks.json); returns the kid."""
        try:
            kid, x = public_key_from_jwk(jwk)
        except ValueError as exc:
            raise _bad("jwk", str(exc)) from None
        with self._uow() as uow:
            exists = uow.conn.execute(select(dci_peer_key.c.id).where(
                dci_peer_key.c.sender_id == sender_id, dci_peer_key.c.kid == kid)).first()
            if exists is None:
                uow.conn.execute(insert(dci_peer_key).values(
                    sender_id=sender_id, kid=kid, public_x=x, created_at=utcnow(),
                    created_by=by[:64]))
            else:
                uow.conn.execute(update(dci_peer_key).where(dci_peer_key.c.id == exists.id)
                                 .values(revoked_at=None))
            uow.commit()
        return kid

    def peer_public_key(self, sender_id: str, kid: str) -> str | None:
        """The public ``x`` of a peer's non-revoked key, or None."""
        with self._uow() as uow:
            row = uow.conn.execute(select(dci_peer_key.c.public_x).where(
                dci_peer_key.c.sender_id == sender_id, dci_peer_key.c.kid == kid,
                dci_peer_key.c.revoked_at.is_(None))).first()
        return None if row is None else str(row.public_x)

    def peer(self, sender_id: str) -> Peer:
        """A registered, active peer; NotFound otherwise."""
        with self._uow() as uow:
            row = uow.conn.execute(select(dci_peer).where(
                dci_peer.c.sender_id == sender_id, dci_peer.c.active)).first()
        if row is None:
            raise NotFound(f"no registered DCI peer {sender_id!r}")
        secret = (self.ctx.cipher.decrypt(row.client_secret_enc, SECRET_CONTEXT)
                  if row.client_secret_enc is not None else None)
        return Peer(row.sender_id, row.base_url, row.client_id, secret)

    def peers(self) -> list[dict[str, Any]]:
        with self._uow() as uow:
            rows = uow.conn.execute(select(dci_peer.c.sender_id, dci_peer.c.base_url,
                                           dci_peer.c.client_id, dci_peer.c.inbound_client,
                                           dci_peer.c.active)
                                    .order_by(dci_peer.c.sender_id)).mappings().all()
            keys = uow.conn.execute(select(dci_peer_key.c.sender_id, dci_peer_key.c.kid).where(
                dci_peer_key.c.revoked_at.is_(None))).all()
        out = [dict(r) for r in rows]
        for item in out:
            item["kids"] = [k.kid for k in keys if k.sender_id == item["sender_id"]]
        return out
