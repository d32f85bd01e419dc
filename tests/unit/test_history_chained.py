"""Every history entry reaches the audit chain (issue 16): ``change_log`` is written only through
``spmis.db.history`` (which queues each entry on the chain), or by a bulk writer that queues its
entries itself (listed here with the function that does it)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "spmis"
#: bulk writers of change_log and what chains their entries
CHAINED_ELSEWHERE = {"registry/importer.py": "_chain_log"}
WRITES = re.compile(r"insert\(\s*change_log\b|store\.insert\(\s*change_log\b")


def test_change_log_is_written_only_where_entries_are_chained() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "db/history.py" or rel.startswith("db/migrations/"):
            continue
        text = path.read_text(encoding="utf-8")
        if WRITES.search(text) and CHAINED_ELSEWHERE.get(rel, "\0") not in text:
            offenders.append(rel)
    assert offenders == [], f"write change_log through spmis.db.history: {offenders}"


def test_the_check_sees_a_direct_write() -> None:
    assert WRITES.search("conn.execute(insert(change_log).from_select(cols, rows))")
