"""A long list is scored in parts (part of the records against part, each part's candidate
pairs dropped once scored) so DuckDB never holds every candidate pair at once. The parts must
give what one piece gives: the same pairs scored, the same pairs kept with the same
probabilities, the same clusters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from spmis.linkage import engine
from spmis.synth.generator import generate

ROLES = {"family_name", "given_name", "family_name_km", "given_name_km", "date_of_birth", "sex",
         "village_code"}


def _run(folder: Path, part_records: int) -> tuple[int, list[tuple[str, str, float]],
                                                      list[tuple[str, str]], int]:
    con = engine.connect(memory_limit="1GB")
    con.execute(f"""create table people as select person_key as record_id,
        coalesce(family_name_latin, family_name_km) as family_name,
        coalesce(given_name_latin, given_name_km) as given_name, family_name_km, given_name_km,
        date_of_birth, sex, village_code
        from read_csv('{folder / "households.csv"}', all_varchar = true)""")
    opts = engine.LinkageOptions(score_part_records=part_records)
    result = engine.dedupe(con, "people", ROLES, opts)
    pairs = [(a, b, round(p, 9)) for a, b, p in con.execute(
        f"select record_id_l, record_id_r, match_probability from {result.pairs} "
        "order by 1, 2").fetchall()]
    clusters = con.execute(f"select record_id, cluster_id from {result.clusters} "
                           "order by 1").fetchall()
    parts = engine.score_parts(result.records, opts)
    con.close()
    return result.pairs_scored, pairs, clusters, parts


def test_scoring_in_parts_gives_what_one_piece_gives(tmp_path: Path) -> None:
    generate(households=700, seed=7, out_dir=tmp_path, duplicate_share=0.15,
             as_of=date(2025, 1, 1))
    scored, pairs, clusters, one = _run(tmp_path, 10_000_000)
    scored3, pairs3, clusters3, three = _run(tmp_path, 1_200)  # 3 parts a side: 9 pieces
    assert (one, three) == (1, 3)
    assert scored > 1000 and len(pairs) > 100  # the list has duplicates to find
    assert scored3 == scored
    assert pairs3 == pairs
    assert clusters3 == clusters
