"""Column roles of a list to link, and the checks on a column mapping. Pure: standard library
and ``spmis.errors`` only.

A list to link is mapped to *roles* (``given_name=FIRST``) so the engine can work on any file it
has never seen: it compares, blocks and trains on whichever roles are mapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from spmis.errors import FieldError, InvalidInput

__all__ = [
    "NAME_ROLES",
    "ROLES",
    "SECOND_NAME_ROLES",
    "ColumnMapping",
    "parse_column_options",
]

#: Every role a column can be mapped to, with a short description (shown in ``--help``).
ROLES: dict[str, str] = {
    "given_name": "given (personal) name, Khmer script or Latin",
    "family_name": "family name (written first in Cambodia), Khmer script or Latin",
    "full_name": "whole name, family name first, when it is not split",
    "family_name_km": "family name in a second script (Khmer when family_name is Latin), "
                      "compared alongside family_name",
    "given_name_km": "given name in a second script (Khmer when given_name is Latin), "
                     "compared alongside given_name",
    "date_of_birth": "date of birth: YYYY-MM-DD, DD/MM/YYYY, YYYYMMDD or a year alone",
    "sex": "sex: M/F, male/female, 1/2, ប្រុស/ស្រី",
    "phone": "phone number, any format (+855 and leading 0 are removed)",
    "id_number": "an identifier: national ID, IDPoor or NSSF number",
    "address": "free-text address",
    "house_number": "house number (ផ្ទះលេខ), compared exactly",
    "locality": "village, commune or town name",
    "postcode": "postal code",
    "village_code": "NCDD village code (8 digits; a lost leading zero is restored)",
}
NAME_ROLES = ("given_name", "family_name", "full_name")
#: roles of the second spelling of the name (see ``spmis.linkage.prepare``)
SECOND_NAME_ROLES = ("family_name_km", "given_name_km")


@dataclass(frozen=True)
class ColumnMapping:
    """Which input column plays which role, and which column holds the record id."""

    id_column: str
    roles: Mapping[str, str]  # role -> input column

    def check_against(self, header: Sequence[str]) -> None:
        """Raise ``InvalidInput`` naming every mapped column missing from ``header``."""
        present = set(header)
        errors = [
            FieldError(
                ("--column", role),
                "missing_column",
                f"column {column!r} mapped to role {role!r} is not in the file "
                f"(columns: {', '.join(header)})",
                f"ជួរឈរ {column!r} សម្រាប់តួនាទី {role!r} មិនមាននៅក្នុងឯកសារទេ",
            )
            for role, column in self.roles.items()
            if column not in present
        ]
        if self.id_column not in present:
            errors.insert(
                0,
                FieldError(
                    ("--id-column",),
                    "missing_column",
                    f"id column {self.id_column!r} is not in the file "
                    f"(columns: {', '.join(header)})",
                    f"ជួរឈរលេខសម្គាល់ {self.id_column!r} មិនមាននៅក្នុងឯកសារទេ",
                ),
            )
        if errors:
            raise InvalidInput(errors)

    @property
    def has_name(self) -> bool:
        return any(role in self.roles for role in NAME_ROLES)


def _role_error(option: str, code: str, msg: str, msg_km: str) -> FieldError:
    return FieldError(("--column", option), code, msg, msg_km)


def parse_column_options(id_column: str, options: Iterable[str]) -> ColumnMapping:
    """Parse ``ROLE=COLUMN`` options into a ``ColumnMapping``.

    Raises ``InvalidInput`` naming the option and the reason: no ``=``, unknown role, a role
    mapped twice, no role at all, or no role the engine can compare names or identities on.
    """
    roles: dict[str, str] = {}
    errors: list[FieldError] = []
    for option in options:
        role, sep, column = option.partition("=")
        role, column = role.strip(), column.strip()
        if not sep or not role or not column:
            errors.append(_role_error(
                option, "bad_mapping",
                f"{option!r} is not ROLE=COLUMN",
                f"{option!r} មិនមែនជាទម្រង់ ROLE=COLUMN ទេ",
            ))
        elif role not in ROLES:
            errors.append(_role_error(
                option, "unknown_role",
                f"unknown role {role!r}; roles are: {', '.join(ROLES)}",
                f"តួនាទី {role!r} មិនស្គាល់ទេ",
            ))
        elif role in roles:
            errors.append(_role_error(
                option, "duplicate_role",
                f"role {role!r} is mapped twice ({roles[role]!r} and {column!r})",
                f"តួនាទី {role!r} ត្រូវបានកំណត់ពីរដង",
            ))
        else:
            roles[role] = column
    if not id_column.strip():
        errors.insert(0, FieldError(
            ("--id-column",), "missing", "the id column name is empty",
            "ឈ្មោះជួរឈរលេខសម្គាល់ទទេ",
        ))
    if not errors and not roles:
        errors.append(_role_error(
            "", "no_roles",
            "map at least one column to a role, e.g. --column given_name=FIRST_NAME",
            "សូមកំណត់ជួរឈរយ៉ាងហោចណាស់មួយទៅតួនាទីមួយ",
        ))
    second = [r for r in SECOND_NAME_ROLES if r in roles]
    if not errors and second and not any(r in roles for r in NAME_ROLES):
        errors.append(_role_error(
            f"{second[0]}={roles[second[0]]}", "second_name_alone",
            f"role {second[0]!r} is a second spelling: map family_name, given_name or "
            "full_name too (a name in one script only goes to those roles)",
            f"តួនាទី {second[0]!r} ជាការសរសេរទីពីរ៖ សូមកំណត់ family_name, given_name "
            "ឬ full_name ផងដែរ",
        ))
    if not errors and not (
        any(r in roles for r in NAME_ROLES) or "id_number" in roles or "phone" in roles
    ):
        errors.append(_role_error(
            "", "no_identity_role",
            "map a name (given_name, family_name or full_name), phone or id_number: "
            "the other roles alone cannot tell people apart",
            "សូមកំណត់ឈ្មោះ លេខទូរស័ព្ទ ឬលេខសម្គាល់",
        ))
    if errors:
        raise InvalidInput(errors)
    return ColumnMapping(id_column=id_column.strip(), roles=roles)
