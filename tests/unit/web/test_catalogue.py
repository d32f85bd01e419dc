"""The Khmer catalogue is complete and consistent with the code; locale formatting."""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from spmis.pagekit.i18n import Formatter, choose_locale, po_path, translations

SRC = Path(__file__).resolve().parents[3] / "src" / "spmis"


def test_every_khmer_msgid_has_a_translation() -> None:
    with po_path("km").open("rb") as fh:
        catalog = read_po(fh, locale="km")
    empty = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not empty, f"untranslated: {empty}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def code_msgids() -> set[str]:
    """Every text marked for translation in any package (as ``make messages`` extracts, with
    src/spmis/web/babel.cfg): each capability's pages share the one catalogue."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = extract_from_dir(
        SRC,
        [("**.py", "python"), ("**/templates/**.html", "jinja2")],
        {"**/templates/**.html": {"trimmed": "true"}},
        keywords=keywords,
    )
    out = set()
    for _name, _line, message, _comments, _context in found:
        out.update([message] if isinstance(message, str) else [m for m in message if m])
    return out


def test_catalogue_holds_every_text_of_the_code() -> None:
    wanted = code_msgids()
    assert len(wanted) > 50
    with po_path("km").open("rb") as fh:
        have = {text for m in read_po(fh, locale="km") if m.id
                for text in ([m.id] if isinstance(m.id, str) else m.id)}  # plurals: both forms
    assert not wanted - have, f"run `make messages` and translate: {sorted(wanted - have)}"


def test_counted_nouns_agree_with_their_number() -> None:
    """English says "1 worker" and "2 workers"; Khmer has one form (with Khmer digits given)."""
    from spmis.pagekit.templating import environment

    page = "{{ ngettext('%(n)s worker', '%(n)s workers', k, n=fmt.number(k)) }}"
    for locale, k, text in (("en", 1, "1 worker"), ("en", 2, "2 workers"),
                            ("en", 0, "0 workers"), ("km", 1, "កម្មករ ១ នាក់"),
                            ("km", 3, "កម្មករ ៣ នាក់")):
        rendered = environment(locale).from_string(page).render(k=k, fmt=Formatter(locale))
        assert rendered == text, (locale, k, rendered)


def test_catalogues_compile_from_po() -> None:
    assert translations("km").gettext("Home") == "ទំព័រដើម"
    assert translations("en").gettext("Home") == "Home"


def test_locale_choice() -> None:
    assert choose_locale(None, None) == "km"
    assert choose_locale("en", "km") == "en"
    assert choose_locale("fr", "en") == "en"


def test_locale_formatting() -> None:
    km, en = Formatter("km"), Formatter("en")
    assert en.money(400_000, "KHR") == "400,000 KHR"
    assert km.money(400_000, "KHR") == "៤០០,០០០ ៛"
    assert en.money(2_050, "USD") == "$20.50"
    assert en.number(1234567) == "1,234,567"
    assert en.date(date(2026, 11, 22)) == "Nov 22, 2026"
    assert "វិច្ឆិកា" in km.date(date(2026, 11, 22), "long")


def test_months_are_written_with_their_names() -> None:
    """Issue 13, item 9: "ធ្នូ ២០២៦" / "December 2026", never "២០២៦-១២"."""
    assert Formatter("km").month("2026-12") == "ធ្នូ ២០២៦"
    assert Formatter("en").month("2026-12") == "December 2026"
    assert Formatter("en").month(date(2024, 3, 9)) == "March 2024"
    assert Formatter("en").month(None) == ""
    assert Formatter("en").percent(0.026) == "2.6%"
    assert Formatter("km").percent(0.8) == "៨០%"

def test_khmer_times_use_the_24_hour_clock_without_latin_letters() -> None:
    from datetime import datetime

    moment = datetime(2026, 12, 6, 10, 2, tzinfo=UTC)  # 17:02 in Phnom Penh
    assert Formatter("km").datetime(moment) == "៦ ធ្នូ ២០២៦, ១៧:០២"
    assert Formatter("en").datetime(moment).replace("\u202f", " ").endswith("5:02:00 PM")
