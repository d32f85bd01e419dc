"""HTML to PDF with WeasyPrint: Khmer shaped by Pango and HarfBuzz, in the Noto Sans Khmer font
SPMIS serves to browsers; nothing fetched from outside."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from spmis.pagekit.templating import TEMPLATES_DIR, environment

#: the static files served to browsers (fonts, stylesheets); the only files a document may read
STATIC_DIR = TEMPLATES_DIR.parent / "static"
FONT_DIR = STATIC_DIR / "vendor"
#: the font of every document: Khmer and Latin letters and digits in one face (the web subset
#: holds ASCII and the Khmer block); other characters fall back to the system's fonts
FONT_FAMILY = "Noto Sans Khmer"
_WEIGHTS = {
    400: "noto-sans-khmer-khmer-400-normal.woff2",
    700: "noto-sans-khmer-khmer-700-normal.woff2",
}


def font_css() -> str:
    """The ``@font-face`` rules of the document font and its use on the whole page."""
    faces = "".join(
        f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; font-style: normal;"
        f" src: url('{(FONT_DIR / name).as_uri()}') format('woff2'); }}\n"
        for weight, name in _WEIGHTS.items()
    )
    return faces + f"html {{ font-family: '{FONT_FAMILY}', sans-serif; }}\n"


class _LocalFetcher(URLFetcher):
    """Only ``data:`` addresses and files under the static folder: a document never reaches out
    to the network or reads other files, whatever its HTML says."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path))
            if path.parts[:2] == ("/", "static"):  # '/static/...' as the pages write it
                path = STATIC_DIR.joinpath(*path.parts[2:])
            path = path.resolve()
            if not path.is_relative_to(STATIC_DIR.resolve()):
                raise ValueError(f"a document may not read {url[:80]}")
            url = path.as_uri()
        return super().fetch(url, headers)


def html_to_pdf(html: str) -> bytes:
    """``html`` (a whole document) as PDF bytes, with the document font; relative addresses
    resolve in the static folder (``/static/...`` works as in a browser)."""
    document = weasyprint.HTML(string=html, base_url=STATIC_DIR.as_uri() + "/",
                               url_fetcher=_LocalFetcher())
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=font_css(), url_fetcher=_LocalFetcher(), font_config=fonts)
    return bytes(document.write_pdf(stylesheets=[stylesheet], font_config=fonts))


def render_html(template: str, context: dict[str, Any], locale: str) -> str:
    """The document ``template`` (under ``web/templates``) in the language ``locale`` as HTML."""
    return environment(locale).get_template(template).render(context)


def render_pdf(template: str, context: dict[str, Any], locale: str) -> bytes:
    """The document ``template`` in the language ``locale`` as PDF bytes."""
    return html_to_pdf(render_html(template, context, locale))
