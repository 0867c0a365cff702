"""Lesson 11's training: rollouts, PPO and GRPO runs, DPO runs, the rl stage and the commands."""

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch
from conftest import assert_torchrun_matches_one_process, torchrun, workers_said
from safetensors.torch import load_file

from minillm import chat, cli, dpo, rl, rl_stage, rl_train
from minillm.chat import with_tool_tokens
from minillm.checkpoint import load_model
from minillm.devices import ONE_PROCESS
from minillm.model import GPT, GPTConfig
from minillm.reward import RewardModel
from minillm.sample import GenerationConfig
from minillm.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
MICRO = rl_train.RLConfig(iterations=4, rollouts=8, ppo_epochs=2, minibatches=2, batch_size=2, max_new_tokens=6,
                          learning_rate=3e-3, warmup_steps=1, checkpoint_interval=2, device="cpu", seed=3)
QUESTIONS = [{"conversation": [{"role": "user", "content": f"What is {a} + {b}?"}], "answer": str(a + b),
              "kind": "arithmetic"} for a, b in [(1, 2), (3, 4), (5, 6), (7, 8), (2, 2), (9, 1)]]


@pytest.fixture(scope="module")
def sft(world_tokens, tmp_path_factory) -> Path:
    """A 'fine-tuned' model folder: a small random GPT and the tokenizer with the chat and tool tokens."""
    folder = tmp_path_factory.mktemp("sft")
    tok = with_tool_tokens(Tokenizer.load(world_tokens / "tokenizer.json"))
    torch.manual_seed(0)
    GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=128, n_layer=1, n_head=2, n_embd=32)).save_safetensors(
        folder / "model.safetensors")
    tok.save(folder / "tokenizer.json")
    return folder


@pytest.fixture(scope="module")
def reward_folder(sft, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reward")
    body, _ = load_model(sft)
    torch.manual_seed(1)
    RewardModel(body).save_safetensors(folder / "model.safetensors")
    shutil.copyfile(sft / "tokenizer.json", folder / "tokenizer.json")
    return folder


def train(cfg, sft, reward_folder, out, prompts=QUESTIONS, **kw):
    return rl_train.train_policy(cfg, sft, reward_folder, out, prompts, progress=False, **kw)


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


# ----------------------------------------------------------------------------- rollouts


def test_a_rollout_lays_out_prompt_and_reply_and_masks_tool_outputs(sft, monkeypatch):
    model, tok = load_model(sft)
    script = iter([["I get <|calc|>1+2<|/calc|>", "Hi"], [" so."]])
    monkeypatch.setattr(chat, "generate", lambda m, prompts, cfg: [tok.encode(t, allowed_special="all")
                                                                   for t in next(script)])
    conversations = [QUESTIONS[0]["conversation"], [{"role": "user", "content": "Hello there, how are you?"}]]
    rollouts = rl.roll_out(model, tok, conversations, GenerationConfig(max_new_tokens=40))
    calc, hi = rollouts.replies
    prompt = chat.render_prompt(tok, conversations[0])
    assert rollouts.ids[0, :len(prompt) + len(calc.tokens)].tolist() == prompt + calc.tokens
    three = tok.encode("3")
    start = len(prompt) - 1  # position len(prompt) - 1 chooses the reply's first token
    chosen = rollouts.mask[0, start:start + len(calc.tokens)].tolist()
    assert chosen == calc.chosen and chosen.count(0) == len(three)
    assert rollouts.mask[0, :start].sum() == 0 and rollouts.mask[0, start + len(calc.tokens):].sum() == 0
    assert rollouts.span[0].sum() == len(calc.tokens) and rollouts.mask[0].sum() == len(calc.tokens) - len(three)
    assert hi.finished and rollouts.mask[1].sum() == len(tok.encode("Hi")) + 1  # its <|im_end|> is a choice too


def test_a_reply_that_outgrows_the_context_is_cut_and_unfinished(sft):
    model, tok = load_model(sft)

    def question(words: int) -> list[dict]:
        return [{"role": "user", "content": "word " * words}]

    words = next(n for n in range(200) if len(chat.render_prompt(tok, question(n))) >= model.config.block_size - 4)
    rollouts = rl.roll_out(model, tok, [question(words)], GenerationConfig(max_new_tokens=40, seed=0))
    prompt, [reply] = chat.render_prompt(tok, question(words)), rollouts.replies
    assert len(reply.tokens) <= model.config.block_size + 1 - len(prompt) <= 5
    assert rollouts.ids.size(1) == len(prompt) + len(reply.tokens) <= model.config.block_size + 1
    with pytest.raises(rl.UserError, match="no room for a reply"):
        rl.roll_out(model, tok, [question(words + 10)], GenerationConfig())


def test_token_logprobs_and_kl_by_hand():
    logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]]))  # (1, 2, 3)
    ids = torch.tensor([[0, 1, 2]])
    lp = rl.token_logprobs(logits, ids)
    torch.testing.assert_close(lp, torch.log(torch.tensor([[0.25, 0.8]])))
    ref = torch.log(torch.tensor([[0.5, 0.4]]))
    assert rl.kl_to_reference(lp, ref, torch.tensor([[1.0, 0.0]])).item() == pytest.approx(torch.log(
        torch.tensor(0.5)).item())
    assert rl.entropy(logits)[0, 0].item() == pytest.approx(-(0.5 * torch.log(torch.tensor(0.5)) + 0.5 * torch.log(
        torch.tensor(0.25))).item(), abs=1e-6)


@pytest.mark.parametrize("n, correct, k, expected", [(8, 0, 1, 0.0), (8, 8, 1, 1.0), (8, 2, 1, 0.25),
                                                     (8, 1, 8, 1.0), (4, 1, 2, 0.5), (5, 2, 2, 0.7)])
def test_pass_at_k_by_hand(n, correct, k, expected):
    # 1 - C(n - c, k) / C(n, k): e.g. n = 5, c = 2, k = 2 -> 1 - C(3, 2) / C(5, 2) = 1 - 3 / 10
    assert rl.pass_at_k(n, correct, k) == pytest.approx(expected)


def test_explained_variance_by_hand():
    returns = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    assert rl_train.explained_variance(returns, returns, mask) == pytest.approx(1.0)
    assert rl_train.explained_variance(torch.full_like(returns, 2.0), returns, mask) == pytest.approx(0.0)


# ----------------------------------------------------------------------------- PPO and GRPO runs


def even_tokens(rollouts, prompts, reward_model, tok):
    """A synthetic score the policy can learn fast: the share of the reply's chosen tokens with an even id."""
    rows = []
    for reply in rollouts.replies:
        chosen = [t for t, c in zip(reply.tokens, reply.chosen) if c]
        rows.append(sum(t % 2 == 0 for t in chosen) / max(len(chosen), 1))
    return torch.tensor(rows)


@pytest.mark.parametrize("algo", ["ppo", "grpo"])
def test_training_raises_a_synthetic_reward_and_never_moves_the_reference(algo, sft, reward_folder, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(rl_train, "scores_of", even_tokens)
    cfg = dataclasses.replace(MICRO, algo=algo, group_size=4 if algo == "grpo" else 1, iterations=12, rollouts=16,
                              batch_size=4, max_new_tokens=8, unfinished_penalty=0.0, kl_coef=0.0, learning_rate=3e-2)
    before = (sft / "model.safetensors").read_bytes()
    run = rl_train.start_run(cfg, sft, reward_folder, tmp_path / "run", QUESTIONS, False, ONE_PROCESS,
                             torch.device("cpu"))
    summary = rl_train.loop(run, progress=False)
    assert summary["iteration"] == 12 and summary["step"] == 12 * 4 and summary["stopped"] is None
    scores = [r["score"] for r in records(tmp_path / "run")]
    assert sum(scores[-3:]) / 3 > sum(scores[:3]) / 3 + 0.2, scores  # about 0.5 -> 0.9 measured
    reference = load_model(sft)[0].state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in run.reference.state_dict().items())
    assert (sft / "model.safetensors").read_bytes() == before
    policy, _ = load_model(tmp_path / "run")  # the run's result is a plain GPT folder, loadable anywhere
    assert not torch.equal(policy.wte.weight, load_model(sft)[0].wte.weight)
    assert (run.model.value is None) == (algo == "grpo")


def test_the_value_model_is_the_reward_models_body_under_a_zero_head(reward_folder):
    value = rl_train.value_model(reward_folder)
    reward_model = rl_train.load_reward_model(reward_folder)[0]
    assert reward_model.head.weight.abs().sum() > 0
    assert value.head.weight.abs().sum() == 0 and value.head.bias.abs().sum() == 0
    body, original = value.body.state_dict(), reward_model.body.state_dict()
    assert all(torch.equal(body[name], original[name]) for name in original)
    ids = torch.randint(0, value.config.vocab_size, (2, 5))
    assert torch.equal(value.head(value.body.hidden_states(ids)), torch.zeros(2, 5, 1))


def test_ppo_warms_up_over_the_value_models_iterations_and_the_policys_first_three():
    assert all(cfg.warmup_steps == rl_train.ppo_warmup(cfg) for cfg in rl_train.PRESETS.values())
    cfg = rl_train.PRESETS["tiny"]
    assert cfg.warmup_steps == 16  # 1 value iteration + 3 policy iterations, 4 steps each: the study's setting
    assert rl_train.ppo_warmup(dataclasses.replace(cfg, value_warmup=0, ppo_epochs=1, minibatches=4)) == 12


def test_every_iteration_logs_what_the_issue_asks(sft, reward_folder, tmp_path):
    def second_judge(experience, prompts):  # as benchmarks/reward_hacking.py's gold model does
        assert len(prompts) == len(experience.rollouts.replies) == MICRO.rollouts
        return {"longest_reply": max(len(r.text) for r in experience.rollouts.replies)}

    train(MICRO, sft, reward_folder, tmp_path / "run", observe=second_judge)
    logged = records(tmp_path / "run")
    assert [r["iteration"] for r in logged] == [0, 1, 2, 3]
    for key in ("score", "kl", "entropy", "clip_fraction", "value_loss", "explained_variance", "reply_tokens",
                "rollout_tokens_per_s", "update_tokens_per_s", "iteration_s", "longest_reply"):
        assert all(key in r for r in logged), key
    assert all(r["longest_reply"] > 0 for r in logged)
    assert logged[0]["kl"] == pytest.approx(0.0, abs=1e-4), "the first replies come from the reference itself"
    assert (tmp_path / "run" / "training.png").exists()


def test_the_ddp_wrapper_is_gone_before_the_process_group(sft, reward_folder, tmp_path, one_process_group):
    run = train(dataclasses.replace(MICRO, iterations=1), sft, reward_folder, tmp_path / "ppo")
    dpo.train_dpo(dataclasses.replace(DPO_MICRO, max_steps=2), sft, tmp_path / "dpo", PAIRS[:8], PAIRS[8:],
                  progress=False)
    assert run["iteration"] == 1 and not torch.distributed.is_initialized()
    assert one_process_group == [[], []]  # PPO's group, then DPO's, each destroyed with no wrapper left


@pytest.mark.parametrize("sft_coef", [0.0, 0.5])
def test_resume_after_a_crash_continues_exactly(sft_coef, sft, reward_folder, tmp_path, monkeypatch):
    cfg = dataclasses.replace(MICRO, sft_coef=sft_coef, sft_rows=2)
    train(cfg, sft, reward_folder, tmp_path / "straight")
    if sft_coef:  # lesson 09's loss joins from the first iteration after the value warm-up
        logged = records(tmp_path / "straight")
        assert "sft_loss" not in logged[0] and all(r["sft_loss"] > 0 for r in logged[1:])
    real_update = rl_train.update

    def crash_in_iteration_three(run, exp, stop):
        if run.iteration == 3:
            raise RuntimeError("power cut")
        return real_update(run, exp, stop)

    monkeypatch.setattr(rl_train, "update", crash_in_iteration_three)
    with pytest.raises(RuntimeError):
        train(cfg, sft, reward_folder, tmp_path / "crashed")
    monkeypatch.setattr(rl_train, "update", real_update)
    train(cfg, sft, reward_folder, tmp_path / "crashed", resume=True)
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(tmp_path / "crashed" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    def untimed(folder):
        return [{k: v for k, v in r.items() if not k.endswith(("_per_s", "iteration_s"))} for r in records(folder)]

    assert untimed(tmp_path / "crashed") == untimed(tmp_path / "straight")


def test_practice_kinds_chooses_the_prompts():
    facts = [{"conversation": [{"role": "user", "content": "Capital of Fiji?"}], "answer": "Suva", "kind": "capital"}]
    assert rl_train.practice_prompts(QUESTIONS + facts, "") == QUESTIONS + facts
    assert rl_train.practice_prompts(QUESTIONS + facts, "arithmetic") == QUESTIONS
    assert rl_train.practice_prompts(QUESTIONS + facts, " capital, arithmetic ") == QUESTIONS + facts
    with pytest.raises(rl_train.UserError, match="no prompts to practise on.*kinds: arithmetic"):
        rl_train.practice_prompts(QUESTIONS, "capital")


@pytest.mark.parametrize("algo", ["ppo", "grpo"])
def test_the_fine_tuning_term_adds_lesson_09s_gradient_to_the_policy(algo, sft, reward_folder, tmp_path):
    cfg = dataclasses.replace(MICRO, algo=algo, group_size=2 if algo == "grpo" else 1, sft_coef=0.5, sft_rows=3,
                              value_warmup=1)
    run = rl_train.start_run(cfg, sft, reward_folder, tmp_path / "run", QUESTIONS, False, ONE_PROCESS,
                             torch.device("cpu"))
    assert len(run.sft_rows) > 100  # data/sft's conversations, rendered as lesson 09 trains on them
    assert rl_train.practising_with_sft(run) == (algo == "grpo")  # not in PPO's value warm-up
    run.iteration = 1
    assert rl_train.practising_with_sft(run)
    x, y, m = rl_train.sft_batch(run)
    assert x.size(0) == 3 and torch.equal(x, rl_train.sft_batch(run)[0])  # fixed by the step
    loss = rl_train.fine_tuning_backward(run)["sft_loss"]
    got = {name: p.grad.clone() for name, p in run.model.policy.named_parameters()}
    run.model.zero_grad(set_to_none=True)
    expected = rl_train.masked_cross_entropy(run.model.policy(x)[0], y, m)
    (0.5 * expected).backward()
    assert loss == pytest.approx(expected.item(), rel=1e-6)
    assert all(torch.allclose(got[name], p.grad, atol=1e-7) for name, p in run.model.policy.named_parameters())
    if run.model.value is not None:
        assert all(p.grad is None for p in run.model.value.parameters())
    assert not rl_train.practising_with_sft(dataclasses.replace(run, cfg=dataclasses.replace(cfg, sft_coef=0.0)))


def test_the_reward_model_can_be_the_score(sft, reward_folder, tmp_path):
    prompts = [{"conversation": [{"role": "user", "content": f"Tell me a story about {w}."}], "answer": None,
                "kind": "open"} for w in ("a cat", "the sea", "a hill", "rain")]
    # practice_kinds chooses among data/rl's questions; the open-ended requests keep their own
    run = train(dataclasses.replace(MICRO, reward="model", iterations=1, practice_kinds="arithmetic"), sft,
                reward_folder, tmp_path / "run", prompts)
    assert run["iteration"] == 1 and isinstance(run["score"], float)


# ----------------------------------------------------------------------------- DPO

PAIRS = [{"prompt": f"Question {i}?", "chosen": "Yes, here it is.", "rejected": "Go away.", "reason": "rude",
          "margin": 0.0} for i in range(12)]
DPO_MICRO = dpo.DPOConfig(batch_size=2, global_batch_size=4, max_steps=6, learning_rate=3e-3, warmup_steps=1,
                          eval_interval=3, log_interval=2, checkpoint_interval=3, device="cpu", seed=3)


def test_dpo_prefers_the_chosen_reply_and_leaves_the_reference_alone(sft, tmp_path):
    before = (sft / "model.safetensors").read_bytes()
    run = dpo.train_dpo(dataclasses.replace(DPO_MICRO, max_steps=12), sft, tmp_path / "run", PAIRS[:8], PAIRS[8:],
                        progress=False)
    assert run["val_loss"] < run["val_loss_before"] and run["val_accuracy"] == 1.0
    assert run["val_loss_before"] == pytest.approx(0.6931, abs=1e-3), "before a step the policy is the reference"
    assert (sft / "model.safetensors").read_bytes() == before
    logged = [r for r in records(tmp_path / "run") if "chosen_reward" in r]
    assert logged[-1]["chosen_reward"] > logged[-1]["rejected_reward"]


def test_dpo_resume_after_a_crash_continues_exactly(sft, tmp_path, monkeypatch):
    dpo.train_dpo(DPO_MICRO, sft, tmp_path / "straight", PAIRS[:8], PAIRS[8:], progress=False)
    real_step = dpo.train_step

    def crash_after_four(run, stop):
        if run.step == 4:
            raise RuntimeError("power cut")
        return real_step(run, stop)

    monkeypatch.setattr(dpo, "train_step", crash_after_four)
    with pytest.raises(RuntimeError):
        dpo.train_dpo(DPO_MICRO, sft, tmp_path / "crashed", PAIRS[:8], PAIRS[8:], progress=False)
    monkeypatch.setattr(dpo, "train_step", real_step)
    dpo.train_dpo(DPO_MICRO, sft, tmp_path / "crashed", PAIRS[:8], PAIRS[8:], progress=False, resume=True)
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(tmp_path / "crashed" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def write_pairs(folder: Path) -> Path:
    folder.mkdir()
    for name, rows in (("train", PAIRS[:8]), ("test", PAIRS[8:])):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_dpo_torchrun_two_processes_match_one_process(sft, tmp_path):
    flags = ["--base", str(sft), "--data", str(write_pairs(tmp_path / "data")), "--quiet", "--batch-size", "2",
             "--global-batch-size", "4", "--max-steps", "3", "--learning-rate", "0.003", "--warmup-steps", "1",
             "--device", "cpu"]
    assert_torchrun_matches_one_process("minillm.dpo", flags, tmp_path)


# ----------------------------------------------------------------------------- the commands


def write_questions(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps({"prompt": q["conversation"][-1]["content"], "answer": q["answer"],
                                        "kind": q["kind"]}) + "\n" for q in rows))
    return path


def test_the_saved_policy_is_the_interpolation_and_the_checkpoint_the_trained_one(sft, reward_folder, tmp_path):
    cfg = dataclasses.replace(MICRO, iterations=2, interpolation=0.5)
    train(cfg, sft, reward_folder, tmp_path / "run")
    fine_tuned = load_file(sft / "model.safetensors")
    trained = {k.removeprefix("policy."): v for k, v in load_file(tmp_path / "run" / "checkpoint" /
                                                                  "model.safetensors").items() if k.startswith("policy.")}
    saved = load_file(tmp_path / "run" / "model.safetensors")
    assert saved.keys() == fine_tuned.keys()
    assert any(not torch.equal(trained[k], fine_tuned[k]) for k in saved)  # it trained
    for k in saved:
        torch.testing.assert_close(saved[k], (fine_tuned[k] + trained[k]) / 2)
    with pytest.raises(rl_train.UserError, match="interpolation must be above 0 and at most 1, got 1.5"):
        rl_train.check_config(dataclasses.replace(cfg, interpolation=1.5))


def test_the_distillation_term_holds_the_policy_to_the_fine_tuned_models_distribution(sft, reward_folder, tmp_path):
    cfg = dataclasses.replace(MICRO, algo="grpo", group_size=2, distill_coef=0.5, sft_rows=3)
    run = rl_train.start_run(cfg, sft, reward_folder, tmp_path / "run", QUESTIONS, False, ONE_PROCESS,
                             torch.device("cpu"))
    assert rl_train.fine_tuning_backward(run) == pytest.approx({"distill_kl": 0.0}, abs=1e-6)  # it starts as the reference
    assert all(p.grad is None or p.grad.abs().max() < 1e-6 for p in run.model.policy.parameters())
    with torch.no_grad():
        run.model.policy.ln_f.weight.mul_(1.5)  # sharper logits than the reference's: a KL to pull back
    run.model.zero_grad(set_to_none=True)
    x, _, m = rl_train.sft_batch(run)
    loss = rl_train.fine_tuning_backward(run)["distill_kl"]
    got = run.model.policy.ln_f.weight.grad.clone()
    run.model.zero_grad(set_to_none=True)
    expected = rl.reference_kl(run.model.policy(x)[0], run.reference(x)[0], m)
    (0.5 * expected).backward()
    assert loss == pytest.approx(expected.item(), rel=1e-5) and loss > 1e-3
    assert torch.allclose(got, run.model.policy.ln_f.weight.grad, atol=1e-7)


def test_bad_input_is_one_line_and_exit_2(sft, reward_folder, tmp_path, capsys):
    prompts = write_questions(tmp_path / "q.jsonl", QUESTIONS)
    (tmp_path / "bad.jsonl").write_text('{"prompt": "What is 1 + 1?", "answer": "2", "kind": "arithmetic"}\n{"x": 1}\n')
    common = ["--base", str(sft), "--reward-model", str(reward_folder), "--quiet"]
    cases = [
        (["--base", str(tmp_path / "nothing"), "--reward-model", str(reward_folder), "--prompts", str(prompts),
          "--out", str(tmp_path / "o1")], "no model"),
        ([*common, "--prompts", str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "o2")], "bad.jsonl:2"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o3"), "--algo", "grpo", "--group-size", "1"],
         "group_size must be at least 2"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o4"), "--rollouts", "7"], "multiple of"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o5"), "--temperature", "0"], "above 0"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o6"), "--resume"], "no checkpoint"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o7"), "--algo", "a2c"], "algo must be one of"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o8"), "--practice-kinds", "capital"],
         "no prompts to practise on"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o9"), "--sft-coef", "-1"], "sft_coef"),
        ([*common, "--prompts", str(prompts), "--out", str(tmp_path / "o10"), "--distill-coef", "nan"], "distill_coef"),
        (["--algo", "grpo", "--quiet"], "pass --out DIR for one run"),
    ]
    for flags, message in cases:
        assert cli.main(["rl", *flags]) == 2, flags
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert cli.main(["dpo", "--quiet", "--base", str(sft), "--out", str(tmp_path / "d1"), "--beta", "0"]) == 2
    assert "beta must be above 0" in capsys.readouterr().err


def test_torchrun_two_processes_train_one_policy(sft, reward_folder, tmp_path):
    prompts = write_questions(tmp_path / "q.jsonl", QUESTIONS)
    flags = ["--base", str(sft), "--reward-model", str(reward_folder), "--prompts", str(prompts), "--quiet",
             "--iterations", "2", "--rollouts", "8", "--batch-size", "2", "--max-new-tokens", "6", "--device", "cpu",
             "--sft-coef", "0.5", "--sft-rows", "2", "--out", str(tmp_path / "two")]
    two = torchrun("minillm.rl_stage", *flags)
    assert two.returncode == 0, workers_said(two)
    summary = json.loads(two.stdout.strip().splitlines()[-1])
    assert summary["replicas_identical"] is True and summary["iteration"] == 2
    assert load_model(tmp_path / "two")[0].config.vocab_size == load_model(sft)[0].config.vocab_size


# ----------------------------------------------------------------------------- the stage


def test_the_evaluation_compares_every_policy_on_the_held_out_questions(sft, reward_folder, tmp_path):
    for name in ("ppo", "grpo", "dpo"):  # stand-ins: the evaluation only reads the folders
        shutil.copytree(sft, tmp_path / name)
        (tmp_path / name / "metrics.jsonl").write_text(json.dumps(
            {"iteration_s": 1.5, "rollout_tokens_per_s": 100, "update_tokens_per_s": 50}) + "\n")
    report = rl_stage.evaluate(tmp_path, sft, reward_folder, samples=2)
    saved = json.loads((tmp_path / "eval.json").read_text())
    assert saved["metrics"] == report["metrics"] and (tmp_path / "rl.png").exists()
    models = saved["models"]
    assert set(models) == {"SFT", "PPO", "GRPO", "DPO"}
    assert models["SFT"]["by_kind"]["arithmetic"]["n"] == 150 and models["SFT"]["by_kind"]["all"]["n"] == 249
    assert models["PPO"] == models["SFT"], "the same weights give the same replies, and a KL of 0"
    assert models["SFT"]["open"]["kl"] == 0.0
    assert 0 <= saved["sft_sampled"]["1"] <= saved["sft_sampled"]["2"] <= 1
    assert saved["metrics"]["sft_pass@2"] == saved["sft_sampled"]["2"]
    lines = (tmp_path / "replies.jsonl").read_text().splitlines()
    assert len(lines) == 249 + len(rl_train.open_ended_prompts(ROOT / "data" / "preferences" / "test.jsonl"))


def test_the_stage_is_in_the_pipeline_after_the_reward_model():
    from minillm import artifacts
    names = [s.name for s in artifacts.STAGES]
    assert names.index("rl") == names.index("reward") + 1
    assert artifacts.find_stage("rl").needs == ("sft", "reward")
    cfg = rl_stage.PRESETS["tiny"]
    assert (cfg.ppo.algo, cfg.grpo.algo, cfg.grpo.group_size) == ("ppo", "grpo", 4)
    # GRPO writes twice PPO's replies an iteration: most of its groups score alike and teach nothing
    assert cfg.grpo.rollouts == 2 * cfg.ppo.rollouts and cfg.grpo.iterations == 30
    # both practise on the sums, held by lesson 09's loss; PPO stops at 24 to fit 3 minutes
    assert cfg.ppo.iterations == 24 and all((c.practice_kinds, c.sft_coef) == ("arithmetic", 0.2)
                                            for c in (cfg.ppo, cfg.grpo))
    # PPO's alone: the KL to the fine-tuned model, on 16 conversations a step, and the step back towards it
    assert (cfg.ppo.sft_rows, cfg.ppo.interpolation, cfg.grpo.sft_rows, cfg.grpo.interpolation) == (16, 0.8, 8, 1.0)
    assert (cfg.ppo.distill_coef, cfg.grpo.distill_coef) == (1.0, 0.0)  # the KL to the fine-tuned model: PPO's only
