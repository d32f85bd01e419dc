"""Every field a registry form can get a message about has a label, so the error summary names it
even when the page shows no field for it (forms.FormErrors.summary)."""

from __future__ import annotations

import pytest

from spmis.pagekit.forms import FormErrors
from spmis.pagekit.labels import field_label
from spmis.registry import schemas as s

SCHEMAS = (s.HouseholdCreate, s.HouseholdUpdate, s.MemberIn, s.PersonUpdate)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda c: c.__name__)
def test_every_input_field_has_a_label(schema) -> None:  # type: ignore[no-untyped-def]
    unlabelled = [f for f in schema.model_fields if field_label(f)[1] is None]
    assert not unlabelled


def test_a_member_field_is_named_with_its_person() -> None:
    assert field_label("members-2-expected_delivery_date") == (3, "Expected delivery date")
    assert field_label("members-0-identifiers-phone") == (1, "Phone")
    assert field_label("members-0-functional_difficulties-1") == (1, "Kinds of disability")
    assert field_label("reason-12") == (None, "Reason")
    assert field_label("no_such_field") == (None, None)


def test_the_summary_marks_messages_the_page_does_not_show() -> None:
    errors = FormErrors({"members-0-sex": "choose", "members-0-occupation": "too long"})
    html = '<p class="field-error" id="members-0-sex-error">choose</p>'
    assert errors.missing_from(html) == {"members-0-occupation"}
    errors.not_at_field = errors.missing_from(html)
    items = {i.name: i for i in errors.summary()}
    assert items["members-0-sex"].at_field and not items["members-0-occupation"].at_field
    assert items["members-0-occupation"].label == "Occupation"


def test_a_page_may_name_a_field_itself() -> None:
    errors = FormErrors({"lines-1-wage": "wage: cannot be negative", "period": "bad month"})
    errors.named["lines-1-wage"] = "Wage of Chan Sophea"
    items = {i.name: i for i in errors.summary()}
    assert items["lines-1-wage"].named == "Wage of Chan Sophea"
    assert items["period"].named is None
