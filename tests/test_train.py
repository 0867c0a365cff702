import argparse
import dataclasses
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import torchrun, workers_said
from safetensors.torch import load_file

from minillm import checkpoint, cloze, devices, tokens, train
from minillm.config import config_from_args
from minillm.errors import UserError
from minillm.files import DATA_DIR
from minillm.model import GPT, GPTConfig
from minillm.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
MICRO = train.TrainConfig(model="tiny", n_layer=1, n_head=2, n_embd=32, block_size=32, batch_size=4, global_batch_size=8,
                      max_steps=8, learning_rate=3e-3, warmup_steps=2, eval_interval=4, eval_batches=2,
                      log_interval=2, checkpoint_interval=4, device="cpu", seed=7)


@pytest.fixture(scope="module")
def data(world_tokens) -> Path:
    return world_tokens


def run(cfg, data, out, **kw):
    return train.train(cfg, data, out, progress=False, **kw)


def weights(path: Path) -> dict:
    return load_file(path)


# ----------------------------------------------------------------------------- the lesson's pieces


def test_cross_entropy_matches_torch_even_for_huge_logits():
    logits = torch.randn(20, 50) * 3
    logits[0] += 1000.0  # a naive softmax overflows here
    targets = torch.randint(0, 50, (20,))
    torch.testing.assert_close(train.cross_entropy(logits, targets), F.cross_entropy(logits, targets))


def test_learning_rate_warms_up_linearly_then_follows_a_cosine_to_the_floor():
    lr = [train.learning_rate(s, 1.0, 10, 110, 0.1) for s in range(120)]
    assert lr[0] == pytest.approx(0.1) and lr[4] == pytest.approx(0.5) and lr[9] == pytest.approx(1.0)
    assert lr[10] == pytest.approx(1.0)
    assert lr[60] == pytest.approx(0.55)  # halfway through the cosine: halfway between peak and floor
    assert all(a >= b for a, b in itertools.pairwise(lr[10:]))
    assert lr[110] == lr[119] == pytest.approx(0.1)


def test_sample_batch_gives_shifted_windows_of_one_file_reproducibly():
    a = np.arange(0, 100, dtype=np.uint16)
    b = np.arange(1000, 1050, dtype=np.uint16)
    x, y = train.sample_batch([a, b], 64, 8, train.batch_rng(1, 5))
    assert x.shape == y.shape == (64, 8) and x.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert torch.all(torch.diff(torch.cat([x, y[:, -1:]], 1)) == 1)  # a contiguous slice, never across files
    from_b = x[:, 0] >= 1000
    assert 0 < from_b.sum() < 64  # both files are drawn from
    again, _ = train.sample_batch([a, b], 64, 8, train.batch_rng(1, 5))
    other, _ = train.sample_batch([a, b], 64, 8, train.batch_rng(1, 6))
    assert torch.equal(x, again) and not torch.equal(x, other)


def test_clip_grad_norm_matches_torch():
    torch.manual_seed(0)
    ours, theirs = [torch.nn.Parameter(torch.randn(5, 3)) for _ in range(2)], None
    theirs = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    for p, q in zip(ours, theirs):
        p.grad = torch.randn_like(p) * 4
        q.grad = p.grad.clone()
    norm = train.clip_grad_norm(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    torch.testing.assert_close(norm, expected)
    for p, q in zip(ours, theirs):
        torch.testing.assert_close(p.grad, q.grad)


def test_optimizer_decays_matmul_weights_only():
    model = GPT(GPTConfig(block_size=8, vocab_size=16, n_layer=1, n_head=2, n_embd=8))
    decay, rest = train.make_optimizer(model, MICRO, torch.device("cpu")).param_groups
    names = {id(p): n for n, p in model.named_parameters()}
    assert decay["weight_decay"] == MICRO.weight_decay and rest["weight_decay"] == 0.0
    assert all(names[id(p)].endswith(".weight") and p.dim() == 2 for p in decay["params"])
    rest_names = {names[id(p)] for p in rest["params"]}
    assert {"wte.weight", "wpe.weight", "ln_f.weight", "h.0.attn.c_attn.bias"} <= rest_names


def test_training_memory_of_405b_needs_sharding():
    m = train.training_memory(405e9, n_layer=126, n_embd=16384, seq_len=8192, batch_size=1)
    assert m["weights"] + m["gradients"] + m["optimizer"] == pytest.approx(16 * 405e9)
    assert m["activations"] == 34 * 16384 * 126 * 8192
    sharded = train.training_memory(405e9, 126, 16384, 8192, 1, recompute=True, n_gpus=1024, shard_states=True)
    assert sharded["optimizer"] == pytest.approx(12 * 405e9 / 1024)
    assert sharded["activations"] == m["activations"] / 17


# ----------------------------------------------------------------------------- the loop


def test_training_lowers_the_loss_and_writes_the_run(data, tmp_path):
    cfg = dataclasses.replace(MICRO, max_steps=30, eval_interval=10, log_interval=5)
    seen = []
    result = train.train(cfg, data, tmp_path, progress=False, callback=seen.append)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert records == seen
    val = [r["val_loss"] for r in records if "val_loss" in r]
    assert len(val) == 4 and val[-1] < val[0] - 0.5 and math.log(512) - 0.2 < val[0] < math.log(512) + 0.5
    assert result["val_loss"] == pytest.approx(val[-1], abs=1e-4)
    assert result["perplexity"] == pytest.approx(math.exp(result["val_loss"]), rel=1e-3)
    assert result["tokens"] == 30 * 8 * 32 and result["tokens_per_sec"] > 0 and 0 < result["mfu"] < 1
    train_records = [r for r in records if "loss" in r]
    assert [r["step"] for r in train_records] == [5, 10, 15, 20, 25, 30]
    assert all({"lr", "grad_norm", "tokens_per_sec", "mfu"} <= set(r) for r in train_records)

    model = GPT.load(tmp_path / "model.safetensors")
    assert model.config.vocab_size == 512 and model.config.n_layer == 1
    evals = [r for r in records if "val_loss" in r]
    assert all(0 <= r["fact_accuracy"] <= 1 and 0 < r["fact_p_answer"] < 1 for r in evals)
    final = cloze.score_cloze(model, Tokenizer.load(data / "tokenizer.json"), cloze.read_prompts(
        DATA_DIR / cfg.fact_prompts))
    assert evals[-1]["fact_p_answer"] == pytest.approx(cloze.typical_probability([s["p_answer"] for s in final]),
                                                       abs=1e-4), "the log scores the final weights"
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["step"] == 30 and config["tokenizer_id"] == tokens.tokenizer_id(data)
    assert config["train"]["learning_rate"] == cfg.learning_rate
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "tokenizer.json").read_bytes() == (data / "tokenizer.json").read_bytes()
    state = torch.load(tmp_path / "checkpoint" / "state.pt", weights_only=True)
    assert state["step"] == 30 and len(state["rng"]) == 1


def test_the_ddp_wrapper_is_gone_before_the_process_group(data, tmp_path, one_process_group):
    summary = run(dataclasses.replace(MICRO, max_steps=2, checkpoint_interval=2), data, tmp_path)
    assert summary["step"] == 2 and not torch.distributed.is_initialized()
    assert one_process_group == [[]]  # the group destroyed once, with no wrapper left


def test_fact_scoring_can_be_switched_off(data, tmp_path):
    run(dataclasses.replace(MICRO, fact_prompts=""), data, tmp_path)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r for r in records if "val_loss" in r] and not [r for r in records if "fact_accuracy" in r]


def test_gradient_accumulation_equals_one_big_batch(data, tmp_path):
    accumulated = run(dataclasses.replace(MICRO, batch_size=2, global_batch_size=8), data, tmp_path / "a")
    whole = run(dataclasses.replace(MICRO, batch_size=8, global_batch_size=8), data, tmp_path / "b")
    assert accumulated["train_loss"] == pytest.approx(whole["train_loss"], abs=1e-4)
    a, b = weights(tmp_path / "a" / "model.safetensors"), weights(tmp_path / "b" / "model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-4)


def test_evaluate_is_the_mean_loss_over_the_val_windows(data):
    torch.manual_seed(0)
    model = GPT(GPTConfig(block_size=32, vocab_size=512, n_layer=1, n_head=2, n_embd=16))
    val = tokens.load_split(data, "val", 32)
    got = train.evaluate(model, val, 32, 4, 3, torch.device("cpu"), torch.autocast("cpu", enabled=False))
    starts = train.val_starts(val, 32, 12)
    assert len(starts) == 12 and starts[1][1] - starts[0][1] == 32
    losses = []
    for f, s in starts:
        window = torch.from_numpy(val[f][s:s + 33].astype(np.int64))[None]
        losses.append(model(window[:, :-1], window[:, 1:])[1].item())
    assert got == pytest.approx(np.mean(losses), rel=1e-5)


def test_resume_continues_exactly(data, tmp_path):
    straight = run(MICRO, data, tmp_path / "straight")
    first = run(dataclasses.replace(MICRO, stop_at=5), data, tmp_path / "split")
    assert first["stopped"] == "stop_at=5" and not (tmp_path / "split" / "model.safetensors").exists()
    assert json.loads((tmp_path / "split" / "checkpoint" / "config.json").read_text())["step"] == 5
    resumed = run(MICRO, data, tmp_path / "split", resume=True)
    assert resumed["step"] == straight["step"] == 8
    a, b = weights(tmp_path / "straight" / "model.safetensors"), weights(tmp_path / "split" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["train_loss"] == straight["train_loss"] and resumed["val_loss"] == straight["val_loss"]
    same = (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()
    again = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    strip = [{k: v for k, v in json.loads(r).items() if k not in ("tokens_per_sec", "mfu")} for r in same]
    assert strip == [{k: v for k, v in json.loads(r).items() if k not in ("tokens_per_sec", "mfu")} for r in again]


def test_resume_refuses_tokens_of_another_tokenizer(data, tmp_path):
    run(dataclasses.replace(MICRO, stop_at=2), data, tmp_path / "run")
    other = tmp_path / "other"
    other.mkdir()
    for name in ("train.bin", "val.bin"):
        (other / name).write_bytes((data / name).read_bytes())
    meta = json.loads((data / "meta.json").read_text())
    del meta["tokenizer_digest"]  # token files from before meta.json named their tokenizer: the checkpoint still does
    (other / "meta.json").write_text(json.dumps(meta))
    (other / "tokenizer.json").write_text("{}")
    with pytest.raises(UserError, match="another tokenizer"):
        run(MICRO, other, tmp_path / "run", resume=True)


def test_token_files_refuse_a_tokenizer_json_they_were_not_made_with(data, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    for name in ("train.bin", "val.bin", "meta.json"):
        (other / name).write_bytes((data / name).read_bytes())
    retrained = Tokenizer.train(["a different corpus, a different vocabulary"] * 20, 300,
                                special_tokens=("<|endoftext|>",), progress=False)
    retrained.save(other / "tokenizer.json")
    with pytest.raises(UserError, match="not the tokenizer the token files"):
        run(MICRO, other, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_token_ids_beyond_the_vocabulary_are_refused(data, tmp_path):
    for name in ("val.bin", "meta.json"):
        (tmp_path / name).write_bytes((data / name).read_bytes())
    ids = np.fromfile(data / "train.bin", dtype=np.uint16)
    ids[len(ids) // 2] = 600  # the vocabulary has 512 tokens
    ids.tofile(tmp_path / "train.bin")
    with pytest.raises(UserError, match="hold id 600, but the vocabulary .* only 512"):
        run(MICRO, tmp_path, tmp_path / "run")


def test_a_truncated_checkpoint_is_one_clear_error(data, tmp_path):
    run(dataclasses.replace(MICRO, stop_at=4), data, tmp_path)
    saved = tmp_path / "checkpoint"
    for name in ("state.pt", "model.safetensors"):
        whole = (saved / name).read_bytes()
        (saved / name).write_bytes(whole[:len(whole) // 2])
        with pytest.raises(UserError, match=f"damaged: {name} cannot be read"):
            run(MICRO, data, tmp_path, resume=True)
        (saved / name).write_bytes(whole)
    assert run(MICRO, data, tmp_path, resume=True)["step"] == 8


def test_nan_loss_stops_with_the_last_good_checkpoint_intact(data, tmp_path, monkeypatch):
    forward, calls = GPT.forward, []

    def poisoned(self, idx, targets=None, **kw):
        logits, loss = forward(self, idx, targets, **kw)
        if self.training:
            calls.append(1)
            if len(calls) > 2 * 5:  # two micro-batches per step: step 6 (index 5) goes wrong
                loss = loss * float("nan")
        return logits, loss

    monkeypatch.setattr(GPT, "forward", poisoned)
    with pytest.raises(train.TrainingDiverged, match=r"step 6: the loss became nan .*checkpoint"):
        run(MICRO, data, tmp_path)
    saved = json.loads((tmp_path / "checkpoint" / "config.json").read_text())
    assert saved["step"] == 4
    assert all(torch.isfinite(t).all() for t in weights(tmp_path / "checkpoint" / "model.safetensors").values())
    assert not (tmp_path / "model.safetensors").exists()


def test_a_crash_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = GPT(GPTConfig(block_size=8, vocab_size=16, n_layer=1, n_head=2, n_embd=8))
    optimizer = train.make_optimizer(model, MICRO, torch.device("cpu"))
    folder = tmp_path / "checkpoint"
    checkpoint.save_checkpoint(folder, model, optimizer, 3, {"model": model.config.to_dict()}, [checkpoint.rng_state(torch.device("cpu"))])
    monkeypatch.setattr(torch, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        checkpoint.save_checkpoint(folder, model, optimizer, 4, {"model": model.config.to_dict()}, [])
    assert json.loads((folder / "config.json").read_text())["step"] == 3
    folder.rename(tmp_path / ".checkpoint.old")  # as if we died between the two renames of the swap
    assert checkpoint.find_checkpoint(folder) == tmp_path / ".checkpoint.old"
    info = checkpoint.load_checkpoint(folder, model, optimizer, torch.device("cpu"))
    assert info["step"] == 3


def test_bad_settings_are_one_line_errors(data, tmp_path):
    with pytest.raises(UserError, match="multiple of batch_size"):
        run(dataclasses.replace(MICRO, batch_size=3), data, tmp_path)
    with pytest.raises(UserError, match="unknown model"):
        run(dataclasses.replace(MICRO, model="huge"), data, tmp_path)
    with pytest.raises(UserError, match="no meta.json"):
        run(MICRO, tmp_path, tmp_path / "out")
    for value in (-1.0, math.nan, math.inf):
        with pytest.raises(UserError, match="learning_rate must be a finite number >= 0"):
            run(dataclasses.replace(MICRO, learning_rate=value), data, tmp_path)
    with pytest.raises(UserError, match="block_size must be positive, got 0"):
        run(dataclasses.replace(MICRO, block_size=0), data, tmp_path)
    with pytest.raises(UserError, match="beta2 must be below 1"):
        run(dataclasses.replace(MICRO, beta2=1.5), data, tmp_path)


def test_a_micro_batch_that_cannot_fit_is_refused_before_allocating(data, tmp_path, monkeypatch):
    huge = dataclasses.replace(MICRO, batch_size=100_000_000, global_batch_size=100_000_000)
    monkeypatch.setattr(train.GPT, "__init__", lambda *a, **k: pytest.fail("the model was built"))
    with pytest.raises(UserError, match=r"micro-batch of 100000000 x 32 tokens needs at least [\d,.]+ GiB"):
        run(huge, data, tmp_path)
    assert train.device_memory(torch.device("cpu")) > 2**20  # the machine's RAM is known here


def test_zero_overrides_are_errors_not_the_preset(capsys):
    assert train.main(["--out", "x", "--block-size", "0"]) == 2
    assert capsys.readouterr().err.strip() == "minillm: error: block_size must be positive, got 0"
    assert train.model_config(dataclasses.replace(MICRO, n_layer=3), 512).n_layer == 3


def test_the_preset_micro_batch_is_fitted_to_the_processes():
    tiny = train.PRESETS["tiny"]  # micro-batch 4, global batch 4
    assert train.fit_batch_size(tiny, 2).batch_size == 2 and train.accumulation_steps(train.fit_batch_size(tiny, 2), 2) == 1
    assert train.fit_batch_size(tiny, 1) == tiny
    assert train.fit_batch_size(dataclasses.replace(tiny, global_batch_size=12), 2).batch_size == 3
    assert train.fit_batch_size(tiny, 3) == tiny  # 4 sequences do not split over 3 processes: still an error
    with pytest.raises(UserError, match="multiple of batch_size x processes"):
        train.accumulation_steps(tiny, 3)


def test_resume_without_a_checkpoint_is_refused(data, tmp_path, capsys):
    assert train.main(["--data", str(data), "--out", str(tmp_path / "new"), "--resume", "--quiet"]) == 2
    assert "--resume: no checkpoint in" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_pretrain_never_writes_into_a_folder_of_the_users(data, tmp_path, capsys):
    victim = tmp_path / "victim"
    (victim / "checkpoint").mkdir(parents=True)
    (victim / "checkpoint" / "notes.txt").write_text("mine")
    (victim / "metrics.jsonl").write_text("my own metrics\n")
    flags = ["--data", str(data), "--quiet", *micro_flags(dataclasses.replace(MICRO, max_steps=4))]
    assert train.main([*flags, "--out", str(victim)]) == 2
    assert "holds files that minillm's pretrain did not write" in capsys.readouterr().err
    assert (victim / "checkpoint" / "notes.txt").read_text() == "mine"
    assert (victim / "metrics.jsonl").read_text() == "my own metrics\n"
    with pytest.raises(UserError, match="did not write"):  # the library function refuses too
        run(MICRO, data, victim)
    assert sorted(p.name for p in victim.rglob("*")) == ["checkpoint", "metrics.jsonl", "notes.txt"]
    # its own earlier run is the folder it may write into again
    assert train.main([*flags, "--out", str(tmp_path / "mine")]) == 0
    assert train.main([*flags, "--out", str(tmp_path / "mine")]) == 0


def test_cli_flags_override_the_preset():
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    args = parser.parse_args(["--preset", "small", "--max-steps", "7", "--learning-rate", "0.01", "--no-compile",
                              "--stop-at", "3", "--out", "x"])
    cfg = config_from_args(args, train.PRESETS[args.preset])
    assert cfg == dataclasses.replace(train.PRESETS["small"], max_steps=7, learning_rate=0.01, compile=False, stop_at=3)
    assert set(vars(parser.parse_args([]))) >= {f.name for f in dataclasses.fields(train.TrainConfig)}


def test_build_stage_reports_metrics_and_figures(data, tmp_path):
    report = train.build_stage(MICRO, {"tokenizer": data}, tmp_path, progress=False)
    m = report["metrics"]
    assert m["steps"] == 8 and m["tokens"] == 8 * 8 * 32
    assert m["perplexity"] == pytest.approx(math.exp(m["val_loss"]), rel=1e-3)
    assert report["figures"] == ["loss.png"] and (tmp_path / "loss.png").exists()
    assert "validation loss" in report["summary"]


def test_stopped_build_is_not_a_finished_artifact_and_resumes(data, tmp_path):
    with pytest.raises(UserError, match="stopped at step 3"):
        train.build_stage(dataclasses.replace(MICRO, stop_at=3), {"tokenizer": data}, tmp_path, progress=False)
    assert checkpoint.find_checkpoint(tmp_path / "checkpoint") is not None and not (tmp_path / "model.safetensors").exists()
    report = train.build_stage(MICRO, {"tokenizer": data}, tmp_path, progress=False)
    assert report["metrics"]["steps"] == 8


# ----------------------------------------------------------------------------- processes


def micro_flags(cfg: train.TrainConfig) -> list[str]:
    flags = []
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, bool):
            flags.append(f"--{'' if value else 'no-'}{f.name.replace('_', '-')}")
        elif value is not None:
            flags += [f"--{f.name.replace('_', '-')}", str(value)]
    return flags


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def test_torchrun_two_processes_match_one_process(data, tmp_path):
    """gloo on CPU: 2 ranks x 1 micro-batch == 1 process x 2 accumulated micro-batches (same global batch).

    The only difference is the order in which the two gradients are summed (float32 rounding), so
    after 6 AdamW steps the weights agree to 1e-5; the two ranks end bit-identical.
    """
    cfg = dataclasses.replace(MICRO, max_steps=6)
    single = run(cfg, data, tmp_path / "one")
    done = torchrun("minillm.train", "--data", str(data), "--out", str(tmp_path / "two"), "--quiet",
                    *micro_flags(cfg), env=env(), timeout=120)
    assert done.returncode == 0, workers_said(done)
    # Linear weights are column-major; DDP's gradient buckets must follow that layout, or it warns and copies.
    assert "strides" not in done.stderr, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["world_size"] == 2 and summary["replicas_identical"] is True
    assert summary["train_loss"] == pytest.approx(single["train_loss"], abs=1e-4)
    assert summary["val_loss"] == pytest.approx(single["val_loss"], abs=1e-4)
    a, b = weights(tmp_path / "one" / "model.safetensors"), weights(tmp_path / "two" / "model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=0)
    state = torch.load(tmp_path / "two" / "checkpoint" / "state.pt", weights_only=True)
    assert len(state["rng"]) == 2


def test_torchrun_fits_the_presets_micro_batch_and_says_an_error_once(data, tmp_path):
    """The tiny preset (micro-batch 4 = global batch 4) on 2 processes: 2 sequences each, no error."""
    small = ["--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "32", "--eval-batches", "2",
             "--fact-prompts", "", "--device", "cpu", "--quiet", "--data", str(data)]

    def two_processes(*flags):
        return torchrun("minillm.train", "--preset", "tiny", *small, *flags, env=env(), timeout=120)

    failed = two_processes("--global-batch-size", "3", "--out", str(tmp_path / "odd"))
    assert failed.returncode != 0
    assert failed.stderr.count("minillm: error: global_batch_size (3) must be a multiple") == 1, failed.stderr[-2000:]
    done = two_processes("--max-steps", "2", "--out", str(tmp_path / "two"))
    assert done.returncode == 0, workers_said(done)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["world_size"] == 2 and summary["step"] == 2
    assert json.loads((tmp_path / "two" / "config.json").read_text())["train"]["batch_size"] == 2


def test_sigterm_saves_a_checkpoint_and_exits_non_zero(data, tmp_path):
    cfg = dataclasses.replace(MICRO, max_steps=100_000, checkpoint_interval=100_000, eval_interval=100_000)
    cmd = [sys.executable, "-m", "minillm.train", "--data", str(data), "--out", str(tmp_path), "--quiet",
           *micro_flags(cfg)]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = tmp_path / "metrics.jsonl"
    deadline = time.monotonic() + 60
    while not (metrics.exists() and '"loss"' in metrics.read_text()) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err  # `pretrain && next` must not go on
    assert "stopped by SIGTERM" in err and "--resume" in err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["stopped"] == "SIGTERM" and 2 <= summary["step"] < 100_000
    assert json.loads((tmp_path / "checkpoint" / "config.json").read_text())["step"] == summary["step"]


def test_token_shards_are_read_like_one_file(data, tmp_path):
    ids = np.fromfile(data / "train.bin", dtype=np.uint16)
    half = len(ids) // 2
    ids[:half].tofile(tmp_path / "train_000000.bin")
    ids[half:].tofile(tmp_path / "train_000001.bin")
    (tmp_path / "val_000000.bin").write_bytes((data / "val.bin").read_bytes())
    (tmp_path / "meta.json").write_bytes((data / "meta.json").read_bytes())
    shards = tokens.load_split(tmp_path, "train", 32)
    assert [len(s) for s in shards] == [half, len(ids) - half]
    result = run(dataclasses.replace(MICRO, max_steps=2), tmp_path, tmp_path / "run")
    assert result["step"] == 2 and math.isfinite(result["val_loss"])
    with pytest.raises(UserError, match="no test.bin or test_"):
        tokens.load_split(tmp_path, "test", 32)


def test_exit_with_skips_the_teardown_only_under_torchrun(monkeypatch):
    ended, shut = [], []
    monkeypatch.setattr(devices.os, "_exit", ended.append)
    monkeypatch.setattr(devices.logging, "shutdown", lambda: shut.append(True))  # not the test run's own logging
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(SystemExit) as alone:
        devices.exit_with(3)
    assert alone.value.code == 3 and ended == [] and shut == []
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    devices.exit_with(0)
    assert ended == [0] and shut == [True]
