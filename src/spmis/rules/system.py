"""The tax-benefit system: entities, parameters (YAML tree) and variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from spmis.rules.entities import entities
from spmis.rules.variables import ALL_VARIABLES

PARAMETERS_DIR = Path(__file__).parent / "parameters"


class CambodiaTaxBenefitSystem(TaxBenefitSystem):
    """Cambodia's programmes: social assistance (IDPoor-based cash) and the NSSF schemes."""

    CURRENCY = "KHR"

    def __init__(self) -> None:
        super().__init__(entities)
        self.load_parameters(str(PARAMETERS_DIR))
        self.add_variables(*ALL_VARIABLES)


@lru_cache(maxsize=1)
def tax_benefit_system() -> CambodiaTaxBenefitSystem:
    """The baseline system, built once per process (parameters are parsed from YAML once)."""
    return CambodiaTaxBenefitSystem()
