"""The rl pipeline stage and `minillm rl`: PPO, GRPO and DPO from the fine-tuned assistant, and what each changed
(lesson 11).

The stage trains three policies from the sft stage's model: PPO and GRPO on data/rl's sums (minillm.rl_train), DPO
on data/preferences (minillm.dpo). Then it asks each, and the fine-tuned model, data/rl's held-out questions:
greedy accuracy per kind of question, and pass@1 and pass@k from k replies per question sampled as PPO's practice
samples them (RL's promise: what the model could sometimes do, it learns to do first time). On held-out open-ended
requests it measures the reward model's score of each policy's replies and their KL to the fine-tuned model.
"""

import argparse
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from minillm import artifacts
from minillm.checkpoint import load_model
from minillm.config import add_config_flags
from minillm.devices import autocast_for, exit_with, under_torchrun
from minillm.dpo import PRESETS as DPO_PRESETS
from minillm.dpo import DPOConfig, train_dpo
from minillm.errors import UserError
from minillm.files import DATA_DIR, atomic_path, atomic_write_text
from minillm.nn import eval_mode
from minillm.reward import load_reward_model, read_preferences, score_replies
from minillm.rl import Rollouts, kl_to_reference, pass_at_k, roll_out, sequence_logprobs, verify
from minillm.rl_train import (
    GRPO_PRESETS,
    OWNER,
    RLConfig,
    check_config,
    open_ended_prompts,
    prompts_for,
    train_policy,
    verifiable_prompts,
)
from minillm.rl_train import PRESETS as RL_PRESETS
from minillm.sample import GenerationConfig
from minillm.sft import add_run_flags, check_finished, check_new_run, command_main, config_from_command, report_run

FIGURES = ["rl.png", "ppo/training.png", "grpo/training.png"]
MAX_REPLY_TOKENS = 48  # the rollouts' length limit
BATCH = 128  # replies generated together


@dataclass
class StageConfig:
    """The rl stage's settings: its PPO, GRPO and DPO runs, and how many samples pass@k draws per question."""
    ppo: RLConfig
    grpo: RLConfig
    dpo: DPOConfig
    samples: int = 8


PRESETS = {name: StageConfig(ppo=RL_PRESETS[name], grpo=GRPO_PRESETS[name], dpo=DPO_PRESETS[name])
           for name in RL_PRESETS}


# ----------------------------------------------------------------------------- asking the policies


def rollouts_in_batches(model, tok, conversations: list[list[dict]], cfg: GenerationConfig) -> Iterator[Rollouts]:
    """roll_out in batches of BATCH conversations (batch i seeded with cfg.seed + i)."""
    for i in range(0, len(conversations), BATCH):
        yield roll_out(model, tok, conversations[i:i + BATCH],
                       dataclasses.replace(cfg, seed=None if cfg.seed is None else cfg.seed + i))


def generate_in_batches(model, tok, conversations: list[list[dict]], cfg: GenerationConfig) -> list:
    """The replies to all the conversations."""
    return [reply for rollouts in rollouts_in_batches(model, tok, conversations, cfg) for reply in rollouts.replies]


def accuracy_by_kind(correct: list[float], kinds: list[str]) -> dict[str, dict]:
    """{"all" and each kind: {"n", "accuracy"}}."""
    table = {}
    for kind in ["all"] + sorted(set(kinds)):
        hits = [c for c, k in zip(correct, kinds) if kind in ("all", k)]
        table[kind] = {"n": len(hits), "accuracy": round(float(np.mean(hits)), 4)}
    return table


def greedy_scores(model, tok, questions: list[dict]) -> dict:
    """Greedy accuracy per kind of question, and the replies."""
    replies = generate_in_batches(model, tok, [q["conversation"] for q in questions],
                                  GenerationConfig(temperature=0, max_new_tokens=MAX_REPLY_TOKENS))
    correct = [verify(r.text, q["answer"]) for r, q in zip(replies, questions)]
    return {"by_kind": accuracy_by_kind(correct, [q["kind"] for q in questions]), "replies": [r.text for r in replies]}


def sampled_scores(model, tok, questions: list[dict], samples: int, sampling: GenerationConfig) -> dict:
    """pass@1 and pass@samples from `samples` replies per question drawn with `sampling` (the stage: as PPO's
    practice draws them): what practice can find, and turn into first answers."""
    conversations = [q["conversation"] for q in questions for _ in range(samples)]
    replies = generate_in_batches(model, tok, conversations, sampling)
    right = np.array([verify(r.text, q["answer"]) for r, q in zip(replies, [q for q in questions
                                                                             for _ in range(samples)])])
    right = right.reshape(len(questions), samples).sum(axis=1)
    return {k: round(float(np.mean([pass_at_k(samples, int(c), k) for c in right])), 4) for k in (1, samples)}


@torch.no_grad()
def open_ended_scores(model, reference, tok, reward_model, prompts: list[dict], seed: int) -> dict:
    """The reward model's mean score of the policy's sampled replies to open-ended requests, and their mean KL to
    the reference (nats per reply)."""
    conversations = [p["conversation"] for p in prompts]
    cfg = GenerationConfig(temperature=1.0, top_p=1.0, max_new_tokens=MAX_REPLY_TOKENS, seed=seed)
    device = next(model.parameters()).device
    kls, replies = [], []
    for rollouts in rollouts_in_batches(model, tok, conversations, cfg):
        ids = rollouts.ids.to(device)
        with eval_mode(model), eval_mode(reference), autocast_for(device):
            kls += kl_to_reference(sequence_logprobs(model, ids), sequence_logprobs(reference, ids),
                                   rollouts.mask.to(device)).tolist()
        replies += [r.text for r in rollouts.replies]
    scores = score_replies(reward_model, tok, [c[-1]["content"] for c in conversations], replies)
    return {"score": round(float(np.mean(scores)), 4), "kl": round(float(np.mean(kls)), 4), "replies": replies}


# ----------------------------------------------------------------------------- the evaluation


def evaluate(folder: Path, sft: Path, reward: Path, data: Path = DATA_DIR, samples: int = 8, seed: int = 0,
             practice: RLConfig = RL_PRESETS["tiny"]) -> dict:
    """Ask the fine-tuned model and the policies in folder/ppo, folder/grpo and folder/dpo data/rl's held-out
    questions and the held-out open-ended requests; write eval.json, replies.jsonl and rl.png into `folder`.
    pass@k samples the fine-tuned model at `practice`'s temperature and reply length."""
    questions = verifiable_prompts(data / "rl" / "test.jsonl", data)
    requests = open_ended_prompts(data / "preferences" / "test.jsonl")
    reward_model, _ = load_reward_model(reward)
    reference, tok = load_model(sft)
    models = {"SFT": sft, "PPO": folder / "ppo", "GRPO": folder / "grpo", "DPO": folder / "dpo"}
    results = {}
    for name, path in models.items():
        model = reference if name == "SFT" else load_model(path)[0]
        results[name] = {**greedy_scores(model, tok, questions),
                         "open": open_ended_scores(model, reference, tok, reward_model, requests, seed)}
    passes = sampled_scores(reference, tok, questions, samples, GenerationConfig(  # the fine-tuned model's
        temperature=practice.temperature, top_p=1.0, max_new_tokens=practice.max_new_tokens, seed=seed))
    metrics = {f"sft_pass@{k}": v for k, v in passes.items()}
    for name, r in results.items():
        key = name.lower()
        metrics[f"{key}_accuracy"] = r["by_kind"]["all"]["accuracy"]
        metrics[f"{key}_open_score"] = r["open"]["score"]
        metrics[f"{key}_open_kl"] = r["open"]["kl"]
    for name in ("ppo", "grpo"):
        log = [json.loads(line) for line in (folder / name / "metrics.jsonl").read_text().splitlines()]
        metrics[f"{name}_iteration_s"] = round(float(np.mean([r["iteration_s"] for r in log])), 2)
        metrics[f"{name}_rollout_tokens_per_s"] = round(float(np.mean([r["rollout_tokens_per_s"] for r in log])))
        metrics[f"{name}_update_tokens_per_s"] = round(float(np.mean([r["update_tokens_per_s"] for r in log])))
    write_replies(folder / "replies.jsonl", questions, requests, results)
    summary_table = {name: {k: v for k, v in r.items() if k not in ("replies",)} | {
        "open": {k: v for k, v in r["open"].items() if k != "replies"}} for name, r in results.items()}
    atomic_write_text(folder / "eval.json", json.dumps({"metrics": metrics, "models": summary_table,
                                                        "sft_sampled": passes}, indent=1))
    plot_eval(results, passes, folder / "rl.png")
    summary = (f"On {len(questions)} held-out questions the fine-tuned model answers {metrics['sft_accuracy']:.0%} "
               f"right (greedy); after PPO {metrics['ppo_accuracy']:.0%}, after GRPO {metrics['grpo_accuracy']:.0%}, "
               f"after DPO {metrics['dpo_accuracy']:.0%}. Sampled as practice samples (temperature "
               f"{practice.temperature}), the fine-tuned model is right "
               f"{passes[1]:.0%} of the time, and at least once in {samples} tries on {passes[samples]:.0%} of the "
               f"questions: what practice can turn into first-time answers. On held-out open-ended requests the "
               f"reward model scores PPO's replies {metrics['ppo_open_score']:.2f} (the fine-tuned model's: "
               f"{metrics['sft_open_score']:.2f}), at a KL of {metrics['ppo_open_kl']:.2f} nats per reply from it.")
    return {"metrics": metrics, "summary": summary, "table": markdown_table(results)}


def write_replies(path: Path, questions: list[dict], requests: list[dict], results: dict) -> None:
    """Every model's greedy reply to each held-out question and its sampled reply to each open-ended request."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for i, q in enumerate(questions):
            row = {"set": "questions", "prompt": q["conversation"][-1]["content"], "answer": q["answer"],
                   "kind": q["kind"], **{name: r["replies"][i] for name, r in results.items()}}
            f.write(json.dumps(row) + "\n")
        for i, p in enumerate(requests):
            row = {"set": "open", "prompt": p["conversation"][-1]["content"],
                   **{name: r["open"]["replies"][i] for name, r in results.items()}}
            f.write(json.dumps(row) + "\n")


def markdown_table(results: dict) -> str:
    kinds = list(results["SFT"]["by_kind"])
    lines = ["| model | " + " | ".join(f"{k.replace('_', ' ')} (n={results['SFT']['by_kind'][k]['n']})" for k in kinds)
             + " | open-ended: reward score | KL to SFT |", "|---" * (len(kinds) + 3) + "|"]
    for name, r in results.items():
        cells = [f"{r['by_kind'][k]['accuracy']:.0%}" for k in kinds]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {r['open']['score']:.2f} | {r['open']['kl']:.2f} |")
    return "\n".join(lines)


def plot_eval(results: dict, passes: dict, path: Path) -> None:
    """Held-out accuracy per kind of question for each model; the fine-tuned model's pass@1 and pass@k beside each
    model's greedy accuracy; the reward model's score against the KL to the fine-tuned model on open-ended
    requests."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.8), layout="constrained")
    left, middle, right = fig.subplots(1, 3, width_ratios=[2.2, 1, 1])
    kinds = list(results["SFT"]["by_kind"])
    width = 0.8 / len(results)
    colors = {"SFT": "tab:gray", "PPO": "tab:blue", "GRPO": "tab:green", "DPO": "tab:purple"}
    for i, (name, r) in enumerate(results.items()):
        left.bar(np.arange(len(kinds)) + i * width, [r["by_kind"][k]["accuracy"] for k in kinds], width,
                 label=name, color=colors.get(name))
    left.set_xticks(np.arange(len(kinds)) + width * (len(results) - 1) / 2, [k.replace("_", " ") for k in kinds],
                    fontsize=7, rotation=30, ha="right")
    left.set_ylim(0, 1.05)
    left.set_title("held-out questions answered right (greedy)", fontsize=9)
    left.legend(fontsize=7, ncols=4)
    k = max(passes)
    labels = ["SFT\npass@1", f"SFT\npass@{k}"] + [f"{name}\ngreedy" for name in results]
    values = [passes[1], passes[k]] + [r["by_kind"]["all"]["accuracy"] for r in results.values()]
    bars = middle.bar(range(len(values)), values, color=["tab:orange", "tab:cyan"] + [colors.get(n) for n in results])
    middle.bar_label(bars, [f"{v:.0%}" for v in values], fontsize=7)
    middle.set_xticks(range(len(values)), labels, fontsize=7)
    middle.set_ylim(0, 1.1)
    middle.set_title("sampled (fine-tuned model) vs first answer", fontsize=9)
    for name, r in results.items():
        right.scatter(r["open"]["kl"], r["open"]["score"], color=colors.get(name), label=name)
        right.annotate(name, (r["open"]["kl"], r["open"]["score"]), fontsize=7, xytext=(4, 4),
                       textcoords="offset points")
    right.set_xlabel("KL to the fine-tuned model (nats / reply)")
    right.set_ylabel("reward model's mean score")
    right.set_title("open-ended requests", fontsize=9)
    right.grid(alpha=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


# ----------------------------------------------------------------------------- the pipeline stage


def build_stage(cfg: StageConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Train PPO, GRPO and DPO from the fine-tuned model in inputs["sft"] (PPO's value model from the reward model in
    inputs["reward"]) into out/ppo, out/grpo and out/dpo, then evaluate them all."""
    sft, reward = Path(inputs["sft"]), Path(inputs["reward"])
    questions = verifiable_prompts(DATA_DIR / "rl" / "train.jsonl")
    runs = {}
    for name in ("ppo", "grpo"):
        runs[name] = train_policy(getattr(cfg, name), sft, reward, out / name, questions, resume=True,
                                  progress=progress)
        check_finished(runs[name], name.upper())
    pairs = [read_preferences(DATA_DIR / "preferences" / f"{split}.jsonl") for split in ("train", "test")]
    runs["dpo"] = train_dpo(cfg.dpo, sft, out / "dpo", *pairs, resume=True, progress=progress)
    check_finished(runs["dpo"], "DPO")
    report = evaluate(out, sft, reward, samples=cfg.samples, practice=cfg.ppo)
    metrics = {**{f"{name}_train_seconds": run["seconds"] for name, run in runs.items()}, **report["metrics"]}
    summary = (f"Trained PPO for {cfg.ppo.iterations} iterations of {cfg.ppo.rollouts} replies "
               f"({runs['ppo']['seconds']:.0f} s), GRPO for {cfg.grpo.iterations} iterations of "
               f"{cfg.grpo.rollouts // cfg.grpo.group_size} questions × {cfg.grpo.group_size} replies "
               f"({runs['grpo']['seconds']:.0f} s), and DPO for "
               f"{runs['dpo']['step']} steps ({runs['dpo']['seconds']:.0f} s). {report['summary']}")
    return {"metrics": metrics, "figures": FIGURES, "summary": summary, "table": report["table"]}


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm rl` (and `python -m minillm.rl_stage`): one per RLConfig field, plus these."""
    add_run_flags(parser, RL_PRESETS, "rl", "RL")
    parser.add_argument("--base", type=Path, metavar="DIR", help="the fine-tuned model folder (default: the "
                        "preset's sft stage, built first if needed)")
    parser.add_argument("--reward-model", type=Path, metavar="DIR", help="the reward model folder (default: the "
                        "preset's reward stage)")
    parser.add_argument("--prompts", type=Path, metavar="FILE", help="questions (data/rl's format) for a verifiable "
                        "reward, or preference pairs whose prompts the reward model scores (default: "
                        "data/rl/train.jsonl or data/preferences/train.jsonl)")
    add_config_flags(parser, RLConfig, "RL settings (override the preset's)")
    parser.epilog = ("Without --out it builds the pipeline's rl stage: a PPO and a GRPO run (each from its preset, "
                     "with these settings), a DPO run, and their evaluation. --algo picks the preset of a single "
                     "run. " + parser.epilog)


def run_from_args(args) -> int:
    """`minillm rl`: build the pipeline stage, or train --base with --algo into --out (alone or under torchrun)."""
    cfg = config_from_command(args, GRPO_PRESETS if args.algo == "grpo" else RL_PRESETS, check_config)
    progress = not args.quiet
    if args.out is None:
        if under_torchrun() or args.base or args.reward_model or args.prompts or args.resume or args.algo:
            raise UserError("pass --out DIR for one run (--algo) or a run with --base, --reward-model, --prompts, "
                            "--resume or under torchrun")
        stage = PRESETS[args.preset]
        cfg = StageConfig(ppo=cfg, grpo=config_from_command(args, GRPO_PRESETS, check_config), dpo=stage.dpo,
                          samples=stage.samples)
        folder = artifacts.build("rl", args.preset, cfg, progress=progress)
        print(", ".join(f"{k} {v}" for k, v in artifacts.stamp(folder).get("metrics", {}).items()))
        print(f"wrote {folder / 'eval.json'}, {folder / 'replies.jsonl'} and {folder / 'rl.png'}")
        return 0
    check_new_run(args.out, args.resume, OWNER)
    sft = args.base or artifacts.get("sft", args.preset, progress)
    needs_reward_model = cfg.algo == "ppo" or cfg.reward == "model"
    reward = args.reward_model or (artifacts.get("reward", args.preset, progress) if needs_reward_model else None)
    run = train_policy(cfg, sft, reward, args.out, prompts_for(cfg, args.prompts), resume=args.resume,
                       progress=progress)
    return report_run(run, "RL")


def main(argv=None) -> int:
    return command_main(argv, "python -m minillm.rl_stage", "Train the assistant with PPO or GRPO (lesson 11).",
                        add_arguments, run_from_args)


if __name__ == "__main__":
    exit_with(main())
