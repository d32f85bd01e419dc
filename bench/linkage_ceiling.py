"""How high any engine's cluster F1 can go on a ``spmis synth`` list: the classes of true
duplicate pairs that nothing in the records separates from namesakes, and the ceiling they set.

    .venv/bin/python bench/linkage_ceiling.py                         # 1,000,000 records
    .venv/bin/python bench/linkage_ceiling.py --folder DIR            # people.csv, truth.csv

The bound is generous to the engine: every true pair outside the classes below counts as found
and no false pair is made anywhere, except in the two namesake classes, where it may decide by
how common the name is as well as an oracle could. Pairs are in different communes, with the
same sex, and share no phone, identifier or address (a moved record that kept its old
address):

1. the same Latin full name and the same exact date of birth;
2. the same Latin full name and the same year of birth, the dates differing (a year alone, an
   estimated date);
3. a different name or spelling and another date: lost (nothing is left to link them by).

Classes 1 and 2 are grouped by the number of holders of the name and joined group by group,
best true share first; the best F1 of any such prefix is the ceiling.
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
              "or coalesce(a.national_id = b.national_id, false) "
              "or coalesce(a.address = b.address, false))")
    apart = (f"substr(a.village_code, 1, 6) <> substr(b.village_code, 1, 6) "
             f"and a.sex = b.sex and not {shared}")
    same_year = "substr(a.date_of_birth, 1, 4) = substr(b.date_of_birth, 1, 4)"
    true_pairs, moved, lost = con.execute(f"""
        select count(*),
               count(*) filter (where substr(a.village_code, 1, 6)
                                      <> substr(b.village_code, 1, 6)),
               count(*) filter (where {apart} and a.date_of_birth <> b.date_of_birth
                                and not (a.name = b.name and {same_year}))
        from r as a join r as b on a.entity_id = b.entity_id and a.person_key < b.person_key
        """).fetchall()[0]
    groups = con.execute(f"""
        with holders as (select name, count(*) as n from r group by name)
        select a.date_of_birth = b.date_of_birth as exact, h.n,
               count(*) filter (where a.entity_id = b.entity_id) as true_pairs,
               count(*) filter (where a.entity_id <> b.entity_id) as namesakes
        from r as a join r as b
          on a.name = b.name and {same_year} and a.person_key < b.person_key and {apart}
        join holders as h on h.name = a.name
        group by all""").fetchall()
    in_class = {e: sum(t for x, _, t, _ in groups if x == e) for e in (True, False)}
    namesakes = {e: sum(f for x, _, _, f in groups if x == e) for e in (True, False)}
    tp, fp = true_pairs - lost - sum(in_class.values()), 0

    def f1(tp: int, fp: int) -> float:
        return 2 * tp / (2 * tp + fp + (true_pairs - tp))

    best = (f1(tp, fp), tp, fp)
    for _, _, t, f in sorted(groups, key=lambda g: -g[2] / (g[2] + g[3])):
        tp, fp = tp + t, fp + f
        best = max(best, (f1(tp, fp), tp, fp))
    print(f"true duplicate pairs {true_pairs:,}; moved out of the commune {moved:,}")
    print(f"1. same name and exact date: {in_class[True]:,} true pairs, "
          f"{namesakes[True]:,} namesakes")
    print(f"2. same name and year, dates differ: {in_class[False]:,} true pairs, "
          f"{namesakes[False]:,} namesakes")
    print(f"3. another name and another date, nothing shared (lost): {lost:,}")
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
