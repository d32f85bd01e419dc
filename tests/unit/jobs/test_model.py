"""The pure rules of background jobs: percentages, leases, telling a gone worker from a live one,
and the texts people read when a worker stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spmis.jobs.model import (
    RESTART_HINT,
    WorkerName,
    holder_gone,
    lease_expired,
    percent,
    stopped_note,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_percent_is_whole_and_bounded() -> None:
    assert percent(43, 100) == 43
    assert percent(999, 1000) == 99
    assert percent(5, 4) == 100
    assert percent(3, None) is None
    assert percent(3, 0) is None


def test_lease_expires_after_the_lease_without_a_heartbeat() -> None:
    assert not lease_expired(NOW - timedelta(seconds=29), NOW, 30)
    assert lease_expired(NOW - timedelta(seconds=31), NOW, 30)
    assert lease_expired(None, NOW, 30)


def test_worker_name_round_trips_and_refuses_garbage() -> None:
    name = WorkerName("host-a", 4242, "abc123", "ff00")
    assert WorkerName.parse(str(name)) == name
    assert WorkerName.parse("host/with/slashes/77/sp/tok") == WorkerName(
        "host/with/slashes", 77, "sp", "tok")
    assert WorkerName.parse("nonsense") is None
    assert WorkerName.parse(None) is None


def test_a_holder_is_gone_only_when_its_process_is_known_missing() -> None:
    dead = str(WorkerName("h", 10, "space1", "t"))
    assert holder_gone(dead, "space1", lambda pid: False)
    assert not holder_gone(dead, "space1", lambda pid: True)
    # another machine or pid namespace: only the lease can tell
    assert not holder_gone(dead, "space2", lambda pid: False)
    # a worker that could not name its space is judged by its lease only
    assert not holder_gone(str(WorkerName("h", 10, "", "t")), "", lambda pid: False)


def test_stopped_note_says_where_it_was_and_what_happens_next() -> None:
    en, km = stopped_note(43, "430 rows read", "បានអាន 430 ជួរ", resumed=False,
                          restart_hint=RESTART_HINT)
    assert en == ("the worker stopped while the job was running (at 43%); by then: 430 rows "
                  "read; submit it again")
    assert "ត្រឹម 43%" in km and "បានអាន 430 ជួរ" in km and RESTART_HINT[1] in km
    en, _ = stopped_note(None, None, None, resumed=True, restart_hint=RESTART_HINT)
    assert en == ("the worker stopped while the job was running; the job was queued again "
                  "and resumed")
