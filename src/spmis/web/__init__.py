"""Web pages: the public portal (no login) and the back office (staff login), server-rendered with
Jinja2 and htmx, in Khmer and English.

Layout::

    i18n.py        catalogues (compiled from the .po files at startup), locale choice, formatting
    templating.py  one Jinja2 environment per language; ``render`` builds a page response
    nav.py         the navigation registry: each area adds its menu entries here
    session.py     who is looking at a page (the staff session), CSRF token, role checks
    routing.py     ``PageRoute``: domain errors become HTML pages (login redirect, 403, 404...)
    forms.py       form fields <-> FieldError locations, so a message sits next to its field
    public.py      home, programme catalogue, "am I eligible?"
    backoffice.py  login, registry search, household and person pages, registration, corrections
    ...            approvals.py, admin.py, imports.py: one module per back-office area
    mount.py       ``router``: every capability's pages and the static files (for spmis.app)

Later capabilities add a page module with an ``APIRouter(route_class=PageRoute)`` and list it,
its menu entries and its access rules in their ``capability.py`` (``Capability.pages``,
``menu``, ``access``); ``mount.py`` and ``nav.py`` read the manifests.

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "capability",
    "mount",
    "programme_info",
    "routing",
    "session",
    "templating",
]
