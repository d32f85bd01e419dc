"""Splink comparisons and blocking rules suited to Cambodian person records.

Every comparison works on the standardised columns made by ``spmis.linkage.prepare`` and is
built only when its role is mapped, so the same code serves any list. Levels are written with
Splink's level library or with plain portable SQL (``=``, ``substr``, ``abs``) so the settings
run on DuckDB and on Spark alike. Each level carries starting m and u probabilities from domain
knowledge: random sampling re-estimates u and expectation maximisation m; a comparison that no
training rule can estimate, or a list too small to train on, still scores sensibly.

Name comparison (one comparison over family and given name together, because in Cambodia
the family name is the father's given name and both come from the same pool):

1. same key: ``name_key`` equal. Keys fold transliteration variants (Sok/Sokh, Chea/Chia) and
   spacing (Chan Dara/Chandara), and normalise Khmer Unicode. Term-frequency adjusted.
2. family and given swapped (``name_sorted`` equal)
3. one edit apart, or the same consonant skeleton (typos, vowel spellings)
4. Jaro-Winkler >= 0.90 on the keys
5. family and given name each one edit apart
6. same given name, different family name
7. Jaro-Winkler >= 0.80
8. anything else

Date of birth: exact; day and month swapped; one digit apart; same year where one date is
estimated (a year alone or 1 January); within two years where one is estimated; same year;
else. Place: village, then commune (6 digits), district (4), province (2).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from spmis.linkage.roles import NAME_ROLES, SECOND_NAME_ROLES

__all__ = ["blocking_rules", "build_settings", "comparisons", "pair_keys", "second_script",
           "sex_comparison", "training_rules", "two_key_rules"]


def _level(
    creator: ComparisonLevelCreator, label: str, m: float, u: float
) -> ComparisonLevelCreator:
    return creator.configure(label_for_charts=label, m_probability=m, u_probability=u)


def _sql(condition: str, label: str, m: float, u: float) -> ComparisonLevelCreator:
    return _level(cll.CustomLevel(condition), label, m, u)


def _null(col: str) -> ComparisonLevelCreator:
    return cll.NullLevel(col)


def _else(m: float, u: float, *, fix_m: bool = False) -> ComparisonLevelCreator:
    return cll.ElseLevel().configure(m_probability=m, u_probability=u, fix_m_probability=fix_m)


def _tf(column: str, on: bool) -> dict[str, Any]:
    # the level's own u, not that of the plain "name_key_l = name_key_r" level further down
    return ({"tf_adjustment_column": column, "tf_adjustment_weight": 1.0,
             "disable_tf_exact_match_detection": True} if on else {})


def _second_script_levels(term_frequencies: bool) -> list[ComparisonLevelCreator]:
    """Leading levels when a second spelling (``name2_key``, Khmer beside Latin) is mapped: the
    same second spelling first, whatever the romanisations (its u is then that of any two
    records sharing it, which is what its term-frequency adjustment assumes: placed after the
    Latin level, its u would be that of the rarer case "same Khmer, Latin differs" and the
    adjustment would count a common Khmer name against the pair about three bits too much);
    then the same Latin key where the second spellings do not disagree (one is missing); the
    same Latin key over two different Khmer names (two names romanised alike) counts little."""
    both2 = "name2_key_l IS NOT NULL AND name2_key_r IS NOT NULL"
    return [
        cll.CustomLevel("(name_key_l IS NULL OR name_key_r IS NULL) "
                        "AND (name2_key_l IS NULL OR name2_key_r IS NULL)")
        .configure(is_null_level=True, label_for_charts="no name"),
        cll.CustomLevel("name2_key_l = name2_key_r")
        .configure(label_for_charts="same second-script name", m_probability=0.6,
                   u_probability=0.0005, **_tf("name2_key", term_frequencies)),
        cll.CustomLevel(f"name_key_l = name_key_r AND NOT ({both2} AND name2_key_l <> name2_key_r)")
        .configure(label_for_charts="same name key", m_probability=0.2, u_probability=0.0002,
                   **_tf("name_key", term_frequencies)),
        _sql("name_key_l = name_key_r", "same name key, second script differs", 0.005, 0.0002),
    ]


def name_comparison(term_frequencies: bool = True, second_script: bool = False
                    ) -> ComparisonCreator:
    exact = cll.ExactMatchLevel("name_key", term_frequency_adjustments=term_frequencies)
    lead: list[ComparisonLevelCreator] = (
        _second_script_levels(term_frequencies) if second_script
        else [_null("name_key"), _level(exact, "same name key", 0.78, 0.0005)])
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="family and given name keys (transliteration-aware)",
        comparison_levels=[
            *lead,
            _sql("name_sorted_l = name_sorted_r", "family and given swapped", 0.04, 0.0001),
            _level(
                cll.Or(cll.DamerauLevenshteinLevel("name_key", 1),
                       cll.ExactMatchLevel("name_skel")),
                "one edit or same skeleton", 0.09, 0.002).configure(
                **_tf("name_skel", term_frequencies)),
            _level(cll.JaroWinklerLevel("name_key", 0.9), "Jaro-Winkler >= 0.9", 0.04, 0.01),
            _level(cll.And(cll.DamerauLevenshteinLevel("fn_key", 1),
                           cll.DamerauLevenshteinLevel("gn_key", 1)),
                   "each name one edit", 0.02, 0.001),
            _sql("gn_key_l = gn_key_r", "same given name only", 0.03, 0.02),
            _sql("fn_key_l = fn_key_r", "same family name only", 0.01, 0.04),
            _level(cll.JaroWinklerLevel("name_key", 0.8), "Jaro-Winkler >= 0.8", 0.01, 0.05),
            _else(0.01, 0.9164),
        ],
    )


def dob_comparison() -> ComparisonCreator:
    est = "(dob_est_l OR dob_est_r)"
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth with estimated dates and day/month swaps",
        comparison_levels=[
            _null("dob"),
            _sql("dob_l = dob_r AND NOT dob_est_l", "exact date", 0.82, 0.0001),
            _sql("dob_year_l = dob_year_r AND dob_month_l = dob_day_r "
                 "AND dob_day_l = dob_month_r", "day and month swapped", 0.03, 0.00005),
            _level(cll.DamerauLevenshteinLevel("dob_str", 1), "one digit apart", 0.04, 0.001),
            _sql(f"dob_year_l = dob_year_r AND {est}", "same year, one estimated", 0.05, 0.003),
            _sql(f"abs(dob_year_l - dob_year_r) <= 2 AND {est}",
                 "within 2 years, one estimated", 0.03, 0.01),
            _sql("dob_year_l = dob_year_r", "same year", 0.02, 0.012),
            # fixed: EM on namesakes of one village (a father and his son) would otherwise
            # learn that a person's two records often have unrelated dates of birth
            _else(0.01, 0.97385, fix_m=True),
        ],
    )


#: share of one person's two records whose recorded sex agrees (a data-entry slip otherwise)
SEX_AGREES_M = 0.97


def sex_comparison() -> ComparisonCreator:
    """Recorded sex: agreement counts for a match, a difference against it (about -4 bits).
    The m probabilities are fixed, not trained: expectation maximisation on pairs that hold few
    or no duplicates (a registry that has been deduplicated, a demo population) learns whatever
    splits them, and on ``spmis demo`` data learned m(same sex) = 1e-27, which turned agreement
    into evidence *against* a match and a man and a woman into one person at probability 1.0.
    The u probabilities (about one half) are still estimated."""
    return cl.CustomComparison(
        output_column_name="sex",
        comparison_description="sex",
        comparison_levels=[
            _null("sex"),
            _sql("sex_l = sex_r", "exact", SEX_AGREES_M, 0.5).configure(fix_m_probability=True),
            _else(1 - SEX_AGREES_M, 0.5, fix_m=True),
        ],
    )


def _prefix(n: int) -> str:
    return f"substr(village_code_l, 1, {n}) = substr(village_code_r, 1, {n})"


def _kept_address(term_frequencies: bool) -> ComparisonLevelCreator:
    """The same address written in two different villages: a record that moved and kept its
    old address (term-frequency adjusted: a bare village name shared by many is weak)."""
    return cll.CustomLevel("address_l = address_r AND village_code_l <> village_code_r").configure(
        label_for_charts="same address, other village", m_probability=0.03,
        u_probability=1e-6, **_tf("address", term_frequencies))


def village_comparison(address: bool = False, term_frequencies: bool = True
                       ) -> ComparisonCreator:
    """NCDD village code, with the address when it is mapped: an address is counted only when
    the villages differ (inside one village the same address is the same household, which the
    village already counts)."""
    null = "village_code_l IS NULL OR village_code_r IS NULL"
    if address:
        null = f"({null}) AND (address_l IS NULL OR address_r IS NULL)"
    return cl.CustomComparison(
        output_column_name="village_code",
        comparison_description="NCDD code: village, commune, district, province"
                               + (" (and a kept address)" if address else ""),
        comparison_levels=[
            (cll.CustomLevel(null).configure(is_null_level=True, label_for_charts="no village")
             if address else _null("village_code")),
            *([_kept_address(term_frequencies)] if address else []),
            _sql("village_code_l = village_code_r", "same village", 0.84, 0.0005),
            _sql(_prefix(6), "same commune", 0.06, 0.005),
            _sql(_prefix(4), "same district", 0.03, 0.03),
            _sql(_prefix(2), "same province", 0.03, 0.1),
            _else(0.04, 0.8645),
        ],
    )


_EDIT_U = (1e-6, 2e-5)  # starting u of exact / one-edit agreement of a phone or identifier


def village_phone_comparison(address: bool = False, term_frequencies: bool = True
                             ) -> ComparisonCreator:
    """Village and phone together (and the address, when mapped): household members share
    them all, so counting them as independent agreements would make siblings look like one
    person. A kept address counts only across villages (see ``village_comparison``)."""
    null = ("(village_code_l IS NULL OR village_code_r IS NULL) "
            "AND (phone_l IS NULL OR phone_r IS NULL)")
    if address:
        null += " AND (address_l IS NULL OR address_r IS NULL)"
    return cl.CustomComparison(
        output_column_name="village_phone",
        comparison_description="phone and NCDD village code (household-aware)"
                               + (" and a kept address" if address else ""),
        comparison_levels=[
            cll.CustomLevel(null)
            .configure(is_null_level=True, label_for_charts="no village, no phone"),
            _sql("phone_l = phone_r AND village_code_l = village_code_r",
                 "same phone and village", 0.45, 2e-6),
            _sql("phone_l = phone_r", "same phone", 0.05, 1e-6),
            *([_kept_address(term_frequencies)] if address else []),
            _sql("village_code_l = village_code_r", "same village", 0.38, 0.0005),
            _sql(_prefix(6), "same commune", 0.05, 0.005),
            _sql(_prefix(4), "same district", 0.02, 0.03),
            _sql(_prefix(2), "same province", 0.02, 0.1),
            _else(0.03, 0.8645),
        ],
    )


def _exact_or_edit(col: str, description: str, m: tuple[float, float, float]) -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=description,
        comparison_levels=[
            _null(col),
            _sql(f"{col}_l = {col}_r", "exact", m[0], _EDIT_U[0]),
            _level(cll.DamerauLevenshteinLevel(col, 1), "one edit", m[1], _EDIT_U[1]),
            _else(m[2], 1 - sum(_EDIT_U)),
        ],
    )


def _exact(col: str, description: str, m: float, u: float) -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=description,
        comparison_levels=[
            _null(col), _sql(f"{col}_l = {col}_r", "exact", m, u), _else(1 - m, 1 - u)],
    )


def _fuzzy(col: str, description: str, thresholds: tuple[float, ...],
            m: tuple[float, ...], u: tuple[float, ...]) -> ComparisonCreator:
    levels: list[ComparisonLevelCreator | dict[str, Any]] = [
        _null(col), _sql(f"{col}_l = {col}_r", "exact", m[0], u[0])]
    levels += [_level(cll.JaroWinklerLevel(col, t), f"Jaro-Winkler >= {t}", mi, ui)
               for t, mi, ui in zip(thresholds, m[1:-1], u[1:-1], strict=True)]
    levels.append(_else(m[-1], u[-1]))
    return cl.CustomComparison(output_column_name=col, comparison_description=description,
                               comparison_levels=levels)


def comparisons(roles: Collection[str], term_frequencies: bool = True) -> list[ComparisonCreator]:
    """The comparisons for the mapped ``roles`` (standardised column names)."""
    out: list[ComparisonCreator] = []
    if any(r in roles for r in NAME_ROLES):
        out.append(name_comparison(term_frequencies, second_script(roles)))
    if "date_of_birth" in roles:
        out.append(dob_comparison())
    if "sex" in roles:
        out.append(sex_comparison())
    village, address = "village_code" in roles, "address" in roles
    if village and "phone" in roles:
        out.append(village_phone_comparison(address, term_frequencies))
    elif village:
        out.append(village_comparison(address, term_frequencies))
    elif "phone" in roles:
        out.append(_exact_or_edit("phone", "phone national number", (0.88, 0.04, 0.08)))
    if "id_number" in roles:
        out.append(_exact_or_edit("id_number", "identifier", (0.92, 0.05, 0.03)))
    if address and not village:
        out.append(_fuzzy("address", "address words", (0.9, 0.75), (0.6, 0.2, 0.1, 0.1),
                          (0.001, 0.005, 0.05, 0.944)))
    if "locality" in roles:
        out.append(_fuzzy("locality", "place name key", (0.9,), (0.85, 0.08, 0.07),
                          (0.01, 0.02, 0.97)))
    if "postcode" in roles:
        out.append(_exact_or_edit("postcode", "postal code", (0.88, 0.06, 0.06)))
    if "house_number" in roles:
        out.append(_exact("house_number", "house number", 0.9, 0.01))
    return out


def second_script(roles: Collection[str]) -> bool:
    return any(r in roles for r in NAME_ROLES) and any(r in roles for r in SECOND_NAME_ROLES)


def blocking_rules(roles: Collection[str]) -> list[BlockingRuleCreator]:
    """Candidate-pair rules (OR-ed; Splink scores each pair once).

    Across the whole country a rule needs a name key *and the exact date* (or the date with
    day and month swapped): a name with only the year, or a date with only a letter of the name,
    makes blocks that grow with the square of the list (4,000,000 records gave 183 million
    pairs), and the pairs they add (namesakes born the same year in other provinces) cannot be
    told apart by any field anyway. Within the commune, where people who register again mostly
    stay, the rules are looser: the name's consonant skeleton with any date (also year-only
    dates), swapped names, one name and the first letters of the other, the date alone.
    Shared phones and identifiers block anywhere (values shared by many records are left out).
    A list without village codes keeps the name key (either order) + birth year instead.
    """
    name = any(r in roles for r in NAME_ROLES)
    split = "full_name" in roles or ("given_name" in roles and "family_name" in roles)
    second = second_script(roles)
    dob, village = "date_of_birth" in roles, "village_code" in roles
    swapped = "l.dob_year = r.dob_year AND l.dob_month = r.dob_day AND l.dob_day = r.dob_month"
    rules: list[BlockingRuleCreator] = []
    if name and dob:
        # vowel spellings and typos (the skeleton also holds every pair with the same key)
        rules.append(block_on("name_skel", "dob"))
        rules.append(CustomRule(f"{swapped} AND l.name_skel = r.name_skel"))
        if split:  # names swapped; a typo in one name that keeps its first letter
            rules += [
                block_on("name_sorted", "dob"),
                CustomRule("l.gn_key = r.gn_key AND l.dob = r.dob "
                           "AND substr(l.fn_key, 1, 1) = substr(r.fn_key, 1, 1)"),
                CustomRule("l.fn_key = r.fn_key AND l.dob = r.dob "
                           "AND substr(l.gn_key, 1, 1) = substr(r.gn_key, 1, 1)"),
                CustomRule(f"{swapped} AND l.gn_key = r.gn_key "
                           "AND substr(l.fn_key, 1, 1) = substr(r.fn_key, 1, 1)"),
                CustomRule(f"{swapped} AND l.fn_key = r.fn_key "
                           "AND substr(l.gn_key, 1, 1) = substr(r.gn_key, 1, 1)"),
            ]
        if second:  # romanised differently, written alike in Khmer
            rules += [block_on("name2_key", "dob"),
                      CustomRule(f"{swapped} AND l.name2_key = r.name2_key")]
        if not village:  # no commune to narrow by: the name (either order) and the year
            rules.append(block_on("name_key", "dob_year"))
            if split:
                rules.append(block_on("name_sorted", "dob_year"))
    commune = "substr(l.village_code, 1, 6) = substr(r.village_code, 1, 6)"
    if name and village:
        rules.append(CustomRule(f"l.name_skel = r.name_skel AND {commune}"))
        if split:
            rules += [
                CustomRule(f"l.name_sorted = r.name_sorted AND {commune}"),
                CustomRule(f"l.gn_key = r.gn_key AND {commune} "
                           "AND substr(l.fn_key, 1, 2) = substr(r.fn_key, 1, 2)"),
                CustomRule(f"l.fn_key = r.fn_key AND {commune} "
                           "AND substr(l.gn_key, 1, 3) = substr(r.gn_key, 1, 3)"),
            ]
        if second:
            rules.append(CustomRule(f"l.name2_key = r.name2_key AND {commune}"))
    if dob and village:
        rules.append(CustomRule(f"l.dob = r.dob AND {commune}"))
    if "phone" in roles:
        rules.append(block_on("phone_block"))
    if "id_number" in roles:
        rules.append(block_on("id_block"))
    if name:
        for other in ("postcode", "locality", "sex"):
            if other in roles and not (dob or village):
                rules.append(block_on("name_key", other))
                break
        else:
            if not (dob or village):
                rules.append(block_on("name_key"))
    return rules


def pair_keys(roles: Collection[str]) -> dict[str, str]:
    """Fields a generic blocking rule may pair, by name, as SQL over the standardised table.

    Each is a value two records of one person usually share, by itself too common to block
    on across a whole list (a family name, a date, a postcode). A phone or identifier also
    gives its two halves, so that one typing slip still leaves one half shared.
    """
    name = any(r in roles for r in NAME_ROLES)
    split = "full_name" in roles or ("given_name" in roles and "family_name" in roles)
    keys: dict[str, str] = {}
    if name:
        keys.update({"fn_key": "fn_key", "gn_key": "gn_key"} if split
                    else {"name_key": "name_key"})
    if "date_of_birth" in roles:
        keys["dob"] = "dob_str"
    for role, col in (("id_number", "id_block"), ("phone", "phone_block")):
        if role in roles:
            keys[f"{role}_head"] = f"substr({col}, 1, length({col}) // 2)"
            keys[f"{role}_tail"] = f"substr({col}, length({col}) // 2 + 1)"
    for role in ("address", "house_number", "locality", "postcode", "village_code"):
        if role in roles:
            keys[role] = role
    return keys


def two_key_rules(roles: Collection[str]) -> list[tuple[tuple[str, str], str]]:
    """Every pair of ``pair_keys`` as a candidate blocking rule: ((key, key), SQL condition).

    Duplicates that differ in many fields still agree on two of them; which of these rules
    run is decided on the data (``engine``: a rule kept only when its pairs fit a budget), not
    here, so no list needs its own set of rules.
    """
    keys = pair_keys(roles)
    names = list(keys)
    out: list[tuple[tuple[str, str], str]] = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a.rsplit("_", 1)[0] == b.rsplit("_", 1)[0] and a.endswith("head"):
                continue  # both halves: the whole value, blocked on already
            cond = " AND ".join(
                f"{_prefixed(keys[k], 'l')} = {_prefixed(keys[k], 'r')}" for k in (a, b))
            out.append(((a, b), cond))
    return out


def _prefixed(expr: str, side: str) -> str:
    """``expr`` (over unprefixed standardised columns) for table alias ``side``."""
    return re.sub(r"\b(fn_key|gn_key|name_key|dob_str|id_block|phone_block|address|house_number|"
                  r"locality|postcode|village_code)\b", rf"{side}.\1", expr)


def training_rules(roles: Collection[str]) -> list[BlockingRuleCreator]:
    """Rules for expectation maximisation of m: each comparison is estimated from at least one
    rule that does not use its columns, and each rule yields mostly matches (a name or a date
    alone would drown the matches among namesakes). Rules are sampled to a maximum pair count.
    """
    name = any(r in roles for r in NAME_ROLES)
    dob = "date_of_birth" in roles
    # a second field that keeps namesakes and people born the same day apart: the commune
    # (people who re-register usually stay in it), else phone or identifier
    anchor = next((cond for role, cond in (
        ("village_code", "substr(l.village_code, 1, 6) = substr(r.village_code, 1, 6)"),
        ("phone", "l.phone_block = r.phone_block"), ("id_number", "l.id_block = r.id_block"))
        if role in roles), None)
    rules: list[BlockingRuleCreator] = []
    if name and dob:  # trains everything but name and date
        rules.append(CustomRule("l.name_key = r.name_key AND l.dob = r.dob AND NOT l.dob_est"))
    if dob:  # trains the name
        rules.append(CustomRule(f"l.dob = r.dob AND {anchor}") if anchor else block_on("dob"))
    if name:  # trains the date
        rules.append(CustomRule(f"l.name_key = r.name_key AND {anchor}") if anchor
                     else block_on("name_key"))
    if not rules and anchor:
        rules.append(CustomRule(anchor))
    return rules


def build_settings(roles: Collection[str], term_frequencies: bool = True,
                   extra_rules: Collection[str] = (),
                   fixed_rules: Collection[BlockingRuleCreator] | None = None) -> SettingsCreator:
    """Splink settings (dedupe) for the mapped ``roles``; backend independent. The prediction
    blocking rules are ``fixed_rules`` (default: every rule of ``blocking_rules(roles)``; the
    engine passes those the list can afford) and ``extra_rules`` (SQL conditions on
    ``l.``/``r.``)."""
    fixed = blocking_rules(roles) if fixed_rules is None else list(fixed_rules)
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=list[ComparisonCreator | dict[str, Any]](comparisons(roles, term_frequencies)),
        blocking_rules_to_generate_predictions=list[BlockingRuleCreator | dict[str, Any]](
            [*fixed, *(CustomRule(r) for r in extra_rules)]),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[],
        max_iterations=20,
        em_convergence=0.001,
    )
