"""The printable member statement (``documents/statement.html``): HTML for the browser and PDF
(``spmis.documents``), in Khmer or English, with the QR code of its verification page."""

from __future__ import annotations

from datetime import date
from typing import Any

from spmis.documents import pdf, qr
from spmis.pagekit.i18n import LOCALES

__all__ = ["statement_html", "statement_pdf", "verify_path"]


def verify_path(code: str) -> str:
    """The public verification page of a statement's code."""
    return f"/verify/statement/{code}"


def statement_html(base_url: str, data: dict[str, Any], locale: str) -> str:
    """The statement ``data`` (``StatementService.statement``) as a printable HTML document;
    ``base_url`` is the site's address the QR code links to."""
    locale = locale if locale in LOCALES else "km"
    code = data["verification_code"]
    verify_url = base_url.rstrip("/") + verify_path(code) if code else None
    return pdf.render_html("documents/statement.html", {
        "s": data, "verify_url": verify_url,
        "qr": qr.qr_data_uri(verify_url) if verify_url else None,
        "issued": date.today()}, locale)


def statement_pdf(base_url: str, data: dict[str, Any], locale: str) -> bytes:
    """The same statement as PDF bytes."""
    return pdf.html_to_pdf(statement_html(base_url, data, locale))
