"""DCI search: sync (``/registry/sync/search``) and async (``/registry/search`` with the
result POSTed to the caller's ``/registry/on-search``), one set-based query per request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from spmis.auth.model import Actor
from spmis.interop import model as m
from spmis.interop import signing
from spmis.interop.envelope import (
    Delivery,
    Envelopes,
    Reply,
)
from spmis.interop.records import Disclosure, household_records, person_records
from spmis.interop.store import (
    REQUEST_CONTEXT,
    compile_expr,
    dci_transaction,
    household_size,
    identifier_values,
    person_filter,
)
from spmis.registry import queries
from spmis.registry.identifiers import normalise
from spmis.registry.model import IdentifierType

#: the registry's tables, read-only (``spmis.registry.queries``)
person, household = queries.people(), queries.households()


class Searches(Envelopes):
    """Search use cases."""

    # ------------------------------------------------------------ search
    def _blind(self, id_type: str, raw: str) -> str | None:
        value = normalise(IdentifierType(id_type), raw)
        return None if value is None else self.ctx.cipher.blind_index(value, id_type)

    def _search_one(self, conn: Connection, item: Any, index: int, seen: set[str],
                    actor: Actor, disclosure: Disclosure) -> dict[str, Any]:
        settings = self.ctx.settings
        ref = item.get("reference_id") if isinstance(item, Mapping) else None
        ref = ref if isinstance(ref, str) and ref else str(index)
        base = {"reference_id": ref, "timestamp": m.iso(self.now())}
        try:
            ref, raw = m.batch_item(item, index, "search_request", "search_criteria", seen)
            criteria = m.parse_criteria(raw, f"message.search_request[{index}].search_criteria",
                                        settings.default_page_size, settings.max_page_size)
        except m.CriteriaError as exc:
            return {**base, "status": m.Status.RJCT.value, "status_reason_code": exc.code,
                    "status_reason_message": exc.detail[:999]}
        records, total = self.run_criteria(conn, criteria, actor, disclosure)
        return {**base, "reference_id": ref, "status": m.Status.SUCC.value,
                "data": {"version": m.VERSION, "reg_records": records},
                "pagination": {"page_size": criteria.page_size,
                               "page_number": criteria.page_number, "total_count": total}}

    def run_criteria(self, conn: Connection, criteria: m.Criteria, actor: Actor,
                     disclosure: Disclosure,
                     extra: Any = None) -> tuple[list[dict[str, Any]], int]:
        """One set-based query: the page of records and the total count."""
        hashes = {pair: self._blind(*pair) for pair in identifier_values(criteria.expr)}
        size = household_size(criteria.purpose, self.now().date())
        condition = compile_expr(criteria.expr, hashes, size)
        if extra is not None:
            condition = condition & extra
        where = person_filter(condition, actor.scope, criteria.purpose, self.now().date())
        joined = person.join(household, person.c.household_id == household.c.id)
        offset = (criteria.page_number - 1) * criteria.page_size
        columns = {"birth_date": person.c.date_of_birth, "family_name": person.c.family_name_latin,
                   "given_name": person.c.given_name_latin, "id": person.c.id,
                   "idpoor_level": household.c.idpoor_level, "household_size": size}
        if criteria.entity is m.ResponseEntity.HOUSEHOLD:
            hh = select(household.c.id).where(household.c.id.in_(
                select(person.c.household_id).select_from(joined).where(where)))
            total = int(conn.scalar(select(func.count()).select_from(hh.subquery())) or 0)
            columns["id"] = household.c.id
            order = [columns[a].desc() if desc else columns[a].asc()
                     for a, desc in criteria.sort if a in m.HOUSEHOLD_SORT]
            hids = list(conn.scalars(hh.order_by(*order, household.c.id)
                                     .limit(criteria.page_size).offset(offset)).all())
            members: dict[int, list[int]] = {}
            if hids:
                consenting = person_filter(household.c.id.in_(hids), actor.scope,
                                           criteria.purpose, self.now().date())
                for pid, hid in conn.execute(select(person.c.id, person.c.household_id)
                                             .select_from(joined).where(consenting)
                                             .order_by(person.c.id)).all():
                    members.setdefault(hid, []).append(pid)
            return household_records(conn, self.ctx.cipher, hids, members, disclosure), total
        ids_query = select(person.c.id).select_from(joined).where(where)
        total = int(conn.scalar(select(func.count()).select_from(ids_query.subquery())) or 0)
        order = [columns[a].desc() if desc else columns[a].asc() for a, desc in criteria.sort]
        ids = list(conn.scalars(ids_query.order_by(*order, person.c.id)
                                .limit(criteria.page_size).offset(offset)).all())
        return person_records(conn, self.ctx.cipher, ids, disclosure), total

    def _search_all(self, message: Mapping[str, Any], items: list[Any], actor: Actor,
                    correlation_id: str, address: str | None) -> dict[str, Any]:
        disclosure = Disclosure(actor.username, f"DCI search {correlation_id} "
                                f"(transaction {message.get('transaction_id')})", address)
        seen: set[str] = set()
        with self._uow() as uow:
            responses = [self._search_one(uow.conn, item, i, seen, actor, disclosure)
                         for i, item in enumerate(items)]
            uow.commit()
        return {"transaction_id": message["transaction_id"], "correlation_id": correlation_id,
                "search_response": responses}

    @staticmethod
    def _summary(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What the transaction keeps of a result: statuses and counts, no personal data."""
        keep = ("reference_id", "timestamp", "status", "status_reason_code",
                "status_reason_message", "pagination")
        return [{k: r[k] for k in keep if k in r} for r in responses]

    def sync_search(self, envelope: Any, actor: Actor, address: str | None = None) -> Reply:
        """POST /registry/sync/search."""
        try:
            opened = self.open_request(envelope, m.Action.SEARCH, "search_request", actor)
            self._record(opened, "search", m.Status.PDNG)
        except m.EnvelopeError as exc:
            return self.sync_reject(exc, envelope, "on-search")
        except signing.SignatureError as exc:
            return self.http_error(exc.code, str(exc), 401)
        message = self._search_all(opened.message, opened.items, actor, opened.correlation_id,
                                   address)
        responses = message["search_response"]
        self._finish(opened.correlation_id, m.Status.SUCC, {"items": self._summary(responses)})
        header = self.callback_header("on-search", opened.peer, m.Status.SUCC,
                                      total_count=len(responses),
                                      completed_count=len(responses))
        return Reply(200, self.seal(header, message))

    def accept_search(self, envelope: Any, actor: Actor,
                      address: str | None = None) -> tuple[Reply, Delivery | None]:
        """POST /registry/search: acknowledge now, search and call back in the background."""
        try:
            opened = self.open_request(envelope, m.Action.SEARCH, "search_request", actor)
            url = self.callback_url(opened.peer, opened.header, m.Action.SEARCH)
            request = {"message": opened.message, "actor": actor.username,
                       "roles": sorted(actor.roles), "scope": actor.scope, "address": address}
            self._record(opened, "search", m.Status.PDNG, url, request)
        except m.EnvelopeError as exc:
            return self.ack_error(exc.code, exc.detail), None
        except signing.SignatureError as exc:
            return self.ack_error(exc.code, str(exc), 401), None
        corr = opened.correlation_id
        return self.ack(corr), Delivery(opened.peer, url, corr,
                                        build=lambda: self._async_result(corr))

    def _async_result(self, correlation_id: str) -> dict[str, Any]:
        with self._uow() as uow:
            row = uow.conn.execute(select(dci_transaction).where(
                dci_transaction.c.correlation_id == correlation_id)).one()
        request = json.loads(self.ctx.cipher.decrypt(row.request_enc, REQUEST_CONTEXT))
        actor = Actor(request["actor"], frozenset(request["roles"]), request["scope"])
        message = self._search_all(request["message"], request["message"]["search_request"],
                                   actor, correlation_id, request.get("address"))
        responses = message["search_response"]
        self._finish(correlation_id, m.Status.PDNG, {"items": self._summary(responses)},
                     reason_message="searched; delivering the result")
        header = self.callback_header("on-search", row.peer, m.Status.SUCC,
                                      total_count=len(responses),
                                      completed_count=len(responses))
        return self.seal(header, message)
