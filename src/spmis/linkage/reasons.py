"""Why two records were scored as they were: a readable list of ``field=level`` reasons per pair,
computed set-based in DuckDB from the engine's standardised table (``spmis.linkage.engine``
leaves it in the connection as ``PREPARED``).

Levels: ``name`` same / swapped / similar / given_only / differs; ``date_of_birth`` same /
swapped / one_digit / year / differs; ``sex`` same / differs; ``place`` village / commune /
district / province / differs; ``phone`` and ``id_number`` same / differs. A field missing on
either side gives no reason.
"""

from __future__ import annotations

from collections.abc import Collection

from spmis.linkage.roles import NAME_ROLES

__all__ = ["reasons_sql"]


def _case(field: str, arms: list[tuple[str, str]], null_when: str) -> str:
    body = " ".join(f"when {cond} then '{field}={level}'" for cond, level in arms)
    return f"case when {null_when} then null {body} else '{field}=differs' end"


def reasons_sql(roles: Collection[str], left: str = "a", right: str = "b") -> str:
    """A DuckDB expression: the list of reasons for the pair (``left``, ``right``) of rows of the
    prepared table, for the roles that were mapped."""
    a, b = left, right
    parts: list[str] = []
    if any(r in roles for r in NAME_ROLES):
        parts.append(_case("name", [
            (f"{a}.name_key = {b}.name_key", "same"),
            (f"{a}.name_sorted = {b}.name_sorted", "swapped"),
            (f"damerau_levenshtein({a}.name_key, {b}.name_key) <= 1 "
             f"or {a}.name_skel = {b}.name_skel "
             f"or jaro_winkler_similarity({a}.name_key, {b}.name_key) >= 0.9", "similar"),
            (f"{a}.gn_key = {b}.gn_key", "given_only"),
        ], f"{a}.name_key is null or {b}.name_key is null"))
    if "date_of_birth" in roles:
        parts.append(_case("date_of_birth", [
            (f"{a}.dob = {b}.dob and not {a}.dob_est and not {b}.dob_est", "same"),
            (f"{a}.dob_year = {b}.dob_year and {a}.dob_month = {b}.dob_day "
             f"and {a}.dob_day = {b}.dob_month", "swapped"),
            (f"damerau_levenshtein({a}.dob_str, {b}.dob_str) <= 1", "one_digit"),
            (f"{a}.dob_year = {b}.dob_year", "year"),
        ], f"{a}.dob is null or {b}.dob is null"))
    if "sex" in roles:
        parts.append(_case("sex", [(f"{a}.sex = {b}.sex", "same")],
                           f"{a}.sex is null or {b}.sex is null"))
    if "village_code" in roles:
        arms = [(f"{a}.village_code = {b}.village_code", "village")]
        arms += [(f"substr({a}.village_code, 1, {n}) = substr({b}.village_code, 1, {n})", lvl)
                 for n, lvl in ((6, "commune"), (4, "district"), (2, "province"))]
        parts.append(_case("place", arms,
                           f"{a}.village_code is null or {b}.village_code is null"))
    for role in ("phone", "id_number"):
        if role in roles:
            parts.append(_case(role, [(f"{a}.{role} = {b}.{role}", "same")],
                               f"{a}.{role} is null or {b}.{role} is null"))
    if not parts:
        return "cast([] as varchar[])"
    return f"list_filter([{', '.join(parts)}], lambda x: x is not null)"
