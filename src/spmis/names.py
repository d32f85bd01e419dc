"""Names of people and places, compared across spellings and scripts: the keys the registry
searches by, place search (``spmis.reference.places``) and record linkage use. Pure: standard
library only (a foundation below every capability, checked by the models contract).

Cambodian names are written in Khmer script and in Latin transliterations that vary
(Sok / Sokh, Chan Dara / Chandara, Chea / Chia, Srey / Srei), family name first. Three keys:

- ``latin_key``: a spelling-variant-tolerant key of Latin text. Aspirate digraphs lose their h
  (kh->k, ph->p, th->t, ch->c), common vowel spellings fold (ea/ia/ie->e, ou/oo/u->o, y->i),
  a trailing h goes, doubled letters collapse, spaces are removed. "Sokh Dara" and "Sok Dara"
  both give "sokdara"; "Chan Dara" and "Chandara" both give "candara".
- ``skeleton``: ``latin_key`` without vowels, for typo-tolerant candidate search ("cndr").
- ``khmer_key``: Khmer in one normal form (``normalise_khmer``: NFC, legacy characters,
  canonical order of subscripts and vowel signs) with spaces and punctuation removed.
- ``khmer_loose_key``: ``khmer_key`` without the signs people often leave out or add
  (triisap ៊, muusikatoan ៉, bantoc ់ and the other diacritic signs) and with the two ways of
  writing the independent vowel qoo (ឲ, ឱ) made one: "ហុន" finds "ហ៊ុន". Stored with each
  person (``name_km_key``) for search, as ``latin_key`` is for Latin names.
- ``name_key``: ``khmer_key`` for Khmer text, ``latin_key`` otherwise (one key per value, used
  by record linkage).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_KHMER_RANGES = ((0x1780, 0x17FF), (0x19E0, 0x19FF))
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")

# Applied in order to lower-case a-z text of one token.
_FOLDS: tuple[tuple[str, str], ...] = (
    ("kh", "k"),
    ("ph", "p"),
    ("th", "t"),
    ("ch", "c"),
    ("sh", "s"),
    ("gh", "g"),
    ("ie", "e"),
    ("ia", "e"),
    ("ea", "e"),
    ("ey", "e"),
    ("ei", "e"),
    ("oo", "o"),
    ("ou", "o"),
    ("u", "o"),
    ("y", "i"),
    ("w", "v"),
    ("q", "k"),
)
_VOWELS = str.maketrans("", "", "aeiou")


def is_khmer_char(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _KHMER_RANGES)


def is_khmer_text(text: str) -> bool:
    """True when ``text`` has at least one Khmer letter and nothing but Khmer and spaces."""
    stripped = text.translate(_ZERO_WIDTH)
    return any(is_khmer_char(c) for c in stripped) and all(
        is_khmer_char(c) or c.isspace() for c in stripped
    )


def is_latin_name(text: str) -> bool:
    """Latin letters, spaces, dots, hyphens and apostrophes, starting with a letter."""
    return bool(_LATIN_NAME.match(strip_accents(text).strip()))


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _token_key(token: str) -> str:
    for old, new in _FOLDS:
        token = token.replace(old, new)
    if len(token) > 1 and token.endswith("h"):
        token = token[:-1]
    return re.sub(r"(.)\1+", r"\1", token)


def latin_key(text: str | None) -> str:
    """Variant-tolerant compact key of a Latin name ('' for None or no letters)."""
    if not text:
        return ""
    tokens = re.findall(r"[a-z]+", strip_accents(text).lower())
    return "".join(_token_key(t) for t in tokens)


def latin_tokens(text: str | None) -> list[str]:
    """Keys of each word of ``text`` (for matching words in any order)."""
    if not text:
        return []
    return [
        k for k in (_token_key(t) for t in re.findall(r"[a-z]+", strip_accents(text).lower())) if k
    ]


def skeleton(key: str) -> str:
    """Consonants of a ``latin_key``: tolerant to vowel typos."""
    return key.translate(_VOWELS)


# Khmer syllable: a base (consonant or independent vowel) and the marks typed after it.
_KHMER_MARK = r"\u17D2[\u1780-\u17B3]|[\u17B6-\u17D1\u17D3\u17DD]"
_KHMER_CLUSTER = re.compile(rf"([\u1780-\u17B3])((?:{_KHMER_MARK})+)")
_KHMER_MARK_RE = re.compile(_KHMER_MARK)
_COENG = "\u17d2"
_COENG_RO = "\u17d2\u179a"
# Deprecated or invisible characters and their current spelling (Unicode Khmer chapter).
_KHMER_LEGACY = (
    ("\u17b4", ""),  # inherent vowel aq: invisible, discouraged
    ("\u17b5", ""),  # inherent vowel aa: invisible, discouraged
    ("\u17a3", "\u17a2"),  # deprecated independent vowel qaq -> letter qa
    ("\u17a4", "\u17a2\u17b6"),  # deprecated independent vowel qaa -> qa + aa
    ("\u17d2\u178a", "\u17d2\u178f"),  # subscript da and subscript ta look the same: use ta
)
# Two-part vowels typed as their visible parts: e + ii -> oe, e + aa -> oo.
_KHMER_SPLIT_VOWELS = (("\u17c1\u17b8", "\u17be"), ("\u17c1\u17b6", "\u17c4"))


def _khmer_mark_rank(mark: str) -> int:
    """Canonical position of a mark after its base: robat, subscripts (ro last), register
    shifters, vowels, other signs."""
    if mark == "\u17cc":
        return 0
    if mark.startswith(_COENG):
        return 2 if mark == _COENG_RO else 1
    if mark in "\u17c9\u17ca":
        return 3
    if "\u17b6" <= mark <= "\u17c5":
        return 4
    return 5


def _reorder_khmer_cluster(match: re.Match[str]) -> str:
    marks = sorted(_KHMER_MARK_RE.findall(match.group(2)), key=_khmer_mark_rank)
    kept = [m for i, m in enumerate(marks) if i == 0 or m != marks[i - 1]]
    return match.group(1) + "".join(kept)


def normalise_khmer(text: str) -> str:
    """Khmer text in one spelling for what looks the same on screen.

    NFC; zero-width characters removed; deprecated characters replaced; subscript da written
    as subscript ta; in each syllable the marks put in canonical order (subscripts before
    vowels, subscript ro after other subscripts, register shifters before vowels) with a mark
    typed twice kept once; and split vowels (e + ii, e + aa) joined. Other text is kept.
    """
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    for old, new in _KHMER_LEGACY:
        text = text.replace(old, new)
    text = _KHMER_CLUSTER.sub(_reorder_khmer_cluster, text)
    for old, new in _KHMER_SPLIT_VOWELS:
        text = text.replace(old, new)
    return text


def khmer_key(text: str | None) -> str:
    """Compact normal form of Khmer text ('' for None): ``normalise_khmer`` without spaces,
    punctuation or non-Khmer characters."""
    if not text:
        return ""
    text = normalise_khmer(text)
    return "".join(c for c in text if is_khmer_char(c) and unicodedata.category(c)[0] != "P")


#: Khmer signs dropped by the loose key (never the coeng, which writes a subscript consonant):
#: muusikatoan, triisap, bantoc, robat, toandakhiat, kakabat, ahsda, samyok sannya, viriam,
#: bathamasat, atthacan
KHMER_LOOSE_SIGNS = "\u17c9\u17ca\u17cb\u17cc\u17cd\u17ce\u17cf\u17d0\u17d1\u17d3\u17dd"
#: letters written two ways that the loose key makes one: qoo type two -> qoo type one
KHMER_LOOSE_FOLDS = (("\u17b2", "\u17b1"),)
_LOOSE = str.maketrans({**dict.fromkeys(KHMER_LOOSE_SIGNS), **dict(KHMER_LOOSE_FOLDS)})


def khmer_loose_key(text: str | None) -> str:
    """``khmer_key`` without diacritic signs and with qoo written one way ('' for None): two
    spellings that differ only by a sign (ហ៊ុន, ហុន) share it. Dropping characters keeps the
    canonical order of the marks left, so the key of a stored ``khmer_key`` is its
    ``KHMER_LOOSE_SIGNS`` removed (what migration 0007 does in SQL)."""
    return khmer_key(text).translate(_LOOSE)


def khmer_skeleton(text: str | None) -> str:
    """The consonants of Khmer text, in order (subscripts included), for typo-tolerant
    candidate search as ``skeleton`` is for Latin: "ហ៊ុនសែន" -> "ហនសន"."""
    return "".join(c for c in khmer_loose_key(text) if "\u1780" <= c <= "\u17a2")


def name_key(text: str | None) -> str:
    """``khmer_key`` when ``text`` has Khmer letters, else ``latin_key`` ('' for None)."""
    if not text:
        return ""
    if any(is_khmer_char(c) for c in text):
        return khmer_key(text)
    return latin_key(text)


def person_name_keys(
    family_latin: str | None,
    given_latin: str | None,
    family_km: str | None,
    given_km: str | None,
) -> tuple[str, str, str]:
    """(name_key, name_skeleton, name_km_key) stored with each person for search; the Khmer
    key is the loose one (``khmer_loose_key``)."""
    key = latin_key(family_latin) + latin_key(given_latin)
    return key, skeleton(key), khmer_loose_key(family_km) + khmer_loose_key(given_km)


#: how alike two names must be (0..1, ``difflib`` ratio of their keys) to be called close
CLOSE_NAME = 0.8


def name_likeness(
    a: tuple[str | None, str | None, str | None, str | None],
    b: tuple[str | None, str | None, str | None, str | None],
) -> str | None:
    """'same', 'close' or None for two names given as (family Latin, given Latin, family Khmer,
    given Khmer): the same key in either script (Latin words in any order), else a key alike
    to ``CLOSE_NAME`` in a script both names are written in."""
    best = 0.0
    pairs = [
        (latin_key(" ".join(sorted(latin_tokens(f"{a[0] or ''} {a[1] or ''}")))),
         latin_key(" ".join(sorted(latin_tokens(f"{b[0] or ''} {b[1] or ''}"))))),
        (latin_key(a[0]) + latin_key(a[1]), latin_key(b[0]) + latin_key(b[1])),
        (khmer_loose_key(a[2]) + khmer_loose_key(a[3]),
         khmer_loose_key(b[2]) + khmer_loose_key(b[3])),
    ]
    for x, y in pairs:
        if not x or not y:
            continue
        if x == y:
            return "same"
        best = max(best, SequenceMatcher(None, x, y).ratio())
    return "close" if best >= CLOSE_NAME else None
