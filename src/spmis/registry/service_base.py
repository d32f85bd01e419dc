"""Shared machinery of the registry use cases: units of work, scope checks, versioned updates
with a change-log row, identifier sealing and masking, and the row-to-output mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from spmis.auth import scope
from spmis.auth.approvals import file_request
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import audit_values, log_change
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from spmis.names import person_name_keys
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
    validate_person,
)
from spmis.registry.queries import masked_identifiers
from spmis.registry.store import (
    DERIVED_AREA_CODES,
    PERSON_FIELDS,
    enterprise,
    household,
    identifier_match,
    person,
    person_identifier,
)


def area_conditions(ctx: AppContext, actor: Actor, area: str | None,
                    village_code: Any) -> list[Any]:
    """The actor's scope and an optional ``area`` (any level; 422 when not a known code) as
    conditions on a ``village_code`` column. Codes nest, so one indexed prefix test on the
    village code covers every level (see registry.store and spmis.auth.scope)."""
    conditions: list[Any] = scope.conditions(actor.scope, village_code)
    if area is not None:
        if not ctx.gazetteer.is_area(area):
            raise InvalidInput.one(
                ("area",),
                "unknown_area",
                "is not a province, district, commune or village code",
                "មិនមែនជាលេខកូដតំបន់រដ្ឋបាល",
            )
        conditions.append(scope.area_condition(village_code, area))
    return conditions


#: maker-checker kind of a person change that includes identifiers
IDENTIFIER_CHANGE = "identifier_change"


@dataclass
class Held:
    """Numbers of a person being registered that a person outside ``actor``'s area holds: not
    refused at once (that would tell the registrar the number exists elsewhere, issue 12 #9)
    but filed for an approver (``RegistryBase._file_held``)."""

    actor: Actor
    values: dict[IdentifierType, str] = field(default_factory=dict)


def _csv_list(values: Iterable[str] | None) -> str | None:
    joined = ";".join(str(v) for v in values or ())
    return joined or None


class RegistryBase:
    """Helpers every registry use case shares; the use cases live in households.py,
    people.py and enterprises.py."""

    def __init__(self, ctx: AppContext, today: Callable[[], date] | None = None) -> None:
        self.ctx = ctx
        tz = ZoneInfo(ctx.settings.timezone)
        self.today = today or (lambda: datetime.now(tz).date())

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
        """Refuse to put a record in a village outside the actor's area (village codes are
        public: saying so reveals nothing)."""
        if not scope.covers(actor.scope, village_code):
            raise Forbidden("this record is outside your area", "កំណត់ត្រានេះនៅក្រៅតំបន់របស់អ្នក")

    @staticmethod
    def _visible(actor: Actor, village_code: str, missing: NotFound) -> None:
        """An existing record outside the actor's area answers exactly as a missing one
        (``missing``), so an id is no oracle of what exists elsewhere."""
        if not scope.covers(actor.scope, village_code):
            raise missing

    @staticmethod
    def _created(values: Mapping[str, Any]) -> dict[str, Any]:
        """What a record's creation entry in ``change_log`` holds: the values it was created
        with, leaving out fields left empty and the area codes derived from the village code
        (both read back unambiguously: absent = empty; the codes are the village code's first
        2, 4 and 6 digits)."""
        return {k: v for k, v in values.items()
                if v is not None and k not in DERIVED_AREA_CODES}

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
        held: Held | None = None,
    ) -> list[FieldError]:
        """``identifier_taken`` for each number another person holds; with ``held``, a number
        held by a person outside ``held.actor``'s area goes in ``held`` instead (issue 12 #9:
        the answer must not tell a district registrar that the number exists elsewhere)."""
        errors: list[FieldError] = []
        for id_type, value in values.items():
            if value is None or id_type not in UNIQUE_IDENTIFIERS:
                continue
            digest = self.ctx.cipher.blind_index(value, id_type.value)
            owner = conn.execute(
                select(person_identifier.c.person_id).where(
                    identifier_match(id_type.value, digest))
            ).scalar()
            if owner is not None and owner != person_id:
                if held is not None and not self._owner_visible(conn, owner, held.actor):
                    held.values[id_type] = value
                    continue
                errors.append(
                    err(
                        (*loc, "identifiers", id_type.value),
                        "identifier_taken",
                        "already belongs to another person in the registry",
                        "លេខសម្គាល់នេះជារបស់បុគ្គលម្នាក់ទៀតរួចហើយ",
                    )
                )
        return errors

    @staticmethod
    def _owner_visible(conn: Connection, owner: int, actor: Actor) -> bool:
        village = conn.execute(
            select(household.c.village_code).join(person, person.c.household_id == household.c.id)
            .where(person.c.id == owner)).scalar()
        return village is not None and scope.covers(actor.scope, village)

    def _file_held(self, conn: Connection, pid: int, held: Held, reason: str) -> int:
        """The numbers ``held`` back when registering person ``pid``, as an identifier-change
        request on its first version: its approver meets the conflict, not its maker."""
        village = conn.execute(
            select(household.c.village_code).join(person, person.c.household_id == household.c.id)
            .where(person.c.id == pid)).scalar_one()
        return file_request(
            self.ctx, conn, kind=IDENTIFIER_CHANGE, maker=held.actor, reason=reason,
            payload={"person_id": pid, "patch": {"reason": reason, "expected_version": 1},
                     "identifiers": {t.value: ids.mask(v) for t, v in held.values.items()}},
            secret={"identifiers": {t.value: v for t, v in held.values.items()}},
            entity_type="person", entity_id=pid, area_code=village,
        )

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
        return masked_identifiers(conn, self.ctx.cipher, person_ids)

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
        owners: bool = True,
        held: Held | None = None,
    ) -> tuple[dict[IdentifierType, str | None], list[FieldError]]:
        """The normalised identifiers and every problem of a person. ``owners=False`` leaves
        out whether another person holds an identifier: a maker-checker request is filed without
        telling its maker (a registrar of one district) that a number exists elsewhere in the
        country; its approver meets that conflict when approving."""
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
        if owners:
            errors += self._identifier_owner_errors(conn, idents, loc, person_id, held)
            for id_type in held.values if held is not None else ():
                idents.pop(id_type, None)  # never written: a request carries it (``_file_held``)
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
                **audit_values(actor.username),
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
        log_change(conn, "person", pid, 1, "create", actor.username, reason,
                   self._created(snapshot))
        return pid

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
        missing = NotFound(f"household {hid} not found", f"រកមិនឃើញគ្រួសារលេខ {hid}")
        if row is None:
            raise missing
        self._visible(actor, row["village_code"], missing)
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

    @staticmethod
    def _expect_version(row: RowMapping, expected: int | None) -> None:
        if expected is not None and expected != row["version"]:
            raise Conflict(
                f"the record is at version {row['version']}, not {expected}; reload and try again",
                "កំណត់ត្រាត្រូវបានកែប្រែរួចហើយ សូមផ្ទុកឡើងវិញ",
            )

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
        missing = NotFound(f"person {pid} not found", f"រកមិនឃើញបុគ្គលលេខ {pid}")
        if row is None:
            raise missing
        self._visible(actor, row["village_code"], missing)
        return row

    def _page_size(self, page_size: int | None) -> int:
        return min(
            page_size or self.ctx.settings.default_page_size, self.ctx.settings.max_page_size
        )

    def _area_conditions(self, actor: Actor, area: str | None,
                         village_code: Any = household.c.village_code) -> list[Any]:
        """Scope and area filters as prefix tests on ``village_code`` (household's by default)."""
        return area_conditions(self.ctx, actor, area, village_code)
