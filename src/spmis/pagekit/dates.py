"""One date input for every form (issue 13, item 18): a day, a month chosen by its name and a
year, so that no one reads 03/12/1998 in the browser's order. A field ``X`` arrives as
``X-day``, ``X-month`` and ``X-year``; ``read`` turns them into the ISO date the services take,
or into an error naming the part at fault, in English and Khmer. A client that posts ``X``
itself as ``YYYY-MM-DD`` (a script, the integration tests) is left as it is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import get_month_names

from spmis.errors import FieldError

PARTS = ("day", "month", "year")
_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_TO_KHMER = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
MONTHS_EN = dict(get_month_names("wide", locale="en"))
MONTHS_KM = dict(get_month_names("wide", locale="km"))


def month_names(locale: str) -> list[tuple[int, str]]:
    """(number, name) of the twelve months in ``locale``, for the month list."""
    names = MONTHS_KM if locale == "km" else MONTHS_EN
    return [(n, names[n]) for n in range(1, 13)]


def parts(form: Mapping[str, Any], name: str) -> tuple[str, str, str]:
    """What the three parts of ``name`` show: as typed (a form sent back with an error), else
    split from an ISO date (a form filled from the record), else empty."""
    typed = tuple(str(form.get(f"{name}-{p}") or "") for p in PARTS)
    if any(f"{name}-{p}" in form for p in PARTS):
        return typed  # type: ignore[return-value]
    value = form.get(name)
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return ("", "", "")
        return (str(day.day), str(day.month), str(day.year))
    return ("", "", "")


def _number(text: str) -> int | None:
    digits = text.strip().translate(_KHMER_DIGITS)
    return int(digits) if digits.isdigit() else None


def _error(name: str, code: str, en: str, km: str) -> FieldError:
    return FieldError(tuple(name.split("-")), code, en, km)


def parse(name: str, day: str, month: str, year: str) -> date | FieldError | None:
    """The date of the three parts; None when all are empty; else the error about them."""
    if not (day.strip() or month.strip() or year.strip()):
        return None
    d, m, y = _number(day), _number(month), _number(year)
    if not (day.strip() and month.strip() and year.strip()):
        return _error(name, "date_incomplete", "give the day, the month and the year",
                      "សូមបំពេញថ្ងៃ ខែ និងឆ្នាំ")
    if d is None or not 1 <= d <= 31:
        return _error(name, "date_day", "the day must be a number from 1 to 31",
                      "ថ្ងៃត្រូវតែជាលេខពី ១ ដល់ ៣១")
    if m is None or not 1 <= m <= 12:
        return _error(name, "date_month", "choose the month from the list",
                      "សូមជ្រើសរើសខែពីបញ្ជី")
    if y is None or not 1000 <= y <= 9999:
        return _error(name, "date_year", "the year must have 4 digits, for example 1998",
                      "ឆ្នាំត្រូវមាន ៤ ខ្ទង់ ឧទាហរណ៍ ១៩៩៨")
    try:
        return date(y, m, d)
    except ValueError:
        return _error(
            name, "date_invalid", f"{MONTHS_EN[m]} {y} has no day {d}: check the day",
            f"ខែ{MONTHS_KM[m]} ឆ្នាំ{y} គ្មានថ្ងៃទី {d} ទេ៖ សូមពិនិត្យថ្ងៃ".translate(_TO_KHMER),
        )


def read(form: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """The form's fields with each three-part date joined into its ISO ``name`` (a date left
    empty or wrong is absent), and an error for each wrong one."""
    out = {k: v for k, v in form.items() if not _is_part(k)}
    errors = []
    for name in sorted({k.rsplit("-", 1)[0] for k in form if _is_part(k)}):
        value = parse(name, *(str(form.get(f"{name}-{p}") or "") for p in PARTS))
        out.pop(name, None)
        if isinstance(value, FieldError):
            errors.append(value)
        elif value is not None:
            out[name] = value.isoformat()
    return out, errors


def _is_part(key: str) -> bool:
    return "-" in key and key.rsplit("-", 1)[1] in PARTS


def without_fields(errors: list[FieldError], of: list[FieldError]) -> list[FieldError]:
    """``errors`` less those about a field that ``of`` already names (a date the form could not
    read is also "missing" to the schema: one message is enough)."""
    locs = {_tail(o.loc) for o in of}
    return [e for e in errors if _tail(e.loc) not in locs]


def _tail(loc: tuple[str | int, ...]) -> tuple[str, ...]:
    parts_ = [str(p) for p in loc]
    while parts_ and parts_[0] in {"body", "query"}:
        parts_ = parts_[1:]
    return tuple(parts_)
