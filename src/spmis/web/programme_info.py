"""What the public reads about each programme beyond its name (which comes from the rules
catalogue): who may get it, what it gives, and how and where to apply. English msgids, marked
with ``N_`` for extraction and translated when shown."""

from __future__ import annotations

from dataclasses import dataclass

from spmis.pagekit.texts import N_


@dataclass(frozen=True)
class ProgrammeInfo:
    who: str
    what: str
    how: str


HOW_ASSISTANCE = N_(
    "Ask at your commune or sangkat office or your village chief. Households are assessed for "
    "an IDPoor (Equity) card; with the card, the programme enrols the household and pays "
    "through the bank or wallet named on the card."
)
HOW_SECURITY = N_(
    "Your employer registers you with the National Social Security Fund (NSSF) and declares your "
    "wage each month. Claim at the NSSF provincial office or through your employer, with your "
    "NSSF card."
)
HOW_HEALTH_VISITS = N_(
    "Register at your health centre with your IDPoor card (or NSSF card). Each visit the health "
    "centre records counts for a payment."
)

INFO: dict[str, ProgrammeInfo] = {
    "covid19_cash_transfer": ProgrammeInfo(
        N_("Households with an IDPoor card, level 1 or 2."),
        N_("A monthly amount per household, plus an amount for each member and more for "
           "children under 5, older people, people with disabilities and people living with "
           "HIV. The amounts depend on where the household lives."),
        HOW_ASSISTANCE,
    ),
    "inflation_cash_transfer": ProgrammeInfo(
        N_("Households with an IDPoor card, paid in three monthly phases."),
        N_("A monthly amount per household and per member, higher in Phnom Penh and towns."),
        HOW_ASSISTANCE,
    ),
    "flood_cash_transfer": ProgrammeInfo(
        N_("Households with an IDPoor card living in a flood-hit area."),
        N_("US dollars per household and per member, each month for three months."),
        HOW_ASSISTANCE,
    ),
    "pregnant_child_cash_transfer": ProgrammeInfo(
        N_("Pregnant women and children under 2 in households with an IDPoor card; since "
           "August 2023 also NSSF members and civil servants."),
        N_("A payment for each antenatal and child health visit, and a larger payment at "
           "delivery (more for twins)."),
        HOW_HEALTH_VISITS,
    ),
    "family_package_base": ProgrammeInfo(
        N_("Households with an IDPoor card, or with a member living with HIV (from 2024)."),
        N_("A monthly base payment for the household."),
        HOW_ASSISTANCE,
    ),
    "family_package_scholarship": ProgrammeInfo(
        N_("Pupils in primary and secondary school in households with an IDPoor card who "
           "attend at least four school days in five."),
        N_("A monthly scholarship for each pupil, higher in upper secondary school."),
        N_("Ask at the school; the school checks attendance and lists the pupils."),
    ),
    "family_package_disability": ProgrammeInfo(
        N_("People with a disability in households with an IDPoor card."),
        N_("A monthly allowance for each person with a disability."),
        HOW_ASSISTANCE,
    ),
    "family_package_elderly": ProgrammeInfo(
        N_("People aged 60 or more in households with an IDPoor card."),
        N_("A monthly allowance for each person aged 60 or more."),
        HOW_ASSISTANCE,
    ),
    "nssf_contributions": ProgrammeInfo(
        N_("Every worker of an enterprise with one or more workers, and the employer."),
        N_("Contributions for occupational risk, health care and pension, as a share of the "
           "wage; they open the right to the NSSF benefits below."),
        HOW_SECURITY,
    ),
    "nssf_childbirth_allowance": ProgrammeInfo(
        N_("NSSF members who give birth (since August 2023)."),
        N_("A one-off allowance at birth, more for twins and triplets."),
        HOW_SECURITY,
    ),
    "nssf_visit_allowance": ProgrammeInfo(
        N_("NSSF members who are pregnant or have just given birth."),
        N_("An allowance for each antenatal, postnatal and vaccination visit, up to 14 visits."),
        HOW_SECURITY,
    ),
    "nssf_maternity_allowance": ProgrammeInfo(
        N_("NSSF members on maternity leave."),
        N_("Part of the wage for each day of maternity leave, up to 90 days."),
        HOW_SECURITY,
    ),
    "nssf_injury_temporary_allowance": ProgrammeInfo(
        N_("NSSF members injured at work or on the way to work."),
        N_("Part of the average daily wage for each day unable to work, from the second day."),
        HOW_SECURITY,
    ),
    "nssf_old_age_pension": ProgrammeInfo(
        N_("NSSF members aged 60 or more with at least 12 months of pension contributions."),
        N_("A pension paid twice a month, based on the average wage and the years of "
           "contributions."),
        HOW_SECURITY,
    ),
    "nssf_pension_refund": ProgrammeInfo(
        N_("NSSF members aged 60 or more with fewer than 12 months of pension contributions."),
        N_("A one-off refund of the contributions paid."),
        HOW_SECURITY,
    ),
}

GENERIC = ProgrammeInfo(
    N_("See the programme's rules."), N_("See the programme's rules."), HOW_ASSISTANCE
)


def info(programme_id: str) -> ProgrammeInfo:
    return INFO.get(programme_id, GENERIC)


KIND_LABELS = {
    "social_assistance": N_("Social assistance"),
    "social_security": N_("Social security"),
}
PAYMENT_LABELS = {
    "monthly": N_("each month"),
    "per_visit": N_("per health visit"),
    "one_off": N_("once"),
    "daily": N_("per day"),
    "contribution": N_("contribution each month"),
}
