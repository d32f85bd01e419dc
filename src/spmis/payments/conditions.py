"""Conditions: a programme's payment that is due only once a compliance event is recorded (an
antenatal visit, the delivery at a health centre, a postnatal visit, a vaccination, school
attendance), as in the pregnant women and children under 2 programme.

- ``set_condition``: the programme's benefit (a component) needs an event of a kind, with the
  legal reference that says so (``programme_condition``).
- ``record_event``: a staff member records an event for a person in their scope;
  ``import_events``: a health centre's file of events (CSV or XLSX: person_key, event, date,
  facility), checked whole first, then written in one statement; events already recorded are
  counted, not written twice.
- ``withheld(programme, period)``: the set-based predicate the payment cycle calls (a SELECT of
  the beneficiary ids whose payment is withheld): for every condition of the programme, the
  beneficiary (the person, or for a household programme any member) must have an event of that
  kind dated on or before the end of the cycle's month (school attendance: within that month).
  A withheld payment is created by the next run of the cycle after the event is recorded.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, and_, case, insert, not_, select, tuple_

from spmis.auth import scope as scopes
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import log_change, next_version
from spmis.errors import Conflict, FieldError, InvalidInput, NotFound
from spmis.formula_guard import unguard
from spmis.payments.delivery_store import compliance_event, programme_condition
from spmis.payments.model import Component, month_start
from spmis.payments.store import beneficiary, programme
from spmis.registry import queries as registry

__all__ = [
    "EVENT_KINDS",
    "EventImport",
    "import_events",
    "record_event",
    "set_condition",
    "withheld",
]

#: kind -> (English, Khmer, whether the event must fall within the cycle's month)
EVENT_KINDS: dict[str, tuple[str, str, bool]] = {
    "antenatal_visit": ("antenatal visit", "ការពិនិត្យផ្ទៃពោះ", False),
    "delivery": ("delivery at a health facility", "ការសម្រាលកូននៅមូលដ្ឋានសុខាភិបាល", False),
    "postnatal_visit": ("postnatal visit", "ការពិនិត្យក្រោយសម្រាល", False),
    "vaccination": ("vaccination", "ការចាក់វ៉ាក់សាំង", False),
    "school_attendance": ("school attendance", "ការចូលរៀន", True),
}
FILE_COLUMNS = ("person_key", "event", "date", "facility")


def _kind_error(loc: tuple[str | int, ...]) -> FieldError:
    return FieldError(loc, "unknown_event", f"use one of {', '.join(EVENT_KINDS)}",
                      f"សូមប្រើមួយក្នុងចំណោម {', '.join(EVENT_KINDS)}")


def _month_end(period: str) -> date:
    start = month_start(period)
    return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])


def withheld(prog: Any, period: str) -> Select[Any]:
    """The ids of ``prog``'s beneficiaries whose benefit for ``period`` is withheld: a
    condition of the programme has no matching event yet. ``prog``: a programme row (its
    ``id``). Empty when the programme has no condition."""
    # an alias: the caller's query reads the beneficiary table too, and must not be correlated
    pc, ev, b = programme_condition, compliance_event, beneficiary.alias("withheld_b")
    end, start = _month_end(period), month_start(period)
    in_month = [k for k, (_, _, monthly) in EVENT_KINDS.items() if monthly]
    met = select(ev.c.id).where(
        ev.c.kind == pc.c.event_kind, ev.c.event_date <= end,
        case((b.c.entity == "person", ev.c.person_id == b.c.entity_id),
             else_=ev.c.household_id == b.c.household_id),
        not_(and_(ev.c.kind.in_(in_month), ev.c.event_date < start))
    ).correlate_except(ev).exists()
    unmet = select(pc.c.event_kind).where(
        pc.c.programme_id == prog["id"], pc.c.component == Component.BENEFIT.value,
        not_(met)).correlate_except(pc).exists()
    return select(b.c.id).where(b.c.programme_id == prog["id"], unmet)


def set_condition(ctx: AppContext, actor: Actor, programme_code: str, event_kind: str,
                  legal_reference: str, component: str = Component.BENEFIT.value) -> None:
    """The programme's ``component`` is paid only once an ``event_kind`` is recorded."""
    errors = [] if event_kind in EVENT_KINDS else [_kind_error(("event_kind",))]
    if len(legal_reference.strip()) < 3:
        errors.append(FieldError(("legal_reference",), "missing",
                                 "give the legal reference of the condition",
                                 "សូមផ្តល់ឯកសារយោងច្បាប់នៃលក្ខខណ្ឌ"))
    if errors:
        raise InvalidInput(errors)
    with ctx.engine.begin() as conn:
        pid = conn.execute(select(programme.c.id).where(programme.c.code == programme_code)
                           ).scalar()
        if pid is None:
            raise NotFound(f"no programme {programme_code!r}",
                           f"រកមិនឃើញកម្មវិធី {programme_code!r}")
        if conn.execute(select(pc_key := programme_condition.c.component).where(
                programme_condition.c.programme_id == pid, pc_key == component)).first():
            raise Conflict(f"the programme's {component} has a condition already",
                           f"{component} របស់កម្មវិធីមានលក្ខខណ្ឌរួចហើយ")
        conn.execute(insert(programme_condition).values(
            programme_id=pid, component=component, event_kind=event_kind,
            legal_reference=legal_reference.strip()))
        log_change(conn, "prog_condition", pid, next_version(conn, "prog_condition", pid),
                   "create", actor.username, legal_reference,
                   {"component": component, "event_kind": event_kind})


def _check_day(day: date | None, today: date, loc: tuple[str | int, ...]) -> list[FieldError]:
    if day is None or day > today:
        return [FieldError(loc, "bad_date", "give a date that is not in the future (YYYY-MM-DD)",
                           "សូមផ្តល់កាលបរិច្ឆេទដែលមិនទាន់មកដល់ (YYYY-MM-DD)")]
    return []


def record_event(ctx: AppContext, actor: Actor, person_id: int, kind: str, event_date: date,
                 facility: str, today: date | None = None) -> int:
    """Record one event for a person in the actor's scope; returns its id."""
    errors = [] if kind in EVENT_KINDS else [_kind_error(("kind",))]
    errors += _check_day(event_date, today or date.today(), ("event_date",))
    if not 2 <= len(facility.strip()) <= 100:
        errors.append(FieldError(("facility",), "length", "name the health centre or school",
                                 "សូមដាក់ឈ្មោះមណ្ឌលសុខភាព ឬសាលារៀន"))
    if errors:
        raise InvalidInput(errors)
    with ctx.engine.begin() as conn:
        person = registry.person_with_village(conn, person_id)
        if person is None or not scopes.covers(actor.scope, person["village_code"]):
            raise NotFound("no such person", "រកមិនឃើញបុគ្គលនេះទេ")
        if conn.execute(select(compliance_event.c.id).where(
                compliance_event.c.person_id == person_id, compliance_event.c.kind == kind,
                compliance_event.c.event_date == event_date)).first():
            raise Conflict("this event is recorded already", "ព្រឹត្តិការណ៍នេះបានកត់ត្រារួចហើយ")
        return int(conn.execute(insert(compliance_event).values(
            person_id=person_id, household_id=person["household_id"], kind=kind,
            event_date=event_date, facility=facility.strip(), source="staff",
            recorded_at=utcnow(), recorded_by=actor.username)
            .returning(compliance_event.c.id)).scalar_one())


@dataclass
class EventImport:
    lines: int = 0
    recorded: int = 0
    already: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)


def _read(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        rows = [["" if v is None else (v.date().isoformat() if hasattr(v, "date") and
                                       not isinstance(v, date) else str(v)) for v in r]
                for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
        header, body = rows[0], rows[1:]
        return pl.DataFrame(body, schema=dict.fromkeys(header, pl.String), orient="row")
    return pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")


def import_events(ctx: AppContext, actor: Actor, path: Path,
                  today: date | None = None) -> EventImport:
    """A health centre's file of events: every line checked first (columns, event kind, date,
    a person of the registry in the actor's scope); any problem and nothing is written."""
    today = today or date.today()
    out = EventImport()
    try:
        frame = _read(path)
    except Exception as exc:  # a file polars or openpyxl cannot read at all
        raise InvalidInput.one(("file",), "invalid_file", f"the file cannot be read ({exc})",
                               "មិនអាចអានឯកសារនេះបានទេ") from None
    missing = [c for c in FILE_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput.one(("file",), "missing_columns",
                               f"the file lacks the columns {', '.join(missing)}",
                               f"ឯកសារខ្វះជួរឈរ {', '.join(missing)}")
    frame = frame.select(
        (pl.int_range(pl.len()) + 2).alias("line"),
        *[pl.col(c).map_elements(unguard, return_dtype=pl.String).str.strip_chars().alias(c)
          for c in FILE_COLUMNS]).with_columns(
        pl.col("date").str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias("day"))
    out.lines = frame.height
    people = registry.people()
    keys = frame["person_key"].drop_nulls().unique().to_list()
    with ctx.engine.connect() as conn:
        found = pl.DataFrame(
            [dict(r) for r in conn.execute(
                select(people.c.external_key.label("person_key"),
                       people.c.id.label("person_id"), people.c.household_id)
                .where(people.c.external_key.in_(keys),
                       people.c.household_id.in_(registry.household_ids_in_scope(actor.scope)))
            ).mappings()],
            schema={"person_key": pl.String, "person_id": pl.Int64, "household_id": pl.Int64})
    frame = frame.join(found, on="person_key", how="left")

    def report(mask: pl.Expr, code: str, en: str, km: str) -> None:
        for line, value in frame.filter(mask).select("line", "person_key").iter_rows():
            out.problems.append({"line": line, "code": code, "msg": en.format(value),
                                 "msg_km": km.format(value)})

    report(pl.col("person_id").is_null(), "unknown_person",
           "person {} is not in the registry (or not in your area)",
           "បុគ្គល {} មិនមានក្នុងបញ្ជីឈ្មោះ (ឬមិននៅក្នុងតំបន់របស់អ្នក)")
    report(~pl.col("event").is_in(list(EVENT_KINDS)) | pl.col("event").is_null(),
           "unknown_event", f"the event is not one of {', '.join(EVENT_KINDS)}",
           f"ព្រឹត្តិការណ៍មិនមែនជាមួយក្នុងចំណោម {', '.join(EVENT_KINDS)}")
    report(pl.col("day").is_null() | (pl.col("day") > today), "bad_date",
           "the date is not a past date written YYYY-MM-DD",
           "កាលបរិច្ឆេទមិនមែនជាកាលបរិច្ឆេទកន្លងមកជាទម្រង់ YYYY-MM-DD")
    report(pl.col("facility").is_null() | (pl.col("facility").str.len_chars() < 2),
           "facility_missing", "name the health centre", "សូមដាក់ឈ្មោះមណ្ឌលសុខភាព")
    if out.problems:
        out.problems.sort(key=lambda p: p["line"])
        return out
    frame = frame.unique(subset=["person_id", "event", "day"], keep="first")
    with ctx.engine.begin() as conn:
        existing = set(conn.execute(
            select(compliance_event.c.person_id, compliance_event.c.kind,
                   compliance_event.c.event_date).where(
                tuple_(compliance_event.c.person_id, compliance_event.c.kind,
                       compliance_event.c.event_date).in_(
                    list(frame.select("person_id", "event", "day").iter_rows())))).all())
        now = utcnow()
        rows = [{"person_id": r["person_id"], "household_id": r["household_id"],
                 "kind": r["event"], "event_date": r["day"], "facility": r["facility"][:100],
                 "source": "import", "recorded_at": now, "recorded_by": actor.username}
                for r in frame.iter_rows(named=True)
                if (r["person_id"], r["event"], r["day"]) not in existing]
        if rows:
            conn.execute(insert(compliance_event), rows)
    out.recorded, out.already = len(rows), out.lines - len(rows)
    return out


def events_of(conn: Connection, household_id: int) -> list[dict[str, Any]]:
    """A household's recorded events, newest first."""
    return [dict(r) for r in conn.execute(
        select(compliance_event).where(compliance_event.c.household_id == household_id)
        .order_by(compliance_event.c.event_date.desc()))
        .mappings()]
