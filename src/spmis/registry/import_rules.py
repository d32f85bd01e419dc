"""Validation of bulk-import rows, whole columns at a time (Polars).

The rules are those of ``spmis.registry.model`` (``validate_person``, ``validate_members``,
``validate_idpoor``, ``normalise_identifier``) and of the API's input schemas, applied to a chunk
of rows at once; tests check that a row passes here exactly when the model accepts it. Only
values that need Python (name scripts, checked once per distinct value) leave Polars.

Each check adds an error text ``field<US>English<US>Khmer`` to the row's ``_errors`` list; a row
is good when that list is empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from spmis.auth.scope import polars_covers
from spmis.errors import NUL_CHARACTER
from spmis.names import is_khmer_text, is_latin_name, person_name_keys
from spmis.registry.fileformat import HOUSEHOLD_COLUMNS
from spmis.registry.identifier_columns import normalise_column
from spmis.registry.model import (
    MAX_AGE_YEARS,
    MAX_WEEKS_TO_DELIVERY,
    PREGNANCY_AGE,
    EmploymentType,
    FunctionalDomain,
    IdentifierType,
    Relationship,
    Sex,
)
from spmis.registry.store import enterprise, household, person

SEP = "\x1f"
ERRORS = "_errors"
IDENTIFIER_COLUMNS: dict[str, IdentifierType] = {
    "national_id": IdentifierType.NATIONAL_ID,
    "phone": IdentifierType.PHONE,
    "nssf_member": IdentifierType.NSSF_MEMBER,
    "birth_certificate": IdentifierType.BIRTH_CERTIFICATE,
}
HOUSEHOLD_ROW_FIELDS = (
    "village_code", "address_detail", "idpoor_level", "idpoor_card_number",
    "idpoor_valid_from", "idpoor_valid_to",
)
_TRUE = ("true", "yes", "y", "1")
_FALSE = ("false", "no", "n", "0")
_DATE_SHAPE = r"^\d{4}-\d{2}-\d{2}$"


def error_text(field: str, en: str, km: str) -> str:
    return f"{field}{SEP}{en}{SEP}{km}"


def check(cond: pl.Expr, field: str, en: str, km: str) -> pl.Expr:
    """The error text where ``cond`` holds (null elsewhere and where ``cond`` is null)."""
    return pl.when(cond.fill_null(False)).then(pl.lit(error_text(field, en, km)))


def outside_scope_check(scope: str) -> pl.Expr:
    """The error of a row whose village code lies outside ``scope`` (spmis.auth.scope)."""
    return check(pl.col("village_code").is_not_null() & ~polars_covers(scope, "village_code"),
                 "village_code", "is outside your area", "នៅក្រៅតំបន់របស់អ្នក")


def add_errors(frame: pl.DataFrame, checks: Sequence[pl.Expr]) -> pl.DataFrame:
    if not checks:
        return frame
    new = pl.concat_list([c.cast(pl.String) for c in checks]).list.drop_nulls()
    if ERRORS in frame.columns:
        new = pl.concat_list([pl.col(ERRORS), new])
    return frame.with_columns(new.alias(ERRORS))


def max_len(table: object, column: str) -> int:
    return int(table.c[column].type.length)  # type: ignore[attr-defined]


def _too_long(field: str, limit: int) -> pl.Expr:
    return check(pl.col(field).str.len_chars() > limit, field,
                 f"is longer than {limit} characters", f"វែងជាង {limit} តួអក្សរ")


def nul_checks(columns: Iterable[str]) -> list[pl.Expr]:
    """A NUL character in any cell: PostgreSQL cannot store it in text, and nobody types one."""
    return [check(pl.col(c).str.contains("\x00", literal=True), c, *NUL_CHARACTER)
            for c in columns]


def _required(field: str) -> pl.Expr:
    return check(pl.col(field).is_null(), field, "is required", "តម្រូវឱ្យមាន")


def _date(field: str) -> tuple[pl.Expr, pl.Expr]:
    """(parsed date, error for text that is not a real YYYY-MM-DD date)."""
    text = pl.col(field)
    parsed = pl.when(text.str.contains(_DATE_SHAPE)).then(
        text.str.to_date("%Y-%m-%d", strict=False))
    bad = check(text.is_not_null() & parsed.is_null(), field,
                "is not a real date in the form YYYY-MM-DD",
                "មិនមែនជាកាលបរិច្ឆេទត្រឹមត្រូវ (YYYY-MM-DD)")
    return parsed, bad


def _bool(field: str) -> tuple[pl.Expr, pl.Expr]:
    text = pl.col(field).str.to_lowercase()
    value = pl.when(text.is_null() | text.is_in(_FALSE)).then(False).when(
        text.is_in(_TRUE)).then(True)
    bad = check(value.is_null(), field, "must be true or false (yes/no, 1/0)",
                "ត្រូវតែជា true ឬ false")
    return value, bad


def _age(born: pl.Expr, today: date) -> pl.Expr:
    """Completed years on ``today`` (as ``model.age_on``)."""
    later = (born.dt.month() * 100 + born.dt.day()) > (today.month * 100 + today.day)
    return pl.lit(today.year) - born.dt.year() - later.cast(pl.Int32)


def _valid_values(series: pl.Series, test: object) -> list[str]:
    """Distinct values of ``series`` for which ``test(value)`` holds (one call per value)."""
    return [v for v in series.drop_nulls().unique().to_list() if test(v)]  # type: ignore[operator]


def validate_household_rows(
    rows: pl.DataFrame, today: date, villages: pl.Series, scope: str
) -> pl.DataFrame:
    """Parse and check every row of a chunk on its own (no database, no other rows): adds the
    typed columns (``_dob``, ``_idpoor_level`` ...), the normalised identifiers (``_id_<type>``)
    and ``_errors``."""
    relationships = [r.value for r in Relationship]
    employment = [e.value for e in EmploymentType]
    domains = [d.value for d in FunctionalDomain]
    dob, dob_bad = _date("date_of_birth")
    edd, edd_bad = _date("expected_delivery_date")
    vfrom, vfrom_bad = _date("idpoor_valid_from")
    vto, vto_bad = _date("idpoor_valid_to")
    est, est_bad = _bool("dob_estimated")
    dis, dis_bad = _bool("disability")
    preg, preg_bad = _bool("pregnant")
    level_text = pl.col("idpoor_level")
    frame = rows.with_columns(
        _dob=dob, _edd=edd, _vfrom=vfrom, _vto=vto, _dob_estimated=est, _disability=dis,
        _pregnant=preg,
        _idpoor_level=pl.when(level_text.is_in(["1", "2"])).then(level_text.cast(pl.Int16)),
        _sex=pl.col("sex").str.to_uppercase(),
        _relationship=pl.col("relationship").str.to_lowercase(),
        _employment=pl.col("employment_type").str.to_lowercase().fill_null("none"),
        _domains=pl.col("functional_difficulties").str.to_lowercase().str.split(";")
        .list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != "")).fill_null([]),
    )
    checks: list[pl.Expr] = [
        dob_bad, edd_bad, vfrom_bad, vto_bad, est_bad, dis_bad, preg_bad,
        *(_required(f) for f in ("household_key", "person_key", "village_code", "relationship",
                                 "sex", "date_of_birth")),
        _too_long("household_key", max_len(household, "external_key")),
        _too_long("person_key", max_len(person, "external_key")),
        _too_long("enterprise_key", max_len(enterprise, "external_key")),
        _too_long("address_detail", max_len(household, "address_detail")),
        _too_long("idpoor_card_number", max_len(household, "idpoor_card_number")),
        _too_long("occupation", max_len(person, "occupation")),
        *nul_checks(c for c in HOUSEHOLD_COLUMNS if c in rows.columns),
    ]
    # area
    checks.append(check(
        pl.col("village_code").is_not_null() & ~pl.col("village_code").is_in(villages.implode()),
        "village_code", "is not a village code in the gazetteer (8 digits, e.g. 12010101)",
        "រកមិនឃើញលេខកូដភូមិក្នុងបញ្ជីរដ្ឋបាល"))
    if scope:
        checks.append(outside_scope_check(scope))
    # IDPoor (model.validate_idpoor)
    has_card_or_dates = (pl.col("idpoor_card_number").is_not_null()
                         | pl.col("_vfrom").is_not_null() | pl.col("_vto").is_not_null())
    checks += [
        check(level_text.is_not_null() & pl.col("_idpoor_level").is_null(), "idpoor_level",
              "must be 1 or 2", "កម្រិតក្រីក្រត្រូវតែ ១ ឬ ២"),
        check(level_text.is_null() & has_card_or_dates, "idpoor_level",
              "is required with an IDPoor card", "តម្រូវឱ្យមានកម្រិតក្រីក្រ"),
        check(level_text.is_not_null() & pl.col("idpoor_card_number").is_null(),
              "idpoor_card_number", "is required with an IDPoor level",
              "តម្រូវឱ្យមានលេខប័ណ្ណសមធម៌"),
        check(level_text.is_not_null() & (pl.col("_vto") < pl.col("_vfrom")), "idpoor_valid_to",
              "is before idpoor_valid_from", "កាលបរិច្ឆេទផុតកំណត់មុនថ្ងៃចាប់ផ្តើម"),
    ]
    # person (model.validate_person)
    checks.append(check(pl.col("relationship").is_not_null()
                        & ~pl.col("_relationship").is_in(relationships), "relationship",
                        "must be one of " + ", ".join(sorted(relationships)),
                        "ទំនាក់ទំនងមិនត្រឹមត្រូវ"))
    for script, test, en, km in (
        ("latin", is_latin_name, "must be written in Latin letters", "ត្រូវសរសេរជាអក្សរឡាតាំង"),
        ("km", is_khmer_text, "must be written in Khmer script", "ត្រូវសរសេរជាអក្សរខ្មែរ"),
    ):
        for part in ("family", "given"):
            col = f"{part}_name_{script}"
            checks.append(_too_long(col, max_len(person, col)))
            good = _valid_values(frame[col], test)
            checks.append(check(pl.col(col).is_not_null() & ~pl.col(col).is_in(good), col, en, km))
    for part, km_word in (("family", "នាមត្រកូល"), ("given", "នាមខ្លួន")):
        checks.append(check(
            pl.col(f"{part}_name_latin").is_null() & pl.col(f"{part}_name_km").is_null(),
            f"{part}_name_latin", f"a {part} name is required in Khmer or Latin letters",
            f"តម្រូវឱ្យមាន{km_word} ជាអក្សរខ្មែរ ឬឡាតាំង"))
    sexes = [s.value for s in Sex]
    checks.append(check(pl.col("sex").is_not_null() & ~pl.col("_sex").is_in(sexes), "sex",
                        "must be F or M", "ត្រូវតែជា F ឬ M"))
    age = _age(pl.col("_dob"), today)
    future = pl.col("_dob") > pl.lit(today)
    checks += [
        check(future, "date_of_birth", "is in the future", "ថ្ងៃខែឆ្នាំកំណើតនៅពេលអនាគត"),
        check(~future & (age > MAX_AGE_YEARS), "date_of_birth",
              f"gives an age over {MAX_AGE_YEARS} years", "អាយុលើសពី ១២០ ឆ្នាំ"),
        check(~pl.col("_employment").is_in(employment), "employment_type",
              "must be formal, informal, self_employed or none", "ប្រភេទការងារមិនត្រឹមត្រូវ"),
        check(pl.col("_domains").list.eval(~pl.element().is_in(domains)).list.any(),
              "functional_difficulties", "must be one of " + ", ".join(sorted(domains)),
              "ប្រភេទពិការភាពមិនត្រឹមត្រូវ"),
        check(pl.col("_domains").list.len() > 6, "functional_difficulties",
              "has more than 6 entries", "ច្រើនជាង ៦"),
        check((pl.col("_domains").list.len() > 0) & (pl.col("_disability") == False),  # noqa: E712
              "functional_difficulties", "given while disability is 'no'",
              "មានបញ្ជាក់ពិការភាព ប៉ុន្តែពិការភាព = ទេ"),
    ]
    pregnant = pl.col("_pregnant") == True  # noqa: E712
    checks += [
        check((pl.col("_pregnant") == False) & pl.col("_edd").is_not_null(),  # noqa: E712
              "expected_delivery_date", "given for a person who is not pregnant",
              "មិនមានផ្ទៃពោះ"),
        check(pregnant & pl.col("_sex").is_not_null() & (pl.col("_sex") != Sex.FEMALE.value),
              "pregnant", "only a woman can be pregnant", "មានតែស្ត្រីទេដែលអាចមានផ្ទៃពោះ"),
        check(pregnant & (pl.col("_sex") == Sex.FEMALE.value) & ~future
              & ((age < PREGNANCY_AGE[0]) | (age > PREGNANCY_AGE[1])), "pregnant",
              f"age must be {PREGNANCY_AGE[0]} to {PREGNANCY_AGE[1]} for a pregnancy",
              "អាយុមិនសមស្របនឹងការមានផ្ទៃពោះ"),
        check(pregnant & pl.col("expected_delivery_date").is_null(), "expected_delivery_date",
              "is required when pregnant", "តម្រូវឱ្យមានថ្ងៃរំពឹងសម្រាល"),
        check(pregnant & ((pl.col("_edd") - pl.lit(today)).dt.total_days()
                          > MAX_WEEKS_TO_DELIVERY * 7), "expected_delivery_date",
              f"is more than {MAX_WEEKS_TO_DELIVERY} weeks away", "ថ្ងៃរំពឹងសម្រាលឆ្ងាយពេក"),
    ]
    # identifiers (model.normalise_identifier)
    ids = {f"_id_{col}": normalise_column(t, frame[col]) for col, t in IDENTIFIER_COLUMNS.items()}
    frame = frame.with_columns(**ids)
    for col, t in IDENTIFIER_COLUMNS.items():
        if t is IdentifierType.PHONE:
            en = "is not a valid Cambodian phone number (+855 and 8 or 9 digits)"
            km = "មិនមែនជាលេខទូរស័ព្ទកម្ពុជាត្រឹមត្រូវ (+855 និងលេខ ៨ ឬ ៩ ខ្ទង់)"
        elif t is IdentifierType.NATIONAL_ID:
            en, km = "must be 9 or 10 digits", "ត្រូវតែជាលេខ ៩ ឬ ១០ ខ្ទង់"
        elif t is IdentifierType.BIRTH_CERTIFICATE:
            en, km = "must be 3 to 40 letters, digits, '-' or '/'", "ត្រូវតែជាអក្សរ ឬលេខ ៣ ដល់ ៤០ តួ"
        else:
            en, km = "must be 4 to 32 letters, digits, '-' or '/'", "ត្រូវតែជាអក្សរ ឬលេខ ៤ ដល់ ៣២ តួ"
        checks.append(check(pl.col(col).is_not_null() & pl.col(f"_id_{col}").is_null(),
                            col, en, km))
    return add_errors(frame, checks)


def validate_households_together(frame: pl.DataFrame) -> pl.DataFrame:
    """Checks across the rows of each household and of the chunk: rows contiguous, the same
    household fields on every row, exactly one head (``model.validate_members``), a person key
    and a unique identifier given once."""
    key = pl.col("household_key")
    frame = frame.with_columns(
        _run=(key != key.shift(1)).fill_null(True).cum_sum(),
    )
    checks: list[pl.Expr] = [
        check(pl.col("_run").n_unique().over("household_key") > 1, "household_key",
              "rows of this household are not together in the file; put them one after another",
              "ជួរនៃគ្រួសារនេះមិននៅជាប់គ្នាក្នុងឯកសារ"),
    ]
    for f in HOUSEHOLD_ROW_FIELDS:
        first = pl.col(f).first().over("_run")
        differs = (pl.col(f) != first) | (pl.col(f).is_null() != first.is_null())
        checks.append(check(differs, f, "differs from the first row of the same household",
                            "ខុសពីជួរទីមួយនៃគ្រួសារដដែល"))
    is_head = pl.col("_relationship") == Relationship.HEAD.value
    heads = is_head.cast(pl.Int32).sum().over("_run")
    head_no = is_head.cast(pl.Int32).cum_sum().over("_run")
    known = pl.col("_relationship").is_in([r.value for r in Relationship])
    checks += [
        check(is_head & (head_no > 1), "relationship", "the household already has a head",
              "គ្រួសារមានមេគ្រួសាររួចហើយ"),
        check((heads == 0) & known.all().over("_run"), "relationship",
              "exactly one member must be the head", "ត្រូវមានមេគ្រួសារម្នាក់"),
        check(pl.col("person_key").is_not_null()
              & ~pl.col("person_key").is_first_distinct(), "person_key",
              "appears more than once in the file", "មានច្រើនជាងម្តងក្នុងឯកសារ"),
    ]
    for col, t in IDENTIFIER_COLUMNS.items():
        if t is IdentifierType.PHONE:
            continue
        c = pl.col(f"_id_{col}")
        checks.append(check(c.is_not_null() & ~c.is_first_distinct(), col,
                            "is given for another person earlier in the file",
                            "លេខសម្គាល់នេះបានផ្តល់ឱ្យបុគ្គលម្នាក់ទៀតរួចហើយ"))
    return add_errors(frame, checks)


def name_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """``name_key``, ``name_skeleton``, ``name_km_key`` as ``names.person_name_keys``, computed
    once per distinct name part (the keys of a full name are the keys of its parts joined)."""
    out: dict[str, pl.Expr] = {}
    parts: dict[str, pl.Expr] = {}
    for col in ("family_name_latin", "given_name_latin"):
        values = frame[col].drop_nulls().unique().to_list()
        keys = {v: person_name_keys(v, None, None, None) for v in values}
        parts[col + "_k"] = pl.col(col).replace_strict(
            {v: k[0] for v, k in keys.items()}, default="", return_dtype=pl.String)
        parts[col + "_s"] = pl.col(col).replace_strict(
            {v: k[1] for v, k in keys.items()}, default="", return_dtype=pl.String)
    for col in ("family_name_km", "given_name_km"):
        values = frame[col].drop_nulls().unique().to_list()
        kmap = {v: person_name_keys(None, None, v, None)[2] for v in values}
        parts[col + "_k"] = pl.col(col).replace_strict(kmap, default="", return_dtype=pl.String)
    out["name_key"] = parts["family_name_latin_k"] + parts["given_name_latin_k"]
    out["name_skeleton"] = parts["family_name_latin_s"] + parts["given_name_latin_s"]
    out["name_km_key"] = parts["family_name_km_k"] + parts["given_name_km_k"]
    return frame.with_columns(**out)


def first_error_fields(errors: Iterable[str]) -> tuple[str, str]:
    """(error_field, error_reason) cells of a reject row from its error texts."""
    fields: list[str] = []
    reasons: list[str] = []
    for e in errors:
        field, en, km = e.split(SEP)
        if field not in fields:
            fields.append(field)
        reasons.append(f"{field}: {en} / {km}")
    return ";".join(fields), " | ".join(reasons)
