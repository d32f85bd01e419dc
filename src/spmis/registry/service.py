"""Registry use cases: register, correct, search and restructure households, people and
enterprises. Every entry point (API, pages, CLI) calls these; each runs in one unit of work, checks
the actor's geographic scope, validates fully before writing, and records a version in the
change log. Nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from spmis.auth.approvals import (
    ApprovalKind,
    ApprovalRecord,
    approval_out,
    file_request,
    register_kind,
)
from spmis.auth.model import Actor
from spmis.auth.schemas import ApprovalOut
from spmis.auth.store import approval_request
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from spmis.registry import identifiers as ids
from spmis.registry import schemas as s
from spmis.registry.model import (
    UNIQUE_IDENTIFIERS,
    IdentifierType,
    Loc,
    PersonFacts,
    Relationship,
    err,
    identifier_error,
    validate_idpoor,
    validate_members,
    validate_person,
)
from spmis.registry.names import khmer_key, latin_key, latin_tokens, person_name_keys, skeleton
from spmis.registry.store import (
    ENTERPRISE_FIELDS,
    HOUSEHOLD_FIELDS,
    PERSON_FIELDS,
    change_log,
    enterprise,
    household,
    person,
    person_identifier,
)

FUZZY_CANDIDATES = 2000
FUZZY_MIN_SCORE = 75


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _csv_list(values: Iterable[str] | None) -> str | None:
    joined = ";".join(str(v) for v in values or ())
    return joined or None


class RegistryService:
    """Use cases of the registry of households, people and enterprises."""

    def __init__(self, ctx: AppContext, today: Callable[[], date] | None = None) -> None:
        self.ctx = ctx
        tz = ZoneInfo(ctx.settings.timezone)
        self.today = today or (lambda: datetime.now(tz).date())

    # ------------------------------------------------------------------ helpers
    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    def _area(self, village_code: str, loc: Loc) -> dict[str, str]:
        if not self.ctx.gazetteer.is_village(village_code):
            raise InvalidInput.one(
                loc,
                "unknown_village",
                f"village code {village_code} is not in the gazetteer",
                f"រកមិនឃើញលេខកូដភូមិ {village_code} ក្នុងបញ្ជីរដ្ឋបាល",
            )
        return self.ctx.gazetteer.ancestors(village_code)

    @staticmethod
    def _check_scope(actor: Actor, village_code: str) -> None:
        if not actor.covers(village_code):
            raise Forbidden("this record is outside your area", "កំណត់ត្រានេះនៅក្រៅតំបន់របស់អ្នក")

    @staticmethod
    def _log(
        conn: Connection,
        entity_type: str,
        entity_id: int,
        version: int,
        action: str,
        actor: Actor,
        reason: str | None,
        changes: Mapping[str, Any],
    ) -> None:
        conn.execute(
            insert(change_log).values(
                entity_type=entity_type,
                entity_id=entity_id,
                version=version,
                action=action,
                changed_at=utcnow(),
                changed_by=actor.username,
                reason=reason,
                changes={
                    k: _jsonable(v) if not isinstance(v, list) else [_jsonable(x) for x in v]
                    for k, v in changes.items()
                },
            )
        )

    @staticmethod
    def _audit_new(actor: Actor) -> dict[str, Any]:
        now = utcnow()
        return {
            "version": 1,
            "created_at": now,
            "created_by": actor.username,
            "updated_at": now,
            "updated_by": actor.username,
        }

    def _bump(
        self,
        conn: Connection,
        table: Any,
        row_id: int,
        version: int,
        values: Mapping[str, Any],
        actor: Actor,
    ) -> int:
        """Optimistic update: fails with Conflict when the row changed since it was read."""
        result = conn.execute(
            update(table)
            .where(table.c.id == row_id, table.c.version == version)
            .values(**values, version=version + 1, updated_at=utcnow(), updated_by=actor.username)
        )
        if result.rowcount != 1:
            raise Conflict(
                "the record was changed by someone else; reload and try again",
                "កំណត់ត្រាត្រូវបានកែប្រែដោយអ្នកផ្សេង សូមផ្ទុកឡើងវិញ",
            )
        return version + 1

    # ------------------------------------------------------------ identifiers
    def _normalise_identifiers(
        self, given: Mapping[IdentifierType, str | None], loc: Loc
    ) -> tuple[dict[IdentifierType, str | None], list[FieldError]]:
        out: dict[IdentifierType, str | None] = {}
        errors: list[FieldError] = []
        for id_type, raw in given.items():
            if raw is None:
                out[id_type] = None
                continue
            value = ids.normalise(id_type, raw)
            if value is None:
                errors.append(identifier_error(id_type, (*loc, "identifiers", id_type.value)))
            else:
                out[id_type] = value
        return out, errors

    def _identifier_owner_errors(
        self,
        conn: Connection,
        values: Mapping[IdentifierType, str | None],
        loc: Loc,
        person_id: int | None = None,
    ) -> list[FieldError]:
        errors: list[FieldError] = []
        for id_type, value in values.items():
            if value is None or id_type not in UNIQUE_IDENTIFIERS:
                continue
            digest = self.ctx.cipher.blind_index(value, id_type.value)
            owner = conn.execute(
                select(person_identifier.c.person_id).where(
                    person_identifier.c.id_type == id_type.value,
                    person_identifier.c.value_hash == digest,
                )
            ).scalar()
            if owner is not None and owner != person_id:
                errors.append(
                    err(
                        (*loc, "identifiers", id_type.value),
                        "identifier_taken",
                        "already belongs to another person in the registry",
                        "លេខសម្គាល់នេះជារបស់បុគ្គលម្នាក់ទៀតរួចហើយ",
                    )
                )
        return errors

    def _write_identifiers(
        self, conn: Connection, person_id: int, values: Mapping[IdentifierType, str | None]
    ) -> None:
        for id_type, value in values.items():
            conn.execute(
                person_identifier.delete().where(
                    person_identifier.c.person_id == person_id,
                    person_identifier.c.id_type == id_type.value,
                )
            )
            if value is None:
                continue
            sealed = ids.seal(self.ctx.cipher, id_type, value)
            conn.execute(
                insert(person_identifier).values(
                    person_id=person_id,
                    id_type=sealed.id_type,
                    value_hash=sealed.value_hash,
                    value_enc=sealed.value_enc,
                    value_clear=sealed.value_clear,
                    created_at=utcnow(),
                )
            )

    def _masked_identifiers(
        self, conn: Connection, person_ids: list[int]
    ) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {pid: {} for pid in person_ids}
        if not person_ids:
            return out
        rows = conn.execute(
            select(person_identifier).where(person_identifier.c.person_id.in_(person_ids))
        ).mappings()
        for row in rows:
            if row["value_enc"] is not None:
                clear = self.ctx.cipher.decrypt(row["value_enc"], row["id_type"])
            else:
                clear = row["value_clear"]
            out[row["person_id"]][row["id_type"]] = ids.mask(clear)
        return out

    # ------------------------------------------------------------ person rows
    def _person_values(self, data: s.PersonFields) -> dict[str, Any]:
        values = {f: getattr(data, f) for f in PERSON_FIELDS}
        values["sex"] = data.sex.value
        values["employment_type"] = data.employment_type.value
        values["functional_difficulties"] = _csv_list(d.value for d in data.functional_difficulties)
        key, skel, km = person_name_keys(
            data.family_name_latin, data.given_name_latin, data.family_name_km, data.given_name_km
        )
        values.update(name_key=key, name_skeleton=skel, name_km_key=km)
        return values

    def _check_person(
        self,
        conn: Connection,
        data: s.PersonFields,
        loc: Loc,
        person_id: int | None = None,
        identifiers: Mapping[IdentifierType, str | None] | None = None,
    ) -> tuple[dict[IdentifierType, str | None], list[FieldError]]:
        facts = PersonFacts.from_mapping(
            {
                **data.model_dump(),
                "sex": data.sex.value,
                "employment_type": data.employment_type.value,
                "functional_difficulties": [d.value for d in data.functional_difficulties],
            }
        )
        errors = validate_person(facts, self.today(), loc)
        given = data.identifiers if identifiers is None else identifiers
        idents, id_errors = self._normalise_identifiers(dict(given), loc)
        errors += id_errors
        errors += self._identifier_owner_errors(conn, idents, loc, person_id)
        if (
            data.enterprise_id is not None
            and conn.execute(
                select(enterprise.c.id).where(enterprise.c.id == data.enterprise_id)
            ).scalar()
            is None
        ):
            errors.append(
                err(
                    (*loc, "enterprise_id"),
                    "unknown_enterprise",
                    "no enterprise with this id",
                    "រកមិនឃើញសហគ្រាស",
                )
            )
        return idents, errors

    def _insert_person(
        self,
        conn: Connection,
        data: s.MemberIn,
        household_id: int,
        idents: Mapping[IdentifierType, str | None],
        actor: Actor,
        reason: str | None,
    ) -> int:
        values = self._person_values(data)
        pid = conn.execute(
            insert(person)
            .values(
                **values,
                external_key=data.external_key,
                household_id=household_id,
                relationship=data.relationship.value,
                **self._audit_new(actor),
            )
            .returning(person.c.id)
        ).scalar_one()
        self._write_identifiers(conn, pid, idents)
        snapshot = {k: v for k, v in values.items() if not k.startswith("name_")}
        snapshot.update(
            household_id=household_id,
            relationship=data.relationship.value,
            identifiers=sorted(t.value for t, v in idents.items() if v),
        )
        self._log(conn, "person", pid, 1, "create", actor, reason, snapshot)
        return pid

    # ------------------------------------------------------------- households
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
            seen: dict[tuple[IdentifierType, str], int] = {}
            for i, member in enumerate(data.members):
                idents, person_errors = self._check_person(conn, member, ("members", i))
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
                    **self._audit_new(actor),
                )
                .returning(household.c.id)
            ).scalar_one()
            self._log(conn, "household", hid, 1, "create", actor, data.reason, hh_values)
            for member, idents in zip(data.members, member_idents, strict=True):
                self._insert_person(conn, member, hid, idents, actor, data.reason)
            self._commit(uow)
            return self._household_out(conn, hid)

    def _commit(self, uow: UnitOfWork) -> None:
        try:
            uow.commit()
        except IntegrityError as exc:  # a concurrent writer took a unique value first
            raise Conflict(
                "a concurrent change conflicts with this one; try again",
                "មានការកែប្រែក្នុងពេលតែមួយ សូមព្យាយាមម្តងទៀត",
            ) from exc

    def _household_row(self, conn: Connection, hid: int, actor: Actor) -> RowMapping:
        row = conn.execute(select(household).where(household.c.id == hid)).mappings().first()
        if row is None:
            raise NotFound(f"household {hid} not found", f"រកមិនឃើញគ្រួសារលេខ {hid}")
        self._check_scope(actor, row["village_code"])
        return row

    def _household_out(self, conn: Connection, hid: int) -> s.HouseholdOut:
        return self._households_out(conn, [hid])[0]

    def _households_out(self, conn: Connection, hids: list[int]) -> list[s.HouseholdOut]:
        """Households with their active members: three queries whatever the number of ids."""
        if not hids:
            return []
        rows = {
            r["id"]: r
            for r in conn.execute(select(household).where(household.c.id.in_(hids))).mappings()
        }
        members: dict[int, list[RowMapping]] = {h: [] for h in hids}
        for m in conn.execute(
            select(person)
            .where(person.c.household_id.in_(hids), person.c.status == "active")
            .order_by(person.c.id)
        ).mappings():
            members[m["household_id"]].append(m)
        masked = self._masked_identifiers(conn, [m["id"] for ms in members.values() for m in ms])
        return [self._assemble_household(rows[h], members[h], masked) for h in hids]

    def _assemble_household(
        self, row: RowMapping, members: list[RowMapping], masked: dict[int, dict[str, str]]
    ) -> s.HouseholdOut:
        area = []
        for code in self.ctx.gazetteer.ancestors(row["village_code"]).values():
            unit = self.ctx.gazetteer.get(code)
            if unit:
                area.append(s.AreaNames(code=code, name_km=unit.name_km, name_en=unit.name_en))
        head = next((m["id"] for m in members if m["relationship"] == Relationship.HEAD), None)
        return s.HouseholdOut(
            **{k: row[k] for k in s.HouseholdOut.model_fields if k in row},
            area=area,
            head_person_id=head,
            members=[self._person_out(m, masked[m["id"]]) for m in members],
        )

    @staticmethod
    def _person_out(row: RowMapping, masked: dict[str, str]) -> s.PersonOut:
        data = {k: row[k] for k in s.PersonOut.model_fields if k in row}
        data["functional_difficulties"] = (
            (row["functional_difficulties"] or "").split(";")
            if row["functional_difficulties"]
            else []
        )
        return s.PersonOut(**data, identifiers=masked)

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
                version = self._bump(conn, household, hid, row["version"], given, actor)
                self._log(conn, "household", hid, version, "update", actor, patch.reason, changes)
                self._commit(uow)
            return self._household_out(conn, hid)

    @staticmethod
    def _expect_version(row: RowMapping, expected: int | None) -> None:
        if expected is not None and expected != row["version"]:
            raise Conflict(
                f"the record is at version {row['version']}, not {expected}; reload and try again",
                "កំណត់ត្រាត្រូវបានកែប្រែរួចហើយ សូមផ្ទុកឡើងវិញ",
            )

    # -------------------------------------------------------------- membership
    def _person_row(self, conn: Connection, pid: int, actor: Actor) -> RowMapping:
        row = (
            conn.execute(
                select(person, household.c.village_code)
                .join(household, household.c.id == person.c.household_id)
                .where(person.c.id == pid)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"person {pid} not found", f"រកមិនឃើញបុគ្គលលេខ {pid}")
        self._check_scope(actor, row["village_code"])
        return row

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
        version = self._bump(
            conn,
            person,
            row["id"],
            row["version"],
            {"household_id": to_hid, "relationship": relationship},
            actor,
        )
        self._log(conn, "person", row["id"], version, action, actor, reason, changes)

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
        version = self._bump(conn, household, hid, row["version"], {}, actor)
        self._log(conn, "household", hid, version, action, actor, reason, changes)

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
                idents, errors = self._check_person(conn, cmd.person, ("person",))
                if errors:
                    raise InvalidInput(errors)
                pid = self._insert_person(conn, cmd.person, hid, idents, actor, cmd.reason)
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
                .values(**new_values, status="active", **self._audit_new(actor))
                .returning(household.c.id)
            ).scalar_one()
            self._log(
                conn,
                "household",
                new_hid,
                1,
                "create",
                actor,
                cmd.reason,
                new_values | {"split_from": hid},
            )
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

    # ------------------------------------------------------------------ people
    def get_person(self, pid: int, actor: Actor) -> s.PersonOut:
        with self._uow() as uow:
            row = self._person_row(uow.conn, pid, actor)
            return self._person_out(row, self._masked_identifiers(uow.conn, [pid])[pid])

    def update_person(self, pid: int, patch: s.PersonUpdate, actor: Actor) -> s.PersonOut:
        """Correct a person's record. A change of identifiers needs a second person (maker-checker):
        it is refused here and goes through ``request_person_update``."""
        if patch.identifiers:
            raise Forbidden("changing an identifier needs an approver; file it as a request",
                            "ការប្តូរលេខសម្គាល់ត្រូវការការអនុម័ត សូមដាក់ជាសំណើ")
        with self._uow() as uow:
            conn = uow.conn
            self._apply_person_update(conn, pid, patch, actor, patch.reason)
            self._commit(uow)
            out = self._person_row(conn, pid, actor)
            return self._person_out(out, self._masked_identifiers(conn, [pid])[pid])

    def request_person_update(self, pid: int, patch: s.PersonUpdate,
                              actor: Actor) -> ApprovalOut:
        """File a change that includes identifiers as a maker-checker request. The change is first
        applied and rolled back (a dry run), so one that could not apply is refused at once; the
        identifier values are kept only encrypted in the request."""
        with self._uow() as uow:
            conn = uow.conn
            row = self._person_row(conn, pid, actor)
            idents = self._apply_person_update(conn, pid, patch, actor, patch.reason)
            uow.rollback()
            plain = patch.model_dump(mode="json", exclude_unset=True, exclude={"identifiers"})
            plain["expected_version"] = patch.expected_version or row["version"]
            shown = {t.value: ids.mask(v) if v else None for t, v in idents.items()}
            rid = file_request(
                self.ctx, conn, kind=IDENTIFIER_CHANGE, maker=actor, reason=patch.reason,
                payload={"person_id": pid, "patch": plain, "identifiers": shown},
                secret={"identifiers": {t.value: v for t, v in idents.items()}},
                entity_type="person", entity_id=pid, area_code=row["village_code"],
            )
            self._commit(uow)
            return approval_out(conn.execute(
                select(approval_request).where(approval_request.c.id == rid)).mappings().one())

    def _apply_person_update(self, conn: Connection, pid: int, patch: s.PersonUpdate,
                             actor: Actor, reason: str) -> dict[IdentifierType, str | None]:
        """Validate and write a person change in ``conn`` (not committed); returns the
        normalised identifiers it set."""
        row = self._person_row(conn, pid, actor)
        self._expect_version(row, patch.expected_version)
        given = patch.model_dump(
            exclude_unset=True, exclude={"reason", "expected_version", "identifiers"}
        )
        current = {f: row[f] for f in PERSON_FIELDS}
        current["functional_difficulties"] = (
            row["functional_difficulties"].split(";") if row["functional_difficulties"] else []
        )
        merged = s.PersonFields.model_validate({**current, **given})
        idents, errors = self._check_person(
            conn, merged, (), person_id=pid, identifiers=patch.identifiers or {}
        )
        if errors:
            raise InvalidInput(errors)
        new_values = self._person_values(merged)
        changes: dict[str, Any] = {
            k: [row[k], new_values[k]] for k in PERSON_FIELDS if row[k] != new_values[k]
        }
        for id_type in idents:
            changes[f"identifiers.{id_type.value}"] = "changed"
        if changes:
            version = self._bump(conn, person, pid, row["version"], new_values, actor)
            self._write_identifiers(conn, pid, idents)
            self._log(conn, "person", pid, version, "update", actor, reason, changes)
        return idents

    def search_persons(
        self,
        actor: Actor,
        *,
        name: str | None = None,
        identifier_type: IdentifierType | None = None,
        identifier: str | None = None,
        area: str | None = None,
        page: int = 1,
        page_size: int | None = None,
    ) -> s.Page[s.PersonOut]:
        """Find people by name (Khmer or Latin, spelling variants and typos), by identifier, by
        area code (province, district, commune or village), within the actor's scope."""
        page_size = self._page_size(page_size)
        conditions: list[Any] = [person.c.status == "active"]
        conditions += self._area_conditions(actor, area)
        if identifier is not None or identifier_type is not None:
            conditions.append(self._identifier_condition(identifier_type, identifier))
        with self._uow() as uow:
            conn = uow.conn
            base = select(person).join(household, household.c.id == person.c.household_id)
            if name:
                rows, total = self._name_search(conn, base, conditions, name, page, page_size)
            else:
                query = base.where(*conditions).order_by(person.c.id)
                total = conn.execute(
                    select(func.count()).select_from(query.subquery())
                ).scalar_one()
                rows = list(
                    conn.execute(query.limit(page_size).offset((page - 1) * page_size)).mappings()
                )
            masked = self._masked_identifiers(conn, [r["id"] for r in rows])
            items = [self._person_out(r, masked[r["id"]]) for r in rows]
        return s.Page[s.PersonOut](items=items, page=page, page_size=page_size, total=total)

    def _page_size(self, page_size: int | None) -> int:
        return min(
            page_size or self.ctx.settings.default_page_size, self.ctx.settings.max_page_size
        )

    def _area_conditions(self, actor: Actor, area: str | None) -> list[Any]:
        conditions: list[Any] = []
        if actor.scope:
            conditions.append(household.c.village_code.startswith(actor.scope))
        if area is not None:
            if not self.ctx.gazetteer.is_area(area):
                raise InvalidInput.one(
                    ("area",),
                    "unknown_area",
                    "is not a province, district, commune or village code",
                    "មិនមែនជាលេខកូដតំបន់រដ្ឋបាល",
                )
            column = {
                2: household.c.province_code,
                4: household.c.district_code,
                6: household.c.commune_code,
                8: household.c.village_code,
            }[len(area)]
            conditions.append(column == area)
        return conditions

    def _identifier_condition(self, id_type: IdentifierType | None, raw: str | None) -> Any:
        if id_type is None or raw is None:
            raise InvalidInput.one(
                ("identifier_type",),
                "missing",
                "identifier and identifier_type go together",
                "identifier និង identifier_type ត្រូវតែមកជាមួយគ្នា",
            )
        value = ids.normalise(id_type, raw)
        if value is None:
            raise InvalidInput([identifier_error(id_type, ("identifier",))])
        digest = self.ctx.cipher.blind_index(value, id_type.value)
        return person.c.id.in_(
            select(person_identifier.c.person_id).where(
                person_identifier.c.id_type == id_type.value,
                person_identifier.c.value_hash == digest,
            )
        )

    def _name_search(
        self,
        conn: Connection,
        base: Any,
        conditions: list[Any],
        name: str,
        page: int,
        page_size: int,
    ) -> tuple[list[RowMapping], int | None]:
        """Exact-key matches first (spelling variants fold to the same key); when they do not
        fill the page, typo-tolerant candidates by consonant skeleton, ranked by similarity."""
        km = khmer_key(name)
        tokens = latin_tokens(name)
        if not km and not tokens:
            raise InvalidInput.one(
                ("name",), "no_letters", "has no Khmer or Latin letters", "គ្មានអក្សរខ្មែរ ឬឡាតាំង"
            )
        if km:
            exact = person.c.name_km_key.contains(km, autoescape=True)
        else:
            exact = and_(*(person.c.name_key.contains(t, autoescape=True) for t in tokens))
        query = base.where(*conditions, exact)
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = list(
            conn.execute(
                query.order_by(person.c.id).limit(page_size).offset((page - 1) * page_size)
            ).mappings()
        )
        if total >= page_size * page or km:
            return rows, total
        # typo-tolerant: any token's first two consonants, ranked by similarity of the full key
        qkey = latin_key(name)
        prefixes = {skeleton(t)[:2] for t in tokens if len(skeleton(t)) >= 2}
        if not prefixes:
            return rows, total
        fuzzy_cond = or_(*(person.c.name_skeleton.contains(p, autoescape=True) for p in prefixes))
        candidates = (
            conn.execute(base.where(*conditions, fuzzy_cond, ~exact).limit(FUZZY_CANDIDATES))
            .mappings()
            .all()
        )
        scored = sorted(
            ((fuzz.ratio(qkey, c["name_key"]), c) for c in candidates), key=lambda x: -x[0]
        )
        extra = [c for score, c in scored if score >= FUZZY_MIN_SCORE]
        start = max(0, (page - 1) * page_size - total)
        need = page_size - len(rows)
        return rows + extra[start : start + need], total + len(extra)

    # ---------------------------------------------------------------- households search
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
        conditions: list[Any] = [household.c.status == "active"]
        conditions += self._area_conditions(actor, area)
        if idpoor_level is not None:
            conditions.append(household.c.idpoor_level == idpoor_level)
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

    # ---------------------------------------------------------------- enterprises
    def create_enterprise(self, data: s.EnterpriseCreate, actor: Actor) -> s.EnterpriseOut:
        area = self._area(data.village_code, ("village_code",))
        self._check_scope(actor, data.village_code)
        values = {f: getattr(data, f) for f in ENTERPRISE_FIELDS} | area
        with self._uow() as uow:
            conn = uow.conn
            self._unique_enterprise_fields(conn, values | {"external_key": data.external_key})
            eid = conn.execute(
                insert(enterprise)
                .values(
                    **values,
                    external_key=data.external_key,
                    status="active",
                    **self._audit_new(actor),
                )
                .returning(enterprise.c.id)
            ).scalar_one()
            self._log(conn, "enterprise", eid, 1, "create", actor, data.reason, values)
            self._commit(uow)
            return self._enterprise_out(conn, eid, actor)

    def _unique_enterprise_fields(
        self, conn: Connection, values: Mapping[str, Any], own_id: int | None = None
    ) -> None:
        errors = []
        for f in ("external_key", "nssf_employer_number", "moc_registration_number", "tax_id"):
            if values.get(f) is None:
                continue
            other = conn.execute(
                select(enterprise.c.id).where(enterprise.c[f] == values[f])
            ).scalar()
            if other is not None and other != own_id:
                errors.append(
                    err(
                        (f,),
                        "duplicate",
                        "already belongs to another enterprise",
                        "ជារបស់សហគ្រាសមួយទៀតរួចហើយ",
                    )
                )
        if errors:
            raise InvalidInput(errors)

    def _enterprise_out(self, conn: Connection, eid: int, actor: Actor) -> s.EnterpriseOut:
        row = conn.execute(select(enterprise).where(enterprise.c.id == eid)).mappings().first()
        if row is None:
            raise NotFound(f"enterprise {eid} not found", f"រកមិនឃើញសហគ្រាសលេខ {eid}")
        self._check_scope(actor, row["village_code"])
        return s.EnterpriseOut(**{k: row[k] for k in s.EnterpriseOut.model_fields})

    def get_enterprise(self, eid: int, actor: Actor) -> s.EnterpriseOut:
        with self._uow() as uow:
            return self._enterprise_out(uow.conn, eid, actor)

    def update_enterprise(
        self, eid: int, patch: s.EnterpriseUpdate, actor: Actor
    ) -> s.EnterpriseOut:
        with self._uow() as uow:
            conn = uow.conn
            current = self._enterprise_out(conn, eid, actor)
            row = current.model_dump()
            self._expect_version(row, patch.expected_version)  # type: ignore[arg-type]
            given = patch.model_dump(exclude_unset=True, exclude={"reason", "expected_version"})
            if "village_code" in given:
                given |= self._area(given["village_code"], ("village_code",))
                self._check_scope(actor, given["village_code"])
            self._unique_enterprise_fields(conn, given, own_id=eid)
            changes = {k: [row.get(k), v] for k, v in given.items() if row.get(k) != v}
            if changes:
                version = self._bump(conn, enterprise, eid, current.version, given, actor)
                self._log(conn, "enterprise", eid, version, "update", actor, patch.reason, changes)
                self._commit(uow)
            return self._enterprise_out(conn, eid, actor)

    def search_enterprises(
        self,
        actor: Actor,
        *,
        name: str | None = None,
        area: str | None = None,
        page: int = 1,
        page_size: int | None = None,
    ) -> s.Page[s.EnterpriseOut]:
        page_size = self._page_size(page_size)
        conditions: list[Any] = [enterprise.c.status == "active"]
        if actor.scope:
            conditions.append(enterprise.c.village_code.startswith(actor.scope))
        if area is not None:
            if not self.ctx.gazetteer.is_area(area):
                raise InvalidInput.one(
                    ("area",),
                    "unknown_area",
                    "is not a province, district, commune or village code",
                    "មិនមែនជាលេខកូដតំបន់រដ្ឋបាល",
                )
            conditions.append(enterprise.c.village_code.startswith(area))
        if name:
            conditions.append(
                or_(
                    func.lower(enterprise.c.name_latin).contains(name.lower(), autoescape=True),
                    enterprise.c.name_km.contains(name, autoescape=True),
                )
            )
        with self._uow() as uow:
            conn = uow.conn
            query = select(enterprise).where(*conditions)
            total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = (
                conn.execute(
                    query.order_by(enterprise.c.id).limit(page_size).offset((page - 1) * page_size)
                )
                .mappings()
                .all()
            )
            items = [
                s.EnterpriseOut(**{k: r[k] for k in s.EnterpriseOut.model_fields}) for r in rows
            ]
        return s.Page[s.EnterpriseOut](items=items, page=page, page_size=page_size, total=total)

    # ------------------------------------------------------------------ history
    def history(self, entity_type: str, entity_id: int, actor: Actor) -> list[s.HistoryEntry]:
        """Every version of a record, oldest first (who, when, what changed, why)."""
        with self._uow() as uow:
            conn = uow.conn
            if entity_type == "household":
                self._household_row(conn, entity_id, actor)
            elif entity_type == "person":
                self._person_row(conn, entity_id, actor)
            else:
                self._enterprise_out(conn, entity_id, actor)
            rows = (
                conn.execute(
                    select(change_log)
                    .where(
                        change_log.c.entity_type == entity_type, change_log.c.entity_id == entity_id
                    )
                    .order_by(change_log.c.version, change_log.c.id)
                )
                .mappings()
                .all()
            )
            return [s.HistoryEntry(**{k: r[k] for k in s.HistoryEntry.model_fields}) for r in rows]


# ---------------------------------------------------------------- maker-checker kinds
IDENTIFIER_CHANGE = "identifier_change"


def _apply_identifier_change(ctx: AppContext, conn: Connection, req: ApprovalRecord,
                             secret: dict[str, Any], checker: Actor) -> dict[str, Any]:
    """Apply an approved person change that includes identifiers (see request_person_update)."""
    assert req.entity_id is not None
    patch = s.PersonUpdate.model_validate(
        {**req.payload["patch"], "identifiers": secret.get("identifiers") or {}})
    reason = f"{req.reason} [request {req.id} by {req.maker}, approved by {checker.username}]"
    RegistryService(ctx)._apply_person_update(conn, req.entity_id, patch, checker, reason)
    return {"person_id": req.entity_id}


register_kind(ApprovalKind(IDENTIFIER_CHANGE, _apply_identifier_change,
                           "change of a person's identifiers (national ID, phone, ...)"))
