"""Every parameter cites the legal text itself, or says what of the citation is unconfirmed.

A parameter's ``reference`` must name an instrument (sub-decree, prakas, law, royal kram,
decision, notification, table of the fund) and never a document that is not a legal text (such
as the project's own product brief). Where the number, date or article of the instrument has not
been checked against the text, the reference says "unconfirmed", and the parameter listing
(``GET /api/v1/parameters``) flags it."""

from __future__ import annotations

import re

import pytest

from spmis.rules.parameter_listing import list_parameters

INSTRUMENT = re.compile(
    r"\b(Sub-decree|Prakas|Law|Royal Kram|Royal Government decision|notification|"
    r"contributory wage table|NSSF practice)\b", re.IGNORECASE)
#: what a complete citation carries: "No. <number>", a year, and an article
ARTICLE = re.compile(r"\bArticle \d+", re.IGNORECASE)

PARAMETERS = list_parameters()


def test_the_listing_covers_every_parameter_file() -> None:
    assert len(PARAMETERS) > 40


@pytest.mark.parametrize("entry", PARAMETERS, ids=lambda e: e["name"])
def test_reference_names_a_legal_instrument(entry: dict[str, object]) -> None:
    reference = str(entry["reference"] or "")
    assert reference, f"{entry['name']}: no reference"
    assert "PRODUCT.md" not in reference and ".md" not in reference, (
        f"{entry['name']}: cites a project document, not the legal text: {reference}")
    assert INSTRUMENT.search(reference), f"{entry['name']}: names no instrument: {reference}"


@pytest.mark.parametrize("entry", PARAMETERS, ids=lambda e: e["name"])
def test_an_incomplete_citation_says_unconfirmed(entry: dict[str, object]) -> None:
    reference = str(entry["reference"] or "")
    complete = bool(re.search(r"\bNo\. \S+", reference) and re.search(r"\b(19|20)\d\d\b",
                    reference) and ARTICLE.search(reference))
    assert complete or "unconfirmed" in reference.lower(), (
        f"{entry['name']}: citation lacks number, date or article and does not say "
        f"'unconfirmed': {reference}")
    assert complete or entry["unconfirmed"], f"{entry['name']}: not flagged unconfirmed"
