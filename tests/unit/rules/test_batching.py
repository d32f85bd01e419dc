"""Public checks answered together: ``Batcher`` gathers what arrives while it computes, and
``screen_many`` computes several households in one simulation with the same answers as alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from spmis.errors import InvalidInput
from spmis.rules.batching import Batcher
from spmis.rules.screener import ScreenerRequest, screen, screen_many


def test_items_arriving_while_a_batch_is_computed_form_the_next_batch() -> None:
    release, started = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def compute(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            started.set()
            release.wait(5)  # the first batch is slow: the others queue meanwhile
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(compute, most=4)

    async def main() -> list[int]:
        first = asyncio.ensure_future(batcher.submit(0))
        # the others arrive once the first batch is being computed (waited for, not assumed
        # after a fixed sleep: on a loaded machine 50 ms was not always enough)
        assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        rest = [asyncio.ensure_future(batcher.submit(i)) for i in range(1, 7)]
        await asyncio.sleep(0.05)  # the loop runs the six submissions before this returns
        release.set()
        return list(await asyncio.gather(first, *rest))

    assert asyncio.run(main()) == [0, 10, 20, 30, 40, 50, 60]  # each caller its own result
    assert batches[0] == [0]  # a lone item is computed at once, alone
    assert batches[1:] == [[1, 2, 3, 4], [5, 6]]  # then the waiting ones, ``most`` at a time


def test_an_item_that_fails_fails_only_its_caller() -> None:
    def compute(items: Sequence[int]) -> list[int]:
        if 3 in items:
            raise ValueError("three")
        return [i + 1 for i in items]

    batcher: Batcher[int, int] = Batcher(compute)

    async def main() -> list[Any]:
        return list(await asyncio.gather(*(batcher.submit(i) for i in range(6)),
                                         return_exceptions=True))

    results = asyncio.run(main())
    assert results[:3] + results[4:] == [1, 2, 3, 5, 6]
    assert isinstance(results[3], ValueError)


def _requests() -> list[ScreenerRequest]:
    bodies: list[dict[str, Any]] = [
        {"period": "2026-11", "idpoor_level": 1, "commune_code": "120101", "members": [
            {"age": 34, "sex": "female", "pregnant": True, "babies_expected": 2},
            {"age": 1, "sex": "male"}]},
        {"period": "2021-03", "idpoor_level": 2, "commune_code": "010201",
         "flood_affected": True, "members": [
             {"age": 45, "sex": "male", "disability": True}, {"age": 70, "sex": "female"},
             {"age": 12, "sex": "female", "school_level": "primary"}]},
        {"period": "2026-11", "idpoor_level": 0, "commune_code": "170101", "members": [
            {"age": 62, "sex": "male", "employment": "employee", "nssf_member": True,
             "monthly_wage_khr": 1_500_000, "nssf_contribution_months": 240},
            {"age": 30, "sex": "female", "employment": "employee", "nssf_member": True,
             "pregnant": True, "monthly_wage_khr": 900_000}]},
        {"period": "2026-11", "idpoor_level": 1, "commune_code": "999999",  # unknown commune
         "members": [{"age": 40, "sex": "male", "pregnant": True}]},
        {"idpoor_level": 2, "commune_code": "120101", "members": [  # this month
            {"date_of_birth": "2025-02-03", "sex": "female"}, {"age": 22, "sex": "female",
                                                               "living_with_hiv": True}]},
    ]
    return [ScreenerRequest(**b) for b in bodies]


def test_households_checked_together_get_the_answers_they_get_alone() -> None:
    requests = _requests()
    together = screen_many(requests + requests[::-1])
    for request, answer in zip(requests + requests[::-1], together, strict=True):
        if isinstance(answer, InvalidInput):
            with pytest.raises(InvalidInput) as alone_refused:
                screen(request)
            assert [e.loc for e in answer.errors] == [e.loc for e in alone_refused.value.errors]
            continue
        assert answer.model_dump() == screen(request).model_dump()
    # the answers differ between the households: nothing of one leaked into another
    amounts = {tuple(p.amount for p in a.programmes) for a in together
               if not isinstance(a, InvalidInput)}
    assert len(amounts) == 4


def test_a_bad_household_among_good_ones_is_refused_alone() -> None:
    requests = _requests()
    answers = screen_many(requests)
    assert isinstance(answers[3], InvalidInput)
    assert {e.loc[-1] for e in answers[3].errors} == {"commune_code", "pregnant"}
    assert all(not isinstance(a, InvalidInput) for i, a in enumerate(answers) if i != 3)
    with pytest.raises(InvalidInput):
        screen(requests[3])
