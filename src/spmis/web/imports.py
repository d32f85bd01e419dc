"""File import for registrars: upload a households file (CSV or XLSX, the format of
docs/import-format.md), the registry importer keeps the good rows and writes the bad ones with
their reasons to a reject report, which the user downloads from the result page.

Uploads and reports are kept under ``<var_dir>/imports/<random id>/`` with the uploader's name;
only that user may download the report."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from spmis.auth.model import Actor
from spmis.errors import InvalidInput, NotFound
from spmis.registry.fileformat import SUPPORTED_SUFFIXES, FileFormatError
from spmis.registry.importer import import_households
from spmis.web.routing import PageRoute
from spmis.web.session import app_ctx, check_csrf, require_actor
from spmis.web.templating import render, request_locale

router = APIRouter(route_class=PageRoute, include_in_schema=False)


MAX_BYTES = 20 * 1024 * 1024
CHUNK = 1024 * 1024
REJECTS = "rejects.csv"


def imports_dir(request: Request) -> Path:
    return Path(app_ctx(request).settings.var_dir) / "imports"


def _bad_file(msg: str, msg_km: str) -> InvalidInput:
    return InvalidInput.one(("file",), "invalid_file", msg, msg_km)


async def _save(upload: UploadFile, target: Path) -> None:
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > MAX_BYTES:
                raise _bad_file("the file is larger than 20 MB; split it",
                                "ឯកសារធំជាង ២០ MB សូមបំបែកវា")
            out.write(chunk)
    if size == 0:
        raise _bad_file("the file is empty", "ឯកសារទទេ")


@router.get("/office/imports", response_class=HTMLResponse)
def import_form(request: Request) -> HTMLResponse:
    """The upload form, with the columns a file needs."""
    require_actor(request)
    return render(request, "office/imports.html", {"errors": {}, "summary": None},
                  area="office")


@router.post("/office/imports", response_class=HTMLResponse)
async def run_import(request: Request) -> HTMLResponse:
    """Import the uploaded file; show the counts and the link to the reject report."""
    async with request.form(max_part_size=MAX_BYTES + CHUNK) as form:  # closes the upload
        check_csrf(request, form)
        actor = require_actor(request)
        return await _import(request, actor, form.get("file"))


async def _import(request: Request, actor: Actor, upload: object) -> HTMLResponse:
    import_id = secrets.token_urlsafe(12)
    folder = imports_dir(request) / import_id
    summary: dict[str, Any] | None = None
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise _bad_file("choose a file", "សូមជ្រើសរើសឯកសារ")
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise _bad_file("use a .csv or .xlsx file", "សូមប្រើឯកសារ .csv ឬ .xlsx")
        folder.mkdir(parents=True)
        (folder / "owner.json").write_text(json.dumps({"user": actor.username}))
        source = folder / f"upload{suffix}"
        await _save(upload, source)
        result = await run_in_threadpool(
            import_households, app_ctx(request), source, actor, folder / REJECTS, False)
    except FileFormatError as exc:
        text = str(exc).replace(str(folder), "").replace("upload", "file")
        errors = {"file": text}
        return render(request, "office/imports.html", {"errors": errors, "summary": None},
                      status_code=422, area="office")
    except InvalidInput as exc:
        locale = request_locale(request)
        errors = {"file": "; ".join(e.msg_km if locale == "km" else e.msg for e in exc.errors)}
        return render(request, "office/imports.html", {"errors": errors, "summary": None},
                      status_code=422, area="office")
    summary = {
        "file": upload.filename,
        "rows_read": result.rows_read,
        "households_created": result.households_created,
        "people_created": result.people_created,
        "rows_unchanged": result.rows_unchanged,
        "rows_rejected": result.rows_rejected,
        "rejects_url": f"/office/imports/{import_id}/rejects" if result.rows_rejected else None,
    }
    return render(request, "office/imports.html", {"errors": {}, "summary": summary},
                  area="office")


@router.get("/office/imports/{import_id}/rejects")
def download_rejects(request: Request, import_id: str) -> FileResponse:
    """The reject report of an import (CSV: the rejected rows, the field and the reason)."""
    actor = require_actor(request)
    folder = imports_dir(request) / import_id
    missing = NotFound("no such report", "រកមិនឃើញរបាយការណ៍នេះទេ")
    if not import_id.replace("-", "").replace("_", "").isalnum() or not folder.is_dir():
        raise missing
    owner = json.loads((folder / "owner.json").read_text()).get("user")
    report = folder / REJECTS
    if owner != actor.username or not report.is_file():
        raise missing
    return FileResponse(report, media_type="text/csv; charset=utf-8",
                        filename=f"rejects-{import_id}.csv")
