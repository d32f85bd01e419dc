"""The audit chain (issue 16): every change written through the history core is chained by
SHA-256 when its transaction commits; ``spmis audit verify`` recomputes the chain and names the
first entry that does not match; PostgreSQL refuses to change or delete an entry; two writers
appending at once keep the chain whole."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from spmis.audit.model import Fault
from spmis.audit.service import AuditService
from spmis.auth.model import SYSTEM
from spmis.cli import app as cli_app
from spmis.context import AppContext
from spmis.db import chain, history
from spmis.db.chain import audit_entry
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService


def _household(ctx: AppContext, name: str = "Dara") -> int:
    return RegistryService(ctx).create_household(s.HouseholdCreate.model_validate({
        "village_code": "12010101", "reason": "field visit", "members": [{
            "relationship": "head", "family_name_latin": "Sok", "given_name_latin": name,
            "sex": "F", "date_of_birth": "1988-04-12"}]}), SYSTEM).id


def _count(ctx: AppContext, table=audit_entry) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def _verify(ctx: AppContext):  # type: ignore[no-untyped-def]
    """The check, in PostgreSQL (set-based) and here (entry after entry): both must agree, and so
    must PostgreSQL checking ranges of 1, 2 and 3 entries side by side (a break at a range's
    first entry, at its last, or a whole range deleted)."""
    service = AuditService(ctx)
    verdict, local = service.verify(), service.verify(local=True)
    assert verdict == local
    for chunk in (1, 2, 3):
        assert service.verify(chunk=chunk, workers=2) == verdict, chunk
    return verdict


def _tamper(ctx: AppContext, sql: str, **params: object) -> None:
    """Change the table behind SPMIS's back, as someone with the database's own rights would
    (on PostgreSQL that needs the triggers off: a superuser's replication role)."""
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


def test_every_history_entry_is_chained_and_verifies(ctx: AppContext) -> None:
    for name in ("Dara", "Sophea", "Vanna"):
        _household(ctx, name)
    assert _count(ctx) == _count(ctx, history.change_log) == 6  # a household and its head each
    verdict = _verify(ctx)
    assert verdict.ok and verdict.checked == 6 and verdict.head_seq == 6
    with ctx.engine.connect() as conn:
        first = conn.execute(select(audit_entry).where(audit_entry.c.seq == 1)).mappings().one()
    assert (first["entity_type"], first["version"], first["action"]) == ("household", 1, "create")
    assert '"reason":"field visit"' in first["payload"]


def test_a_rolled_back_change_leaves_no_entry(ctx: AppContext) -> None:
    _household(ctx)
    with ctx.engine.connect() as conn:
        history.log_change(conn, "household", 1, 9, "update", "clerk", None, {"x": [1, 2]})
        assert len(chain.pending(conn)) == 1
        conn.rollback()  # the use case fails after logging
        assert chain.pending(conn) == ()
    assert _count(ctx) == 2
    assert _verify(ctx).ok


def test_a_connection_lost_mid_change_rolls_back_and_leaves_no_entry(ctx: AppContext) -> None:
    """The database going away mid-transaction invalidates the connection; rolling it back must
    not raise from the chain's rollback hook (a request then answers its clear 503, not a 500),
    and the queued entry never reaches the chain (found at load: the database-restart fault test
    saw a 500 from this hook)."""
    _household(ctx)
    with ctx.engine.connect() as conn:
        history.log_change(conn, "household", 1, 9, "update", "clerk", None, {"x": [1, 2]})
        assert len(chain.pending(conn)) == 1
        conn.invalidate()  # what a lost server connection does
        conn.rollback()
    with ctx.engine.connect() as conn:
        assert chain.pending(conn) == ()
    assert _count(ctx) == 2
    assert _verify(ctx).ok


def test_verify_names_the_entry_changed_in_the_database(ctx: AppContext, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("Dara", "Sophea", "Vanna", "Kosal"):
        _household(ctx, name)
    assert _verify(ctx).ok
    _tamper(ctx, "UPDATE audit_entry SET actor = 'nobody' WHERE seq = 5")
    verdict = _verify(ctx)
    assert (verdict.ok, verdict.bad_seq, verdict.fault, verdict.checked) == (
        False, 5, Fault.ALTERED, 4)
    assert "entry 5 does not match" in verdict.message()
    monkeypatch.setattr("spmis.audit.cli._ctx", lambda: AppContext.create(ctx.settings))
    result = CliRunner().invoke(cli_app, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert "entry 5 does not match" in result.output


def test_verify_names_a_deleted_entry(ctx: AppContext) -> None:
    for name in ("Dara", "Sophea"):
        _household(ctx, name)
    _tamper(ctx, "DELETE FROM audit_entry WHERE seq = 2")
    verdict = _verify(ctx)
    assert (verdict.bad_seq, verdict.fault, verdict.found_seq) == (2, Fault.MISSING, 3)


def test_verify_names_the_first_of_several_deleted_entries(ctx: AppContext) -> None:
    """Entries 3 to 6 deleted: with ranges of two, one range is gone entirely and the next starts
    after a gap; the check still names entry 3."""
    for name in ("Dara", "Sophea", "Vanna", "Kosal"):
        _household(ctx, name)
    _tamper(ctx, "DELETE FROM audit_entry WHERE seq BETWEEN 3 AND 6")
    verdict = _verify(ctx)
    assert (verdict.bad_seq, verdict.fault, verdict.found_seq, verdict.checked) == (
        3, Fault.MISSING, 7, 2)


def test_a_payload_rewritten_with_its_own_hash_breaks_the_next_entry(ctx: AppContext) -> None:
    """Recomputing the hash of a changed entry does not help: the next one no longer chains."""
    for name in ("Dara", "Sophea"):
        _household(ctx, name)
    from spmis.db.chain import entry_hash, time_text

    with ctx.engine.connect() as conn:
        rows = conn.execute(select(audit_entry).order_by(audit_entry.c.seq)).mappings().all()
    e2 = rows[1]
    forged = e2["payload"].replace("field visit", "nothing happened")
    digest = entry_hash(rows[0]["hash"], 2, time_text(e2["at"]), e2["actor"],
                        e2["entity_type"], e2["entity_id"], e2["version"], e2["action"], forged)
    _tamper(ctx, "UPDATE audit_entry SET payload = :p, hash = :h WHERE seq = 2",
            p=forged, h=digest)
    assert _verify(ctx).bad_seq == 3


@pytest.mark.parametrize("engine_kind", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET actor = 'nobody' WHERE seq = 1",
    "DELETE FROM audit_entry WHERE seq = 1",
    "TRUNCATE audit_entry",
])
def test_postgres_refuses_to_change_or_delete_an_entry(ctx: AppContext, statement: str) -> None:
    _household(ctx)
    with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as conn:
        conn.execute(text(statement))
    assert _count(ctx) == 2 and _verify(ctx).ok


@pytest.mark.parametrize("engine_kind", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_two_connections_appending_at_once_keep_the_chain(ctx: AppContext) -> None:
    """Two real connections log changes concurrently (each transaction holds its entries until
    it commits, then appends under the chain lock): nothing is lost, nothing forks."""
    rounds, per = 40, 5
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(who: str) -> None:
        try:
            barrier.wait()
            for r in range(rounds):
                with ctx.engine.begin() as conn:
                    history.log_changes(conn, [
                        history.Change("household", r * per + i, 1, "update", who, None,
                                       {"n": [i, i + 1]}) for i in range(per)])
                    conn.execute(text("SELECT pg_sleep(0.001)"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in ("clerk-a", "clerk-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    verdict = _verify(ctx)
    assert verdict.ok and verdict.checked == 2 * rounds * per
    with ctx.engine.connect() as conn:
        by_actor = dict(conn.execute(select(audit_entry.c.actor, func.count())
                                     .group_by(audit_entry.c.actor)).all())
    assert by_actor == {"clerk-a": rounds * per, "clerk-b": rounds * per}


def test_a_bulk_import_is_chained_too(ctx: AppContext, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The importer writes ``change_log`` in bulk (COPY on PostgreSQL); its entries are chained
    like every other."""
    from spmis.registry.importer import import_enterprises, import_households
    from spmis.synth.generator import generate

    generate(households=60, seed=5, out_dir=tmp_path / "synth", duplicate_share=0.0)
    import_enterprises(ctx, tmp_path / "synth" / "enterprises.csv", SYSTEM, progress=False)
    import_households(ctx, tmp_path / "synth" / "households.csv", SYSTEM, progress=False)
    logged = _count(ctx, history.change_log)
    assert logged > 120 and _count(ctx) == logged
    verdict = _verify(ctx)
    assert verdict.ok and verdict.checked == logged


def test_a_set_based_log_is_chained_too(ctx: AppContext) -> None:
    """``history.log_select`` (one INSERT ... SELECT, as the payments cycles log their lines)
    queues what it wrote on the chain."""
    from sqlalchemy import JSON, literal

    from spmis.db.base import utcnow
    from spmis.registry import queries as registry

    for name in ("Dara", "Sophea", "Vanna"):
        _household(ctx, name)
    h = registry.households()
    with ctx.engine.begin() as conn:
        written = history.log_select(conn, select(
            literal("household"), h.c.id, h.c.version + 1, literal("suspend"),
            literal(utcnow(), history.change_log.c.changed_at.type), literal("officer"),
            literal("set-based"), literal({"status": ["active", "suspended"]}, JSON)))
    assert written == 3
    assert _count(ctx) == _count(ctx, history.change_log) == 9
    assert _verify(ctx).ok


def test_one_change_for_many_records_is_chained_as_its_entries_say(ctx: AppContext) -> None:
    """``history.log_same_change`` (the payments' bulk state changes) reads back only ids and
    versions and makes the chain's payload once: each chained entry is still exactly what its
    ``change_log`` row says (payload, version, actor), and the chain verifies."""
    from spmis.db.base import utcnow
    from spmis.db.chain import payload_text
    from spmis.registry import queries as registry

    for name in ("Dara", "Sophea", "Vanna", "Rith"):
        _household(ctx, name)
    h = registry.households()
    with ctx.engine.begin() as conn:
        written = history.log_same_change(
            conn, select(h.c.id.label("entity_id"), (h.c.version + 1).label("version"))
            .where(h.c.id > 1),
            entity_type="household", action="suspend", by="officer", reason="flood, 2026",
            changes={"status": ["active", "suspended"], "since": [None, utcnow().date()]},
            at=utcnow())
    assert written == 3
    with ctx.engine.connect() as conn:
        logged = conn.execute(select(history.change_log).where(
            history.change_log.c.action == "suspend").order_by(
            history.change_log.c.entity_id)).mappings().all()
        chained = {r.entity_id: r for r in conn.execute(select(audit_entry).where(
            audit_entry.c.action == "suspend"))}
    assert _count(ctx) == _count(ctx, history.change_log)  # every entry chained, once
    assert [r["entity_id"] for r in logged] == sorted(chained) and len(logged) == 3
    for row in logged:
        entry = chained[row["entity_id"]]
        assert entry.payload == payload_text(row["changed_at"], row["reason"], row["changes"])
        assert (entry.version, entry.actor, entry.entity_type) == (
            row["version"], "officer", "household")
    assert _verify(ctx).ok
