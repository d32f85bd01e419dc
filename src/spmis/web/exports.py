"""Downloads of the back office's lists (issue 13, item 20): the households and the people a
search finds, as CSV or XLSX, with the same filters as the page and only what the user may see
(the registry service applies their area). Column names and labels are in the reader's
language; text cells pass the formula guard (``spmis.formula_guard``); no identifier is
written. Every download is logged as a staff read of the records it holds (the access log), in
one statement per page of results, before that page is sent.

A download holds the whole list, fetched ``PAGE`` rows at a time: the CSV is streamed page by
page; the XLSX is written row by row (openpyxl's write-only mode) into an owner-only file under
``var/exports/`` that is sent and deleted. Memory stays that of a page either way. (A list that
changes while it downloads may show a record twice or not at all, as paging the screen would.)"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook
from starlette.concurrency import run_in_threadpool

from spmis.auth import access
from spmis.auth.deps import client_address
from spmis.auth.model import Actor
from spmis.config import private_dir
from spmis.errors import InvalidInput
from spmis.formula_guard import csv_row_writer, guard_row
from spmis.pagekit.i18n import Formatter
from spmis.pagekit.labels import SEX_LABELS
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, require_actor
from spmis.pagekit.templating import gettext, request_locale
from spmis.pagekit.texts import N_
from spmis.reference.places import find_places
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Format = Literal["csv", "xlsx"]
#: rows fetched (and logged) at a time
PAGE = 500
#: bytes sent at a time from a finished XLSX file
SEND_BLOCK = 1 << 16
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HOUSEHOLD_COLUMNS = (N_("Household number"), N_("Head of household"), N_("Name in Latin letters"),
                     N_("Province or capital"), N_("District, municipality or khan"),
                     N_("Commune or sangkat"), N_("Village"), N_("IDPoor level"), N_("Members"))
PERSON_COLUMNS = (N_("Person number"), N_("Name"), N_("Name in Latin letters"), N_("Sex"),
                  N_("Date of birth"), N_("Household number"))


def _name(km: str | None, km2: str | None) -> str:
    return " ".join(p for p in (km, km2) if p)


def _area(gaz: Any, code: str, locale: str) -> list[str]:
    """Province, district, commune and village names of a village code."""
    out = []
    for length in (2, 4, 6, 8):
        unit = gaz.get(code[:length])
        out.append("" if unit is None else unit.name_km if locale == "km" else unit.name_en)
    return out


#: each page of a list: its rows, and what was read of each record (for the access log)
Pages = Iterator[tuple[list[list[Any]], dict[int, str]]]


def _pages(fetch: Callable[[int], s.Page[Any]]) -> Iterator[list[Any]]:
    """All the results, a page of ``PAGE`` at a time."""
    page = 1
    while True:
        found = fetch(page)
        if not found.items:
            return
        yield found.items
        if len(found.items) < PAGE:
            return
        page += 1


def _households(request: Request, actor: Actor) -> Pages:
    """The households the search of this address finds, page by page: the rows and what each
    holds. The address is checked at once (a bad one raises before anything is sent)."""
    ctx, locale = app_ctx(request), request_locale(request)
    q = request.query_params
    typed = (q.get("area") or "").strip()
    area = None
    if typed:
        place = find_places(ctx.gazetteer, typed, actor.scope)
        if place.unit is None:
            raise InvalidInput.one(("area",), "unknown_place",
                                   f"no single place is called {typed!r}",
                                   f"គ្មានទីកន្លែងតែមួយឈ្មោះ «{typed}» ទេ")
        area = place.unit.code
    level_text = q.get("idpoor_level") or ""
    level = int(level_text) if level_text in {"1", "2"} else None
    service, fmt = RegistryService(ctx), Formatter(locale)
    none = gettext(request, N_("None"))

    def pages() -> Pages:
        for items in _pages(lambda page: service.search_households(
                actor, area=area, idpoor_level=level, page=page, page_size=PAGE)):
            rows: list[list[Any]] = []
            for hh in items:
                head = next((m for m in hh.members if m.id == hh.head_person_id),
                            hh.members[0] if hh.members else None)
                rows.append([
                    hh.id,
                    _name(head.family_name_km, head.given_name_km) if head else "",
                    _name(head.family_name_latin, head.given_name_latin) if head else "",
                    *_area(ctx.gazetteer, hh.village_code, locale),
                    fmt.number(hh.idpoor_level) if hh.idpoor_level else none,
                    len(hh.members),
                ])
            yield rows, dict.fromkeys((hh.id for hh in items),
                                      "head name,village,idpoor level,members")

    return pages()


def _people(request: Request, actor: Actor) -> Pages:
    """The people the name search of this address finds, page by page."""
    ctx = app_ctx(request)
    name = (request.query_params.get("name") or "").strip()
    if not name:
        raise InvalidInput.one(("name",), "missing", "type a name to search for",
                               "សូមវាយឈ្មោះដែលត្រូវស្វែងរក")
    service = RegistryService(ctx)
    sexes = {k: gettext(request, v) for k, v in SEX_LABELS.items()}

    def pages() -> Pages:
        for items in _pages(lambda page: service.search_persons(
                actor, name=name, page=page, page_size=PAGE)):
            rows = [[p.id, _name(p.family_name_km, p.given_name_km),
                     _name(p.family_name_latin, p.given_name_latin),
                     sexes.get(p.sex, p.sex), p.date_of_birth, p.household_id] for p in items]
            yield rows, dict.fromkeys((p.id for p in items), "names,sex,date_of_birth,household")

    return pages()


def _csv_chunks(header: list[str], pages: Iterable[list[list[Any]]]) -> Iterator[bytes]:
    """UTF-8 with a byte order mark (so a spreadsheet reads Khmer right), dates as ISO: the
    header, then one chunk a page."""
    out = io.StringIO()
    write = csv_row_writer(out)
    write(header)
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    for rows in pages:
        out = io.StringIO()
        write = csv_row_writer(out)
        for row in rows:
            write([v.isoformat() if isinstance(v, date) else v for v in row])
        yield out.getvalue().encode("utf-8")


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """``_csv_chunks`` of one page, whole."""
    return b"".join(_csv_chunks(header, [rows]))


def _write_xlsx(title: str, header: list[str], pages: Iterable[list[list[Any]]],
                out: IO[bytes]) -> None:
    """The rows into ``out`` as a workbook, row by row (openpyxl's write-only mode)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(guard_row(header))
    for rows in pages:
        for row in rows:
            sheet.append(guard_row(row))
    book.save(out)


def _xlsx(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """``_write_xlsx`` of one page, in memory."""
    out = io.BytesIO()
    _write_xlsx(title, header, [rows], out)
    return out.getvalue()


def _sent_then_deleted(path: Path) -> Iterator[bytes]:
    """The file's bytes, a block at a time; the file is deleted when they are sent (or the
    download stops)."""
    try:
        with path.open("rb") as fh:
            yield from iter(lambda: fh.read(SEND_BLOCK), b"")
    finally:
        path.unlink(missing_ok=True)


LISTS: dict[str, tuple[str, tuple[str, ...], Callable[[Request, Actor], Pages], str]] = {
    "households": (N_("Households"), HOUSEHOLD_COLUMNS, _households, "household"),
    "people": (N_("People"), PERSON_COLUMNS, _people, "person"),
}


def _download(request: Request, what: str, kind: Format) -> Response:
    """The whole list as a file (see the module docstring)."""
    actor = require_actor(request)
    ctx = app_ctx(request)
    title, columns, rows_of, entity = LISTS[what]
    pages = rows_of(request, actor)  # a bad search is refused here, before anything is sent
    header = [gettext(request, c) for c in columns]
    reason, address = f"web export {what}.{kind}", client_address(request)

    def logged() -> Iterator[list[list[Any]]]:
        for rows, read in pages:
            with ctx.engine.begin() as conn:
                access.log_reads(conn, actor.username, entity, read, reason, address)
            yield rows

    headers = {"Content-Disposition": f'attachment; filename="{what}.{kind}"',
               "Cache-Control": "no-store"}
    if kind == "csv":
        return StreamingResponse(_csv_chunks(header, logged()), media_type=MEDIA[kind],
                                 headers=headers)
    folder = private_dir(Path(ctx.settings.var_dir) / "exports")
    fd, name = tempfile.mkstemp(suffix=".xlsx", dir=folder)  # created 0600
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_xlsx(gettext(request, title), header, logged(), out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StreamingResponse(_sent_then_deleted(path), media_type=MEDIA[kind],
                             headers={**headers, "Content-Length": str(path.stat().st_size)})


@router.get("/office/households.csv")
async def households_csv(request: Request) -> Response:
    """The households the search finds (same filters as the page), as CSV."""
    return await run_in_threadpool(_download, request, "households", "csv")


@router.get("/office/households.xlsx")
async def households_xlsx(request: Request) -> Response:
    """The households the search finds, as an Excel workbook."""
    return await run_in_threadpool(_download, request, "households", "xlsx")


@router.get("/office/people.csv")
async def people_csv(request: Request) -> Response:
    """The people the name search finds, as CSV."""
    return await run_in_threadpool(_download, request, "people", "csv")


@router.get("/office/people.xlsx")
async def people_xlsx(request: Request) -> Response:
    """The people the name search finds, as an Excel workbook."""
    return await run_in_threadpool(_download, request, "people", "xlsx")
