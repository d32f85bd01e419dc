"""Use cases of payment delivery that the API, the pages and the command line share: the payroll
page's figures, receiving a result file and starting its reconciliation job, and reading a
reconciliation with its report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Any

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import InvalidInput, NotFound
from spmis.jobs import JobService
from spmis.jobs.files import create_private
from spmis.payments.payroll_files import cycle_row, payroll_counts
from spmis.payments.providers import get_provider, list_providers
from spmis.payments.reconcile_job import KIND as RECONCILE_KIND
from spmis.payments.reconciliation import get_reconciliation, list_reconciliations

__all__ = ["import_event_file", "payroll_page", "reconciliation_view", "submit_result_file"]

SUFFIXES = (".csv", ".xlsx")


def payroll_page(ctx: AppContext, actor: Actor, cycle_id: int) -> dict[str, Any]:
    """A cycle's payroll: lines and amount per provider, lines without an account, the
    providers, and the cycle's reconciliations (newest first)."""
    with ctx.engine.connect() as conn:
        cycle = cycle_row(conn, cycle_id)
        providers = list_providers(conn)
    return {"cycle": cycle, "counts": payroll_counts(ctx, actor, cycle_id),
            "providers": providers, "reconciliations": list_reconciliations(ctx, cycle_id)}


def _bad_file(msg: str, msg_km: str) -> InvalidInput:
    return InvalidInput.one(("file",), "invalid_file", msg, msg_km)


def submit_result_file(ctx: AppContext, actor: Actor, cycle_id: int, provider_code: str,
                       file_name: str, stream: IO[bytes]) -> int:
    """Keep an uploaded result file (private, size-limited) and start its reconciliation job;
    returns the job id. The cycle and the provider are checked before anything is kept."""
    with ctx.engine.connect() as conn:
        cycle_row(conn, cycle_id)
        try:
            get_provider(conn, provider_code)
        except NotFound:
            raise InvalidInput.one(("provider",), "unknown_provider", "choose a provider",
                                   "សូមជ្រើសរើសអ្នកផ្តល់សេវា") from None
    suffix = Path(file_name or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise _bad_file("use a .csv or .xlsx file", "សូមប្រើឯកសារ .csv ឬ .xlsx")
    limit_mb = ctx.settings.import_max_upload_mb
    service = JobService(ctx)
    name, part = service.files.new_upload(suffix)
    try:
        with create_private(part) as out:
            shutil.copyfileobj(stream, out, 1 << 16)
        size = part.stat().st_size
        if size == 0:
            raise _bad_file("the file is empty", "ឯកសារទទេ")
        if size > limit_mb * 1_000_000:
            raise _bad_file(f"the file is larger than {limit_mb:,} MB",
                            f"ឯកសារធំជាង {limit_mb:,} MB")
        part.replace(service.files.upload(name))
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    job = service.submit(actor, RECONCILE_KIND, {
        "upload": name, "file_name": Path(file_name).name[:200], "bytes": size,
        "cycle_id": cycle_id, "provider": provider_code})
    return job.id


def reconciliation_view(ctx: AppContext, rec_id: int) -> dict[str, Any]:
    rec = get_reconciliation(ctx, rec_id)
    with ctx.engine.connect() as conn:
        rec["cycle"] = cycle_row(conn, rec["cycle_id"])
    return rec


def import_event_file(ctx: AppContext, actor: Actor, file_name: str,
                      stream: IO[bytes]) -> Any:
    """A health centre's uploaded file of events, kept privately while it is read, then
    deleted; ``conditions.import_events``' result."""
    from spmis.payments.conditions import import_events

    suffix = Path(file_name or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise _bad_file("use a .csv or .xlsx file", "សូមប្រើឯកសារ .csv ឬ .xlsx")
    files = JobService(ctx).files
    name, part = files.new_upload(suffix)
    try:
        with create_private(part) as out:
            shutil.copyfileobj(stream, out, 1 << 16)
        if part.stat().st_size > ctx.settings.import_max_upload_mb * 1_000_000:
            raise _bad_file("the file is too large", "ឯកសារធំពេក")
        kept = part.with_name(name)
        part.replace(kept)
        try:
            return import_events(ctx, actor, kept)
        finally:
            kept.unlink(missing_ok=True)
    finally:
        part.unlink(missing_ok=True)
