"""The indicators SPMIS publishes, and how a table of them is laid out. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Indicator(StrEnum):
    PEOPLE = "people_registered"
    HOUSEHOLDS = "households_registered"
    BENEFICIARIES = "beneficiaries_paid"
    AMOUNT = "amount_paid"
    FAILED = "payments_failed"


#: (English, Khmer) name of each indicator
TITLES = {
    Indicator.PEOPLE: ("People registered", "ចំនួនមនុស្សដែលបានចុះបញ្ជី"),
    Indicator.HOUSEHOLDS: ("Households registered (by sex of the head)",
                           "ចំនួនគ្រួសារដែលបានចុះបញ្ជី (តាមភេទមេគ្រួសារ)"),
    Indicator.BENEFICIARIES: ("Beneficiaries paid", "អ្នកទទួលផលដែលបានទទួលប្រាក់"),
    Indicator.AMOUNT: ("Amount paid", "ទឹកប្រាក់ដែលបានបើក"),
    Indicator.FAILED: ("Payments failed or returned", "ការទូទាត់បរាជ័យ ឬត្រូវបានបង្វិលត្រឡប់"),
}
#: every other indicator counts people (suppressed under the threshold); an amount takes the
#: suppression pattern of the people it was paid to
AMOUNT_OF = {Indicator.AMOUNT: Indicator.BENEFICIARIES}
#: marks a total in a published row: all provinces, both sexes
ALL = "all"
SEXES = ("F", "M")


@dataclass(frozen=True)
class Cell:
    """One computed value at the finest level."""

    indicator: str
    programme: str
    period: str
    province_code: str
    sex: str
    currency: str
    value: int


@dataclass(frozen=True)
class Published:
    """One published value (a cell or a total); ``value`` is None when suppressed."""

    indicator: str
    programme: str
    period: str
    province_code: str  # a code, or ALL
    sex: str  # F, M or ALL
    currency: str
    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None
