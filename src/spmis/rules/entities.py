"""OpenFisca entities: a ``person`` and the ``household`` they belong to.

A household has at most one ``head`` and any number of ``member``s. The fund's enterprise is not an
entity here: contributions are computed per person from the person's declared monthly wage.
"""

from __future__ import annotations

from openfisca_core.entities import build_entity

Person = build_entity(
    key="person",
    plural="persons",
    label="A person (registry person or fund member)",
    doc="Every person in the registry; fund members are persons with ``nssf_member`` true.",
    is_person=True,
)

Household = build_entity(
    key="household",
    plural="households",
    label="A household",
    doc="A household as registered by the commune/sangkat; IDPoor level is held here.",
    roles=[
        {"key": "head", "plural": "heads", "label": "Head", "max": 1},
        {"key": "member", "plural": "members", "label": "Member"},
    ],
)

entities = [Household, Person]
