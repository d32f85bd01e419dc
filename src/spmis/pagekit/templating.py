"""Rendering: one Jinja2 environment per language (gettext installed, autoescaping on), and
``render`` which adds what every page needs (language, switch links, menu, CSRF token, reader)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from spmis.gazetteer import gazetteer
from spmis.pagekit import dates, history_text, nav
from spmis.pagekit.forms import FormErrors
from spmis.pagekit.i18n import (
    LANG_COOKIE,
    LANG_PARAM,
    LANGUAGE_NAMES,
    LOCALES,
    Formatter,
    choose_locale,
    translations,
)
from spmis.pagekit.labels import area_name

#: every package's page templates (files, kept beside the web pages)
TEMPLATES_DIR = Path(__file__).parents[1] / "web" / "templates"
LANG_COOKIE_SECONDS = 365 * 24 * 3600


@lru_cache(maxsize=len(LOCALES))
def environment(locale: str) -> Environment:
    """The template environment of ``locale`` (cached; environments are thread-safe once built)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["fmt"] = Formatter(locale)
    env.globals["locale"] = locale
    env.globals["date_parts"] = dates.parts
    env.globals["month_names"] = dates.month_names
    env.globals["history_note"] = history_text.note
    env.globals["history_values"] = history_text.said_values
    env.globals["history_actors"] = history_text.ACTORS
    env.filters["data"] = history_text.data
    env.globals["place"] = lambda code: _place(code, locale)
    return env


def _place(code: str | None, locale: str) -> str:
    """An area by its name ('Tonle Basak, Chamkar Mon, Phnom Penh'), never its code; '' is the
    whole country."""
    name = area_name(gazetteer(), code or "", locale)
    return translations(locale).gettext(name) if not code else name


def request_locale(request: Request) -> str:
    """The reader's language for this request (query ``?lang=``, then cookie, then Khmer)."""
    cached = getattr(request.state, "locale", None)
    if isinstance(cached, str):
        return cached
    locale = choose_locale(request.query_params.get(LANG_PARAM), request.cookies.get(LANG_COOKIE))
    request.state.locale = locale
    return locale


def gettext(request: Request, message: str) -> str:
    """``message`` translated into the reader's language (for text built in Python)."""
    return translations(request_locale(request)).gettext(message)


def lang_links(request: Request) -> list[dict[str, str]]:
    """A link per language to this same page (GET) in that language."""
    params = {k: v for k, v in request.query_params.items() if k != LANG_PARAM}
    out = []
    for code in LOCALES:
        url = request.url.replace(query=None).include_query_params(**params, **{LANG_PARAM: code})
        out.append({"code": code, "name": LANGUAGE_NAMES[code], "url": f"{url.path}?{url.query}"})
    return out


def current_item(items: list[nav.NavItem], path: str) -> str | None:
    """The menu entry the page belongs to: the longest entry path that is the page's path or
    one of its parents."""
    matches = [i.path for i in items if path == i.path or path.startswith(i.path.rstrip("/") + "/")]
    return max(matches, key=len) if matches else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    area: nav.Area = "public",
) -> HTMLResponse:
    """Render ``template`` for this reader; remembers a language chosen with ``?lang=``."""
    from spmis.pagekit.session import csrf_token, known_actor

    locale = request_locale(request)
    actor = known_actor(request)
    roles = actor.roles if actor else frozenset()
    menu = nav.items("office", roles) if actor and area == "office" else nav.items("public")
    page: dict[str, Any] = {
        "request": request,
        "current_nav": current_item(menu, request.url.path),
        "area": area,
        "actor": actor,
        "nav_public": nav.items("public"),
        "nav_office": nav.items("office", roles) if actor else [],
        "lang_links": lang_links(request),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
        "printed_at": datetime.now(UTC),  # the print header's date
    }
    page.update(context or {})
    compiled = environment(locale).get_template(template)
    html = compiled.render(page)
    errors = page.get("errors")
    if isinstance(errors, FormErrors) and errors:
        missing = errors.missing_from(html)
        if missing:  # the summary names them: render again with them marked
            errors.not_at_field = missing
            html = compiled.render(page)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = locale
    # an authenticated request (a page session, or a bearer token on a staff route) is never
    # kept by a cache; anonymous public pages are revalidated
    authenticated = actor is not None or getattr(request.state, "actor", None) is not None
    response.headers.setdefault("Cache-Control", "no-store" if authenticated else "no-cache")
    if request.query_params.get(LANG_PARAM) in LOCALES:
        response.set_cookie(
            LANG_COOKIE, locale, max_age=LANG_COOKIE_SECONDS, samesite="lax", httponly=True
        )
    return response
