"""Standardise a list for linkage: one DuckDB statement turns role columns into comparison keys.

Input: a DuckDB table or view with ``record_id`` and one VARCHAR column per mapped role
(``spmis.linkage.roles.ROLES``). Output: a table with an integer ``unique_id`` and these
derived columns (only those whose roles are mapped):

==============  ======================================================================
column          meaning
==============  ======================================================================
fn_key, gn_key  family / given name key: ``spmis.names.name_key`` (Latin
                transliteration variants folded, Khmer Unicode normalised)
name_key        fn_key || gn_key (so "Chan Dara" and "Chandara" meet)
name_sorted     the two keys in alphabetical order (family/given order swapped)
name_skel       consonants of name_key (vowel spellings and typos)
name2_key       key of the second spelling (``family_name_km`` || ``given_name_km``), kept
                apart from name_key: a Khmer and a Latin key of one name never meet
dob             date of birth (DATE); dob_year/_month/_day its parts; dob_str YYYYMMDD
dob_est         true when only the year is known (a year alone, or 1 January)
sex             'm' or 'f'
phone           national number: digits, +855 and leading zeros removed, 8-9 digits
id_number       upper-case letters and digits, at least 4
village_code    NCDD code digits, a lost leading zero restored
address         lower-case words
locality        name_key of the place name
postcode        upper-case letters and digits
house_number    upper-case letters and digits (Khmer digits read)
==============  ======================================================================

Name keys are computed in Python once per *distinct* spelling (a few thousand to a few hundred
thousand values, not one call per row) so they are exactly the registry's own keys, then joined
back in SQL. Everything else is set-based SQL. Values that cannot be read (dates, sex) become
NULL and are counted in the ``PrepareReport``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from spmis.linkage.roles import SECOND_NAME_ROLES
from spmis.names import name_key

__all__ = ["PrepareReport", "prepare"]

_KHMER_DIGITS = "០១២៣៤៥៦៧៨៩"
_DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%d-%m",
)
_MALE = ("m", "male", "1", "man", "boy", "ប្រុស", "ប")
_FEMALE = ("f", "female", "2", "woman", "girl", "ស្រី", "ស")
#: a blocking value shared by more records than this is treated as a placeholder
BLOCK_VALUE_MAX_RECORDS = 20


@dataclass
class PrepareReport:
    """Counts of values that could not be read (the rows are kept, the value becomes NULL)."""

    rows: int = 0
    unreadable: dict[str, int] = field(default_factory=dict)  # role -> count
    examples: dict[str, list[str]] = field(default_factory=dict)  # role -> a few raw values


def _sql_list(values: Collection[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _digits(col: str) -> str:
    return (
        f"regexp_replace(translate({col}, '{_KHMER_DIGITS}', '0123456789'), '[^0-9]', '', 'g')"
    )


def _name_lookup(
    con: duckdb.DuckDBPyConnection, source: str, columns: Sequence[str], name: str
) -> str:
    """Create temp table ``name`` (raw, key, fam, giv) of the distinct name spellings.

    ``fam``/``giv`` split a full name: first word family, the rest given (Cambodian order).
    """
    union = " union ".join(f"select {c} as raw from {source}" for c in columns)
    raws = [r[0] for r in con.execute(
        f"select distinct raw from ({union}) where raw is not null").fetchall()]
    keys = [name_key(r) or None for r in raws]
    fams, givs = [], []
    for raw in raws:
        first, _, rest = raw.strip().partition(" ")
        if rest.strip():
            fams.append(name_key(first) or None)
            givs.append(name_key(rest) or None)
        else:
            fams.append(None)
            givs.append(name_key(raw) or None)
    table = pa.table({"raw": raws, "key": keys, "fam": fams, "giv": givs},
                     schema=pa.schema([(n, pa.string()) for n in ("raw", "key", "fam", "giv")]))
    con.register(f"{name}_arrow", table)
    con.execute(f"create or replace temp table {name} as select * from {name}_arrow")
    con.unregister(f"{name}_arrow")
    return name


def _dob_sql(col: str) -> str:
    """SQL producing (dob, dob_est, dob_bad) from a raw date column."""
    s = f"trim(translate({col}, '{_KHMER_DIGITS}', '0123456789'))"
    formats = _sql_list(_DATE_FORMATS)
    year_only = (
        f"case when regexp_full_match({s}, '[0-9]{{4}}(-00-00|-00)?|00/00/[0-9]{{4}}') "
        f"then cast(regexp_extract({s}, '[0-9]{{4}}') as integer) end"
    )
    parsed = f"cast(try_strptime({s}, {formats}) as date)"
    return f"""
        case when {year_only} is not null then make_date({year_only}, 1, 1)
             else {parsed} end as dob_any,
        ({year_only} is not null) as dob_year_only,
        {s} as dob_raw_s"""


def prepare(
    con: duckdb.DuckDBPyConnection,
    source: str,
    roles: Collection[str],
    out: str = "__spmis_linkage_input",
    *,
    current_year: int | None = None,
) -> PrepareReport:
    """Create table ``out`` of standardised keys from table/view ``source`` (see module doc).

    ``source`` has ``record_id`` and one column per role in ``roles``. Returns the counts of
    unreadable values per role.
    """
    roles = set(roles)
    report = PrepareReport()
    year_max = current_year or _scalar(con, "select year(current_date)")
    name_cols = [r for r in ("family_name", "given_name", "full_name") if r in roles]
    second_cols = [r for r in SECOND_NAME_ROLES if r in roles] if name_cols else []
    selects = ["row_number() over (order by record_id) as unique_id", "record_id"]
    joins: list[str] = []
    if name_cols:
        lookup = _name_lookup(con, source, name_cols + second_cols, "__spmis_name_lookup")
        for role in name_cols + second_cols:
            joins.append(f"left join {lookup} as lk_{role} on lk_{role}.raw = s.{role}")
        if second_cols:
            parts = " || ".join(f"coalesce(lk_{r}.key, '')" for r in second_cols)
            selects.append(f"nullif({parts}, '') as name2_key")
        fam = [f"lk_{r}.key" for r in ("family_name",) if r in roles]
        giv = [f"lk_{r}.key" for r in ("given_name",) if r in roles]
        if "full_name" in roles:
            fam.append("lk_full_name.fam")
            giv.append("lk_full_name.giv")
        selects.append(f"coalesce({', '.join(fam)}) as fn_key" if fam else
                       "cast(null as varchar) as fn_key")
        selects.append(f"coalesce({', '.join(giv)}) as gn_key" if giv else
                       "cast(null as varchar) as gn_key")
    stage1 = f"select {', '.join(selects)}, s.* exclude (record_id) from {source} as s " + " ".join(
        joins)

    cols = ["unique_id", "record_id"]
    if name_cols:
        cols += [
            "fn_key", "gn_key",
            "nullif(coalesce(fn_key, '') || coalesce(gn_key, ''), '') as name_key",
            *(["name2_key"] if second_cols else []),
            "case when fn_key is not null and gn_key is not null "
            "then least(fn_key, gn_key) || greatest(fn_key, gn_key) end as name_sorted",
        ]
    if "date_of_birth" in roles:
        cols += [
            f"case when dob_any between make_date(1900, 1, 1) and make_date({year_max}, 12, 31) "
            "then dob_any end as dob",
            "dob_year_only",
            "dob_raw_s",
        ]
    if "sex" in roles:
        sx = "lower(trim(sex))"
        cols.append(
            f"case when {sx} in {tuple(_MALE)} then 'm' when {sx} in {tuple(_FEMALE)} then 'f' "
            "end as sex_n, sex as sex_raw")
    if "phone" in roles:
        d = _digits("phone")
        nat = (f"ltrim(case when {d} like '855%' and length({d}) >= 11 then {d}[4:] "
               f"else {d} end, '0')")
        cols.append(f"case when length({nat}) between 8 and 9 then {nat} end as phone_n")
    if "id_number" in roles:
        idn = "upper(regexp_replace(id_number, '[^0-9A-Za-z]', '', 'g'))"
        cols.append(f"case when length({idn}) >= 4 and {idn} !~ '^0+$' then {idn} end as id_n")
    if "village_code" in roles:
        vc = _digits("village_code")
        cols.append(
            f"nullif(case when length({vc}) in (1, 3, 5, 7) then '0' || {vc} "
            f"else {vc} end, '')[1:8] as village_n")
    if "address" in roles:
        cols.append(
            "nullif(trim(regexp_replace(lower(strip_accents(address)), "
            "'[^\\p{L}\\p{N}\\p{M}]+', ' ', 'g')), '') as address_n")
    if "locality" in roles:
        cols.append("locality as locality_raw")
    if "postcode" in roles:
        cols.append(
            "nullif(upper(regexp_replace(postcode, '[^0-9A-Za-z]', '', 'g')), '') as postcode_n")
    if "house_number" in roles:
        cols.append(f"nullif(upper(regexp_replace(translate(house_number, '{_KHMER_DIGITS}', "
                    "'0123456789'), '[^0-9A-Za-z]', '', 'g')), '') as house_number_n")
    dob_part = f", {_dob_sql('date_of_birth')}" if "date_of_birth" in roles else ""
    stage2 = f"select *{dob_part} from ({stage1})"
    con.execute(f"create or replace temp table __spmis_stage as select {', '.join(cols)} "
                f"from ({stage2})")

    final = ["unique_id", "record_id"]
    final_joins = []
    if name_cols:
        # skeleton (spmis.names.skeleton) works letter by letter, so it is SQL here
        final += ["fn_key", "gn_key", "name_key", "name_sorted",
                  "nullif(regexp_replace(name_key, '[aeiou]', '', 'g'), '') as name_skel",
                  *(["name2_key"] if second_cols else [])]
    if "date_of_birth" in roles:
        final += [
            "dob", "year(dob) as dob_year",
            "case when not dob_year_only then month(dob) end as dob_month",
            "case when not dob_year_only then day(dob) end as dob_day",
            "case when not dob_year_only then strftime(dob, '%Y%m%d') end as dob_str",
            "case when dob is null then null "
            "else dob_year_only or (month(dob) = 1 and day(dob) = 1) end as dob_est",
        ]
    if "sex" in roles:
        final.append("sex_n as sex")
    if "phone" in roles:
        final += ["phone_n as phone", _capped("phone_n", "phone_block")]
    if "id_number" in roles:
        final += ["id_n as id_number", _capped("id_n", "id_block")]
    if "village_code" in roles:
        final.append("village_n as village_code")
    if "address" in roles:
        final.append("address_n as address")
    if "locality" in roles:
        lookup = _name_lookup(con, "__spmis_stage", ["locality_raw"], "__spmis_locality_lookup")
        final.append("loc.key as locality")
        final_joins.append(f"left join {lookup} as loc on loc.raw = t.locality_raw")
    if "postcode" in roles:
        final.append("postcode_n as postcode")
    if "house_number" in roles:
        final.append("house_number_n as house_number")
    con.execute(
        f"create or replace table {out} as select {', '.join(final)} "
        f"from __spmis_stage as t {' '.join(final_joins)}")

    report.rows = _scalar(con, f"select count(*) from {out}")
    if "date_of_birth" in roles:
        _count_bad(con, report, "date_of_birth",
                   "dob_raw_s is not null and dob_raw_s <> '' and dob is null", "dob_raw_s")
    if "sex" in roles:
        _count_bad(con, report, "sex",
                   "sex_raw is not null and trim(sex_raw) <> '' and sex_n is null", "sex_raw")
    con.execute("drop table if exists __spmis_stage")
    return report


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _capped(col: str, alias: str) -> str:
    """``col`` for blocking: NULL when the value is shared by too many records (a placeholder
    such as an office phone), so one value cannot explode the number of pairs."""
    return (f"case when count(*) over (partition by {col}) <= {BLOCK_VALUE_MAX_RECORDS} "
            f"then {col} end as {alias}")


def _count_bad(
    con: duckdb.DuckDBPyConnection, report: PrepareReport, role: str, where: str, raw: str
) -> None:
    n = _scalar(con, f"select count(*) from __spmis_stage where {where}")
    if n:
        report.unreadable[role] = n
        report.examples[role] = [r[0] for r in con.execute(
            f"select distinct {raw} from __spmis_stage where {where} order by 1 limit 3"
        ).fetchall()]
