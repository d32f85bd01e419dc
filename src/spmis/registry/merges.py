"""Registry use cases: merging duplicate people, and undoing a merge. Nothing is deleted.

Merging person B into person A (the *survivor*):

- B keeps its row: ``status`` becomes ``merged`` and ``merged_into_id`` points to A; its household
  membership, names and every other field stay as they were.
- B's identifiers of a type A lacks move to A (when several people merge into A in one batch and
  more than one has a type A lacks, the lowest person id gives it); each moved row is recorded in
  ``link_merge_identifier`` with its hash.
- Both records get a new version and a ``merge`` entry in ``change_log``; ``link_merge`` keeps a
  snapshot of both rows and their identifiers as they were before the merge.
- A household the merge leaves without any active member gets status ``merged`` (so it is no
  longer counted or paid as a household), with its own history entry.

Undoing restores both records exactly (every field, identifiers, membership); only the version
and the ``updated_*`` columns advance, and both records get an ``unmerge`` history entry; a
household the merge closed is reopened.

``merge_people`` works on a batch with set-based SQL (a handful of statements per batch, whatever
its size), so a deduplication run can merge thousands of pairs at once; a clerical merge is a
batch of one. Both run in the caller's transaction (``conn``, not committed), so the caller (record
linkage: a deduplication run, an approved review) records its own side in the same transaction.
These are the only functions that merge people: no other package writes registry tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import Change, bump_versions, log_changes
from spmis.errors import Conflict, NotFound
from spmis.registry.store import (
    household,
    link_merge,
    link_merge_identifier,
    person,
    person_identifier,
)

__all__ = ["MERGED", "UNDONE", "MergeItem", "merge_people", "merge_row", "undo_merge"]

CHUNK = 5000
MERGED, UNDONE = "merged", "undone"


@dataclass(frozen=True)
class MergeItem:
    """Merge ``merged_id`` into ``survivor_id``."""

    survivor_id: int
    merged_id: int
    probability: float | None = None
    review_id: int | None = None


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _rows(conn: Connection, ids: Sequence[int], lock: bool) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for part in _chunks(ids):
        query = select(person).where(person.c.id.in_(part))
        if lock:
            query = query.with_for_update()
        for row in conn.execute(query).mappings():
            out[row["id"]] = {k: _json(v) for k, v in row.items()}
    return out


def _identifiers(conn: Connection, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    cols = (person_identifier.c.id, person_identifier.c.person_id, person_identifier.c.id_type,
            person_identifier.c.value_hash)
    for part in _chunks(ids):
        rows = conn.execute(select(*cols).where(person_identifier.c.person_id.in_(part))
                            .order_by(person_identifier.c.id)).mappings()
        for row in rows:
            out.setdefault(row["person_id"], []).append(dict(row))
    return out


def _check_batch(items: Sequence[MergeItem]) -> None:
    merged = [i.merged_id for i in items]
    if len(set(merged)) != len(merged):
        raise Conflict("a person can be merged only once", "បុគ្គលម្នាក់អាចបញ្ចូលបានតែម្តង")
    survivors = {i.survivor_id for i in items}
    if survivors & set(merged) or any(i.survivor_id == i.merged_id for i in items):
        raise Conflict("a person cannot be merged and survive in the same batch",
                       "បុគ្គលម្នាក់មិនអាចបញ្ចូល និងនៅរស់ក្នុងពេលតែមួយបានទេ")


def merge_people(
    conn: Connection,
    items: Sequence[MergeItem],
    actor: Actor,
    *,
    method: str,
    reason: str,
    run_id: int | None = None,
    strict: bool = True,
) -> list[int]:
    """Merge each item's person into its survivor, in ``conn`` (not committed).

    With ``strict`` (clerical merges) a person that is not active raises ``Conflict``; without
    it (automatic runs) such items are skipped. Returns the ``link_merge`` ids.
    """
    _check_batch(items)
    ids = sorted({i.survivor_id for i in items} | {i.merged_id for i in items})
    rows = _rows(conn, ids, lock=True)
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(f"person {missing[0]} not found", f"រកមិនឃើញបុគ្គលលេខ {missing[0]}")
    usable = [i for i in items if rows[i.survivor_id]["status"] == "active"
              and rows[i.merged_id]["status"] == "active"]
    if strict and len(usable) != len(items):
        raise Conflict("only active people can be merged; one of them is no longer active",
                       "អាចបញ្ចូលបានតែបុគ្គលសកម្មប៉ុណ្ណោះ")
    if not usable:
        return []
    idents = _identifiers(conn, ids)
    key = str(uuid.uuid4())
    now = utcnow()
    conn.execute(insert(link_merge), [
        {
            "batch_key": key, "survivor_id": i.survivor_id, "merged_id": i.merged_id,
            "method": method, "run_id": run_id, "review_id": i.review_id,
            "match_probability": i.probability, "status": MERGED, "merged_at": now,
            "merged_by": actor.username, "reason": reason,
            "snapshot": {
                "survivor": rows[i.survivor_id], "merged": rows[i.merged_id],
                "survivor_identifiers": idents.get(i.survivor_id, []),
                "merged_identifiers": idents.get(i.merged_id, []),
            },
        }
        for i in usable
    ])
    _move_identifiers(conn, key)
    _mark_people(conn, key, actor, now, len(usable))
    merge_ids = _log_merges(conn, key, actor, reason)
    _close_emptied_households(conn, key, actor, reason, now)
    return merge_ids


def _batch(key: str) -> Any:
    return select(link_merge.c.id).where(link_merge.c.batch_key == key)


def _move_identifiers(conn: Connection, key: str) -> None:
    """Record, then move, the identifiers the survivor lacks (one per survivor and type)."""
    i, m = person_identifier, link_merge
    s = person_identifier.alias("s")
    ranked = (
        select(
            m.c.id.label("merge_id"), i.c.id.label("identifier_id"), i.c.id_type,
            i.c.value_hash, i.c.person_id.label("from_person_id"),
            m.c.survivor_id.label("to_person_id"),
            func.row_number().over(partition_by=(m.c.survivor_id, i.c.id_type),
                                   order_by=m.c.merged_id).label("rank"),
        )
        .select_from(i.join(m, m.c.merged_id == i.c.person_id))
        .where(m.c.batch_key == key,
               ~exists().where(s.c.person_id == m.c.survivor_id, s.c.id_type == i.c.id_type))
        .subquery()
    )
    cols = ["merge_id", "identifier_id", "id_type", "value_hash", "from_person_id",
            "to_person_id"]
    conn.execute(insert(link_merge_identifier).from_select(
        cols, select(*(ranked.c[c] for c in cols)).where(ranked.c.rank == 1)))
    mi = link_merge_identifier
    moved = select(mi.c.identifier_id).where(mi.c.merge_id.in_(_batch(key)))
    target = (select(mi.c.to_person_id)
              .where(mi.c.identifier_id == person_identifier.c.id, mi.c.merge_id.in_(_batch(key)))
              .scalar_subquery())
    conn.execute(update(person_identifier).where(person_identifier.c.id.in_(moved))
                 .values(person_id=target))


def _mark_people(conn: Connection, key: str, actor: Actor, now: datetime, expected: int) -> None:
    m = link_merge
    survivor_of = (select(m.c.survivor_id)
                   .where(m.c.merged_id == person.c.id, m.c.batch_key == key).scalar_subquery())
    done = bump_versions(
        conn, person, [person.c.id.in_(select(m.c.merged_id).where(m.c.batch_key == key)),
                       person.c.status == "active"],
        {"status": "merged", "merged_into_id": survivor_of}, actor.username, now)
    if done != expected:
        raise Conflict("a person changed while being merged; try again",
                       "បុគ្គលម្នាក់ត្រូវបានកែប្រែពេលកំពុងបញ្ចូល សូមព្យាយាមម្តងទៀត")
    bump_versions(conn, person,
                  [person.c.id.in_(select(m.c.survivor_id).where(m.c.batch_key == key))], {},
                  actor.username, now)


def _close_emptied_households(conn: Connection, key: str, actor: Actor, reason: str,
                              now: datetime) -> None:
    """A household left without any active member by the merge gets status ``merged`` (so it
    is no longer counted or paid), with a history entry; undo reopens it."""
    m = link_merge
    merged_people = select(m.c.merged_id).where(m.c.batch_key == key)
    homes = select(person.c.household_id).where(person.c.id.in_(merged_people))
    other = person.alias("other")
    emptied = select(household.c.id).where(
        household.c.id.in_(homes), household.c.status == "active",
        ~exists().where(other.c.household_id == household.c.id, other.c.status == "active"))
    ids = list(conn.execute(emptied).scalars())
    if not ids:
        return
    bump_versions(conn, household, [household.c.id.in_(ids)], {"status": "merged"},
                  actor.username, now)
    rows = conn.execute(
        select(household.c.id, household.c.version, m.c.id.label("merge_id"), m.c.merged_id)
        .join(person, person.c.household_id == household.c.id)
        .join(m, m.c.merged_id == person.c.id)
        .where(m.c.batch_key == key, household.c.id.in_(ids)).order_by(m.c.id)).all()
    entries: dict[int, Change] = {}
    for r in rows:
        entry = entries.setdefault(r.id, Change(
            "household", r.id, r.version, "merge", actor.username, reason,
            {"status": ["active", "merged"], "merge_ids": [], "merged_person_ids": []}))
        entry.changes["merge_ids"].append(r.merge_id)
        entry.changes["merged_person_ids"].append(r.merged_id)
    log_changes(conn, list(entries.values()), now)


def _reopen_household(conn: Connection, hid: int, actor: Actor, reason: str, merge_id: int,
                      now: datetime) -> None:
    """Undo gives the merged person back to their household: reopen it if a merge closed it."""
    done = bump_versions(conn, household, [household.c.id == hid, household.c.status == "merged"],
                         {"status": "active"}, actor.username, now)
    if done != 1:
        return
    version = conn.execute(select(household.c.version).where(household.c.id == hid)).scalar_one()
    log_changes(conn, [Change("household", hid, version, "unmerge", actor.username, reason,
                              {"status": ["merged", "active"], "merge_id": merge_id})], now)


def _log_merges(conn: Connection, key: str, actor: Actor, reason: str) -> list[int]:
    """One ``merge`` history entry for each merged person and for its survivor."""
    m, mi = link_merge, link_merge_identifier
    merges = conn.execute(select(m.c.id, m.c.survivor_id, m.c.merged_id)
                          .where(m.c.batch_key == key).order_by(m.c.id)).all()
    moved: dict[int, list[str]] = {}
    for merge_id, id_type in conn.execute(
            select(mi.c.merge_id, mi.c.id_type).where(mi.c.merge_id.in_(_batch(key)))
            .order_by(mi.c.id_type)):
        moved.setdefault(merge_id, []).append(id_type)
    involved = sorted({r.survivor_id for r in merges} | {r.merged_id for r in merges})
    versions: dict[int, int] = {}
    for part in _chunks(involved):
        versions.update(dict(conn.execute(
            select(person.c.id, person.c.version).where(person.c.id.in_(part))).all()))
    entries: list[Change] = []
    for r in merges:
        types = moved.get(r.id, [])
        entries.append(Change("person", r.merged_id, versions[r.merged_id], "merge",
                              actor.username, reason, {
            "status": ["active", "merged"], "merged_into_id": [None, r.survivor_id],
            "merge_id": r.id, "identifiers_moved": types}))
        entries.append(Change("person", r.survivor_id, versions[r.survivor_id], "merge",
                              actor.username, reason, {
            "absorbed_person_id": r.merged_id, "merge_id": r.id, "identifiers_received": types}))
    log_changes(conn, entries)
    return [r.id for r in merges]


def merge_row(conn: Connection, merge_id: int, lock: bool = False) -> dict[str, Any]:
    query = select(link_merge).where(link_merge.c.id == merge_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"merge {merge_id} not found", f"រកមិនឃើញការបញ្ចូលលេខ {merge_id}")
    return dict(row)


def undo_merge(conn: Connection, merge_id: int, actor: Actor, reason: str) -> dict[str, Any]:
    """Undo merge ``merge_id`` in ``conn`` (not committed): see the module docstring.

    Refused (``Conflict``) when the merge is already undone, when the merged person is no longer
    merged into the survivor, or when a moved identifier has since changed or moved on (undo the
    later merge or change first).
    """
    m = merge_row(conn, merge_id, lock=True)
    if m["status"] != MERGED:
        raise Conflict("this merge was already undone", "ការបញ្ចូលនេះត្រូវបានលុបចោលរួចហើយ")
    a, b = m["survivor_id"], m["merged_id"]
    rows = _rows(conn, [a, b], lock=True)
    if rows[b]["status"] != "merged" or rows[b]["merged_into_id"] != a:
        raise Conflict("the merged person has changed since the merge; it cannot be undone",
                       "បុគ្គលដែលបានបញ្ចូលត្រូវបានកែប្រែ មិនអាចលុបចោលបានទេ")
    mi = link_merge_identifier
    moved = conn.execute(select(mi).where(mi.c.merge_id == merge_id)).mappings().all()
    if moved:
        still = conn.execute(select(func.count()).select_from(
            person_identifier.join(mi, and_(mi.c.identifier_id == person_identifier.c.id,
                                            mi.c.merge_id == merge_id)))
            .where(person_identifier.c.person_id == mi.c.to_person_id,
                   person_identifier.c.value_hash == mi.c.value_hash,
                   person_identifier.c.id_type == mi.c.id_type)).scalar_one()
        if still != len(moved):
            raise Conflict(
                "an identifier moved by this merge has changed since; undo that change first",
                "លេខសម្គាល់ដែលបានផ្លាស់ទីត្រូវបានកែប្រែ សូមលុបចោលការកែប្រែនោះជាមុន")
    before = m["snapshot"]["merged"]
    now = utcnow()
    try:
        if moved:
            conn.execute(update(person_identifier)
                         .where(person_identifier.c.id.in_([r["identifier_id"] for r in moved]))
                         .values(person_id=b))
        bump_versions(conn, person, [person.c.id == b],
                      {"status": before["status"], "merged_into_id": before["merged_into_id"]},
                      actor.username, now)
        bump_versions(conn, person, [person.c.id == a], {}, actor.username, now)
        _reopen_household(conn, before["household_id"], actor, reason, merge_id, now)
    except IntegrityError as exc:
        raise Conflict("restoring the merged person conflicts with a later change (for example "
                       "a new household head); resolve that first",
                       "ការស្តារបុគ្គលប៉ះទង្គិចនឹងការកែប្រែក្រោយ") from exc
    types = [r["id_type"] for r in moved]
    versions = dict(conn.execute(select(person.c.id, person.c.version)
                                 .where(person.c.id.in_([a, b]))).all())
    log_changes(conn, [
        Change("person", b, versions[b], "unmerge", actor.username, reason, {
            "status": ["merged", before["status"]], "merged_into_id": [a, None],
            "merge_id": merge_id, "identifiers_returned": types}),
        Change("person", a, versions[a], "unmerge", actor.username, reason, {
            "released_person_id": b, "merge_id": merge_id, "identifiers_returned": types}),
    ], now)
    conn.execute(update(link_merge).where(link_merge.c.id == merge_id).values(
        status=UNDONE, undone_at=now, undone_by=actor.username, undo_reason=reason))
    return {"merge_id": merge_id, "survivor_id": a, "restored_person_id": b,
            "identifiers_returned": types}
