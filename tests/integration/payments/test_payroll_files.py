"""Payroll files per provider (issue 14): the provider's layout as data, CSV and XLSX, formula-safe,
streamed a page at a time, every account read logged, KHQR strings for a provider that takes
them; only an approved cycle has a payroll."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from spmis.auth import access
from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.errors import Conflict, InvalidInput
from spmis.payments import payroll_files
from spmis.payments.accounts import set_account
from spmis.payments.delivery_store import payment_account
from spmis.payments.payroll_files import open_payroll, parse_reference
from spmis.payments.providers import EXAMPLE_LAYOUTS, ProviderLayout, add_provider
from tests.integration.payments.delivery_fixtures import (
    add_cycle,
    add_line,
    approved_cycle,
)

FINANCE = Actor("fin", frozenset({"finance_officer"}), "")


def _csv(ctx: AppContext, cycle_id: int, provider: str = "example_bank") -> list[list[str]]:
    pf = open_payroll(ctx, FINANCE, cycle_id, provider, "csv")
    data = b"".join(pf.chunks())
    layout = pf.provider.layout
    text = data.decode(layout.encoding)
    return list(csv.reader(io.StringIO(text), delimiter=layout.delimiter))


def test_bank_payroll_csv_in_the_layout_with_every_read_logged(ctx: AppContext) -> None:
    c = approved_cycle(ctx, 3)
    rows = _csv(ctx, c.cycle_id)
    assert rows[0] == ["Account Number", "Account Name", "Amount", "Currency", "Reference",
                       "Value Date"]
    assert len(rows) == 4
    assert rows[1][0] == "000123450000" and rows[1][1] == "Sok Dara"
    assert rows[1][2] == "80000" and rows[1][3] == "KHR"
    assert parse_reference(rows[1][4]) == (c.lines[0], 1)
    assert rows[1][5].count("/") == 2  # the layout's day/month/year
    with ctx.engine.connect() as conn:
        logged = access.read_log(conn, actor="fin", entity_type="payment_account")
        accounts = set(conn.execute(select(payment_account.c.id)).scalars())
    assert {e.entity_id for e in logged} == accounts and len(logged) == 3
    assert all("payroll of cycle" in e.reason for e in logged)
    # one statement per page logs every read with what was read, when and from where
    assert {(e.fields, e.client_address, e.at) for e in logged} == {
        ("account", "payroll", logged[0].at)}


def test_xlsx_payroll_is_formula_safe(ctx: AppContext) -> None:
    c = approved_cycle(ctx, 2, names=[("=HYPERLINK(\"http://x\")", "A"), ("@SUM(1)", "B")])
    pf = open_payroll(ctx, FINANCE, c.cycle_id, "example_bank", "xlsx")
    wb = load_workbook(io.BytesIO(b"".join(pf.chunks())))
    ws = wb["payroll"]
    names = [ws.cell(row=r, column=2).value for r in (2, 3)]
    assert names == ["'=HYPERLINK(\"http://x\") A", "'@SUM(1) B"]
    assert all(ws.cell(row=r, column=2).data_type == "s" for r in (2, 3))
    assert ws.cell(row=2, column=3).value == 80000
    rows = _csv(ctx, c.cycle_id)
    assert rows[1][1].startswith("'=") and rows[2][1].startswith("'@")


def test_wallet_payroll_has_a_khqr_string_in_riel(ctx: AppContext) -> None:
    c = approved_cycle(ctx, 2, provider="example_wallet")
    pf = open_payroll(ctx, FINANCE, c.cycle_id, "example_wallet", "csv")
    data = b"".join(pf.chunks())
    assert data.startswith(b"\xef\xbb\xbf")  # the layout's utf-8-sig
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["wallet_id", "holder", "amount_khr", "ref", "month", "khqr"]
    qr = rows[1][5]
    assert qr.startswith("000201010212")  # EMV payload format, dynamic QR
    assert "person0@wing" in qr
    assert "5303116" in qr  # transaction currency: 116 = riel
    assert "540580000" in qr  # amount 80000, 5 characters
    assert _crc_ok(qr)


def _crc_ok(qr: str) -> bool:
    body, crc = qr[:-4], qr[-4:]
    value = 0xFFFF
    for byte in body.encode():
        value ^= byte << 8
        for _ in range(8):
            value = ((value << 1) ^ 0x1021) if value & 0x8000 else value << 1
            value &= 0xFFFF
    return f"{value:04X}" == crc


def test_payroll_is_streamed_a_page_at_a_time(ctx: AppContext, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(payroll_files, "PAGE", 2)
    c = approved_cycle(ctx, 5)
    pf = open_payroll(ctx, FINANCE, c.cycle_id, "example_bank", "csv")
    chunks = list(pf.chunks())
    assert len(chunks) >= 3  # one per page of 2 lines, each written out before the next read
    assert pf.lines == 5 and pf.amount == 5 * 80_000


def test_only_unsettled_lines_of_an_approved_cycle_and_one_provider_each(
        ctx: AppContext) -> None:
    c = approved_cycle(ctx, 3)
    add_line(ctx, c.cycle_id, c.programme_id, c.beneficiaries[0], c.households[0],
             component="paid_before", state="paid")
    # the third beneficiary moves to the wallet: the bank's payroll no longer has them
    set_account(ctx, SYSTEM, c.beneficiaries[2], "example_wallet", "moved@wing", c.persons[2])
    bank = _csv(ctx, c.cycle_id)
    wallet = _csv(ctx, c.cycle_id, "example_wallet")
    assert len(bank) == 3 and len(wallet) == 2
    assert wallet[1][0] == "moved@wing"
    draft = add_cycle(ctx, c.programme_id, period="2026-12", state="draft")
    with pytest.raises(Conflict) as exc:
        open_payroll(ctx, FINANCE, draft, "example_bank", "csv")
    assert exc.value.msg_km
    from sqlalchemy import update

    from spmis.payments.store import payment_cycle
    with ctx.engine.begin() as conn:
        conn.execute(update(payment_cycle).where(payment_cycle.c.id == draft)
                     .values(state="pending_approval"))
    with pytest.raises(Conflict):
        open_payroll(ctx, FINANCE, draft, "example_bank", "csv")
    with pytest.raises(InvalidInput):
        open_payroll(ctx, FINANCE, c.cycle_id, "example_bank", "pdf")


def test_a_provider_layout_is_checked_and_the_examples_say_they_are_examples(
        ctx: AppContext) -> None:
    for _, _, layout in EXAMPLE_LAYOUTS.values():
        assert layout.problems() == [] and layout.example
        assert "not the official" in layout.note
    bad = ProviderLayout(account_type="cheque", takes_khqr=False,
                         payroll_columns=(("A", "account"), ("A", "colour")),
                         result_columns={"reference": "Ref"}, status_words={"OK": "maybe"},
                         encoding="klingon", date_format="%c")
    with pytest.raises(InvalidInput) as exc:
        add_provider(ctx, SYSTEM, "bad_bank", "Bad", "អាក្រក់", bad)
    codes = {(e.loc[-1], e.code) for e in exc.value.errors}
    assert ("account_type", "unknown") in codes and ("encoding", "unknown") in codes
    assert ("payroll_columns", "unknown_field") in codes
    assert ("payroll_columns", "missing_field") in codes
    assert ("status_words", "outcomes") in codes and ("date_format", "unknown") in codes
    assert all(e.msg_km for e in exc.value.errors)


def test_an_account_must_fit_the_providers_type(ctx: AppContext) -> None:
    c = approved_cycle(ctx, 1)
    with pytest.raises(InvalidInput) as exc:
        set_account(ctx, SYSTEM, c.beneficiaries[0], "example_bank", "12ab", c.persons[0])
    assert exc.value.errors[0].loc == ("account",) and exc.value.errors[0].msg_km
    with pytest.raises(InvalidInput):
        set_account(ctx, SYSTEM, c.beneficiaries[0], "example_wallet", "0001234", c.persons[0])
    with ctx.engine.connect() as conn:
        enc = conn.execute(select(payment_account.c.account_enc)).scalar_one()
    assert b"000123450000" not in enc  # stored encrypted
