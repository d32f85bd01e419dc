"""Identifier handling shared by the service and the importer: normalise, encrypt, blind-index,
mask. Encrypted types (national ID, phone) are never stored in clear."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from spmis.crypto import FieldCipher
from spmis.registry.model import ENCRYPTED_IDENTIFIERS, IdentifierType, normalise_identifier


def parse_cambodian_phone(text: str) -> str | None:
    """E.164 form (+855...) of a valid Cambodian number, else None."""
    try:
        number = phonenumbers.parse(text, "KH")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 855 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(id_type: IdentifierType, raw: str) -> str | None:
    """Canonical value of an identifier, or None when malformed."""
    return normalise_identifier(id_type, raw, parse_cambodian_phone)


@dataclass(frozen=True)
class StoredIdentifier:
    id_type: str
    value_hash: str
    value_enc: bytes | None
    value_clear: str | None


def seal(cipher: FieldCipher, id_type: IdentifierType, value: str) -> StoredIdentifier:
    """What goes into ``person_identifier`` for a normalised value."""
    digest = cipher.blind_index(value, id_type.value)
    if id_type in ENCRYPTED_IDENTIFIERS:
        return StoredIdentifier(id_type.value, digest, cipher.encrypt(value, id_type.value), None)
    return StoredIdentifier(id_type.value, digest, None, value)


def mask(value: str) -> str:
    """Show only the last 3 characters: '*******789'."""
    keep = 3 if len(value) > 4 else 1
    return "*" * (len(value) - keep) + value[-keep:]
