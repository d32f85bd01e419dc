"""The programme catalogue (``data/programmes.yaml``): id, names in Khmer and English, kind, the
entity paid, the variables holding amount and eligibility, currency and payment pattern."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

CATALOGUE_PATH = Path(__file__).parent / "data" / "programmes.yaml"

Kind = Literal["social_assistance", "social_security"]
EntityKey = Literal["household", "person"]


@dataclass(frozen=True)
class Programme:
    """One programme the engine computes."""

    id: str
    name_en: str
    name_km: str
    kind: Kind
    entity: EntityKey
    variable: str
    currency: str
    payment: str
    eligible: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Plain dict for JSON answers."""
        return {
            "id": self.id,
            "name_en": self.name_en,
            "name_km": self.name_km,
            "kind": self.kind,
            "entity": self.entity,
            "currency": self.currency,
            "payment": self.payment,
        }


@lru_cache(maxsize=1)
def programmes() -> tuple[Programme, ...]:
    """Every programme, in catalogue order."""
    with CATALOGUE_PATH.open(encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)
    return tuple(Programme(**row) for row in rows)


def programme(programme_id: str) -> Programme:
    """The programme with this id; ``KeyError`` when there is none."""
    for p in programmes():
        if p.id == programme_id:
            return p
    raise KeyError(programme_id)
