"""``N_``: marks an English msgid for the catalogue where the text is written (a menu entry, a
label, a page's table) without translating it there; templates and ``gettext`` translate it
when shown. ``make messages`` extracts every ``N_("...")`` of src/spmis."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here."""
    return message
