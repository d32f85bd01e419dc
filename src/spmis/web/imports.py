"""File import for registrars: upload a households file (CSV or XLSX, the format of
docs/import-format.md); it is imported by a background job (``registry.import_households``)
whose page shows the progress, the counts and the reject report to download.

The upload is streamed to disk as it arrives, never held whole in memory or in a temporary
file of the web framework: the size is checked while it streams (``SPMIS_IMPORT_MAX_UPLOAD_MB``)
and a refused upload leaves no file behind. The CSRF field must come before the file in the
form (it does in the page's form) and is checked before any byte of the file is kept. The file
is created 0600 in a 0700 folder and deleted when its job ends (spmis.jobs.files)."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from spmis.auth.deps import CSRF_FIELD, bearer_token
from spmis.auth.model import Actor
from spmis.errors import Forbidden, InvalidInput
from spmis.jobs import JobService
from spmis.jobs.files import create_private
from spmis.pagekit.i18n import KHMER_DIGITS
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, csrf_token, require_actor
from spmis.pagekit.templating import render, request_locale
from spmis.pagekit.texts import N_
from spmis.registry.fileformat import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_REQUIRED,
    SUPPORTED_SUFFIXES,
    FileFormatError,
    check_columns,
    read_header,
)
from spmis.registry.import_job import KIND
from spmis.registry.model import Relationship

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FILE_FIELD = "file"
#: room for the form's other fields and the multipart framing, beyond the file itself
FORM_OVERHEAD = 64 * 1024
MAX_FIELD_BYTES = 4096


class TooLarge(InvalidInput):
    """The upload is over the limit (HTTP 413)."""


def _bad_file(msg: str, msg_km: str) -> InvalidInput:
    return InvalidInput.one((FILE_FIELD,), "invalid_file", msg, msg_km)


def _too_large(limit_mb: int) -> TooLarge:
    return TooLarge(_bad_file(f"the file is larger than {limit_mb:,} MB; split it",
                              f"ឯកសារធំជាង {limit_mb:,} មេកាបៃ សូមបំបែកវា"
                              .translate(KHMER_DIGITS)).errors)


def _expired() -> Forbidden:
    return Forbidden("the form expired; reload the page and try again",
                     "ទម្រង់បែបបទផុតកំណត់ សូមផ្ទុកទំព័រឡើងវិញ ហើយព្យាយាមម្តងទៀត")


class _UploadReader:
    """Receives a multipart body (python-multipart's streaming parser) and writes its one file
    part to a new private file, counting bytes as they come."""

    def __init__(self, request: Request, limit: int, limit_mb: int) -> None:
        self.files = JobService(app_ctx(request)).files
        self.expected_csrf = None if bearer_token(request) else csrf_token(request)
        self.limit, self.limit_mb = limit, limit_mb
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.upload_name: str | None = None
        self.part_path: Path | None = None
        self.final_path: Path | None = None
        self.submitted = False
        self.size = 0
        self._out: BinaryIO | None = None
        self._reset()

    def _reset(self) -> None:
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()

    # python-multipart callbacks ------------------------------------------------------
    def on_part_begin(self) -> None:
        self._reset()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            return
        self._is_file = True
        if self._name != FILE_FIELD or self.filename is not None:
            raise _bad_file("send one file, in the field 'file'",
                            "សូមផ្ញើឯកសារតែមួយ ក្នុងប្រអប់ 'file'")
        self.filename = Path(filename.decode("utf-8", "replace")).name
        if not self.filename:
            raise _bad_file("choose a file", "សូមជ្រើសរើសឯកសារ")
        suffix = Path(self.filename).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise _bad_file("use a .csv or .xlsx file", "សូមប្រើឯកសារ .csv ឬ .xlsx")
        if self.expected_csrf is not None:  # a page session: the token must come first
            given = self.fields.get(CSRF_FIELD)
            if not given or not hmac.compare_digest(given, self.expected_csrf):
                raise _expired()
        self.upload_name, self.part_path = self.files.new_upload(suffix)
        self._out = create_private(self.part_path)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            assert self._out is not None
            self.size += end - start
            if self.size > self.limit:
                raise _too_large(self.limit_mb)
            self._out.write(data[start:end])
        else:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise _bad_file("a form field is too long", "ប្រអប់មួយវែងពេក")

    def on_part_end(self) -> None:
        if self._is_file:
            assert self._out is not None
            self._out.close()
            self._out = None
        elif self._name:
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    # ---------------------------------------------------------------------------------
    def callbacks(self) -> dict[str, Any]:
        names = ("on_part_begin", "on_header_field", "on_header_value", "on_header_end",
                 "on_headers_finished", "on_part_data", "on_part_end")
        return {n: getattr(self, n) for n in names}

    def discard(self) -> None:
        """Remove whatever was received (a refused or broken upload leaves nothing)."""
        if self._out is not None:
            self._out.close()
            self._out = None
        for path in (self.part_path, self.final_path):
            if path is not None and not self.submitted:
                path.unlink(missing_ok=True)

    def keep(self) -> Path:
        """The received file under its final name."""
        assert self.part_path is not None and self.upload_name is not None
        self.final_path = self.files.upload(self.upload_name)
        self.part_path.replace(self.final_path)
        self.part_path = None
        return self.final_path


async def _receive(request: Request, reader: _UploadReader) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > reader.limit + FORM_OVERHEAD:
        raise _too_large(reader.limit_mb)
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise _bad_file("choose a file", "សូមជ្រើសរើសឯកសារ")
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    async for chunk in request.stream():
        parser.write(chunk)
    parser.finalize()
    if reader.part_path is None:  # no file part
        if reader.expected_csrf is not None and reader.fields.get(CSRF_FIELD) != \
                reader.expected_csrf:
            raise _expired()
        raise _bad_file("choose a file", "សូមជ្រើសរើសឯកសារ")
    if reader.size == 0:
        raise _bad_file("the file is empty", "ឯកសារទទេ")


def _check_header(path: Path, shown_name: str) -> None:
    try:
        check_columns(read_header(path), HOUSEHOLD_REQUIRED, HOUSEHOLD_COLUMNS, shown_name)
    except FileFormatError as exc:
        text = str(exc).replace(str(path), shown_name).replace(path.name, shown_name)
        km = (exc.msg_km or text).replace(str(path), shown_name).replace(path.name, shown_name)
        raise _bad_file(text, f"ឯកសារនេះមិនអាចនាំចូលបានទេ៖ {km}") from None


#: what each required column holds, for the form (the names stay as the file must write them)
REQUIRED_COLUMNS = [
    ("household_key", N_("the household's number in your file, the same on each of its "
                         "members' rows"), ()),
    ("village_code", N_("the village's 8-digit code"), ()),
    ("person_key", N_("the person's number in your file"), ()),
    ("relationship", N_("relationship to the head, one of:"), tuple(r.value for r in Relationship)),
    ("sex", N_("sex, one of:"), ("F", "M")),
    ("date_of_birth", N_("date of birth as year-month-day, for example:"), ("1998-12-03",)),
]


@router.get("/office/imports", response_class=HTMLResponse)
def import_form(request: Request) -> HTMLResponse:
    """The upload form, with the columns a file needs."""
    require_actor(request)
    return render(request, "office/imports.html", {
        "errors": {}, "limit_mb": app_ctx(request).settings.import_max_upload_mb,
        "required_columns": REQUIRED_COLUMNS,
    }, area="office")


@router.post("/office/imports", response_class=HTMLResponse)
async def upload_file(request: Request) -> Response:
    """Receive the file and start its import job; the job's page follows it."""
    actor = require_actor(request)
    settings = app_ctx(request).settings
    limit_mb = settings.import_max_upload_mb
    reader = _UploadReader(request, limit_mb * 1_000_000, limit_mb)
    try:
        await _receive(request, reader)
        await run_in_threadpool(_check_header, reader.keep(), reader.filename or "file")
        job = await run_in_threadpool(_submit, request, actor, reader)
    except InvalidInput as exc:
        reader.discard()
        locale = request_locale(request)
        errors = {FILE_FIELD: "; ".join(e.msg_km if locale == "km" else e.msg
                                        for e in exc.errors)}
        return render(request, "office/imports.html", {"errors": errors, "limit_mb": limit_mb,
                                                       "required_columns": REQUIRED_COLUMNS},
                      status_code=413 if isinstance(exc, TooLarge) else 422, area="office")
    except BaseException:
        reader.discard()
        raise
    return RedirectResponse(f"/office/jobs/{job}", status_code=303)


def _submit(request: Request, actor: Actor, reader: _UploadReader) -> int:
    service = JobService(app_ctx(request))
    job = service.submit(actor, KIND, {"upload": reader.upload_name,
                                       "file_name": reader.filename, "bytes": reader.size})
    reader.submitted = True
    return job.id
