"""What every entry point needs to run a use case: settings, engine, gazetteer, field cipher.
Built once per process (the API app, a CLI command) and passed to services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from spmis.config import Settings, private_dir
from spmis.crypto import FieldCipher
from spmis.db.engine import make_engine, pool_options
from spmis.gazetteer import Gazetteer, gazetteer


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    gazetteer: Gazetteer
    cipher: FieldCipher

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        private_dir(settings.var_dir)  # keys, the SQLite file and job files: owner only
        return cls(
            settings=settings,
            engine=make_engine(settings.database_url, **pool_options(settings)),
            gazetteer=gazetteer(),
            cipher=FieldCipher.from_settings(settings),
        )
