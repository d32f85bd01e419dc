"""Whole-column identifier handling gives exactly what the one-value functions give."""

from __future__ import annotations

import base64
import os
import random

import polars as pl
import pytest

from spmis.crypto import DecryptionError, FieldCipher
from spmis.registry.identifier_columns import (
    blind_index_many,
    encrypt_many,
    normalise_column,
    phone_e164,
)
from spmis.registry.identifiers import normalise, parse_cambodian_phone
from spmis.registry.model import IdentifierType
from spmis.synth.generator import PHONE_PREFIXES


def _phones(n: int) -> list[str]:
    rnd = random.Random(7)
    out = []
    for _ in range(n):
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(6, 11)))
        prefix = rnd.choice([*PHONE_PREFIXES, "0", "02", "023", "019", "+855", "+855 ", "855",
                             "(012) ", "+1 ", "00855", "+8550", ""])
        sep = rnd.choice(["", " ", "-", ".", "  "])
        out.append(prefix + sep + digits[:3] + sep + digits[3:])
    out += ["012 345 678", "+855 12 345 678", "097 1234 567", "abc", "+855", "0", "012-345-678",
            "+85512345678", "ZZ", "012 345 6789", "023 123 456", "1800 12 3456", "०१२३४५६७८"]
    return out


def test_phone_column_matches_phonenumbers() -> None:
    values = _phones(4000)
    got = phone_e164(pl.Series(values)).to_list()
    want = [parse_cambodian_phone(v) for v in values]
    assert got == want
    assert sum(g is not None for g in got) > 500  # the sample has many valid numbers


def test_phone_column_keeps_nulls() -> None:
    assert phone_e164(pl.Series([None, "012 345 678"], dtype=pl.String)).to_list() == [
        None, "+85512345678"]


@pytest.mark.parametrize("id_type", [t for t in IdentifierType if t is not IdentifierType.PHONE])
def test_other_identifiers_match_model(id_type: IdentifierType) -> None:
    values = ["123 456 789", "12-345-6789", "1234567890", "12345678", "abc12", "ab 12-34",
              "x/1234", "A", "bc-2020/01", "១២៣៤៥៦៧៨៩", "A" * 40, "A" * 41, "a\tb c", "-123"]
    got = normalise_column(id_type, pl.Series(values)).to_list()
    assert got == [normalise(id_type, v) for v in values]


def test_bulk_crypto_matches_field_cipher() -> None:
    key = base64.b64encode(os.urandom(32)).decode()

    class S:
        encryption_keys = f"k1:{key}"
        blind_index_key = base64.b64encode(os.urandom(32)).decode()

    cipher = FieldCipher.from_settings(S())  # type: ignore[arg-type]
    values = ["123456789", "+85512345678", "987654321"]
    assert blind_index_many(cipher, values, "national_id") == [
        cipher.blind_index(v, "national_id") for v in values]
    sealed = encrypt_many(cipher, values, "phone")
    assert [cipher.decrypt(b, "phone") for b in sealed] == values
    assert len({b[3:15] for b in sealed}) == len(values)  # a fresh nonce each


@pytest.mark.parametrize("key_bytes", [1, 32, 63, 64, 65, 200])
def test_bulk_keyed_hash_is_hmac_for_any_key_length(key_bytes: int) -> None:
    """The hand-keyed HMAC (inner and outer states set up once) equals ``hmac`` for keys
    shorter than, equal to and longer than SHA-256's block."""
    class S:
        encryption_keys = f"k1:{base64.b64encode(os.urandom(32)).decode()}"
        blind_index_key = base64.b64encode(os.urandom(key_bytes)).decode()

    cipher = FieldCipher.from_settings(S())  # type: ignore[arg-type]
    values = ["", "123456789", "ក្រុម", "x" * 300]
    assert blind_index_many(cipher, values, "phone") == [
        cipher.blind_index(v, "phone") for v in values]


def test_decrypt_many_reads_every_key_of_the_ring_and_refuses_what_does_not_verify() -> None:
    old, new = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))

    class Before:
        encryption_keys = f"k1:{old}"
        blind_index_key = base64.b64encode(os.urandom(32)).decode()

    class After(Before):
        encryption_keys = f"k2:{new},k1:{old}"

    before = FieldCipher.from_settings(Before())  # type: ignore[arg-type]
    after = FieldCipher.from_settings(After())  # type: ignore[arg-type]
    blobs = [before.encrypt("012345678", "payment_account"),
             after.encrypt("098765432", "payment_account"),
             before.encrypt("ក្រុម", "payment_account")]
    assert after.decrypt_many(blobs, "payment_account") == ["012345678", "098765432", "ក្រុម"]
    assert after.decrypt_many([], "payment_account") == []
    with pytest.raises(DecryptionError):  # bound to its context
        after.decrypt_many(blobs, "national_id")
    with pytest.raises(DecryptionError):  # a key the ring does not hold
        before.decrypt_many(blobs, "payment_account")
