"""The shared history core: an optimistic update bumps the version and logs the change in one
step; a stale read version is a 409 that changes and logs nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.db import chain, history
from spmis.errors import Conflict
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from spmis.registry.store import household


def _household(ctx: AppContext) -> int:
    out = RegistryService(ctx).create_household(s.HouseholdCreate.model_validate({
        "village_code": "12010101", "members": [{
            "relationship": "head", "family_name_latin": "Sok", "given_name_latin": "Dara",
            "sex": "F", "date_of_birth": "1988-04-12"}]}), SYSTEM)
    return out.id


def test_update_versioned_bumps_and_logs(ctx: AppContext) -> None:
    hid = _household(ctx)
    with ctx.engine.begin() as conn:
        version = history.update_versioned(
            conn, household, "household", hid, 1, {"address_detail": "near the pagoda"},
            action="update", by="clerk", reason="moved", changes={
                "address_detail": [None, "near the pagoda"]})
    assert version == 2
    with ctx.engine.connect() as conn:
        row = conn.execute(select(household).where(household.c.id == hid)).mappings().one()
        [created, updated] = history.entries(conn, "household", hid)
    assert (row["version"], row["updated_by"], row["address_detail"]) == (2, "clerk",
                                                                         "near the pagoda")
    assert (created["version"], created["action"]) == (1, "create")
    assert (updated["version"], updated["action"], updated["changed_by"]) == (2, "update", "clerk")
    assert updated["changed_at"] == row["updated_at"]
    assert updated["changes"] == {"address_detail": [None, "near the pagoda"]}


def test_stale_version_is_a_conflict_and_changes_nothing(ctx: AppContext) -> None:
    hid = _household(ctx)
    with ctx.engine.connect() as conn:
        logged = conn.scalar(select(func.count()).select_from(history.change_log))
    with pytest.raises(Conflict), ctx.engine.begin() as conn:
        history.update_versioned(conn, household, "household", hid, 7, {"address_detail": "x"},
                                 action="update", by="clerk", reason=None, changes={})
    with ctx.engine.connect() as conn:
        row = conn.execute(select(household).where(household.c.id == hid)).mappings().one()
        assert conn.scalar(select(func.count()).select_from(history.change_log)) == logged
    assert (row["version"], row["address_detail"]) == (1, None)


def test_next_version_numbers_a_record_without_version_column(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        assert history.next_version(conn, "staff_user", 99) == 1
        history.log_change(conn, "staff_user", 99, 1, "create", "admin", None, {})
        assert history.next_version(conn, "staff_user", 99) == 2


def test_an_entity_type_longer_than_16_characters_is_logged_and_chained(ctx: AppContext) -> None:
    """Three entity types already used all 16 characters the column had (migration 0025 widens
    it to 64 in the log and in the audit chain); on PostgreSQL a 17th was refused."""
    name = "payment_enrolment_run"  # 21 characters
    with ctx.engine.begin() as conn:
        history.log_change(conn, name, 1, 1, "create", "clerk", None, {"a": [None, 1]})
    with ctx.engine.connect() as conn:
        [entry] = history.entries(conn, name, 1)
        chained = conn.scalar(select(func.count()).select_from(chain.audit_entry).where(
            chain.audit_entry.c.entity_type == name))
    assert (entry["entity_type"], entry["version"]) == (name, 1)
    assert chained == 1
