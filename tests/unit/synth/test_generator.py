"""The synthetic population: shape, determinism, validity of every value, duplicate truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from spmis.gazetteer import gazetteer
from spmis.names import is_khmer_text, is_latin_name
from spmis.registry.fileformat import ENTERPRISE_COLUMNS, HOUSEHOLD_COLUMNS
from spmis.registry.identifiers import parse_cambodian_phone
from spmis.synth.generator import PEOPLE_COLUMNS, generate
from spmis.synth.names_data import FAMILY_NAMES, GIVEN_NAMES

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    generate(households=4000, seed=11, out_dir=folder, duplicate_share=0.15, as_of=AS_OF)
    return folder


def read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / name, infer_schema=False)


def test_files_and_columns(out: Path) -> None:
    assert tuple(read(out, "households.csv").columns) == HOUSEHOLD_COLUMNS
    assert tuple(read(out, "enterprises.csv").columns) == ENTERPRISE_COLUMNS
    assert tuple(read(out, "people.csv").columns) == PEOPLE_COLUMNS
    assert read(out, "truth.csv").columns == ["person_key", "entity_id"]


def test_shape(out: Path) -> None:
    rows = read(out, "households.csv")
    truth = read(out, "truth.csv")
    originals = truth.filter(pl.col("entity_id").cast(pl.Int64).is_first_distinct())
    orig_rows = rows.join(originals.select("person_key"), on="person_key")
    mean_size = orig_rows.height / rows["household_key"].n_unique()
    assert 4.0 <= mean_size <= 4.4
    hh = rows.group_by("household_key").agg(pl.col("idpoor_level").first())
    share = hh["idpoor_level"].is_not_null().mean()
    assert share is not None and 0.12 <= float(share) <= 0.18
    levels = hh["idpoor_level"].drop_nulls().value_counts()
    assert set(levels["idpoor_level"]) == {"1", "2"}
    people = orig_rows.with_columns(pl.col("date_of_birth").str.to_date())
    age = (pl.lit(AS_OF) - pl.col("date_of_birth")).dt.total_days() / 365.25
    stats = people.select(
        ratio=(pl.col("sex") == "M").sum() / (pl.col("sex") == "F").sum(),
        under15=(age < 15).mean(),
        over65=(age >= 65).mean(),
        disability=(pl.col("disability") == "true").mean(),
        pregnant=(pl.col("pregnant") == "true").sum()
        / ((pl.col("sex") == "F") & (age >= 15) & (age <= 45)).sum(),
    ).row(0, named=True)
    assert 0.9 <= stats["ratio"] <= 1.0
    assert 0.25 <= stats["under15"] <= 0.36
    assert stats["over65"] <= 0.1
    assert 0.03 <= stats["disability"] <= 0.08
    assert 0.015 <= stats["pregnant"] <= 0.045
    assert set(rows["employment_type"]) == {"formal", "informal", "self_employed", "none"}
    # formal workers link to an enterprise in enterprises.csv
    ents = set(read(out, "enterprises.csv")["enterprise_key"])
    linked = set(rows["enterprise_key"].drop_nulls())
    assert linked and linked <= ents


def test_provinces_follow_population(out: Path) -> None:
    rows = read(out, "households.csv").unique("household_key")
    share = rows["village_code"].str.slice(0, 2).value_counts(normalize=True)
    pp = share.filter(pl.col("village_code") == "12")["proportion"][0]
    kep = share.filter(pl.col("village_code") == "23")["proportion"][0]
    assert 0.11 <= pp <= 0.19  # 2.28M of 15.55M
    assert kep < 0.01
    g = gazetteer()
    assert all(g.is_village(v) for v in rows["village_code"])


def test_duplicates_and_truth(out: Path) -> None:
    truth = read(out, "truth.csv")
    people = read(out, "people.csv")
    assert truth["person_key"].n_unique() == truth.height == people.height
    groups = truth.group_by("entity_id").len()
    dups = int((groups["len"] - 1).sum())
    originals = groups.height
    assert abs(dups / originals - 0.15) < 0.01
    # a duplicate never repeats a unique identifier
    nid = people["national_id"].drop_nulls()
    assert nid.n_unique() == nid.len()
    assert nid.str.contains(r"^\d{9}$").all()
    # duplicates carry typos: not every duplicate pair has identical Latin names and birth date
    pairs = truth.join(people, on="person_key").group_by("entity_id").agg(
        pl.col("family_name_latin").n_unique().alias("fam"),
        pl.col("given_name_latin").n_unique().alias("giv"),
        pl.col("date_of_birth").n_unique().alias("dob"), pl.len().alias("n"),
    ).filter(pl.col("n") > 1)
    differing = pairs.filter((pl.col("fam") > 1) | (pl.col("giv") > 1) | (pl.col("dob") > 1))
    assert differing.height / pairs.height > 0.4


def test_values_are_valid(out: Path) -> None:
    rows = read(out, "households.csv")
    for col, test in (("family_name_latin", is_latin_name), ("given_name_latin", is_latin_name),
                      ("family_name_km", is_khmer_text), ("given_name_km", is_khmer_text)):
        assert all(test(v) for v in rows[col].drop_nulls().unique())
    phones = rows["phone"].drop_nulls().unique().to_list()
    assert phones and all(parse_cambodian_phone(p) for p in phones)
    heads = rows.group_by("household_key").agg((pl.col("relationship") == "head").sum())
    assert (heads["relationship"] == 1).all()
    preg = rows.filter(pl.col("pregnant") == "true")
    assert (preg["sex"] == "F").all() and preg["expected_delivery_date"].is_not_null().all()
    for col in ("nssf_member", "birth_certificate"):
        values = rows[col].drop_nulls()
        assert values.n_unique() == values.len()


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(households=300, seed=seed, out_dir=tmp_path / name, as_of=AS_OF)
    for f in ("households.csv", "enterprises.csv", "people.csv", "truth.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert (tmp_path / "a" / "households.csv").read_bytes() != (
        tmp_path / "c" / "households.csv").read_bytes()


def test_name_tables_are_large_and_valid() -> None:
    assert len(FAMILY_NAMES) >= 40 and len(GIVEN_NAMES) >= 80
    for km, latin, *_ in (*FAMILY_NAMES, *GIVEN_NAMES):
        assert is_khmer_text(km)
        assert len(latin) >= 2 and all(is_latin_name(v) for v in latin)


def test_no_duplicates_when_share_is_zero(tmp_path: Path) -> None:
    summary = generate(households=200, seed=1, out_dir=tmp_path, duplicate_share=0.0,
                       as_of=AS_OF)
    truth = read(tmp_path, "truth.csv")
    assert truth["entity_id"].n_unique() == truth.height == summary.people
    assert "200 households" in str(summary)


def _moved_pairs(folder: Path) -> pl.DataFrame:
    people = read(folder, "people.csv").join(read(folder, "truth.csv"), on="person_key")
    pairs = people.join(people, on="entity_id", suffix="_b").filter(
        pl.col("person_key") < pl.col("person_key_b"))
    return pairs.filter(pl.col("village_code").str.slice(0, 6)
                        != pl.col("village_code_b").str.slice(0, 6))


def test_moves_follow_the_destination_table(out: Path) -> None:
    from spmis.synth.moves_data import MOVE_DESTINATIONS

    moved = _moved_pairs(out)
    assert moved.height > 100
    # a duplicate is written after its original: the later record is where the person went
    later = moved.select(pl.col("village_code_b").str.slice(0, 2).alias("p"))
    shares = later["p"].value_counts(normalize=True).sort("proportion", descending=True)
    assert shares["p"][0] == "12"  # Phnom Penh first
    top = set(shares["p"].head(6).to_list())
    assert len(top & set(MOVE_DESTINATIONS[-1].shares)) >= 5
    assert MOVE_DESTINATIONS[-1].source  # sourced or marked assumed


def test_some_moved_records_keep_a_phone_or_their_old_address(out: Path) -> None:
    moved = _moved_pairs(out)
    phone = moved.filter(pl.col("phone") == pl.col("phone_b")).height
    address = moved.filter(pl.col("address") == pl.col("address_b")).height
    assert 0.05 * moved.height < phone < 0.5 * moved.height
    assert 0.05 * moved.height < address < 0.5 * moved.height
