"""Record linkage: the engine (``engine``, ``prepare``, ``comparisons``, ``roles``), its command
line (``cli``: ``spmis link dedupe``) and, on top of it, registry deduplication, review, merges
and list matching. See docs/linkage.md."""
