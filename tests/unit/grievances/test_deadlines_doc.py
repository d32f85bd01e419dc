"""The grievance deadlines (and the payments' due dates the indicators use) are dated
parameters with their source, and docs/accountability.md shows the values in force: a changed
parameter file fails here until the page says the same (issue 16, item 4)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from spmis.grievances import parameters
from spmis.grievances.model import Category
from spmis.payments.schedule import due_date

DOC = Path(__file__).resolve().parents[3] / "docs" / "accountability.md"
TODAY = date(2026, 12, 6)


def test_every_deadline_is_in_the_docs_with_its_status() -> None:
    text = DOC.read_text(encoding="utf-8")
    escalated = parameters.escalated_days(TODAY)
    deadlines = parameters.all_deadlines(TODAY)
    assert set(deadlines) == {c.value for c in Category}
    for category, days in deadlines.items():
        row = re.search(rf"^\| `{category}` \| (\d+) \| (\d+) \|", text, re.M)
        assert row, f"docs/accountability.md has no row for `{category}`"
        assert (int(row[1]), int(row[2])) == (days.days, escalated.days), category
        # no legal source was found: the parameter says so, and so does the page
        assert days.reference.startswith("Unconfirmed"), days.reference
    assert escalated.reference.startswith("Unconfirmed")
    assert "unconfirmed" in text.split("## Grievances and appeals")[1].lower()


def test_the_payment_due_date_is_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    due = due_date("family_package", "2026-11")
    assert due.on == date(2026, 11, 30).fromordinal(date(2026, 11, 30).toordinal() + due.days)
    assert due.reference.startswith("Unconfirmed")
    assert re.search(rf"last day of the month paid for plus \*\*{due.days} days\*\*", text)
