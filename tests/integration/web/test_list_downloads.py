"""The lists' downloads (``/office/households.csv|.xlsx``, ``/office/people.csv|.xlsx``) hold
the whole list: they stopped silently at 10,000 rows. The CSV is streamed page by page, the XLSX
written row by row into an owner-only file that is deleted once sent; every row is in the access
log; only the reader's area. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from spmis.auth.model import SYSTEM
from spmis.auth.store import access_log
from spmis.context import AppContext
from spmis.registry.fileformat import HOUSEHOLD_COLUMNS
from spmis.registry.importer import import_households

HOME, OTHER = "12010101", "01020101"
MANY = 10_050  # more than the old cap of 10,000


def _registry(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HOUSEHOLD_COLUMNS)
        w.writeheader()
        for i in range(MANY + 3):
            w.writerow({"household_key": f"H{i}", "village_code": HOME if i < MANY else OTHER,
                        "person_key": f"P{i}", "relationship": "head",
                        "family_name_latin": "Keo", "given_name_latin": "Dara", "sex": "F",
                        "date_of_birth": "1980-01-01"})
    assert import_households(ctx, path, SYSTEM, progress=False).people_created == MANY + 3


def test_a_download_holds_the_whole_list(ctx: AppContext, tmp_path: Path,
                                         auth_client: Any) -> None:
    _registry(ctx, tmp_path)
    registrar = auth_client("registrar", "12")
    html = {"accept": "text/html", "cookie": "spmis_lang=en"}
    got = registrar.get("/office/households.csv", headers=html)
    assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Household number" and len(rows) == MANY + 1
    assert len({r[0] for r in rows[1:]}) == MANY  # each once
    people = registrar.get("/office/people.xlsx?name=Keo", headers=html)
    assert people.status_code == 200
    sheet = load_workbook(io.BytesIO(people.content), read_only=True).active
    assert sheet is not None
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == MANY + 1
    assert list((Path(ctx.settings.var_dir) / "exports").iterdir()) == []  # sent and deleted
    with ctx.engine.connect() as conn:
        logged = dict(conn.execute(select(access_log.c.reason, func.count()).group_by(
            access_log.c.reason)).all())
    assert logged["web export households.csv"] == MANY
    assert logged["web export people.xlsx"] == MANY
    refused = registrar.get("/office/people.csv?name=", headers=html)  # before anything is sent
    assert refused.status_code == 422
