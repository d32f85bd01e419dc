"""The months the rules can be evaluated for.

A period is a month, ``YYYY-MM``. The rules say nothing before the earliest date of any of their
parameters (the first is the NSSF occupational-risk scheme, November 2008), so a month before it
is refused, as is one past December 2999 (a calendar bound, not a rule). The first month is read
from the parameters, never written here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from openfisca_core.parameters import Parameter, ParameterNode

from spmis.rules.system import tax_benefit_system

__all__ = ["LAST_PERIOD", "MONTH_PATTERN", "first_period", "period_problem"]

LAST_PERIOD = "2999-12"
#: a month, YYYY-MM (the screener's schema and the CLI's --period)
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)


def _earliest(node: object) -> str | None:
    """Earliest instant (YYYY-MM-DD) of any value under a parameter node."""
    if isinstance(node, Parameter):
        return min((v.instant_str for v in node.values_list), default=None)
    children: list[object] = []
    if isinstance(node, ParameterNode):
        children = list(node.children.values())
    else:  # a scale: its brackets hold parameters
        for bracket in getattr(node, "brackets", []):
            children += list(bracket.children.values())
    found = [d for d in map(_earliest, children) if d is not None]
    return min(found, default=None)


@lru_cache(maxsize=1)
def first_period() -> str:
    """The first month any parameter of the rules has a value for."""
    earliest = _earliest(tax_benefit_system().parameters)
    if earliest is None:  # pragma: no cover - the package always ships parameters
        raise RuntimeError("the rules have no dated parameter")
    return earliest[:7]


def period_problem(period: str) -> tuple[str, str] | None:
    """Why ``period`` cannot be evaluated (English, Khmer), or None when it can."""
    if not _MONTH.fullmatch(period):
        return ("the period must be a month written YYYY-MM",
                "រយៈពេលត្រូវតែជាខែ សរសេរជា YYYY-MM")
    first = first_period()
    if not first <= period <= LAST_PERIOD:
        return (f"the rules cover the months {first} to {LAST_PERIOD}",
                f"ច្បាប់គ្របដណ្ដប់ខែ {first} ដល់ {LAST_PERIOD}")
    return None
