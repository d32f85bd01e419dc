"""Database: engine, unit of work, shared metadata and Alembic migrations."""
