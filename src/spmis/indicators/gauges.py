"""The indicators' figure in the metrics (``/metrics``, read at each scrape): how old the
published indicators are, so that a refresh that stopped running raises an alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, func, select

from spmis.indicators import store

__all__ = ["refresh_gauges"]


def refresh_gauges(engine: Engine) -> Iterator[Metric]:
    """``spmis_indicators_refresh_age_seconds``: seconds since the newest refresh (no sample
    before the first)."""
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(store.indicator_refresh.c.refreshed_at))).scalar()
    age = GaugeMetricFamily("spmis_indicators_refresh_age_seconds",
                            "Seconds since the published indicators were last refreshed; a "
                            "figure that keeps growing means the refresh job no longer runs.")
    if newest is not None:  # aware on both engines (the column's UTCDateTime, kept by max)
        age.add_metric([], max(0.0, (datetime.now(UTC) - newest).total_seconds()))
    yield age
