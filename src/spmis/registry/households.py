"""Household use cases: register, read, correct, search, and membership changes (add, move,
set head, split)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, select, update
from sqlalchemy.engine import RowMapping

from spmis.auth.model import Actor
from spmis.db.history import audit_values, log_change, update_versioned
from spmis.errors import InvalidInput, NotFound
from spmis.registry import schemas as s
from spmis.registry.model import (
    UNIQUE_IDENTIFIERS,
    IdentifierType,
    Relationship,
    err,
    validate_idpoor,
    validate_members,
)
from spmis.registry.service_base import Held, RegistryBase
from spmis.registry.store import (
    HOUSEHOLD_FIELDS,
    household,
    person,
)

#: ``person`` as the members of a listed household (built once: an alias's columns cost more
#: to set up than the query they serve)
_MEMBER = person.alias("member")

#: the reason of a request for numbers held back at registration when none was given
HELD_REASON = "registered with identifiers another record may hold"


class HouseholdUseCases(RegistryBase):
    """Households and their membership."""

    def create_household(self, data: s.HouseholdCreate, actor: Actor) -> s.HouseholdOut:
        """Register a household with its members (exactly one head)."""
        area = self._area(data.village_code, ("village_code",))
        self._check_scope(actor, data.village_code)
        errors = validate_idpoor(
            data.idpoor_level, data.idpoor_card_number, data.idpoor_valid_from, data.idpoor_valid_to
        )
        errors += validate_members(m.relationship.value for m in data.members)
        with self._uow() as uow:
            conn = uow.conn
            member_idents = []
            held = [Held(actor) for _ in data.members]
            seen: dict[tuple[IdentifierType, str], int] = {}
            for i, member in enumerate(data.members):
                idents, person_errors = self._check_person(conn, member, ("members", i),
                                                           held=held[i])
                errors += person_errors
                for t, v in idents.items():
                    if v and t in UNIQUE_IDENTIFIERS:
                        if (t, v) in seen:
                            errors.append(
                                err(
                                    ("members", i, "identifiers", t.value),
                                    "identifier_repeated",
                                    f"same as member {seen[(t, v)]}",
                                    "ដូចគ្នានឹងសមាជិកម្នាក់ទៀត",
                                )
                            )
                        seen[(t, v)] = i
                member_idents.append(idents)
            if (
                data.external_key
                and conn.execute(
                    select(household.c.id).where(household.c.external_key == data.external_key)
                ).scalar()
                is not None
            ):
                errors.append(
                    err(("external_key",), "duplicate", "is already used", "លេខយោងនេះបានប្រើរួចហើយ")
                )
            if errors:
                raise InvalidInput(errors)
            hh_values = {f: getattr(data, f) for f in HOUSEHOLD_FIELDS} | area
            hid = conn.execute(
                insert(household)
                .values(
                    **hh_values,
                    external_key=data.external_key,
                    status="active",
                    **audit_values(actor.username),
                )
                .returning(household.c.id)
            ).scalar_one()
            log_change(conn, "household", hid, 1, "create", actor.username, data.reason,
                       self._created(hh_values))
            for member, idents, kept in zip(data.members, member_idents, held, strict=True):
                pid = self._insert_person(conn, member, hid, idents, actor, data.reason)
                if kept.values:
                    self._file_held(conn, pid, kept, data.reason or HELD_REASON)
            self._commit(uow)
            return self._household_out(conn, hid)

    def get_household(self, hid: int, actor: Actor) -> s.HouseholdOut:
        with self._uow() as uow:
            self._household_row(uow.conn, hid, actor)
            return self._household_out(uow.conn, hid)

    def update_household(self, hid: int, patch: s.HouseholdUpdate, actor: Actor) -> s.HouseholdOut:
        """Correct a household's address or IDPoor status."""
        with self._uow() as uow:
            conn = uow.conn
            row = self._household_row(conn, hid, actor)
            self._expect_version(row, patch.expected_version)
            given = patch.model_dump(exclude_unset=True, exclude={"reason", "expected_version"})
            merged = {f: row[f] for f in HOUSEHOLD_FIELDS} | given
            errors = validate_idpoor(
                merged["idpoor_level"],
                merged["idpoor_card_number"],
                merged["idpoor_valid_from"],
                merged["idpoor_valid_to"],
            )
            if errors:
                raise InvalidInput(errors)
            if "village_code" in given:
                given |= self._area(given["village_code"], ("village_code",))
                self._check_scope(actor, given["village_code"])
            changes = {k: [row[k], v] for k, v in given.items() if row[k] != v}
            if changes:
                update_versioned(conn, household, "household", hid, row["version"], given,
                                 action="update", by=actor.username, reason=patch.reason,
                                 changes=changes)
                self._commit(uow)
            return self._household_out(conn, hid)

    def _heads(self, conn: Connection, hid: int) -> list[int]:
        return list(
            conn.execute(
                select(person.c.id).where(
                    person.c.household_id == hid,
                    person.c.status == "active",
                    person.c.relationship == Relationship.HEAD.value,
                )
            ).scalars()
        )

    def _relocate(
        self,
        conn: Connection,
        row: RowMapping,
        to_hid: int,
        relationship: str,
        actor: Actor,
        reason: str,
        action: str,
    ) -> None:
        changes: dict[str, Any] = {}
        if row["household_id"] != to_hid:
            changes["household_id"] = [row["household_id"], to_hid]
        if row["relationship"] != relationship:
            changes["relationship"] = [row["relationship"], relationship]
        if not changes:
            return
        update_versioned(conn, person, "person", row["id"], row["version"],
                         {"household_id": to_hid, "relationship": relationship},
                         action=action, by=actor.username, reason=reason, changes=changes)

    def _log_household_event(
        self,
        conn: Connection,
        hid: int,
        action: str,
        actor: Actor,
        reason: str,
        changes: Mapping[str, Any],
    ) -> None:
        row = (
            conn.execute(select(household.c.version).where(household.c.id == hid)).mappings().one()
        )
        update_versioned(conn, household, "household", hid, row["version"], {}, action=action,
                         by=actor.username, reason=reason, changes=changes)

    def add_member(self, hid: int, cmd: s.AddMember, actor: Actor) -> s.HouseholdOut:
        """Add a new person to a household, or move an existing person into it."""
        if (cmd.person is None) == (cmd.person_id is None):
            raise InvalidInput.one(
                ("person",),
                "one_of",
                "give either person or person_id",
                "សូមផ្តល់ person ឬ person_id មួយ",
            )
        with self._uow() as uow:
            conn = uow.conn
            self._household_row(conn, hid, actor)
            relationship = cmd.person.relationship if cmd.person else cmd.relationship
            if relationship is None:
                raise InvalidInput.one(
                    ("relationship",), "missing", "is required", "តម្រូវឱ្យមានទំនាក់ទំនង"
                )
            if relationship == Relationship.HEAD and self._heads(conn, hid):
                raise InvalidInput.one(
                    ("relationship",),
                    "second_head",
                    "the household already has a head; use set-head",
                    "គ្រួសារមានមេគ្រួសាររួចហើយ",
                )
            if cmd.person is not None:
                kept = Held(actor)
                idents, errors = self._check_person(conn, cmd.person, ("person",), held=kept)
                if errors:
                    raise InvalidInput(errors)
                pid = self._insert_person(conn, cmd.person, hid, idents, actor, cmd.reason)
                if kept.values:
                    self._file_held(conn, pid, kept, cmd.reason)
            else:
                assert cmd.person_id is not None
                row = self._person_row(conn, cmd.person_id, actor)
                self._leave_guard(conn, row)
                self._relocate(conn, row, hid, relationship.value, actor, cmd.reason, "move")
                pid = cmd.person_id
            self._log_household_event(
                conn, hid, "member_added", actor, cmd.reason, {"person_id": pid}
            )
            self._commit(uow)
            return self._household_out(conn, hid)

    def _leave_guard(self, conn: Connection, row: RowMapping) -> None:
        """A head cannot leave a household that keeps other members: name a new head first."""
        if row["relationship"] != Relationship.HEAD.value:
            return
        others = conn.execute(
            select(func.count())
            .select_from(person)
            .where(
                person.c.household_id == row["household_id"],
                person.c.status == "active",
                person.c.id != row["id"],
            )
        ).scalar_one()
        if others:
            raise InvalidInput.one(
                ("person_id",),
                "head_leaving",
                "is the head of a household with other members; set a new head there first",
                "ជាមេគ្រួសារ សូមកំណត់មេគ្រួសារថ្មីជាមុន",
            )

    def move_member(self, hid: int, pid: int, cmd: s.MoveMember, actor: Actor) -> s.HouseholdOut:
        """Move a person from household ``hid`` to another household."""
        with self._uow() as uow:
            conn = uow.conn
            row = self._person_row(conn, pid, actor)
            if row["household_id"] != hid:
                raise NotFound(
                    f"person {pid} is not a member of household {hid}",
                    "បុគ្គលនេះមិនមែនជាសមាជិកគ្រួសារនេះទេ",
                )
            self._household_row(conn, cmd.to_household_id, actor)
            if cmd.to_household_id == hid:
                raise InvalidInput.one(
                    ("to_household_id",),
                    "same_household",
                    "is the household the person is already in",
                    "ជាគ្រួសារដដែល",
                )
            if cmd.relationship == Relationship.HEAD and self._heads(conn, cmd.to_household_id):
                raise InvalidInput.one(
                    ("relationship",),
                    "second_head",
                    "the destination household already has a head",
                    "គ្រួសារគោលដៅមានមេគ្រួសាររួចហើយ",
                )
            self._leave_guard(conn, row)
            self._relocate(
                conn, row, cmd.to_household_id, cmd.relationship.value, actor, cmd.reason, "move"
            )
            self._log_household_event(
                conn,
                hid,
                "member_left",
                actor,
                cmd.reason,
                {"person_id": pid, "to_household_id": cmd.to_household_id},
            )
            self._log_household_event(
                conn,
                cmd.to_household_id,
                "member_added",
                actor,
                cmd.reason,
                {"person_id": pid, "from_household_id": hid},
            )
            self._commit(uow)
            return self._household_out(conn, cmd.to_household_id)

    def set_head(self, hid: int, cmd: s.SetHead, actor: Actor) -> s.HouseholdOut:
        """Make a member the head; the former head takes ``former_head_relationship``."""
        if cmd.former_head_relationship == Relationship.HEAD:
            raise InvalidInput.one(
                ("former_head_relationship",),
                "second_head",
                "cannot be head: the household has one head",
                "គ្រួសារមានមេគ្រួសារតែម្នាក់",
            )
        with self._uow() as uow:
            conn = uow.conn
            self._household_row(conn, hid, actor)
            row = self._person_row(conn, cmd.person_id, actor)
            if row["household_id"] != hid or row["status"] != "active":
                raise InvalidInput.one(
                    ("person_id",),
                    "not_member",
                    "is not a member of this household",
                    "មិនមែនជាសមាជិកគ្រួសារនេះទេ",
                )
            for head_id in self._heads(conn, hid):
                if head_id != cmd.person_id:
                    head = self._person_row(conn, head_id, actor)
                    self._relocate(
                        conn,
                        head,
                        hid,
                        cmd.former_head_relationship.value,
                        actor,
                        cmd.reason,
                        "relationship",
                    )
            self._relocate(
                conn, row, hid, Relationship.HEAD.value, actor, cmd.reason, "relationship"
            )
            self._log_household_event(
                conn, hid, "head_changed", actor, cmd.reason, {"head_person_id": cmd.person_id}
            )
            self._commit(uow)
            return self._household_out(conn, hid)

    def split_household(self, hid: int, cmd: s.SplitHousehold, actor: Actor) -> s.HouseholdOut:
        """Move some members into a new household (same village unless another is given)."""
        if cmd.head_person_id not in cmd.person_ids:
            raise InvalidInput.one(
                ("head_person_id",),
                "not_in_split",
                "must be one of person_ids",
                "ត្រូវតែជាសមាជិកដែលបំបែក",
            )
        with self._uow() as uow:
            conn = uow.conn
            source = self._household_row(conn, hid, actor)
            village = cmd.village_code or source["village_code"]
            area = self._area(village, ("village_code",))
            self._check_scope(actor, village)
            rows = []
            for i, pid in enumerate(cmd.person_ids):
                row = self._person_row(conn, pid, actor)
                if row["household_id"] != hid or row["status"] != "active":
                    raise InvalidInput.one(
                        ("person_ids", i),
                        "not_member",
                        "is not a member of this household",
                        "មិនមែនជាសមាជិកគ្រួសារនេះទេ",
                    )
                rows.append(row)
            remaining = conn.execute(
                select(person.c.id, person.c.relationship).where(
                    person.c.household_id == hid,
                    person.c.status == "active",
                    person.c.id.not_in(cmd.person_ids),
                )
            ).all()
            if remaining and not any(r.relationship == Relationship.HEAD for r in remaining):
                raise InvalidInput.one(
                    ("person_ids",),
                    "head_leaving",
                    "would take the head away from the members who stay; set a new head first",
                    "សូមកំណត់មេគ្រួសារថ្មីជាមុន",
                )
            new_values = dict.fromkeys(HOUSEHOLD_FIELDS) | {"village_code": village} | area
            new_hid = conn.execute(
                insert(household)
                .values(**new_values, status="active", **audit_values(actor.username))
                .returning(household.c.id)
            ).scalar_one()
            log_change(conn, "household", new_hid, 1, "create", actor.username, cmd.reason,
                       self._created(new_values | {"split_from": hid}))
            for row in rows:
                rel = (
                    Relationship.HEAD
                    if row["id"] == cmd.head_person_id
                    else cmd.relationships.get(row["id"], Relationship.OTHER_RELATIVE)
                )
                self._relocate(conn, row, new_hid, rel.value, actor, cmd.reason, "split")
            self._log_household_event(
                conn,
                hid,
                "split",
                actor,
                cmd.reason,
                {"new_household_id": new_hid, "person_ids": cmd.person_ids},
            )
            if not remaining:
                conn.execute(
                    update(household).where(household.c.id == hid).values(status="dissolved")
                )
            self._commit(uow)
            return self._household_out(conn, new_hid)

    def _search_conditions(self, actor: Actor, area: str | None,
                           idpoor_level: int | None) -> list[Any]:
        """Active households in ``actor``'s scope (and ``area``), at ``idpoor_level`` if given:
        the filter of the search and of its list."""
        conditions: list[Any] = [household.c.status == "active"]
        conditions += self._area_conditions(actor, area)
        if idpoor_level is not None:
            conditions.append(household.c.idpoor_level == idpoor_level)
        return conditions

    def search_households(
        self,
        actor: Actor,
        *,
        area: str | None = None,
        idpoor_level: int | None = None,
        page: int = 1,
        page_size: int | None = None,
    ) -> s.Page[s.HouseholdOut]:
        page_size = self._page_size(page_size)
        conditions = self._search_conditions(actor, area, idpoor_level)
        with self._uow() as uow:
            conn = uow.conn
            query = select(household.c.id).where(*conditions)
            total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            hids = (
                conn.execute(
                    query.order_by(household.c.id).limit(page_size).offset((page - 1) * page_size)
                )
                .scalars()
                .all()
            )
            items = self._households_out(conn, list(hids))
        return s.Page[s.HouseholdOut](items=items, page=page, page_size=page_size, total=total)

    def household_list(
        self,
        actor: Actor,
        *,
        area: str | None = None,
        idpoor_level: int | None = None,
        page: int = 1,
        page_size: int | None = None,
    ) -> s.Page[s.HouseholdListItem]:
        """``search_households`` as lines of a list (the search page): each household's number,
        village, IDPoor level, head's names and number of members, in two queries; no member's
        other details and no identifier are read."""
        page_size = self._page_size(page_size)
        conditions = self._search_conditions(actor, area, idpoor_level)
        found = (  # the page first, so the members are looked at for its lines only
            select(household.c.id, household.c.village_code, household.c.idpoor_level,
                   func.count().over().label("total"))
            .where(*conditions).order_by(household.c.id)
            .limit(page_size).offset((page - 1) * page_size).subquery()
        )
        member = _MEMBER
        active = and_(member.c.household_id == found.c.id, member.c.status == "active")
        head_first = case((member.c.relationship == Relationship.HEAD.value, 0), else_=1)
        query = select(
            found,
            select(member.c.id).where(active).order_by(head_first, member.c.id).limit(1)
            .scalar_subquery().label("head_id"),
            select(func.count()).select_from(member).where(active).scalar_subquery()
            .label("members"),
        ).order_by(found.c.id)
        with self._uow() as uow:
            rows = uow.conn.execute(query).all()
            total = rows[0].total if rows else uow.conn.execute(
                select(func.count()).select_from(household).where(*conditions)).scalar_one()
            head_ids = [r.head_id for r in rows if r.head_id is not None]
            heads = {h.id: h for h in uow.conn.execute(
                select(person.c.id, person.c.family_name_km, person.c.given_name_km,
                       person.c.family_name_latin, person.c.given_name_latin)
                .where(person.c.id.in_(head_ids)))} if head_ids else {}
        items = []
        for r in rows:
            head = heads.get(r.head_id)
            unit = None  # the village, else the nearest place above it the gazetteer knows
            for code in self.ctx.gazetteer.ancestors(r.village_code).values():
                unit = self.ctx.gazetteer.get(code) or unit
            items.append(s.HouseholdListItem(
                id=r.id, village_code=r.village_code, idpoor_level=r.idpoor_level,
                village=s.AreaNames(code=unit.code, name_km=unit.name_km, name_en=unit.name_en)
                if unit else None,
                head_family_name_km=head.family_name_km if head else None,
                head_given_name_km=head.given_name_km if head else None,
                head_family_name_latin=head.family_name_latin if head else None,
                head_given_name_latin=head.given_name_latin if head else None,
                members=r.members,
            ))
        return s.Page[s.HouseholdListItem](items=items, page=page, page_size=page_size,
                                           total=total)
