"""Web pages: the public portal (no login) and the back office (staff login), server-rendered with
Jinja2 and htmx, in Khmer and English. The machinery they use (rendering, the session, the page
route class, forms, catalogues) is ``spmis.pagekit``, below every capability; this package is
above them: its page modules call the capabilities' services and queries.

Layout::

    public.py      home, programme catalogue, "am I eligible?" (with screener_*.py)
    signin.py      sign-in and sign-out
    registration.py, office.py   registration, registry search, household and person pages
    ...            approvals.py, admin.py, imports.py, linkage_review.py: one module per area
    mount.py       ``router``: every capability's pages and the static files (for spmis.app)
    templates/, translations/, static/   the files of every package's pages

Later capabilities add a ``pages.py`` with an ``APIRouter(route_class=PageRoute)`` (from
``spmis.pagekit.routing``) and list it, its menu entries and its access rules in their
``capability.py`` (``Capability.pages``, ``menu``, ``access``); ``mount.py`` and
``spmis.pagekit.nav`` read the manifests. No other package imports ``spmis.web``.
"""

__all__ = [
    "capability",
    "mount",
]
