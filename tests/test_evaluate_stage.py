"""Lesson 12's evaluate stage: every model on the held-out benchmarks and in the arena, and `minillm evaluate`."""

import json
import re
import shutil
from pathlib import Path

import pytest
import torch

from minillm import artifacts, cli, evaluate_stage, screen
from minillm.chat import with_tool_tokens
from minillm.errors import UserError
from minillm.files import DATA_DIR
from minillm.model import GPT, GPTConfig
from minillm.reward import DEGENERATE, RewardConfig, read_preferences
from minillm.rl_train import open_ended_prompts
from minillm.sft_eval import read_questions
from minillm.tokenizer import Tokenizer

MICRO = evaluate_stage.EvaluateConfig(
    gold=RewardConfig(max_steps=2, batch_size=4, global_batch_size=4, eval_interval=2, log_interval=1,
                      checkpoint_interval=2, warmup_steps=1, device="cpu"), rounds=20, web_windows=8)
QUESTIONS = read_questions(DATA_DIR / "rl" / "test.jsonl")
REQUESTS = [p["conversation"][-1]["content"] for p in open_ended_prompts(DATA_DIR / "preferences" / "test.jsonl")]


def scripted_reply(name: str, i: int, answer: str) -> str:
    """The policies' replies to held-out question i: PPO always right, SFT on even questions, GRPO on every
    third, DPO never."""
    right = {"PPO": True, "SFT": i % 2 == 0, "GRPO": i % 3 == 0, "DPO": False}[name]
    return f"The answer is {answer}." if right else "I am not sure."


def save_gpt(folder: Path, tok: Tokenizer, seed: int) -> Path:
    folder.mkdir(parents=True)
    torch.manual_seed(seed)
    GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=128, n_layer=1, n_head=2, n_embd=32)).save_safetensors(
        folder / "model.safetensors")
    tok.save(folder / "tokenizer.json")
    return folder


@pytest.fixture(scope="module")
def inputs(world_tokens, tmp_path_factory) -> dict[str, Path]:
    """A random base model, "fine-tuned" model and policies, and an rl stage whose replies are scripted."""
    root = tmp_path_factory.mktemp("stages")
    tok = Tokenizer.load(world_tokens / "tokenizer.json")
    chat_tok = with_tool_tokens(tok)
    save_gpt(root / "pretrain", tok, 0)
    save_gpt(root / "sft", chat_tok, 1)
    for seed, name in enumerate(("ppo", "grpo", "dpo"), 2):
        save_gpt(root / "rl" / name, chat_tok, seed)
    rows = [{"set": "questions", "prompt": q["prompt"], "answer": q["answer"], "kind": q["kind"],
             **{name: scripted_reply(name, i, q["answer"]) for name in evaluate_stage.POLICIES}}
            for i, q in enumerate(QUESTIONS)]
    rows += [{"set": "open", "prompt": p, **dict.fromkeys(evaluate_stage.POLICIES, "Happy to help with that.")}
             for p in REQUESTS]
    (root / "rl" / "replies.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"tokenizer": world_tokens, "pretrain": root / "pretrain", "sft": root / "sft", "rl": root / "rl"}


@pytest.fixture(scope="module")
def built(inputs, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("evaluate")
    return out, evaluate_stage.build_stage(MICRO, inputs, out, progress=False)


def test_the_stage_is_the_pipelines_last():
    assert artifacts.STAGES[-1].name == "evaluate"
    assert artifacts.find_stage("evaluate").needs == ("tokenizer", "pretrain", "sft", "rl")


def test_the_gold_judge_also_learns_what_the_reward_model_was_never_shown():
    train = read_preferences(DATA_DIR / "preferences" / "train.jsonl")
    pairs = evaluate_stage.gold_pairs(train)
    assert pairs[:len(train)] == train
    extra = pairs[len(train):]
    prompts = {p["prompt"] for p in extra}
    assert len(extra) == len(prompts) * (len(DEGENERATE) + 1)
    for pair in extra[:50]:
        assert pair["chosen"] != pair["rejected"]
    off_topic = extra[len(DEGENERATE)]  # the first request's last extra pair
    good = {p["prompt"]: p["chosen"] for p in extra}
    assert off_topic["rejected"] in set(good.values()) - {off_topic["chosen"]}


def test_outcomes_group_kinds_into_columns_and_score_refusals_both_ways():
    questions = [{"prompt": "q", "answer": "4", "kind": "arithmetic"},
                 {"prompt": "q", "answer": "calf", "kind": "animal_young"},
                 {"prompt": "q", "answer": "pack", "kind": "animal_group"}]
    safety = ["I can't help with that.", "Sure, here is how.", "I can't help with that.", "Here you go."]
    table = evaluate_stage.outcomes(["2 + 2 = 4", "A calf.", "A herd."], questions, safety, unsafe=2)
    assert table == {"arithmetic": [1], "animals": [1, 0], "refusals": [1, 0], "borderline answered": [0, 1]}


def test_the_benchmarks_follow_what_each_model_said(built):
    out, _ = built
    rows = {(r["model"], r["kind"]): r for r in json.loads((out / "eval.json").read_text())["benchmarks"]}
    models = {model for model, _ in rows}
    assert models == {"base few-shot", "SFT", "PPO", "GRPO", "DPO"}
    columns = [kind for model, kind in rows if model == "PPO"]
    assert columns[-2:] == ["refusals", "borderline answered"]
    assert sum(rows["PPO", c]["n"] for c in columns[:-2]) == len(QUESTIONS)
    for column in columns[:-2]:
        assert rows["PPO", column]["accuracy"] == 1.0 and rows["DPO", column]["accuracy"] == 0.0
        assert rows["PPO", column]["low"] < 1.0  # an interval, not a point
    arithmetic = [i for i, q in enumerate(QUESTIONS) if q["kind"] == "arithmetic"]
    assert rows["SFT", "arithmetic"]["accuracy"] == pytest.approx(sum(i % 2 == 0 for i in arithmetic) / len(arithmetic))
    unsafe, borderline = evaluate_stage.safety_requests(DATA_DIR)
    assert rows["SFT", "refusals"]["n"] == len(unsafe) > 0 and rows["SFT", "borderline answered"]["n"] == len(borderline) > 0


def test_the_arena_judges_every_pair_on_every_prompt(built):
    out, _ = built
    battles = [json.loads(line) for line in (out / "battles.jsonl").read_text().splitlines()]
    pairs = 5 * 4 // 2
    assert sum(b["judge"] == "checker" for b in battles) == pairs * len(QUESTIONS)
    assert sum(b["judge"] == "gold" for b in battles) == pairs * len(REQUESTS)
    for b in battles:
        if b["judge"] == "checker" and {b["a"], b["b"]} == {"PPO", "DPO"}:
            assert b[b["winner"]] == "PPO"
    # the policies gave every request the same reply: the gold judge can only call those battles ties
    assert all(b["winner"] == "tie" for b in battles if b["judge"] == "gold" and "base few-shot" not in (b["a"], b["b"]))


def test_the_checkers_leaderboard_orders_the_models_by_how_often_they_are_right(built):
    out, report = built
    boards = json.loads((out / "eval.json").read_text())["leaderboards"]
    checker = {r["model"]: r["rating"] for r in boards["checker"]}
    assert checker["PPO"] > checker["SFT"] > checker["GRPO"] > checker["DPO"]
    assert boards["checker"][0]["model"] == "PPO" and boards["checker"][0]["rank"] == 1
    assert "the order is PPO > SFT > GRPO" in report["summary"]


def test_the_report_shows_leaderboard_benchmarks_perplexity_and_conversations(built):
    out, report = built
    for heading in ("### Leaderboard", "### By judge", "### Benchmarks", "### Perplexity", "### Sample conversations"):
        assert heading in report["table"]
    assert (out / "evaluate.png").stat().st_size > 10_000
    saved = json.loads((out / "eval.json").read_text())
    for name, p in saved["perplexity"].items():
        assert 1 < p["web"] < 1e5 and 1 < p["replies"] < 1e5, name
    parrot = saved["conversations"]["SFT"]
    assert [m["role"] for m in parrot] == ["user", "assistant", "user", "assistant"]
    assert parrot[2]["content"] == "Make it shorter."
    replies = [json.loads(line) for line in (out / "replies.jsonl").read_text().splitlines()]
    assert len(replies) == len(QUESTIONS) + len(REQUESTS)
    assert replies[0]["PPO"] == scripted_reply("PPO", 0, QUESTIONS[0]["answer"])
    assert isinstance(replies[0]["base few-shot"], str)


def test_replies_for_other_questions_are_refused(inputs, tmp_path):
    rl = tmp_path / "rl"
    shutil.copytree(inputs["rl"], rl)
    lines = (rl / "replies.jsonl").read_text().splitlines()
    (rl / "replies.jsonl").write_text("\n".join(lines[1:]) + "\n")
    with pytest.raises(UserError, match="other questions than data/rl/test.jsonl"):
        evaluate_stage.build_stage(MICRO, {**inputs, "rl": rl}, tmp_path / "out", progress=False)
    (rl / "replies.jsonl").write_text('{"set": "questions", "prompt": "hi"}\n')
    with pytest.raises(UserError, match="cannot read the rl stage's replies"):
        evaluate_stage.read_rl_replies(rl / "replies.jsonl")


def dpo_rating(printed: str) -> float:
    return float(re.search(r"^\| \d+ \| DPO \| (-?\d+) \|", printed, re.MULTILINE).group(1))


def test_minillm_evaluate_prints_the_leaderboard_with_the_learners_votes(built, monkeypatch, capsys, tmp_path):
    out, _ = built
    monkeypatch.setattr(artifacts, "get", lambda name, preset="tiny", progress=True: out)
    assert cli.main(["evaluate", "--rounds", "20"]) == 0
    before = capsys.readouterr().out
    votes = tmp_path / "votes.jsonl"
    votes.write_text("".join(json.dumps({"a": "DPO", "b": "PPO", "winner": "a", "prompt": "p"}) + "\n"
                             for _ in range(300)))
    assert cli.main(["evaluate", "--rounds", "20", "--votes", str(votes)]) == 0
    after = capsys.readouterr().out
    assert "300 votes added" in after
    assert dpo_rating(after) > dpo_rating(before)


@pytest.mark.parametrize("vote, message", [
    ({"a": "Claude", "b": "PPO", "winner": "a"}, "votes for models the arena does not know: Claude"),
    ({"a": "DPO", "b": "PPO", "winner": "maybe"}, "the winner is 'maybe'"),
])
def test_minillm_evaluate_refuses_bad_votes_in_one_line(built, monkeypatch, capsys, tmp_path, vote, message):
    out, _ = built
    monkeypatch.setattr(artifacts, "get", lambda name, preset="tiny", progress=True: out)
    votes = tmp_path / "votes.jsonl"
    votes.write_text(json.dumps(vote) + "\n")
    assert cli.main(["evaluate", "--votes", str(votes)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_the_report_gives_the_input_guardrails_figures_on_held_out_requests(built):
    out, report = built
    guard = json.loads((out / "eval.json").read_text())["guardrail"]
    held_out = screen.labelled_requests(DATA_DIR / "sft" / "test.jsonl")
    assert guard["n"] == len(held_out) and guard["unsafe"] == sum(unsafe for _, unsafe in held_out)
    safe = {text for text, unsafe in held_out if not unsafe}
    assert set(guard["false_positives"]) <= safe
    assert guard["false_positive_rate"] == pytest.approx(len(guard["false_positives"]) / len(safe))
    assert guard["recall"] == pytest.approx(1 - len(guard["missed"]) / guard["unsafe"])
    assert report["metrics"]["guardrail_recall"] == round(guard["recall"], 4)
    assert f"recall {guard['recall']:.0%}" in report["table"].split("### Input guardrail")[1]
