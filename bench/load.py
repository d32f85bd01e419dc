"""Load test (issue 18): SPMIS served by ``spmis serve --workers 4`` on 127.0.0.1 over its own
PostgreSQL database with demo data, driven by locust (headless, a subprocess per phase), bounded
in time, and everything stopped at the end.

Phases, one after the other, each ``--duration`` seconds at an offered load of users x rate,
after ``--warmup`` seconds (20) at the same load whose figures are printed apart, not counted
(a server just started answers its first seconds slowly):

- public: the screener ("am I eligible?", POST /api/v1/screener) offered ``--public-users`` x
  rate (60 x 5 = 300 a second, its target) and, on top of that, the programme catalogue offered
  ``--catalogue-users`` x rate (6 x 5 = 30 a second), so the screener's own offered load is its
  target (before, 300 a second was shared 10:1 between the two and the screener was offered
  about 273);
- office: signed-in registrars: household search by area (GET /office/households) and a
  household's page;
- dci: another registry's client: signed DCI sync searches (POST /registry/sync/search).

Prints, per route: requests a second, p50, p95, p99 (ms) and errors, with the machine's load
average while it ran (the machine is shared: note it with the figures). Targets of issue 18: the
screener 300 a second with p95 < 100 ms and no error, the office search 100 a second with
p95 < 200 ms. Figures go in docs/operations.md; no test times anything.

    .venv/bin/python bench/load.py [--duration 60] [--warmup 20] [--households 2000] [--profile]
        [--profile-phase office] [--profile-format raw] [--phases office]

``--profile`` records the first worker with py-spy during each phase (an SVG flame graph in the
output folder, or collapsed stacks with ``--profile-format raw``); ``--profile-phase office``
records only the phases named. Needs the PostgreSQL server of SPMIS_TEST_POSTGRES_URL (a database is
created and dropped).
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db.engine import normalise_url
from spmis.db.migrate import upgrade
from spmis.interop.service import DciService, new_id
from spmis.ops_cli import load_demo
from spmis.registry.store import household

BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
USERS_FILE = Path(__file__).with_name("load_users.py")
CLIENT_SENDER = "load.client"
TARGETS = {"POST /api/v1/screener": (300, 100), "GET /office/households (search)": (100, 200)}


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _settings(url: str, var: Path, sender: str = "spmis.load") -> Settings:
    return Settings(env="test", database_url=url, var_dir=var,
                    secret_key=base64.b64encode(os.urandom(48)).decode(),
                    encryption_keys=f"l1:{_key()}", blind_index_key=_key(),
                    public_rate_per_minute=1_000_000, public_rate_burst=1_000_000,
                    token_minutes=120, dci_sender_id=sender)


def _env(s: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPMIS_")}
    env.update({f"SPMIS_{k.upper()}": str(getattr(s, k).value if k == "env" else getattr(s, k))
                for k in ("env", "database_url", "var_dir", "secret_key", "encryption_keys",
                          "blind_index_key", "public_rate_per_minute", "public_rate_burst",
                          "token_minutes", "dci_sender_id")})
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(ctx: AppContext, households: int, out: Path) -> dict[str, Any]:
    """Demo data, signed-in registrars, and a DCI peer registry with its client."""
    load_demo(ctx, if_empty=False, households=households, seed=18)
    accounts = AccountService(ctx)
    accounts.create_user("load-registrar", "registrar", "", SYSTEM,
                         password="correct horse battery staple")
    sessions = [accounts.open_session("load-registrar").token for _ in range(20)]
    with ctx.engine.connect() as conn:
        ids = conn.execute(select(household.c.id).order_by(func.random()).limit(500)).scalars()
        areas = conn.execute(select(func.substr(household.c.village_code, 1, 6)).distinct()
                             .limit(60)).scalars().all()
        ids = list(ids)
    return {"sessions": sessions, "household_ids": ids, "areas": areas}


def _dci_peer(ctx: AppContext, tmp: Path, base: str) -> tuple[DciService, str, str]:
    """Registry B (a SQLite file) known to the served registry A: B's key trusted, an API client
    for it. Returns B's service, A's sender id and a bearer token for B at A."""
    b_url = f"sqlite:///{tmp / 'peer.db'}"
    upgrade(b_url)
    b_ctx = AppContext.create(_settings(b_url, tmp / "peer-var", CLIENT_SENDER))
    a, b = DciService(ctx), DciService(b_ctx)
    accounts = AccountService(ctx)
    cid, secret = accounts.create_client("DCI load client", "programme_officer", "", SYSTEM)
    a.keys.add_peer(CLIENT_SENDER, "http://127.0.0.1:9", "load", inbound_client=cid)
    for jwk in b.keys.jwks()["keys"]:
        a.keys.add_peer_key(CLIENT_SENDER, jwk, "load")
    b.keys.add_peer(ctx.settings.dci_sender_id, base, "load", cid, secret)
    return b, ctx.settings.dci_sender_id, accounts.client_token(cid, secret).token


def _envelopes(b: DciService, a_sender: str, count: int, areas: list[str]) -> list[Any]:
    out = []
    for i in range(count):
        criteria = {"version": "1.0.0", "query_type": "predicate", "response_entity": "household",
                    "query": [{"seq_num": 1, "expression1": {
                        "attribute_name": "commune_code", "operator": "eq",
                        "attribute_value": areas[i % len(areas)]}}],
                    "pagination": {"page_size": 20, "page_number": 1}}
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        message = {"transaction_id": new_id("txn"), "search_request": [
            {"reference_id": new_id("ref"), "timestamp": now, "search_criteria": criteria}]}
        out.append(b.seal(b.request_header("search", a_sender, 1, None), message))
    return out


def _serve(s: Settings, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "spmis"), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)], env=_env(s), stdout=log.open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not start in 180 s")


def _workers(server: subprocess.Popen[bytes]) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [p for p in pids
            if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the processes ``pids`` (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


def _database_backends(database: str) -> list[int]:
    """The PostgreSQL backend processes serving ``database`` (when the server runs here)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"postgres: ") and f" {database} ".encode() in cmd:
                pids.append(int(proc.name))
    return pids


def _sessions(admin: Engine, database: str) -> int:
    """Connections opened to ``database`` so far (PostgreSQL's statistics, a second late)."""
    with admin.connect() as conn:
        return int(conn.execute(text("SELECT sessions FROM pg_stat_database WHERE datname = :d"),
                                {"d": database}).scalar_one() or 0)


class Cpu:
    """CPU seconds of the server (supervisor and workers), of its database's backends and of the
    load generator (locust, a waited child of this process) over one phase, and the database
    connections opened meanwhile (a backend that starts and ends within the phase is not in the
    CPU figure: connections opened and closed again show a pool too small for the load)."""

    def __init__(self, server: subprocess.Popen[bytes], database: str, admin: Engine) -> None:
        self.server, self.database, self.admin = server, database, admin

    def _now(self) -> tuple[float, float, float]:
        own = [self.server.pid, *_workers(self.server)]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (_cpu_seconds(own), _cpu_seconds(_database_backends(self.database)),
                children.ru_utime + children.ru_stime)

    def __enter__(self) -> Cpu:
        self.sessions = _sessions(self.admin, self.database)
        self.start = self._now()
        self.wall = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._now()
        time.sleep(1.5)  # the statistics are flushed about once a second
        self.sessions = _sessions(self.admin, self.database) - self.sessions
        self.wall = time.monotonic() - self.wall
        self.server_s, self.database_s, self.locust_s = (
            e - s for e, s in zip(end, self.start, strict=True))


def _locust(name: str, users: int, rate: float, seconds: int, base: str, prefix: Path,
            env: dict[str, str]) -> list[dict[str, str]]:
    """One headless locust run of a phase's users; its per-route figures (no Aggregated row)."""
    classes = {"public": ["ScreenerVisitor", "CatalogueReader"], "office": ["OfficeUser"],
               "dci": ["DciClient"]}
    done = subprocess.run(
        [str(BIN / "locust"), "-f", str(USERS_FILE), "--headless", "--users", str(users),
         "--spawn-rate", str(max(1, users // 2)), "--run-time", f"{seconds}s",
         "--stop-timeout", "5", "--host", base, "--csv", str(prefix), "--only-summary",
         "--loglevel", "WARNING", *classes[name]],
        env=env, capture_output=True, text=True, timeout=seconds + 120, check=False)
    stats = prefix.with_name(f"{prefix.name}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no figures: {done.stderr[-2000:]}")
    with stats.open() as f:
        return [r for r in csv.DictReader(f) if r["Name"] != "Aggregated"]


def _phase(name: str, users: int, rate: float, duration: int, base: str, data: Path,
           out: Path, profile_pid: int | None, cpu: Cpu, profile_format: str = "flamegraph",
           extra_env: dict[str, str] | None = None, warmup: int = 0,
           ) -> tuple[list[dict[str, str]], tuple[float, float], list[dict[str, str]]]:
    """A phase: ``warmup`` seconds at the same load (figures kept apart, not counted), then
    ``duration`` seconds measured (figures, load average and CPU)."""
    env = {**os.environ, "LOAD_DATA": str(data), "LOAD_RATE": str(rate), "LOAD_PHASE": name,
           **(extra_env or {})}
    warm_env = {**env, "LOAD_ENVELOPES": str(out / "envelopes-warmup.json")}
    warm = (_locust(name, users, rate, warmup, base, out / f"{name}-warmup", warm_env)
            if warmup else [])
    spy = None
    if profile_pid:
        spy = subprocess.Popen(
            [str(BIN / "py-spy"), "record", "--pid", str(profile_pid), "--duration",
             str(min(duration, 30)), "--rate", "50", "--subprocesses", "--nonblocking",
             "--format", profile_format, "-o",
             str(out / f"{name}-profile.{'svg' if profile_format == 'flamegraph' else 'txt'}")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load_before = os.getloadavg()[0]
    with cpu:
        rows = _locust(name, users, rate, duration, base, out / name, env)
    load_after = os.getloadavg()[0]
    if spy is not None:
        spy.wait(timeout=120)
    return rows, (load_before, load_after), warm


Phase = tuple[str, int, float, list[dict[str, str]], tuple[float, float], Cpu,
              list[dict[str, str]]]


def _cpu_lines(phases: list[Phase]) -> list[str]:
    """Per phase: CPU milliseconds per answered request of the server's processes, of its
    database backends and of locust, and locust's share of the machine's cores (the comparable
    figures on a shared machine, where wall-clock rates depend on the neighbours)."""
    lines = ["", "CPU per request answered (user + system; the machine's other load not counted)",
             "", "| phase | requests | server ms/req | database ms/req | locust ms/req | "
                 "locust share of the cores | connections opened |",
             "|---|---|---|---|---|---|---|"]
    cores = os.cpu_count() or 1
    for name, _users, _rate, rows, _loads, cpu, _warm in phases:
        served = sum(int(r["Request Count"]) for r in rows) or 1
        lines.append(
            f"| {name} | {served} | {cpu.server_s * 1000 / served:.2f} | "
            f"{cpu.database_s * 1000 / served:.2f} | {cpu.locust_s * 1000 / served:.2f} | "
            f"{cpu.locust_s / (cpu.wall * cores):.0%} | {cpu.sessions} |")
    return lines


def _report(phases: list[Phase], duration: int, workers: int, notes: list[str],
            warmup: int = 0) -> str:
    lines = [f"SPMIS load test: {workers} workers, PostgreSQL, {duration} s a phase, "
             f"{os.cpu_count()} cores; load average (1 min) at the start and end of each phase",
             "",
             "| route | phase offered/s | req/s | p50 ms | p95 ms | p99 ms | errors | load avg |",
             "|---|---|---|---|---|---|---|---|"]
    for _name, users, rate, rows, (before, after), _cpu, _warm in phases:
        for r in rows:
            lines.append(
                f"| {r['Name']} | {users * rate:.0f} | {float(r['Requests/s']):.1f} | "
                f"{r['50%']} | {r['95%']} | {r['99%']} | {r['Failure Count']} of "
                f"{r['Request Count']} | {before:.1f} -> {after:.1f} |")
    if any(warm for *_rest, warm in phases):
        lines.extend(["", f"warm-up before each phase, {warmup} s at the same offered load "
                      "(not counted above; a server just started, its workers cold)", "",
                      "| route | req/s | p50 ms | p95 ms | p99 ms | errors |",
                      "|---|---|---|---|---|---|"])
        for *_rest, warm in phases:
            for r in warm:
                lines.append(f"| {r['Name']} | {float(r['Requests/s']):.1f} | {r['50%']} | "
                             f"{r['95%']} | {r['99%']} | {r['Failure Count']} of "
                             f"{r['Request Count']} |")
    lines.extend(["", *notes, ""])
    for route, (rps, p95) in TARGETS.items():
        row = next((r for _n, _u, _r, rows, _l, _c, _w in phases for r in rows
                    if r["Name"] == route), None)
        if row:
            met = float(row["Requests/s"]) >= rps * 0.95 and float(row["95%"]) < p95 \
                and row["Failure Count"] == "0"
            lines.append(f"target {route}: {rps}/s with p95 < {p95} ms: "
                         f"{'MET' if met else 'NOT MET'}")
    lines.extend(_cpu_lines(phases))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=60, help="seconds a phase (max 300)")
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--public-users", type=int, default=60, help="screener users")
    ap.add_argument("--catalogue-users", type=int, default=6,
                    help="catalogue readers, on top of the screener's users")
    ap.add_argument("--public-rate", type=float, default=5.0)
    ap.add_argument("--office-users", type=int, default=50)
    ap.add_argument("--office-rate", type=float, default=2.4)
    ap.add_argument("--dci-users", type=int, default=5)
    ap.add_argument("--dci-rate", type=float, default=2.0)
    ap.add_argument("--warmup", type=int, default=20,
                    help="seconds at a phase's load before it is measured (0: none); their "
                         "figures are printed apart")
    ap.add_argument("--phases", default="public,office,dci")
    ap.add_argument("--profile", action="store_true", help="py-spy flame graphs of one worker")
    ap.add_argument("--profile-phase", default=None,
                    help="profile only these phases (comma-separated, e.g. office); implies "
                         "--profile")
    ap.add_argument("--profile-format", choices=("flamegraph", "raw"), default="flamegraph",
                    help="raw: py-spy's collapsed stacks (a text file), to add up by function")
    ap.add_argument("--out", type=Path, default=None, help="folder for figures (a temp folder)")
    args = ap.parse_args()
    duration = max(5, min(args.duration, 300))
    warmup = max(0, min(args.warmup, 120))
    out = args.out or Path(tempfile.mkdtemp(prefix="spmis-load-"))
    out.mkdir(parents=True, exist_ok=True)
    db = f"spmis_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    url = make_url(POSTGRES_URL).set(database=db).render_as_string(hide_password=False)
    server = None
    try:
        upgrade(url)
        settings = _settings(url, out / "var")
        ctx = AppContext.create(settings)
        print(f"loading {args.households} demo households ...", flush=True)
        data = _prepare(ctx, args.households, out)
        server, base = _serve(settings, args.workers, out / "server.log")
        b, a_sender, token = _dci_peer(ctx, out, base)
        data["dci_token"] = token
        phases = []
        for name in args.phases.split(","):
            users, rate = {"public": (args.public_users + args.catalogue_users,
                                      args.public_rate),
                           "office": (args.office_users, args.office_rate),
                           "dci": (args.dci_users, args.dci_rate)}[name]
            if name == "dci":  # signed just before use: a signature lives 5 minutes
                # each envelope is used once: the warm-up and the measured run get their own
                per_second = users * rate * 1.3
                signed = _envelopes(b, a_sender, int(per_second * (warmup + duration)) + 20,
                                    data["areas"])
                cut = int(per_second * warmup) + 10
                (out / "envelopes-warmup.json").write_text(json.dumps(signed[:cut]))
                (out / "envelopes.json").write_text(json.dumps(signed[cut:]))
                data["envelopes"] = str(out / "envelopes.json")
            data_file = out / "data.json"
            data_file.write_text(json.dumps(data))
            workers = _workers(server)
            print(f"phase {name}: {users} users x {rate}/s for {duration} s ...", flush=True)
            cpu = Cpu(server, db, admin)
            profiled = (name in args.profile_phase.split(",") if args.profile_phase
                        else args.profile)
            rows, loads, warm = _phase(name, users, rate, duration, base, data_file, out,
                                 workers[0] if profiled and workers else None, cpu,
                                 args.profile_format,
                                 {"LOAD_SCREENER_USERS": str(args.public_users),
                                  "LOAD_CATALOGUE_USERS": str(args.catalogue_users)},
                                       warmup)
            phases.append((name, users, rate, rows, loads, cpu, warm))
        ctx.engine.dispose()
        rate = args.public_rate
        notes = [f"public phase offered: the screener {args.public_users * rate:.0f}/s, "
                 f"the catalogue {args.catalogue_users * rate:.0f}/s on top"
                 ] if "public" in args.phases.split(",") else []
        report = _report(phases, duration, args.workers, notes, warmup)
        print(report)
        (out / "report.md").write_text(report + "\n")
        print(f"\nfigures, server log and profiles in {out}")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
