"""All variables of the Cambodian system, grouped by module."""

from __future__ import annotations

from spmis.rules.variables import (
    contributions,
    demographics,
    family,
    nssf_benefits,
    shocks,
    targeting,
)

ALL_VARIABLES = [
    *demographics.VARIABLES, *shocks.VARIABLES, *family.VARIABLES, *contributions.VARIABLES,
    *nssf_benefits.VARIABLES, *targeting.VARIABLES,
]

__all__ = ["ALL_VARIABLES"]
