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
    ON_TIME = "payments_on_time"
    LATE = "payments_late"
    GRIEVANCES = "grievances_received"
    RESOLVED = "grievances_resolved"
    RESOLVED_ON_TIME = "grievances_resolved_on_time"
    GRIEVANCE_DAYS = "grievance_median_days"
    FUND_MEMBERS = "fund_members"
    FUND_CONTRIBUTORS = "fund_workers_contributed_for"
    FUND_CONTRIBUTIONS = "fund_contributions_due"
    FUND_EMPLOYERS = "fund_employers_invoiced"
    FUND_COLLECTED = "fund_contributions_collected"
    FUND_ARREARS = "fund_arrears"


#: (English, Khmer) name of each indicator
TITLES = {
    Indicator.PEOPLE: ("People registered", "ចំនួនមនុស្សដែលបានចុះបញ្ជី"),
    Indicator.HOUSEHOLDS: ("Households registered (by sex of the head)",
                           "ចំនួនគ្រួសារដែលបានចុះបញ្ជី (តាមភេទមេគ្រួសារ)"),
    Indicator.BENEFICIARIES: ("Beneficiaries paid", "អ្នកទទួលផលដែលបានទទួលប្រាក់"),
    Indicator.AMOUNT: ("Amount paid", "ទឹកប្រាក់ដែលបានបើក"),
    Indicator.FAILED: ("Payments failed or returned", "ការទូទាត់បរាជ័យ ឬត្រូវបានបង្វិលត្រឡប់"),
    Indicator.ON_TIME: ("Payments settled by their due date", "ការទូទាត់ទាន់ពេលកំណត់"),
    Indicator.LATE: ("Payments settled after their due date", "ការទូទាត់យឺតពេលកំណត់"),
    Indicator.GRIEVANCES: ("Complaints and appeals received", "បណ្តឹង និងបណ្តឹងឧទ្ធរណ៍ដែលបានទទួល"),
    Indicator.RESOLVED: ("Complaints and appeals resolved", "បណ្តឹង និងបណ្តឹងឧទ្ធរណ៍ដែលបានដោះស្រាយ"),
    Indicator.RESOLVED_ON_TIME: ("Complaints and appeals resolved by their deadline",
                                 "បណ្តឹង និងបណ្តឹងឧទ្ធរណ៍ដែលបានដោះស្រាយទាន់ពេលកំណត់"),
    Indicator.GRIEVANCE_DAYS: ("Median days to resolve a complaint or appeal",
                               "ចំនួនថ្ងៃមេដ្យានដើម្បីដោះស្រាយបណ្តឹង ឬបណ្តឹងឧទ្ធរណ៍"),
    Indicator.FUND_MEMBERS: ("Members of the social security fund",
                             "សមាជិកនៃមូលនិធិជាតិរបបសន្តិសុខសង្គម"),
    Indicator.FUND_CONTRIBUTORS: ("Workers contributed for", "កម្មករដែលបានបង់ភាគទាន"),
    Indicator.FUND_CONTRIBUTIONS: ("Contributions due", "ភាគទានត្រូវបង់"),
    Indicator.FUND_EMPLOYERS: ("Employers invoiced", "និយោជកដែលបានចេញវិក្កយបត្រ"),
    Indicator.FUND_COLLECTED: ("Contributions collected", "ភាគទានដែលបានប្រមូល"),
    Indicator.FUND_ARREARS: ("Contributions overdue (arrears)", "ភាគទានហួសកាលកំណត់ (ជំពាក់)"),
}
#: every other indicator counts people (suppressed under the threshold); an amount takes the
#: suppression pattern of the people it was paid to
AMOUNT_OF = {Indicator.AMOUNT: Indicator.BENEFICIARIES,
             Indicator.FUND_CONTRIBUTIONS: Indicator.FUND_CONTRIBUTORS,
             Indicator.FUND_COLLECTED: Indicator.FUND_EMPLOYERS,
             Indicator.FUND_ARREARS: Indicator.FUND_EMPLOYERS}
#: a median is no sum: its cells and its total (province ``all``) are computed, not added up, and
#: each is withheld where the count it is the median of is
MEDIAN_OF = {Indicator.GRIEVANCE_DAYS: Indicator.RESOLVED}
#: marks a total in a published row: all provinces, both sexes
ALL = "all"
SEXES = ("F", "M")
#: the sex of a grievance's complainant is not recorded
NOT_RECORDED = "U"


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
