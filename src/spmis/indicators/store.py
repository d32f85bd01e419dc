"""The indicators' own tables: each refresh (when, who, how long) and the cells it computed at
the finest level (indicator, programme, month, province, sex). Totals are sums of cells,
computed when published."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    text,
)

from spmis.db.base import Id, UTCDateTime, metadata

__all__ = ["indicator_cell", "indicator_refresh"]

indicator_refresh = Table(
    "indicator_refresh",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("refreshed_at", UTCDateTime(), nullable=False),
    Column("refreshed_by", String(64), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("cells", Integer, nullable=False),
    Column("job_id", Id),
)

indicator_cell = Table(
    "indicator_cell",
    metadata,
    Column("refresh_id", Id, ForeignKey("indicator_refresh.id"), nullable=False),
    Column("indicator", String(32), nullable=False),
    Column("programme", String(40), nullable=False, server_default=text("''")),
    Column("period", String(7), nullable=False, server_default=text("''")),
    Column("province_code", String(2), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("currency", String(3), nullable=False, server_default=text("''")),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("refresh_id", "indicator", "programme", "period", "province_code",
                         "sex", "currency"),
)
