"""The reward model (lesson 10): the pairwise loss, scores under padding, the data, training, the command."""

import dataclasses
import json
import math
import random
import shutil
from pathlib import Path

import pytest
import torch
from conftest import assert_torchrun_matches_one_process
from safetensors.torch import load_file

from minillm import cli, reward
from minillm.errors import UserError
from minillm.model import GPT, GPTConfig
from minillm.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
MICRO = reward.RewardConfig(batch_size=4, global_batch_size=8, max_steps=6, learning_rate=3e-3, warmup_steps=2,
                            eval_interval=3, log_interval=2, checkpoint_interval=3, device="cpu", seed=3)
GOOD = ["Sure, here is a clear answer.", "Happy to help: it is blue.", "Yes, and here is why.", "Good question!"]
BAD = ["Go away.", "Whatever.", "No idea, stop asking.", "Figure it out."]


@pytest.fixture(scope="module")
def base(world_tokens, tmp_path_factory) -> Path:
    """A 'fine-tuned' model folder: a small random GPT and the tokenizer (which has the chat tokens)."""
    folder = tmp_path_factory.mktemp("base")
    torch.manual_seed(0)
    GPT(GPTConfig(vocab_size=512, block_size=64, n_layer=1, n_head=2, n_embd=32)).save_safetensors(
        folder / "model.safetensors")
    shutil.copyfile(world_tokens / "tokenizer.json", folder / "tokenizer.json")
    return folder


def synthetic_pairs(n: int, seed: int) -> list[dict]:
    """Pairs whose chosen reply is always one of GOOD and rejected one of BAD, under varied prompts."""
    rng = random.Random(seed)
    return [{"prompt": f"Question number {rng.randint(0, 999)}?", "chosen": rng.choice(GOOD),
             "rejected": rng.choice(BAD), "reason": rng.choice(["rude", "unhelpful"]), "margin": 0.0}
            for _ in range(n)]


@pytest.fixture(scope="module")
def pairs() -> tuple[list[dict], list[dict]]:
    return synthetic_pairs(48, seed=1), synthetic_pairs(24, seed=2)


def train(cfg, base, out, pairs, **kw):
    return reward.train_reward_model(cfg, base, out, pairs[0], pairs[1], progress=False, **kw)


# ----------------------------------------------------------------------------- the loss


def test_pairwise_loss_by_hand_with_and_without_margin():
    r_chosen, r_rejected = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0])
    expected = (math.log(1 + math.exp(-2)) + math.log(2)) / 2  # -log σ(2), -log σ(0)
    assert reward.pairwise_loss(r_chosen, r_rejected).item() == pytest.approx(expected, abs=1e-6)
    with_margin = (math.log(1 + math.exp(-1)) + math.log(2)) / 2  # the first pair must now clear a gap of 1
    assert reward.pairwise_loss(r_chosen, r_rejected, torch.tensor([1.0, 0.0])).item() == pytest.approx(
        with_margin, abs=1e-6)


def test_the_loss_pushes_the_chosen_score_up_and_the_rejected_down():
    r_chosen = torch.tensor([0.3, -1.0], requires_grad=True)
    r_rejected = torch.tensor([0.5, 2.0], requires_grad=True)
    reward.pairwise_loss(r_chosen, r_rejected).backward()
    assert (r_chosen.grad < 0).all() and (r_rejected.grad > 0).all()


def test_swapping_chosen_and_rejected_flips_the_loss_by_the_mean_gap():
    a, b = torch.tensor([1.5, -0.2, 3.0]), torch.tensor([0.5, 0.7, -1.0])
    # -log σ(d) - (-log σ(-d)) = -d for every pair
    assert (reward.pairwise_loss(a, b) - reward.pairwise_loss(b, a)).item() == pytest.approx(-(a - b).mean().item())
    assert reward.preference_probability(1.0, 1.0).item() == 0.5
    assert reward.preference_probability(2.0, 0.0).item() == pytest.approx(1 / (1 + math.exp(-2)))


# ----------------------------------------------------------------------------- scores under padding


def test_last_token_index_under_left_and_right_padding():
    rows = [[5, 6, 7], [8], [9, 10]]
    _, right = reward.pad_rows(rows, pad_id=0)
    _, left = reward.pad_rows(rows, pad_id=0, left=True)
    assert reward.last_token_index(right).tolist() == [2, 0, 1]
    assert reward.last_token_index(left).tolist() == [2, 2, 2]


def test_the_score_is_the_same_whatever_the_padding(base):
    model = reward.RewardModel(GPT.load(base / "model.safetensors")).eval()
    rows = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10]]
    alone = torch.cat([model(torch.tensor([r]), torch.ones(1, len(r), dtype=torch.long)) for r in rows])
    for left in (False, True):
        ids, mask = reward.pad_rows(rows, pad_id=11, left=left)
        torch.testing.assert_close(model(ids, mask), alone, atol=1e-5, rtol=0)
        wider = torch.cat([torch.full((3, 4), 11), ids], 1) if left else torch.cat([ids, torch.full((3, 4), 11)], 1)
        pad = torch.zeros(3, 4, dtype=torch.long)
        more = torch.cat([pad, mask], 1) if left else torch.cat([mask, pad], 1)
        torch.testing.assert_close(model(wider, more), alone, atol=1e-5, rtol=0)


def test_an_empty_row_is_refused_and_no_pairs_have_no_accuracy(base):
    model = reward.RewardModel(GPT.load(base / "model.safetensors")).eval()
    with pytest.raises(UserError, match="no real token"):
        model(torch.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 1], [0, 0]]))
    assert reward.accuracy_by_reason([], [], []) == {"all": {"n": 0, "accuracy": None}}


def test_a_reward_model_saves_and_loads_back(base, tmp_path):
    torch.manual_seed(1)
    model = reward.RewardModel(GPT.load(base / "model.safetensors")).eval()
    model.save_safetensors(tmp_path / "model.safetensors")
    back = reward.RewardModel.load(tmp_path / "model.safetensors")
    ids = torch.tensor([[1, 2, 3]])
    assert torch.equal(model(ids, torch.ones_like(ids)), back(ids, torch.ones_like(ids)))
    with pytest.raises(UserError, match="not a reward model"):
        reward.RewardModel.load(base / "model.safetensors")


# ----------------------------------------------------------------------------- the data


def test_a_ranking_of_k_replies_gives_k_choose_2_pairs():
    pairs = reward.pairs_from_ranking("What is the capital of France?", ["Paris.", "It's in Europe.", "Eiffel Tower."])
    assert [(p["chosen"], p["rejected"]) for p in pairs] == [
        ("Paris.", "It's in Europe."), ("Paris.", "Eiffel Tower."), ("It's in Europe.", "Eiffel Tower.")]
    assert len(reward.pairs_from_ranking("q", [str(i) for i in range(5)])) == 10


@pytest.mark.parametrize("line, message", [
    ('{"prompt": "q", "chosen": "same", "rejected": "same"}', "the same reply"),
    ('{"prompt": "q", "chosen": "", "rejected": "no"}', "'chosen' must be a non-empty string"),
    ('{"prompt": "q", "chosen": "a"}', "'rejected' must be a non-empty string"),
    ('{"prompt": "q", "chosen": "a", "rejected": "b", "margin": -1}', "'margin' must be a number >= 0"),
    ('{"prompt": "q", "chosen": "a", "rejected": "b", "margin": "big"}', "'margin' must be a number"),
    ('["q", "a", "b"]', "JSON object"),
    ('{"prompt": "q", "chosen": "a", "rejected": "b"', "not valid JSON"),
])
def test_a_bad_pair_is_one_error_with_its_line_number(tmp_path, line, message):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"prompt": "q", "chosen": "a", "rejected": "b", "reason": "rude"}\n\n' + line + "\n")
    with pytest.raises(UserError, match=f"pairs.jsonl:3: .*{message}"):
        reward.read_preferences(path)


def test_the_bundled_pairs_read_and_every_reason_is_there():
    for split in ("train", "test"):
        pairs = reward.read_preferences(ROOT / "data" / "preferences" / f"{split}.jsonl")
        assert {"wrong", "rude", "unhelpful", "off_topic", "too_short", "unsafe", "over_refusal"} == {
            p["reason"] for p in pairs}


def test_pairs_that_do_not_fit_the_context_are_skipped_and_counted(base):
    tok = Tokenizer.load(base / "tokenizer.json")
    long = {"prompt": "q", "chosen": "word " * 200, "rejected": "short", "reason": "", "margin": 0.0}
    rows, skipped = reward.pair_rows(tok, [long] + synthetic_pairs(3, 0), block_size=64)
    assert len(rows) == 3 and skipped == 1


# ----------------------------------------------------------------------------- training


def test_training_learns_the_preference_and_leaves_the_base_alone(base, pairs, tmp_path):
    before = (base / "model.safetensors").read_bytes()
    run = train(dataclasses.replace(MICRO, max_steps=30), base, tmp_path / "run", pairs)
    assert run["step"] == 30 and run["stopped"] is None
    assert run["val_loss"] < run["val_loss_before"] and run["val_accuracy"] >= 0.9
    assert (base / "model.safetensors").read_bytes() == before
    model, tok = reward.load_reward_model(tmp_path / "run")
    assert reward.score(model, tok, "Question number 5?", GOOD[0]) > reward.score(model, tok, "Question number 5?",
                                                                                   BAD[0])
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "val_accuracy" in r] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]


def test_resume_after_a_crash_continues_exactly(base, pairs, tmp_path, monkeypatch):
    train(MICRO, base, tmp_path / "straight", pairs)
    real_step = reward.train_step

    def crash_after_four(run, stop):
        if run.step == 4:
            raise RuntimeError("power cut")
        return real_step(run, stop)

    monkeypatch.setattr(reward, "train_step", crash_after_four)
    with pytest.raises(RuntimeError):
        train(MICRO, base, tmp_path / "crashed", pairs)
    monkeypatch.setattr(reward, "train_step", real_step)
    train(MICRO, base, tmp_path / "crashed", pairs, resume=True)
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(tmp_path / "crashed" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_ddp_wrapper_is_gone_before_the_process_group(base, pairs, tmp_path, one_process_group):
    run = train(dataclasses.replace(MICRO, max_steps=2), base, tmp_path / "run", pairs)
    assert run["step"] == 2 and not torch.distributed.is_initialized()
    assert one_process_group == [[]]  # the group destroyed once, with no wrapper left


def test_evaluate_writes_accuracy_per_reason_and_the_hacking_probe(base, pairs, tmp_path):
    train(dataclasses.replace(MICRO, max_steps=2), base, tmp_path / "run", pairs)
    test = pairs[1] + [{"prompt": "Capital of Peru?", "chosen": "Lima.", "rejected": "Quito.", "reason": "wrong",
                        "margin": 0.0}]
    report = reward.evaluate(tmp_path / "run", test)
    saved = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert saved["metrics"] == report["metrics"] and (tmp_path / "run" / "reward.png").exists()
    assert set(saved["by_reason"]) == {"all", "rude", "unhelpful", "wrong"} and saved["by_reason"]["wrong"]["n"] == 1
    assert set(saved["hacking"]) == set(reward.DEGENERATE) | {"confident wrong fact"}
    assert saved["hacking"]["confident wrong fact"]["n"] == 1
    assert all(0 <= row["beats_good"] <= 1 for row in saved["hacking"].values())


# ----------------------------------------------------------------------------- the command


def write_pairs(folder: Path, train_pairs: list[dict], test_pairs: list[dict]) -> Path:
    folder.mkdir()
    for name, rows in (("train", train_pairs), ("test", test_pairs)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_bad_input_is_one_line_and_exit_2(base, pairs, tmp_path, capsys):
    data = write_pairs(tmp_path / "data", *pairs)
    bad = write_pairs(tmp_path / "bad", pairs[0][:3] + [{"prompt": "q", "chosen": "x", "rejected": "x"}], pairs[1])
    cases = [
        (["--base", str(tmp_path / "nothing"), "--data", str(data), "--out", str(tmp_path / "o1")], "no model"),
        (["--base", str(base), "--data", str(bad), "--out", str(tmp_path / "o2")], "train.jsonl:4: chosen and rejected"),
        (["--base", str(base), "--data", str(data), "--out", str(tmp_path / "o3"), "--max-steps", "0"],
         "max_steps must be positive"),
        (["--base", str(base), "--data", str(data), "--out", str(tmp_path / "o4"), "--resume"], "no checkpoint"),
        (["--base", str(base), "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o5")], "cannot read"),
    ]
    for flags, message in cases:
        assert cli.main(["reward", "--quiet", *flags]) == 2, flags
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_reward_never_writes_into_a_folder_of_the_users(base, pairs, tmp_path, capsys):
    data = write_pairs(tmp_path / "data", *pairs)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    assert cli.main(["reward", "--quiet", "--base", str(base), "--data", str(data), "--out", str(tmp_path / "mine")]) == 2
    assert "did not write" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_torchrun_two_processes_match_one_process(base, pairs, tmp_path):
    data = write_pairs(tmp_path / "data", *pairs)
    flags = ["--base", str(base), "--data", str(data), "--quiet", "--batch-size", "2", "--global-batch-size", "4",
             "--max-steps", "4", "--learning-rate", "0.003", "--warmup-steps", "1", "--device", "cpu"]
    assert_torchrun_matches_one_process("minillm.reward", flags, tmp_path)


def test_the_stage_is_in_the_pipeline_after_sft():
    from minillm import artifacts
    names = [s.name for s in artifacts.STAGES]
    assert names.index("reward") == names.index("sft") + 1 and artifacts.find_stage("reward").needs == ("sft",)
