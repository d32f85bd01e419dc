"""The files of background jobs under ``<var_dir>/jobs/`` (docs/security.md, "Files on disk"):

- ``uploads/<token>.csv|.xlsx``: an uploaded file waiting for its job (``.part`` while it is
  being received). Deleted as soon as its job ends, succeeded or not; a refused upload is
  deleted at once; one no job refers to is deleted after an hour.
- ``<job id>/<name>.csv.enc``: a report a job wrote (the reject report of an import), encrypted
  with the field-encryption key ring (AES-256-GCM, block by block, the job id and file name
  bound to every block) when the job ends; deleted ``import_retention_days`` after that.
  ``spmis keys rotate`` re-encrypts them with the first key of the ring (``rekey_reports``).

Folders are created 0700 and files 0600: only the account SPMIS runs as can read them. A job
writes its report in clear while it runs (the upload it reads is in clear too, in the same
private folder); both are gone or encrypted once it ends."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from spmis.config import Settings, private_dir
from spmis.context import AppContext
from spmis.crypto import DecryptionError, FieldCipher

PRIVATE_FILE = 0o600
MAGIC = b"SPMIS-ENC1\n"
BLOCK = 1 << 20
SEALED_SUFFIX = ".enc"
ORPHAN_UPLOAD_SECONDS = 3600
UPLOAD_SUFFIXES = (".csv", ".xlsx")


def create_private(path: Path) -> BinaryIO:
    """A new file only the owner may read, open for writing (fails if it exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    return os.fdopen(fd, "wb")


class JobFiles:
    """Where the jobs of one installation keep their files."""

    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.var_dir) / "jobs"

    @property
    def uploads(self) -> Path:
        return private_dir(self.root / "uploads")

    def new_upload(self, suffix: str) -> tuple[str, Path]:
        """A fresh upload name (``<token><suffix>``) and the ``.part`` path to receive it in."""
        if suffix not in UPLOAD_SUFFIXES:
            raise ValueError(f"unsupported upload suffix {suffix!r}")
        private_dir(self.root)
        name = secrets.token_urlsafe(16) + suffix
        return name, self.uploads / (name + ".part")

    def upload(self, name: str) -> Path:
        """The path of a received upload (``name`` as returned by ``new_upload``)."""
        if Path(name).name != name or not name.endswith(UPLOAD_SUFFIXES):
            raise ValueError("not an upload name")
        return self.uploads / name

    def job_dir(self, job_id: int) -> Path:
        private_dir(self.root)
        return private_dir(self.root / str(int(job_id)))

    def delete_upload(self, name: str | None) -> None:
        if name:
            with contextlib.suppress(ValueError):
                self.upload(name).unlink(missing_ok=True)

    # -------------------------------------------------------------- reports at rest
    def seal(self, cipher: FieldCipher, job_id: int) -> list[str]:
        """Encrypt every clear ``*.csv`` a job left in its folder and delete the clear file.
        Returns the names of the sealed files (``rejects.csv`` ...). Running it twice is safe."""
        folder = self.root / str(int(job_id))
        if not folder.is_dir():
            return []
        sealed = []
        for clear in sorted(folder.glob("*.csv")):
            target = clear.with_name(clear.name + SEALED_SUFFIX)
            part = target.with_name(target.name + ".part")
            part.unlink(missing_ok=True)
            with clear.open("rb") as src, create_private(part) as out:
                _encrypt_stream(cipher, _context(job_id, clear.name), src, out)
                out.flush()
                os.fsync(out.fileno())
            part.replace(target)
            clear.unlink()
            sealed.append(clear.name)
        return sealed

    def sealed_reports(self) -> Iterator[tuple[int, str, Path]]:
        """(job id, report name, path) of every sealed report, by job."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not (folder.is_dir() and folder.name.isdigit()):
                continue
            for path in sorted(folder.glob("*.csv" + SEALED_SUFFIX)):
                yield int(folder.name), path.name.removesuffix(SEALED_SUFFIX), path

    def key_ids(self, cipher: FieldCipher, path: Path) -> set[str]:
        """The ids of the keys that seal the blocks of ``path``."""
        with path.open("rb") as src:
            return {cipher.key_id_of(blob) for blob in _sealed_blocks(src)}

    def rekey(self, cipher: FieldCipher, job_id: int, name: str) -> bool:
        """Seal report ``name`` of job ``job_id`` again with the primary key when a block of it
        is under another key (block by block, the file replaced at once when done: a reader
        sees the old file or the new one). Returns whether it was rewritten."""
        path = self._sealed(job_id, name)
        if self.key_ids(cipher, path) <= {cipher.primary}:
            return False
        context = _context(job_id, name)
        part = path.with_name(path.name + ".part")
        part.unlink(missing_ok=True)
        with path.open("rb") as src, create_private(part) as out:
            _encrypt_blocks(cipher, context, _decrypt_stream(cipher, context, src), out)
            out.flush()
            os.fsync(out.fileno())
        part.replace(path)
        return True

    def has_report(self, job_id: int, name: str) -> bool:
        return self._sealed(job_id, name).is_file()

    def read_report(self, cipher: FieldCipher, job_id: int, name: str) -> Iterator[bytes]:
        """The clear content of a sealed report, block by block."""
        path = self._sealed(job_id, name)
        with path.open("rb") as src:
            yield from _decrypt_stream(cipher, _context(job_id, name), src)

    def _sealed(self, job_id: int, name: str) -> Path:
        if Path(name).name != name or not name.endswith(".csv"):
            raise ValueError("not a report name")
        return self.root / str(int(job_id)) / (name + SEALED_SUFFIX)

    # -------------------------------------------------------------- housekeeping
    def purge_jobs(self, job_ids: Iterable[int]) -> int:
        """Delete the folders of these jobs (their retention period ended)."""
        count = 0
        for job_id in job_ids:
            folder = self.root / str(int(job_id))
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                count += 1
        return count

    def purge_orphan_uploads(self, in_use: set[str], now: float | None = None) -> int:
        """Delete uploads no waiting or running job refers to, once an hour old (a server that
        stopped while receiving, or between receiving and submitting)."""
        folder = self.root / "uploads"
        if not folder.is_dir():
            return 0
        now = time.time() if now is None else now
        count = 0
        for path in folder.iterdir():
            name = path.name.removesuffix(".part")
            if name in in_use:
                continue
            try:
                if now - path.stat().st_mtime > ORPHAN_UPLOAD_SECONDS:
                    path.unlink(missing_ok=True)
                    count += 1
            except FileNotFoundError:
                continue
        return count


def _context(job_id: int, name: str) -> str:
    return f"job-file:{int(job_id)}:{name}"


def _encrypt_stream(cipher: FieldCipher, context: str, src: BinaryIO, out: BinaryIO) -> None:
    """Blocks of ``BLOCK`` bytes, each sealed with its index (and a last-block mark) bound as
    associated data, so blocks can be neither reordered nor cut off unnoticed."""
    _encrypt_blocks(cipher, context, iter(lambda: src.read(BLOCK), b""), out)


def _encrypt_blocks(cipher: FieldCipher, context: str, blocks: Iterator[bytes],
                    out: BinaryIO) -> None:
    """``_encrypt_stream`` of the clear ``blocks`` (an empty file is one empty block)."""
    out.write(MAGIC)
    index = 0
    block = next(blocks, b"")
    while True:
        following = next(blocks, None)
        last = following is None
        blob = cipher.encrypt_bytes(block, f"{context}#{index}{'#last' if last else ''}")
        out.write(len(blob).to_bytes(4, "big") + blob)
        if following is None:
            return
        block, index = following, index + 1


def _sealed_blocks(src: BinaryIO) -> Iterator[bytes]:
    """The sealed blocks of an encrypted file, as stored (not decrypted)."""
    if src.read(len(MAGIC)) != MAGIC:
        raise DecryptionError("not an encrypted SPMIS file")
    head = src.read(4)
    while head:
        yield src.read(int.from_bytes(head, "big"))
        head = src.read(4)


def rekey_reports(ctx: AppContext, progress: Callable[[str, int], None] | None = None
                  ) -> tuple[int, dict[str, int]]:
    """Seal every job report again with the primary key where it is under another one
    (``spmis keys rotate``); (reports rewritten, reports per key id after)."""
    files = JobFiles(ctx.settings)
    rewritten = 0
    per_key: dict[str, int] = {}
    for job_id, name, path in files.sealed_reports():
        rewritten += files.rekey(ctx.cipher, job_id, name)
        for kid in files.key_ids(ctx.cipher, path):
            per_key[kid] = per_key.get(kid, 0) + 1
        if progress:
            progress("job reports", rewritten)
    return rewritten, per_key


def _decrypt_stream(cipher: FieldCipher, context: str, src: BinaryIO) -> Iterator[bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise DecryptionError("not an encrypted SPMIS file")
    index = 0
    head = src.read(4)
    while head:
        blob = src.read(int.from_bytes(head, "big"))
        nxt = src.read(4)
        last = not nxt
        yield cipher.decrypt_bytes(blob, f"{context}#{index}{'#last' if last else ''}")
        head, index = nxt, index + 1
    if index == 0:
        raise DecryptionError("the encrypted file is empty")
