"""Person use cases: read, correct (identifier changes through maker-checker), and search by
name, identifier and area."""

from __future__ import annotations

from typing import Any, NamedTuple

from rapidfuzz import fuzz
from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.engine import RowMapping

from spmis.auth.approvals import file_request, filed_request
from spmis.auth.model import Actor
from spmis.auth.schemas import ApprovalOut
from spmis.db.history import update_versioned
from spmis.errors import Forbidden, InvalidInput
from spmis.names import (
    khmer_loose_key,
    khmer_skeleton,
    latin_key,
    latin_tokens,
    name_likeness,
    skeleton,
)
from spmis.registry import identifiers as ids
from spmis.registry import schemas as s
from spmis.registry.model import (
    IdentifierType,
    identifier_error,
)
from spmis.registry.service_base import IDENTIFIER_CHANGE, RegistryBase
from spmis.registry.store import (
    PERSON_FIELDS,
    household,
    identifier_match,
    person,
    person_identifier,
)


class PersonChange(NamedTuple):
    """What ``_apply_person_update`` wrote: the identifiers it set and the fields it changed."""

    idents: dict[IdentifierType, str | None]
    changed: tuple[str, ...]
FUZZY_CANDIDATES = 2000
FUZZY_MIN_SCORE = 75


class PersonUseCases(RegistryBase):
    """People: reading, correcting and finding them."""

    def get_person(self, pid: int, actor: Actor) -> s.PersonOut:
        with self._uow() as uow:
            row = self._person_row(uow.conn, pid, actor)
            return self._person_out(row, self._masked_identifiers(uow.conn, [pid])[pid])

    def update_person(self, pid: int, patch: s.PersonUpdate, actor: Actor) -> s.PersonOut:
        """Correct a person's record. A change of identifiers needs a second person (maker-checker):
        it is refused here and goes through ``request_person_update``."""
        if patch.identifiers:
            raise Forbidden(
                "changing an identifier needs an approver; file it as a request",
                "ការប្តូរលេខសម្គាល់ត្រូវការការអនុម័ត សូមដាក់ជាសំណើ",
            )
        with self._uow() as uow:
            conn = uow.conn
            self._apply_person_update(conn, pid, patch, actor, patch.reason)
            self._commit(uow)
            out = self._person_row(conn, pid, actor)
            return self._person_out(out, self._masked_identifiers(conn, [pid])[pid])

    def request_person_update(self, pid: int, patch: s.PersonUpdate, actor: Actor) -> ApprovalOut:
        """File a change that includes identifiers as a maker-checker request. The change is first
        applied and rolled back (a dry run), so one that could not apply is refused at once,
        except that a number another person holds is the approver's to see (it would tell the
        maker that the number exists elsewhere); the identifier values are kept only encrypted
        in the request."""
        with self._uow() as uow:
            conn = uow.conn
            row = self._person_row(conn, pid, actor)
            idents = self._apply_person_update(conn, pid, patch, actor, patch.reason,
                                               owners=False).idents
            uow.rollback()
            rid = self._file_person_request(conn, pid, patch, idents, row["version"], actor)
            self._commit(uow)
            return filed_request(conn, rid)

    def correct_person(self, pid: int, patch: s.PersonUpdate, actor: Actor) -> s.PersonCorrection:
        """A correction as a registrar makes it: the fields are saved at once and the new
        identifiers become a maker-checker request, in one transaction (when either part is
        refused, nothing is saved). The whole change is checked first (a dry run), so the request
        only holds identifiers that apply to the corrected record."""
        fields = s.PersonUpdate.model_validate(
            patch.model_dump(exclude_unset=True, exclude={"identifiers"}))
        with self._uow() as uow:
            conn = uow.conn
            idents: dict[IdentifierType, str | None] = {}
            if patch.identifiers:
                idents = self._apply_person_update(conn, pid, patch, actor, patch.reason,
                                                   owners=False).idents
                uow.rollback()
            saved = self._apply_person_update(conn, pid, fields, actor, patch.reason).changed
            row = self._person_row(conn, pid, actor)
            rid = None
            if patch.identifiers:
                only_ids = s.PersonUpdate(identifiers=patch.identifiers, reason=patch.reason)
                rid = self._file_person_request(conn, pid, only_ids, idents, row["version"], actor)
            self._commit(uow)
            return s.PersonCorrection(
                person=self._person_out(row, self._masked_identifiers(conn, [pid])[pid]),
                saved=list(saved), awaiting_approval=[t.value for t in idents],
                request_id=rid)

    def _file_person_request(
        self, conn: Connection, pid: int, patch: s.PersonUpdate,
        idents: dict[IdentifierType, str | None], version: int, actor: Actor,
    ) -> int:
        """File ``patch`` (checked already) as an identifier-change request on ``version``."""
        row = self._person_row(conn, pid, actor)
        plain = patch.model_dump(mode="json", exclude_unset=True, exclude={"identifiers"})
        plain["expected_version"] = patch.expected_version or version
        shown = {t.value: ids.mask(v) if v else None for t, v in idents.items()}
        return file_request(
            self.ctx,
            conn,
            kind=IDENTIFIER_CHANGE,
            maker=actor,
            reason=patch.reason,
            payload={"person_id": pid, "patch": plain, "identifiers": shown},
            secret={"identifiers": {t.value: v for t, v in idents.items()}},
            entity_type="person",
            entity_id=pid,
            area_code=row["village_code"],
        )

    def _apply_person_update(
        self, conn: Connection, pid: int, patch: s.PersonUpdate, actor: Actor, reason: str,
        owners: bool = True,
    ) -> PersonChange:
        """Validate and write a person change in ``conn`` (not committed); returns the
        normalised identifiers it set and the fields it changed. ``owners=False`` (the dry run of
        a request, rolled back): whether another person holds an identifier is not checked, so
        the identifiers are not written either; the request's approver meets that conflict,
        not its maker."""
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
            conn, merged, (), person_id=pid, identifiers=patch.identifiers or {}, owners=owners
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
            update_versioned(conn, person, "person", pid, row["version"], new_values,
                             action="update", by=actor.username, reason=reason, changes=changes)
            if owners:  # unchecked identifiers are never written (a dry run rolls back anyway)
                self._write_identifiers(conn, pid, idents)
        return PersonChange(idents, tuple(k for k in changes if k in PERSON_FIELDS))

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

    def likely_duplicates(self, who: s.NameAndBirth, actor: Actor, *, most: int = 10
                          ) -> list[s.LikelyDuplicate]:
        """Active people of the actor's area who may be ``who``: born the same day in the
        commune of ``who.village_code``, with the same or a close name (``names.name_likeness``),
        the same names first. Reads one commune's people born that day (an indexed prefix test
        on the village code), so it can run as a form is filled in."""
        commune = who.village_code[:6]
        if not self.ctx.gazetteer.is_area(commune):
            return []
        conditions = self._area_conditions(actor, commune)
        typed = (who.family_name_latin, who.given_name_latin, who.family_name_km,
                 who.given_name_km)
        found: list[s.LikelyDuplicate] = []
        with self._uow() as uow:
            conn = uow.conn
            rows = conn.execute(
                select(person, household.c.village_code)
                .join(household, household.c.id == person.c.household_id)
                .where(person.c.status == "active", person.c.date_of_birth == who.date_of_birth,
                       *conditions)
                .order_by(person.c.id)
            ).mappings().all()
            alike = []
            for r in rows:
                likeness = name_likeness(typed, (r["family_name_latin"], r["given_name_latin"],
                                                 r["family_name_km"], r["given_name_km"]))
                if likeness is not None:
                    alike.append((likeness, r))
            alike.sort(key=lambda x: x[0] != "same")
            alike = alike[:most]
            masked = self._masked_identifiers(conn, [r["id"] for _l, r in alike])
            for likeness, r in alike:
                found.append(s.LikelyDuplicate(person=self._person_out(r, masked[r["id"]]),
                                               village_code=r["village_code"], likeness=likeness))
        return found

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
            select(person_identifier.c.person_id).where(identifier_match(id_type.value, digest))
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
        """Exact-key matches first (spelling variants fold to the same key: Latin variants, and
        Khmer spellings that differ by a diacritic sign); when they do not fill the page,
        typo-tolerant candidates sharing the first two consonants of a word, ranked by
        similarity of the full key."""
        km = khmer_loose_key(name)
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
        if total >= page_size * page:
            return rows, total
        if km:
            qkey, column = km, "name_km_key"
            pairs = {k[:2] for k in map(khmer_skeleton, name.split()) if len(k) >= 2}
            if not pairs:
                return rows, total
            fuzzy_cond = or_(*(person.c.name_km_key.like(f"%{k[0]}%{k[1]}%") for k in pairs))
        else:
            # any token's first two consonants, ranked by similarity of the full key
            qkey, column = latin_key(name), "name_key"
            prefixes = {skeleton(t)[:2] for t in tokens if len(skeleton(t)) >= 2}
            if not prefixes:
                return rows, total
            fuzzy_cond = or_(*(person.c.name_skeleton.contains(p, autoescape=True)
                               for p in prefixes))
        candidates = (
            conn.execute(base.where(*conditions, fuzzy_cond, ~exact).limit(FUZZY_CANDIDATES))
            .mappings()
            .all()
        )
        scored = sorted(
            ((fuzz.ratio(qkey, c[column]), c) for c in candidates), key=lambda x: -x[0]
        )
        extra = [c for score, c in scored if score >= FUZZY_MIN_SCORE]
        start = max(0, (page - 1) * page_size - total)
        need = page_size - len(rows)
        return rows + extra[start : start + need], total + len(extra)
