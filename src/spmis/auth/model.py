"""Who is acting. Pure domain: standard library only.

A scope is a prefix of NCDD codes: "" is the whole country, "12" Phnom Penh, "1201" a district,
"120101" a commune. Because codes nest, a record at village "12010101" is in scope "1201"
exactly when its code starts with "1201"; ``spmis.auth.scope`` is the one place that test is
written (for Python objects, SQL and data frames).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPE_LENGTHS = (0, 2, 4, 6)


@dataclass(frozen=True)
class Actor:
    """The user or client on whose behalf a use case runs."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scope: str = ""

    def __post_init__(self) -> None:
        if len(self.scope) not in SCOPE_LENGTHS or not (self.scope == "" or self.scope.isdigit()):
            raise ValueError(f"scope must be '' or a 2/4/6-digit area code, got {self.scope!r}")

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM = Actor("system", frozenset({"admin"}), "")
