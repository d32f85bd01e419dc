"""Downloads of the back office's lists (issue 13, item 20): the households and the people a
search finds, as CSV or XLSX, with the same filters as the page and only what the user may see
(the registry service applies their area). Column names and labels are in the reader's
language; text cells pass the formula guard (``spmis.formula_guard``); no identifier is
written. Every download is logged as a staff read of the records it holds (the access log), in
one statement per page of results."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from openpyxl import Workbook
from starlette.concurrency import run_in_threadpool

from spmis.auth import access
from spmis.auth.deps import client_address
from spmis.auth.model import Actor
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
#: most rows a download holds; the whole registry is ``spmis export households`` (an operator's
#: command, in the import format)
MOST_ROWS = 10_000
PAGE = 500
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


def _pages(fetch: Callable[[int], s.Page[Any]]) -> Iterator[list[Any]]:
    """The results a page of ``PAGE`` at a time, at most ``MOST_ROWS``."""
    page, seen = 1, 0
    while seen < MOST_ROWS:
        found = fetch(page)
        if not found.items:
            return
        items = found.items[: MOST_ROWS - seen]
        seen += len(items)
        yield items
        if len(found.items) < PAGE:
            return
        page += 1


def _households(request: Request, actor: Actor) -> tuple[list[list[Any]], dict[int, str]]:
    """The rows of the households the search of this address finds, and what each holds."""
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
    rows: list[list[Any]] = []
    read: dict[int, str] = {}
    for items in _pages(lambda page: service.search_households(
            actor, area=area, idpoor_level=level, page=page, page_size=PAGE)):
        for hh in items:
            head = next((m for m in hh.members if m.id == hh.head_person_id),
                        hh.members[0] if hh.members else None)
            rows.append([
                hh.id,
                _name(head.family_name_km, head.given_name_km) if head else "",
                _name(head.family_name_latin, head.given_name_latin) if head else "",
                *_area(ctx.gazetteer, hh.village_code, locale),
                fmt.number(hh.idpoor_level) if hh.idpoor_level else gettext(request, N_("None")),
                len(hh.members),
            ])
            read[hh.id] = "head name,village,idpoor level,members"
    return rows, read


def _people(request: Request, actor: Actor) -> tuple[list[list[Any]], dict[int, str]]:
    """The rows of the people the name search of this address finds."""
    ctx = app_ctx(request)
    name = (request.query_params.get("name") or "").strip()
    if not name:
        raise InvalidInput.one(("name",), "missing", "type a name to search for",
                               "សូមវាយឈ្មោះដែលត្រូវស្វែងរក")
    service = RegistryService(ctx)
    rows: list[list[Any]] = []
    read: dict[int, str] = {}
    for items in _pages(lambda page: service.search_persons(
            actor, name=name, page=page, page_size=PAGE)):
        for p in items:
            rows.append([
                p.id, _name(p.family_name_km, p.given_name_km),
                _name(p.family_name_latin, p.given_name_latin),
                gettext(request, SEX_LABELS.get(p.sex, p.sex)), p.date_of_birth, p.household_id,
            ])
            read[p.id] = "names,sex,date_of_birth,household"
    return rows, read


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte order mark (so a spreadsheet reads Khmer right), dates as ISO."""
    out = io.StringIO()
    write = csv_row_writer(out)
    write(header)
    for row in rows:
        write([v.isoformat() if isinstance(v, date) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(guard_row(header))
    for row in rows:
        sheet.append(guard_row(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LISTS: dict[str, tuple[str, tuple[str, ...], Callable[..., Any], str]] = {
    "households": (N_("Households"), HOUSEHOLD_COLUMNS, _households, "household"),
    "people": (N_("People"), PERSON_COLUMNS, _people, "person"),
}


def _download(request: Request, what: str, kind: Format) -> Response:
    actor = require_actor(request)
    title, columns, rows_of, entity = LISTS[what]
    rows, read = rows_of(request, actor)
    header = [gettext(request, c) for c in columns]
    body = (_csv(header, rows) if kind == "csv"
            else _xlsx(gettext(request, title), header, rows))
    with app_ctx(request).engine.begin() as conn:
        access.log_reads(conn, actor.username, entity, read, f"web export {what}.{kind}",
                         client_address(request))
    return Response(body, media_type=MEDIA[kind], headers={
        "Content-Disposition": f'attachment; filename="{what}.{kind}"',
        "Cache-Control": "no-store"})


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
