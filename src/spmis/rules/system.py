"""The tax-benefit system: entities, parameters (YAML tree) and variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from openfisca_core import periods
from openfisca_core.periods import Instant, Period
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from spmis.rules.entities import entities
from spmis.rules.variables import ALL_VARIABLES

PARAMETERS_DIR = Path(__file__).parent / "parameters"
MAX_CACHED_INSTANTS = 2000


class CambodiaTaxBenefitSystem(TaxBenefitSystem):
    """Cambodia's programmes: social assistance (IDPoor-based cash) and the NSSF schemes."""

    CURRENCY = "KHR"

    def __init__(self) -> None:
        super().__init__(entities)
        self.load_parameters(str(PARAMETERS_DIR))
        self.add_variables(*ALL_VARIABLES)
        self._at_instant: dict[Instant, Any] = {}

    def get_parameters_at_instant(self, instant: Any) -> Any:
        """The parameters in force at ``instant``, built once per instant (issue 18: OpenFisca
        rebuilt the whole tree for every formula that reads a parameter, about a third of the
        screener's time). The baseline's parameters never change once loaded; a reform is
        another system, with parameters and a cache of its own."""
        if isinstance(instant, Period):
            instant = instant.start
        elif not isinstance(instant, Instant):
            instant = periods.instant(instant)
        found = self._at_instant.get(instant)
        if found is None:
            if len(self._at_instant) > MAX_CACHED_INSTANTS:
                self._at_instant.clear()
            found = self._at_instant[instant] = super().get_parameters_at_instant(instant)
        return found


@lru_cache(maxsize=1)
def tax_benefit_system() -> CambodiaTaxBenefitSystem:
    """The baseline system, built once per process (parameters are parsed from YAML once)."""
    return CambodiaTaxBenefitSystem()
