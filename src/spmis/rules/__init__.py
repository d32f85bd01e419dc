"""Rules as code: Cambodia's social assistance and social security rules as an OpenFisca country
package. Every amount, rate and threshold is a dated parameter in ``parameters/`` citing its legal
source; formulas in ``variables/`` are vectorised over every person and household at once.

``tax_benefit_system()`` returns the (cached) system; ``service`` evaluates it on columnar data.

Other packages import only the names and modules in ``__all__`` (checked by
tests/unit/test_boundaries.py); the others, the tables (``store``) above all, are this package's
own.
"""

from __future__ import annotations

from spmis.rules.system import CambodiaTaxBenefitSystem, tax_benefit_system

__all__ = [
    "CambodiaTaxBenefitSystem",
    "capability",
    "catalogue",
    "claims",
    "contributions",
    "explain",
    "idpoor",
    "parameter_listing",
    "queries",
    "screener",
    "service",
    "tax_benefit_system",
]
