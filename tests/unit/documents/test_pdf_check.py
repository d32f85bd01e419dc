"""The shaping check of tests/pdf_check.py on hand-made text layers: it passes a shaped cluster
and fails an unshaped one (each letter advancing on its own), a fallback font and a page with no
coeng to judge by."""

from __future__ import annotations

from tests.pdf_check import Glyph, shaping_faults

NOTO = "ABCDEF+Noto-Sans-Khmer-Regular"


def word(boxes: list[tuple[float, float, float, float]], font: str = NOTO) -> list[Glyph]:
    """'ស្រី' with the given box per character."""
    return [Glyph(c, b, font) for c, b in zip("ស្រី", boxes, strict=True)]


def test_a_shaped_cluster_passes() -> None:
    """Shaped: the coeng and the subscript share their consonant's glyph box."""
    cluster = (71.5, 736.0, 89.6, 750.3)
    assert shaping_faults(word([cluster, cluster, cluster, (78.6, 751.7, 88.6, 757.3)])) == []


def test_unshaped_letters_in_a_row_fail() -> None:
    """Unshaped: each code point is its own glyph, the coeng after its consonant."""
    row = [(60.0 + 12 * i, 736.0, 71.0 + 12 * i, 750.3) for i in range(4)]
    faults = shaping_faults(word(row))
    assert len(faults) == 1
    assert "not one glyph" in faults[0]


def test_a_fallback_font_fails() -> None:
    cluster = (71.5, 736.0, 89.6, 750.3)
    faults = shaping_faults(word([cluster] * 4, font="KTGASA+DejaVu-Serif-Bold"))
    assert len(faults) == 4
    assert all("DejaVu" in f for f in faults)


def test_no_coeng_cannot_tell() -> None:
    glyphs = [Glyph("ក", (0.0, 0.0, 10.0, 10.0), NOTO)]
    assert shaping_faults(glyphs) == [
        "no coeng (U+17D2) on page 1: cannot tell whether Khmer is shaped"]


def test_a_subscript_out_of_text_order_passes() -> None:
    """PDFium gave 'ភ្នំពេញ' as ភ ំ ព េ ញ ្ ន (the subscript NO after NYO) with the subscript's
    box under ភ: shaped, and the check finds its consonant among the neighbours."""
    line = 736.0
    glyphs = [Glyph("ភ", (209.4, line, 214.6, 744.9), NOTO),
              Glyph("ំ", (211.3, 745.5, 213.5, 747.9), NOTO),
              Glyph("ព", (219.4, line, 223.8, 744.9), NOTO),
              Glyph("េ", (219.4, line, 223.8, 744.9), NOTO),
              Glyph("ញ", (225.8, line, 233.3, 745.0), NOTO),
              Glyph("្", (210.2, 733.3, 214.6, 735.5), NOTO),
              Glyph("ន", (210.2, 733.3, 214.6, 735.5), NOTO)]
    assert shaping_faults(glyphs) == []
