"""HTML forms <-> service inputs. A field of a nested input is named by its location joined with
'-' (``members-0-identifiers-national_id``), the same location a ``FieldError`` or a pydantic
error carries, so each message is shown next to the field it is about."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from spmis.errors import FieldError, InvalidInput
from spmis.http import PYDANTIC_KM
from spmis.web.labels import field_label

SEP = "-"
#: location parts that name the request, not a field
_ROOTS = {"body", "query"}


def field_name(loc: Iterable[str | int]) -> str:
    """The form field name of an error location (``('body','members',0,'sex')`` ->
    ``members-0-sex``)."""
    parts = [str(p) for p in loc]
    while parts and parts[0] in _ROOTS:
        parts = parts[1:]
    return SEP.join(parts)


@dataclass(frozen=True)
class SummaryItem:
    """One line of a form's error summary: the field it is about and the message."""

    name: str
    #: 1-based number of the person (member row) the field belongs to, if any
    person: int | None
    #: the field's label (an English msgid, translated by the template), None if unknown
    label: str | None
    message: str
    #: False when the page shows no message at the field (the summary is the only place)
    at_field: bool


class FormErrors(dict[str, str]):
    """Error message by form field name, in the reader's language.

    A page shows each message under its field (``id="<name>-error"``) and every message again in
    the summary at the top, as a link to the field. A message about a field the page does not
    show (a field missing from a form, or a hidden one) would otherwise be lost: ``render`` finds
    those in the page it rendered (``missing_from``) and renders once more with them marked, so
    the summary names their field in words instead of linking to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.not_at_field: frozenset[str] = frozenset()

    def missing_from(self, html: str) -> frozenset[str]:
        """Names whose message the rendered page does not show at a field."""
        return frozenset(n for n in self if f'id="{n}-error"' not in html)

    def summary(self) -> list[SummaryItem]:
        """The summary's lines, in the order the messages were given."""
        out = []
        for name, message in self.items():
            person, label = field_label(name)
            out.append(SummaryItem(name, person, label, message, name not in self.not_at_field))
        return out

    @classmethod
    def of(cls, errors: Iterable[FieldError], locale: str, aliases: Mapping[str, str] | None = None
           ) -> FormErrors:
        out = cls()
        for e in errors:
            name = field_name(e.loc)
            name = (aliases or {}).get(name, name)
            text = e.msg_km if locale == "km" else e.msg
            out[name] = f"{out[name]}; {text}" if name in out else text
        return out

    @classmethod
    def of_exception(cls, exc: InvalidInput | ValidationError, locale: str,
                     aliases: Mapping[str, str] | None = None) -> FormErrors:
        if isinstance(exc, InvalidInput):
            return cls.of(exc.errors, locale, aliases)
        return cls.of(pydantic_errors(exc), locale, aliases)


def pydantic_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as ``FieldError`` with Khmer text."""
    out = []
    for e in exc.errors():
        code = str(e.get("type", "invalid"))
        out.append(
            FieldError(
                tuple(e.get("loc", ())),
                code,
                str(e.get("msg", "invalid value")),
                PYDANTIC_KM.get(code, "តម្លៃមិនត្រឹមត្រូវ"),
            )
        )
    return out


def text(form: FormData | Mapping[str, Any], name: str) -> str | None:
    """A text field, stripped; None when empty or absent."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def flag(form: FormData | Mapping[str, Any], name: str) -> bool:
    """A checkbox: present (any value but empty) means ticked."""
    return bool(text(form, name))


def integer(form: FormData | Mapping[str, Any], name: str) -> int | str | None:
    """A whole number; the raw text when it is not one (the schema then names the field)."""
    value = text(form, name)
    if value is None:
        return None
    digits = value.replace(",", "").replace(" ", "")
    khmer = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
    digits = digits.translate(khmer)
    try:
        return int(digits)
    except ValueError:
        return value


def rows(form: FormData | Mapping[str, Any], name: str = "rows", default: int = 1,
         most: int = 20) -> int:
    """How many repeated rows (members) the form holds."""
    value = integer(form, name)
    if not isinstance(value, int):
        return default
    return max(1, min(most, value))
