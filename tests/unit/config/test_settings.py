"""Settings refuse unsafe secrets outside development and keep development keys stable."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from spmis.config import Environment, Settings, UnsafeSettingsError


def good_keys() -> dict[str, str]:
    return {
        "secret_key": base64.b64encode(os.urandom(48)).decode(),
        "encryption_keys": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "blind_index_key": base64.b64encode(os.urandom(32)).decode(),
    }


def test_production_with_good_keys_starts(tmp_path: Path) -> None:
    s = Settings(env="production", var_dir=tmp_path, **good_keys())
    assert s.env is Environment.PRODUCTION


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("secret_key", "", "SPMIS_SECRET_KEY"),
        ("secret_key", "changeme", "SPMIS_SECRET_KEY"),
        ("encryption_keys", "", "SPMIS_ENCRYPTION_KEYS"),
        ("encryption_keys", "k1:c2hvcnQ=", "SPMIS_ENCRYPTION_KEYS"),
        ("blind_index_key", "not base64!", "SPMIS_BLIND_INDEX_KEY"),
    ],
)
@pytest.mark.parametrize("env", ["production", "test"])
def test_unsafe_secrets_refused(
    tmp_path: Path, env: str, field: str, value: str, named: str
) -> None:
    keys = good_keys() | {field: value}
    with pytest.raises(UnsafeSettingsError, match=named):
        Settings(env=env, var_dir=tmp_path, **keys)


def test_development_generates_and_keeps_random_keys(tmp_path: Path) -> None:
    first = Settings(env="development", var_dir=tmp_path)
    second = Settings(env="development", var_dir=tmp_path)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert first.encryption_keys == second.encryption_keys
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0
    other = Settings(env="development", var_dir=tmp_path / "other")
    assert other.secret_key != first.secret_key


def test_every_setting_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"


def test_the_connection_pool_is_sized_by_the_settings(tmp_path: Path) -> None:
    from spmis.context import AppContext

    s = Settings(env="test", var_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1/none",
                 db_pool_size=7, db_max_overflow=3, **good_keys())
    pool: Any = AppContext.create(s).engine.pool  # no connection is opened
    assert (pool.size(), pool._max_overflow) == (7, 3)
    lite = Settings(env="test", var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}",
                    db_pool_size=7, **good_keys())
    assert AppContext.create(lite).engine.pool.size() != 7  # SQLite keeps its own pool
