"""People-facing names of the registry's codes (English msgids, translated in templates)."""

from __future__ import annotations

from spmis.reference.gazetteer import Gazetteer
from spmis.web.programme_info import N_

RELATIONSHIP_LABELS = {
    "head": N_("Head of household"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "child_in_law": N_("Son or daughter in law"),
    "grandchild": N_("Grandchild"),
    "parent": N_("Parent"),
    "parent_in_law": N_("Parent in law"),
    "sibling": N_("Brother or sister"),
    "other_relative": N_("Other relative"),
    "non_relative": N_("Not related"),
}
SEX_LABELS = {"F": N_("Female"), "M": N_("Male")}
IDENTIFIER_LABELS = {
    "national_id": N_("National ID card"),
    "idpoor_card": N_("IDPoor card"),
    "nssf_member": N_("NSSF member number"),
    "phone": N_("Phone"),
    "birth_certificate": N_("Birth certificate"),
}
ROLE_LABELS = {
    "admin": N_("Administrator"),
    "registrar": N_("Registrar"),
    "programme_officer": N_("Programme officer"),
    "approver": N_("Approver"),
    "finance_officer": N_("Finance officer"),
    "fund_officer": N_("Social security fund officer"),
    "grievance_officer": N_("Grievance officer"),
    "auditor": N_("Auditor"),
}
STATUS_LABELS = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "active": N_("Active"),
}
ACTION_LABELS = {
    "create": N_("Registered"),
    "update": N_("Corrected"),
}


def area_name(gaz: Gazetteer, code: str, locale: str) -> str:
    """'Village, Commune, District, Province' for a code (empty scope: the whole country)."""
    if not code:
        return N_("the whole country")
    parts = []
    for length in (8, 6, 4, 2):
        if len(code) >= length:
            unit = gaz.get(code[:length])
            if unit is not None:
                parts.append(unit.name_km if locale == "km" else unit.name_en)
    return ", ".join(parts) or code
