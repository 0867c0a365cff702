"""PPO and GRPO settings over seeds, chosen on a validation split and reported on data/rl's test questions.

Every run starts from the same fine-tuned model and reward model (--reference's sft/ and reward/ folders) and
practises on data/rl/train.jsonl less a seeded validation split of --validation questions; then it answers the
validation and the test questions greedily. Prints one row per setting: the mean accuracy over the seeds on both
(with the range), the gain over the fine-tuned model, the worst change of any kind of test question, and how many
seeds met lesson 11's aim (+15 points, or half of the remaining error; no kind more than 2 points worse). Every
run's figures go to --out/study.json as it finishes, so a study cut short keeps what it measured.

Runs go to --workers processes at once: on a GPU several tiny models train side by side faster than one after
the other; on a 2-core CPU keep one.

    python benchmarks/rl_study.py --reference runs/tiny --out DIR \\
        --setting ppo --setting grpo algo=grpo --setting ppo-lr2e-4 learning_rate=2e-4 [--seeds 1337,1,2,3]

A setting's first word is its name; `algo=grpo` starts it from the GRPO preset, everything else from PPO's.
"""

import dataclasses
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from sft_study import parse_setting, study_parser

from minillm.files import DATA_DIR, make_dir
from minillm.rl_train import GRPO_PRESETS, PRESETS, RLConfig, ppo_warmup, verifiable_prompts


def config_of(changes: dict, seed: int, device: str) -> RLConfig:
    """The tiny preset with `changes`; PPO's warm-up follows its value warm-up, epochs and mini-batches unless set."""
    if changes.get("algo") == "grpo":
        return dataclasses.replace(GRPO_PRESETS["tiny"], **changes, seed=seed, device=device)
    cfg = dataclasses.replace(PRESETS["tiny"], **changes, seed=seed, device=device)
    return cfg if "warmup_steps" in changes else dataclasses.replace(cfg, warmup_steps=ppo_warmup(cfg))


def split_questions(validation: int) -> tuple[list[dict], list[dict], list[dict]]:
    """(practice, validation, test): data/rl's training questions less a seeded choice of `validation`, and those."""
    import numpy as np

    train = verifiable_prompts(DATA_DIR / "rl" / "train.jsonl")
    held = set(np.random.default_rng(0).choice(len(train), validation, replace=False).tolist())
    return ([q for i, q in enumerate(train) if i not in held], [q for i, q in enumerate(train) if i in held],
            verifiable_prompts(DATA_DIR / "rl" / "test.jsonl"))


def answers(model_dir: Path, questions: dict[str, list[dict]]) -> dict:
    """Greedy accuracy per kind of each question set."""
    from minillm.checkpoint import load_model
    from minillm.rl_stage import greedy_scores

    model, tok = load_model(model_dir)
    return {name: greedy_scores(model, tok, qs)["by_kind"] for name, qs in questions.items()}


def one_run(job: dict) -> dict:
    """Train one (setting, seed) and answer the validation and test questions."""
    import torch

    torch.set_num_threads(job["threads"])
    from minillm.rl_train import train_policy

    practice, validation, test = job["questions"]
    out = Path(job["out"])
    started = time.perf_counter()
    run = train_policy(config_of(job["changes"], job["seed"], job["device"]), job["sft"], job["reward"], out,
                       practice, progress=False)
    scores = answers(out, {"validation": validation, "test": test})
    log = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return {"setting": job["setting"], "seed": job["seed"], "changes": job["changes"], **scores,
            "kl_peak": max(r["kl"] for r in log), "train_seconds": run["seconds"],
            "seconds": round(time.perf_counter() - started, 1)}


def meets_aim(before: float, after: float) -> bool:
    return after - before >= (15.0 if before < 70 else (100 - before) / 2)


def worst_kind(run: dict, sft: dict) -> tuple[str, float]:
    """The kind of test question that lost most points, and how many."""
    changes = {k: 100 * (run["test"][k]["accuracy"] - v["accuracy"]) for k, v in sft["test"].items() if k != "all"}
    kind = min(changes, key=changes.get)
    return kind, round(changes[kind], 1)


def summary_row(name: str, runs: list[dict], sft: dict) -> str:
    mine = [r for r in runs if r["setting"] == name]
    if not mine:
        return f"| {name} | 0 |" + " – |" * 8

    def cell(split: str, kind: str = "all") -> str:
        values = [100 * r[split][kind]["accuracy"] for r in mine]
        gain = statistics.mean(values) - 100 * sft[split][kind]["accuracy"]
        return f"{statistics.mean(values):.1f} ({min(values):.0f}–{max(values):.0f}), {gain:+.1f}"

    def facts(scores: dict) -> float:
        kinds = [k for k in scores if k not in ("all", "arithmetic")]
        return 100 * sum(scores[k]["accuracy"] * scores[k]["n"] for k in kinds) / sum(scores[k]["n"] for k in kinds)

    fact_change = statistics.mean(facts(r["test"]) for r in mine) - facts(sft["test"])

    worst = [worst_kind(r, sft) for r in mine]
    met = sum(meets_aim(100 * sft["test"]["all"]["accuracy"], 100 * r["test"]["all"]["accuracy"])
              and worst_kind(r, sft)[1] >= -2 for r in mine)
    return (f"| {name} | {len(mine)} | {cell('validation')} | {cell('test')} | {cell('test', 'arithmetic')} | "
            f"{fact_change:+.1f} | {statistics.mean(w for _, w in worst):+.1f} (worst {min(w for _, w in worst):+.0f}) | "
            f"{statistics.mean(r['kl_peak'] for r in mine):.1f} | {met} of {len(mine)} |")


def main() -> None:
    parser = study_parser(__doc__.splitlines()[0], "sft/ and reward/", "1337,1,2,3")
    parser.add_argument("--validation", type=int, default=250, help="training questions held out to choose on")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="torch threads per worker")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--deadline", type=float, help="seconds after which unfinished runs are dropped")
    args = parser.parse_args()
    settings = dict(parse_setting(words, PRESETS["tiny"]) for words in args.setting)
    sft, reward = args.reference / "sft", args.reference / "reward"
    make_dir(args.out)
    questions = split_questions(args.validation)  # read once; every run gets the same split
    _, validation, test = questions
    sft_scores = answers(sft, {"validation": validation, "test": test})
    (args.out / "sft.json").write_text(json.dumps(sft_scores, indent=1))
    jobs = [{"setting": name, "seed": seed, "changes": changes, "questions": questions, "device": args.device,
             "threads": args.threads, "sft": str(sft), "reward": str(reward),
             "out": str(args.out / "runs" / f"{name}-{seed}")}
            for seed in [int(s) for s in args.seeds.split(",")] for name, changes in settings.items()]
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    runs, started = [], time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.workers, maxtasksperchild=1) as pool:
        pending = pool.imap_unordered(one_run, jobs)
        for _ in jobs:
            left = None if args.deadline is None else args.deadline - (time.perf_counter() - started)
            try:
                run = pending.next(timeout=left)
            except multiprocessing.TimeoutError:
                print(f"deadline: {len(jobs) - len(runs)} runs dropped", flush=True)
                pool.terminate()
                break
            runs.append(run)
            (args.out / "study.json").write_text(json.dumps(runs, indent=1))
            print(f"{run['setting']} seed {run['seed']}: validation {run['validation']['all']['accuracy']:.1%}, "
                  f"test {run['test']['all']['accuracy']:.1%}, worst kind {worst_kind(run, sft_scores)}, "
                  f"{run['seconds']} s", flush=True)
    header = ("| setting | runs | validation: mean (range), gain | test: mean (range), gain | test sums: mean (range), "
              "gain | test facts: gain | worst kind's change on test: mean (worst) | KL peak | aim met |")
    baseline = (f"fine-tuned model: validation {sft_scores['validation']['all']['accuracy']:.1%}, "
                f"test {sft_scores['test']['all']['accuracy']:.1%}")
    table = "\n".join([baseline, "", header,
                       "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
                      + [summary_row(name, runs, sft_scores) for name in settings])
    (args.out / "study.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
