"""Issue 12, item 3: no identifier in clear left on disk by an import, and owner-only files.

An upload is 0600 in a 0700 folder while its job waits, and deleted when the job ends
(succeeded or failed); the reject report is encrypted at rest (and deleted after the retention
period); the SQLite file and var/ are owner-only. Refused uploads: tests/integration/jobs/
test_pages.py."""

from __future__ import annotations

import os
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.crypto import DecryptionError
from spmis.db.base import utcnow
from spmis.jobs import JobService, JobState
from spmis.jobs import files as job_files
from spmis.jobs import store as job_store
from spmis.jobs.files import MAGIC, JobFiles
from spmis.jobs.worker import JobWorker
from spmis.registry.import_job import KIND

REG = Actor("reg-files", frozenset({"registrar"}), "")
NATIONAL_ID = "918273645"
HEADER = ("household_key,village_code,person_key,relationship,sex,date_of_birth,"
          "family_name_latin,given_name_latin,national_id\n")
GOOD = "H1,12010101,P1,head,F,1980-01-01,Sok,Dara,123456789\n"
REJECTED = f"H2,12010101,P2,head,X,1980-01-01,Chan,Sophea,{NATIONAL_ID}\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _upload(service: JobService, content: str) -> str:
    name, part = service.files.new_upload(".csv")
    with job_files.create_private(part) as out:
        out.write(content.encode())
    part.replace(service.files.upload(name))
    return name


def test_upload_is_private_and_gone_when_the_job_ends(ctx: AppContext) -> None:
    service = JobService(ctx)
    name = _upload(service, HEADER + GOOD + REJECTED)
    upload = service.files.upload(name)
    job = service.submit(REG, KIND, {"upload": name, "file_name": "h.csv"})
    assert mode(upload) == 0o600
    assert mode(upload.parent) == 0o700 and mode(service.files.root) == 0o700
    JobWorker(ctx).drain()
    done = service.get(REG, job.id)
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.result is not None and done.result["rows_rejected"] == 1
    assert not upload.exists()
    assert list(upload.parent.iterdir()) == []


def test_upload_is_deleted_when_the_job_fails(ctx: AppContext) -> None:
    service = JobService(ctx)
    broken = HEADER + GOOD + 'H2,12010101,P2,head,F,"1980-01-01\n'  # an unclosed quote
    name = _upload(service, broken)
    job = service.submit(REG, KIND, {"upload": name, "file_name": "h.csv"})
    JobWorker(ctx).drain()
    failed = service.get(REG, job.id)
    assert failed.state == JobState.FAILED and failed.error_code == "invalid_input"
    assert not service.files.upload(name).exists()


def test_the_reject_report_is_encrypted_at_rest(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, KIND, {"upload": _upload(service, HEADER + GOOD + REJECTED),
                                     "file_name": "h.csv"})
    JobWorker(ctx).drain()
    folder = service.files.root / str(job.id)
    assert sorted(p.name for p in folder.iterdir()) == ["rejects.csv.enc"]
    sealed = folder / "rejects.csv.enc"
    assert mode(sealed) == 0o600 and mode(folder) == 0o700
    raw = sealed.read_bytes()
    assert raw.startswith(MAGIC)
    assert NATIONAL_ID.encode() not in raw and b"Sophea" not in raw
    clear = b"".join(service.read_report(REG, job.id, "rejects.csv")).decode()
    assert NATIONAL_ID in clear and "Sophea" in clear and "P1" not in clear


def test_an_encrypted_report_cannot_be_changed_cut_or_moved(
        ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    files = JobFiles(ctx.settings)
    monkeypatch.setattr(job_files, "BLOCK", 16)  # many blocks
    text = b"".join(f"row {i},{NATIONAL_ID}\n".encode() for i in range(20))
    for job_id in (7, 8):
        files.job_dir(job_id).joinpath("rejects.csv").write_bytes(text)
        assert files.seal(ctx.cipher, job_id) == ["rejects.csv"]
    assert b"".join(files.read_report(ctx.cipher, 7, "rejects.csv")) == text
    sealed = files.root / "7" / "rejects.csv.enc"
    good = sealed.read_bytes()
    sealed.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one bit changed
    with pytest.raises(DecryptionError):
        b"".join(files.read_report(ctx.cipher, 7, "rejects.csv"))
    record = 4 + int.from_bytes(good[len(MAGIC):len(MAGIC) + 4], "big")
    sealed.write_bytes(good[:len(MAGIC) + 3 * record])  # the last blocks cut off
    with pytest.raises(DecryptionError):
        b"".join(files.read_report(ctx.cipher, 7, "rejects.csv"))
    # job 8's file put in job 7's place: its blocks are bound to job 8
    (files.root / "8" / "rejects.csv.enc").replace(sealed)
    with pytest.raises(DecryptionError):
        b"".join(files.read_report(ctx.cipher, 7, "rejects.csv"))


def test_reports_are_deleted_after_the_retention_period(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, KIND, {"upload": _upload(service, HEADER + REJECTED),
                                     "file_name": "h.csv"})
    worker = JobWorker(ctx)
    worker.drain()
    assert service.reports(service.get(REG, job.id)) == ["rejects.csv"]
    worker.housekeeping()
    assert service.reports(service.get(REG, job.id)) == ["rejects.csv"]  # still within it
    days = ctx.settings.import_retention_days
    with ctx.engine.begin() as conn:
        conn.execute(update(job_store.job).where(job_store.job.c.id == job.id).values(
            finished_at=utcnow() - timedelta(days=days, minutes=1)))
    worker.housekeeping()
    assert service.reports(service.get(REG, job.id)) == []
    assert not (service.files.root / str(job.id)).exists()


def test_uploads_no_job_waits_for_are_deleted_after_an_hour(ctx: AppContext) -> None:
    service = JobService(ctx)
    waiting = _upload(service, HEADER + GOOD)
    service.submit(REG, KIND, {"upload": waiting, "file_name": "h.csv"})
    orphan = _upload(service, HEADER + GOOD)  # the server stopped before submitting it
    _, partial = service.files.new_upload(".csv")  # ... or while receiving it
    partial.write_bytes(b"household_key")
    old = time.time() - 2 * 3600
    for path in service.files.uploads.iterdir():
        os.utime(path, (old, old))
    JobWorker(ctx).housekeeping()
    assert [p.name for p in service.files.uploads.iterdir()] == [waiting]
    assert not service.files.upload(orphan).exists()


def test_the_sqlite_file_and_var_are_owner_only(tmp_path: Path, ctx: AppContext) -> None:
    from sqlalchemy import text

    from spmis.db.engine import make_engine

    var = tmp_path / "fresh-var"
    settings = ctx.settings.model_copy(update={
        "var_dir": var, "database_url": f"sqlite:///{var / 'spmis.db'}"})
    fresh = AppContext.create(settings)
    try:
        with fresh.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x integer)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert mode(var) == 0o700
        for name in ("spmis.db", "spmis.db-wal", "spmis.db-shm"):
            assert mode(var / name) == 0o600, name
    finally:
        fresh.engine.dispose()
    loose = tmp_path / "old" / "spmis.db"  # a database made by an earlier version, 0644
    loose.parent.mkdir()
    loose.touch(mode=0o644)
    loose.chmod(0o644)
    make_engine(f"sqlite:///{loose}").dispose()
    assert mode(loose) == 0o600
