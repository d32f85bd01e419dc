"""Scoring a round, set-based: the answers of every assessment are read in one query, decoded
column-wise (polars), scored over whole arrays by the rules (``spmis.rules.idpoor``), and the
scores written in bulk (PostgreSQL ``COPY``; one multi-row insert elsewhere). No loop per
questionnaire."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, delete, insert, select

from spmis.db.base import utcnow
from spmis.errors import InvalidInput
from spmis.rules.idpoor import COUNT_ITEMS, SCORED_ITEMS, SELECT_ITEMS, Scores, score
from spmis.targeting.explain import Explanation, explain
from spmis.targeting.store import targeting_assessment, targeting_score, targeting_scoring

__all__ = ["answer_columns", "preview", "score_frame", "score_round"]

#: the decoded shape of the answers' JSON
ANSWERS_TYPE = pl.Struct({**dict.fromkeys(SELECT_ITEMS, pl.String),
                          **dict.fromkeys(COUNT_ITEMS, pl.Int64)})


def read_answers(conn: Connection, round_id: int) -> pl.DataFrame:
    """``id`` and ``answers`` (JSON text) of every assessment of a round, in one query."""
    a = targeting_assessment.c
    query = select(a.id, a.answers).where(a.round_id == round_id)
    schema = {"id": pl.Int64, "answers": pl.String}
    if conn.dialect.name == "postgresql":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        raw: Any = conn.connection.dbapi_connection
        buf = io.BytesIO()
        with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as cp:
            for chunk in cp:
                buf.write(chunk)
        if buf.getbuffer().nbytes == 0:
            return pl.DataFrame(schema=schema)
        buf.seek(0)
        return pl.read_csv(buf, has_header=False, new_columns=list(schema), schema=schema)
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def answer_columns(frame: pl.DataFrame) -> dict[str, np.ndarray[Any, Any]]:
    """The rules' inputs from a frame with an ``answers`` JSON column: each select item as the
    index of its answer, each count as a number. An answer the rules do not know is refused,
    naming the first assessment that has it."""
    decoded = frame.select(pl.col("id"), pl.col("answers").str.json_decode(ANSWERS_TYPE)
                           ).unnest("answers")
    codes = decoded.select(
        pl.col("id"),
        *(pl.col(item).replace_strict({name: i for i, name in enumerate(choices)},
                                      default=None, return_dtype=pl.Int32)
          for item, choices in SELECT_ITEMS.items()),
        *(pl.col(item).cast(pl.Int32) for item in COUNT_ITEMS))
    bad = codes.filter(pl.any_horizontal(pl.all().is_null()))
    if bad.height:
        first = bad.row(0, named=True)
        item = next(k for k, v in first.items() if v is None)
        raise InvalidInput.one(("answers", item), "unknown_answer",
                               f"assessment {first['id']} has no valid answer to {item}",
                               f"ការវាយតម្លៃ {first['id']} គ្មានចម្លើយត្រឹមត្រូវចំពោះ {item}")
    return {item: codes[item].to_numpy() for item in (*SELECT_ITEMS, *COUNT_ITEMS)}


def score_frame(frame: pl.DataFrame, on: date) -> tuple[pl.DataFrame, Scores]:
    """Scores of a frame of ``id`` and ``answers``: ``assessment_id``, ``total``, ``level``,
    ``points`` (JSON text), with the engine's arrays."""
    scores = score(answer_columns(frame), on)
    points = pl.DataFrame({item: scores.points[item] for item in SCORED_ITEMS})
    out = pl.DataFrame({"assessment_id": frame["id"], "total": scores.total,
                        "level": scores.level.astype(np.int16)}).with_columns(
        points.select(pl.struct(pl.all()).struct.json_encode().alias("points")))
    return out, scores


def _write(conn: Connection, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    columns = list(frame.columns)
    if conn.dialect.name == "postgresql":
        buf = io.BytesIO()
        frame.with_columns(pl.col("parameter_date").cast(pl.String)).write_csv(
            buf, include_header=False)
        raw: Any = conn.connection.dbapi_connection
        sql = f"COPY targeting_score ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with raw.cursor() as cur, cur.copy(sql) as cp:
            cp.write(buf.getbuffer())
        return
    placeholders = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO targeting_score ({', '.join(columns)}) VALUES ({placeholders})",
        frame.with_columns(pl.col("parameter_date").cast(pl.String)).rows())


def score_round(conn: Connection, round_id: int, on: date, by: str,
                job_id: int | None = None) -> dict[str, Any]:
    """Score every assessment of a round with the parameters in force on ``on``, in the
    caller's transaction: a scoring row and the round's scores replaced (a draft with a score
    reads as ``scored``, ``queries``).
    Returns the scoring id and the counts."""
    frame = read_answers(conn, round_id)
    scored, _ = score_frame(frame, on)
    now = utcnow()
    scoring_id = int(conn.execute(insert(targeting_scoring).values(
        round_id=round_id, parameter_date=on, assessments=scored.height, scored_at=now,
        scored_by=by[:64], job_id=job_id).returning(targeting_scoring.c.id)).scalar_one())
    conn.execute(delete(targeting_score).where(targeting_score.c.round_id == round_id))
    _write(conn, scored.with_columns(pl.lit(round_id, pl.Int64).alias("round_id"),
                                     pl.lit(scoring_id, pl.Int64).alias("scoring_id"),
                                     pl.lit(on, pl.Date).alias("parameter_date")))
    levels = scored.group_by("level").len()
    by_level = {int(r["level"]): int(r["len"]) for r in levels.iter_rows(named=True)}
    return {"scoring_id": scoring_id, "assessments": scored.height,
            "level_1": by_level.get(1, 0), "level_2": by_level.get(2, 0),
            "not_poor": by_level.get(0, 0), "parameter_date": on.isoformat()}


def preview(answers: dict[str, Any], on: date) -> Explanation:
    """The explained score of one questionnaire under the parameters in force on ``on``."""
    frame = pl.DataFrame({"id": [0], "answers": [json.dumps(answers)]})
    _scored, scores = score_frame(frame, on)
    points = {item: int(scores.points[item][0]) for item in SCORED_ITEMS}
    return explain(answers, points, int(scores.total[0]), int(scores.level[0]), on)
