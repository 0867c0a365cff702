"""The evaluation of lesson 12: how good each chatbot is, and how sure we can be of it.

Benchmarks ask every model the held-out questions whose answers a checker can verify: an accuracy per kind of
question, with its 95 % Wilson interval. The arena, as LMSYS's Chatbot Arena runs it, shows two anonymous models
the same prompt and lets a judge pick the better reply (the checker, the reward model, or a learner's vote); the
battles become ratings, the online Elo and the Bradley-Terry maximum likelihood, with bootstrap intervals, in a
leaderboard. Perplexity on held-out text, the measure of pretraining, is kept for comparison.
"""

import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from minillm.errors import UserError
from minillm.files import atomic_write_bytes
from minillm.sft import heldout_loss

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile: 95 % of the mass lies within ±Z95
SCORE_A = {"a": 1.0, "b": 0.0, "tie": 0.5}  # what a battle's winner is worth to side a


# ----------------------------------------------------------------------------- benchmarks


class Accuracy(NamedTuple):
    mean: float
    low: float  # the 95 % interval
    high: float
    n: int


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion k / n.

    The textbook interval p ± z·sqrt(p(1-p)/n) breaks where benchmarks live: with a few dozen items, or an accuracy
    near 0 or 1, it spills below 0 or above 1, and at 0/n or n/n it has width 0, as if one run proved the model
    never (or always) right. Wilson's interval inverts the normal test instead: it holds every p for which k / n
    lies within z of p's own standard errors, sqrt(p(1-p)/n), so it stays inside [0, 1] and is honest at the edges.
    """
    p = k / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)  # the clamp only removes float rounding


def accuracy_interval(correct) -> Accuracy:
    """The share of 1s among 0/1 outcomes (or booleans), with its 95 % Wilson interval and the count."""
    if len(correct) == 0:
        raise UserError("no outcomes: an accuracy needs at least one answered item")
    if any(x not in (0, 1) for x in correct):
        raise UserError("outcomes must be 0 or 1 (or False/True), one per item")
    k, n = int(sum(correct)), len(correct)
    return Accuracy(k / n, *wilson_interval(k, n), n)


def benchmark_table(results: dict[str, dict[str, list]]) -> list[dict]:
    """{model: {kind: [0/1 per item]}} -> one row per model and kind: model, kind, accuracy, low, high, n."""
    rows = []
    for model, kinds in results.items():
        for kind, outcomes in kinds.items():
            try:
                accuracy = accuracy_interval(outcomes)
            except UserError as e:
                raise UserError(f"{model}, {kind}: {e}") from None
            rows.append({"model": model, "kind": kind, "accuracy": accuracy.mean, "low": accuracy.low,
                         "high": accuracy.high, "n": accuracy.n})
    return rows


def accuracy_cell(row: dict) -> str:
    return f"{100 * row['accuracy']:.0f} % [{100 * row['low']:.0f}–{100 * row['high']:.0f}] (n={row['n']})"


def markdown_benchmarks(rows: list[dict]) -> str:
    """The benchmark rows as a table: a row per model, a column per kind, "62 % [54–69] (n=150)" in each cell."""
    models = list(dict.fromkeys(row["model"] for row in rows))
    kinds = list(dict.fromkeys(row["kind"] for row in rows))
    cells = {(row["model"], row["kind"]): accuracy_cell(row) for row in rows}
    lines = ["| model | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
    lines += [f"| {model} | " + " | ".join(cells.get((model, kind), "–") for kind in kinds) + " |" for model in models]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- battles


def check_battle(battle, where: str) -> dict:
    """The battle, once checked to be {"a": model, "b": another model, "winner": "a" | "b" | "tie", ...}."""
    if not isinstance(battle, dict) or not all(isinstance(battle.get(side), str) for side in ("a", "b")):
        raise UserError(f'{where}: not a battle: an object with the model names "a" and "b" and a "winner"')
    if battle.get("winner") not in SCORE_A:
        raise UserError(f"{where}: the winner is {battle.get('winner')!r}; it must be 'a', 'b' or 'tie'")
    if battle["a"] == battle["b"]:
        raise UserError(f"{where}: {battle['a']!r} sits on both sides; a battle needs two different models")
    return battle


def check_battles(battles: list[dict]) -> list[dict]:
    if len(battles) == 0:
        raise UserError("no battles: a rating needs at least one battle between two models")
    for number, battle in enumerate(battles, 1):
        check_battle(battle, f"battle {number}")
    return battles


def models_of(battles: list[dict]) -> list[str]:
    """Every model that fought, in order of first appearance."""
    return list(dict.fromkeys(model for battle in battles for model in (battle["a"], battle["b"])))


def verdict(score_a: float, score_b: float, tie_margin: float = 0.0) -> str:
    """Which reply the judge prefers: "a", "b", or "tie" when their scores are within tie_margin."""
    if abs(score_a - score_b) <= tie_margin:
        return "tie"
    return "a" if score_a > score_b else "b"


def judged_scores(judge: Callable, prompts: list, replies: list, model: str) -> np.ndarray:
    scores = np.asarray(judge(prompts, replies), dtype=float)
    if scores.shape != (len(prompts),):
        raise UserError(f"the judge gave {scores.size} scores for {model}'s {len(prompts)} replies; it must give "
                        "one per reply")
    if not np.isfinite(scores).all():
        raise UserError(f"the judge gave one of {model}'s replies a NaN or infinite score")
    return scores


def make_battles(prompts: list, replies: dict[str, list], judge: Callable, tie_margin: float = 0.0,
                 n_battles: int | None = None, seed: int = 0) -> list[dict]:
    """Anonymous pairwise battles: every pair of models on every prompt (or a seeded sample of n_battles of them).

    replies[model][i] is the model's reply to prompts[i]. `judge(prompts, replies)` scores one model's replies,
    one number per reply (the checker's 0/1, a reward model's score), so a reward model can score them in batches;
    a per-reply checker becomes one with `lambda ps, rs: [check(p, r) for p, r in zip(ps, rs)]`. Each reply is
    judged once. A battle is a tie when the two scores are within tie_margin (0: only equal scores tie; a
    reward model's real-valued scores deserve a margin below which their difference means nothing). As in the
    arena, a coin decides which model sits on side a, so that a side never tells which model it is.
    """
    models = list(replies)
    if len(models) < 2:
        raise UserError(f"an arena needs at least two models; got {len(models)}")
    for model in models:
        if len(replies[model]) != len(prompts):
            raise UserError(f"{model} has {len(replies[model])} replies for {len(prompts)} prompts")
    scores = {model: judged_scores(judge, prompts, replies[model], model) for model in models}
    rng = np.random.default_rng(seed)
    pairs = [(i, first, second) for i in range(len(prompts)) for first, second in itertools.combinations(models, 2)]
    if n_battles is not None and n_battles < len(pairs):
        pairs = [pairs[j] for j in np.sort(rng.choice(len(pairs), n_battles, replace=False))]
    battles = []
    for i, first, second in pairs:
        a, b = (first, second) if rng.random() < 0.5 else (second, first)
        battles.append({"a": a, "b": b, "winner": verdict(scores[a][i], scores[b][i], tie_margin),
                        "prompt": prompts[i]})
    return battles


def win_tie_loss(battles: list[dict]) -> dict[str, list[int]]:
    """{model: [wins, ties, losses]} over the battles."""
    record = {model: [0, 0, 0] for model in models_of(battles)}
    for battle in battles:
        a_column = {"a": 0, "tie": 1, "b": 2}[battle["winner"]]  # side a's column; side b's is the mirror
        record[battle["a"]][a_column] += 1
        record[battle["b"]][2 - a_column] += 1
    return record


# ----------------------------------------------------------------------------- Elo


def expected_score(r_a: float, r_b: float) -> float:
    """The share of points a player rated r_a expects against one rated r_b: 400 points apart is 10 to 1."""
    return 1 / (1 + 10 ** ((r_b - r_a) / 400))


def elo_update(r_a: float, r_b: float, score_a: float, k: float = 32) -> tuple[float, float]:
    """Both ratings after one game in which side a scored score_a (1 a win, 0.5 a tie, 0 a loss): each moves by
    k times the surprise, score minus expected score, and what one gains the other loses."""
    if not 0 <= score_a <= 1:
        raise UserError(f"a game's score is 1 (win), 0.5 (tie) or 0 (loss), not {score_a}")
    change = k * (score_a - expected_score(r_a, r_b))
    return r_a + change, r_b - change


def elo_ratings(battles: list[dict], k: float = 4, base: float = 1000, seed: int | None = 0) -> dict[str, float]:
    """The online Elo: every model starts at `base`, and each battle in turn updates its two models.

    LMSYS's first leaderboard did this with k=4 over battles in shuffled order. The result depends on that
    order (the last battles weigh most: nothing after them corrects them), so the order is a seeded shuffle;
    seed=None keeps the order given, to replay a history by hand.
    """
    check_battles(battles)
    ratings = dict.fromkeys(models_of(battles), float(base))
    order = battles if seed is None else [battles[i] for i in np.random.default_rng(seed).permutation(len(battles))]
    for battle in order:
        a, b = battle["a"], battle["b"]
        ratings[a], ratings[b] = elo_update(ratings[a], ratings[b], SCORE_A[battle["winner"]], k)
    return ratings


# ----------------------------------------------------------------------------- Bradley-Terry


def battle_indices(battles: list[dict]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The models, in order of first appearance, and per battle (N,) each: side a's model index, side b's, and
    what side a scored (1 a win, 0.5 a tie, 0 a loss)."""
    models = models_of(battles)
    index = {model: i for i, model in enumerate(models)}
    side_a = np.array([index[battle["a"]] for battle in battles])
    side_b = np.array([index[battle["b"]] for battle in battles])
    score_a = np.array([SCORE_A[battle["winner"]] for battle in battles])
    return models, side_a, side_b, score_a


def tally(m: int, side_a: np.ndarray, side_b: np.ndarray, score_a: np.ndarray, counts=1.0) -> np.ndarray:
    """wins (M, M) of battles given by battle_indices, each counted `counts` times: wins[i, j] = how often model i
    beat model j, a tie half a win for each."""
    wins = np.zeros((m, m))
    np.add.at(wins, (side_a, side_b), score_a * counts)  # add.at, not +=: the same pair recurs
    np.add.at(wins, (side_b, side_a), (1 - score_a) * counts)
    return wins


def win_matrix(battles: list[dict]) -> tuple[list[str], np.ndarray]:
    """The models, and wins (M, M): wins[i, j] = how often model i beat model j, a tie half a win for each."""
    models, side_a, side_b, score_a = battle_indices(battles)
    return models, tally(len(models), side_a, side_b, score_a)


def log_likelihood(theta: np.ndarray, wins: np.ndarray) -> float:
    """sum over i, j of wins[i, j] · log P(i beats j), where P(i beats j) = σ(θ_i - θ_j) and θ = ln p."""
    return -float((wins * np.logaddexp(0.0, theta[None, :] - theta[:, None])).sum())


def bradley_terry(battles: list[dict], base: float = 1000, anchor: str | None = None, prior: float = 0.01,
                  tol: float = 1e-9, max_iter: int = 100) -> dict[str, float]:
    """Bradley-Terry ratings on the Elo scale: the maximum-likelihood strengths p, where model i beats model j
    with probability p_i / (p_i + p_j), reported as base + 400·log10 p (so 400 points apart is again 10 to 1).

    Fitted by Newton's method on the log-likelihood in the log strengths θ = ln p, where it is concave (this is
    a logistic regression on the battles): a dozen steps, where Hunter's (2004) simpler MM iteration
    p_i <- W_i / sum_j N_ij / (p_i + p_j) needs thousands once a model is far ahead. The likelihood does not
    change when every θ moves by the same amount, so the ratings are shifted to put their mean (or `anchor`)
    at base.

    A model that never lost would have an infinite maximum-likelihood strength (one that never won, zero). So
    every pair of models also shares `prior` virtual battles, tied (half a win each way): a tiny
    regularisation, a weak prior pulling ratings together, that keeps them finite, links models that never met,
    and moves ratings fitted on real numbers of battles by a small fraction of a point.

    Why a leaderboard prefers this to the online Elo: Bradley-Terry uses all battles jointly and does not care
    in which order they came, where Elo's ratings depend on the order and weigh the last battles most; for
    models that do not change, the maximum likelihood is the steadier estimate (LMSYS switched to it in 2023).
    """
    check_battles(battles)
    return fit_bradley_terry(*win_matrix(battles), base, anchor, prior, tol, max_iter)


def fit_bradley_terry(models: list[str], wins: np.ndarray, base: float = 1000, anchor: str | None = None,
                      prior: float = 0.01, tol: float = 1e-9, max_iter: int = 100) -> dict[str, float]:
    """bradley_terry from the win matrix (M, M) of the models."""
    if prior <= 0:
        raise UserError(f"prior must be > 0 (it keeps an unbeaten or winless model finite), not {prior}")
    m = len(models)
    wins = wins + prior / 2 * (1 - np.eye(m))  # the virtual ties
    games = wins + wins.T  # (M, M) battles between each pair
    theta = np.zeros(m)  # (M,) log strengths
    for _ in range(max_iter):
        p_win = 1 / (1 + np.exp(theta[None, :] - theta[:, None]))  # (M, M) P(i beats j)
        gradient = wins.sum(axis=1) - (games * p_win).sum(axis=1)  # (M,) wins minus expected wins; sums to 0
        weight = games * p_win * p_win.T  # (M, M) how firmly each pair's battles fix θ_i - θ_j
        curvature = np.diag(weight.sum(axis=1)) - weight  # minus the Hessian; singular along θ + c
        step = np.linalg.solve(curvature + 1 / m, gradient)  # + 1/m in every entry fixes c: the mean θ stays 0
        while log_likelihood(theta + step, wins) < log_likelihood(theta, wins):
            step /= 2  # far from the optimum a full Newton step can overshoot
        theta += step
        if np.abs(step).max() < tol:
            break
    ratings = dict(zip(models, 400 * theta / math.log(10)))
    if anchor is not None and anchor not in ratings:
        raise UserError(f"the anchor {anchor!r} fought no battle; models: {', '.join(models)}")
    shift = base - (ratings[anchor] if anchor is not None else np.mean(list(ratings.values())))
    return {model: float(rating + shift) for model, rating in ratings.items()}


# ----------------------------------------------------------------------------- bootstrap and leaderboard


class Interval(NamedTuple):
    median: float
    low: float  # the 95 % interval: 2.5th and 97.5th percentiles
    high: float


def bootstrap_ratings(battles: list[dict], rating_fn: Callable = bradley_terry, rounds: int = 1000,
                      seed: int = 0) -> dict[str, Interval]:
    """How much the ratings could move had other battles been fought: per model, the median and the 95 %
    percentile interval of rating_fn over `rounds` battle sets, each as many battles drawn with replacement.

    A model that a resampled set happens to leave out gets no rating from that round (only likely for a model
    with one or two battles); one left out of every round gets NaNs.
    """
    check_battles(battles)
    rng = np.random.default_rng(seed)
    samples = {model: [] for model in models_of(battles)}
    for _ in range(rounds):
        resampled = [battles[i] for i in rng.integers(0, len(battles), len(battles))]
        for model, rating in rating_fn(resampled).items():
            samples[model].append(rating)
    return percentile_intervals(samples)


def bootstrap_bradley_terry(battles: list[dict], rounds: int = 1000, seed: int = 0) -> dict[str, Interval]:
    """bootstrap_ratings(battles, bradley_terry, rounds, seed): the same draws and intervals, 14 times faster on
    the arena's thousands of battles (benchmarks/bench_arena.py). A resampled set's win matrix is the battles' own, each counted as often as
    it was drawn, so no round goes through the battles one by one."""
    check_battles(battles)
    models, side_a, side_b, score_a = battle_indices(battles)
    rng = np.random.default_rng(seed)
    samples = {model: [] for model in models}
    for _ in range(rounds):
        drawn = np.bincount(rng.integers(0, len(battles), len(battles)), minlength=len(battles))  # (N,)
        wins = tally(len(models), side_a, side_b, score_a, drawn)
        fought = (wins + wins.T).sum(axis=1) > 0  # (M,) a model the draw left out gets no rating
        present = [model for model, f in zip(models, fought) if f]
        for model, rating in fit_bradley_terry(present, wins[fought][:, fought]).items():
            samples[model].append(rating)
    return percentile_intervals(samples)


def bootstrap_elo(battles: list[dict], rounds: int = 1000, seed: int = 0, k: float = 4,
                  base: float = 1000) -> dict[str, Interval]:
    """bootstrap_ratings(battles, elo_ratings with seed=None, rounds, seed): the same draws and intervals, each round
    playing its drawn battles in the order drawn, but all rounds at once: position t of every round's sequence
    updates a (rounds, models) array of ratings together: 12 times faster at the stage's 500 rounds
    (benchmarks/bench_arena.py)."""
    check_battles(battles)
    models, side_a, side_b, score_a = battle_indices(battles)
    rng = np.random.default_rng(seed)
    drawn = np.stack([rng.integers(0, len(battles), len(battles)) for _ in range(rounds)])  # (R, N)
    ratings = np.full((rounds, len(models)), float(base))  # (R, M)
    every = np.arange(rounds)
    for t in range(len(battles)):
        a, b = side_a[drawn[:, t]], side_b[drawn[:, t]]  # (R,) each round's t-th battle
        change = k * (score_a[drawn[:, t]] - expected_score(ratings[every, a], ratings[every, b]))
        ratings[every, a] += change
        ratings[every, b] -= change
    fought = np.zeros((rounds, len(models)), dtype=bool)  # (R, M) a model the draw left out gets no rating
    fought[every[:, None], side_a[drawn]] = fought[every[:, None], side_b[drawn]] = True
    return percentile_intervals({model: ratings[fought[:, m], m].tolist() for m, model in enumerate(models)})


def percentile_intervals(samples: dict[str, list[float]]) -> dict[str, Interval]:
    return {model: Interval(*np.percentile(values, [50, 2.5, 97.5]).tolist()) if values else Interval(*[math.nan] * 3)
            for model, values in samples.items()}


def leaderboard(battles: list[dict], rounds: int = 1000, seed: int = 0) -> list[dict]:
    """The arena's table, best first by Bradley-Terry rating: one row per model with rank, model, rating, low and
    high (its bootstrap 95 % interval), elo, elo_low and elo_high (the online Elo and its bootstrap interval,
    for comparison: each round plays its resampled battles in the order drawn), battles, wins, ties, losses and
    win_rate (ties counted as half a win, as in the ratings).

    The rank is LMSYS's: 1 + the number of models whose whole interval lies above this model's. Models whose
    intervals overlap share a rank, because the battles cannot tell them apart.
    """
    ratings = bradley_terry(battles)
    intervals = bootstrap_bradley_terry(battles, rounds, seed)
    elo = elo_ratings(battles, seed=seed)
    elo_intervals = bootstrap_elo(battles, rounds, seed)
    record = win_tie_loss(battles)
    models = sorted(ratings, key=ratings.get, reverse=True)
    rows = []
    for model in models:
        wins, ties, losses = record[model]
        better = sum(intervals[other].low > intervals[model].high for other in models)
        rows.append({"rank": 1 + better, "model": model, "rating": ratings[model], "low": intervals[model].low,
                     "high": intervals[model].high, "elo": elo[model],
                     "elo_low": elo_intervals[model].low, "elo_high": elo_intervals[model].high, "battles": wins + ties + losses,
                     "wins": wins, "ties": ties, "losses": losses,
                     "win_rate": (wins + ties / 2) / (wins + ties + losses)})
    return rows


def markdown_leaderboard(rows: list[dict]) -> str:
    lines = ["| rank | model | rating | 95 % interval | online Elo [95 %] | battles | wins / ties / losses | win rate |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['rank']} | {r['model']} | {r['rating']:.0f} | {r['low']:.0f}–{r['high']:.0f} | "
              f"{r['elo']:.0f} [{r['elo_low']:.0f}–{r['elo_high']:.0f}] | "
              f"{r['battles']} | {r['wins']} / {r['ties']} / {r['losses']} | {100 * r['win_rate']:.0f} % |" for r in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- human votes


def record_vote(path: str | Path, battle: dict, vote: str) -> dict:
    """Append the battle with the learner's vote ("a", "b" or "tie") as its winner to the JSON-lines file.

    The file is rewritten whole through a temporary file and a rename (minillm.files), so a crash mid-write
    leaves the earlier votes as they were; a vote takes a moment, so rewriting a few thousand lines is cheap.
    """
    path = Path(path)
    record = check_battle({**battle, "winner": vote}, "vote")
    try:
        line = json.dumps(record, ensure_ascii=False) + "\n"
    except (TypeError, ValueError) as e:
        raise UserError(f"vote: the battle cannot be written as JSON ({e})") from None
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    atomic_write_bytes(path, old + line.encode("utf-8"))
    return record


def read_votes(path: str | Path) -> list[dict]:
    """The battles a votes file holds, one JSON object per line (blank lines skipped): they feed the leaderboard
    like judged battles."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")  # not splitlines: JSON strings may hold U+2028
    except FileNotFoundError:
        raise UserError(f"no votes file at {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read {path}: {e}") from None
    votes = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                vote = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"{path} line {number}: not valid JSON ({e.msg})") from None
            votes.append(check_battle(vote, f"{path} line {number}"))
    return votes


# ----------------------------------------------------------------------------- perplexity


def perplexity(model: torch.nn.Module, rows: list, pad_id: int = 0, batch_size: int = 32) -> float:
    """exp of the mean cross-entropy per scored token of held-out rows: the number of tokens the model hesitates
    between, on average. rows are (ids, mask) pairs as minillm.sft builds them (render_rows for conversations,
    whose mask scores the replies; replay_rows for plain text, all scored); padding is never scored.

    It measured pretraining well, and stopped measuring chat models: it asks how probable the one reference
    reply is, while "How are you doing?" has many good answers, and a reply can be good and improbable.
    """
    if not any(sum(mask[1:]) for _, mask in rows):
        raise UserError("no token to score: perplexity needs rows of at least two tokens with a scored target")
    device = next(model.parameters()).device
    return math.exp(heldout_loss(model, rows, pad_id, batch_size, device))
