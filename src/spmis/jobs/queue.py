"""The queue libraries that deliver "run job N" to a worker (docs/decisions/0003):

- PostgreSQL: procrastinate (its tables and functions live beside SPMIS's, created by migration
  0010_jobs; LISTEN/NOTIFY wakes the worker at once).
- SQLite (the embedded set-up): huey with its SQLite storage in ``<var_dir>/jobs/queue.sqlite3``;
  nothing else to install or run.

Delivery is "at least once" from SPMIS's point of view: a message may be delivered again (a
restarted worker re-sends the jobs still queued), and ``spmis.jobs.worker`` runs a job only
when it can move the job's record from queued to running. What people see is the ``job``
table, never the library's own tables."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from spmis.config import Settings
from spmis.db.engine import normalise_url
from spmis.jobs.files import PRIVATE_FILE, JobFiles, private_dir

TASK = "spmis.run_job"
QUEUE = "spmis"
#: how long a stopping worker waits for the job it runs to hand itself back, in seconds
STOP_GRACE_SECONDS = 60.0

log = logging.getLogger(__name__)


class Runner(Protocol):
    def run_job(self, job_id: int) -> None: ...

    def request_stop(self) -> None: ...


class Queue(Protocol):
    name: str

    def defer(self, job_id: int) -> None:
        """Ask a worker to run job ``job_id``."""

    def work(self, runner: Runner, burst: bool = False) -> None:
        """Deliver jobs to ``runner`` until SIGTERM/SIGINT (main thread only), or, with
        ``burst``, until nothing is waiting."""


def queue_for(settings: Settings) -> Queue:
    """The queue of this installation's database."""
    url = make_url(normalise_url(settings.database_url))
    if url.get_backend_name() == "postgresql":
        return ProcrastinateQueue(url.set(drivername="postgresql").render_as_string(
            hide_password=False))
    return HueyQueue(JobFiles(settings).root / "queue.sqlite3")


# ---------------------------------------------------------------------------- PostgreSQL
class ProcrastinateQueue:
    """procrastinate on the SPMIS database (``conninfo``: a libpq URI)."""

    name = "procrastinate"

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._runner: Runner | None = None

    def _app(self, connector: Any) -> Any:
        import procrastinate

        app = procrastinate.App(connector=connector)
        app.task(name=TASK, queue=QUEUE)(self._run)
        return app

    def _run(self, job_id: int) -> None:
        if self._runner is None:  # pragma: no cover - only a worker registers a runner
            raise RuntimeError("no runner")
        self._runner.run_job(int(job_id))

    def defer(self, job_id: int) -> None:
        """One short connection per message (no pool left open in the web process); the
        queueing lock keeps one waiting message per job."""
        import psycopg_pool
        from procrastinate import SyncPsycopgConnector
        from procrastinate.exceptions import AlreadyEnqueued

        pool: Any = psycopg_pool.NullConnectionPool(self.conninfo, open=True)
        try:
            app = self._app(SyncPsycopgConnector())
            app.open(pool)
            try:
                app.configure_task(TASK, queue=QUEUE,
                                   queueing_lock=f"spmis-job-{job_id}").defer(job_id=job_id)
            except AlreadyEnqueued:
                pass
            finally:
                app.close()
        finally:
            pool.close()

    def work(self, runner: Runner, burst: bool = False) -> None:
        from procrastinate import PsycopgConnector

        self._runner = runner
        app = self._app(PsycopgConnector(conninfo=self.conninfo, min_size=1, max_size=4))
        asyncio.run(self._work(app, runner, burst))

    async def _work(self, app: Any, runner: Runner, burst: bool) -> None:
        async with app.open_async():
            task = asyncio.create_task(app.run_worker_async(
                queues=[QUEUE], concurrency=1, wait=not burst, install_signal_handlers=False,
                delete_jobs="always", listen_notify=not burst, fetch_job_polling_interval=2.0,
                shutdown_graceful_timeout=STOP_GRACE_SECONDS))
            if not burst:
                loop = asyncio.get_running_loop()

                def stop() -> None:
                    runner.request_stop()
                    task.cancel()

                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(sig, stop)
            try:
                await task
            except asyncio.CancelledError:
                log.info("worker stopped")


# ---------------------------------------------------------------------------- SQLite
class HueyQueue:
    """huey with its SQLite storage in one file beside the database."""

    name = "huey"

    def __init__(self, path: Path) -> None:
        from huey import SqliteHuey

        self.path = path
        if not path.exists():
            private_dir(path.parent)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
        self.huey = SqliteHuey("spmis-jobs", filename=str(path), results=False, utc=True)
        self._runner: Runner | None = None
        self._task: Callable[..., Any] = self.huey.task(name=TASK)(self._run)

    def _run(self, job_id: int) -> None:
        if self._runner is None:  # pragma: no cover - only a worker registers a runner
            raise RuntimeError("no runner")
        self._runner.run_job(int(job_id))

    def defer(self, job_id: int) -> None:
        self._task(job_id)

    def work(self, runner: Runner, burst: bool = False) -> None:
        self._runner = runner
        if burst:
            while (task := self.huey.dequeue()) is not None:
                self.huey.execute(task)
            return
        _StoppingConsumer(runner, self.huey, workers=1, worker_type="thread", periodic=False,
                          max_delay=1.0, graceful_signal="TERM",
                          shutdown_timeout=STOP_GRACE_SECONDS).run()


class _StoppingConsumer(Consumer):
    """huey's consumer that first tells the running job to hand itself back when asked to stop
    (SIGTERM or SIGINT), so a restart does not wait for a long import to finish."""

    def __init__(self, runner: Runner, *args: Any, **kwargs: Any) -> None:
        self._spmis_runner = runner
        super().__init__(*args, **kwargs)

    def stop(self, graceful: bool = False) -> None:
        self._spmis_runner.request_stop()
        super().stop(graceful=True)
