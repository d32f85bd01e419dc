"""The service refuses to start outside development with missing or placeholder secrets, from
the environment as an operator would set it, and the app and CLI fail before serving."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmis.config import Settings, UnsafeSettingsError, get_settings

GOOD = {
    "SPMIS_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
    "SPMIS_ENCRYPTION_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
    "SPMIS_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env file
    monkeypatch.setenv("SPMIS_VAR_DIR", str(tmp_path / "var"))
    for name in GOOD:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize(
    ("name", "value"),
    [("SPMIS_SECRET_KEY", None), ("SPMIS_SECRET_KEY", "changeme"),
     ("SPMIS_SECRET_KEY", "secret"), ("SPMIS_ENCRYPTION_KEYS", None),
     ("SPMIS_ENCRYPTION_KEYS", "k1:changeme"), ("SPMIS_BLIND_INDEX_KEY", None),
     ("SPMIS_BLIND_INDEX_KEY", "key")],
)
def test_refuses_missing_or_placeholder_from_environment(env, environment: str, name: str,  # type: ignore[no-untyped-def]
                                                         value: str | None) -> None:
    env.setenv("SPMIS_ENV", environment)
    for key, good in GOOD.items():
        env.setenv(key, good)
    if value is None:
        env.delenv(name)
    else:
        env.setenv(name, value)
    with pytest.raises(UnsafeSettingsError, match=name):
        Settings()


def test_no_dev_secrets_file_written_outside_development(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env.setenv("SPMIS_ENV", "production")
    with pytest.raises(UnsafeSettingsError):
        Settings()
    assert not (tmp_path / "var" / "dev-secrets.json").exists()


def test_serve_refuses_to_start(env) -> None:  # type: ignore[no-untyped-def]
    from spmis.cli import app

    env.setenv("SPMIS_ENV", "production")
    env.setenv("SPMIS_SECRET_KEY", "changeme")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code != 0
    assert isinstance(result.exception, UnsafeSettingsError)
    assert "changeme" not in str(result.exception)  # the refusal does not echo the secret
