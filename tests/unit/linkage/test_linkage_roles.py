"""Column mapping: every bad option is named with its reason."""

from __future__ import annotations

import pytest

from spmis.errors import InvalidInput
from spmis.linkage.roles import ColumnMapping, parse_column_options


def test_parses_roles() -> None:
    mapping = parse_column_options("ID", ["given_name=FIRST", " date_of_birth = DOB "])
    assert mapping == ColumnMapping("ID", {"given_name": "FIRST", "date_of_birth": "DOB"})
    assert mapping.has_name


@pytest.mark.parametrize(
    ("options", "code", "words"),
    [
        (["given=FIRST"], "unknown_role", "unknown role 'given'"),
        (["given_name"], "bad_mapping", "not ROLE=COLUMN"),
        (["given_name=A", "given_name=B"], "duplicate_role", "mapped twice"),
        ([], "no_roles", "at least one column"),
        (["sex=SEX", "village_code=V"], "no_identity_role", "cannot tell people apart"),
        (["family_name_km=FAM_KM", "sex=SEX"], "second_name_alone", "map family_name"),
    ],
)
def test_bad_options_are_named(options: list[str], code: str, words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_column_options("ID", options)
    err = info.value.errors[0]
    assert err.code == code
    assert words in err.msg
    assert err.msg_km


def test_missing_columns_are_all_named() -> None:
    mapping = parse_column_options("ID", ["given_name=FIRST", "family_name=LAST"])
    with pytest.raises(InvalidInput) as info:
        mapping.check_against(["id", "FIRST"])
    fields = [e.field for e in info.value.errors]
    assert fields == ["--id-column", "--column.family_name"]
    assert "'LAST'" in info.value.errors[1].msg
