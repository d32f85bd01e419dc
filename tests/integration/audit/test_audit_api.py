"""Who reads the audit trail: anyone the daily roots, auditors (and administrators) the entries
and the full check; other staff get 403."""

from __future__ import annotations

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService


def _household(ctx: AppContext) -> None:
    RegistryService(ctx).create_household(s.HouseholdCreate.model_validate({
        "village_code": "12010101", "members": [{
            "relationship": "head", "family_name_latin": "Sok", "given_name_latin": "Dara",
            "sex": "F", "date_of_birth": "1988-04-12"}]}), SYSTEM)


def test_roots_are_public_and_entries_for_auditors(ctx: AppContext, client, auth_client) -> None:  # type: ignore[no-untyped-def]
    _household(ctx)
    roots = client.get("/api/v1/audit/roots").json()
    assert len(roots) == 1 and roots[0]["last_seq"] >= 2 and len(roots[0]["root_hash"]) == 64
    assert client.get("/api/v1/audit/entries").status_code == 401
    assert auth_client("registrar").get("/api/v1/audit/entries").status_code == 403
    auditor = auth_client("auditor")
    roots = client.get("/api/v1/audit/roots").json()  # the staff accounts made are entries too
    entries = auditor.get("/api/v1/audit/entries", params={"limit": 1}).json()
    assert len(entries) == 1 and entries[0]["seq"] == roots[0]["last_seq"]
    assert entries[0]["entity_type"] == "staff_user"
    assert auditor.get("/api/v1/audit/entries", params={"limit": 0}).status_code == 422
    verdict = auditor.get("/api/v1/audit/verify").json()
    assert verdict["ok"] and verdict["head_hash"] == roots[0]["root_hash"]
    page = client.get("/transparency/audit")
    assert page.status_code == 200 and roots[0]["root_hash"] in page.text
