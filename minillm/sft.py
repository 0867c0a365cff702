"""Supervised fine-tuning: from a document completer to an assistant (lesson 09).

Pretraining's loop on another data set with a mask: whole conversations (minillm.chat's template), padded into
batches, and a cross-entropy averaged over the assistant's tokens only. The model starts from the pretrained
weights, plus one embedding row for each new tool token. The training set is minillm.sft_data's conversations
(data/sft's, and what the stage adds: identity, naming, refusal copies, "I'm not sure") and windows of pretraining
text, so that learning to chat does not wipe out what the model knew. minillm.sft_eval measures what changed.
"""

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm.auto import tqdm

from minillm import artifacts
from minillm.chat import IM_END, fit_conversation, read_conversations, render, with_tool_tokens
from minillm.checkpoint import find_checkpoint, load_checkpoint, load_model
from minillm.config import add_config_flags, config_from_args, setting
from minillm.devices import (
    Process,
    StopSignal,
    autocast_for,
    end_distributed,
    exit_with,
    init_distributed,
    under_torchrun,
)
from minillm.errors import UserError, say_error
from minillm.files import DATA_DIR, atomic_write_text, check_output_folder, claim_folder
from minillm.model import GPT
from minillm.nn import eval_mode
from minillm.probe import ProbeConfig, run_probe
from minillm.runlog import MetricsLog, plot_losses
from minillm.sft_data import IDENTITY_TESTS, NAME, NAMING_TESTS, invented_countries, training_set
from minillm.sft_eval import (
    countries,
    evaluate,
    invented_questions,
    read_probe,
    read_questions,
)
from minillm.tokenizer import Tokenizer
from minillm.tokens import check_token_ids, load_split
from minillm.train import (
    OptimizerConfig,
    TrainingRun,
    accumulation_steps,
    check_numbers,
    check_optimizer,
    checkpoint_run,
    fit_batch_size,
    make_optimizer,
    optimizer_step,
    replicas_identical,
    sample_starts,
)


@dataclass
class SFTConfig(OptimizerConfig):
    """Settings of the fine-tuning stage (`minillm sft`); every field is also a command-line flag."""
    batch_size: int = setting(16, "conversations per micro-batch on each process")
    global_batch_size: int = setting(16, "conversations per optimizer step over all processes")
    max_steps: int = setting(400, "optimizer steps")
    mask_prompt: bool = setting(True, "train on the assistant's tokens only (False: on every token, the "
                                      "lesson's comparison)")
    unsure_share: float = setting(0.08, "questions whose facts the base model gets wrong are answered \"I'm not "
                                        "sure\": at most this share of each kind's questions (0: none)")
    identity_copies: int = setting(2, "copies of each conversation about the assistant itself")
    naming_copies: int = setting(2, "copies of each request to name something else (a pet, a boat), so that "
                                    "\"name\" alone does not mean the assistant's own name (0: none)")
    refusal_copies: int = setting(1, "extra copies of each unsafe request's refusal and each borderline "
                                     "request's answer in the data, under other system prompts (0: none)")
    invented_countries: int = setting(24, "questions about countries that do not exist, answered \"I'm not "
                                          "sure\" (0: none)")
    replay_windows: int = setting(250, "windows of pretraining text mixed into the training set, trained on "
                                       "every token: they keep the model from forgetting what it knew (0: none)")
    eval_interval: int = setting(100, "held-out loss every this many steps (and at the start and end)")
    log_interval: int = setting(10, "write a metrics record every this many steps")
    checkpoint_interval: int = setting(200, "save a resumable checkpoint every this many steps")
    device: str = setting("auto", "auto, cpu, cuda or mps")
    seed: int = setting(1337, "seeds the order of the conversations")


PRESETS = {
    # about 8,300 rows (3.6 passes over the set) in about a minute on 2 CPU cores. Copying a sum into the calculator
    # call is learned late and suddenly: 400 steps gave 26 % of held-out sums, 480 gave 55 % (RESULTS.md). The
    # extra replay keeps the facts those steps would otherwise overwrite, and costs some sums: on five seeds 84 %
    # of known facts, 97 % of unsafe requests refused, 32 % of sums (RESULTS.md).
    "tiny": SFTConfig(max_steps=520, replay_windows=400, warmup_steps=20),
    "small": SFTConfig(learning_rate=6e-4, warmup_steps=20),
    "gpt2": SFTConfig(batch_size=8, global_batch_size=64, max_steps=1000, learning_rate=3e-5, warmup_steps=50,
                      eval_interval=200, checkpoint_interval=500),
}

OWNER = "sft"  # the owner file's word in an output folder of this stage


# ----------------------------------------------------------------------------- the data


def render_rows(tok: Tokenizer, conversations: list[list[dict]], block_size: int,
                mask_prompt: bool = True) -> tuple[list[tuple[list[int], list[int]]], dict]:
    """(ids, mask) of each conversation, cut at a turn boundary to fit block_size + 1 tokens (a window of inputs
    and its shifted targets), and the counts of what was cut: {"cut": conversations shortened, "dropped_messages",
    "dropped": conversations with no exchange that fits}. mask_prompt=False trains on every token."""
    rows, counts = [], {"cut": 0, "dropped_messages": 0, "dropped": 0}
    for messages in conversations:
        kept, dropped = fit_conversation(tok, messages, block_size + 1)
        counts["dropped_messages"] += dropped
        counts["cut"] += bool(dropped and kept)
        counts["dropped"] += not kept
        if kept:
            ids, mask = render(tok, kept)
            rows.append((ids, mask if mask_prompt else [1] * len(ids)))
    return rows, counts


def replay_rows(files: list[np.ndarray], n: int, block_size: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """`n` random windows of the pretraining token files as (ids, mask) rows: block_size + 1 tokens, all trained."""
    starts = sample_starts(files, n, block_size, np.random.default_rng([seed, 5]))
    return [(files[f][s:s + block_size + 1].astype(np.int64).tolist(), [1] * (block_size + 1)) for f, s in starts]


def pad_batch(rows: list[tuple[list[int], list[int]]], pad_id: int) -> tuple[torch.Tensor, ...]:
    """Inputs, targets and loss mask of a batch of conversations, right-padded to the longest: (B, T) each.
    Padding goes after the tokens, so under the causal mask no real token ever sees it; its mask is 0.
    Padding, not packing: conversations packed into one window would see each other through attention unless the
    mask were block-diagonal. The price: on the tiny preset about a third of a batch's positions are padding."""
    T = max(len(ids) for ids, _ in rows) - 1
    x = torch.full((len(rows), T), pad_id, dtype=torch.long)
    y = torch.full((len(rows), T), pad_id, dtype=torch.long)
    m = torch.zeros((len(rows), T))
    for i, (ids, mask) in enumerate(rows):
        n = len(ids) - 1
        x[i, :n] = torch.tensor(ids[:-1])
        y[i, :n] = torch.tensor(ids[1:])
        m[i, :n] = torch.tensor(mask[1:], dtype=torch.float)
    return x, y, m


def batch_indices(n: int, size: int, step: int, seed: int) -> list[int]:
    """The conversations of a step's global batch: epochs of seeded permutations read in order, so any step's
    batch is known without a data loader's state (resume and any number of processes see the same)."""
    indices, position = [], step * size
    while len(indices) < size:
        epoch, offset = divmod(position + len(indices), n)
        order = np.random.default_rng([seed, epoch]).permutation(n)
        indices += order[offset: offset + size - len(indices)].tolist()
    return indices


# ----------------------------------------------------------------------------- the masked loss


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor,
                         n_tokens: float | torch.Tensor | None = None) -> torch.Tensor:
    """Sum over the positions where mask is 1 of -log softmax(logits)[target], divided by n_tokens.

    logits (B, T, V), targets (B, T), mask (B, T) of 0/1. n_tokens defaults to mask.sum(): the mean over the
    batch's response tokens, so a long answer weighs more than a short one and every response token counts
    the same. A row whose mask is all zero adds nothing; a batch with no response token gives 0, not NaN.
    With gradient accumulation, pass the number of response tokens of the whole global batch as n_tokens to
    every micro-batch: the micro-batch losses then add up to the global batch's mean.
    """
    losses = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), reduction="none")  # (B*T,)
    total = (losses * mask.flatten()).sum()
    if n_tokens is None:
        n_tokens = mask.sum()
    return total / max(float(n_tokens), 1.0)


@torch.no_grad()
def heldout_loss(model: GPT, rows: list, pad_id: int, batch_size: int, device: torch.device) -> float:
    """The masked loss over all of `rows` (mean per response token)."""
    total, count = 0.0, 0.0
    with eval_mode(model):
        for i in range(0, len(rows), batch_size):
            x, y, m = pad_batch(rows[i:i + batch_size], pad_id)
            logits, _ = model(x.to(device))
            n = m.sum().item()
            total += masked_cross_entropy(logits, y.to(device), m.to(device)).item() * n
            count += n
    return total / max(count, 1.0)


# ----------------------------------------------------------------------------- the model


def grow_vocab(model: GPT, vocab_size: int) -> GPT:
    """Give the model rows for the tokenizer's new tokens (the tool tokens). A new row starts as the mean of the
    existing ones: an ordinary-looking token, where a random row would stand out to every layer."""
    old = model.wte.weight.data  # (V, C)
    if vocab_size <= old.shape[0]:
        return model
    extra = old.mean(dim=0, keepdim=True).expand(vocab_size - old.shape[0], -1)
    model.wte = torch.nn.Embedding.from_pretrained(torch.cat([old, extra]), freeze=False)
    model.config = dataclasses.replace(model.config, vocab_size=vocab_size)
    return model


def base_model(folder: Path) -> tuple[GPT, Tokenizer]:
    """The pretrained model and its tokenizer, both with the tool tokens."""
    model, tok = load_model(folder)
    if IM_END not in tok.special_tokens:
        raise UserError(f"the tokenizer in {folder} has no {IM_END} token: fine-tuning needs the chat tokens")
    tok = with_tool_tokens(tok)
    return grow_vocab(model, tok.vocab_size), tok


# ----------------------------------------------------------------------------- the loop


@dataclass(kw_only=True)
class Run(TrainingRun):
    """A fine-tuning run (made by `start_run`)."""
    rows: list  # (ids, mask) of the training conversations
    test_rows: list
    pad_id: int


def finetune(cfg: SFTConfig, base: Path, out: Path, train_conversations: list, test_conversations: list,
             tokens: Path | None = None, resume: bool = False, progress: bool = True,
             extra_info: dict | None = None) -> dict:
    """Fine-tune the model in `base` on the conversations (and cfg.replay_windows windows of the pretraining token
    files in `tokens`), writing the run into `out`, alone or under torchrun. `resume` continues from
    out/checkpoint exactly. Returns the run's figures."""
    check_config(cfg)
    check_output_folder(out, OWNER)
    process, device = init_distributed(cfg.device)
    try:
        run = start_run(cfg, Path(base), Path(out), train_conversations, test_conversations, tokens, resume,
                        process, device, extra_info or {})
        summary = run_loop(run, train_step, evaluate_run, OWNER, progress)
        if process.distributed:
            dist.barrier()
        return {**summary, "conversations": run.info["conversations"], "cut": run.info["cut"]}
    finally:
        run = None  # before the group: see end_distributed
        end_distributed(process)


def check_config(cfg: SFTConfig) -> None:
    for name in ("batch_size", "global_batch_size", "max_steps", "eval_interval", "log_interval",
                 "checkpoint_interval"):
        if getattr(cfg, name) <= 0:
            raise UserError(f"{name} must be positive, got {getattr(cfg, name)}")
    check_optimizer(cfg)
    check_numbers(cfg, ("unsure_share", "identity_copies", "naming_copies", "refusal_copies", "invented_countries",
                        "replay_windows"))
    if cfg.unsure_share > 1:
        raise UserError(f"unsure_share must be in [0, 1], got {cfg.unsure_share}")


def resume_and_wrap(model: torch.nn.Module, optimizer: torch.optim.Optimizer, out: Path, resume: bool,
                    process: Process, device: torch.device, tok: Tokenizer,
                    find_unused_parameters: bool = False) -> tuple[dict, torch.nn.Module]:
    """What every training stage after pretraining does before its first step: restore out/checkpoint when resuming
    (returns its config.json, or a fresh start's), wrap the model in DistributedDataParallel under torchrun, and
    save the tokenizer beside the run (rank 0)."""
    saved = {"step": 0, "train_loss": float("nan"), "val_loss": None}
    if resume and find_checkpoint(out / "checkpoint") is not None:
        saved = load_checkpoint(out / "checkpoint", model, optimizer, device, process)
    train_model = model
    if process.distributed:
        train_model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=find_unused_parameters)
    if process.is_main:
        tok.save(out / "tokenizer.json")
    return saved, train_model


def start_run(cfg: SFTConfig, base: Path, out: Path, train_conversations: list, test_conversations: list,
              tokens: Path | None, resume: bool, process: Process, device: torch.device, extra_info: dict) -> Run:
    model, tok = base_model(base)
    model.to(device).train()
    accum = accumulation_steps(cfg, process.world_size)
    rows, cut = render_rows(tok, train_conversations, model.config.block_size, cfg.mask_prompt)
    n_conversations = len(rows)
    if cfg.replay_windows:
        if tokens is None:
            raise UserError("replay_windows needs the pretraining token files: pass them (--data), or 0 windows")
        files = load_split(Path(tokens), "train", model.config.block_size)
        check_token_ids(files, model.config.vocab_size, Path(tokens))
        rows += replay_rows(files, cfg.replay_windows, model.config.block_size, cfg.seed)
    test_rows, _ = render_rows(tok, test_conversations, model.config.block_size)
    if not rows:
        raise UserError("no training conversation fits the model's context")
    if process.is_main:
        claim_folder(out, OWNER)
    optimizer = make_optimizer(model, cfg, device)
    torch.manual_seed(cfg.seed + process.rank)
    info = {"model": model.config.to_dict(), "sft": dataclasses.asdict(cfg), "base": str(base),
            "conversations": n_conversations, "cut": cut, "world_size": process.world_size, **extra_info}
    saved, train_model = resume_and_wrap(model, optimizer, out, resume, process, device, tok)
    info["val_loss_before"] = saved.get("val_loss_before")
    return Run(cfg=cfg, out=out, process=process, device=device, model=model, train_model=train_model,
               optimizer=optimizer, rows=rows, test_rows=test_rows, pad_id=tok.special_tokens[IM_END], accum=accum,
               info=info, log=MetricsLog(out / "metrics.jsonl", process.is_main, saved["step"], None),
               step=saved["step"], train_loss=saved["train_loss"], val_loss=saved["val_loss"])


def train_step(run: Run, stop_requested: bool) -> tuple[float, float, bool]:
    """One optimizer step on the step's global batch of conversations (minillm.train.optimizer_step); the loss is the
    mean over the batch's response tokens."""
    cfg, process = run.cfg, run.process
    batch = [run.rows[i] for i in batch_indices(len(run.rows), cfg.global_batch_size, run.step, cfg.seed)]
    n_tokens = sum(sum(mask[1:]) for _, mask in batch)  # every process knows the whole global batch

    def micro_loss(micro: int) -> torch.Tensor:
        first = (process.rank * run.accum + micro) * cfg.batch_size
        x, y, m = (t.to(run.device) for t in pad_batch(batch[first:first + cfg.batch_size], run.pad_id))
        with autocast_for(run.device):
            logits, _ = run.train_model(x)
        return masked_cross_entropy(logits, y, m, n_tokens)  # already its share: a sum divided by the global count

    return optimizer_step(run, micro_loss, stop_requested)


def evaluate_run(run: Run) -> None:
    if run.process.is_main and run.test_rows:
        run.val_loss = heldout_loss(run.model, run.test_rows, run.pad_id, run.cfg.batch_size, run.device)
        run.log.write({"step": run.step, "val_loss": round(run.val_loss, 5)})


def run_loop(run: TrainingRun, train_step: Callable, evaluate: Callable, owner: str, progress: bool,
             desc: str = "fine-tuning", loss_title: str = "fine-tuning: loss on the assistant's tokens") -> dict:
    """The loop of every training stage after pretraining (fine-tuning, the reward model): step until max_steps
    (or SIGTERM), logging, evaluating and checkpointing on the way; then the loss plot, and the weights and
    config.json of a finished run. `train_step(run, stop_requested)` and `evaluate(run)` are the stage's own."""
    cfg = run.cfg
    if run.step == 0:
        evaluate(run)
        run.info["val_loss_before"] = run.val_loss
    stopped, started = None, time.perf_counter()
    bar = tqdm(total=cfg.max_steps, initial=run.step, desc=desc, unit="step",
               disable=not (progress and run.process.is_main))
    with StopSignal() as stop, bar:
        while run.step < cfg.max_steps:
            lr, grad_norm, stop_votes = train_step(run, stop.requested)
            bar.update(1)
            last = run.step == cfg.max_steps
            if run.step % cfg.log_interval == 0 or last:
                run.log.write({"step": run.step, "loss": round(run.train_loss, 5), "lr": lr,
                               "grad_norm": round(grad_norm, 4)})
                bar.set_postfix(loss=f"{run.train_loss:.3f}")
            if run.step % cfg.eval_interval == 0 or last:
                evaluate(run)
            if stop_votes:
                stopped = "SIGTERM"
                break
            if run.step % cfg.checkpoint_interval == 0 and not last:
                checkpoint_run(run, owner)
    checkpoint_run(run, owner)
    if run.process.is_main:
        plot_losses(run.log.records, run.out / "loss.png", loss_title)
        if stopped is None:
            run.model.save_safetensors(run.out / "model.safetensors")
            info = {**run.info, "step": run.step, "train_loss": run.train_loss, "val_loss": run.val_loss}
            atomic_write_text(run.out / "config.json", json.dumps(info, indent=1) + "\n")
    return {"step": run.step, "stopped": stopped, "seconds": round(time.perf_counter() - started, 1),
            "train_loss": round(run.train_loss, 4), "val_loss_before": run.info.get("val_loss_before"),
            "val_loss": run.val_loss, "replicas_identical": replicas_identical(run.model, run.process)}


# ----------------------------------------------------------------------------- the pipeline stage


def build_stage(cfg: SFTConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Fine-tune the pretrained model in inputs["pretrain"] into `out`, then evaluate it against the base model."""
    base = Path(inputs["pretrain"])
    probe = read_probe(Path(inputs["probe"]) / "facts.jsonl")
    train_set, counts = training_set(cfg, probe)
    test_set = read_conversations(DATA_DIR / "sft" / "test.jsonl")
    run = finetune(cfg, base, out, train_set, test_set, Path(inputs["tokenizer"]), resume=True, progress=progress,
                   extra_info=counts)
    check_finished(run, "fine-tuning")
    held_out, _ = invented_countries(probe, cfg.invented_countries)
    invented = invented_questions(read_questions(DATA_DIR / "rl" / "test.jsonl"), countries(probe), held_out)
    report = evaluate(base, out, probe, DATA_DIR, IDENTITY_TESTS, invented, NAMING_TESTS, (NAME, "minillm"))
    return stage_result(run, report, {"conversations": run["conversations"],
                                      "unsure_conversations": counts["unsure_conversations"]},
                        f"Fine-tuned the pretrained model for {run['step']} steps on {run['conversations']:,} "
                        "conversations", "the loss on held-out assistant replies")


def check_finished(run: dict, what: str) -> None:
    """A stopped run is not a stage's output: its folder and checkpoint stay for the next build to resume."""
    if run["stopped"]:
        raise UserError(f"{what} stopped at step {run['step']} ({run['stopped']}); its checkpoint is kept: "
                        "run the same command again to resume")


def stage_result(run: dict, report: dict, counts: dict, done: str, heldout: str) -> dict:
    """What a training stage after pretraining gives the pipeline: the run's figures with its evaluation's, and a
    summary that opens with `done` and says how the held-out loss (`heldout`) moved."""
    metrics = {"steps": run["step"], "train_seconds": run["seconds"], **counts,
               "heldout_loss_before": round(run["val_loss_before"], 4), "heldout_loss_after": round(run["val_loss"], 4),
               **report["metrics"]}
    summary = (f"{done} in {run['seconds']:.0f} s: {heldout} fell from {run['val_loss_before']:.2f} to "
               f"{run['val_loss']:.2f}. {report['summary']}")
    return {"metrics": metrics, "figures": ["loss.png", *report["figures"]], "summary": summary,
            "table": report["table"]}


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm sft` (and `python -m minillm.sft`): one per SFTConfig field, plus these."""
    add_run_flags(parser, PRESETS, "sft", "fine-tuning")
    parser.add_argument("--base", type=Path, metavar="DIR", help="the pretrained model folder (default: the preset's "
                        "pretrain stage, built first if needed)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="pretraining token files to replay (default: the "
                        "preset's tokenizer stage; needed with --base unless --replay-windows 0)")
    add_config_flags(parser, SFTConfig, "fine-tuning settings (override the preset's)")


def add_run_flags(parser: argparse.ArgumentParser, presets: dict, stage: str, what: str) -> None:
    """The flags every training stage after pretraining shares: --preset, --out, --resume, --quiet."""
    parser.add_argument("--preset", default="tiny", choices=sorted(presets), help="starting settings (default: tiny)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="run folder (default: the pipeline's "
                        f"runs/<preset>/{stage}); needed under torchrun")
    parser.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.epilog = ("Exit status: 0 when the run ends, 2 on bad input, 143 when SIGTERM stopped it (rerun with "
                     f"--resume). --out must be new, empty or an earlier {what} run folder.")


def run_from_args(args) -> int:
    """`minillm sft`: build the pipeline stage, or fine-tune --base into --out (alone or under torchrun)."""
    cfg = config_from_command(args, PRESETS, check_config)
    progress = not args.quiet
    if args.out is None:
        if under_torchrun() or args.base is not None or args.resume:
            raise UserError("pass --out DIR for a run with --base, --resume or under torchrun")
        return build_from_command("sft", args.preset, cfg, progress, "sft.png")
    check_new_run(args.out, args.resume, OWNER)
    if args.base is None:
        base = artifacts.get("pretrain", args.preset, progress)
        probe = read_probe(artifacts.get("probe", args.preset, progress) / "facts.jsonl")
        tokens = args.data or artifacts.get("tokenizer", args.preset, progress)
    else:
        base, probe, tokens = args.base, run_probe(args.base, ProbeConfig(), cfg.device), args.data
    train_set, counts = training_set(cfg, probe)
    test_set = read_conversations(DATA_DIR / "sft" / "test.jsonl")
    run = finetune(cfg, base, args.out, train_set, test_set, tokens, resume=args.resume, progress=progress,
                   extra_info=counts)
    return report_run(run, "fine-tuning")


def config_from_command(args, presets: dict, check: Callable):
    """The preset's config with the flags' overrides, its micro-batch fitted to torchrun's processes, checked."""
    cfg = config_from_args(args, presets[args.preset])
    if args.batch_size is None:
        cfg = fit_batch_size(cfg, int(os.environ.get("WORLD_SIZE", "1")))
    check(cfg)
    return cfg


def build_from_command(stage: str, preset: str, cfg, progress: bool, figure: str) -> int:
    """A stage command without --out: build the pipeline stage and say what it measured and wrote."""
    folder = artifacts.build(stage, preset, cfg, progress=progress)
    print(", ".join(f"{k} {v}" for k, v in artifacts.stamp(folder).get("metrics", {}).items()))
    print(f"wrote {folder / 'model.safetensors'}, {folder / 'eval.json'} and {folder / figure}")
    return 0


def check_new_run(out: Path, resume: bool, owner: str) -> None:
    check_output_folder(out, owner)
    if resume and find_checkpoint(out / "checkpoint") is None:
        raise UserError(f"--resume: no checkpoint in {out / 'checkpoint'} (drop --resume to start a new run)")


def report_run(run: dict, what: str) -> int:
    """Print a run's figures once (rank 0) and return the command's exit status: 128 + SIGTERM when it was stopped,
    so that `minillm sft && next` does not go on (under torchrun, torchrun's own status tells)."""
    if os.environ.get("RANK", "0") == "0":
        print(json.dumps(run))
    if run["stopped"] == "SIGTERM" and not under_torchrun():
        print(f"minillm: {what} stopped by SIGTERM at step {run['step']}; its checkpoint is kept: "
              "rerun with --resume to continue", file=sys.stderr)
        return 128 + signal.SIGTERM
    return 0


def command_main(argv, prog: str, description: str, add_arguments: Callable, run_from_args: Callable) -> int:
    """`python -m minillm.<stage>`: parse the flags and run; bad input is one line (from rank 0) and exit 2."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    add_arguments(parser)
    try:
        return run_from_args(parser.parse_args(argv))
    except UserError as e:
        return say_error(e)


def main(argv=None) -> int:
    return command_main(argv, "python -m minillm.sft", "Fine-tune a GPT to chat (lesson 09).", add_arguments,
                        run_from_args)


if __name__ == "__main__":
    exit_with(main())
