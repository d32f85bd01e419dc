"""Who a person is: birth date, age, sex, disability, HIV, pregnancy, schooling, and the
household facts (IDPoor level, commune and its area type)."""

from __future__ import annotations

from datetime import date

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from spmis.rules.area_types import area_table
from spmis.rules.entities import Household, Person
from spmis.rules.variables.common import Array, Parameters, Period, Population

MONTH = DateUnit.MONTH
ETERNITY = DateUnit.ETERNITY


class Sex(Enum):
    unknown = "Unknown"
    female = "Female"
    male = "Male"


class SchoolLevel(Enum):
    none = "Not in school"
    primary = "Primary"
    lower_secondary = "Lower secondary"
    upper_secondary = "Upper secondary"


class AreaType(Enum):
    rural = "Rural"
    other_urban = "Other urban"
    phnom_penh = "Phnom Penh"


class date_of_birth(Variable):
    value_type = date
    entity = Person
    definition_period = ETERNITY
    label = "Date of birth"


class age_months(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in completed months on the first day of the month"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        dob = person("date_of_birth", period)
        start = np.datetime64(period.start.date, "D")
        dob_month = dob.astype("datetime64[M]")
        dob_day = (dob - dob_month.astype("datetime64[D]")).astype(np.int64) + 1
        months = (start.astype("datetime64[M]") - dob_month).astype(np.int64)
        return months - (dob_day > 1)


class age(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in completed years on the first day of the month"

    def formula(person: Population, period: Period, parameters: Parameters) -> Array:
        return person("age_months", period) // 12


class sex(Variable):
    value_type = Enum
    possible_values = Sex
    default_value = Sex.unknown
    entity = Person
    definition_period = ETERNITY
    label = "Sex"


class disability(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Has a disability"


class living_with_hiv(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Lives with HIV"


class pregnant(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Is pregnant"


class school_level(Variable):
    value_type = Enum
    possible_values = SchoolLevel
    default_value = SchoolLevel.none
    entity = Person
    definition_period = MONTH
    label = "Level of school attended"


class school_attendance_rate(Variable):
    value_type = float
    default_value = 1.0
    entity = Person
    definition_period = MONTH
    label = "Share of school days attended in the month (1.0 when not reported)"


class idpoor_level(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "IDPoor level of the household's Equity Card: 1 very poor, 2 poor, 0 none"


class commune_code(Variable):
    value_type = str
    max_length = 6
    entity = Household
    definition_period = ETERNITY
    label = "NCDD commune code of the household (6 digits)"


class area_type(Variable):
    value_type = Enum
    possible_values = AreaType
    default_value = AreaType.rural
    entity = Household
    definition_period = MONTH
    label = "Phnom Penh, other urban or rural, from the commune classification table"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        codes = household("commune_code", period)
        index = area_table().lookup(codes)
        # table order is AREA_TYPES = (phnom_penh, other_urban, rural); enum order is the reverse
        return AreaType.encode((2 - index).astype(np.int16))


class flood_affected(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Household lives in an area declared flood-hit"


class idpoor(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH
    label = "Household holds a valid IDPoor level 1 or 2 card"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        level = household("idpoor_level", period)
        return (level == 1) | (level == 2)


class household_size(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH
    label = "Number of members"

    def formula(household: Population, period: Period, parameters: Parameters) -> Array:
        return household.nb_persons()


VARIABLES = [
    date_of_birth, age_months, age, sex, disability, living_with_hiv, pregnant, school_level,
    school_attendance_rate, idpoor_level, commune_code, area_type, flood_affected, idpoor,
    household_size,
]
