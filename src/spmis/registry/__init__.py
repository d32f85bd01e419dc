"""The registry of households, people and enterprises: registration and correction
(``service.RegistryService``), search, history, bulk import and export, personal data (reveal,
consent), merges of duplicate people (``merges``) and equity cards reaching households
(``equity``). Other capabilities read registry data
through ``queries`` and change it only through these use cases.

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "capability",
    "equity",
    "exporter",
    "fileformat",
    "identifiers",
    "import_job",
    "importer",
    "merges",
    "model",
    "personal",
    "queries",
    "schemas",
    "service",
]
