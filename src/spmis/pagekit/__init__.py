"""The machinery every page module uses, whichever package it is in (``spmis.web``'s pages,
``spmis.jobs.pages`` and each later capability's ``pages.py``): a foundation below them all, so
that no capability imports ``spmis.web`` and ``spmis.web`` may import every capability.

Layout::

    texts.py       ``N_``: marks an English msgid (menu entries, labels) for the catalogue
    i18n.py        catalogues (compiled from the .po files at startup), locale choice, formatting
    templating.py  one Jinja2 environment per language; ``render`` builds a page response
    nav.py         the menus, built from the capabilities' manifests (``Capability.menu``)
    session.py     who is looking at a page (the staff session), CSRF token, role checks
    routing.py     ``PageRoute``: domain errors become HTML pages (login redirect, 403, 404...)
    forms.py       form fields <-> FieldError locations, so a message sits next to its field
    dates.py       the one date input (day, month by name, year) read into an ISO date
    history_text.py  a record's history said in the reader's language
    labels.py      people-facing names of codes (relationships, roles, identifiers, fields)
    areas.py       the area picker (province, district, commune, village) within a scope

The files it serves stay beside the pages in ``src/spmis/web``: the templates
(``web/templates``), the catalogues (``web/translations``) and the static files.
"""

__all__ = [
    "areas",
    "dates",
    "forms",
    "history_text",
    "i18n",
    "labels",
    "nav",
    "routing",
    "session",
    "templating",
    "texts",
]
