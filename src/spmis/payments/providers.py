"""Payment providers as data: who pays out, the layout of the payroll file they take and of the
result file they send back (columns, encoding, delimiter, date format), the kind of account
identifier they pay to and whether they take a KHQR payment string.

Two layouts ship as examples (``EXAMPLE_LAYOUTS``): they show the shape of the data and are
NOT any bank's or wallet's official format; a real provider's layout is entered from its own
specification (``spmis payments provider add``, ``POST /api/v1/payments/providers``).
"""

from __future__ import annotations

import codecs
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.history import audit_values, log_change
from spmis.errors import Conflict, FieldError, InvalidInput, NotFound
from spmis.payments.delivery_store import provider_layout
from spmis.payments.model import check_code
from spmis.payments.store import payment_provider

__all__ = [
    "EXAMPLE_LAYOUTS",
    "PAYROLL_FIELDS",
    "RESULT_FIELDS",
    "AccountType",
    "Provider",
    "ProviderLayout",
    "add_provider",
    "get_provider",
    "install_examples",
    "list_providers",
]


class AccountType(StrEnum):
    BANK_ACCOUNT = "bank_account"
    MOBILE_WALLET = "mobile_wallet"
    BAKONG = "bakong"  # a Bakong account id, "name@bank"


#: what a payroll file column may hold
PAYROLL_FIELDS = ("account", "name", "amount", "currency", "reference", "period", "value_date",
                  "programme", "khqr")
#: the columns a result file must have (``reason`` and ``amount`` may be absent)
RESULT_FIELDS = ("reference", "status", "date", "reason", "amount")
RESULT_REQUIRED = ("reference", "status", "date")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y%m%d")
OUTCOMES = ("paid", "failed")


@dataclass(frozen=True)
class ProviderLayout:
    """A provider's file layout. ``payroll_columns``: (header, field) in file order;
    ``result_columns``: field -> header of the result file; ``status_words``: the provider's
    word in the result file -> 'paid' or 'failed'."""

    account_type: str
    takes_khqr: bool
    payroll_columns: tuple[tuple[str, str], ...]
    result_columns: dict[str, str]
    status_words: dict[str, str]
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str = "%Y-%m-%d"
    khqr_city: str = "Phnom Penh"
    example: bool = False
    note: str = ""

    def problems(self, loc: tuple[str | int, ...] = ("layout",)) -> list[FieldError]:
        """What is wrong with the layout (none when it is usable)."""
        out: list[FieldError] = []

        def bad(where: str, code: str, en: str, km: str) -> None:
            out.append(FieldError((*loc, where), code, en, km))

        if self.account_type not in {a.value for a in AccountType}:
            bad("account_type", "unknown", "use bank_account, mobile_wallet or bakong",
                "សូមប្រើ bank_account, mobile_wallet ឬ bakong")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            bad("encoding", "unknown", f"unknown encoding {self.encoding!r}",
                f"មិនស្គាល់ការអ៊ិនកូដ {self.encoding!r}")
        if self.delimiter not in (",", ";", "\t", "|"):
            bad("delimiter", "unknown", "use , ; | or a tab", "សូមប្រើ , ; | ឬ tab")
        if self.date_format not in DATE_FORMATS:
            bad("date_format", "unknown", f"use one of {', '.join(DATE_FORMATS)}",
                f"សូមប្រើមួយក្នុងចំណោម {', '.join(DATE_FORMATS)}")
        fields = [f for _, f in self.payroll_columns]
        headers = [h for h, _ in self.payroll_columns]
        unknown = sorted(set(fields) - set(PAYROLL_FIELDS))
        if unknown:
            bad("payroll_columns", "unknown_field", f"unknown fields {unknown}; "
                f"known: {', '.join(PAYROLL_FIELDS)}",
                f"មិនស្គាល់វាល {unknown}; វាលដែលស្គាល់៖ {', '.join(PAYROLL_FIELDS)}")
        missing = [f for f in ("account", "name", "amount", "reference") if f not in fields]
        if missing:
            bad("payroll_columns", "missing_field", f"the payroll needs {', '.join(missing)}",
                f"បញ្ជីបើកប្រាក់ត្រូវការ {', '.join(missing)}")
        if len(set(headers)) != len(headers) or any(not h.strip() for h in headers):
            bad("payroll_columns", "headers", "each column needs its own non-empty header",
                "ជួរឈរនីមួយៗត្រូវមានចំណងជើងផ្ទាល់ខ្លួន មិនទទេ")
        if "khqr" in fields and not self.takes_khqr:
            bad("payroll_columns", "khqr", "a khqr column needs takes_khqr",
                "ជួរឈរ khqr ត្រូវការ takes_khqr")
        if sorted(set(self.result_columns) - set(RESULT_FIELDS)) or any(
                f not in self.result_columns for f in RESULT_REQUIRED):
            bad("result_columns", "fields", "give the headers of reference, status and date "
                "(reason and amount optional)",
                "សូមផ្តល់ចំណងជើងនៃ reference, status និង date (reason និង amount ស្រេចចិត្ត)")
        if not self.status_words or set(self.status_words.values()) - set(OUTCOMES):
            bad("status_words", "outcomes", "map each status word to paid or failed",
                "សូមផ្គូផ្គងពាក្យស្ថានភាពនីមួយៗទៅ paid ឬ failed")
        if not 1 <= len(self.khqr_city) <= 15 or not self.khqr_city.isascii():
            bad("khqr_city", "length", "1 to 15 Latin characters", "អក្សរឡាតាំង ១ ដល់ ១៥")
        return out

    def format_date(self, day: date) -> str:
        return day.strftime(self.date_format)

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["payroll_columns"] = [list(c) for c in self.payroll_columns]
        return row

    @classmethod
    def from_row(cls, row: Any) -> ProviderLayout:
        return cls(
            account_type=row["account_type"], takes_khqr=bool(row["takes_khqr"]),
            payroll_columns=tuple((str(h), str(f)) for h, f in row["payroll_columns"]),
            result_columns=dict(row["result_columns"]), status_words=dict(row["status_words"]),
            encoding=row["encoding"], delimiter=row["delimiter"],
            date_format=row["date_format"], khqr_city=row["khqr_city"],
            example=bool(row["example"]), note=row["note"])


@dataclass(frozen=True)
class Provider:
    id: int
    code: str
    name_en: str
    name_km: str
    layout: ProviderLayout = field(compare=False)


_EXAMPLE_NOTE = ("EXAMPLE layout shipped with SPMIS to show the shape of the data; it is not "
                 "the official file format of any bank or wallet")

#: code -> (English name, Khmer name, layout)
EXAMPLE_LAYOUTS: dict[str, tuple[str, str, ProviderLayout]] = {
    "example_bank": ("Example bank (bank account, CSV)", "ធនាគារគំរូ (គណនីធនាគារ CSV)",
                     ProviderLayout(
        account_type=AccountType.BANK_ACCOUNT, takes_khqr=False,
        payroll_columns=(("Account Number", "account"), ("Account Name", "name"),
                         ("Amount", "amount"), ("Currency", "currency"),
                         ("Reference", "reference"), ("Value Date", "value_date")),
        result_columns={"reference": "Reference", "status": "Status", "date": "Date",
                        "reason": "Reason", "amount": "Amount"},
        status_words={"SUCCESS": "paid", "FAILED": "failed"},
        encoding="utf-8", delimiter=",", date_format="%d/%m/%Y", example=True,
        note=_EXAMPLE_NOTE)),
    "example_wallet": ("Example wallet (Bakong account, KHQR)",
                       "កាបូបគំរូ (គណនីបាគង KHQR)", ProviderLayout(
        account_type=AccountType.BAKONG, takes_khqr=True,
        payroll_columns=(("wallet_id", "account"), ("holder", "name"), ("amount_khr", "amount"),
                         ("ref", "reference"), ("month", "period"), ("khqr", "khqr")),
        result_columns={"reference": "ref", "status": "result", "date": "paid_on",
                        "reason": "note"},
        status_words={"OK": "paid", "REJECTED": "failed"},
        encoding="utf-8-sig", delimiter=";", date_format="%Y-%m-%d", example=True,
        note=_EXAMPLE_NOTE)),
}


def _provider(row: Any) -> Provider:
    return Provider(row["id"], row["code"], row["name_en"], row["name_km"],
                    ProviderLayout.from_row(row))


def _query() -> Any:
    return select(payment_provider.c.id, payment_provider.c.code, payment_provider.c.name_en,
                  payment_provider.c.name_km, provider_layout).join(
        provider_layout, provider_layout.c.provider_id == payment_provider.c.id)


def list_providers(conn: Connection) -> list[Provider]:
    """Every provider with a layout, by code."""
    return [_provider(r) for r in conn.execute(
        _query().order_by(payment_provider.c.code)).mappings()]


def get_provider(conn: Connection, code: str) -> Provider:
    """The provider ``code``, or 404 (English and Khmer)."""
    row = conn.execute(_query().where(payment_provider.c.code == code)).mappings().first()
    if row is None:
        raise NotFound(f"no payment provider {code!r}", f"រកមិនឃើញអ្នកផ្តល់សេវាទូទាត់ {code!r}")
    return _provider(row)


def add_provider(ctx: AppContext, actor: Actor, code: str, name_en: str, name_km: str,
                 layout: ProviderLayout) -> Provider:
    """Record a provider and its layout (all checked first; nothing written on a problem)."""
    check_code(code, ("code",))
    errors = layout.problems()
    for loc, value in (("name_en", name_en), ("name_km", name_km)):
        if not 1 <= len(value.strip()) <= 200:
            errors.append(FieldError((loc,), "length", "give a name of 1 to 200 characters",
                                     "សូមផ្តល់ឈ្មោះពី ១ ដល់ ២០០ តួអក្សរ"))
    if errors:
        raise InvalidInput(errors)
    with ctx.engine.begin() as conn:
        if conn.execute(select(payment_provider.c.id)
                        .where(payment_provider.c.code == code)).first() is not None:
            raise Conflict(f"a payment provider {code!r} exists already",
                           f"អ្នកផ្តល់សេវាទូទាត់ {code!r} មានរួចហើយ")
        audit = audit_values(actor.username)
        pid = conn.execute(insert(payment_provider).values(
            code=code, name_en=name_en.strip(), name_km=name_km.strip(), **audit)
            .returning(payment_provider.c.id)).scalar_one()
        conn.execute(insert(provider_layout).values(provider_id=pid, **layout.as_row(), **audit))
        log_change(conn, "payment_provider", pid, 1, "create", actor.username, None,
                   {"code": code, "account_type": layout.account_type,
                    "takes_khqr": layout.takes_khqr})
        return get_provider(conn, code)


def install_examples(ctx: AppContext, actor: Actor) -> list[str]:
    """Add the example providers that are not there yet; returns the codes added."""
    with ctx.engine.connect() as conn:
        have = set(conn.execute(select(payment_provider.c.code)).scalars())
    added = []
    for code, (name_en, name_km, layout) in EXAMPLE_LAYOUTS.items():
        if code not in have:
            add_provider(ctx, actor, code, name_en, name_km, layout)
            added.append(code)
    return added
