"""SPMIS hashes passwords and grievance PINs with Argon2id at argon2-cffi's default cost (the
RFC 9106 low-memory profile), checked in a fresh interpreter: the tests' own process swaps in
the smallest cost (``light_argon2`` in tests/conftest.py), and this test is what keeps the
production cost from being lowered unnoticed."""

from __future__ import annotations

import json
import subprocess
import sys

from argon2 import Parameters, Type, extract_parameters, profiles

CHECK = """
import json
from spmis.auth import passwords
from spmis.grievances import pins
print(json.dumps([passwords.hash_secret("a long enough passphrase"), pins.hash_pin("123456"),
                  passwords._DUMMY_HASH, pins._DUMMY]))
"""


def test_production_hashes_use_argon2id_at_the_default_cost() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          check=True, timeout=120)
    production: Parameters = profiles.RFC_9106_LOW_MEMORY
    assert production.memory_cost == 65536 and production.time_cost == 3
    for stored in json.loads(done.stdout):
        found = extract_parameters(stored)
        assert found.type is Type.ID
        assert (found.time_cost, found.memory_cost, found.parallelism) == (
            production.time_cost, production.memory_cost, production.parallelism), stored
