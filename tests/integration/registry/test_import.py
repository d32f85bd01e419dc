"""``spmis import`` / ``spmis export`` on SQLite and PostgreSQL: rejects with field and reason,
good rows kept, idempotent re-import, XLSX, export round trip, history, chunk boundaries, and the
same stored result as the API's use case."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from spmis.auth.model import SYSTEM, Actor
from spmis.auth.store import access_log, approval_request
from spmis.context import AppContext
from spmis.db.history import change_log
from spmis.errors import InvalidInput
from spmis.registry import schemas as s
from spmis.registry.exporter import export_households
from spmis.registry.fileformat import HOUSEHOLD_COLUMNS
from spmis.registry.importer import import_enterprises, import_households
from spmis.registry.service import RegistryService
from spmis.registry.store import (
    household,
    import_batch,
    person,
    person_identifier,
)
from spmis.synth.generator import generate

AS_OF = date(2026, 11, 22)
VILLAGE = "12010101"


def count(ctx: AppContext, table: Any, *where: Any) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where))
                   .scalar_one())


def row(hh: str, pk: str, rel: str = "head", **kw: str) -> dict[str, str]:
    base = {"household_key": hh, "village_code": VILLAGE, "person_key": pk,
            "relationship": rel, "family_name_latin": "Sok", "given_name_latin": "Dara",
            "family_name_km": "សុខ", "given_name_km": "តារា", "sex": "F",
            "date_of_birth": "1988-04-12"}
    base.update(kw)
    return base


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HOUSEHOLD_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def rejects_of(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {r["person_key"]: r for r in csv.DictReader(fh)}


@pytest.fixture
def synth_dir(tmp_path: Path) -> Path:
    out = tmp_path / "synth"
    generate(households=120, seed=3, out_dir=out, duplicate_share=0.1, as_of=AS_OF)
    return out


def load_synth(ctx: AppContext, folder: Path, **kw: Any) -> Any:
    import_enterprises(ctx, folder / "enterprises.csv", SYSTEM, progress=False)
    return import_households(ctx, folder / "households.csv", SYSTEM, progress=False, **kw)


def test_bad_rows_rejected_good_rows_kept(ctx: AppContext, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "first.csv", [row("H0", "P0", national_id="111222333")])
    assert import_households(ctx, first, SYSTEM, progress=False).people_created == 1
    rows = [
        row("H1", "P1a"), row("H1", "P1b", "child", phone="012 345 678", sex="M",
                              date_of_birth="2015-06-01"),
        row("H2", "P2", village_code="99999999"),                     # unknown village
        row("H3", "P3", date_of_birth="2023-02-30"),                  # impossible date
        row("H4", "P4a"), row("H4", "P4b", "head"),                   # second head
        row("H5", "P5", national_id="111 222 333"),                   # owned by P0: saved without
        row("H6", "P6a"), row("H6", "P6b", "spouse", phone="12345"),  # bad phone
        row("H7", "P7", sex="M", pregnant="yes", expected_delivery_date="2027-01-01"),
    ]
    path = write_csv(tmp_path / "batch.csv", rows)
    summary = import_households(ctx, path, SYSTEM, progress=False)
    assert (summary.households_created, summary.people_created) == (2, 3)
    assert summary.rows_rejected == 7 and summary.rows_read == 10 and summary.rows_held == 1
    rej = rejects_of(tmp_path / "batch.rejects.csv")
    assert rej["P2"]["error_field"] == "village_code"
    assert "gazetteer" in rej["P2"]["error_reason"]
    assert rej["P3"]["error_field"] == "date_of_birth"
    assert "YYYY-MM-DD" in rej["P3"]["error_reason"]
    assert rej["P4b"]["error_field"] == "relationship"
    assert "already has a head" in rej["P4b"]["error_reason"]
    assert rej["P4a"]["error_field"] == "household_key"  # rejected with its household
    assert rej["P5"]["error_field"] == "national_id"  # a notice: saved, the number for review
    assert "awaits a reviewer's decision" in rej["P5"]["error_reason"]
    assert "រង់ចាំការសម្រេច" in rej["P5"]["error_reason"]  # Khmer too
    assert rej["P6b"]["error_field"] == "phone"
    assert rej["P6a"]["error_field"] == "household_key"
    assert "row 10" in rej["P6a"]["error_reason"]
    assert rej["P7"]["error_field"] == "pregnant"
    assert rej["P2"]["source_row"] == "4"
    # the original row is kept in the reject file
    assert rej["P5"]["national_id"] == "111 222 333"
    assert count(ctx, person) == 4 and count(ctx, household) == 3
    with ctx.engine.connect() as conn:
        batch = conn.execute(select(import_batch).order_by(import_batch.c.id.desc())).mappings(
        ).first()
    assert batch is not None
    assert (batch["rows_read"], batch["rows_created"], batch["rows_rejected"]) == (10, 3, 7)


def test_nul_characters_are_rejected_by_field(ctx: AppContext, tmp_path: Path) -> None:
    """PostgreSQL cannot store a NUL in text: a row with one is rejected naming the field (the
    whole import used to stop with a driver error), the other rows are kept."""
    rows = [
        row("H1", "P1"),
        row("H2", "P2", address_detail="House\x001"),
        row("H3\x00", "P3"),                                     # a key: never looked up either
        row("H4", "P4a"), row("H4", "P4b", "child", occupation="seller\x00",
                              date_of_birth="2015-06-01"),
    ]
    path = write_csv(tmp_path / "nul.csv", rows)
    summary = import_households(ctx, path, SYSTEM, progress=False)
    assert (summary.people_created, summary.rows_rejected) == (1, 4)
    rej = rejects_of(tmp_path / "nul.rejects.csv")
    assert rej["P2"]["error_field"] == "address_detail"
    assert "NUL" in rej["P2"]["error_reason"]
    assert rej["P3"]["error_field"] == "household_key"
    assert rej["P4b"]["error_field"] == "occupation"
    assert rej["P4a"]["error_field"] == "household_key"  # with its household
    assert rej["P2"]["address_detail"] == "House\x001"  # the row as it was read


def test_reimport_is_idempotent(ctx: AppContext, synth_dir: Path) -> None:
    first = load_synth(ctx, synth_dir)
    assert first.rows_rejected == 0, (synth_dir / "households.rejects.csv").read_text()[:2000]
    people, logs = count(ctx, person), count(ctx, change_log)
    assert people == first.people_created == first.rows_read
    again = import_households(ctx, synth_dir / "households.csv", SYSTEM, progress=False)
    assert again.people_created == again.households_created == 0
    assert again.rows_unchanged == again.rows_read and again.rows_rejected == 0
    assert count(ctx, person) == people and count(ctx, change_log) == logs
    assert "unchanged" in str(again)


def test_changed_content_is_reported_not_applied(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", [row("H1", "P1", phone="012 345 678"),
                                          row("H1", "P2", "child", date_of_birth="2010-01-01")])
    import_households(ctx, path, SYSTEM, progress=False)
    changed = write_csv(tmp_path / "b.csv", [
        row("H1", "P1", phone="012 345 678", given_name_latin="Sophea"),
        row("H1", "P2", "child", date_of_birth="2010-01-01"),
        row("H1", "P3", "child", date_of_birth="2012-01-01"),
    ])
    summary = import_households(ctx, changed, SYSTEM, progress=False)
    assert (summary.people_created, summary.rows_unchanged, summary.rows_rejected) == (0, 1, 2)
    rej = rejects_of(tmp_path / "b.rejects.csv")
    assert rej["P1"]["error_field"] == "given_name_latin"
    assert "already imported with different content" in rej["P1"]["error_reason"]
    assert rej["P3"]["error_field"] == "household_key"
    with ctx.engine.connect() as conn:
        names = conn.execute(select(person.c.given_name_latin)).scalars().all()
    assert names == ["Dara", "Dara"]


def test_households_spanning_chunks(ctx: AppContext, synth_dir: Path) -> None:
    small = replace(ctx, settings=ctx.settings.model_copy(update={"import_chunk_rows": 100}))
    summary = load_synth(small, synth_dir)
    rows = pl.read_csv(synth_dir / "households.csv", infer_schema=False)
    assert summary.rows_rejected == 0
    assert summary.households_created == rows["household_key"].n_unique()
    assert summary.people_created == rows.height > 300


def test_xlsx_import(ctx: AppContext, synth_dir: Path, tmp_path: Path) -> None:
    rows = pl.read_csv(synth_dir / "households.csv", infer_schema=False)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(rows.columns))
    for r in rows.iter_rows():
        ws.append(list(r))
    ws.append([None] * len(rows.columns))  # trailing empty row, as spreadsheets have
    xlsx = tmp_path / "households.xlsx"
    wb.save(xlsx)
    import_enterprises(ctx, synth_dir / "enterprises.csv", SYSTEM, progress=False)
    summary = import_households(ctx, xlsx, SYSTEM, progress=False)
    assert summary.rows_rejected == 0
    assert summary.people_created == rows.height == count(ctx, person)


def test_export_round_trip(ctx: AppContext, synth_dir: Path, tmp_path: Path) -> None:
    load_synth(ctx, synth_dir)
    out = tmp_path / "export.csv"
    with pytest.raises(InvalidInput) as refused:
        export_households(ctx, out, SYSTEM, include_identifiers=True)
    assert refused.value.errors[0].field == "reason"
    exported = export_households(ctx, out, SYSTEM, include_identifiers=True,
                                 reason="transfer to the provincial office")
    source = pl.read_csv(synth_dir / "households.csv", infer_schema=False)
    with_ids = source.filter(pl.col("national_id").is_not_null() | pl.col("phone").is_not_null())
    with ctx.engine.connect() as conn:
        logged = conn.execute(select(access_log.c.entity_id, access_log.c.reason)).all()
    assert len(logged) == with_ids.height > 0
    assert {r.reason for r in logged} == {"transfer to the provincial office"}
    assert exported.rows == source.height
    back = pl.read_csv(out, infer_schema=False)
    assert tuple(back.columns) == HOUSEHOLD_COLUMNS
    key = ["household_key", "person_key"]
    same_cols = [c for c in HOUSEHOLD_COLUMNS if c != "phone"]
    assert back.select(same_cols).sort(key).equals(source.select(same_cols).sort(key))
    again = import_households(ctx, out, SYSTEM, progress=False)
    assert again.rows_unchanged == source.height and again.rows_rejected == 0
    # without --include-identifiers, national ID and phone are left empty
    masked = tmp_path / "masked.xlsx"
    export_households(ctx, masked, SYSTEM, area=VILLAGE[:2])
    from openpyxl import load_workbook

    book = load_workbook(masked, read_only=True)
    rows_read = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    nid = list(rows_read[0]).index("national_id")
    values = [r[nid] if len(r) > nid else None for r in rows_read[1:]]
    assert values and all(v is None for v in values)


def test_history_and_same_result_as_service(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "one.csv", [
        row("H1", "P1", national_id="123-456-789", phone="+855 12 345 678",
            disability="yes", functional_difficulties="walking;seeing", occupation="vendor",
            employment_type="informal"),
        row("H1", "P2", "child", sex="M", date_of_birth="2019-03-01",
            birth_certificate="bc-12/3456"),
    ])
    summary = import_households(ctx, path, SYSTEM, progress=False)
    assert summary.people_created == 2
    service = RegistryService(ctx)
    data = s.HouseholdCreate(village_code=VILLAGE, members=[
        s.MemberIn(relationship="head", family_name_latin="Sok", given_name_latin="Dara",
                   family_name_km="សុខ", given_name_km="តារា", sex="F",
                   date_of_birth=date(1988, 4, 12), disability=True,
                   functional_difficulties=["walking", "seeing"], occupation="vendor",
                   employment_type="informal",
                   identifiers={"national_id": "987654321", "phone": "012 345 679"}),
    ])
    created = service.create_household(data, SYSTEM)
    compare = [c.name for c in person.c if c.name not in {
        "id", "external_key", "household_id", "created_at", "updated_at", "created_by",
        "updated_by"}]
    with ctx.engine.connect() as conn:
        imported = conn.execute(select(person).where(person.c.external_key == "P1")).mappings(
        ).one()
        by_api = conn.execute(select(person).where(
            person.c.id == created.members[0].id)).mappings().one()
        idents = conn.execute(select(person_identifier).where(
            person_identifier.c.person_id == imported["id"])).mappings().all()
    assert {c: imported[c] for c in compare} == {c: by_api[c] for c in compare}
    stored = {i["id_type"]: i for i in idents}
    assert stored["national_id"]["value_clear"] is None
    assert ctx.cipher.decrypt(stored["national_id"]["value_enc"], "national_id") == "123456789"
    assert stored["national_id"]["value_hash"] == ctx.cipher.blind_index("123456789",
                                                                         "national_id")
    assert ctx.cipher.decrypt(stored["phone"]["value_enc"], "phone") == "+85512345678"
    # the API finds the imported person by identifier and shows the import in the history
    found = service.search_persons(SYSTEM, identifier_type=s.IdentifierType.NATIONAL_ID,
                                   identifier="123456789")
    assert [p.id for p in found.items] == [imported["id"]]
    history = service.history("person", imported["id"], SYSTEM)
    assert [h.action for h in history] == ["import"]
    assert history[0].changed_by == "system"
    assert f"import batch {summary.batch_id}" in (history[0].reason or "")
    assert history[0].changes["identifiers"] == ["national_id", "phone"]
    assert history[0].changes["date_of_birth"] == "1988-04-12"
    hh_history = service.history("household", imported["household_id"], SYSTEM)
    assert hh_history[0].changes["village_code"] == VILLAGE
    # empty fields and the codes derived from the village code are left out, as by the API
    assert "province_code" not in hh_history[0].changes
    assert "expected_delivery_date" not in history[0].changes
    api_history = service.history("person", created.members[0].id, SYSTEM)
    assert set(api_history[0].changes) == set(history[0].changes)
    for key in ("sex", "date_of_birth", "disability", "functional_difficulties", "occupation",
                "employment_type", "relationship", "identifiers", "family_name_latin"):
        assert history[0].changes[key] == api_history[0].changes[key], key
    assert count(ctx, change_log, change_log.c.action == "import") == 3


def test_scope_limits_rows(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [row("H1", "P1"),
                                          row("H2", "P2", village_code="01020101")])
    summary = import_households(ctx, path, Actor("registrar", frozenset({"registrar"}), "12"),
                                progress=False)
    assert summary.people_created == 1
    assert "outside your area" in rejects_of(tmp_path / "s.rejects.csv")["P2"]["error_reason"]


def test_enterprises_import(ctx: AppContext, synth_dir: Path, tmp_path: Path) -> None:
    first = import_enterprises(ctx, synth_dir / "enterprises.csv", SYSTEM, progress=False)
    assert first.enterprises_created > 0 and first.rows_rejected == 0
    again = import_enterprises(ctx, synth_dir / "enterprises.csv", SYSTEM, progress=False)
    assert again.rows_unchanged == first.rows_read and again.enterprises_created == 0
    with (synth_dir / "enterprises.csv").open(encoding="utf-8") as fh:
        held = next(r["tax_id"] for r in csv.DictReader(fh) if r.get("tax_id"))  # a number held
    bad = tmp_path / "ent.csv"
    bad.write_text("enterprise_key,name_latin,village_code,tax_id,sector\n"
                   f"E-NEW,New Co,12010101,{held},C\n"
                   "E-BAD,Bad Co,1201,,Z\n", encoding="utf-8")
    summary = import_enterprises(ctx, bad, SYSTEM, progress=False)
    assert (summary.rows_rejected, summary.rows_held, summary.enterprises_created) == (1, 1, 1)
    with (tmp_path / "ent.rejects.csv").open(encoding="utf-8") as fh:
        rej = {r["enterprise_key"]: r for r in csv.DictReader(fh)}
    assert rej["E-NEW"]["error_field"] == "tax_id"  # saved; the number another holds for review
    assert "awaits a reviewer's decision" in rej["E-NEW"]["error_reason"]
    assert set(rej["E-BAD"]["error_field"].split(";")) == {"village_code", "sector"}

    nul = tmp_path / "nul.csv"
    nul.write_text("enterprise_key,name_latin,village_code\n"
                   "E-N1\x00,One Co,12010101\nE-N2,Two\x00Co,12010101\nE-N3,Three Co,12010101\n",
                   encoding="utf-8")
    summary = import_enterprises(ctx, nul, SYSTEM, progress=False)
    assert (summary.enterprises_created, summary.rows_rejected) == (1, 2)
    with (tmp_path / "nul.rejects.csv").open(encoding="utf-8") as fh:
        assert [r["error_field"] for r in csv.DictReader(fh)] == ["enterprise_key", "name_latin"]


def test_cli_refuses_bad_input(ctx: AppContext, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from spmis.cli import app

    monkeypatch.setenv("SPMIS_DATABASE_URL", ctx.settings.database_url)
    runner = CliRunner()
    missing = runner.invoke(app, ["import", "households", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    txt = tmp_path / "x.txt"
    txt.write_text("a")
    wrong = runner.invoke(app, ["import", "households", str(txt)])
    assert wrong.exit_code == 2 and "unknown file type" in wrong.output
    cols = tmp_path / "cols.csv"
    cols.write_text("household_key,person_key\nH1,P1\n")
    short = runner.invoke(app, ["import", "households", str(cols)])
    assert short.exit_code == 2 and "village_code" in short.output
    assert "Traceback" not in short.output
    out = runner.invoke(app, ["export", "households", "--out", str(tmp_path / "e.json")])
    assert out.exit_code == 2 and "--out" in out.output


def test_parallel_chunks_clash_on_keys(ctx: AppContext, tmp_path: Path) -> None:
    """Chunks written at the same time still catch a national ID, a person key and a household
    key given again in a later chunk (the unique indexes fail the later transaction, which
    is checked again)."""
    rows = [row(f"H{i}", f"P{i}", national_id=f"{100000000 + i}") for i in range(450)]
    rows.append(row("H450", "P450", national_id="100000001"))  # P1's ID, other chunk
    rows.append(row("H451", "P2"))                              # P2 again
    rows.append(row("H3", "P999"))                              # H3 again, not contiguous
    path = write_csv(tmp_path / "p.csv", rows)
    small = replace(ctx, settings=ctx.settings.model_copy(update={"import_chunk_rows": 100}))
    summary = import_households(small, path, SYSTEM, progress=False, writers=3)
    assert summary.people_created == 451  # P450 without the number, which awaits a reviewer
    assert (summary.rows_rejected, summary.rows_held) == (2, 1)
    rej = rejects_of(tmp_path / "p.rejects.csv")
    assert rej["P450"]["error_field"] == "national_id"
    assert "awaits a reviewer's decision" in rej["P450"]["error_reason"]
    assert rej["P2"]["error_field"] == "household_key;national_id"  # stored in H2, with an ID
    assert rej["P999"]["error_field"] == "household_key"
    assert count(ctx, person) == 451
    # one request, though the chunk that found the clash may have been run again
    assert count(ctx, approval_request, approval_request.c.kind == "identifier_change") == 1


def test_file_broken_midway_keeps_what_came_before(ctx: AppContext, tmp_path: Path) -> None:
    from spmis.registry.fileformat import FileFormatError

    # 3,000 rows: Polars' streaming reader may parse a very small file whole and fail before
    # yielding any batch; at this size the break is always met after some batches were read
    rows = 3000
    path = write_csv(tmp_path / "broken.csv", [row(f"H{i}", f"P{i}") for i in range(rows)])
    with path.open("a", encoding="utf-8") as fh:
        fh.write('H999,"12010101,P999,head\n')
    small = replace(ctx, settings=ctx.settings.model_copy(update={"import_chunk_rows": 100}))
    with pytest.raises(FileFormatError, match="import it again") as info:
        import_households(small, path, SYSTEM, progress=False)
    assert "cannot be read as CSV" in str(info.value)
    stored = count(ctx, person)
    assert stored > 0
    path.write_text(path.read_text(encoding="utf-8").rsplit("H999", 1)[0], encoding="utf-8")
    again = import_households(small, path, SYSTEM, progress=False)
    assert again.rows_unchanged == stored and again.people_created == rows - stored
