"""Direct preference optimisation: RLHF without the RL (lesson 11).

DPO (Rafailov et al., 2023) trains the policy on preference pairs directly: no reward model and no sampling. Its
loss, minillm.rl.dpo_loss, raises the policy's log-probability of the chosen reply relative to the reference (the
fine-tuned model, frozen) and lowers the rejected one's; beta x (log pi - log pi_ref) is the reward the policy
implicitly assigns. Log-probabilities are summed over the reply's tokens only (lesson 09's loss mask). The reference's
log-probabilities never change, so they are computed once, before the first step. The loop is the one of every
training stage after pretraining (minillm.sft.run_loop): checkpoints, exact resume, torchrun.
"""

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from minillm import artifacts
from minillm.chat import IM_END, render
from minillm.checkpoint import load_model
from minillm.config import add_config_flags, setting
from minillm.devices import Process, autocast_for, end_distributed, exit_with, init_distributed, under_torchrun
from minillm.errors import UserError
from minillm.files import DATA_DIR, check_output_folder, claim_folder
from minillm.model import GPT
from minillm.nn import eval_mode
from minillm.reward import read_preferences
from minillm.rl import chosen_logprobs, dpo_loss
from minillm.runlog import MetricsLog
from minillm.sft import (
    add_run_flags,
    batch_indices,
    check_new_run,
    command_main,
    config_from_command,
    pad_batch,
    report_run,
    resume_and_wrap,
    run_loop,
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
class DPOConfig(OptimizerConfig):
    """Settings of a DPO run (`minillm dpo`); every field is also a command-line flag."""
    beta: float = setting(0.1, "how far the policy may move from the reference: larger keeps it closer")
    batch_size: int = setting(16, "preference pairs per micro-batch on each process")
    global_batch_size: int = setting(16, "preference pairs per optimizer step over all processes")
    max_steps: int = setting(100, "optimizer steps")
    eval_interval: int = setting(25, "held-out loss and accuracy every this many steps (and at the start and end)")
    log_interval: int = setting(5, "write a metrics record every this many steps")
    checkpoint_interval: int = setting(100, "save a resumable checkpoint every this many steps")
    device: str = setting("auto", "auto, cpu, cuda or mps")
    seed: int = setting(1337, "seeds the order of the pairs")


PRESETS = {
    # 1,600 of data/preferences' pairs in about half a minute on 2 CPU cores
    "tiny": DPOConfig(learning_rate=2e-5, warmup_steps=10, weight_decay=0.0, eval_interval=50),
    "small": DPOConfig(learning_rate=1e-5, warmup_steps=10, weight_decay=0.0),
    "gpt2": DPOConfig(batch_size=8, global_batch_size=64, max_steps=500, learning_rate=5e-7, warmup_steps=25,
                      weight_decay=0.0, eval_interval=100, log_interval=10, checkpoint_interval=250),
}

OWNER = "dpo"  # the owner file's word in an output folder of this stage


# ----------------------------------------------------------------------------- the pairs


def pair_rows(tok: Tokenizer, pairs: list[dict], block_size: int) -> tuple[list[tuple], int]:
    """((chosen ids, mask), (rejected ids, mask)) of each pair whose two conversations fit the context (block_size
    + 1 tokens: inputs and shifted targets), and how many do not; masks are 1 on the reply's tokens."""
    rows = []
    for p in pairs:
        chosen, rejected = (render(tok, [{"role": "user", "content": p["prompt"]},
                                         {"role": "assistant", "content": reply}]) for reply in (p["chosen"], p["rejected"]))
        if max(len(chosen[0]), len(rejected[0])) <= block_size + 1:
            rows.append((chosen, rejected))
    return rows, len(pairs) - len(rows)


def reply_logprobs(model: GPT, rows: list[tuple[list[int], list[int]]], pad_id: int,
                   device: torch.device) -> torch.Tensor:
    """log pi(reply | prompt) (B,) of each (ids, mask) row: the sum of its reply tokens' log-probabilities."""
    x, y, m = (t.to(device) for t in pad_batch(rows, pad_id))
    with autocast_for(device):
        logits, _ = model(x)
    return (chosen_logprobs(logits, y) * m).sum(dim=1)


@torch.no_grad()
def all_reply_logprobs(model: GPT, rows: list[tuple], pad_id: int, device: torch.device,
                       batch_size: int = 64) -> torch.Tensor:
    """reply_logprobs (P, 2) of the chosen and rejected reply of every pair."""
    with eval_mode(model):
        return torch.stack([torch.cat([reply_logprobs(model, [pair[side] for pair in rows[i:i + batch_size]],
                                                      pad_id, device).cpu()
                                       for i in range(0, len(rows), batch_size)]) for side in (0, 1)], dim=1)


# ----------------------------------------------------------------------------- a run


@dataclass(kw_only=True)
class Run(TrainingRun):
    """A DPO run (made by `start_run`)."""
    rows: list  # ((chosen ids, mask), (rejected ids, mask)) of the training pairs
    reference: torch.Tensor  # (P, 2) the reference's log-probabilities of the training pairs' replies
    test_rows: list
    test_reference: torch.Tensor
    pad_id: int


def train_dpo(cfg: DPOConfig, sft: Path, out: Path, train_pairs: list[dict], test_pairs: list[dict],
              resume: bool = False, progress: bool = True) -> dict:
    """Train the fine-tuned model in `sft` with DPO on the pairs, writing the run into `out`, alone or under
    torchrun. `resume` continues from out/checkpoint exactly. Returns the run's figures."""
    check_config(cfg)
    check_output_folder(out, OWNER)
    process, device = init_distributed(cfg.device)
    try:
        run = start_run(cfg, Path(sft), Path(out), train_pairs, test_pairs, resume, process, device)
        summary = run_loop(run, train_step, evaluate_run, OWNER, progress, desc="DPO", loss_title="DPO: loss")
        if process.distributed:
            dist.barrier()
        return {**summary, "pairs": len(run.rows), "skipped": run.info["skipped"],
                "val_accuracy": run.info.get("val_accuracy")}
    finally:
        run = None  # before the group: see end_distributed
        end_distributed(process)


def check_config(cfg: DPOConfig) -> None:
    for name in ("batch_size", "global_batch_size", "max_steps", "eval_interval", "log_interval",
                 "checkpoint_interval"):
        if getattr(cfg, name) <= 0:
            raise UserError(f"{name} must be positive, got {getattr(cfg, name)}")
    if not cfg.beta > 0:
        raise UserError(f"beta must be above 0, got {cfg.beta}")
    check_optimizer(cfg)


def start_run(cfg: DPOConfig, sft: Path, out: Path, train_pairs: list[dict], test_pairs: list[dict], resume: bool,
              process: Process, device: torch.device) -> Run:
    model, tok = load_model(sft)
    if IM_END not in tok.special_tokens:
        raise UserError(f"the tokenizer in {sft} has no {IM_END} token: DPO starts from a fine-tuned assistant")
    model.to(device)
    pad_id = tok.special_tokens[IM_END]
    rows, skipped = pair_rows(tok, train_pairs, model.config.block_size)
    test_rows, _ = pair_rows(tok, test_pairs, model.config.block_size)
    if not rows:
        raise UserError("no preference pair fits the model's context")
    reference = all_reply_logprobs(model, rows, pad_id, device)  # before any step: the model is the reference
    test_reference = all_reply_logprobs(model, test_rows, pad_id, device) if test_rows else torch.zeros(0, 2)
    model.train()
    if process.is_main:
        claim_folder(out, OWNER)
    optimizer = make_optimizer(model, cfg, device)
    info = {"model": model.config.to_dict(), "dpo": dataclasses.asdict(cfg), "base": str(sft), "pairs": len(rows),
            "skipped": skipped, "world_size": process.world_size}
    saved, train_model = resume_and_wrap(model, optimizer, out, resume, process, device, tok)
    info["val_loss_before"] = saved.get("val_loss_before")
    return Run(cfg=cfg, out=out, process=process, device=device, model=model, train_model=train_model,
               optimizer=optimizer, rows=rows, reference=reference, test_rows=test_rows,
               test_reference=test_reference, pad_id=pad_id, accum=accumulation_steps(cfg, process.world_size),
               info=info, log=MetricsLog(out / "metrics.jsonl", process.is_main, saved["step"], None),
               step=saved["step"], train_loss=saved["train_loss"], val_loss=saved["val_loss"])


def train_step(run: Run, stop_requested: bool) -> tuple[float, float, bool]:
    """One optimizer step on the step's global batch of pairs (minillm.train.optimizer_step)."""
    cfg, process = run.cfg, run.process
    batch = batch_indices(len(run.rows), cfg.global_batch_size, run.step, cfg.seed)

    def micro_loss(micro: int) -> torch.Tensor:
        first = (process.rank * run.accum + micro) * cfg.batch_size
        pairs = batch[first:first + cfg.batch_size]
        both = [run.rows[i][0] for i in pairs] + [run.rows[i][1] for i in pairs]
        logprobs = reply_logprobs(run.train_model, both, run.pad_id, run.device)  # (2P,): chosen, then rejected
        reference = run.reference[pairs].to(run.device)  # (P, 2)
        loss, _, _ = dpo_loss(logprobs[:len(pairs)], logprobs[len(pairs):], reference[:, 0], reference[:, 1],
                              cfg.beta)
        return loss * len(pairs) / cfg.global_batch_size  # its share of the global batch's mean

    return optimizer_step(run, micro_loss, stop_requested)


def evaluate_run(run: Run) -> None:
    """The DPO loss on the held-out pairs, and how often the implicit reward prefers the chosen reply."""
    if not (run.process.is_main and run.test_rows):
        return
    policy = all_reply_logprobs(run.model, run.test_rows, run.pad_id, run.device)
    loss, chosen, rejected = dpo_loss(policy[:, 0], policy[:, 1], run.test_reference[:, 0],
                                      run.test_reference[:, 1], run.cfg.beta)
    run.val_loss = loss.item()
    accuracy = float((chosen > rejected).float().mean())
    run.info["val_accuracy"] = round(accuracy, 4)
    run.log.write({"step": run.step, "val_loss": round(run.val_loss, 5), "val_accuracy": round(accuracy, 4),
                   "chosen_reward": round(chosen.mean().item(), 4),
                   "rejected_reward": round(rejected.mean().item(), 4)})


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm dpo` (and `python -m minillm.dpo`): one per DPOConfig field, plus these."""
    add_run_flags(parser, PRESETS, "rl/dpo", "DPO")
    parser.add_argument("--base", type=Path, metavar="DIR", help="the fine-tuned model folder (default: the preset's "
                        "sft stage, built first if needed)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="a folder with train.jsonl and test.jsonl of "
                        "preference pairs (default: data/preferences)")
    add_config_flags(parser, DPOConfig, "DPO settings (override the preset's)")


def run_from_args(args) -> int:
    """`minillm dpo`: train --base (default: the sft stage) with DPO into --out (alone or under torchrun)."""
    cfg = config_from_command(args, PRESETS, check_config)
    if args.out is None:
        raise UserError("pass --out DIR (the pipeline's rl stage trains its own DPO run: minillm rl)")
    if under_torchrun() and args.base is None:
        raise UserError("pass --base DIR under torchrun")
    check_new_run(args.out, args.resume, OWNER)
    data = args.data or DATA_DIR / "preferences"
    train_pairs, test_pairs = read_preferences(data / "train.jsonl"), read_preferences(data / "test.jsonl")
    sft = args.base or artifacts.get("sft", args.preset, not args.quiet)
    run = train_dpo(cfg, sft, args.out, train_pairs, test_pairs, resume=args.resume, progress=not args.quiet)
    return report_run(run, "DPO")


def main(argv=None) -> int:
    return command_main(argv, "python -m minillm.dpo", "Train the assistant with DPO on preference pairs (lesson 11).",
                        add_arguments, run_from_args)


if __name__ == "__main__":
    exit_with(main())
