"""Where duplicate records that moved went, and what they kept: the data behind the moves of
``spmis synth`` (``spmis.synth.generator``), kept apart from the code so it can be replaced by
better figures without touching the generator.

``MOVE_DESTINATIONS`` is a dated table: the share of moves that end in each province (NCDD
code). No published table of destinations by province was at hand when it was written, so the
shares are **assumed**, shaped by what the 2019 census and the migration literature say in
words: internal migration goes mostly to Phnom Penh, then to the garment-industry provinces
around it (Kandal, Kampong Speu, Kampong Chhnang, Takeo) and to the north-west provinces on
the way to work in Thailand (Banteay Meanchey, Battambang, Siem Reap), and Preah Sihanouk for
construction; what is left is spread over the other provinces in proportion to their
population. Replace a share by a sourced one by adding a dated row with its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MoveTable:
    """Destination shares by province, valid from ``as_of``; ``source`` or "assumed"."""

    as_of: date
    source: str
    shares: dict[str, float]  #: NCDD province code -> share of moves (the rest: by population)


MOVE_DESTINATIONS: tuple[MoveTable, ...] = (
    MoveTable(
        as_of=date(2019, 3, 3),  # census night of the 2019 General Population Census
        source="assumed (shape from the 2019 census report's description of internal "
               "migration; no table by destination province was at hand)",
        shares={
            "12": 0.42,  # Phnom Penh
            "08": 0.08,  # Kandal (garment factories around Phnom Penh)
            "05": 0.06,  # Kampong Speu (garment, Special Economic Zones on NR4)
            "04": 0.02,  # Kampong Chhnang (garment)
            "21": 0.02,  # Takeo (garment)
            "01": 0.07,  # Banteay Meanchey (Poipet, work in Thailand)
            "02": 0.05,  # Battambang
            "17": 0.06,  # Siem Reap (tourism, work in Thailand)
            "18": 0.03,  # Preah Sihanouk (construction)
        },
    ),
)


@dataclass(frozen=True)
class MovedKeeps:
    """Shares of moved duplicate records that keep something of their old life (assumed)."""

    phone: float = 0.35  #: the same phone number (mobile numbers move with people)
    old_address: float = 0.25  #: the old house, street and village written as the address
    household_member: float = 0.2  #: moved with a member of the old household (also recorded)
    source: str = "assumed"


MOVED_KEEPS = MovedKeeps()


def destination_shares(on: date, population: dict[str, int]) -> dict[str, float]:
    """Share of moves ending in each province on date ``on``: the latest table in force, the
    remainder spread over the other provinces in proportion to ``population``."""
    tables = [t for t in MOVE_DESTINATIONS if t.as_of <= on] or [MOVE_DESTINATIONS[0]]
    table = max(tables, key=lambda t: t.as_of)
    rest = 1.0 - sum(table.shares.values())
    others = {c: p for c, p in population.items() if c not in table.shares}
    total = sum(others.values()) or 1
    out = {c: table.shares.get(c, 0.0) for c in population}
    for code, pop in others.items():
        out[code] = rest * pop / total
    return out
