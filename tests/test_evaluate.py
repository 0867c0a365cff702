"""The evaluation's math (lesson 12): Wilson intervals, battles, Elo, Bradley-Terry, bootstrap, votes, perplexity."""

import functools
import json
import math
import os

import pytest
import torch

from minillm import evaluate
from minillm.errors import UserError


def battle(a: str, b: str, winner: str, **extra) -> dict:
    return {"a": a, "b": b, "winner": winner, **extra}


# ----------------------------------------------------------------------------- benchmarks


@pytest.mark.parametrize("k, n, low, high", [
    # z = 1.959964, z² = 3.841459; center = (p + z²/2n) / (1 + z²/n), half = z/(1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
    (0, 10, 0.0, 0.2775),  # center = 0.192073 / 1.384146 = 0.138767; half = 1.416009 · 0.098000 = 0.138767
    (5, 10, 0.2366, 0.7634),  # center 0.5; half = 1.416009 · sqrt(0.025 + 0.009604) = 1.416009 · 0.186021 = 0.263407
    (10, 10, 0.7225, 1.0),  # the mirror of 0/10
    (93, 150, 0.5402, 0.6938),  # center = 0.632805 / 1.025610 = 0.617004; half = 1.911032 · 0.040167 = 0.076761
])
def test_wilson_interval_by_hand(k, n, low, high):
    assert evaluate.wilson_interval(k, n) == pytest.approx((low, high), abs=1e-4)


def test_accuracy_interval_is_wilson_and_stays_honest_at_zero():
    accuracy = evaluate.accuracy_interval([True, False, False, False])
    assert (accuracy.mean, accuracy.n) == (0.25, 4)
    assert (accuracy.low, accuracy.high) == evaluate.wilson_interval(1, 4)
    none_right = evaluate.accuracy_interval([0] * 10)
    assert none_right.mean == 0 and none_right.high > 0.27  # the normal approximation would say [0, 0]


@pytest.mark.parametrize("outcomes, message", [([], "no outcomes"), ([1, 2], "0 or 1")])
def test_accuracy_interval_refuses_bad_outcomes(outcomes, message):
    with pytest.raises(UserError, match=message):
        evaluate.accuracy_interval(outcomes)


def test_benchmark_table_and_its_markdown():
    results = {"sft": {"capital": [1] * 93 + [0] * 57, "science": [1, 0, 0, 1]}, "base": {"capital": [0] * 10}}
    rows = evaluate.benchmark_table(results)
    assert [(row["model"], row["kind"], row["n"]) for row in rows] == [
        ("sft", "capital", 150), ("sft", "science", 4), ("base", "capital", 10)]
    assert rows[0]["accuracy"] == 0.62 and rows[0]["low"] == pytest.approx(0.5402, abs=1e-4)
    table = evaluate.markdown_benchmarks(rows).splitlines()
    assert table[0] == "| model | capital | science |"
    assert table[2] == "| sft | 62 % [54–69] (n=150) | 50 % [15–85] (n=4) |"
    assert table[3] == "| base | 0 % [0–28] (n=10) | – |"


def test_benchmark_table_names_the_empty_cell():
    with pytest.raises(UserError, match="base, science: no outcomes"):
        evaluate.benchmark_table({"base": {"capital": [1], "science": []}})


# ----------------------------------------------------------------------------- battles


def checker(prompts, replies):
    return [reply == "right" for reply in replies]


REPLIES = {"good": ["right"] * 4, "half": ["right", "wrong", "right", "wrong"], "bad": ["wrong"] * 4}


def test_make_battles_pairs_every_model_on_every_prompt_and_follows_the_judge():
    battles = evaluate.make_battles(["p0", "p1", "p2", "p3"], REPLIES, checker, seed=0)
    assert len(battles) == 4 * 3  # 3 pairs of models on 4 prompts
    for b in battles:
        i = int(b["prompt"][1])
        right_a, right_b = REPLIES[b["a"]][i] == "right", REPLIES[b["b"]][i] == "right"
        assert b["winner"] == ("tie" if right_a == right_b else "a" if right_a else "b")
    pairings = {(frozenset((b["a"], b["b"])), b["prompt"]) for b in battles}
    assert len(pairings) == 12  # no pair fought twice on a prompt
    assert {"a", "b"} <= {("a" if b["a"] == "good" else "b") for b in battles}  # a coin picks the sides
    assert battles == evaluate.make_battles(["p0", "p1", "p2", "p3"], REPLIES, checker, seed=0)


def test_make_battles_judges_each_reply_once_ties_within_the_margin_and_samples():
    calls = []

    def reward_model(prompts, replies):
        calls.append(len(replies))
        return [{"right": 1.0, "almost": 0.95, "wrong": -1.0}[reply] for reply in replies]

    replies = {"x": ["right", "right"], "y": ["almost", "wrong"]}
    battles = evaluate.make_battles(["q0", "q1"], replies, reward_model, tie_margin=0.1)
    assert calls == [2, 2]  # one batch per model
    assert {b["prompt"]: b["winner"] for b in battles}["q0"] == "tie"  # 1.0 vs 0.95: within the margin
    q1 = next(b for b in battles if b["prompt"] == "q1")
    assert q1["winner"] == ("a" if q1["a"] == "x" else "b")
    sample = evaluate.make_battles(["p0", "p1", "p2", "p3"], REPLIES, checker, n_battles=5, seed=3)
    assert len(sample) == 5 and sample == evaluate.make_battles(["p0", "p1", "p2", "p3"], REPLIES, checker,
                                                                n_battles=5, seed=3)


@pytest.mark.parametrize("replies, judge, message", [
    ({"good": ["right"] * 4}, checker, "at least two models"),
    ({"good": ["right"] * 4, "bad": ["wrong"] * 3}, checker, "3 replies for 4 prompts"),
    (REPLIES, lambda prompts, replies: [1.0], "1 scores for good's 4 replies"),
    (REPLIES, lambda prompts, replies: [math.nan] * 4, "NaN"),
])
def test_make_battles_refuses_bad_input(replies, judge, message):
    with pytest.raises(UserError, match=message):
        evaluate.make_battles(["p0", "p1", "p2", "p3"], replies, judge)


@pytest.mark.parametrize("battles, message", [
    ([], "no battles"),
    ([battle("x", "y", "a"), battle("x", "y", "c")], "battle 2: the winner is 'c'"),
    ([battle("x", "x", "a")], "'x' sits on both sides"),
    ([{"a": "x", "winner": "a"}], "battle 1: not a battle"),
])
def test_ratings_refuse_bad_battles(battles, message):
    for rate in (evaluate.elo_ratings, evaluate.bradley_terry, evaluate.leaderboard):
        with pytest.raises(UserError, match=message):
            rate(battles)


def test_win_tie_loss_counts_each_side():
    battles = [battle("x", "y", "a"), battle("y", "x", "a"), battle("x", "z", "tie"), battle("z", "y", "b")]
    assert evaluate.win_tie_loss(battles) == {"x": [1, 1, 1], "y": [2, 0, 1], "z": [0, 1, 1]}


# ----------------------------------------------------------------------------- Elo


def test_elo_update_between_equals():
    assert evaluate.elo_update(1000, 1000, 1) == (1016, 984)  # expected 0.5, surprise 0.5, k/2 = 16
    assert evaluate.elo_update(1000, 1000, 0.5) == (1000, 1000)
    assert evaluate.elo_update(1000, 1000, 0, k=4) == (998, 1002)


def test_elo_update_upset_moves_more_than_the_expected_result():
    # expected for the 1000 side: 1 / (1 + 10^(200/400)) = 1 / 4.162278 = 0.240253
    upset = evaluate.elo_update(1000, 1200, 1)  # 1000 + 32 · 0.759747 = 1024.312
    assert upset == pytest.approx((1024.312, 1175.688), abs=1e-3)
    expected = evaluate.elo_update(1000, 1200, 0)  # 1000 - 32 · 0.240253 = 992.312
    assert expected == pytest.approx((992.312, 1207.688), abs=1e-3)
    with pytest.raises(UserError, match="not 2"):
        evaluate.elo_update(1000, 1000, 2)


def test_elo_ratings_depend_on_the_order():
    a_first = [battle("A", "B", "a"), battle("A", "B", "b")]
    # A wins: 1016 / 984; then B (984) beats A (1016): B expected 1 / (1 + 10^(32/400)) = 0.454078,
    # so B gains 32 · 0.545922 = 17.4695: B 1001.47, A 998.53. The other order gives the mirror.
    assert evaluate.elo_ratings(a_first, k=32, seed=None) == pytest.approx({"A": 998.5305, "B": 1001.4695}, abs=1e-4)
    assert evaluate.elo_ratings(a_first[::-1], k=32, seed=None) == pytest.approx({"A": 1001.4695, "B": 998.5305},
                                                                                  abs=1e-4)
    shuffled = evaluate.elo_ratings(a_first * 5, seed=1)
    assert shuffled == evaluate.elo_ratings(a_first * 5, seed=1) and set(shuffled) == {"A", "B"}


# ----------------------------------------------------------------------------- Bradley-Terry

THREE_TO_ONE = [battle("x", "y", "a")] * 3 + [battle("x", "y", "b")]


def test_bradley_terry_two_models_by_hand():
    # The likelihood is q³(1 - q) with q = p_x / (p_x + p_y); it peaks at q = 3/4, so p_x / p_y = 3:
    # x is 400 · log10 3 = 190.849 points above y, and the mean sits at 1000.
    ratings = evaluate.bradley_terry(THREE_TO_ONE, prior=1e-9)
    assert ratings == pytest.approx({"x": 1000 + 95.4243, "y": 1000 - 95.4243}, abs=1e-3)
    # The default prior adds 0.01 virtual ties, 0.005 wins each way: p_x / p_y = 3.005 / 1.005.
    default = evaluate.bradley_terry(THREE_TO_ONE)
    assert default["x"] - default["y"] == pytest.approx(400 * math.log10(3.005 / 1.005), abs=1e-6)
    assert evaluate.bradley_terry(THREE_TO_ONE, anchor="y", prior=1e-9) == pytest.approx({"x": 1190.849, "y": 1000},
                                                                                           abs=1e-3)
    with pytest.raises(UserError, match="anchor 'z' fought no battle"):
        evaluate.bradley_terry(THREE_TO_ONE, anchor="z")


def test_bradley_terry_counts_a_tie_as_half_a_win_each():
    # 1 win and 2 ties: x has 1 + 2·½ = 2 wins, y has 1, so p_x / p_y = 2: 400 · log10 2 = 120.412 points.
    ratings = evaluate.bradley_terry([battle("x", "y", "a"), battle("x", "y", "tie"), battle("y", "x", "tie")],
                                     prior=1e-9)
    assert ratings["x"] - ratings["y"] == pytest.approx(120.412, abs=1e-3)


def test_bradley_terry_rates_models_that_never_met():
    # A beats B 2 of 3, B beats C 2 of 3, A and C never meet: each pair's odds are fitted exactly (2 to 1),
    # so A is 2 · 120.412 = 240.824 points above C, odds of 4 to 1.
    battles = [battle("A", "B", "a")] * 2 + [battle("A", "B", "b")] + [battle("B", "C", "a")] * 2 + [
        battle("C", "B", "a")]
    ratings = evaluate.bradley_terry(battles, prior=1e-9)
    assert ratings["A"] - ratings["B"] == pytest.approx(120.412, abs=1e-3)
    assert ratings["A"] - ratings["C"] == pytest.approx(240.824, abs=1e-3)


def test_a_model_that_never_loses_stays_finite():
    # 5 wins and 0 losses: the likelihood q⁵ grows forever; with 0.005 virtual wins each way p_A / p_B = 5.005 / 0.005
    ratings = evaluate.bradley_terry([battle("A", "B", "a")] * 5)
    assert ratings["A"] - ratings["B"] == pytest.approx(400 * math.log10(1001), abs=1e-6)  # 1200.17 points
    unbeaten = evaluate.bradley_terry([battle("A", "B", "a")] * 10 + [battle("A", "C", "a")] * 10 +
                                      [battle("B", "C", "a")] * 5 + [battle("B", "C", "b")] * 5)
    assert all(math.isfinite(r) for r in unbeaten.values()) and unbeaten["A"] > unbeaten["B"] + 1000
    assert unbeaten["B"] == pytest.approx(unbeaten["C"])
    with pytest.raises(UserError, match="prior must be > 0"):
        evaluate.bradley_terry(THREE_TO_ONE, prior=0)


def test_bradley_terry_ignores_the_order_elo_does_not():
    battles = [battle("A", "B", "a")] * 10 + [battle("A", "B", "b")] * 10  # all of B's wins come last
    assert evaluate.bradley_terry(battles) == pytest.approx({"A": 1000, "B": 1000})
    assert evaluate.bradley_terry(battles[::-1]) == pytest.approx({"A": 1000, "B": 1000})
    elo = evaluate.elo_ratings(battles, seed=None)
    elo_reversed = evaluate.elo_ratings(battles[::-1], seed=None)
    assert elo["B"] > elo["A"] and elo_reversed["A"] > elo_reversed["B"]  # the last battles win


# ----------------------------------------------------------------------------- bootstrap and leaderboard


def test_bootstrap_interval_holds_the_estimate_and_shrinks_with_more_battles():
    few = [battle("x", "y", "a")] * 30 + [battle("x", "y", "b")] * 10  # 3 to 1, like THREE_TO_ONE
    point = evaluate.bradley_terry(few)
    intervals = evaluate.bootstrap_ratings(few, evaluate.bradley_terry, rounds=200, seed=0)
    for model in ("x", "y"):
        assert intervals[model].low < point[model] < intervals[model].high
        assert intervals[model].median == pytest.approx(point[model], abs=15)
    wide = intervals["x"].high - intervals["x"].low
    many = evaluate.bootstrap_ratings(few * 4, evaluate.bradley_terry, rounds=200, seed=0)
    narrow = many["x"].high - many["x"].low
    assert narrow < 0.7 * wide  # four times the battles: about half the width (1 / sqrt 4)
    assert evaluate.bootstrap_ratings(few, evaluate.bradley_terry, rounds=200, seed=0) == intervals


def test_the_fast_bootstrap_draws_the_same_sets_and_gives_the_same_intervals():
    rare = [battle("strong", "rare", "a")]  # in about a third of the draws, left out
    battles = arena() + rare + [battle("mid", "twin", "tie")] * 3
    slow = evaluate.bootstrap_ratings(battles, evaluate.bradley_terry, rounds=100, seed=4)
    fast = evaluate.bootstrap_bradley_terry(battles, rounds=100, seed=4)
    assert list(fast) == list(slow)
    for model in slow:
        assert fast[model] == pytest.approx(slow[model], abs=1e-6)


def test_the_fast_elo_bootstrap_plays_the_same_draws_in_the_same_order():
    battles = arena() + [battle("strong", "rare", "a")] + [battle("mid", "twin", "tie")] * 3
    slow = evaluate.bootstrap_ratings(battles, functools.partial(evaluate.elo_ratings, seed=None), rounds=60, seed=2)
    fast = evaluate.bootstrap_elo(battles, rounds=60, seed=2)
    assert list(fast) == list(slow)
    for model in slow:
        assert fast[model] == pytest.approx(slow[model], abs=1e-6)


def arena() -> list[dict]:
    """strong beats mid 3 to 1, mid beats weak 3 to 1, strong beats weak 9 to 1; twin ties strong."""
    return ([battle("strong", "mid", "a")] * 30 + [battle("mid", "strong", "a")] * 10 +
            [battle("mid", "weak", "a")] * 30 + [battle("weak", "mid", "a")] * 10 +
            [battle("strong", "weak", "a")] * 27 + [battle("strong", "weak", "b")] * 3 +
            [battle("twin", "strong", "tie")] * 20)


def test_leaderboard_orders_by_bradley_terry_and_counts_the_record():
    rows = evaluate.leaderboard(arena(), rounds=100, seed=0)
    assert [row["model"] for row in rows] == ["strong", "twin", "mid", "weak"]
    strong, twin = rows[0], rows[1]
    assert (strong["battles"], strong["wins"], strong["ties"], strong["losses"]) == (90, 57, 20, 13)
    assert strong["win_rate"] == pytest.approx((57 + 10) / 90)
    assert twin["win_rate"] == 0.5 and twin["rating"] == pytest.approx(strong["rating"], abs=1)
    assert [row["rank"] for row in rows] == [1, 1, 3, 4]  # twin's interval overlaps strong's: they share rank 1
    assert all(row["low"] <= row["rating"] <= row["high"] for row in rows)
    elo = {row["model"]: (row["elo_low"], row["elo_high"]) for row in rows}
    assert elo["strong"][0] > elo["mid"][1] and elo["mid"][0] > elo["weak"][1]  # 3 to 1 apart: intervals apart
    table = evaluate.markdown_leaderboard(rows).splitlines()
    assert table[0].startswith("| rank | model | rating | 95 % interval |")
    assert table[2].startswith("| 1 | strong |") and table[2].endswith(" | 90 | 57 / 20 / 13 | 74 % |")


# ----------------------------------------------------------------------------- human votes


def test_votes_round_trip_and_feed_the_leaderboard(tmp_path):
    path = tmp_path / "votes" / "votes.jsonl"
    shown = [battle("x", "y", None, prompt="Name a planet."), battle("y", "x", None, prompt={"q": "2+2?"})]
    evaluate.record_vote(path, shown[0], "a")
    evaluate.record_vote(path, shown[1], "tie")
    evaluate.record_vote(path, shown[0], "b")
    votes = evaluate.read_votes(path)
    assert votes == [{**shown[0], "winner": "a"}, {**shown[1], "winner": "tie"}, {**shown[0], "winner": "b"}]
    rows = evaluate.leaderboard(votes + [battle("x", "z", "a")], rounds=20)
    assert {row["model"]: row["battles"] for row in rows} == {"x": 4, "y": 3, "z": 1}


def test_a_bad_vote_or_a_crash_keeps_the_earlier_votes(tmp_path, monkeypatch):
    path = tmp_path / "votes.jsonl"
    evaluate.record_vote(path, battle("x", "y", None), "a")
    before = path.read_bytes()
    with pytest.raises(UserError, match="the winner is 'x'"):
        evaluate.record_vote(path, battle("x", "y", None), "x")

    def crash(*args):
        raise OSError("the machine went down mid-write")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        evaluate.record_vote(path, battle("x", "y", None), "b")
    monkeypatch.undo()
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["votes.jsonl"]


@pytest.mark.parametrize("lines, message", [
    (['{"a": "x", "b": "y", "winner": "a"}', "{not json"], "line 2: not valid JSON"),
    (['{"a": "x", "b": "y", "winner": "a"}', "", '{"a": "x", "b": "y", "winner": "both"}'],
     "line 3: the winner is 'both'"),
    (['{"a": "x", "b": "x", "winner": "a"}'], "line 1: 'x' sits on both sides"),
    (['["x", "y", "a"]'], "line 1: not a battle"),
])
def test_read_votes_names_the_malformed_line(tmp_path, lines, message):
    path = tmp_path / "votes.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=message) as error:
        evaluate.read_votes(path)
    assert "\n" not in str(error.value)


def test_read_votes_without_a_file(tmp_path):
    with pytest.raises(UserError, match="no votes file"):
        evaluate.read_votes(tmp_path / "missing.jsonl")


def test_record_vote_refuses_what_json_cannot_hold(tmp_path):
    with pytest.raises(UserError, match="cannot be written as JSON"):
        evaluate.record_vote(tmp_path / "votes.jsonl", battle("x", "y", None, prompt={1, 2}), "a")
    assert json.dumps(battle("x", "y", "a"))  # the ordinary battle is plain JSON


# ----------------------------------------------------------------------------- perplexity


class FixedLogits(torch.nn.Module):
    """A 'model' that predicts the same distribution at every position: logits (V,) set by hand."""

    def __init__(self, logits: list[float]):
        super().__init__()
        self.logits = torch.nn.Parameter(torch.tensor(logits))

    def forward(self, idx):
        return self.logits.expand(*idx.shape, -1), None  # (B, T, V)


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    rows = [([3, 1, 4, 1, 5], [1] * 5), ([2, 6], [1, 1])]
    assert evaluate.perplexity(FixedLogits([0.0] * 8), rows) == pytest.approx(8.0)


def test_perplexity_by_hand_counts_only_scored_tokens():
    # logits (ln 2, 0, 0, 0): p(0) = 2/5, p(other) = 1/5, so a 0 costs ln 2.5 and anything else ln 5.
    model = FixedLogits([math.log(2), 0.0, 0.0, 0.0])
    assert evaluate.perplexity(model, [([0, 0, 0], [1, 1, 1])]) == pytest.approx(2.5)
    # Scored targets: 0, 0 (row 1), 1 (row 2, padded to the longest), 0 (row 3, whose last target 3 is masked).
    rows = [([0, 0, 0], [1, 1, 1]), ([2, 1], [1, 1]), ([1, 0, 3], [1, 1, 0])]
    expected = math.exp((3 * math.log(2.5) + math.log(5)) / 4)  # (2.5³ · 5)^(1/4) = 2.973
    assert evaluate.perplexity(model, rows) == pytest.approx(expected)
    assert evaluate.perplexity(model, rows, batch_size=1) == pytest.approx(expected)
    with pytest.raises(UserError, match="no token to score"):
        evaluate.perplexity(model, [([0, 1], [1, 0]), ([2], [1])])
