"""QR codes as SVG (segno, pure Python): inline markup for HTML pages, or a ``data:`` address
for an ``<img>`` that both a browser and the PDF renderer show."""

from __future__ import annotations

import segno
from markupsafe import Markup

#: error correction 'M' (15% of the code may be damaged and still read): a printed page folds
QR_ERROR = "m"


def qr_svg(text: str, *, scale: int = 4, title: str | None = None) -> Markup:
    """``text`` as a QR code in inline SVG markup (safe to put in a template as it is)."""
    code = segno.make(text, error=QR_ERROR, micro=False)
    svg = code.svg_inline(scale=scale, title=title, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - segno's own SVG, the text is encoded in modules, not markup


def qr_data_uri(text: str, *, scale: int = 4) -> str:
    """``text`` as a QR code: a ``data:image/svg+xml`` address for ``<img src=...>``."""
    code = segno.make(text, error=QR_ERROR, micro=False)
    return str(code.svg_data_uri(scale=scale, dark="#000", light="#fff"))
