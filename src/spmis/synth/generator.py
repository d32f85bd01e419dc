"""A synthetic Cambodian population for demos, tests, benchmarks and record-linkage work.

``generate(households=N, seed=S, out_dir=DIR)`` writes, deterministically for a seed and an
``as_of`` date:

- ``households.csv``: one row per person in the import format (docs/import-format.md); the
  rows of a household are contiguous.
- ``enterprises.csv``: the employers of the formal workers (``enterprise_key`` links them).
- ``people.csv``: a flat person list for ``spmis link dedupe`` (person_key, names, sex, date of
  birth, village, phone, national ID).
- ``truth.csv``: ``person_key, entity_id``; a person and their duplicate records share an
  ``entity_id``.

Everything is drawn with numpy in whole arrays (240,000 households / 1,000,000 people take a
few seconds); only the typos of duplicate records are made one string at a time.

Shape (approximate, for realism rather than statistics):
- provinces in proportion to the 2019 census population; villages uniformly from the real
  gazetteer within each province;
- household sizes 1-10 averaging about 4.2; members built around a head (spouse, children,
  parents, grandchildren, other relatives) with ages that give a young, Cambodian-like age
  pyramid (about 30% under 15) and about 95 males per 100 females;
- about 15% of households IDPoor (level 1 about 40% of them, level 2 60%), fewer in Phnom Penh;
- pregnancies among women 15-45 (about 3%), disabilities (about 5%, rising with age);
- working-age people formal (linked to an enterprise, most with an NSSF member number),
  informal, self-employed or without work;
- national IDs (unique, 9 digits) for most adults, Cambodian mobile numbers for many, birth
  certificates for many children.

Duplicates: ``duplicate_share`` (default 0.15) is the number of duplicate records as a share of
the original people. A duplicate is a second record of an original person, added as a relative
to another household (usually in the same commune, sometimes anywhere in the country), with
typos: another romanisation of the family or given name, a dropped or doubled letter, no Khmer
name, day and month of birth swapped, or only the year known (January 1st, estimated). It never
copies a unique identifier (that would be rejected on import as owned by another person): most
duplicates have no national ID and some get a different, new one; about 40% keep the original's
phone number (phones may be shared).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from spmis.formula_guard import write_csv
from spmis.gazetteer import Gazetteer, gazetteer
from spmis.registry.fileformat import ENTERPRISE_COLUMNS, HOUSEHOLD_COLUMNS
from spmis.synth.moves_data import MOVED_KEEPS, destination_shares
from spmis.synth.names_data import FAMILY_NAMES, GIVEN_NAMES

# Population by province, General Population Census of Cambodia 2019, final results
# (National Institute of Statistics, Ministry of Planning, 2020), rounded to thousands.
# Keys are NCDD province codes.
PROVINCE_POPULATION_2019: dict[str, int] = {
    "01": 862, "02": 987, "03": 900, "04": 527, "05": 878, "06": 677, "07": 593, "08": 1196,
    "09": 124, "10": 373, "11": 89, "12": 2282, "13": 255, "14": 1057, "15": 412, "16": 204,
    "17": 1007, "18": 310, "19": 160, "20": 525, "21": 900, "22": 276, "23": 42, "24": 72,
    "25": 777,
}

#: household size 1..10 -> probability (mean about 4.2)
HOUSEHOLD_SIZE_P = np.array([0.06, 0.13, 0.19, 0.22, 0.17, 0.11, 0.06, 0.03, 0.02, 0.01])

RELATIONSHIPS = (
    "head", "spouse", "child", "child_in_law", "grandchild", "parent", "parent_in_law",
    "sibling", "other_relative", "non_relative",
)
(HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT, PARENT_IN_LAW, SIBLING, OTHER,
 NON_RELATIVE) = range(len(RELATIONSHIPS))

#: Cambodian mobile prefixes (with the trunk 0) and the digits that follow them
PHONE_PREFIXES: dict[str, int] = {
    "012": 6, "017": 6, "077": 6, "092": 6, "010": 6, "015": 6, "016": 6, "069": 6, "070": 6,
    "081": 6, "086": 6, "087": 6, "093": 6, "098": 6, "096": 7, "097": 7, "088": 7, "071": 7,
    "031": 7, "060": 6, "066": 6, "067": 6, "068": 6, "090": 6, "011": 6, "061": 6, "076": 7,
    "078": 6, "085": 6, "089": 6, "095": 6, "099": 6, "038": 7, "013": 6, "018": 7,
}

DOMAINS = ("seeing", "hearing", "walking", "remembering", "self_care", "communicating")
DOMAIN_P = np.array([0.25, 0.15, 0.3, 0.12, 0.1, 0.08])

OCCUPATIONS = {
    "formal": ("garment worker", "factory worker", "construction worker", "teacher",
               "bank clerk", "hotel staff", "security guard", "office worker"),
    "informal": ("tuk-tuk driver", "motor-taxi driver", "street vendor", "mechanic",
                 "domestic worker", "construction labourer", "farm labourer", "porter"),
    "self_employed": ("rice farmer", "market vendor", "fisher", "shop owner", "tailor",
                      "hairdresser", "vegetable grower", "food seller"),
}

#: (English trade, Khmer trade, ISIC Rev.4 section)
ENTERPRISE_TRADES = (
    ("Garment", "កាត់ដេរ", "C"), ("Trading", "ពាណិជ្ជកម្ម", "G"), ("Construction", "សំណង់", "F"),
    ("Rice Mill", "រោងម៉ាស៊ីនកិនស្រូវ", "C"), ("Hotel", "សណ្ឋាគារ", "I"),
    ("Printing", "បោះពុម្ព", "C"), ("Logistics", "ដឹកជញ្ជូន", "H"), ("Brick", "ឥដ្ឋ", "C"),
    ("Microfinance", "មីក្រូហិរញ្ញវត្ថុ", "K"), ("School", "សាលារៀន", "P"),
)

HOUSEHOLD_FILE = "households.csv"
ENTERPRISE_FILE = "enterprises.csv"
PEOPLE_FILE = "people.csv"
TRUTH_FILE = "truth.csv"
PEOPLE_COLUMNS = (
    "person_key", "family_name_latin", "given_name_latin", "family_name_km", "given_name_km",
    "sex", "date_of_birth", "village_code", "address", "phone", "national_id",
)


@dataclass(frozen=True)
class SynthSummary:
    households: int
    people: int
    duplicates: int
    enterprises: int
    out_dir: Path
    as_of: date
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.households:,} households, {self.people:,} person rows "
            f"({self.duplicates:,} duplicate records), {self.enterprises:,} enterprises "
            f"as of {self.as_of} written to {self.out_dir} in {self.seconds:.1f}s"
        )


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Phnom_Penh")).date()


def _pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """n draws of indices 0..len(p)-1 with probabilities p."""
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def _unique_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random integers in [low, high), in random order."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        more = rng.integers(low, high, size=int((n - len(out)) * 1.1) + 16)
        both = np.concatenate([out, more])
        _, first = np.unique(both, return_index=True)
        out = both[np.sort(first)]
    return out[:n]


def _popularity(n: int) -> np.ndarray:
    """Zipf-like weights: a few names are very common."""
    w = 1.0 / (np.arange(n) + 4.0)
    return w / w.sum()


class _Names:
    def __init__(self) -> None:
        self.fam_km = pl.Series([km for km, _ in FAMILY_NAMES])
        self.fam_latin = [lat for _, lat in FAMILY_NAMES]
        self.fam_latin_flat = pl.Series([v for lat in self.fam_latin for v in lat[:3]])
        self.fam_p = _popularity(len(FAMILY_NAMES))
        self.giv_km = pl.Series([km for km, _, _ in GIVEN_NAMES])
        self.giv_latin = [lat for _, lat, _ in GIVEN_NAMES]
        self.giv_latin_flat = pl.Series([v for lat in self.giv_latin for v in lat[:3]])
        sexes = np.array([s for _, _, s in GIVEN_NAMES])
        self.giv_idx = {
            sex: np.flatnonzero((sexes == sex) | (sexes == "U")) for sex in ("M", "F")
        }
        # ranked within each sex: one curve over the whole list put every woman's name (listed
        # first) at its head, and about one woman in ten was Sophea
        self.giv_p = {sex: _popularity(len(idx)) for sex, idx in self.giv_idx.items()}


def generate(
    households: int,
    seed: int,
    out_dir: Path,
    duplicate_share: float = 0.15,
    as_of: date | None = None,
) -> SynthSummary:
    """Write a synthetic population of ``households`` households to ``out_dir`` (see module
    docstring). The same seed and ``as_of`` give byte-identical files."""
    if households < 1:
        raise ValueError("households must be at least 1")
    if not 0.0 <= duplicate_share <= 1.0:
        raise ValueError("duplicate_share must be between 0 and 1")
    started = time.perf_counter()
    as_of = as_of or _today()
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = _Names()
    gaz = gazetteer()
    today = np.datetime64(as_of, "D")

    # ---------------------------------------------------------------- households
    prov_codes = sorted(PROVINCE_POPULATION_2019)
    prov_p = np.array([PROVINCE_POPULATION_2019[c] for c in prov_codes], dtype=float)
    villages = sorted(c for c, u in gaz.units.items() if u.level == "village")
    village_arr = np.array(villages)
    v_prov = np.array([v[:2] for v in villages])
    v_start = np.searchsorted(v_prov, prov_codes, side="left")
    v_end = np.searchsorted(v_prov, prov_codes, side="right")
    H = households
    hh_prov = _pick(rng, H, prov_p)
    hh_village_idx = v_start[hh_prov] + (
        rng.random(H) * (v_end[hh_prov] - v_start[hh_prov])).astype(np.int64)
    hh_village = village_arr[hh_village_idx]
    # households sorted by village so that keys follow geography
    order = np.argsort(hh_village, kind="stable")
    hh_village, hh_prov = hh_village[order], hh_prov[order]
    sizes = _pick(rng, H, HOUSEHOLD_SIZE_P) + 1
    is_pp = np.array(prov_codes)[hh_prov] == "12"
    idpoor = rng.random(H) < np.where(is_pp, 0.05, 0.165)
    idpoor_level = np.where(idpoor, np.where(rng.random(H) < 0.4, 1, 2), 0)
    idpoor_from = today - rng.integers(0, 3 * 365, size=H).astype("timedelta64[D]")
    idpoor_to = idpoor_from + np.timedelta64(3 * 365, "D")
    has_address = rng.random(H) < 0.7

    # ---------------------------------------------------------------- people
    N = int(sizes.sum())
    hh = np.repeat(np.arange(H), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    slot = np.arange(N) - np.repeat(starts, sizes)
    u = rng.random(N)
    rel = np.full(N, CHILD)
    rel[slot == 0] = HEAD
    s1 = slot == 1
    rel[s1 & (u < 0.82)] = SPOUSE
    rel[s1 & (u >= 0.82) & (u < 0.93)] = PARENT
    rel[s1 & (u >= 0.93)] = SIBLING
    s2 = slot >= 2
    cuts = ((0.78, CHILD), (0.86, GRANDCHILD), (0.90, PARENT), (0.92, PARENT_IN_LAW),
            (0.95, CHILD_IN_LAW), (0.97, SIBLING), (0.99, OTHER), (1.01, NON_RELATIVE))
    lo = 0.0
    for hi, code in cuts:
        rel[s2 & (u >= lo) & (u < hi)] = code
        lo = hi
    # a single-member household is one adult; bigger ones with a young head have no grandchild
    head_age_h = np.clip(19 + rng.gamma(4.0, 6.0, size=H), 19, 95).astype(np.int64)
    head_age_h[sizes == 1] = np.clip(head_age_h[sizes == 1] + 5, 19, 95)
    head_male_h = rng.random(H) < 0.72
    ha = head_age_h[hh]
    rel[(rel == GRANDCHILD) & (ha < 40)] = CHILD
    n = rng.normal(0, 1, N)
    r = rng.random(N)
    age = np.zeros(N, dtype=np.int64)
    age[rel == HEAD] = head_age_h
    sp = rel == SPOUSE
    age[sp] = ha[sp] + np.where(head_male_h[hh[sp]], -3, 3) + (n[sp] * 4).astype(np.int64)
    ch = rel == CHILD
    age[ch] = (r[ch] * np.clip(ha[ch] - 17, 1, 30)).astype(np.int64)
    gc = rel == GRANDCHILD
    age[gc] = (r[gc] * np.clip(ha[gc] - 38, 1, 18)).astype(np.int64)
    par = (rel == PARENT) | (rel == PARENT_IN_LAW)
    age[par] = ha[par] + 20 + (r[par] * 15).astype(np.int64)
    cil = rel == CHILD_IN_LAW
    age[cil] = ha[cil] - 25 + (n[cil] * 4).astype(np.int64)
    sib = rel == SIBLING
    age[sib] = ha[sib] + (n[sib] * 7).astype(np.int64)
    oth = (rel == OTHER) | (rel == NON_RELATIVE)
    age[oth] = 5 + (r[oth] * 60).astype(np.int64)
    age = np.clip(age, 0, 100)
    age[sp | cil] = np.maximum(age[sp | cil], 16)
    age[rel == HEAD] = head_age_h

    male = np.empty(N, dtype=bool)
    male[rel == HEAD] = head_male_h
    male[sp] = ~head_male_h[hh[sp]]
    p_male = np.select(
        [par, cil, ch | gc], [0.3, 0.35, 0.48], default=0.42)
    others = ~((rel == HEAD) | sp)
    male[others] = rng.random(N)[others] < p_male[others]

    dob = today - (age * 365.25 + rng.random(N) * 364).astype("timedelta64[D]")
    dob = np.minimum(dob, today)
    dob_estimated = (age >= 40) & (rng.random(N) < 0.12)
    dob_years = dob.astype("datetime64[Y]")
    dob = np.where(dob_estimated, dob_years.astype("datetime64[D]"), dob)

    female = ~male
    fertile = female & (age >= 15) & (age <= 45)
    pregnant = fertile & (rng.random(N) < np.where((age >= 20) & (age <= 35), 0.04, 0.015))
    edd = today + rng.integers(7, 280, size=N).astype("timedelta64[D]")
    p_dis = 0.025 + 0.3 * np.clip((age - 30) / 60, 0, 1) ** 1.5
    disabled = rng.random(N) < p_dis
    d1 = _pick(rng, N, DOMAIN_P)
    two = rng.random(N) < 0.3
    d2 = (d1 + rng.integers(1, 6, size=N)) % 6

    # employment
    working = (age >= 18) & (age <= 60)
    e = rng.random(N)
    emp = np.full(N, "none", dtype=object)
    emp[working & (e < 0.17)] = "formal"
    emp[working & (e >= 0.17) & (e < 0.52)] = "informal"
    emp[working & (e >= 0.52) & (e < 0.78)] = "self_employed"
    teen = (age >= 15) & (age < 18)
    emp[teen & (e < 0.15)] = "informal"
    old = (age > 60) & (age <= 75)
    emp[old & (e < 0.35)] = "self_employed"
    occ_idx = rng.integers(0, 8, size=N)

    # identifiers
    adult = age >= 18
    has_nid = (adult & (rng.random(N) < 0.88)) | (teen & (rng.random(N) < 0.3))
    has_phone = (adult & (rng.random(N) < 0.7)) | (teen & (rng.random(N) < 0.2))
    has_bc = (age < 18) & (rng.random(N) < 0.6)
    is_formal = emp == "formal"
    has_nssf = is_formal & (rng.random(N) < 0.9)

    # names: a child of a male head takes the head's family name
    fam = _pick(rng, N, names.fam_p)
    fam_head = fam[starts][hh]
    inherit = (ch | gc) & head_male_h[hh]
    fam = np.where(inherit, fam_head, fam)
    giv = np.empty(N, dtype=np.int64)
    for sex, mask in (("M", male), ("F", female)):
        k = int(mask.sum())
        giv[mask] = names.giv_idx[sex][_pick(rng, k, names.giv_p[sex])]
    fam_var = np.where(rng.random(N) < 0.12, rng.integers(1, 3, size=N), 0)
    giv_var = np.where(rng.random(N) < 0.12, rng.integers(1, 3, size=N), 0)
    has_km = rng.random(N) < 0.9

    # ---------------------------------------------------------------- enterprises
    formal_idx = np.flatnonzero(is_formal)
    worker_prov = hh_prov[hh[formal_idx]]
    ent_prov_list: list[np.ndarray] = []
    worker_ent = np.empty(len(formal_idx), dtype=np.int64)
    n_ent = 0
    for p in range(len(prov_codes)):
        wmask = worker_prov == p
        k = int(wmask.sum())
        if k == 0:
            continue
        m = max(1, k // 40)
        worker_ent[wmask] = n_ent + _pick(rng, k, _popularity(m))
        ent_prov_list.append(np.full(m, p))
        n_ent += m
    ent_prov = np.concatenate(ent_prov_list) if ent_prov_list else np.empty(0, dtype=np.int64)
    ent_village = village_arr[
        v_start[ent_prov] + (rng.random(n_ent) * (v_end[ent_prov] - v_start[ent_prov]))
        .astype(np.int64)]
    ent_size = np.bincount(worker_ent, minlength=n_ent)
    ent_trade = rng.integers(0, len(ENTERPRISE_TRADES), size=n_ent)
    ent_fam = _pick(rng, n_ent, names.fam_p)
    ent_enterprise = np.full(N, -1, dtype=np.int64)
    ent_enterprise[formal_idx] = worker_ent

    people = pl.DataFrame({
        "hh": hh, "slot": slot, "rel": rel, "male": male, "dob": dob,
        "dob_estimated": dob_estimated, "disabled": disabled, "d1": d1, "d2": d2, "two": two,
        "pregnant": pregnant, "edd": edd, "emp": emp.astype(str), "occ": occ_idx,
        "has_nid": has_nid, "has_phone": has_phone, "has_bc": has_bc, "has_nssf": has_nssf,
        "fam": fam, "giv": giv, "fam_var": fam_var, "giv_var": giv_var, "has_km": has_km,
        "ent": ent_enterprise,
    }).with_row_index("pid")
    n_nid = int(has_nid.sum())
    nid_values = _unique_ints(rng, n_nid + N, 100_000_000, 1_000_000_000)
    nid = np.zeros(N, dtype=np.int64)
    nid[has_nid] = nid_values[:n_nid]
    spare_nids = nid_values[n_nid:]
    pref_keys = list(PHONE_PREFIXES)
    phone_pref = rng.integers(0, len(pref_keys), size=N)
    phone_digits = np.array([PHONE_PREFIXES[k] for k in pref_keys])[phone_pref]
    phone_num = rng.integers(0, 10**7, size=N) % (10 ** phone_digits)
    phone_style = _pick(rng, N, np.array([0.6, 0.25, 0.15]))
    people = people.with_columns(
        nid=pl.Series(nid), phone_pref=pl.Series(phone_pref), phone_num=pl.Series(phone_num),
        phone_digits=pl.Series(phone_digits), phone_style=pl.Series(phone_style),
    )

    # ---------------------------------------------------------------- duplicates
    D = round(duplicate_share * N)
    dup_src = np.sort(rng.choice(N, size=D, replace=False)) if D else np.empty(0, np.int64)
    dest_p = destination_shares(as_of, PROVINCE_POPULATION_2019)
    dup_src, host, moved = _dup_hosts(rng, dup_src, hh, hh_village, starts, sizes,
                                      np.array([dest_p[c] for c in prov_codes]), prov_codes)
    D = len(dup_src)
    dups = _make_duplicates(rng, people, dup_src, host, moved, spare_nids, names, today)
    people = people.with_columns(entity=pl.col("pid"), dup=pl.lit(False), addr_hh=pl.col("hh"))
    people = pl.concat([people, dups], how="diagonal_relaxed")
    people = people.sort(["hh", "slot", "pid"])

    hh_frame = pl.DataFrame({
        "hh": np.arange(H), "village_code": hh_village, "idpoor_level": idpoor_level,
        "idpoor_from": idpoor_from, "idpoor_to": idpoor_to, "has_address": has_address,
        "house_no": rng.integers(1, 400, size=H), "street_no": rng.integers(1, 60, size=H),
    })
    rows = people.join(hh_frame, on="hh", how="left", maintain_order="left")
    rows = rows.join(_addresses(hh_frame, gaz), on="addr_hh", how="left", maintain_order="left")
    out = _household_rows(rows, names, pref_keys)
    write_csv(out.select(HOUSEHOLD_COLUMNS), out_dir / HOUSEHOLD_FILE)
    write_csv(out.select(
        pl.col("person_key"), pl.col("family_name_latin"), pl.col("given_name_latin"),
        pl.col("family_name_km"), pl.col("given_name_km"), pl.col("sex"),
        pl.col("date_of_birth"), pl.col("village_code"), pl.col("address"),
        pl.col("phone_e164").alias("phone"), pl.col("national_id"),
    ).sort("person_key"), out_dir / PEOPLE_FILE)
    write_csv(out.select(
        pl.col("person_key"), (pl.col("entity") + 1).alias("entity_id")
    ).sort("person_key"), out_dir / TRUTH_FILE)

    ent = pl.DataFrame({
        "i": np.arange(n_ent), "village_code": ent_village, "size_workers": ent_size,
        "trade": ent_trade, "fam": ent_fam,
        "has_moc": rng.random(n_ent) < 0.9, "has_tax": rng.random(n_ent) < 0.8,
    })
    write_csv(_enterprise_rows(ent, names).select(ENTERPRISE_COLUMNS), out_dir / ENTERPRISE_FILE)
    return SynthSummary(H, people.height, D, n_ent, out_dir, as_of,
                        time.perf_counter() - started)


def _dup_hosts(rng: np.random.Generator, src: np.ndarray, hh: np.ndarray,
               hh_village: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
               dest_p: np.ndarray, prov_codes: list[str]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A household for each duplicate record: 75% in the same commune; the rest moved, to a
    province drawn from the destination table (``moves_data``) and a household in it. A share
    of the moved take a member of their old household along (a duplicate record of that member
    is added, in the same new household). Returns (sources, hosts, moved) with those added."""
    if len(src) == 0:
        return src, np.empty(0, dtype=np.int64), np.empty(0, dtype=bool)
    commune = np.array([v[:6] for v in hh_village])  # households are sorted by village
    own = hh[src]
    lo = np.searchsorted(commune, commune[own], side="left")
    hi = np.searchsorted(commune, commune[own], side="right")
    near = lo + (rng.random(len(src)) * (hi - lo)).astype(np.int64)
    prov = np.array([v[:2] for v in hh_village])
    codes = np.array(prov_codes)
    p_lo = np.searchsorted(prov, codes, side="left")
    p_hi = np.searchsorted(prov, codes, side="right")
    dest_p = np.where(p_hi > p_lo, dest_p, 0.0)
    to = _pick(rng, len(src), dest_p)
    far = p_lo[to] + (rng.random(len(src)) * (p_hi[to] - p_lo[to])).astype(np.int64)
    moved = rng.random(len(src)) >= 0.75
    host = np.where(moved, far, near)
    # moved with a member of the old household: another member, when there is one
    along = moved & (rng.random(len(src)) < MOVED_KEEPS.household_member) & (sizes[own] > 1)
    first, size = starts[own[along]], sizes[own[along]]
    offset = (src[along] - first + 1 + (rng.random(len(first)) * (size - 1)).astype(np.int64)
              ) % size
    member = first + offset
    return (np.concatenate([src, member]), np.concatenate([host, host[along]]),
            np.concatenate([moved, np.ones(len(member), dtype=bool)]))


def _addresses(hh_frame: pl.DataFrame, gaz: Gazetteer) -> pl.DataFrame:
    """The address written on a person's record, by the household it names (``addr_hh``):
    house, street and village name, or the village name alone."""
    units = gaz.units
    codes = hh_frame["village_code"].unique().to_list()
    vnames = pl.DataFrame({"village_code": codes,
                           "_vname": [units[c].name_en for c in codes]})
    return hh_frame.join(vnames, on="village_code", how="left").select(
        pl.col("hh").alias("addr_hh"),
        pl.when(pl.col("has_address")).then(pl.format(
            "House {}, Street {}, {} village", pl.col("house_no"), pl.col("street_no"),
            pl.col("_vname"))).otherwise(pl.format("{} village", pl.col("_vname")))
        .alias("address"),
    )


def _make_duplicates(
    rng: np.random.Generator, people: pl.DataFrame, src: np.ndarray, host: np.ndarray,
    moved: np.ndarray, spare_nids: np.ndarray, names: _Names, today: np.datetime64,
) -> pl.DataFrame:
    D = len(src)
    base = people[src]
    if D == 0:
        return base.with_columns(entity=pl.col("pid"), dup=pl.lit(True))
    N = people.height
    r = rng.random((D, 8))
    dob = base["dob"].to_numpy().astype("datetime64[D]")
    # day/month swap where it makes another valid date; "only the year" as January 1st
    years = dob.astype("datetime64[Y]")
    months = (dob.astype("datetime64[M]") - years.astype("datetime64[M]")).astype(int) + 1
    days = (dob - dob.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    swap = (r[:, 0] < 0.15) & (days <= 12) & (days != months)
    swapped = (years.astype("datetime64[M]") + (days - 1).astype("timedelta64[M]")).astype(
        "datetime64[D]") + (months - 1).astype("timedelta64[D]")
    dob = np.where(swap, swapped, dob)
    year_only = (~swap) & (r[:, 1] < 0.15)
    shift = np.where(r[:, 2] < 0.3, rng.integers(-1, 2, size=D), 0)
    dob = np.where(year_only, (years + shift.astype("timedelta64[Y]")).astype("datetime64[D]"),
                   dob)
    dob = np.minimum(dob, today)
    estimated = base["dob_estimated"].to_numpy() | year_only
    # name typos are made on the Latin spelling, one string at a time (few records)
    fam_var = np.where(r[:, 3] < 0.35, rng.integers(0, 3, size=D), base["fam_var"].to_numpy())
    giv_var = np.where(r[:, 4] < 0.35, rng.integers(0, 3, size=D), base["giv_var"].to_numpy())
    fam_latin = names.fam_latin_flat.gather(base["fam"].to_numpy() * 3 + fam_var).to_list()
    giv_latin = names.giv_latin_flat.gather(base["giv"].to_numpy() * 3 + giv_var).to_list()
    typo_where = rng.integers(0, 1000, size=D)
    typo_kind = r[:, 5]
    for i in np.flatnonzero(typo_kind < 0.35):
        target = fam_latin if typo_where[i] % 2 else giv_latin
        target[i] = _typo(target[i], int(typo_where[i]), bool(typo_kind[i] < 0.18))
    nid_new = r[:, 6] < 0.15
    nid = np.where(nid_new, spare_nids[:D], 0)
    keep_phone = base["has_phone"].to_numpy() & (
        r[:, 7] < np.where(moved, MOVED_KEEPS.phone, 0.4))
    # a moved record may give the old house, street and village as its address
    old_address = moved & (rng.random(D) < MOVED_KEEPS.old_address)
    addr_hh = np.where(old_address, base["hh"].to_numpy(), host)
    return base.with_columns(
        entity=pl.col("pid"),
        pid=pl.Series(np.arange(N, N + D, dtype=np.uint32)),
        hh=pl.Series(host),
        addr_hh=pl.Series(addr_hh),
        slot=pl.lit(99),
        rel=pl.Series(np.where(rng.random(D) < 0.7, OTHER, NON_RELATIVE)),
        dob=pl.Series(dob),
        dob_estimated=pl.Series(estimated),
        pregnant=pl.lit(False),
        emp=pl.lit("none"),
        has_nid=pl.Series(nid_new),
        nid=pl.Series(nid),
        has_phone=pl.Series(keep_phone),
        has_bc=pl.lit(False),
        has_nssf=pl.lit(False),
        ent=pl.lit(-1),
        has_km=pl.Series(base["has_km"].to_numpy() & (rng.random(D) < 0.75)),
        fam_latin_override=pl.Series(fam_latin),
        giv_latin_override=pl.Series(giv_latin),
        dup=pl.lit(True),
    )


def _typo(text: str, where: int, drop: bool) -> str:
    """Drop or double one letter (never the first, never leaving fewer than 2 letters)."""
    letters = [i for i, c in enumerate(text) if c.isalpha() and i > 0]
    if not letters or (drop and len(text) <= 3):
        return text + text[-1] if text[-1].isalpha() else text
    i = letters[where % len(letters)]
    return text[:i] + text[i + 1:] if drop else text[:i] + text[i] + text[i:]


def _household_rows(rows: pl.DataFrame, names: _Names, pref_keys: list[str]) -> pl.DataFrame:
    fam_latin = names.fam_latin_flat.gather(rows["fam"] * 3 + rows["fam_var"])
    giv_latin = names.giv_latin_flat.gather(rows["giv"] * 3 + rows["giv_var"])
    if "fam_latin_override" in rows.columns:
        fam_latin = rows["fam_latin_override"].fill_null(fam_latin)
        giv_latin = rows["giv_latin_override"].fill_null(giv_latin)
    pref = pl.Series(pref_keys).gather(rows["phone_pref"])
    rel_names = pl.Series(RELATIONSHIPS)
    num = pl.col("phone_num").cast(pl.String).str.zfill(pl.col("phone_digits"))
    local = pl.col("_pref") + num
    intl = pl.col("_pref").str.slice(1)
    domains = pl.Series(DOMAINS)
    rows = rows.with_columns(
        _fam_latin=fam_latin, _giv_latin=giv_latin, _pref=pref,
        _rel=rel_names.gather(rows["rel"]),
        _d1=domains.gather(rows["d1"]), _d2=domains.gather(rows["d2"]),
        _fam_km=names.fam_km.gather(rows["fam"]), _giv_km=names.giv_km.gather(rows["giv"]),
    )
    occ = {k: pl.Series(v) for k, v in OCCUPATIONS.items()}
    yes_no = {True: "true", False: "false"}
    out = rows.with_columns(
        household_key=pl.format("H{}", pl.col("hh").add(1).cast(pl.String).str.zfill(7)),
        village_code=pl.col("village_code"),
        address_detail=pl.when(pl.col("has_address")).then(
            pl.format("House {}, Street {}", pl.col("house_no"), pl.col("street_no"))),
        idpoor_level=pl.when(pl.col("idpoor_level") > 0).then(
            pl.col("idpoor_level").cast(pl.String)),
        idpoor_card_number=pl.when(pl.col("idpoor_level") > 0).then(
            pl.format("{}-{}", pl.col("village_code"),
                      pl.col("hh").add(1).cast(pl.String).str.zfill(7))),
        idpoor_valid_from=pl.when(pl.col("idpoor_level") > 0).then(pl.col("idpoor_from")),
        idpoor_valid_to=pl.when(pl.col("idpoor_level") > 0).then(pl.col("idpoor_to")),
        person_key=pl.format("P{}", pl.col("pid").add(1).cast(pl.String).str.zfill(8)),
        relationship=pl.col("_rel"),
        family_name_km=pl.when(pl.col("has_km")).then(pl.col("_fam_km")),
        given_name_km=pl.when(pl.col("has_km")).then(pl.col("_giv_km")),
        family_name_latin=pl.col("_fam_latin"),
        given_name_latin=pl.col("_giv_latin"),
        sex=pl.when(pl.col("male")).then(pl.lit("M")).otherwise(pl.lit("F")),
        date_of_birth=pl.col("dob"),
        dob_estimated=pl.col("dob_estimated").replace_strict(yes_no, return_dtype=pl.String),
        disability=pl.col("disabled").replace_strict(yes_no, return_dtype=pl.String),
        functional_difficulties=pl.when(pl.col("disabled") & pl.col("two")).then(
            pl.format("{};{}", pl.col("_d1"), pl.col("_d2"))
        ).when(pl.col("disabled")).then(pl.col("_d1")),
        pregnant=pl.col("pregnant").replace_strict(yes_no, return_dtype=pl.String),
        expected_delivery_date=pl.when(pl.col("pregnant")).then(pl.col("edd")),
        occupation=pl.when(pl.col("emp") == "formal").then(occ["formal"].gather(rows["occ"]))
        .when(pl.col("emp") == "informal").then(occ["informal"].gather(rows["occ"]))
        .when(pl.col("emp") == "self_employed").then(occ["self_employed"].gather(rows["occ"])),
        employment_type=pl.col("emp"),
        enterprise_key=pl.when(pl.col("ent") >= 0).then(
            pl.format("E{}", pl.col("ent").add(1).cast(pl.String).str.zfill(6))),
        national_id=pl.when(pl.col("has_nid")).then(pl.col("nid").cast(pl.String)),
        phone=pl.when(~pl.col("has_phone")).then(None)
        .when(pl.col("phone_style") == 0).then(pl.format(
            "{} {} {}", pl.col("_pref"), num.str.slice(0, 3), num.str.slice(3)))
        .when(pl.col("phone_style") == 1).then(local)
        .otherwise(pl.format("+855 {} {} {}", intl, num.str.slice(0, 3), num.str.slice(3))),
        phone_e164=pl.when(pl.col("has_phone")).then(pl.format("+855{}{}", intl, num)),
        nssf_member=pl.when(pl.col("has_nssf")).then(
            pl.format("N{}", pl.col("pid").add(1).cast(pl.String).str.zfill(9))),
        birth_certificate=pl.when(pl.col("has_bc")).then(
            pl.format("BC{}{}", pl.col("village_code").str.slice(0, 2),
                      pl.col("pid").add(1).cast(pl.String).str.zfill(9))),
    )
    return out


def _enterprise_rows(ent: pl.DataFrame, names: _Names) -> pl.DataFrame:
    trades = pl.Series([t[0] for t in ENTERPRISE_TRADES])
    trades_km = pl.Series([t[1] for t in ENTERPRISE_TRADES])
    sectors = pl.Series([t[2] for t in ENTERPRISE_TRADES])
    seq = pl.col("i").add(1).cast(pl.String)
    return ent.with_columns(
        _trade=trades.gather(ent["trade"]), _trade_km=trades_km.gather(ent["trade"]),
        _fam=names.fam_latin_flat.gather(ent["fam"] * 3), _fam_km=names.fam_km.gather(ent["fam"]),
        sector=sectors.gather(ent["trade"]),
    ).with_columns(
        enterprise_key=pl.format("E{}", seq.str.zfill(6)),
        name_latin=pl.format("{} {} Co., Ltd.", pl.col("_fam"), pl.col("_trade")),
        name_km=pl.format("ក្រុមហ៊ុន {} {}", pl.col("_trade_km"), pl.col("_fam_km")),
        nssf_employer_number=pl.format("NSSF{}", seq.str.zfill(7)),
        moc_registration_number=pl.when(pl.col("has_moc")).then(
            pl.format("MOC-{}", seq.str.zfill(8))),
        tax_id=pl.when(pl.col("has_tax")).then(pl.format("K00{}", seq.str.zfill(9))),
    )
