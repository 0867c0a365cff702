"""The arena's bootstraps: evaluate.bootstrap_bradley_terry and evaluate.bootstrap_elo against the general
evaluate.bootstrap_ratings with bradley_terry and with the online Elo (lesson 12's benchmark).

Each pair draws the same resampled battle sets and must give the same intervals (checked). The general one rates
each resampled list of battles in turn; the fast Bradley-Terry refits on the resample's win matrix, the fast Elo
plays all rounds at once, one battle position at a time. Battles: five models of
known strength, every pair on 450 prompts (4,500 battles, the size of the evaluate stage's arena), winners drawn
from the Bradley-Terry model with ties when the two draws agree. Pairs of timings alternate (slow, fast, fast,
slow, ...) so that other work on the machine slows both alike; printed: the median seconds per 100 rounds and the
median of the back-to-back ratios. Target: each fast one >= 5x.

    python benchmarks/bench_arena.py [--repeats 5] [--rounds 100]
"""

import argparse
import functools
import itertools
import statistics
import time

import numpy as np

from minillm import evaluate

STRENGTHS = {"A": 1.0, "B": 0.6, "C": 0.3, "D": 0.0, "E": -1.0}  # log strengths


def battles(prompts: int = 450, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i, (a, b) in itertools.product(range(prompts), itertools.combinations(STRENGTHS, 2)):
        p_a = 1 / (1 + np.exp(STRENGTHS[b] - STRENGTHS[a]))
        first, second = rng.random() < p_a, rng.random() < p_a  # two judges; a tie when they disagree
        out.append({"a": a, "b": b, "winner": "a" if first and second else "b" if not (first or second) else "tie",
                    "prompt": str(i)})
    return out


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(arena: list[dict], rating: str, general, fast, repeats: int, rounds: int) -> None:
    """Time general() and fast() in alternation after checking that they give the same intervals; print both."""
    slow_intervals, fast_intervals = general(), fast()
    assert all(np.allclose(slow_intervals[m], fast_intervals[m], atol=1e-6) for m in slow_intervals), \
        f"the two {rating} bootstraps disagree"
    times = {"general": [], "fast": []}
    for repeat in range(repeats):
        for name in (["general", "fast"] if repeat % 2 == 0 else ["fast", "general"]):
            times[name].append(seconds(general if name == "general" else fast))
    per_100 = {name: 100 / rounds * statistics.median(t) for name, t in times.items()}
    ratio = statistics.median(g / f for g, f in zip(times["general"], times["fast"]))
    print(f"{rating}, {len(arena):,} battles, {rounds} rounds, same intervals: yes")
    print(f"  bootstrap_ratings: {per_100['general']:.2f} s per 100 rounds")
    print(f"  the fast one:      {per_100['fast']:.2f} s per 100 rounds")
    print(f"  speed-up: {ratio:.1f}x (target >= 5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    arena, rounds = battles(), args.rounds
    compare(arena, "Bradley-Terry",
            lambda: evaluate.bootstrap_ratings(arena, evaluate.bradley_terry, rounds, seed=1),
            lambda: evaluate.bootstrap_bradley_terry(arena, rounds, seed=1), args.repeats, rounds)
    in_drawn_order = functools.partial(evaluate.elo_ratings, seed=None)
    compare(arena, "online Elo",
            lambda: evaluate.bootstrap_ratings(arena, in_drawn_order, rounds, seed=1),
            lambda: evaluate.bootstrap_elo(arena, rounds, seed=1), args.repeats, rounds)


if __name__ == "__main__":
    main()
