"""Reward hacking, measured (lesson 11; Gao et al., 2022, "Scaling Laws for Reward Model Overoptimization").

PPO optimises lesson 10's reward model (the "proxy") on open-ended requests, with no KL leash, the default one
and a tight one, while a "gold" reward model, standing in for people, scores the same replies at every iteration.
The gold model is lesson 12's gold judge, trained longer: like lesson 10's, from the fine-tuned assistant, on the
same preference pairs plus what the proxy was never shown: for every open-ended request, the degenerate replies of
lesson 10's hacking probe and an off-topic reply (another request's good reply), each rejected in favour of the
request's good reply.

Both scores are plotted against the KL from the fine-tuned model (nats per reply), as Gao et al. plot them.

    .venv/bin/python benchmarks/reward_hacking.py [--iterations 40] [--out runs/tiny/hacking]

Builds the tiny preset's sft and reward stages first if needed. Writes OUT/gold (the gold model), OUT/kl_0.0,
OUT/kl_0.05 and OUT/kl_0.5 (the PPO runs, the gold score in their metrics.jsonl), and benchmarks/reward_hacking.json
and benchmarks/reward_hacking.png (committed: lesson 11 shows them), and prints the figures. About 2 minutes on 2 CPU cores; a run already in OUT is read, not redone.
"""

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from minillm import artifacts, evaluate_stage
from minillm.files import DATA_DIR, ROOT, atomic_path, atomic_write_text
from minillm.reward import PRESETS as REWARD_PRESETS
from minillm.reward import load_reward_model, score_replies
from minillm.rl_train import PRESETS, open_ended_prompts, train_policy

KL_COEFS = (0.0, 0.05, 0.5)  # no leash, the default, and a tight one
SMOOTH = 5  # iterations in each plotted mean: one iteration's 32 replies give a noisy score


def train_gold(sft: Path, out: Path, steps: int) -> Path:
    """Lesson 12's gold judge (minillm.evaluate_stage), trained for `steps` steps; read when already in `out`."""
    if not (out / "model.safetensors").exists():
        evaluate_stage.train_gold(dataclasses.replace(REWARD_PRESETS["tiny"], max_steps=steps), sft, out)
    return out


def hack(sft: Path, proxy: Path, gold: Path, out: Path, kl_coef: float, iterations: int) -> list[dict]:
    """A PPO run on the proxy's scores with this KL coefficient (read from `out` when it is already there); its
    per-iteration log, gold scores included."""
    if not (out / "model.safetensors").exists():
        gold_model, tok = load_reward_model(gold)

        def gold_score(experience, prompts) -> dict:
            requests = [p["conversation"][-1]["content"] for p in prompts]
            replies = [r.text for r in experience.rollouts.replies]
            return {"gold": round(float(np.mean(score_replies(gold_model, tok, requests, replies))), 4),
                    "sample": replies[0]}

        # no fine-tuning terms and no step back: they are leashes of their own, and the experiment varies the KL's
        cfg = dataclasses.replace(PRESETS["tiny"], reward="model", kl_coef=kl_coef, iterations=iterations,
                                  rollouts=32, batch_size=16, checkpoint_interval=iterations, sft_coef=0.0,
                                  distill_coef=0.0, interpolation=1.0)
        prompts = open_ended_prompts(DATA_DIR / "preferences" / "train.jsonl")
        train_policy(cfg, sft, proxy, out, prompts, resume=(out / "checkpoint").exists(), observe=gold_score)
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def moving_mean(values: list[float], window: int = SMOOTH) -> np.ndarray:
    """The mean of each run of `window` consecutive values."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot(logs: dict[float, list[dict]], path: Path) -> None:
    """Proxy and gold scores against the KL from the fine-tuned model, one panel per KL coefficient: moving
    means over SMOOTH iterations as lines, single iterations as faint points."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4 * len(logs), 3.6), layout="constrained")
    for ax, (kl_coef, log) in zip(fig.subplots(1, len(logs), sharey=True, sharex=True), logs.items()):
        kl = [r["kl"] for r in log]
        for key, label, color in (("score", "proxy (lesson 10's reward model)", "tab:blue"),
                                  ("gold", "gold (stands in for people)", "tab:orange")):
            scores = [r[key] for r in log]
            ax.scatter(kl, scores, s=6, color=color, alpha=0.3)
            ax.plot(moving_mean(kl), moving_mean(scores), color=color, lw=2, label=label)
        ax.set_xlabel("KL from the fine-tuned model (nats / reply)")
        ax.set_title(f"PPO on the proxy, kl_coef {kl_coef}", fontsize=10)
        ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.axes[0].set_ylabel("mean score of an iteration's replies")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def summary(log: list[dict]) -> dict:
    """First and last iterations' scores (the mean of three, as single iterations are noisy), and the gold
    score's peak."""
    first, last = log[:3], log[-3:]
    peak = max(log, key=lambda r: r["gold"])
    return {"proxy_start": round(np.mean([r["score"] for r in first]), 3),
            "proxy_end": round(np.mean([r["score"] for r in last]), 3),
            "gold_start": round(np.mean([r["gold"] for r in first]), 3),
            "gold_end": round(np.mean([r["gold"] for r in last]), 3),
            "kl_end": round(np.mean([r["kl"] for r in last]), 3),
            "gold_peak": peak["gold"], "gold_peak_iteration": peak["iteration"], "gold_peak_kl": peak["kl"],
            "last_sample": log[-1]["sample"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=40, help="PPO iterations of 32 replies per run")
    parser.add_argument("--gold-steps", type=int, default=300, help="the gold reward model's training steps")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "tiny" / "hacking")
    args = parser.parse_args()
    sft, proxy = artifacts.get("sft", "tiny"), artifacts.get("reward", "tiny")
    args.out.mkdir(parents=True, exist_ok=True)
    gold = train_gold(sft, args.out / "gold", args.gold_steps)
    logs = {kl: hack(sft, proxy, gold, args.out / f"kl_{kl}", kl, args.iterations) for kl in KL_COEFS}
    results = {str(kl): summary(log) for kl, log in logs.items()}
    report = Path(__file__).with_name("reward_hacking")
    curves = {str(kl): [{k: r[k] for k in ("iteration", "score", "gold", "kl", "reply_tokens", "sample")} for r in log]
              for kl, log in logs.items()}
    atomic_write_text(report.with_suffix(".json"), json.dumps({"iterations": args.iterations, "runs": results,
                                                               "iterations_log": curves}, indent=1) + "\n")
    plot(logs, report.with_suffix(".png"))
    for kl, r in results.items():
        print(f"kl_coef {kl}: proxy {r['proxy_start']:.2f} -> {r['proxy_end']:.2f}, gold {r['gold_start']:.2f} -> "
              f"{r['gold_end']:.2f} (peak {r['gold_peak']:.2f} at iteration {r['gold_peak_iteration']}, KL "
              f"{r['gold_peak_kl']:.1f}), KL {r['kl_end']:.1f} nats; last reply: {r['last_sample'][:120]!r}")
    print(f"wrote {report.with_suffix('.json')} and {report.with_suffix('.png')}")


if __name__ == "__main__":
    main()
