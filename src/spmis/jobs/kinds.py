"""The kinds of background job and what runs them.

A capability declares a kind with ``register(JobKind(...))`` in a module of its own; the
modules are listed in ``KIND_MODULES`` (until the capability manifest lists them) and imported
when a kind is first looked up, so ``spmis.jobs`` depends on no capability.

A kind's ``run(work)`` does the work through ``work`` (a ``JobWork``): the context, the actor who
submitted it, the parameters, the job's private folder, and ``progress(...)``, which also stops
the work (by raising) when the job is cancelled, the worker is asked to stop or it lost its
lease. ``run`` returns the result (JSON-safe), shown on the job's page.

``resumable``: the work may simply be run again after a worker stopped in the middle (it is
idempotent, like the registry import); otherwise such a job is failed with the reason and
``restart_hint`` tells people what to do.

Kinds with a ``check`` of their parameters may also be submitted through ``POST /api/v1/jobs``
(evaluation, deduplication); payment cycles and contribution runs will follow the same path."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from spmis.jobs.model import RESTART_HINT, Job

if TYPE_CHECKING:
    from spmis.auth.model import Actor
    from spmis.context import AppContext

#: modules that register job kinds (each calls ``register`` when imported)
KIND_MODULES: list[str] = [
    "spmis.indicators.refresh_job",
    "spmis.registry.import_job",
    "spmis.rules.evaluate_job",
    "spmis.rules.simulate_job",
    "spmis.linkage.dedupe_job",
    "spmis.payments.cycle_job",
    "spmis.payments.reconcile_job",
    "spmis.fund.run_job",
    "spmis.grievances.escalate_job",
    "spmis.targeting.score_job",
    "spmis.targeting.issue_job",
]


class JobWork(Protocol):
    """What a running job's code receives."""

    ctx: AppContext
    actor: Actor
    job_id: int
    parameters: dict[str, Any]
    folder: Path

    def progress(self, done: int, total: int | None, message: str = "",
                 message_km: str = "") -> None:
        """Record progress; raises to stop the work when the job must stop."""

    def input_file(self, name: str) -> Path:
        """An uploaded file the job was submitted with (``parameters``' upload name)."""


@dataclass(frozen=True)
class JobKind:
    """One kind of background job."""

    name: str
    title: str
    title_km: str
    run: Callable[[JobWork], dict[str, Any]]
    #: roles that may submit it (the API and pages check them; the CLI runs as the system)
    roles: frozenset[str] = field(default_factory=frozenset)
    resumable: bool = False
    restart_hint: tuple[str, str] = RESTART_HINT
    #: checks the parameters of a submission through the API (``POST /api/v1/jobs``) and returns
    #: them as stored, or raises ``InvalidInput``; None: started only from its own page
    check: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: run on a schedule too: the worker submits the kind (as the system, no parameters) when
    #: no job of it was submitted in the last ``every_seconds`` (None: on demand only)
    every_seconds: float | None = None
    #: called once a job of this kind whose worker is gone (killed, the machine restarted) has
    #: been failed or queued again, to release at once what the job held (a run it marked
    #: running): ``(ctx, job)``, with the job as it was when its worker went
    on_abandoned: Callable[[AppContext, Job], None] | None = None


_KINDS: dict[str, JobKind] = {}
_loaded = False


def register(kind: JobKind) -> None:
    """Declare (or replace) a kind."""
    _KINDS[kind.name] = kind


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in KIND_MODULES:
            importlib.import_module(module)
        _loaded = True


def get(name: str) -> JobKind | None:
    _load()
    return _KINDS.get(name)


def all_kinds() -> list[JobKind]:
    _load()
    return sorted(_KINDS.values(), key=lambda k: k.name)
