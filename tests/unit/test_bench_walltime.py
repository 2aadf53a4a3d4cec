"""The benchmarks' interleaving and paired ratios (bench/walltime.py)."""

from __future__ import annotations

import walltime


def test_mirrored_rounds_reverse_the_order_every_other_round():
    calls: list[str] = []

    def step(name: str, value: float):
        return lambda: calls.append(name) or value

    runs = walltime.alternate(4, step("a", 1.0), step("b", 2.0), mirrored=True)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert runs == [[1.0] * 4, [2.0] * 4]


def test_plain_rounds_keep_the_order():
    calls: list[str] = []
    walltime.alternate(2, lambda: calls.append("a") or 0.0, lambda: calls.append("b") or 0.0)
    assert calls == ["a", "b", "a", "b"]


def test_paired_ratio_is_the_median_of_each_rounds_ratio():
    # The machine is twice as slow in the last two rounds. The ratio of the medians takes the
    # workflow's middle run (3.3 s, a noisy round) over the chain's (2.0 s): 1.65. Round by
    # round the workflow is 1.5 x the chain but once.
    workflow = [3.0, 3.0, 3.3, 6.0, 6.0]
    chain = [2.0, 2.0, 2.0, 4.0, 4.0]
    assert walltime.paired_ratio(workflow, chain) == 1.5
    assert walltime.paired_ratio([1.0, 9.0, 2.0], [1.0, 1.0, 1.0]) == 2.0
