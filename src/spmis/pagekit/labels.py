"""People-facing names of the registry's codes (English msgids, translated in templates)."""

from __future__ import annotations

from spmis.gazetteer import Gazetteer
from spmis.pagekit.texts import N_

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
    "enumerator": N_("Enumerator (IDPoor questionnaire)"),
    "metrics": N_("Monitoring client (metrics only)"),
    "employer": N_("Employer (one enterprise at the fund)"),
}
STATUS_LABELS = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "active": N_("Active"),
    "merged": N_("Merged into another record"),
}
LEVEL_LABELS = {
    "province": N_("Province or capital"),
    "district": N_("District, municipality or khan"),
    "commune": N_("Commune or sangkat"),
    "village": N_("Village"),
}
ACTION_LABELS = {
    "create": N_("Registered"),
    "update": N_("Corrected"),
    "import": N_("Imported"),
    "merge": N_("Merged"),
    "unmerge": N_("Merge undone"),
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


#: the label of each form field (the last part of its name), for the error summary: a message
#: about a field the page does not show still names it (``forms.FormErrors.summary``)
FIELD_LABELS = {
    "province": N_("Province or capital"),
    "district": N_("District, municipality or khan"),
    "commune": N_("Commune or sangkat"),
    "village": N_("Village"),
    "village_code": N_("Village"),
    "address_detail": N_("House number, street or landmark"),
    "idpoor_level": N_("IDPoor level"),
    "idpoor_card_number": N_("IDPoor card number"),
    "idpoor_valid_from": N_("Card valid from"),
    "idpoor_valid_to": N_("Card valid until"),
    "members": N_("Members"),
    "relationship": N_("Relationship to the head"),
    "family_name_km": N_("Family name in Khmer"),
    "given_name_km": N_("Given name in Khmer"),
    "family_name_latin": N_("Family name in Latin letters"),
    "given_name_latin": N_("Given name in Latin letters"),
    "sex": N_("Sex"),
    "date_of_birth": N_("Date of birth"),
    "dob_estimated": N_("The date of birth is estimated"),
    "disability": N_("Has a disability"),
    "functional_difficulties": N_("Kinds of disability"),
    "pregnant": N_("Pregnant"),
    "expected_delivery_date": N_("Expected delivery date"),
    "occupation": N_("Occupation"),
    "employment_type": N_("Work"),
    "enterprise_id": N_("Enterprise"),
    "external_key": N_("Key in the source file"),
    "identifiers": N_("Identifiers"),
    "reason": N_("Reason"),
    "expected_version": N_("Version of the record"),
    "username": N_("User name"),
    "full_name": N_("Full name"),
    "scope": N_("Area code"),
    "roles": N_("Roles"),
    "password": N_("New password"),
    "password_again": N_("The same password again"),
    "file": N_("File"),
    "age": N_("Age in years"),
    "school_level": N_("School"),
    "employment": N_("Work"),
    "monthly_wage_khr": N_("Monthly wage in riel"),
    "nssf_contribution_months": N_("Months of NSSF pension contributions"),
    # grievances
    "category": N_("What is the complaint about?"),
    "description": N_("Tell us what happened"),
    "name": N_("Name"),
    "phone": N_("Phone number"),
    "ticket": N_("Ticket number"),
    "pin": N_("PIN"),
    "kind": N_("Is it an appeal against a decision?"),
    "channel": N_("How did it come in?"),
    "decision_kind": N_("Which decision?"),
    "decision_ref": N_("Reference of the decision"),
    "decided_by": N_("Decided by"),
    "outcome": N_("Outcome of the appeal"),
    "satisfaction": N_("Your answer"),
    "contact_reason": N_("Reason"),
    # the fund's claims
    "member_number": N_("Member number"),
    "claim_kind": N_("Kind of claim"),
    "event_date": N_("Day of the event"),
    "leave_days": N_("Days of maternity leave"),
    "babies": N_("Babies born"),
    "visits": N_("Visits"),
    "incapacity_days": N_("Days of incapacity"),
    "claimant_name": N_("Survivor who claims (survivors' pension)"),
    "documents": N_("Documents"),
}


def field_label(name: str) -> tuple[int | None, str | None]:
    """(person number, label msgid) of a form field name: ``members-0-identifiers-phone`` ->
    ``(1, "Phone")``; ``reason-12`` (a field of request 12) -> ``(None, "Reason")``; the label
    is None for a name no table knows."""
    parts = name.split("-")
    person = None
    if len(parts) > 2 and parts[0] == "members" and parts[1].isdigit():
        person = int(parts[1]) + 1
        parts = parts[2:]
    while len(parts) > 1 and parts[-1].isdigit():
        parts = parts[:-1]
    if parts[0] == "identifiers" and len(parts) > 1:
        return person, IDENTIFIER_LABELS.get(parts[1])
    return person, FIELD_LABELS.get(parts[0])
