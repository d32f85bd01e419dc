"""Monthly declarations: an employer's wages of the month for each of its workers.

A declaration is a draft until submitted, and sending the month again replaces the draft. Once
submitted, only a correcting declaration (the next ``sequence``, ``corrects_id`` the one before)
changes the month, and every one is kept; sending the same lines again changes nothing. Dollar
wages are converted with the month's notified rate (``fund_exchange_rate``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import audit_values, log_change
from spmis.errors import Conflict, FieldError, InvalidInput, NotFound
from spmis.fund import model as m
from spmis.fund import store
from spmis.fund.common import employer_for
from spmis.fund.employers import rate_of

D = store.fund_declaration
DL = store.fund_declaration_line
AF = store.fund_affiliation


@dataclass(frozen=True)
class RawLine:
    """A line as sent: the registry person, the wage as written and its currency; ``row`` is
    where it came from (its index in a request, or its row in a file)."""

    row: int
    person_id: int
    wage: str
    currency: str


@dataclass(frozen=True)
class Checked:
    lines: list[tuple[m.Line, int, int]]  # (line, affiliation id, wage in riel)
    errors: list[tuple[int, FieldError]]  # (row, error)


def _err(field: str, code: str, en: str, km: str, loc: tuple[str | int, ...]) -> FieldError:
    return FieldError((*loc, field), code, f"{field}: {en}", f"{field}៖ {km}")


def _last_day(period: str) -> date:
    return m.first_day(m.next_period(period)) - timedelta(days=1)


def check_lines(conn: Connection, employer_id: int, period: str, raw: Sequence[RawLine],
                loc: tuple[str | int, ...] = ("lines",), by_index: bool = True) -> Checked:
    """Each line checked: a wage that is an amount and not negative, a known currency (a
    dollar wage needs the month's notified rate), a person who works for the employer during
    the month, at most once."""
    errors: list[tuple[int, FieldError]] = []
    parsed: list[tuple[RawLine, int]] = []
    rate = rate_of(conn, period)
    seen: set[int] = set()
    for line in raw:
        where = (*loc, line.row) if by_index else loc
        try:
            minor = m.to_minor(line.wage, line.currency)
        except InvalidInput as exc:
            e = exc.errors[0]
            errors.append((line.row, FieldError((*where, *e.loc), e.code, e.msg, e.msg_km)))
            continue
        if line.currency == "USD" and rate is None:
            errors.append((line.row, _err(
                "currency", "no_rate", f"no dollar rate has been notified for {period}",
                f"មិនទាន់មានអត្រាប្តូរប្រាក់ដុល្លារសម្រាប់ខែ {period}", where)))
            continue
        if line.person_id in seen:
            errors.append((line.row, _err("person_id", "duplicate",
                                          f"person {line.person_id} is declared twice",
                                          f"បុគ្គល {line.person_id} ត្រូវបានប្រកាសពីរដង", where)))
            continue
        seen.add(line.person_id)
        parsed.append((line, minor))
    working = dict(conn.execute(select(AF.c.person_id, AF.c.id).where(
        AF.c.employer_id == employer_id, AF.c.person_id.in_(sorted(seen)),
        AF.c.start_date <= _last_day(period),
        (AF.c.end_date.is_(None)) | (AF.c.end_date >= m.first_day(period)),
    )).all()) if seen else {}
    good: list[tuple[m.Line, int, int]] = []
    for line, minor in parsed:
        aff = working.get(line.person_id)
        if aff is None:
            where = (*loc, line.row) if by_index else loc
            errors.append((line.row, _err(
                "person_id", "unknown_worker",
                f"person {line.person_id} is not a worker of this enterprise in {period}",
                f"បុគ្គល {line.person_id} មិនមែនជាកម្មកររបស់សហគ្រាសនេះក្នុងខែ {period} ទេ",
                where)))
            continue
        khr = minor if line.currency == "KHR" else m.usd_cents_to_riel(minor, rate or 0)
        good.append((m.Line(line.person_id, minor, line.currency), int(aff), khr))
    return Checked(good, errors)


def _latest(conn: Connection, employer_id: int, period: str) -> dict[str, Any] | None:
    row = conn.execute(select(D).where(D.c.employer_id == employer_id, D.c.period == period)
                       .order_by(D.c.sequence.desc()).limit(1)).mappings().first()
    return None if row is None else dict(row)


def store_lines(conn: Connection, actor: Actor, employer_id: int, period: str,
                lines: list[tuple[m.Line, int, int]], *, source: str, filename: str | None,
                correction: bool) -> dict[str, Any]:
    """Write checked lines as the month's draft (replacing it), or as a correcting declaration
    after submission; the same lines as the submitted declaration change nothing."""
    digest = m.content_hash(x for x, _, _ in lines)
    latest = _latest(conn, employer_id, period)
    values = {"content_hash": digest, "workers": len(lines),
              "wage_total": sum(k for _, _, k in lines), "source": source,
              "filename": filename}
    if latest is not None and latest["state"] == "submitted":
        if latest["content_hash"] == digest:
            return {"declaration_id": latest["id"], "unchanged": True}
        if not correction:
            raise Conflict(
                f"the declaration of {period} was submitted: send a correcting declaration",
                f"ការប្រកាសខែ {period} បានដាក់ស្នើរួចហើយ៖ សូមផ្ញើការប្រកាសកែតម្រូវ")
    if latest is not None and latest["state"] == "draft":
        did = int(latest["id"])
        conn.execute(delete(DL).where(DL.c.declaration_id == did))
        conn.execute(update(D).where(D.c.id == did).values(
            **values, version=D.c.version + 1, updated_at=utcnow(), updated_by=actor.username))
        action, version = "replace", int(latest["version"]) + 1
    else:
        sequence = 1 if latest is None else int(latest["sequence"]) + 1
        did = int(conn.execute(insert(D).values(
            employer_id=employer_id, period=period, sequence=sequence,
            corrects_id=None if latest is None else latest["id"], state="draft", **values,
            **audit_values(actor.username)).returning(D.c.id)).scalar_one())
        action, version = ("create" if latest is None else "correct"), 1
    if lines:
        conn.execute(insert(DL), [
            {"declaration_id": did, "person_id": x.person_id, "affiliation_id": aff,
             "wage": x.wage, "currency": x.currency, "wage_khr": khr}
            for x, aff, khr in lines])
    log_change(conn, "fund_declaration", did, version, action, actor.username, None,
               {"workers": [None, len(lines)], "content_hash": [None, digest]})
    return {"declaration_id": did, "unchanged": False}


def declare(conn: Connection, actor: Actor, employer_id: int, period: str,
            raw: Sequence[RawLine], *, source: str, correction: bool, fund_start: date,
            today: date) -> dict[str, Any]:
    """Typed (or API) declaration: every line must be right, or nothing is stored."""
    employer_for(conn, actor, employer_id, write=True)
    m.check_period_open(period, fund_start, today)
    checked = check_lines(conn, employer_id, period, raw)
    if checked.errors:
        raise InvalidInput([e for _, e in checked.errors])
    return store_lines(conn, actor, employer_id, period, checked.lines, source=source,
                       filename=None, correction=correction)


def declaration_row(conn: Connection, actor: Actor, declaration_id: int,
                    write: bool) -> dict[str, Any]:
    row = conn.execute(select(D).where(D.c.id == declaration_id)).mappings().first()
    missing = NotFound(f"there is no declaration {declaration_id} that you may see",
                       f"មិនមានការប្រកាស {declaration_id} ដែលអ្នកអាចមើលបានទេ")
    if row is None:
        raise missing
    try:
        employer_for(conn, actor, int(row["employer_id"]), write=write)
    except NotFound:
        raise missing from None
    return dict(row)


def submit(conn: Connection, actor: Actor, declaration_id: int) -> dict[str, Any]:
    """Submit a draft: from now on only a correcting declaration changes the month."""
    row = declaration_row(conn, actor, declaration_id, write=True)
    if row["state"] != "draft":
        raise Conflict(f"declaration {declaration_id} is already submitted",
                       f"ការប្រកាស {declaration_id} បានដាក់ស្នើរួចហើយ")
    if row["workers"] == 0:
        raise m.bad("lines", "empty", "lines: a declaration needs at least one worker",
                    "lines៖ ការប្រកាសត្រូវការកម្មករយ៉ាងហោចណាស់ម្នាក់")
    now = utcnow()
    conn.execute(update(D).where(D.c.id == declaration_id).values(
        state="submitted", submitted_at=now, submitted_by=actor.username,
        version=D.c.version + 1, updated_at=now, updated_by=actor.username))
    log_change(conn, "fund_declaration", declaration_id, int(row["version"]) + 1, "submit",
               actor.username, None, {"state": ["draft", "submitted"]})
    return row | {"state": "submitted"}


def detail(conn: Connection, actor: Actor, declaration_id: int) -> dict[str, Any]:
    """A declaration with its lines."""
    row = declaration_row(conn, actor, declaration_id, write=False)
    row["lines"] = [dict(r) for r in conn.execute(
        select(DL.c.person_id, DL.c.wage, DL.c.currency, DL.c.wage_khr)
        .where(DL.c.declaration_id == declaration_id).order_by(DL.c.person_id)).mappings()]
    return row


def of_employer(conn: Connection, employer_id: int, limit: int = 60) -> list[dict[str, Any]]:
    """An employer's declarations, newest month first, corrections after the original."""
    return [dict(r) for r in conn.execute(
        select(D).where(D.c.employer_id == employer_id)
        .order_by(D.c.period.desc(), D.c.sequence.desc()).limit(limit)).mappings()]
