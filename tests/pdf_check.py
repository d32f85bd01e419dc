"""Checks of a rendered PDF for any test that prints (statements, posting lists, cards): page 1
rasterised with PDFium is not blank, and its Khmer text is set in Noto Sans Khmer and shaped.

``assert_khmer_page(pdf_bytes)`` is the one call; it fails when the font is missing (the Khmer
letters come out as .notdef boxes in a fallback font) and when the text is not shaped (a coeng,
U+17D2, drawn as a glyph of its own instead of one glyph with the consonant after it: the
subscript form or a whole cluster).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

KHMER = range(0x1780, 0x1800)
CONSONANTS = range(0x1780, 0x17A3)
COENG = 0x17D2
#: share of dark pixels under which a page counts as blank
MIN_INK = 0.0005


@dataclass(frozen=True)
class Glyph:
    """One character of the page's text layer: the character, its box (left, bottom, right,
    top in points) and the name of the font it is drawn with."""

    char: str
    box: tuple[float, float, float, float]
    font: str


def first_page_image(pdf: bytes, scale: float = 1.5) -> Image.Image:
    """Page 1 of ``pdf`` as a greyscale image (PDFium, ``scale`` x 72 dpi)."""
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=scale, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def ink(image: Image.Image) -> float:
    """The share of dark pixels (below mid-grey) of ``image``."""
    histogram = image.convert("L").histogram()
    return sum(histogram[:128]) / max(1, sum(histogram))


def first_page_glyphs(pdf: bytes) -> list[Glyph]:
    """The characters of page 1 with their boxes and font names (PDFium's text layer)."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        text = page.get_textpage()
        out = []
        buffer = ctypes.create_string_buffer(256)
        flags = ctypes.c_int(0)
        for index in range(text.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(text.raw, index)
            size = pdfium_c.FPDFText_GetFontInfo(text.raw, index, buffer, len(buffer),
                                                 ctypes.byref(flags))
            font = buffer.raw[: max(0, size - 1)].decode("utf-8", "replace")
            out.append(Glyph(chr(code), tuple(text.get_charbox(index)), font))  # type: ignore[arg-type]
        text.close()
        page.close()
        return out
    finally:
        document.close()


def _same_box(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(abs(x - y) < 0.05 for x, y in zip(a, b, strict=True))


def shaping_faults(glyphs: list[Glyph]) -> list[str]:
    """What shows the Khmer text of ``glyphs`` is not shaped in Noto Sans Khmer: a Khmer letter
    in another font (a fallback's .notdef box), or a coeng drawn as a glyph of its own. Shaped,
    the coeng and the consonant after it become one glyph (the subscript form, or a whole
    cluster): PDFium gives both characters that glyph's box. Unshaped, each is a glyph with its
    own box. Also a fault: no coeng at all, so shaping cannot be told (check a page with one)."""
    faults = [f"{g.char!r} (U+{ord(g.char):04X}) drawn in {g.font!r}, not Noto Sans Khmer"
              for g in glyphs if ord(g.char) in KHMER and "notosanskhmer" not in
              "".join(c for c in g.font.lower() if c.isalnum())]
    coengs = 0
    for index, glyph in enumerate(glyphs):
        if ord(glyph.char) != COENG:
            continue
        coengs += 1
        after = glyphs[index + 1] if index + 1 < len(glyphs) else None
        if after is None or ord(after.char) not in CONSONANTS or not _same_box(glyph.box,
                                                                              after.box):
            faults.append(f"coeng #{coengs} is not one glyph with the consonant after it "
                          f"(boxes {glyph.box} and {after.box if after else None})")
    if not coengs:
        faults.append("no coeng (U+17D2) on page 1: cannot tell whether Khmer is shaped")
    return faults


def assert_khmer_page(pdf: bytes) -> Image.Image:
    """Page 1 of ``pdf`` is not blank and its Khmer is set in Noto Sans Khmer and shaped;
    returns the page's image (to save for the user guide)."""
    assert pdf.startswith(b"%PDF-"), "not a PDF"
    image = first_page_image(pdf)
    assert ink(image) > MIN_INK, f"page 1 is blank (ink {ink(image):.4f})"
    faults = shaping_faults(first_page_glyphs(pdf))
    assert not faults, "\n".join(faults[:10])
    return image
