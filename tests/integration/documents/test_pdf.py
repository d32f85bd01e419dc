"""spmis.documents: HTML and templates to PDF with Khmer shaped in Noto Sans Khmer, QR codes, and
no resource read from outside the static folder. Page 1 of each PDF is rasterised with PDFium
(tests/pdf_check.py)."""

from __future__ import annotations

import logging

import pytest
import weasyprint

from spmis.documents import pdf, qr
from tests.pdf_check import (
    assert_khmer_page,
    first_page_glyphs,
    first_page_image,
    ink,
    shaping_faults,
)

KHMER_TEXT = "របាយការណ៍ ស្រី ប្រាក់ ខ្ញុំ ១២៣"


def page(body: str) -> str:
    head = "<head><meta charset='utf-8'></head>"
    return f"<!doctype html><html lang='km'>{head}<body>{body}</body></html>"


def test_khmer_is_shaped_in_noto_sans_khmer() -> None:
    document = pdf.html_to_pdf(page(f"<h1>{KHMER_TEXT}</h1><p>Statement 2026</p>"))
    image = assert_khmer_page(document)
    assert image.width > 500
    fonts = {g.font for g in first_page_glyphs(document) if g.char.isalpha()}
    assert all("Noto-Sans-Khmer" in f for f in fonts), fonts  # Latin letters too


def test_the_check_fails_without_the_font() -> None:
    """The same text through WeasyPrint without SPMIS's font: the Khmer comes out as .notdef
    boxes of a fallback font, and the check says so."""
    no_font = weasyprint.HTML(string=page(f"<h1>{KHMER_TEXT}</h1>")).write_pdf()
    assert no_font is not None
    faults = shaping_faults(first_page_glyphs(no_font))
    assert faults
    assert "not Noto Sans Khmer" in faults[0]
    with pytest.raises(AssertionError, match="not Noto Sans Khmer"):
        assert_khmer_page(no_font)


def test_a_blank_page_fails() -> None:
    blank = pdf.html_to_pdf(page(""))
    assert ink(first_page_image(blank)) == 0
    with pytest.raises(AssertionError, match="blank"):
        assert_khmer_page(blank)


def test_template_in_each_language() -> None:
    """render_pdf / render_html use the page catalogues: the same template in Khmer and English
    (the page footer of documents/base.html)."""
    km = pdf.render_html("documents/base.html", {}, "km")
    en = pdf.render_html("documents/base.html", {}, "en")
    assert '<html lang="km">' in km and '"ទំព័រ "' in km and "Page" not in km
    assert '<html lang="en">' in en and '"Page "' in en
    glyphs = first_page_glyphs(pdf.render_pdf("documents/base.html", {}, "km"))
    footer = "".join(g.char for g in glyphs)
    assert "ទំព័រ" in footer and "1 / 1" in footer
    assert all("Noto-Sans-Khmer" in g.font for g in glyphs if g.char.strip())


def test_a_qr_code_is_drawn() -> None:
    address = "https://spmis.example/verify/0123456789abcdef"
    without = ink(first_page_image(pdf.html_to_pdf(page("<p>x</p>"))))
    with_qr = ink(first_page_image(pdf.html_to_pdf(
        page(f"<p>x</p><img style='width:40mm' src='{qr.qr_data_uri(address)}'>"))))
    assert with_qr > without + 0.005
    svg = str(qr.qr_svg(address, title="verify"))
    assert svg.startswith("<svg") and "<title>verify</title>" in svg
    assert qr.qr_data_uri(address).startswith("data:image/svg+xml")


@pytest.mark.parametrize("src", [
    "https://example.com/logo.png",
    "http://127.0.0.1:9/secret",
    "file:///etc/passwd",
    "/static/../../../../etc/hostname",
])
def test_nothing_is_read_from_outside(src: str, caplog: pytest.LogCaptureFixture) -> None:
    """A document reads only data: addresses and the static folder; anything else is refused
    (logged by WeasyPrint, the image left out), never fetched."""
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        out = pdf.html_to_pdf(page(f"<p>x</p><img src='{src}'>"))
    assert out.startswith(b"%PDF-")
    assert any("Failed to load image" in r.getMessage() for r in caplog.records), caplog.text


def test_static_files_may_be_read(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf.html_to_pdf(page("<link rel='stylesheet' href='/static/css/site.css'><p>x</p>"))
    assert "Failed" not in caplog.text
