"""The three-part date of every form (issue 13, item 18): read into an ISO date, or an error
naming the part at fault in English and Khmer."""

from __future__ import annotations

from datetime import date

import pytest

from spmis.errors import FieldError
from spmis.pagekit import dates


def test_three_parts_become_the_iso_date_and_khmer_digits_count() -> None:
    data, errors = dates.read({"members-0-date_of_birth-day": "៣",
                               "members-0-date_of_birth-month": "12",
                               "members-0-date_of_birth-year": "1998", "sex": "F"})
    assert errors == [] and data == {"members-0-date_of_birth": "1998-12-03", "sex": "F"}


def test_an_empty_date_is_absent_and_a_posted_iso_date_is_kept() -> None:
    assert dates.read({"x-day": "", "x-month": "", "x-year": ""}) == ({}, [])
    assert dates.read({"x": "1998-12-03"}) == ({"x": "1998-12-03"}, [])


@pytest.mark.parametrize(("day", "month", "year", "code", "en", "km"), [
    ("31", "2", "1998", "date_invalid", "February 1998 has no day 31: check the day",
     "ខែកុម្ភៈ ឆ្នាំ១៩៩៨ គ្មានថ្ងៃទី ៣១ ទេ៖ សូមពិនិត្យថ្ងៃ"),
    ("3", "", "1998", "date_incomplete", "give the day, the month and the year",
     "សូមបំពេញថ្ងៃ ខែ និងឆ្នាំ"),
    ("32", "1", "1998", "date_day", "the day must be a number from 1 to 31",
     "ថ្ងៃត្រូវតែជាលេខពី ១ ដល់ ៣១"),
    ("3", "13", "1998", "date_month", "choose the month from the list", "សូមជ្រើសរើសខែពីបញ្ជី"),
    ("3", "12", "98", "date_year", "the year must have 4 digits, for example 1998",
     "ឆ្នាំត្រូវមាន ៤ ខ្ទង់ ឧទាហរណ៍ ១៩៩៨"),
])
def test_a_wrong_date_names_the_part(day: str, month: str, year: str, code: str, en: str,
                                     km: str) -> None:
    data, errors = dates.read({"members-0-date_of_birth": "1998-12-03",
                               "members-0-date_of_birth-day": day,
                               "members-0-date_of_birth-month": month,
                               "members-0-date_of_birth-year": year})
    assert data == {}
    assert errors == [FieldError(("members", "0", "date_of_birth"), code, en, km)]


def test_the_form_shows_what_was_typed_else_the_record() -> None:
    assert dates.parts({"x": date(1998, 12, 3)}, "x") == ("3", "12", "1998")
    assert dates.parts({"x": "1998-12-03", "x-day": "31", "x-month": "2", "x-year": ""}, "x") \
        == ("31", "2", "")
    assert dates.parts({}, "x") == ("", "", "")


def test_a_schema_error_about_a_date_already_named_is_dropped() -> None:
    mine = [FieldError(("members", "0", "date_of_birth"), "date_day", "a", "b")]
    theirs = [FieldError(("body", "members", 0, "date_of_birth"), "missing", "c", "d"),
              FieldError(("members", 0, "sex"), "missing", "e", "f")]
    assert dates.without_fields(theirs, mine) == theirs[1:]
