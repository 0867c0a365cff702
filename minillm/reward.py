"""The reward model: one number for how good a reply is, learned from people's choices (lesson 10).

The fine-tuned assistant's transformer reads a prompt and a reply in the chat template, and a scalar head turns its
last hidden state, at the reply's closing <|im_end|>, into a score. It learns from preference pairs (a prompt, the
reply people chose, the one they rejected) with the pairwise Bradley-Terry loss, in the loop of the other training
stages (minillm.train's optimizer step, minillm.sft's loop). The evaluation scores held-out pairs, per reason the
rejected reply is worse, and probes which degenerate replies the model over-rates: what reinforcement learning
(lesson 11) would learn to exploit.
"""

import argparse
import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from minillm import artifacts
from minillm.chat import IM_END, render
from minillm.checkpoint import load_model
from minillm.config import add_config_flags, setting
from minillm.devices import Process, autocast_for, end_distributed, exit_with, init_distributed, under_torchrun
from minillm.errors import UserError
from minillm.files import DATA_DIR, atomic_path, atomic_write_text, check_output_folder, claim_folder
from minillm.model import GPT, GPTConfig
from minillm.nn import Linear, eval_mode
from minillm.runlog import MetricsLog
from minillm.sft import (
    add_run_flags,
    batch_indices,
    build_from_command,
    check_finished,
    check_new_run,
    command_main,
    config_from_command,
    report_run,
    resume_and_wrap,
    run_loop,
    stage_result,
)
from minillm.tokenizer import Tokenizer
from minillm.train import (
    OptimizerConfig,
    TrainingRun,
    accumulation_steps,
    check_optimizer,
    make_optimizer,
    optimizer_step,
)


@dataclass
class RewardConfig(OptimizerConfig):
    """Settings of the reward-model stage (`minillm reward`); every field is also a command-line flag."""
    batch_size: int = setting(16, "preference pairs per micro-batch on each process")
    global_batch_size: int = setting(16, "preference pairs per optimizer step over all processes")
    max_steps: int = setting(150, "optimizer steps")
    eval_interval: int = setting(25, "held-out accuracy every this many steps (and at the start and end)")
    log_interval: int = setting(5, "write a metrics record every this many steps")
    checkpoint_interval: int = setting(100, "save a resumable checkpoint every this many steps")
    device: str = setting("auto", "auto, cpu, cuda or mps")
    seed: int = setting(1337, "seeds the score head and the order of the pairs")


PRESETS = {
    # about 2,400 pairs (two passes over the training set) in under a minute on 2 CPU cores
    "tiny": RewardConfig(learning_rate=3e-4, warmup_steps=10),
    "small": RewardConfig(learning_rate=2e-4, warmup_steps=10),
    "gpt2": RewardConfig(batch_size=8, global_batch_size=64, max_steps=500, learning_rate=1e-5, warmup_steps=25,
                         eval_interval=100, log_interval=10, checkpoint_interval=250),
}

OWNER = "reward"  # the owner file's word in an output folder of this stage


# ----------------------------------------------------------------------------- the preference data


def read_preferences(path: Path) -> list[dict]:
    """The pairs of a preference file, one JSON object per line: {"prompt", "chosen", "rejected"} and optionally
    "reason" (what is wrong with the rejected reply) and "margin" (how clearly people preferred the chosen one,
    >= 0). A line that is not such a pair is a UserError naming it; blank lines are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise UserError(f"cannot read the preference pairs {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None
    pairs = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            pairs.append(_parse_pair(line, f"{path}:{number}"))
    if not pairs:
        raise UserError(f"{path} holds no preference pair")
    return pairs


def _parse_pair(line: str, where: str) -> dict:
    try:
        row = json.loads(line)
    except ValueError:
        raise UserError(f"{where}: not valid JSON") from None
    if not isinstance(row, dict):
        raise UserError(f"{where}: a pair is a JSON object with prompt, chosen and rejected")
    for key in ("prompt", "chosen", "rejected"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise UserError(f"{where}: {key!r} must be a non-empty string")
    if row["chosen"].strip() == row["rejected"].strip():
        raise UserError(f"{where}: chosen and rejected are the same reply, so the pair teaches nothing")
    margin = row.get("margin", 0.0)
    if isinstance(margin, bool) or not isinstance(margin, int | float) or not (math.isfinite(margin) and margin >= 0):
        raise UserError(f"{where}: 'margin' must be a number >= 0, got {margin!r}")
    return {"prompt": row["prompt"], "chosen": row["chosen"], "rejected": row["rejected"],
            "reason": str(row.get("reason", "")), "margin": float(margin)}


def pairs_from_ranking(prompt: str, ranked: list[str]) -> list[dict]:
    """K replies ranked best first give K(K-1)/2 pairs, each better reply chosen over each worse one (InstructGPT)."""
    return [{"prompt": prompt, "chosen": better, "rejected": worse, "reason": "ranked", "margin": 0.0}
            for i, better in enumerate(ranked) for worse in ranked[i + 1:]]


# ----------------------------------------------------------------------------- replies as token rows


def encode(tok: Tokenizer, prompt: str, reply: str) -> list[int]:
    """The prompt and the reply in the chat template, ending with the reply's <|im_end|>: where the score is read."""
    ids, _ = render(tok, [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}])
    return ids


def pad_rows(rows: list[list[int]], pad_id: int, left: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Token rows padded to the longest: ids (B, T) and a mask (B, T), 1 on real tokens. Right padding by default;
    `left` puts the padding first (then every row's last token is in the last column)."""
    T = max(len(row) for row in rows)
    ids = torch.full((len(rows), T), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), T), dtype=torch.long)
    for i, row in enumerate(rows):
        start = T - len(row) if left else 0
        ids[i, start:start + len(row)] = torch.tensor(row)
        mask[i, start:start + len(row)] = 1
    return ids, mask


def last_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Each row's last real position (B,) from a mask (B, T) of 0/1, whatever the padding's side and amount."""
    positions = torch.arange(mask.size(1), device=mask.device).expand_as(mask)  # (B, T)
    return torch.where(mask.bool(), positions, -1).max(dim=1).values


# ----------------------------------------------------------------------------- the model and its loss


class RewardModel(torch.nn.Module):
    """A GPT body (the fine-tuned assistant's) with a scalar head in place of the language-model head."""

    def __init__(self, body: GPT):
        super().__init__()
        self.body = body
        self.config = body.config
        self.head = Linear(body.config.n_embd, 1, std=1 / math.sqrt(body.config.n_embd + 1))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids (B, T), mask (B, T) of 1 on real tokens -> scores (B,), read at each row's last real token."""
        last = last_token_index(mask)  # (B,)
        if (last < 0).any():
            raise UserError("a row to score has no real token (its mask is all zero)")
        h = self.body.hidden_states(ids, mask)  # (B, T, C)
        return self.head(h[torch.arange(ids.size(0), device=ids.device), last]).squeeze(-1).float()  # (B,)

    def param_groups(self, weight_decay: float) -> list[dict]:
        """The body's AdamW groups, with the head's weight decayed and its bias not."""
        decayed, rest = self.body.param_groups(weight_decay)
        return [{**decayed, "params": decayed["params"] + [self.head.weight]},
                {**rest, "params": rest["params"] + [self.head.bias]}]

    def save_safetensors(self, path: Path) -> None:
        """Body and head in one file, the body's config in its metadata."""
        from safetensors.torch import save_file

        tensors = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        with atomic_path(path) as tmp:
            save_file(tensors, tmp, metadata={"minillm_config": json.dumps(self.config.to_dict()),
                                              "minillm_model": "reward"})

    @classmethod
    def load(cls, path: Path) -> "RewardModel":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="pt") as f:
                metadata = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not iterable)
        except (OSError, SafetensorError) as e:
            raise UserError(f"cannot read the reward model {path}: {e}") from None
        if metadata.get("minillm_model") != "reward":
            raise UserError(f"{path} is not a reward model (minillm reward writes one)")
        model = cls(GPT(GPTConfig.from_dict(json.loads(metadata["minillm_config"]))))
        try:
            model.load_state_dict(tensors)
        except RuntimeError as e:
            raise UserError(f"{path} does not match its own config: {str(e).splitlines()[0]}") from None
        return model.eval()


def load_reward_model(folder: Path) -> tuple[RewardModel, Tokenizer]:
    """A reward model folder written by `minillm reward`: the model in eval mode, and its tokenizer."""
    folder = Path(folder)
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        raise UserError(f"{folder} holds no reward model (model.safetensors and tokenizer.json)")
    return RewardModel.load(folder / "model.safetensors"), Tokenizer.load(folder / "tokenizer.json")


def pairwise_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor,
                  margin: torch.Tensor | None = None) -> torch.Tensor:
    """The Bradley-Terry loss, mean over the pairs: -log σ(r_chosen - r_rejected - margin).

    σ(r_chosen - r_rejected) is the model's probability that people prefer the chosen reply, so the loss is the
    negative log-likelihood of their choices. Only differences of scores matter: adding a constant to every score
    changes nothing. The optional per-pair `margin` (Llama 2) asks for a larger gap where people were surer.
    """
    diff = r_chosen - r_rejected  # (P,)
    if margin is not None:
        diff = diff - margin
    return -F.logsigmoid(diff).mean()


def preference_probability(r_1: torch.Tensor | float, r_2: torch.Tensor | float) -> torch.Tensor:
    """The probability that people prefer reply 1 to reply 2: σ(r_1 - r_2)."""
    return torch.sigmoid(torch.as_tensor(r_1 - r_2, dtype=torch.float))


# ----------------------------------------------------------------------------- scoring


@torch.no_grad()
def score_rows(model: RewardModel, rows: list[list[int]], pad_id: int, batch_size: int = 64) -> list[float]:
    """The score of each token row (each longer than the context keeps its last block_size tokens: the reply's end)."""
    device = next(model.parameters()).device
    block = model.config.block_size
    scores = []
    with eval_mode(model):
        for i in range(0, len(rows), batch_size):
            ids, mask = pad_rows([row[-block:] for row in rows[i:i + batch_size]], pad_id)
            with autocast_for(device):
                scores += model(ids.to(device), mask.to(device)).tolist()
    return scores


def score_replies(model: RewardModel, tok: Tokenizer, prompts: list[str], replies: list[str],
                  batch_size: int = 64) -> list[float]:
    """The reward model's score of each (prompt, reply)."""
    rows = [encode(tok, prompt, reply) for prompt, reply in zip(prompts, replies)]
    return score_rows(model, rows, tok.special_tokens[IM_END], batch_size)


def score(model: RewardModel, tok: Tokenizer, prompt: str, reply: str) -> float:
    """The reward model's score of one reply to one prompt."""
    return score_replies(model, tok, [prompt], [reply])[0]


# ----------------------------------------------------------------------------- training


def pair_rows(tok: Tokenizer, pairs: list[dict], block_size: int) -> tuple[list[tuple], int]:
    """(chosen ids, rejected ids, margin) of each pair whose two conversations fit the context, and how many do not
    (skipped: a cut reply would be scored on what is left of it)."""
    rows = [(encode(tok, p["prompt"], p["chosen"]), encode(tok, p["prompt"], p["rejected"]), p["margin"])
            for p in pairs]
    kept = [row for row in rows if max(len(row[0]), len(row[1])) <= block_size]
    return kept, len(rows) - len(kept)


def pair_batch(rows: list[tuple], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One padded batch of 2P rows, the P chosen replies first, then the P rejected ones; and the P margins."""
    ids, mask = pad_rows([chosen for chosen, _, _ in rows] + [rejected for _, rejected, _ in rows], pad_id)
    return ids, mask, torch.tensor([margin for _, _, margin in rows], dtype=torch.float)


@dataclass(kw_only=True)
class Run(TrainingRun):
    """A reward-model run (made by `start_run`)."""
    rows: list  # (chosen ids, rejected ids, margin) of the training pairs
    test_rows: list
    pad_id: int


def train_reward_model(cfg: RewardConfig, base: Path, out: Path, train_pairs: list[dict], test_pairs: list[dict],
                       resume: bool = False, progress: bool = True) -> dict:
    """Train a reward model from the fine-tuned model in `base` on the pairs, writing the run into `out`, alone or
    under torchrun. `resume` continues from out/checkpoint exactly. Returns the run's figures."""
    check_config(cfg)
    check_output_folder(out, OWNER)
    process, device = init_distributed(cfg.device)
    try:
        run = start_run(cfg, Path(base), Path(out), train_pairs, test_pairs, resume, process, device)
        summary = run_loop(run, train_step, evaluate_run, OWNER, progress, desc="reward model",
                           loss_title="reward model: pairwise loss")
        if process.distributed:
            dist.barrier()
        return {**summary, "pairs": len(run.rows), "skipped": run.info["skipped"],
                "val_accuracy": run.info.get("val_accuracy")}
    finally:
        run = None  # before the group: see end_distributed
        end_distributed(process)


def check_config(cfg: RewardConfig) -> None:
    for name in ("batch_size", "global_batch_size", "max_steps", "eval_interval", "log_interval",
                 "checkpoint_interval"):
        if getattr(cfg, name) <= 0:
            raise UserError(f"{name} must be positive, got {getattr(cfg, name)}")
    check_optimizer(cfg)


def start_run(cfg: RewardConfig, base: Path, out: Path, train_pairs: list[dict], test_pairs: list[dict],
              resume: bool, process: Process, device: torch.device) -> Run:
    body, tok = load_model(base)
    if IM_END not in tok.special_tokens:
        raise UserError(f"the tokenizer in {base} has no {IM_END} token: the reward model reads chat conversations")
    torch.manual_seed(cfg.seed)  # every process starts with the same head
    model = RewardModel(body).to(device).train()
    rows, skipped = pair_rows(tok, train_pairs, model.config.block_size)
    test_rows, _ = pair_rows(tok, test_pairs, model.config.block_size)
    if not rows:
        raise UserError("no preference pair fits the model's context")
    if process.is_main:
        claim_folder(out, OWNER)
    optimizer = make_optimizer(model, cfg, device)
    info = {"model": model.config.to_dict(), "reward": dataclasses.asdict(cfg), "base": str(base),
            "pairs": len(rows), "skipped": skipped, "world_size": process.world_size}
    saved, train_model = resume_and_wrap(model, optimizer, out, resume, process, device, tok)
    info["val_loss_before"] = saved.get("val_loss_before")
    return Run(cfg=cfg, out=out, process=process, device=device, model=model, train_model=train_model,
               optimizer=optimizer, rows=rows, test_rows=test_rows, pad_id=tok.special_tokens[IM_END],
               accum=accumulation_steps(cfg, process.world_size), info=info,
               log=MetricsLog(out / "metrics.jsonl", process.is_main, saved["step"], None),
               step=saved["step"], train_loss=saved["train_loss"], val_loss=saved["val_loss"])


def train_step(run: Run, stop_requested: bool) -> tuple[float, float, bool]:
    """One optimizer step on the step's global batch of pairs (minillm.train.optimizer_step)."""
    cfg, process = run.cfg, run.process
    batch = [run.rows[i] for i in batch_indices(len(run.rows), cfg.global_batch_size, run.step, cfg.seed)]

    def micro_loss(micro: int) -> torch.Tensor:
        first = (process.rank * run.accum + micro) * cfg.batch_size
        pairs = batch[first:first + cfg.batch_size]
        ids, mask, margin = (t.to(run.device) for t in pair_batch(pairs, run.pad_id))
        with autocast_for(run.device):
            scores = run.train_model(ids, mask)  # (2P,)
        r_chosen, r_rejected = scores[:len(pairs)], scores[len(pairs):]
        return pairwise_loss(r_chosen, r_rejected, margin) * len(pairs) / cfg.global_batch_size  # its share

    return optimizer_step(run, micro_loss, stop_requested)


def heldout_scores(model: RewardModel, rows: list[tuple], pad_id: int) -> tuple[list[float], list[float]]:
    """The scores of the chosen and of the rejected reply of each pair."""
    chosen = score_rows(model, [c for c, _, _ in rows], pad_id)
    rejected = score_rows(model, [r for _, r, _ in rows], pad_id)
    return chosen, rejected


def evaluate_run(run: Run) -> None:
    if run.process.is_main and run.test_rows:
        chosen, rejected = heldout_scores(run.model, run.test_rows, run.pad_id)
        margins = torch.tensor([m for _, _, m in run.test_rows])
        run.val_loss = pairwise_loss(torch.tensor(chosen), torch.tensor(rejected), margins).item()
        accuracy = float(np.mean(np.array(chosen) > np.array(rejected)))
        run.info["val_accuracy"] = round(accuracy, 4)
        run.log.write({"step": run.step, "val_loss": round(run.val_loss, 5), "val_accuracy": round(accuracy, 4)})


# ----------------------------------------------------------------------------- what the reward model learned

# Replies that say little or nothing, built from a held-out prompt and its good reply: a policy trained on the
# reward model's scores would find them if the model rates them above the good reply (reward hacking).
DEGENERATE = {
    "repeated word": lambda prompt, good: " ".join(["the"] * 24),
    "prompt echoed": lambda prompt, good: prompt,
    "very long": lambda prompt, good: " ".join([good] * 4),
    "good reply, then rambling": lambda prompt, good: f"{good} {good.split('.')[0]}. And so on, and so on.",
}
OVER_RATED = 0.1  # a kind of degenerate reply the model rates above the good one this often is over-rated


def accuracy_by_reason(pairs: list[dict], chosen: list[float], rejected: list[float]) -> dict[str, dict]:
    """{"all" and each reason: {"n", "accuracy"}}: how often the chosen reply scores higher (None for no pairs)."""
    table = {}
    for reason in ["all"] + sorted({p["reason"] for p in pairs}):
        wins = [c > r for p, c, r in zip(pairs, chosen, rejected) if reason in ("all", p["reason"])]
        table[reason] = {"n": len(wins), "accuracy": round(sum(wins) / len(wins), 4) if wins else None}
    return table


def hacking_probe(model: RewardModel, tok: Tokenizer, pairs: list[dict]) -> dict[str, dict]:
    """For each kind of degenerate reply (DEGENERATE, and the confident wrong facts of the "wrong" pairs): how often
    it scores above the good reply to the same held-out prompt, and the mean scores of both."""
    good = {p["prompt"]: p["chosen"] for p in pairs if p["reason"] not in ("unsafe", "over_refusal")}
    prompts = sorted(good)
    good_scores = dict(zip(prompts, score_replies(model, tok, prompts, [good[p] for p in prompts])))
    cases = {name: [(p, make(p, good[p])) for p in prompts] for name, make in DEGENERATE.items()}
    cases["confident wrong fact"] = [(p["prompt"], p["rejected"]) for p in pairs
                                     if p["reason"] == "wrong" and p["prompt"] in good]
    probe = {}
    for name, replies in cases.items():
        scores = score_replies(model, tok, [p for p, _ in replies], [r for _, r in replies])
        beats = [s > good_scores[p] for (p, _), s in zip(replies, scores)]
        probe[name] = {"n": len(replies), "beats_good": round(sum(beats) / len(beats), 4),
                       "mean_score": round(float(np.mean(scores)), 3),
                       "mean_good_score": round(float(np.mean([good_scores[p] for p, _ in replies])), 3)}
    return probe


def evaluate(folder: Path, test_pairs: list[dict]) -> dict:
    """Score the held-out pairs with the reward model in `folder`; write eval.json and reward.png there."""
    model, tok = load_reward_model(folder)
    rows = [encode(tok, p["prompt"], p["chosen"]) for p in test_pairs] + \
           [encode(tok, p["prompt"], p["rejected"]) for p in test_pairs]
    scores = score_rows(model, rows, tok.special_tokens[IM_END])
    chosen, rejected = scores[:len(test_pairs)], scores[len(test_pairs):]
    by_reason = accuracy_by_reason(test_pairs, chosen, rejected)
    probe = hacking_probe(model, tok, test_pairs)
    gaps = np.array(chosen) - np.array(rejected)
    metrics = {"accuracy": by_reason["all"]["accuracy"], "mean_margin": round(float(gaps.mean()), 3),
               **{f"accuracy_{reason}": row["accuracy"] for reason, row in by_reason.items() if reason != "all"},
               **{f"hack_{name.replace(' ', '_').replace(',', '')}": row["beats_good"] for name, row in probe.items()}}
    over_rated = [name for name, row in probe.items() if row["beats_good"] > OVER_RATED]
    atomic_write_text(folder / "eval.json", json.dumps({"metrics": metrics, "by_reason": by_reason, "hacking": probe,
                                                        "over_rated": over_rated}, indent=1))
    plot_eval(by_reason, chosen, rejected, probe, folder / "reward.png")
    summary = (f"On {len(test_pairs)} held-out pairs the reward model prefers the chosen reply "
               f"{metrics['accuracy']:.0%} of the time (mean score gap {metrics['mean_margin']:.2f}); "
               + (f"it over-rates: {', '.join(over_rated)}." if over_rated
                  else "no degenerate reply of the probe beats the good one often."))
    return {"metrics": metrics, "figures": ["reward.png"], "summary": summary,
            "table": markdown_table(by_reason, probe)}


def markdown_table(by_reason: dict, probe: dict) -> str:
    lines = ["| held-out pairs, by what is wrong with the rejected reply | n | chosen scores higher |", "|---|---|---|"]
    lines += [f"| {reason.replace('_', ' ')} | {row['n']} | {row['accuracy']:.0%} |" for reason, row in by_reason.items()]
    lines += ["", ("| degenerate reply (reward hacking probe) | n | scores above the good reply | mean score | "
                   "mean score of the good reply |"), "|---|---|---|---|---|"]
    lines += [f"| {name} | {row['n']} | {row['beats_good']:.0%} | {row['mean_score']:.2f} | "
              f"{row['mean_good_score']:.2f} |" for name, row in probe.items()]
    return "\n".join(lines)


def plot_eval(by_reason: dict, chosen: list[float], rejected: list[float], probe: dict, path: Path) -> None:
    """Accuracy per reason, the two score distributions, and how often each degenerate reply beats the good one."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.6), layout="constrained")
    left, middle, right = fig.subplots(1, 3, width_ratios=[1.3, 1, 1.2])
    reasons = list(by_reason)
    bars = left.bar(range(len(reasons)), [by_reason[r]["accuracy"] for r in reasons],
                    color=["tab:blue"] + ["tab:gray"] * (len(reasons) - 1))
    left.bar_label(bars, [f"{by_reason[r]['accuracy']:.0%}" for r in reasons], fontsize=7)
    left.set_xticks(range(len(reasons)), [r.replace("_", " ") for r in reasons], fontsize=7, rotation=35, ha="right")
    left.set_ylim(0, 1.1)
    left.set_title("held-out pairs: chosen scores higher", fontsize=9)
    bins = np.linspace(min(chosen + rejected), max(chosen + rejected), 30)
    middle.hist(chosen, bins, alpha=0.6, color="tab:green", label="chosen")
    middle.hist(rejected, bins, alpha=0.6, color="tab:red", label="rejected")
    middle.set_xlabel("score")
    middle.set_title("scores of held-out replies", fontsize=9)
    middle.legend(fontsize=8)
    names = list(probe)
    bars = right.barh(range(len(names)), [probe[n]["beats_good"] for n in names], color="tab:orange")
    right.bar_label(bars, [f"{probe[n]['beats_good']:.0%}" for n in names], fontsize=7)
    right.set_yticks(range(len(names)), names, fontsize=8)
    right.axvline(OVER_RATED, color="black", linewidth=0.8, linestyle=":")
    right.set_xlim(0, 1.1)
    right.set_title("degenerate reply scores above the good one", fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


# ----------------------------------------------------------------------------- the pipeline stage


def build_stage(cfg: RewardConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Train the reward model from the fine-tuned model in inputs["sft"] into `out`, then evaluate it."""
    train_pairs = read_preferences(DATA_DIR / "preferences" / "train.jsonl")
    test_pairs = read_preferences(DATA_DIR / "preferences" / "test.jsonl")
    run = train_reward_model(cfg, Path(inputs["sft"]), out, train_pairs, test_pairs, resume=True, progress=progress)
    check_finished(run, "reward-model training")
    report = evaluate(out, test_pairs)
    return stage_result(run, report, {"pairs": run["pairs"], "skipped": run["skipped"]},
                        f"Trained the reward model for {run['step']} steps on {run['pairs']:,} preference pairs",
                        "the pairwise loss on held-out pairs")


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm reward` (and `python -m minillm.reward`): one per RewardConfig field, plus these."""
    add_run_flags(parser, PRESETS, "reward", "reward-model")
    parser.add_argument("--base", type=Path, metavar="DIR", help="the fine-tuned model folder (default: the preset's "
                        "sft stage, built first if needed)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="a folder with train.jsonl and test.jsonl of "
                        "preference pairs (default: data/preferences)")
    add_config_flags(parser, RewardConfig, "reward-model settings (override the preset's)")


def run_from_args(args) -> int:
    """`minillm reward`: build the pipeline stage, or train a reward model from --base into --out."""
    cfg = config_from_command(args, PRESETS, check_config)
    progress = not args.quiet
    if args.out is None:
        if under_torchrun() or args.base is not None or args.data is not None or args.resume:
            raise UserError("pass --out DIR for a run with --base, --data, --resume or under torchrun")
        return build_from_command("reward", args.preset, cfg, progress, "reward.png")
    check_new_run(args.out, args.resume, OWNER)
    data = args.data or DATA_DIR / "preferences"
    train_pairs, test_pairs = read_preferences(data / "train.jsonl"), read_preferences(data / "test.jsonl")
    base = args.base or artifacts.get("sft", args.preset, progress)
    run = train_reward_model(cfg, base, args.out, train_pairs, test_pairs, resume=args.resume, progress=progress)
    return report_run(run, "reward-model training")


def main(argv=None) -> int:
    return command_main(argv, "python -m minillm.reward", "Train a reward model on preference pairs (lesson 10).",
                        add_arguments, run_from_args)


if __name__ == "__main__":
    exit_with(main())
