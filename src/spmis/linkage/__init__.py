"""Record linkage: the engine (``engine``, ``prepare``, ``comparisons``, ``roles``), its command
line (``cli``: ``spmis link dedupe``) and, on top of it, registry deduplication, review, merges
and list matching. See docs/linkage.md.

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "capability",
    "dedupe_job",
    "engine",
    "review",
    "schemas",
]
