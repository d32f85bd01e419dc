"""Synthetic Cambodian person lists with known duplicates, for tests and ``bench/linkage.py``.

Vectorised (numpy masks, Polars string expressions): a million rows in a few seconds.

People live in households (shared village, often a shared phone; children's family name is the
father's given name, so siblings share it): these are the hard non-matches. A share of rows
(``dup_rate``) are extra records of someone already listed, damaged as registration damages
them: transliteration variants (Sok/Sokh, Chea/Chia, Chan Dara/Chandara), typos, family and
given name swapped, day and month swapped, dates reduced to an estimated year (sometimes a
year off), dates written DD/MM/YYYY, a move to another village of the commune, a new or a
missing phone, and missing fields.

``generate`` returns (people, truth): people has ``record_id, family_name, given_name, sex,
date_of_birth, village_code, phone, id_number``; truth has ``record_id, person_id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import numpy as np
import polars as pl

__all__ = ["FAMILY_NAMES", "GIVEN_FEMALE", "GIVEN_MALE", "generate"]


def _words(text: str) -> tuple[str, ...]:
    """Names separated by spaces; "_" joins the two words of a compound name."""
    return tuple(dict.fromkeys(w.replace("_", " ") for w in text.split()))


FAMILY_NAMES = _words(
    "Sok Chan Chea Kim Ly Lim Heng Hun Keo Khiev Mao Meas Nhem Ouk Pen Phan Prak Sam San Seng "
    "Sim Sun Tan Touch Vann Yim Nget Chhun Chhim Chhay Long Men Mom Noun Pich Ros Roth Sar Say "
    "Sorn Srey Tep Thach Thy Uch Un Va Yin Hak Hem Him Hor Huot Kang Kong Kuy Leng Lay Ma Ngin "
    "Nov Ouch Pang Pok Por Rath Sieng Soeun Tek Vong Yorn Bun Chea Dy Eang Ek Hang Hout In Khim "
    "Koy Lach Meng Nuon Oeun Pheng Phy Reach Sath Seth Soy Tith Try Vy Yous"
)
GIVEN_MALE = _words(
    "Dara Rith Virak Sovann Kosal Rotha Samnang Sothea Vuthy Sophal Narith Chandara Sopheak "
    "Vichet Piseth Bunthoeun Sambath Seyha Makara Sokhom Kimheng Monyrath Panha Pheakdey "
    "Sovannara Veasna Sokha Visal Ratanak Rathana Chanthou Davith Heng Kakada Kimsan Mengly "
    "Nimol Oudom Pisal Puthy Sarath Seiha Sithol Sokunthy Soksan Sopheap Thearith Vannak "
    "Vibol Chan_Dara Sok_Kheng Borey Chamroeun Chhaya Dararith Kanika Lyhour Phearum Rady"
)
GIVEN_FEMALE = _words(
    "Sophea Chanthy Sreymom Sreyleak Vanna Bopha Pisey Chenda Malis Sreypov Davy Kanha "
    "Sokunthea Chantrea Leakhena Sreynich Thida Phalla Rachana Sreyneang Raksmey Sokha Sophy "
    "Bopha Channary Chanlina Darany Kalyan Kunthea Lida Mealea Molika Nary Neary Ratana Romduol "
    "Sarom Sethy Socheata Sokhom Somaly Sopheap Sorya Srey_Pich Sreyroth Theary Vanny Vicheka "
    "Leakena Chanmony Dalin Kolab Mony Navy Pheary Rany Sina Tevy Srey_Mom"
)

# Transliteration variants: (regex, replacement) applied to a chosen share of names.
_VARIANTS = (
    (r"k\b", "kh"), (r"kh\b", "k"), ("ea", "ia"), ("ia", "ea"), ("ou", "u"), ("u", "ou"),
    ("ey", "ei"), (r"y\b", "i"), (r"i\b", "y"), ("th", "t"), ("ph", "p"), (r"n\b", "nn"),
    ("nn", "n"), ("oe", "eu"), ("Ch", "Chh"), ("Chh", "Ch"), (" ", ""),
)
_OPERATORS = ("10", "11", "12", "15", "16", "17", "61", "69", "70", "77", "78", "85", "89",
              "92", "93", "95", "96", "97", "98", "99")


def _zipf_choice(rng: np.random.Generator, pool: tuple[str, ...] | list[str], n: int,
                 s: float = 0.7) -> np.ndarray:
    weights = 1.0 / np.arange(1, len(pool) + 1) ** s
    return rng.choice(np.array(pool), size=n, p=weights / weights.sum())


def _villages(rng: np.random.Generator) -> np.ndarray:
    """About 14,000 8-digit codes: province 01-25, district, commune, village (NCDD shape)."""
    codes = [f"{p:02d}{d:02d}{c:02d}{v:02d}" for p in range(1, 26) for d in range(1, 9)
             for c in range(1, 9) for v in range(1, 10)]
    return np.array(codes)[rng.permutation(len(codes))[:14_000]]


def _phones(rng: np.random.Generator, n: int) -> pl.Series:
    ops = pl.Series(rng.choice(np.array(_OPERATORS), size=n))
    return "0" + ops + pl.Series(rng.integers(100_000, 9_999_999, size=n)).cast(pl.String)


def _households(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """``n`` originals in households of 1-8 people sharing village, family name and phone."""
    size = rng.integers(1, 9, size=n)
    hh = np.repeat(np.arange(n), size)[:n]
    n_hh = int(hh.max()) + 1
    hh_village = rng.choice(_villages(rng), size=n_hh)
    father = _zipf_choice(rng, GIVEN_MALE, n_hh)
    hh_family = _zipf_choice(rng, FAMILY_NAMES, n_hh)
    hh_phone = _phones(rng, n_hh).to_numpy()
    hh_has_phone = rng.random(n_hh) < 0.5
    first = np.r_[True, hh[1:] != hh[:-1]]  # head of household: own family name
    sex = np.where(rng.random(n) < 0.52, "F", "M")
    given = np.where(sex == "F", _zipf_choice(rng, GIVEN_FEMALE, n),
                     _zipf_choice(rng, GIVEN_MALE, n))
    family = np.where(first, hh_family[hh], father[hh])
    start = dt.date(1940, 1, 1).toordinal()
    days = rng.integers(0, (dt.date(2024, 12, 31).toordinal() - start), size=n)
    epoch = dt.date(1970, 1, 1).toordinal()
    own = rng.random(n) < 0.3
    phone = np.where(own, _phones(rng, n).to_numpy(), hh_phone[hh])
    has_phone = own | hh_has_phone[hh]
    idn = pl.Series(rng.integers(10**8, 10**9 - 1, size=n)).cast(pl.String)
    people = pl.DataFrame({
        "person_id": np.arange(n),
        "family_name": family,
        "given_name": given,
        "sex": sex,
        "dob": pl.Series((days + start - epoch).astype("int32")).cast(pl.Date),
        "village_code": hh_village[hh],
        "phone": phone,
        "id_number": idn,
    }).with_columns(
        pl.when(pl.Series(has_phone)).then(pl.col("phone")).alias("phone"),
        pl.when(pl.Series(rng.random(n) < 0.5)).then(pl.col("id_number")).alias("id_number"),
    )
    return _distinct_sibling_names(people, hh)


def _distinct_sibling_names(people: pl.DataFrame, hh: np.ndarray) -> pl.DataFrame:
    """Parents do not give two of their children the same name: a repeated given name in a
    household is replaced by the next names of the pool."""
    male, female = pl.Series(GIVEN_MALE), pl.Series(GIVEN_FEMALE)
    people = people.with_columns(pl.Series("hh", hh)).with_columns(
        pl.int_range(pl.len()).over("hh", "given_name").alias("repeat"))
    idx_m = pl.col("given_name").replace_strict(male, pl.int_range(len(male)), default=0)
    idx_f = pl.col("given_name").replace_strict(female, pl.int_range(len(female)), default=0)
    return people.with_columns(
        pl.when(pl.col("repeat") == 0).then(pl.col("given_name"))
        .when(pl.col("sex") == "M")
        .then(pl.lit(male).gather((idx_m + pl.col("repeat") * 7) % len(male)))
        .otherwise(pl.lit(female).gather((idx_f + pl.col("repeat") * 7) % len(female)))
        .alias("given_name"),
    ).drop("hh", "repeat")


def _variant(col: str, mask: np.ndarray, rng: np.random.Generator) -> pl.Expr:
    pick = pl.Series(np.where(mask, rng.integers(0, len(_VARIANTS), size=len(mask)), -1))
    s = pl.col(col)
    (pattern, repl), *rest = _VARIANTS
    chain: Any = pl.when(pick == 0).then(s.str.replace(pattern, repl))
    for k, (pattern, repl) in enumerate(rest, start=1):
        chain = chain.when(pick == k).then(s.str.replace(pattern, repl))
    return cast(pl.Expr, chain.otherwise(s))


def _typo(col: str, mask: np.ndarray, rng: np.random.Generator) -> pl.Expr:
    """Substitute, delete or double one letter (never the first) of the chosen names."""
    n = len(mask)
    pos = pl.Series(rng.integers(1, 4, size=n))
    kind = pl.Series(np.where(mask, rng.integers(0, 3, size=n), -1))
    letter = pl.Series(rng.choice(np.array(list("aeiounmrtkhs")), size=n))
    s = pl.col(col)
    head, tail = s.str.slice(0, pos), s.str.slice(pos + 1)
    here = s.str.slice(pos, 1)
    return (pl.when(kind == 0).then(head + letter + tail)
            .when(kind == 1).then(head + tail)
            .when(kind == 2).then(head + here + here + tail)
            .otherwise(s))


def generate(n: int, dup_rate: float = 0.15, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``n`` rows of which ``dup_rate`` are damaged extra records of listed people."""
    if n < 2:
        raise ValueError("n must be at least 2")
    rng = np.random.default_rng(seed)
    n_dup = round(n * dup_rate)
    originals = _households(rng, n - n_dup)
    dups = originals[rng.integers(0, n - n_dup, size=n_dup)]
    m = n_dup

    def p(share: float) -> np.ndarray:
        return rng.random(m) < share

    swap_names = pl.Series(p(0.08))
    dups = dups.with_columns(
        _variant("given_name", p(0.30), rng).alias("given_name"),
        _variant("family_name", p(0.20), rng).alias("family_name"),
    ).with_columns(
        _typo("given_name", p(0.10), rng).alias("given_name"),
        _typo("family_name", p(0.05), rng).alias("family_name"),
    ).with_columns(
        pl.when(swap_names).then(pl.col("given_name")).otherwise(pl.col("family_name"))
        .alias("family_name"),
        pl.when(swap_names).then(pl.col("family_name")).otherwise(pl.col("given_name"))
        .alias("given_name"),
    )
    # dates: swap, one-digit typo in the day, estimated (year, sometimes off by one), missing
    d = dups["dob"]
    swap = p(0.08) & (d.dt.day() <= 12).to_numpy() & (d.dt.day() != d.dt.month()).to_numpy()
    typo = p(0.04) & (d.dt.day() < 20).to_numpy()
    est = p(0.08)
    year_shift = np.where(p(0.4), rng.choice([-1, 1], size=m), 0)
    dups = dups.with_columns(
        pl.when(pl.Series(swap)).then(pl.date(pl.col("dob").dt.year(), pl.col("dob").dt.day(),
                                               pl.col("dob").dt.month()))
        .when(pl.Series(typo)).then(pl.col("dob") + pl.duration(days=10))
        .otherwise(pl.col("dob")).alias("dob"),
        pl.Series("est_year", np.where(est, year_shift, 99)),
        pl.when(pl.Series(p(0.08))).then(
            pl.col("village_code").str.slice(0, 6)
            + pl.Series(rng.integers(1, 10, size=m)).cast(pl.String).str.zfill(2))
        .when(pl.Series(p(0.05))).then(None).otherwise(pl.col("village_code")).alias("village_code"),
        pl.when(pl.Series(p(0.35))).then(None).otherwise(pl.col("phone")).alias("phone"),
        pl.when(pl.Series(p(0.5))).then(None).otherwise(pl.col("id_number")).alias("id_number"),
        pl.when(pl.Series(p(0.03))).then(None).otherwise(pl.col("sex")).alias("sex"),
    )
    originals = originals.with_columns(pl.lit(99).alias("est_year"))
    # originals too: some estimated dates, some unknown
    orig_est = rng.random(len(originals)) < 0.08
    originals = originals.with_columns(pl.Series("est_year", np.where(orig_est, 0, 99)))
    people = pl.concat([originals, dups], how="vertical")
    total = len(people)
    fmt_dmy = pl.Series(rng.random(total) < 0.10)
    missing_dob = pl.Series(rng.random(total) < 0.03)
    est_col = pl.col("est_year")
    people = people.with_columns(
        pl.when(missing_dob).then(None)
        .when(est_col != 99).then((pl.col("dob").dt.year() + est_col).cast(pl.String))
        .when(fmt_dmy).then(pl.col("dob").dt.strftime("%d/%m/%Y"))
        .otherwise(pl.col("dob").dt.strftime("%Y-%m-%d")).alias("date_of_birth"),
        pl.when(pl.Series(rng.random(total) < 0.15)).then(
            "+855 " + pl.col("phone").str.slice(1, 2) + " " + pl.col("phone").str.slice(3))
        .otherwise(pl.col("phone")).alias("phone"),
    )
    order = rng.permutation(total)
    people = people[order].with_columns(
        pl.format("R{}", (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(8))
        .alias("record_id"))
    truth = people.select("record_id", "person_id")
    return people.select("record_id", "family_name", "given_name", "sex", "date_of_birth",
                         "village_code", "phone", "id_number"), truth
