"""Synthetic Cambodian population (``spmis synth``).

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "capability",
    "generator",
]
