"""The shipped questionnaire (src/spmis/targeting/forms/idpoor.xlsx) converts with pyxform, the
ODK project's own converter, with no error and no warning; its items and answers are the ones
the scoring rules know; every question and answer has an English and a Khmer label."""

from __future__ import annotations

import re

from spmis.rules.idpoor import COUNT_ITEMS, SELECT_ITEMS
from spmis.targeting import forms


def test_pyxform_converts_the_shipped_form_without_error_or_warning() -> None:
    warnings: list[str] = []
    xform = forms.convert_shipped(warnings)
    assert warnings == []
    assert 'id="spmis_idpoor"' in xform and "<instanceID/>" in xform
    assert 'lang="Khmer (km)"' in xform and 'lang="English (en)"' in xform


def test_the_items_and_answers_are_those_the_rules_score() -> None:
    labels = forms.labels()
    for item, choices in SELECT_ITEMS.items():
        assert item in labels, item
        in_form = [key.split(".", 1)[1] for key in labels if key.startswith(f"{item}.")]
        assert tuple(in_form) == choices, item
    for item in COUNT_ITEMS:
        assert item in labels, item
    khmer = re.compile("[\u1780-\u17ff]")
    for key, (en, km) in labels.items():
        assert en and khmer.search(km), f"{key}: English {en!r}, Khmer {km!r}"


def test_each_round_has_its_own_form_id_and_round_field() -> None:
    form = forms.form_for_round(7, "2026-R1")
    assert form.form_id == "spmis_idpoor_r7" and forms.round_of_form(form.form_id) == 7
    assert 'calculate="\'7\'"' in form.xml and 'id="spmis_idpoor_r7"' in form.xml
    assert len(form.md5) == 32 and "2026-R1" in form.title
    assert forms.round_of_form("spmis_idpoor") is None
