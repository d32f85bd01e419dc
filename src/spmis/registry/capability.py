"""Manifest of the registry capability: households, people and enterprises, their personal data
(reveal, consent) and merges."""

from spmis.auth.role_sets import (
    API,
    READ_REGISTRY,
    REVEAL,
    WRITE_CONSENT,
    WRITE_ENTERPRISES,
    WRITE_HOUSEHOLDS,
)
from spmis.manifest import Capability, Command

CAPABILITY = Capability(
    name="registry",
    routers=("spmis.registry.api:router", "spmis.registry.personal_api:router"),
    commands=(Command("spmis.registry.cli:app"),),
    tables=("spmis.registry.store",),
    approval_kinds=("spmis.registry.service",),
    encrypted_columns=("spmis.registry.store:ENCRYPTED_COLUMNS",),
    access={
        # households
        ("POST", f"{API}/households"): WRITE_HOUSEHOLDS,
        ("GET", f"{API}/households"): READ_REGISTRY,
        ("GET", f"{API}/households/{{household_id}}"): READ_REGISTRY,
        ("PATCH", f"{API}/households/{{household_id}}"): WRITE_HOUSEHOLDS,
        ("POST", f"{API}/households/{{household_id}}/members"): WRITE_HOUSEHOLDS,
        ("POST", f"{API}/households/{{household_id}}/members/{{person_id}}/move"):
            WRITE_HOUSEHOLDS,
        ("POST", f"{API}/households/{{household_id}}/split"): WRITE_HOUSEHOLDS,
        ("POST", f"{API}/households/{{household_id}}/head"): WRITE_HOUSEHOLDS,
        ("GET", f"{API}/households/{{household_id}}/history"): READ_REGISTRY,
        # people
        ("GET", f"{API}/persons"): READ_REGISTRY,
        ("GET", f"{API}/persons/{{person_id}}"): READ_REGISTRY,
        ("PATCH", f"{API}/persons/{{person_id}}"): WRITE_HOUSEHOLDS,
        ("GET", f"{API}/persons/{{person_id}}/history"): READ_REGISTRY,
        # personal data: reveal (logged), consent
        ("POST", f"{API}/persons/{{person_id}}/reveal"): REVEAL,
        ("GET", f"{API}/persons/{{person_id}}/consents"): READ_REGISTRY,
        ("POST", f"{API}/persons/{{person_id}}/consents"): WRITE_CONSENT,
        # enterprises
        ("POST", f"{API}/enterprises"): WRITE_ENTERPRISES,
        ("GET", f"{API}/enterprises"): READ_REGISTRY,
        ("GET", f"{API}/enterprises/{{enterprise_id}}"): READ_REGISTRY,
        ("PATCH", f"{API}/enterprises/{{enterprise_id}}"): WRITE_ENTERPRISES,
        ("GET", f"{API}/enterprises/{{enterprise_id}}/history"): READ_REGISTRY,
    },
)
