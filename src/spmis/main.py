"""ASGI entry point for uvicorn: ``spmis.main:app``."""

from spmis.app import create_app

app = create_app()
