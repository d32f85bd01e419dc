"""Printable documents: an HTML page (a Jinja2 template in the reader's language) made into a PDF,
and QR codes.

A shared mechanism (on the line of ``spmis.pagekit``, whose template environments it uses), for
every capability that prints: member statements, posting lists, equity cards, reports.

- ``pdf.render_pdf(template, context, locale)``: the template (under ``web/templates``, usually
  extending ``documents/base.html``) rendered with the catalogue of ``locale`` and made into PDF
  bytes by WeasyPrint. Khmer is shaped by Pango/HarfBuzz with the Noto Sans Khmer font SPMIS
  already serves (``web/static/vendor``); nothing is fetched from outside (only files under the
  static folder and ``data:`` addresses are read).
- ``pdf.render_html(template, context, locale)``: the same document as an HTML string, for a
  printable page that matches the PDF.
- ``pdf.html_to_pdf(html)``: any HTML string to PDF with the same fonts and fetch rules.
- ``qr.qr_svg(text)`` / ``qr.qr_data_uri(text)``: a QR code (segno, SVG) inline or as an
  ``<img src>`` address.
"""

from spmis.documents import pdf, qr

__all__ = ["pdf", "qr"]
