"""Prometheus metrics (``prometheus-client``), served at ``GET /metrics`` to a monitoring client.

- ``spmis_http_requests_total{method,route,status}`` and
  ``spmis_http_request_duration_seconds{method,route}`` (a histogram): recorded by
  ``spmis.telemetry`` for every request, by route template (``/api/v1/households/{household_id}``,
  never the concrete path, so the number of series stays bounded); an address no route serves is
  counted as ``route="<unmatched>"``.
- Figures kept in the database (``DATABASE_GAUGES``) are read when the metrics are scraped, so
  they are the same whichever worker or server answers: ``spmis_jobs{kind,state}`` (background
  jobs) and ``spmis_jobs_oldest_queued_seconds``, and the capabilities' own (their manifests'
  ``gauges``: ``spmis_indicators_refresh_age_seconds``); ``spmis_database_up`` says whether they
  could be read.

Who may read them: the authorisation table's ``READ_METRICS`` (an API client with the ``metrics``
role, which may read nothing else, or an administrator); anonymous callers get 401, other staff
403 (docs/operations.md, "Metrics").

Several worker processes: ``spmis serve --workers N`` points ``PROMETHEUS_MULTIPROC_DIR`` at a
fresh private folder before the workers start; each worker then writes its counters to files
there and a scrape, whichever worker answers it, adds up all of them (prometheus-client's
multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

__all__ = ["DATABASE_GAUGES", "MULTIPROC_ENV", "REQUESTS", "REQUEST_SECONDS", "router"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"

REQUESTS = Counter("spmis_http_requests", "HTTP requests answered, by route template and status.",
                   ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "spmis_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0))

def jobs_gauges(engine: Engine) -> Iterator[Metric]:
    """Background jobs by kind and state, and how long the oldest queued one has waited."""
    from spmis.jobs import JobState
    from spmis.jobs.queries import counts_by_kind_and_state, oldest_waiting_since

    counts = counts_by_kind_and_state(engine)
    by_state = GaugeMetricFamily("spmis_jobs", "Background jobs by kind and state.",
                                 labels=["kind", "state"])
    kinds = {kind for kind, _state in counts} or {"import"}
    for kind in sorted(kinds):
        for state in JobState:
            by_state.add_metric([kind, state.value], float(counts.get((kind, state.value), 0)))
    yield by_state
    since = oldest_waiting_since(engine)
    waiting = GaugeMetricFamily("spmis_jobs_oldest_queued_seconds",
                                "How long the oldest queued job has waited (0: none waits); a "
                                "figure that grows means no worker is taking jobs.")
    waiting.add_metric([], max(0.0, (datetime.now(UTC) - since).total_seconds()) if since
                       else 0.0)
    yield waiting


#: functions that read figures from the database at scrape time: each yields metric families
#: (the capabilities' own, their manifests' ``gauges``, are added to them at each scrape)
DATABASE_GAUGES: list[Callable[[Engine], Iterable[Metric]]] = [jobs_gauges]


def _readers() -> list[Callable[[Engine], Iterable[Metric]]]:
    """``DATABASE_GAUGES`` and the manifests' ``gauges`` (a look-up: manifests and modules are
    read once per process)."""
    from spmis.manifest import each, resolve

    return [*DATABASE_GAUGES, *(resolve(ref) for _, ref in each("gauges"))]


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request (called by ``spmis.telemetry``)."""
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)


class _DatabaseCollector(Collector):
    """The ``DATABASE_GAUGES`` for one engine; a failing reader is reported, not raised."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("spmis_database_up", "1 when the database answered this scrape.")
        try:
            families = [family for read in _readers() for family in read(self.engine)]
        except Exception:  # the database is down: say so in the metrics, never a 500
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from families


def exposition(engine: Engine) -> bytes:
    """The metrics in Prometheus text format: the processes' request metrics (all workers' in
    multiprocess mode) and the figures read from the database."""
    if os.environ.get(MULTIPROC_ENV):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        text = generate_latest(processes)
    else:
        text = generate_latest(REGISTRY)
    database = CollectorRegistry()
    database.register(_DatabaseCollector(engine))
    return text + generate_latest(database)


router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format, for a monitoring client (role ``metrics``) or an administrator."""
    body = await run_in_threadpool(exposition, request.app.state.ctx.engine)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
