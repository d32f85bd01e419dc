"""All variables of the Cambodian system, grouped by module."""

from __future__ import annotations

from spmis.rules.variables import assistance, demographics, nssf

ALL_VARIABLES = [*demographics.VARIABLES, *assistance.VARIABLES, *nssf.VARIABLES]

__all__ = ["ALL_VARIABLES"]
