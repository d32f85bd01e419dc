"""Find administrative units by name, as people type them: Khmer or Latin, with or without the
word for the level ("ខេត្ត", "Srok", "Phum"...), with the spelling variants names have
(``spmis.names``: Sok/Sokh for Latin, a left-out diacritic sign for Khmer), optionally
narrowed by the names of the units above it ("Phum Muoy, Tonle Basak").

A name may fit several units (158 villages are called ថ្មី): the answer lists them all, so a page
can ask which one is meant. Nothing fits: the answer carries the closest names instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from spmis.auth.scope import overlaps
from spmis.gazetteer import LEVEL_BY_LENGTH, AdminUnit, Gazetteer
from spmis.names import is_khmer_char, khmer_loose_key, latin_key

__all__ = ["PlaceSearch", "find_places", "is_code", "place_key"]

#: words for a level written before a name, and the level they name: left out when names are
#: compared; a name typed with one is looked for at that level first
_LEVEL_WORDS_KM = {"រាជធានី": "province", "ខេត្ត": "province", "ក្រុង": "district",
                   "ស្រុក": "district", "ខណ្ឌ": "district", "ឃុំ": "commune",
                   "សង្កាត់": "commune", "ភូមិ": "village"}
_LEVEL_WORDS_LATIN = {
    **dict.fromkeys(("province", "provincial", "capital", "khett", "khet"), "province"),
    **dict.fromkeys(("city", "krong", "municipality", "district", "srok", "srak", "khan"),
                    "district"),
    **dict.fromkeys(("commune", "khum", "sangkat"), "commune"),
    **dict.fromkeys(("village", "phum", "phoum", "phumi"), "village"),
}
_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_TO_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
_SEPARATORS = re.compile(r"[,;/،]+")
SUGGESTIONS = 5
SUGGESTION_MIN_SCORE = 80


def is_code(text: str) -> bool:
    """Digits only (Arabic or Khmer), the length of a province, district, commune or village
    code."""
    digits = text.strip().translate(_KHMER_DIGITS)
    return digits.isdigit() and len(digits) in LEVEL_BY_LENGTH


def normalise_code(text: str) -> str:
    """A code typed with Khmer digits, in Arabic digits."""
    return text.strip().translate(_KHMER_DIGITS)


def place_key(name: str) -> str:
    """The key two spellings of the same place name share: Khmer by the loose Khmer key, Latin
    by the Latin key, without a leading word for the level; digits are compared as digits
    ("ភូមិ ១" and "ភូមិ 1")."""
    return _split_level(name)[1]


def _split_level(name: str) -> tuple[str | None, str]:
    """(the level a leading word names, or None; the key of the rest)."""
    text = name.strip()
    level = None
    if any(is_khmer_char(c) for c in text):
        text = text.translate(_TO_KHMER_DIGITS)
        for word, word_level in _LEVEL_WORDS_KM.items():
            if text.startswith(word) and len(text.replace(" ", "")) > len(word):
                text, level = text[len(word):], word_level
                break
        return level, "km:" + khmer_loose_key(text)
    words = re.findall(r"[A-Za-z0-9]+", text)
    if len(words) > 1 and words[0].lower() in _LEVEL_WORDS_LATIN:
        level, words = _LEVEL_WORDS_LATIN[words[0].lower()], words[1:]
    digits = "".join(w for w in words if w.isdigit())
    return level, "en:" + latin_key(" ".join(words)) + digits


@dataclass(frozen=True)
class _Index:
    by_key: dict[str, tuple[str, ...]]
    keys: tuple[str, ...]


#: the index of each gazetteer (one per process), built on first use; building it twice at once
#: is harmless
_INDEXES: dict[int, tuple[Gazetteer, _Index]] = {}


def _index_of(gaz: Gazetteer) -> _Index:
    cached = _INDEXES.get(id(gaz))
    if cached is not None and cached[0] is gaz:
        return cached[1]
    by_key: dict[str, list[str]] = defaultdict(list)
    for unit in gaz.units.values():
        for name in {unit.name_km, unit.name_en}:
            key = place_key(name)
            if key not in ("km:", "en:") and unit.code not in by_key[key]:
                by_key[key].append(unit.code)
    index = _Index({k: tuple(sorted(v, key=lambda c: (len(c), c))) for k, v in by_key.items()},
                   tuple(by_key))
    _INDEXES[id(gaz)] = (gaz, index)
    return index


@dataclass(frozen=True)
class PlaceSearch:
    """Units whose name fits the text: ``matches`` (in the reader's scope), ``outside`` (fit but
    outside it), and when nothing fits, ``suggestions`` (close names in scope)."""

    text: str
    matches: list[AdminUnit] = field(default_factory=list)
    outside: list[AdminUnit] = field(default_factory=list)
    suggestions: list[AdminUnit] = field(default_factory=list)

    @property
    def unit(self) -> AdminUnit | None:
        """The one unit meant, when exactly one fits."""
        return self.matches[0] if len(self.matches) == 1 else None


def find_places(gaz: Gazetteer, text: str, scope: str = "") -> PlaceSearch:
    """Units named ``text`` ("Tonle Basak", "ទន្លេបាសាក់", "Phum Muoy, Tonle Basak"), or the
    unit of a code; see the module docstring."""
    text = text.strip()
    if is_code(text):
        unit = gaz.get(normalise_code(text))
        if unit is None:
            return PlaceSearch(text)
        if overlaps(unit.code, scope):
            return PlaceSearch(text, matches=[unit])
        return PlaceSearch(text, outside=[unit])
    index = _index_of(gaz)
    name, *above = [p for p in _SEPARATORS.split(text) if p.strip()] or [""]
    level, key = _split_level(name)
    codes = list(index.by_key.get(key, ()))
    if level is not None and any(gaz.units[c].level == level for c in codes):
        codes = [c for c in codes if gaz.units[c].level == level]
    for part in above:  # each further name must be one of the units above
        wanted = set(index.by_key.get(place_key(part), ()))
        codes = [c for c in codes if any(c[:n] in wanted for n in (2, 4, 6) if n < len(c))]
    units = [gaz.units[c] for c in codes]
    matches = [u for u in units if overlaps(u.code, scope)]
    outside = [u for u in units if not overlaps(u.code, scope)]
    suggestions: list[AdminUnit] = []
    if not units:
        script = key[:3]
        close = process.extract(key, [k for k in index.keys if k.startswith(script)],
                                scorer=fuzz.ratio, limit=SUGGESTIONS * 4,
                                score_cutoff=SUGGESTION_MIN_SCORE)
        seen: list[str] = []
        for found, _score, _i in close:
            seen += [c for c in index.by_key[found] if overlaps(c, scope) and c not in seen]
        suggestions = [gaz.units[c] for c in seen[:SUGGESTIONS]]
    return PlaceSearch(text, matches, outside, suggestions)
