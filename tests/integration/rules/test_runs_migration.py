"""Migration 0009 on a database that holds results in the old shape (one evaluation per month):
the stored rows become their runs' rows with the household id filled in, the pointers come from
the runs, and a downgrade gives back the current rows. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from spmis.db.engine import make_engine
from spmis.db.migrate import downgrade, upgrade
from tests.integration.rules.registry_seed import seed_registry

BEFORE = "0008_login_by_address"
AT = datetime(2026, 9, 1, tzinfo=UTC)


def _old_state(url: str) -> None:
    """Three old runs of 2026-08: 1 (all programmes, replaced by 2), 2 (all, current),
    3 (a reform: never current); rows as the old code left them (run 2's only)."""
    engine = make_engine(url)
    try:
        seed_registry(engine)
        with engine.begin() as conn:
            for run_id, programmes, reform in (
                (1, "family_package_base,nssf_contributions", None),
                (2, "family_package_base,nssf_contributions", None),
                (3, "family_package_base", "higher base"),
            ):
                conn.execute(text(
                    "INSERT INTO rules_run (id, period, programmes, reform, households, persons,"
                    " rows_written, started_at, finished_at, run_by) VALUES (:id, '2026-08', :p,"
                    " :r, 4, 8, 2, :at, :at, 'cli')"), {"id": run_id, "p": programmes,
                                                        "r": reform, "at": AT})
            conn.execute(text(
                "INSERT INTO rules_result (period, programme, entity, entity_id, eligible, amount,"
                " currency, run_id) VALUES ('2026-08', 'family_package_base', 'household', 3,"
                " :t, 28000, 'KHR', 2), ('2026-08', 'nssf_contributions', 'person', 21, :t,"
                " 5000, 'KHR', 2)"), {"t": True})
    finally:
        engine.dispose()


def test_old_results_become_their_runs_and_come_back(empty_db_url: str) -> None:
    upgrade(empty_db_url, BEFORE)
    _old_state(empty_db_url)
    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT run_id, household_id, programme, entity, entity_id, amount"
                " FROM rules_result ORDER BY programme")).all()
            pointers = conn.execute(text(
                "SELECT period, programme, run_id, set_by FROM rules_current"
                " ORDER BY programme")).all()
        assert [tuple(r) for r in rows] == [
            (2, 3, "family_package_base", "household", 3, 28_000),
            (2, 2, "nssf_contributions", "person", 21, 5_000),  # person 21 lives in household 2
        ]
        assert [tuple(p) for p in pointers] == [
            ("2026-08", "family_package_base", 2, "cli"),  # the reform run 3 is not current
            ("2026-08", "nssf_contributions", 2, "cli"),
        ]
        downgrade(empty_db_url, BEFORE)
        with engine.connect() as conn:
            back = conn.execute(text(
                "SELECT period, programme, entity, entity_id, amount, run_id FROM rules_result"
                " ORDER BY programme")).all()
        assert [tuple(r) for r in back] == [
            ("2026-08", "family_package_base", "household", 3, 28_000, 2),
            ("2026-08", "nssf_contributions", "person", 21, 5_000, 2),
        ]
        upgrade(empty_db_url)
    finally:
        engine.dispose()
