"""Evaluate every programme for a whole population at once.

Other capabilities call ``evaluate`` with columnar data (numpy arrays, or pandas / polars frames
through ``Population.from_frames``): one OpenFisca simulation is built over all persons and
households and each programme variable is computed once over whole arrays - no loop per person.

    pop = Population.from_frames(households_df, persons_df)
    results = evaluate(pop, "2026-11")            # {programme id: ProgrammeResult}
    results["covid19_cash_transfer"].amount      # int64 per household
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from openfisca_core.periods import Period
from openfisca_core.periods import period as make_period
from openfisca_core.simulations import Simulation, SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from spmis.errors import InvalidInput
from spmis.rules.catalogue import Programme, programmes
from spmis.rules.system import tax_benefit_system

HOUSEHOLD_ID = "id"
PERSON_ID = "id"
PERSON_HOUSEHOLD = "household_id"
PERSON_ROLE = "role"


def _column(frame: Any, name: str) -> npt.NDArray[Any]:
    col = frame[name]
    if hasattr(col, "to_numpy"):
        return np.asarray(col.to_numpy())
    return np.asarray(col)


def _columns(frame: Any) -> list[str]:
    if isinstance(frame, Mapping):
        return [str(k) for k in frame]
    return [str(c) for c in frame.columns]


@dataclass
class Population:
    """Households and persons as aligned arrays.

    ``household`` and ``person`` map OpenFisca variable names to arrays (one value per household
    / person, in the order of ``household_ids`` / ``person_ids``). ``person_household_ids`` gives
    each person's household id; ``person_roles`` is 'head' or 'member' (all members if omitted).
    """

    household_ids: npt.NDArray[Any]
    person_ids: npt.NDArray[Any]
    person_household_ids: npt.NDArray[Any]
    household: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    person: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    person_roles: npt.NDArray[Any] | None = None

    @classmethod
    def from_frames(cls, households: Any, persons: Any) -> Population:
        """From two frames (pandas, polars or dict of arrays): households with an ``id`` column,
        persons with ``id`` and ``household_id`` (and optional ``role``); every other column is
        an input variable of that entity."""
        hh_cols = _columns(households)
        p_cols = _columns(persons)
        return cls(
            household_ids=_column(households, HOUSEHOLD_ID),
            person_ids=_column(persons, PERSON_ID),
            person_household_ids=_column(persons, PERSON_HOUSEHOLD),
            household={c: _column(households, c) for c in hh_cols if c != HOUSEHOLD_ID},
            person={
                c: _column(persons, c)
                for c in p_cols
                if c not in {PERSON_ID, PERSON_HOUSEHOLD, PERSON_ROLE}
            },
            person_roles=_column(persons, PERSON_ROLE) if PERSON_ROLE in p_cols else None,
        )

    @property
    def person_household_index(self) -> npt.NDArray[np.int64]:
        """Position in ``household_ids`` of each person's household (vectorised lookup)."""
        order = np.argsort(self.household_ids, kind="stable")
        sorted_ids = self.household_ids[order]
        pos = np.searchsorted(sorted_ids, self.person_household_ids)
        pos = np.clip(pos, 0, max(len(sorted_ids) - 1, 0))
        if len(sorted_ids) == 0 or not np.all(sorted_ids[pos] == self.person_household_ids):
            raise InvalidInput.one(
                ("persons", "household_id"), "unknown_household",
                "a person belongs to a household that is not in the households",
                "មនុស្សម្នាក់ស្ថិតក្នុងគ្រួសារដែលមិនមានក្នុងបញ្ជីគ្រួសារ",
            )
        return order[pos].astype(np.int64)


@dataclass(frozen=True)
class ProgrammeResult:
    """Eligibility and amount of one programme for every entity of its kind."""

    programme: Programme
    ids: npt.NDArray[Any]
    eligible: npt.NDArray[np.bool_]
    amount: npt.NDArray[np.int64]

    @property
    def currency(self) -> str:
        return self.programme.currency

    @property
    def recorded(self) -> npt.NDArray[np.bool_]:
        """The entities worth a result row: eligible or paid (for contributions, only a non-zero
        amount: a member without a declared wage owes nothing). The batch stores these rows and
        the household page shows these answers, so both say the same."""
        if self.programme.payment == "contribution":
            return np.asarray(self.amount != 0)
        return np.asarray(self.eligible | (self.amount != 0))


def build_simulation(
    population: Population, period: str, system: TaxBenefitSystem | None = None
) -> Simulation:
    """One simulation over the whole population, inputs set for ``period`` (a 'YYYY-MM')."""
    system = system or tax_benefit_system()
    builder = SimulationBuilder()
    builder.create_entities(system)
    # what declare_person_entity / declare_entity do, without their list() copy of every id
    persons = builder.populations["person"]
    persons.ids, persons.count = np.asarray(population.person_ids), len(population.person_ids)
    builder.persons_plural = persons.entity.plural
    households = builder.populations["household"]
    households.ids = np.asarray(population.household_ids)
    households.count = len(population.household_ids)
    households.members_entity_id = population.person_household_index
    roles = households.entity.flattened_roles  # (head, member)
    if population.person_roles is None:
        role_index = np.ones(len(population.person_ids), dtype=np.int8)
    else:
        role_index = np.where(population.person_roles == "head", 0, 1).astype(np.int8)
    # the public setter copies through a Python list; this is the same array, built in numpy
    households._members_role = np.array(roles, dtype=object)[role_index]
    simulation = builder.build(system)
    month = make_period(period)  # parsed once: OpenFisca parses a period string at every call
    for name, values in population.household.items():
        _set_input(simulation, name, month, values)
    for name, values in population.person.items():
        _set_input(simulation, name, month, values)
    return simulation


ETERNITY = make_period("ETERNITY")


def _set_input(simulation: Simulation, name: str, period: Period,
               values: npt.NDArray[Any]) -> None:
    variable = simulation.tax_benefit_system.get_variable(name, check_existence=True)
    at = ETERNITY if variable.definition_period == "eternity" else period
    if values.dtype == object and variable.value_type is not date:
        values = values.astype(str)  # pandas/polars hand strings over as objects
    elif variable.value_type is date and values.dtype != "datetime64[D]":
        values = values.astype("datetime64[D]")
    simulation.set_input(name, at, values)


def evaluate(
    population: Population,
    period: str,
    programme_ids: Iterable[str] | None = None,
    system: TaxBenefitSystem | None = None,
    simulation: Simulation | None = None,
) -> dict[str, ProgrammeResult]:
    """Eligibility and amounts of the programmes (all by default) for ``period``."""
    wanted = set(programme_ids) if programme_ids is not None else None
    chosen = [p for p in programmes() if wanted is None or p.id in wanted]
    if wanted is not None and len(chosen) != len(wanted):
        unknown = sorted(wanted - {p.id for p in chosen})
        raise InvalidInput.one(
            ("programme",), "unknown_programme", f"unknown programme {', '.join(unknown)}",
            f"មិនស្គាល់កម្មវិធី {', '.join(unknown)}",
        )
    sim = simulation or build_simulation(population, period, system)
    month = make_period(period)
    out: dict[str, ProgrammeResult] = {}
    for prog in chosen:
        amount = np.asarray(sim.calculate(prog.variable, month), dtype=np.int64)
        if prog.eligible:
            eligible = np.asarray(sim.calculate(prog.eligible, month), dtype=bool) | (amount > 0)
        else:
            eligible = amount > 0
        ids = population.household_ids if prog.entity == "household" else population.person_ids
        out[prog.id] = ProgrammeResult(prog, ids, eligible, amount)
    return out
