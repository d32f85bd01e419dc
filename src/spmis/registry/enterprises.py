"""Enterprise use cases: register, read, correct and search employers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from spmis.auth.model import Actor
from spmis.db.history import audit_values, log_change, update_versioned
from spmis.errors import InvalidInput, NotFound
from spmis.registry import schemas as s
from spmis.registry.model import (
    err,
)
from spmis.registry.service_base import RegistryBase
from spmis.registry.store import (
    ENTERPRISE_FIELDS,
    enterprise,
)


class EnterpriseUseCases(RegistryBase):
    """Enterprises (employers)."""

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
                    **audit_values(actor.username),
                )
                .returning(enterprise.c.id)
            ).scalar_one()
            log_change(conn, "enterprise", eid, 1, "create", actor.username, data.reason,
                       self._created(values))
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
        missing = NotFound(f"enterprise {eid} not found", f"រកមិនឃើញសហគ្រាសលេខ {eid}")
        if row is None:
            raise missing
        self._visible(actor, row["village_code"], missing)
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
                update_versioned(conn, enterprise, "enterprise", eid, current.version, given,
                                 action="update", by=actor.username, reason=patch.reason,
                                 changes=changes)
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
        conditions += self._area_conditions(actor, area, enterprise.c.village_code)
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
