"""Browser tests: a real uvicorn server on a free 127.0.0.1 port with a fresh SQLite database,
driven by Playwright with Debian's Chromium (/usr/bin/chromium). Screenshots go to
test-artifacts/ (gitignored). Every test here is marked ``browser`` and runs in one xdist group
(``pytestmark = BROWSER``), so one server and one browser serve them all."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PASSWORD = "correct horse battery staple"
PHONE = {"width": 360, "height": 740}
STARTUP_SECONDS = 180
#: staff of the demo: name -> (roles, scope)
STAFF = {
    "admin1": ("admin", ""),
    "reg-chamkarmon": ("registrar", "120101"),
    "reg-other": ("registrar", "010201"),
    "approver-pp": ("approver", "12"),
}


#: what the server fixture set up (its settings), for tests that prepare data directly
STATE: dict[str, Settings] = {}
#: every browser test module sets ``pytestmark = BROWSER``. ``make test`` distributes tests by
#: file (``--dist loadfile``), so the tests of one module run in order on one xdist worker and may
#: build on each other (a cycle walked, then its payroll). The ``xdist_group`` mark is kept for a
#: single-worker grouping, but pytest-xdist 3.8 under pytest 9 does not honour it: with
#: ``--dist loadgroup`` the tests of one module were split between workers, each with its own
#: server, and a test that built on the one before found nothing. A page walk on a busy two-core
#: machine may take minutes (the first one also starts the server)
BROWSER = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.timeout(900)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@contextmanager
def fresh_server(tmp: Path) -> Iterator[str]:
    """A running SPMIS on a new migrated SQLite database with the staff above; while it runs,
    ``STATE["settings"]`` are its settings (the previous ones are put back afterwards)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    env = {
        **os.environ,
        "SPMIS_ENV": "test",
        "SPMIS_DATABASE_URL": f"sqlite:///{tmp / 'spmis.db'}",
        "SPMIS_VAR_DIR": str(tmp / "var"),
        "SPMIS_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "SPMIS_ENCRYPTION_KEYS": f"e2e:{_key()}",
        "SPMIS_BLIND_INDEX_KEY": _key(),
        "SPMIS_PUBLIC_RATE_PER_MINUTE": "100000",
        "SPMIS_PUBLIC_RATE_BURST": "100000",
    }
    upgrade(env["SPMIS_DATABASE_URL"])
    settings = Settings(
        env="test", database_url=env["SPMIS_DATABASE_URL"], var_dir=tmp / "var",
        secret_key=env["SPMIS_SECRET_KEY"], encryption_keys=env["SPMIS_ENCRYPTION_KEYS"],
        blind_index_key=env["SPMIS_BLIND_INDEX_KEY"],
    )
    before = STATE.get("settings")
    STATE["settings"] = settings
    ctx = AppContext.create(settings)
    accounts = AccountService(ctx)
    for name, (role, scope) in STAFF.items():
        accounts.create_user(name, role, scope, SYSTEM, password=PASSWORD)
    ctx.engine.dispose()
    try:
        with run_server(env, tmp) as base:
            yield base
    finally:
        if before is not None:
            STATE["settings"] = before


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the running SPMIS the browser tests share (see ``fresh_server``)."""
    with fresh_server(tmp_path_factory.mktemp("e2e")) as base:
        yield base


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[str, dict[str, str], Settings]]:
    """A development server as `make run` leaves it (issue 13, item 21): demo data and the demo
    accounts, no job worker; yields (base URL, the name of the demo registrar's district in
    Khmer and English, its settings)."""
    tmp = tmp_path_factory.mktemp("dev")
    url = f"sqlite:///{tmp / 'spmis.db'}"
    from spmis.auth.demo import ensure_demo_accounts
    from spmis.ops_cli import busiest_district, load_demo

    env = {k: v for k, v in os.environ.items() if not k.startswith("SPMIS_")}
    env.update(SPMIS_ENV="development", SPMIS_DATABASE_URL=url, SPMIS_VAR_DIR=str(tmp / "var"))
    upgrade(url)
    settings = Settings(env="development", database_url=url, var_dir=Path(tmp / "var"))
    ctx = AppContext.create(settings)
    try:
        load_demo(ctx, False, 60, 11)
        district = busiest_district(ctx)
        assert ensure_demo_accounts(ctx, district) is not None
        unit = ctx.gazetteer.get(district)
        assert unit is not None
        names = {"en": unit.name_en, "km": unit.name_km}
    finally:
        ctx.engine.dispose()
    with run_server(env, tmp) as base:
        yield base, names, settings


@contextmanager
def run_server(env: dict[str, str], tmp: Path) -> Iterator[str]:
    """uvicorn serving SPMIS with ``env`` on a free port (its log in ``tmp``); the base URL."""
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "spmis.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS  # two busy cores: imports are slow
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail((tmp / "server.log").read_text())
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not start in {STARTUP_SECONDS} s")
                time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium under Playwright's sync API, one per test module: while Playwright runs, its
    event loop counts as running in this thread, so a later test of the same xdist worker that
    starts its own loop (the job worker's ``asyncio.run``) would fail. Module scope closes it when
    the worker moves on (tests/e2e has no __init__.py, so package scope would last the session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Console:
    """Errors the page logged (a CSP violation, a failing script): a test fails on any."""

    def __init__(self) -> None:
        self.errors: list[str] = []


@pytest.fixture
def new_page(browser, server: str):  # type: ignore[no-untyped-def]
    """``new_page(locale_cookie=None, bypass_csp=False)``: a page in a fresh 360-px context."""
    contexts = []
    consoles: list[Console] = []

    def make(lang: str | None = None, bypass_csp: bool = False):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport=PHONE, base_url=server, bypass_csp=bypass_csp)
        if lang:
            context.add_cookies([{"name": "spmis_lang", "value": lang, "url": server}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console = Console()
        page.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console.errors.append(str(e)))
        page.console = console  # type: ignore[attr-defined]
        consoles.append(console)
        return page

    yield make
    for c in contexts:
        c.close()
    # a 4xx page is a page too: the browser's note about its status is not an error
    errors = [e for c in consoles for e in c.errors if not e.startswith("Failed to load resource")]
    assert not errors, f"the browser logged errors: {errors}"


def doc_shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """A full-page screenshot in test-artifacts/, and in docs/img/ (the user guide and the
    docs show it) when SPMIS_UPDATE_DOCS=1."""
    folders = [ARTIFACTS]
    if os.environ.get("SPMIS_UPDATE_DOCS") == "1":
        folders.append(ROOT / "docs" / "img")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture
def shot() -> Callable[[object, str], None]:
    """``shot(page, name)``: a full-page screenshot in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


def drain_jobs() -> None:
    """Run every queued background job of the page tests' database here, as the job worker
    would (the walks' servers run no worker)."""
    from spmis.jobs.worker import JobWorker

    ctx = AppContext.create(STATE["settings"])
    try:
        JobWorker(ctx).drain()
    finally:
        ctx.engine.dispose()


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form, as a person does."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/office")


HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def choose_area(page, **levels: str) -> None:  # type: ignore[no-untyped-def]
    """Pick the area in the picker level by level, waiting for htmx to reload the next list."""
    for level, code in levels.items():
        from playwright.sync_api import expect

        page.locator(f'#{level} option[value="{code}"]').wait_for(state="attached")
        expect(page.locator(HTMX_BUSY)).to_have_count(0)
        page.select_option(f"#{level}", code)
        expect(page.locator(HTMX_BUSY)).to_have_count(0)


def save_registration(page, button: str = "button[value=save]") -> None:  # type: ignore[no-untyped-def]
    """Press "Register the household" and wait for the household page. When the form asks
    first about people who may already be registered (issue 13, item 15: tests register the same
    person more than once), answer that these are different people."""
    import re

    with page.expect_navigation():
        page.click(button)
    if page.locator("#duplicates").count():
        with page.expect_navigation():
            page.click("button[value=save-anyway]")
    page.wait_for_url(re.compile(r".*/office/households/\d+\?created=1"))


def fill_date(page, name: str, iso: str) -> None:  # type: ignore[no-untyped-def]
    """Fill the date field ``name`` (day, month by name, year; issue 13, item 18) with ``iso``."""
    year, month, day = iso.split("-")
    page.fill(f"#{name}", str(int(day)))
    page.select_option(f"#{name}-month", str(int(month)))
    page.fill(f"#{name}-year", year)
