"""The "am I eligible?" form and the screener request it describes.

The form is plain HTML that works without JavaScript: one fieldset per person, named
``members-<i>-<field>``, and buttons that post the whole form (``action=add``, ``remove-<i>``,
``refresh``, ``check``). htmx only swaps the people in place. This module turns the posted values
into rows of people (adding, removing, renumbering, leaving out empty ones), the rows into the
screener's request, and errors into the form's messages in page order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from spmis.errors import FieldError, InvalidInput
from spmis.pagekit import forms
from spmis.pagekit.texts import N_
from spmis.rules.screener import ScreenerRequest, current_period, validate

#: the most people the form takes (the screener itself takes 40); said next to "Add a person"
MOST_PEOPLE = 20
AREA_FIELDS = ("province", "district", "commune")
#: the fields of one person, in page order, with their labels (the template uses the same)
MEMBER_LABELS: dict[str, str] = {
    "age": N_("Age in years"),
    "sex": N_("Sex"),
    "pregnant": N_("Pregnant"),
    "disability": N_("Has a disability"),
    "school_level": N_("School"),
    "employment": N_("Work"),
    "nssf_member": N_("Member of the NSSF"),
    "monthly_wage_khr": N_("Monthly wage in riel"),
    "nssf_contribution_months": N_("Months of NSSF pension contributions"),
    "living_with_hiv": N_("Living with HIV"),
}
#: the person's fields behind "More about this person (optional)"
MORE_FIELDS = ("nssf_member", "monthly_wage_khr", "nssf_contribution_months", "living_with_hiv")
CHECKBOXES = ("pregnant", "disability", "nssf_member", "living_with_hiv")
#: what a select shows when nobody touched it (such a person is still empty)
UNTOUCHED = {"school_level": "none", "employment": "none"}
SEX_MISSING = ("choose female, male or not given", "សូមជ្រើសរើស ស្រី ប្រុស ឬមិនបញ្ជាក់")

Person = dict[str, str]


def people(form: Mapping[str, Any]) -> list[Person]:
    """The people of the posted form, each as {field: text} (at least one, at most
    ``MOST_PEOPLE``)."""
    out = []
    for i in range(forms.rows(form, most=MOST_PEOPLE)):
        person = {}
        for name in MEMBER_LABELS:
            value = form.get(f"members-{i}-{name}")
            if isinstance(value, str) and value.strip():
                person[name] = value.strip()
        out.append(person)
    return out


def is_empty(person: Person) -> bool:
    """Nothing typed or ticked for this person (untouched selects do not count)."""
    return all(UNTOUCHED.get(name) == value for name, value in person.items())


def with_people(form: Mapping[str, Any], rows: list[Person]) -> dict[str, str]:
    """The form's household answers with ``rows`` as its people, renumbered from 0."""
    data = {
        k: v for k, v in form.items()
        if isinstance(v, str) and not k.startswith("members-") and k not in {"rows", "action"}
    }
    for i, person in enumerate(rows):
        data.update({f"members-{i}-{name}": value for name, value in person.items()})
    data["rows"] = str(len(rows))
    return data


def removed_index(action: str | None) -> int | None:
    """The person a ``remove-<i>`` button names."""
    if action and action.startswith("remove-") and action[7:].isdigit():
        return int(action[7:])
    return None


def request_data(form: Mapping[str, Any], commune: str | None) -> dict[str, Any]:
    """The screener request described by the form (its people as they are)."""
    members = []
    for person in people(form):
        member: dict[str, Any] = {
            "age": forms.integer(person, "age"),
            "sex": person.get("sex") or "unknown",
            "school_level": person.get("school_level") or "none",
            "employment": person.get("employment") or "none",
        }
        for name in CHECKBOXES:
            member[name] = forms.flag(person, name)
        for name in ("monthly_wage_khr", "nssf_contribution_months"):
            value = forms.integer(person, name)
            if value is not None:
                member[name] = value
        members.append(member)
    idpoor = forms.integer(form, "idpoor_level")
    return {
        "idpoor_level": 0 if idpoor is None else idpoor,
        "commune_code": commune or "",
        "flood_affected": forms.flag(form, "flood_affected"),
        "members": members,
    }


def problems(form: Mapping[str, Any], commune: str | None
             ) -> tuple[ScreenerRequest | None, list[FieldError]]:
    """The screener request, or what is wrong with the form: the commune, each person's sex
    (a required choice), whatever the screener's schema refuses and the household checks of
    the screener (``screener.validate``)."""
    errors: list[FieldError] = []
    if commune is None:
        errors.append(FieldError(("commune",), "missing", "choose the commune or sangkat",
                                 "សូមជ្រើសរើសឃុំ ឬសង្កាត់"))
    for i, person in enumerate(people(form)):
        if not person.get("sex"):
            errors.append(FieldError(("members", i, "sex"), "missing", *SEX_MISSING))
    try:
        body = ScreenerRequest.model_validate(request_data(form, commune or "000000"))
    except ValidationError as exc:
        errors.extend(
            e for e in forms.pydantic_errors(exc, ScreenerRequest) if e.loc != ("commune_code",)
        )
        return None, errors
    try:  # the household's own checks too (a pregnant man...), so all is said at once
        validate(body, body.period or current_period())
    except InvalidInput as exc:
        errors.extend(e for e in exc.errors if commune or e.loc != ("body", "commune_code"))
    return (None if errors else body), errors


def page_order(rows: int) -> list[str]:
    """Every field name of the form, in the order the page shows them."""
    names = [*AREA_FIELDS, "idpoor_level", "flood_affected"]
    for i in range(rows):
        names += [f"members-{i}-{name}" for name in MEMBER_LABELS]
        names.append(f"members-{i}")
    return [*names, "members"]


def in_page_order(errors: forms.FormErrors, rows: int) -> forms.FormErrors:
    """The same messages in the order the page shows their fields (so the summary at the top
    reads down the page), with ``focus`` on the first field at fault."""
    order = page_order(rows)
    rank = {name: i for i, name in enumerate(order)}
    out = forms.FormErrors(sorted(errors.items(), key=lambda kv: rank.get(kv[0], len(order))))
    out.focus = next(iter(out), None)
    return out


def form_values(form: FormData | Mapping[str, Any]) -> dict[str, str]:
    """The posted text values (files and repeated keys left out)."""
    return {k: v for k, v in form.items() if isinstance(v, str)}
