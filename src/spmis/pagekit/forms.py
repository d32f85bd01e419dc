"""HTML forms <-> service inputs. A field of a nested input is named by its location joined with
'-' (``members-0-identifiers-national_id``), the same location a ``FieldError`` or a pydantic
error carries, so each message is shown next to the field it is about."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from spmis.errors import FieldError, InvalidInput
from spmis.http import validation_errors
from spmis.pagekit.labels import field_label

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
    #: the field's label as the page wrote it, in the reader's language (a row's field named
    #: after the row's subject: "Wage of Sok Dara"), used instead of ``label``
    named: str | None = None


class FormErrors(dict[str, str]):
    """Error message by form field name, in the reader's language.

    A page shows each message under its field (``id="<name>-error"``) and every message again in
    the summary at the top, as a link to the field. A message about a field the page does not
    show (a field missing from a form, or a hidden one) would otherwise be lost: ``render`` finds
    those in the page it rendered (``missing_from``) and renders once more with them marked, so
    the summary names their field in words instead of linking to it. A form may set ``focus`` to
    the field the page opens on (``autofocus``; the public check: the first at fault)."""

    focus: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.not_at_field: frozenset[str] = frozenset()
        #: labels of fields a page names itself (field name -> label in the reader's language)
        self.named: dict[str, str] = {}

    def missing_from(self, html: str) -> frozenset[str]:
        """Names whose message the rendered page does not show at a field."""
        return frozenset(n for n in self if f'id="{n}-error"' not in html)

    def summary(self) -> list[SummaryItem]:
        """The summary's lines, in the order the messages were given."""
        out = []
        for name, message in self.items():
            person, label = field_label(name)
            out.append(SummaryItem(name, person, label, message, name not in self.not_at_field,
                                   self.named.get(name)))
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


#: pydantic error types about a whole number that may be answered with its whole range
_NUMBER_ERRORS = {"int_parsing", "int_type", "int_from_float", "greater_than_equal",
                  "less_than_equal"}
_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _field_bounds(schema: type[BaseModel], loc: Iterable[str | int]) -> tuple[int, int] | None:
    """The (ge, le) bounds of the whole-number field at ``loc`` of ``schema``, if it has both."""
    model: type[BaseModel] | None = schema
    info = None
    for part in loc:
        if isinstance(part, int) or part in _ROOTS:
            continue
        if model is None or part not in model.model_fields:
            return None
        info = model.model_fields[part]
        model = next((a for a in _flatten(info.annotation) if _is_model(a)), None)
    if info is None:
        return None
    low = next((m.ge for m in info.metadata if isinstance(getattr(m, "ge", None), int)), None)
    high = next((m.le for m in info.metadata if isinstance(getattr(m, "le", None), int)), None)
    return None if low is None or high is None else (low, high)


def _flatten(annotation: Any) -> list[Any]:
    """``list[X] | None`` -> [list[X], X, None]: every type an annotation names."""
    out = [annotation]
    for arg in get_args(annotation):
        out += _flatten(arg)
    return out


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def pydantic_errors(exc: ValidationError, schema: type[BaseModel] | None = None
                    ) -> list[FieldError]:
    """Pydantic's errors as ``FieldError`` with plain English and Khmer text naming the limit.
    With ``schema``, a bad whole number whose field has both bounds is answered with the whole
    range ("must be a whole number from 0 to 130"), not only the side that was crossed."""
    out = []
    for e in validation_errors(exc.errors()):
        bounds = _field_bounds(schema, e.loc) if schema and e.code in _NUMBER_ERRORS else None
        if bounds is not None:
            low, high = (f"{b:,}" for b in bounds)
            e = FieldError(
                e.loc, e.code, f"must be a whole number from {low} to {high}",
                f"ត្រូវតែជាចំនួនគត់ពី {low} ដល់ {high}".translate(_KHMER_DIGITS),
            )
        out.append(e)
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
