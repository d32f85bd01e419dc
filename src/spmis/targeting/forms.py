"""The questionnaire: the XLSForm shipped in ``forms/idpoor.xlsx`` (Khmer and English labels;
the items and their answers are data there, not code), turned into each round's XForm by
``pyxform`` (the ODK project's own converter), and the reading of a filled-in instance as ODK
Collect sends it.

A round's form has the id ``spmis_idpoor_r<round id>`` and carries the round in its hidden
``round`` field, so a submission says which round it belongs to.
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from pyxform.xls2json_backends import xlsx_to_dict
from pyxform.xls2xform import convert

from spmis.errors import FieldError, InvalidInput
from spmis.rules.idpoor import COUNT_ITEMS, SELECT_ITEMS
from spmis.targeting.model import INSTANCE_ID, Submission

__all__ = ["FORM_PATH", "FORM_PREFIX", "RoundForm", "form_for_round", "labels",
           "parse_instance", "round_of_form"]

FORM_PATH = Path(__file__).parent / "forms" / "idpoor.xlsx"
FORM_PREFIX = "spmis_idpoor_r"
EN, KM = "English (en)", "Khmer (km)"
#: the most members a questionnaire may count
MAX_MEMBERS = 40


@lru_cache(maxsize=1)
def _workbook() -> dict[str, Any]:
    return xlsx_to_dict(str(FORM_PATH))


def convert_shipped(warnings: list[str]) -> str:
    """The shipped XLSForm as an XForm, ``pyxform``'s warnings appended to ``warnings``."""
    return str(convert(xlsform=copy.deepcopy(_workbook()), warnings=warnings).xform)


class RoundForm:
    """One round's XForm, its id, version and the md5 hash ODK Collect compares."""

    def __init__(self, round_id: int, title: str) -> None:
        book = copy.deepcopy(_workbook())
        settings = book["settings"][0]
        settings["form_id"] = f"{FORM_PREFIX}{round_id}"
        settings["form_title"] = f"{settings['form_title']} - {title}"
        for row in book["survey"]:
            if row.get("name") == "round":
                row["calculation"] = f"'{round_id}'"
        self.form_id = settings["form_id"]
        self.version = str(settings["version"])
        self.title = settings["form_title"]
        self.xml = str(convert(xlsform=book).xform)
        self.md5 = hashlib.md5(self.xml.encode(), usedforsecurity=False).hexdigest()


@lru_cache(maxsize=64)
def form_for_round(round_id: int, title: str) -> RoundForm:
    """The XForm of a round (built once per process)."""
    return RoundForm(round_id, title)


def round_of_form(form_id: str) -> int | None:
    """The round a form id belongs to, or None when it is not one of SPMIS's."""
    match = re.fullmatch(rf"{FORM_PREFIX}(\d{{1,12}})", form_id or "")
    return int(match.group(1)) if match else None


@lru_cache(maxsize=1)
def labels() -> dict[str, tuple[str, str]]:
    """English and Khmer labels of the items (``item``) and of their answers
    (``item.answer``), from the XLSForm."""
    book = _workbook()
    out: dict[str, tuple[str, str]] = {}
    for row in book["survey"]:
        if row.get("name") and row.get(f"label::{EN}"):
            out[row["name"]] = (row[f"label::{EN}"], row.get(f"label::{KM}", ""))
    for row in book["choices"]:
        out[f"{row['list_name']}.{row['name']}"] = (row.get(f"label::{EN}", ""),
                                                   row.get(f"label::{KM}", ""))
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _leaves(root: Element) -> dict[str, str]:
    """Every leaf element's text by its local name (item names are unique in the form)."""
    out: dict[str, str] = {}
    for element in root.iter():
        if len(element) == 0:
            out.setdefault(_local(element.tag), (element.text or "").strip())
    return out


def _err(field: str, code: str, msg: str, msg_km: str) -> FieldError:
    return FieldError((field,), code, msg, msg_km)


def _timestamp(value: str, now: datetime) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return now
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _counts(leaves: dict[str, str], errors: list[FieldError]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in COUNT_ITEMS:
        text = leaves.get(item, "")
        if not re.fullmatch(r"\d{1,3}", text):
            errors.append(_err(item, "not_a_count", f"'{text[:20]}' is not a number of people",
                               f"'{text[:20]}' មិនមែនជាចំនួនមនុស្សទេ"))
            continue
        counts[item] = int(text)
    members = counts.get("members")
    if members is not None and not 1 <= members <= MAX_MEMBERS:
        errors.append(_err("members", "out_of_range", f"between 1 and {MAX_MEMBERS}",
                           "ពី ១ ដល់ ៤០"))
    elif members is not None:
        for item in COUNT_ITEMS[1:]:
            if counts.get(item, 0) > members:
                errors.append(_err(item, "more_than_members", "more than the members",
                                   "លើសចំនួនសមាជិក"))
    return counts


def answers_problems(answers: dict[str, str], errors: list[FieldError]) -> dict[str, str | int]:
    """The checked answers (select items as their answer names, counts as numbers); every
    problem is added to ``errors``, naming the item."""
    out: dict[str, str | int] = {}
    for item, choices in SELECT_ITEMS.items():
        value = answers.get(item, "")
        if value not in choices:
            errors.append(_err(item, "unknown_answer",
                               f"'{value[:30]}' is not an answer to {item}: one of "
                               f"{', '.join(choices)}",
                               f"'{value[:30]}' មិនមែនជាចម្លើយនៃ {item} ទេ"))
        else:
            out[item] = value
    out.update(_counts(answers, errors))
    return out


def parse_instance(data: bytes, now: datetime) -> Submission:
    """A filled-in questionnaire from ODK Collect's XML instance; ``InvalidInput`` naming every
    missing or wrong part (a malformed instance is refused whole)."""
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidInput.one(("xml_submission_file",), "malformed",
                               f"the instance is not well-formed XML ({str(exc)[:80]})",
                               "ឯកសារ XML មិនត្រឹមត្រូវ") from exc
    form_id = root.attrib.get("id", "")
    round_id = round_of_form(form_id)
    if round_id is None:
        raise InvalidInput.one(("form_id",), "unknown_form",
                               f"'{form_id[:40]}' is not an SPMIS questionnaire",
                               f"'{form_id[:40]}' មិនមែនជាកម្រងសំណួររបស់ SPMIS ទេ")
    leaves = _leaves(root)
    errors: list[FieldError] = []
    instance_id = leaves.get("instanceID", "")
    if not INSTANCE_ID.fullmatch(instance_id):
        errors.append(_err("instanceID", "missing", "the instance has no valid instanceID",
                           "គ្មានលេខសម្គាល់ instanceID ត្រឹមត្រូវ"))
    household = leaves.get("household_id", "")
    if not re.fullmatch(r"[1-9]\d{0,17}", household):
        errors.append(_err("household_id", "invalid", "the SPMIS household number is missing "
                           "or not a number", "លេខគ្រួសារ SPMIS ខ្វះ ឬមិនមែនជាលេខ"))
    answers = answers_problems(leaves, errors)
    if errors:
        raise InvalidInput(errors)
    return Submission(instance_id=instance_id, form_id=form_id,
                      form_version=root.attrib.get("version", "")[:32], round_id=round_id,
                      household_id=int(household),
                      submitted_at=_timestamp(leaves.get("end") or leaves.get("start", ""), now),
                      answers=answers)
