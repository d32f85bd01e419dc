"""Field encryption for identifiers (national ID, phone): AES-256-GCM with a key ring, and a keyed
hash (HMAC-SHA256 "blind index") for exact look-up without decrypting.

Ciphertext layout: ``key_id`` (utf-8) + b"$" + 12-byte nonce + AES-GCM ciphertext+tag. The key id
lets old rows be read after a new key is put first in the ring; ``spmis keys rotate`` re-encrypts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spmis.config import Settings

NONCE_BYTES = 12


class DecryptionError(ValueError):
    """Ciphertext is corrupt or was made with a key not in the ring."""


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts, decrypts and blind-indexes identifier values."""

    keys: dict[str, bytes]
    primary: str
    index_key: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        ring: dict[str, bytes] = {}
        primary = ""
        for part in settings.encryption_keys.split(","):
            part = part.strip()
            if not part:
                continue
            kid, _, b64 = part.partition(":")
            ring[kid] = base64.b64decode(b64)
            primary = primary or kid
        return cls(ring, primary, base64.b64decode(settings.blind_index_key))

    def encrypt(self, value: str, context: str) -> bytes:
        """Encrypt ``value``; ``context`` (e.g. 'national_id') is bound as associated data."""
        return self.encrypt_bytes(value.encode(), context)

    def decrypt(self, blob: bytes, context: str) -> str:
        return self.decrypt_bytes(blob, context).decode()

    def encrypt_bytes(self, data: bytes, context: str) -> bytes:
        """Encrypt raw bytes (e.g. a block of a file) in the same layout as ``encrypt``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.primary]).encrypt(nonce, data, context.encode())
        return self.primary.encode() + b"$" + nonce + sealed

    def decrypt_bytes(self, blob: bytes, context: str) -> bytes:
        kid, sep, rest = bytes(blob).partition(b"$")
        key = self.keys.get(kid.decode(errors="replace"))
        if not sep or key is None:
            raise DecryptionError("unknown key id")
        try:
            return AESGCM(key).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], context.encode())
        except Exception as exc:  # cryptography raises InvalidTag
            raise DecryptionError("ciphertext does not verify") from exc

    def decrypt_many(self, blobs: Sequence[bytes], context: str) -> list[str]:
        """``decrypt(b, context)`` for each blob, with one AES-GCM key object per key id (a
        payroll page decrypts thousands of account numbers; setting the key up again for
        each was a third of the time)."""
        aad = context.encode()
        ciphers: dict[bytes, AESGCM] = {}
        out = []
        for blob in blobs:
            kid, sep, rest = bytes(blob).partition(b"$")
            aead = ciphers.get(kid)
            if aead is None:
                key = self.keys.get(kid.decode(errors="replace"))
                if not sep or key is None:
                    raise DecryptionError("unknown key id")
                aead = ciphers[kid] = AESGCM(key)
            try:
                out.append(aead.decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], aad).decode())
            except Exception as exc:  # cryptography raises InvalidTag
                raise DecryptionError("ciphertext does not verify") from exc
        return out

    def key_id_of(self, blob: bytes) -> str:
        return bytes(blob).partition(b"$")[0].decode(errors="replace")

    def blind_index(self, value: str, context: str) -> str:
        """Keyed hash of a normalised value, hex; equal values give equal hashes per context."""
        mac = hmac.new(self.index_key, f"{context}\x1f{value}".encode(), hashlib.sha256)
        return mac.hexdigest()
