"""A forced restore over a PostgreSQL database whose ``fund_contribution`` has monthly partitions
(``pg_restore --clean`` alone fails on them: "cannot drop inherited constraint"): the backup's
rows come back in their partitions; a cut backup changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text

from spmis.backup import BackupError, backup, restore
from spmis.db.engine import make_engine
from spmis.db.migrate import upgrade
from spmis.fund import store
from tests.conftest import make_settings
from tests.integration.ops.test_backup_restore import whole_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]

ROW = {"employer_id": 1, "declaration_id": 3, "run_id": 1, "wage_khr": 500_000,
       "base_occupational": 500_000, "base_pension": 500_000, "occupational_risk": 4_000,
       "health_care_employer": 13_000, "health_care_worker": 0, "pension_employer": 10_000,
       "pension_worker": 10_000, "total": 37_000, "currency": "KHR"}


def _add(engine: Engine, period: str, person_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(store.fund_contribution).values(
            **ROW, period=period, person_id=person_id))


def _where(engine: Engine) -> list[tuple[str, int]]:
    """(the partition holding it, person) of every contribution."""
    with engine.connect() as conn:
        return [(str(t), int(p)) for t, p in conn.execute(text(
            "SELECT tableoid::regclass::text, person_id FROM fund_contribution "
            "ORDER BY person_id"))]


def test_a_forced_restore_brings_back_the_months_partitions(tmp_path: Path) -> None:
    with whole_database("postgres", tmp_path, "parts") as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE fund_contribution_2026_11 PARTITION OF "
                                  "fund_contribution FOR VALUES IN ('2026-11')"))
            _add(engine, "2026-11", 7)
            _add(engine, "2026-10", 8)
            backed_up = [("fund_contribution_2026_11", 7), ("fund_contribution_default", 8)]
            assert _where(engine) == backed_up
            dump = tmp_path / "b" / "spmis.dump"
            backup(make_settings(url, tmp_path / "var"), dump, tmp_path / "k" / "keys.json")
            _add(engine, "2026-11", 9)  # after the backup: gone with the restore
            engine.dispose()

            assert restore(url, dump, force=True) == "postgresql"
            assert _where(engine) == backed_up
            with engine.connect() as conn:  # the partitions are attached again, indexed
                assert conn.execute(text(
                    "SELECT count(*) FROM pg_inherits "
                    "WHERE inhparent = to_regclass('fund_contribution')")).scalar_one() == 2
                assert conn.execute(select(store.fund_contribution.c.person_id).where(
                    store.fund_contribution.c.person_id == 7)).scalar_one() == 7
            engine.dispose()

            # a cut backup: refused, and the database is as it was
            cut = tmp_path / "b" / "cut.dump"
            data = dump.read_bytes()
            cut.write_bytes(data[: len(data) * 2 // 3])
            with pytest.raises(BackupError):
                restore(url, cut, force=True)
            assert _where(engine) == backed_up
        finally:
            engine.dispose()
