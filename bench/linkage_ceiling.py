"""How high any engine's cluster F1 can go on a ``spmis synth`` list: the classes of true
duplicate pairs that nothing in the records separates from namesakes, and the ceiling they set.

    .venv/bin/python bench/linkage_ceiling.py                         # 1,000,000 records
    .venv/bin/python bench/linkage_ceiling.py --folder DIR            # people.csv, truth.csv

The bound is generous to the engine: every true pair outside the classes below counts as found
and no false pair is made anywhere, except in the namesake class, where it may decide by how
common the name is as well as an oracle could.

1. True pairs moved out of their commune with another date of birth (a year alone, a year off)
   and no shared phone or identifier: not candidates for an engine whose country-wide blocks
   need the name and the exact date (a name and a year across the country makes blocks that
   grow with the square of the list); counted as lost.
2. Pairs in different communes with the same Latin full name, the same exact date and the same
   sex, sharing no phone or identifier: true duplicates and namesakes alike. Grouped by the
   number of holders of the name, joined group by group, best true share first; the best F1 of
   any such prefix is the ceiling.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb

AVG_HOUSEHOLD = 4.27  # people per household in spmis synth


def ceiling(folder: Path) -> None:
    con = duckdb.connect()
    con.execute(f"""create table r as
        select p.*, lower(p.family_name_latin || ' ' || p.given_name_latin) as name,
               t.entity_id
        from read_csv('{folder / 'people.csv'}', all_varchar = true) as p
        join read_csv('{folder / 'truth.csv'}', all_varchar = true) as t using (person_key)""")
    shared = ("(coalesce(a.phone = b.phone, false) "
              "or coalesce(a.national_id = b.national_id, false))")
    other_commune = "substr(a.village_code, 1, 6) <> substr(b.village_code, 1, 6)"
    true_pairs, moved, lost = con.execute(f"""
        select count(*), count(*) filter (where {other_commune}),
               count(*) filter (where {other_commune} and a.date_of_birth <> b.date_of_birth
                                and not {shared})
        from r as a join r as b on a.entity_id = b.entity_id and a.person_key < b.person_key
        """).fetchall()[0]
    groups = con.execute(f"""
        with holders as (select name, count(*) as n from r group by name)
        select h.n, count(*) filter (where a.entity_id = b.entity_id) as true_pairs,
               count(*) filter (where a.entity_id <> b.entity_id) as namesakes
        from r as a join r as b
          on a.name = b.name and a.date_of_birth = b.date_of_birth and a.sex = b.sex
         and a.person_key < b.person_key and {other_commune} and not {shared}
        join holders as h on h.name = a.name
        group by h.n""").fetchall()
    in_class = sum(t for _, t, _ in groups)
    namesakes = sum(f for _, _, f in groups)
    tp, fp = true_pairs - lost - in_class, 0

    def f1(tp: int, fp: int) -> float:
        return 2 * tp / (2 * tp + fp + (true_pairs - tp))

    best = (f1(tp, fp), tp, fp)
    for _, t, f in sorted(groups, key=lambda g: -g[1] / (g[1] + g[2])):
        tp, fp = tp + t, fp + f
        best = max(best, (f1(tp, fp), tp, fp))
    print(f"true duplicate pairs {true_pairs:,}; moved out of the commune {moved:,}")
    print(f"1. moved, another date, no shared phone or identifier (not candidates): {lost:,}")
    print(f"2. other commune, same name, exact date and sex, nothing shared: {in_class:,} true "
          f"pairs, {namesakes:,} namesakes")
    print(f"ceiling: F1 {best[0]:.4f} (precision {best[1] / (best[1] + best[2]):.4f}, "
          f"recall {best[1] / true_pairs:.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="records to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", type=Path, default=None,
                        help="use people.csv and truth.csv already written here")
    args = parser.parse_args()
    if args.folder is not None:
        ceiling(args.folder)
        return
    from spmis.synth.generator import generate

    with tempfile.TemporaryDirectory(prefix="spmis-ceiling-") as tmp:
        folder = Path(tmp)
        generate(households=max(1, round(args.people / 1.15 / AVG_HOUSEHOLD)), seed=args.seed,
                 out_dir=folder, duplicate_share=0.15)
        ceiling(folder)


if __name__ == "__main__":
    main()
