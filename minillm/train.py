"""Pretraining: the training loop, from one process on a laptop to torchrun on many GPUs (lesson 07).

nanoGPT's loop in short functions: random windows of the token files, next-token cross-entropy, AdamW
(no decay on biases, norms and embeddings), linear warmup then cosine decay, gradient accumulation and
clipping, periodic evaluation, and checkpoints that resume exactly (minillm.checkpoint). The batch of step s
is drawn from a generator seeded by (seed, s), and each process reads its own slice of it, so any number of
processes sees the same windows and resuming needs no data-loader state.
"""

import argparse
import contextlib
import dataclasses
import json
import math
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Set before torch loads OpenMP: waiting threads sleep instead of spinning. On a CPU shared with other torch work
# (the test suite's two workers, torchrun's processes) spinning threads wait on each other: two tiny-model
# trainings side by side on 2 cores ran 1.7x faster sleeping. Alone on the machine, spinning is 1.75x faster
# (benchmarks/RESULTS.md): `make run` sets OMP_WAIT_POLICY=ACTIVE for the pipeline, which builds one stage at a
# time. Has no effect if torch was imported first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from minillm import artifacts
from minillm.checkpoint import all_rng_states, find_checkpoint, load_checkpoint, save_checkpoint
from minillm.cloze import read_prompts, score_cloze, typical_probability
from minillm.config import add_config_flags, config_from_args, setting
from minillm.devices import (
    ONE_PROCESS,
    Process,
    StopSignal,
    autocast_for,
    device_memory,
    end_distributed,
    exit_with,
    init_distributed,
    peak_flops,
    under_torchrun,
)
from minillm.errors import UserError, say_error
from minillm.files import DATA_DIR, atomic_write_text, check_output_folder, claim_folder, digest
from minillm.model import GPT, GPTConfig
from minillm.model import PRESETS as MODEL_PRESETS
from minillm.nn import eval_mode
from minillm.runlog import MetricsLog, plot_losses
from minillm.tokenizer import Tokenizer
from minillm.tokens import check_token_ids, check_tokenizer, load_split, read_meta, tokenizer_id


@dataclass
class OptimizerConfig:
    """AdamW and its learning-rate schedule: the settings of every training stage (pretraining, fine-tuning)."""
    learning_rate: float = setting(1e-3, "peak learning rate, reached after warmup")
    min_lr_ratio: float = setting(0.1, "the cosine decays to learning_rate x this")
    warmup_steps: int = setting(100, "steps of linear warmup from 0")
    weight_decay: float = setting(0.1, "AdamW's decoupled weight decay, on matmul weights only")
    beta1: float = setting(0.9, "AdamW's first-moment decay")
    beta2: float = setting(0.95, "AdamW's second-moment decay")
    grad_clip: float = setting(1.0, "clip the gradient's global norm to this (0: no clipping)")


@dataclass
class TrainConfig(OptimizerConfig):
    """Settings of the pretraining stage (`minillm pretrain`); every field is also a command-line flag."""
    model: str = setting("tiny", "model size, a minillm.model preset (vocab_size comes from the tokenizer)")
    n_layer: int | None = setting(None, "override the preset's number of blocks")
    n_head: int | None = setting(None, "override the preset's number of attention heads")
    n_embd: int | None = setting(None, "override the preset's embedding width")
    block_size: int | None = setting(None, "override the preset's context length (tokens per window)")
    dropout: float = setting(0.0, "dropout probability (0 for pretraining on lots of data)")
    batch_size: int = setting(16, "sequences per micro-batch on each process")
    global_batch_size: int = setting(16, "sequences per optimizer step over all processes; the rest "
                                         "is gradient accumulation")
    max_steps: int = setting(1000, "optimizer steps; the learning-rate schedule ends here")
    eval_interval: int = setting(100, "evaluate every this many steps (and at the start and end)")
    eval_batches: int = setting(20, "validation micro-batches per evaluation, shared by the processes")
    log_interval: int = setting(10, "write a metrics record every this many steps")
    checkpoint_interval: int = setting(200, "save a resumable checkpoint every this many steps")
    stop_at: int | None = setting(None, "end this run at this step with a checkpoint (the schedule still "
                                        "runs to max_steps): split a long run into jobs, then --resume")
    fact_prompts: str = setting("probe/cloze.jsonl", "cloze prompts (a path under data/) whose greedy accuracy is "
                                "logged at every evaluation; '' for none")
    device: str = setting("auto", "auto, cpu, cuda or mps")
    compile: bool = setting(False, "torch.compile the model (CUDA: faster after a slow first step)")
    seed: int = setting(1337, "seeds the initial weights and the data order")


PRESETS = {
    # 2.87M tokens (about 5 passes over the bundled corpus) in 4-5 minutes on 2 CPU cores. Facts are stored per
    # optimizer step, not per token (benchmarks/RESULTS.md): small batches of the tiny model's short windows (a fact
    # fits in a sentence) give 5,600 steps where 256-token windows gave 2,500 in the same time
    "tiny": TrainConfig(model="tiny", batch_size=4, global_batch_size=4, max_steps=5600,
                        learning_rate=5e-3, warmup_steps=200, eval_interval=560, eval_batches=20, log_interval=10,
                        checkpoint_interval=1120),
    # 5.1M tokens for a 3.5M-parameter model: for learners with half an hour of CPU (RESULTS.md has its timing)
    "small": TrainConfig(model="small", batch_size=4, global_batch_size=4, max_steps=5000, learning_rate=3e-3,
                         warmup_steps=200, eval_interval=500, eval_batches=20, log_interval=10,
                         checkpoint_interval=1000),
    # GPT-2 124M on ~10B tokens (llm.c's recipe): 512 x 1024 = 524,288 tokens per step, 19,073 steps.
    "gpt2": TrainConfig(model="124M", batch_size=32, global_batch_size=512, max_steps=19073, learning_rate=6e-4,
                        warmup_steps=700, eval_interval=250, eval_batches=160, log_interval=10,
                        checkpoint_interval=1000, compile=True),
}


# ----------------------------------------------------------------------------- the pieces lesson 07 writes


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean of -log softmax(logits)[target]: logits (N, V), targets (N,). Same as F.cross_entropy."""
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)  # (N, V), stable log-softmax
    return -log_probs.gather(1, targets[:, None]).mean()


def learning_rate(step: int, max_lr: float, warmup_steps: int, max_steps: int, min_lr_ratio: float = 0.1) -> float:
    """Linear warmup from 0 to max_lr over `warmup_steps`, then cosine decay to max_lr * min_lr_ratio."""
    min_lr = max_lr * min_lr_ratio
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps  # step 0 already moves, by max_lr / warmup_steps
    if step >= max_steps:
        return min_lr
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)  # 0 -> 1
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (max_lr - min_lr)


def batch_rng(seed: int, step: int) -> np.random.Generator:
    """The generator of optimizer step `step`'s windows: no state to save, the same on every process."""
    return np.random.default_rng([seed, step])


def sample_starts(files: list[np.ndarray], n: int, block_size: int, rng: np.random.Generator) -> np.ndarray:
    """`n` random windows of block_size + 1 tokens, uniform over every window of every file: (n, 2) rows of
    (file, start). A window never crosses from one file (shard) to the next."""
    starts_per_file = np.array([len(f) - block_size for f in files])  # valid window starts in each file
    ends = np.cumsum(starts_per_file)
    picks = rng.integers(0, ends[-1], size=n)  # one number per window over all files
    which = np.searchsorted(ends, picks, side="right")  # the file each window comes from
    return np.stack([which, picks - (ends - starts_per_file)[which]], axis=1)


def read_windows(files: list[np.ndarray], starts: np.ndarray, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs x (B, T) and targets y (B, T) of the windows at `starts`; y is x shifted left by one token."""
    windows = np.stack([files[f][s:s + block_size + 1] for f, s in starts]).astype(np.int64)
    windows = torch.from_numpy(windows)  # (B, T + 1)
    return windows[:, :-1], windows[:, 1:]


def sample_batch(files: list[np.ndarray], batch_size: int, block_size: int,
                 rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch_size` random windows: inputs x (B, T) and next-token targets y (B, T)."""
    return read_windows(files, sample_starts(files, batch_size, block_size, rng), block_size)


def clip_grad_norm(parameters, max_norm: float) -> torch.Tensor:
    """Scale all gradients together so that their global L2 norm is at most max_norm; return the norm before."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale)
    return norm


def training_memory(n_params: float, n_layer: int = 0, n_embd: int = 0, seq_len: int = 0, batch_size: int = 0,
                    recompute: bool = False, n_gpus: int = 1, shard_states: bool = False) -> dict[str, float]:
    """Bytes needed to train with AdamW in bf16 mixed precision, per part.

    Per parameter: bf16 weights (2) + bf16 gradients (2) + fp32 master weights, Adam m and v (4 + 4 + 4),
    the 16 bytes of the ZeRO paper. Activations per layer and token: ~34 x n_embd bytes kept for the
    backward pass with fused attention (Korthikanti et al. 2022), or only the layer input (2 x n_embd)
    with full recomputation. `shard_states` splits weights, gradients and optimizer state over the GPUs
    (ZeRO-3 / FSDP); activations are per GPU for its own micro-batch either way.
    """
    shards = n_gpus if shard_states else 1
    per_token_layer = (2 if recompute else 34) * n_embd
    return {
        "weights": 2 * n_params / shards,
        "gradients": 2 * n_params / shards,
        "optimizer": 12 * n_params / shards,
        "activations": float(per_token_layer * n_layer * seq_len * batch_size),
    }


# ----------------------------------------------------------------------------- settings and diverging


class TrainingDiverged(UserError):
    """The loss or the gradient became NaN or infinite; the last good checkpoint is kept."""


# ----------------------------------------------------------------------------- model, optimizer, settings


def model_config(cfg: TrainConfig, vocab_size: int) -> GPTConfig:
    if cfg.model not in MODEL_PRESETS:
        raise UserError(f"unknown model {cfg.model!r} (choose from {', '.join(MODEL_PRESETS)})")
    overrides = {k: getattr(cfg, k) for k in MODEL_OVERRIDES if getattr(cfg, k) is not None}
    return dataclasses.replace(MODEL_PRESETS[cfg.model], vocab_size=vocab_size, dropout=cfg.dropout, **overrides)


def make_optimizer(model: GPT, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW on the model's two parameter groups (decay on matmul weights only); fused kernels on CUDA."""
    return torch.optim.AdamW(model.param_groups(cfg.weight_decay), lr=cfg.learning_rate,
                             betas=(cfg.beta1, cfg.beta2), eps=1e-8, fused=device.type == "cuda")


def fit_batch_size(cfg: TrainConfig, world_size: int) -> TrainConfig:
    """`cfg` with a smaller micro-batch where its own does not divide the global batch over `world_size`
    processes (the tiny preset's 4 of 4 on 2 processes: 2 each); unchanged where nothing smaller fits."""
    share, rest = divmod(cfg.global_batch_size, world_size)
    if rest or share <= 0 or share % cfg.batch_size == 0:
        return cfg
    batch_size = min(cfg.batch_size, share)
    while share % batch_size:
        batch_size -= 1
    return dataclasses.replace(cfg, batch_size=batch_size)


def accumulation_steps(cfg: TrainConfig, world_size: int) -> int:
    per_pass = cfg.batch_size * world_size
    if cfg.global_batch_size % per_pass:
        raise UserError(f"global_batch_size ({cfg.global_batch_size}) must be a multiple of batch_size x processes "
                        f"({cfg.batch_size} x {world_size} = {per_pass})")
    return cfg.global_batch_size // per_pass


MODEL_OVERRIDES = ("n_layer", "n_head", "n_embd", "block_size")  # None keeps the model preset's value


def check_config(cfg: TrainConfig) -> None:
    positive = ("batch_size", "global_batch_size", "max_steps", "eval_interval", "eval_batches", "log_interval",
                "checkpoint_interval")
    for name in positive + tuple(k for k in MODEL_OVERRIDES if getattr(cfg, k) is not None):
        if getattr(cfg, name) <= 0:
            raise UserError(f"{name} must be positive, got {getattr(cfg, name)}")
    check_numbers(cfg, ("dropout",))
    check_optimizer(cfg)
    if cfg.dropout >= 1:
        raise UserError(f"dropout must be below 1, got {cfg.dropout}")
    if cfg.stop_at is not None and cfg.stop_at <= 0:
        raise UserError(f"stop_at must be a positive step, got {cfg.stop_at}")


def check_numbers(cfg, names: tuple[str, ...]) -> None:
    """Refuse a setting that is not a finite number >= 0 (`nan < 0` is False: NaN must be refused by name)."""
    for name in names:
        value = getattr(cfg, name)
        if not (math.isfinite(value) and value >= 0):
            raise UserError(f"{name} must be a finite number >= 0, got {value}")


def check_optimizer(cfg: OptimizerConfig) -> None:
    check_numbers(cfg, tuple(f.name for f in dataclasses.fields(OptimizerConfig)))
    if cfg.min_lr_ratio > 1:
        raise UserError(f"min_lr_ratio must be in [0, 1], got {cfg.min_lr_ratio}")
    for name in ("beta1", "beta2"):
        if getattr(cfg, name) >= 1:
            raise UserError(f"{name} must be below 1, got {getattr(cfg, name)}")


def check_memory(cfg: TrainConfig, model_cfg: GPTConfig, device: torch.device) -> None:
    """Refuse a micro-batch that cannot fit, before allocating anything: a lower bound on what a training step
    holds (weights, gradients and AdamW's state; each layer's input, as with full recomputation; the logits in
    bf16) against all of the device's memory. What passes may still run out of memory, what fails cannot fit."""
    parts = training_memory(model_cfg.num_params(), model_cfg.n_layer, model_cfg.n_embd, model_cfg.block_size,
                            cfg.batch_size, recompute=True)
    needed = sum(parts.values()) + 2 * cfg.batch_size * model_cfg.block_size * model_cfg.vocab_size
    available = device_memory(device)
    if available is not None and needed > available:
        raise UserError(f"a micro-batch of {cfg.batch_size} x {model_cfg.block_size} tokens needs at least "
                        f"{needed / 2**30:,.1f} GiB to train, more than the {device.type} has "
                        f"({available / 2**30:,.1f} GiB): lower --batch-size (accumulation keeps the global batch)")



# ----------------------------------------------------------------------------- evaluation


def val_starts(files: list[np.ndarray], block_size: int, n_windows: int) -> np.ndarray:
    """The first `n_windows` non-overlapping windows of the val files (fewer if val is short), as (file, start)
    rows: the same text at every evaluation, so the curve shows the model changing, not the sample."""
    starts = [(f, s) for f, a in enumerate(files) for s in range(0, len(a) - block_size, block_size)]
    return np.array(starts[:n_windows], dtype=np.int64).reshape(-1, 2)


@torch.no_grad()
def evaluate(model: torch.nn.Module, files: list[np.ndarray], block_size: int, batch_size: int, n_batches: int,
             device: torch.device, autocast, process: Process = ONE_PROCESS) -> float:
    """Mean next-token loss over the val windows; each process takes every world_size-th window."""
    mine = val_starts(files, block_size, n_batches * batch_size)[process.rank::process.world_size]
    totals = torch.zeros(2, device=device, dtype=torch.float64)  # (sum of token losses, tokens)
    with eval_mode(model):
        for i in range(0, len(mine), batch_size):
            x, y = read_windows(files, mine[i:i + batch_size], block_size)
            with autocast:
                _, loss = model(x.to(device), y.to(device))
            totals += torch.tensor([loss.item() * y.numel(), y.numel()], device=device, dtype=torch.float64)
    if process.distributed:
        dist.all_reduce(totals)
    return (totals[0] / totals[1]).item()


# ----------------------------------------------------------------------------- the loop


def train(cfg: TrainConfig, data: Path, out: Path, resume: bool = False, progress: bool = True,
          callback: Callable[[dict], None] | None = None) -> dict:
    """Train on the token files in `data` (train.bin, val.bin, meta.json), writing the run into `out`.

    Works alone or under torchrun. `resume` continues from out/checkpoint exactly where it stopped.
    `callback(record)` sees every metrics record as it is written (rank 0), e.g. for a live plot.
    Returns the run's figures (the same on every rank).
    """
    check_config(cfg)
    check_output_folder(out, "pretrain")  # on every rank alike, before the first collective
    process, device = init_distributed(cfg.device)
    try:
        run = start_run(cfg, Path(data), Path(out), resume, callback, process, device)
        summary = run_loop(run, progress)
        if process.distributed:
            # Rank 0 writes the run's files alone; a process that tore down its connections meanwhile could make
            # gloo abort the busy one ("connection closed by peer"), so all leave together.
            dist.barrier()
        return summary
    finally:
        run = None  # before the group: see end_distributed
        end_distributed(process)


@dataclass(kw_only=True)
class TrainingRun:
    """What the loop of every training stage holds while it runs (pretraining here, fine-tuning in minillm.sft)."""
    cfg: OptimizerConfig  # and the stage's own settings: max_steps, batch sizes, intervals
    out: Path
    process: Process
    device: torch.device
    model: GPT  # the weights: what is saved, clipped and counted
    train_model: torch.nn.Module  # the model (compiled, perhaps), wrapped in DistributedDataParallel under torchrun
    optimizer: torch.optim.AdamW
    accum: int  # micro-batches per step on each process
    info: dict  # what config.json records
    log: MetricsLog
    step: int = 0
    train_loss: float = float("nan")
    val_loss: float | None = None


@dataclass(kw_only=True)
class Run(TrainingRun):
    """A pretraining run (made by `start_run`)."""
    data: Path
    autocast: contextlib.AbstractContextManager  # bf16 on CUDA, a no-op elsewhere
    eval_model: torch.nn.Module  # the model, compiled if asked: evaluation calls it
    train_files: list[np.ndarray]
    val_files: list[np.ndarray]
    facts: tuple | None  # (tokenizer, cloze prompts) scored at every evaluation on rank 0, or None

    @property
    def block_size(self) -> int:
        return self.model.config.block_size


def start_run(cfg, data: Path, out: Path, resume: bool, callback, process: Process, device: torch.device) -> Run:
    """Read the data, build model and optimizer (from the checkpoint when resuming), open the metrics log."""
    model_cfg = model_config(cfg, int(read_meta(data)["vocab_size"]))
    accum = accumulation_steps(cfg, process.world_size)
    check_memory(cfg, model_cfg, device)
    check_tokenizer(data)
    train_files = load_split(data, "train", model_cfg.block_size)
    val_files = load_split(data, "val", model_cfg.block_size)
    check_token_ids([*train_files, *val_files], model_cfg.vocab_size, data)
    if process.is_main:
        claim_folder(out, "pretrain")
    torch.manual_seed(cfg.seed)  # every rank builds the same initial weights
    model = GPT(model_cfg).to(device)
    optimizer = make_optimizer(model, cfg, device)
    torch.manual_seed(cfg.seed + 1 + process.rank)  # but draws its own dropout masks
    info = {"model": model_cfg.to_dict(), "train": dataclasses.asdict(cfg), "tokenizer_id": tokenizer_id(data),
            "data": str(data), "world_size": process.world_size}
    saved = {"step": 0, "train_loss": float("nan"), "val_loss": None}
    if resume and find_checkpoint(out / "checkpoint") is not None:
        saved = load_checkpoint(out / "checkpoint", model, optimizer, device, process)
        if saved["tokenizer_id"] != info["tokenizer_id"]:
            raise UserError(f"the checkpoint in {out / 'checkpoint'} was trained on tokens of another tokenizer "
                            f"({saved['tokenizer_id']}, now {info['tokenizer_id']})")
    eval_model = torch.compile(model) if cfg.compile else model
    train_model = eval_model
    if process.distributed:
        train_model = torch.nn.parallel.DistributedDataParallel(
            eval_model, device_ids=[device.index] if device.type == "cuda" else None)
    return Run(cfg=cfg, data=data, out=out, process=process, device=device, autocast=autocast_for(device),
               model=model, eval_model=eval_model, train_model=train_model, optimizer=optimizer,
               train_files=train_files, val_files=val_files, accum=accum, info=info,
               log=MetricsLog(out / "metrics.jsonl", process.is_main, saved["step"], callback),
               facts=fact_prompts(cfg, data) if process.is_main else None,
               step=saved["step"], train_loss=saved["train_loss"], val_loss=saved["val_loss"])


def optimizer_step(run: TrainingRun, micro_loss: Callable[[int], torch.Tensor],
                   stop_requested: bool) -> tuple[float, float, bool]:
    """One optimizer step of any training stage: the schedule's learning rate, gradients accumulated over the
    process's micro-batches, clipping, AdamW. micro_loss(i) runs micro-batch i forward and returns its share of the
    step's loss: the shares of all micro-batches on all processes add up to the global batch's mean loss.
    Returns the learning rate, the gradient norm before clipping, and whether any process was asked to stop;
    sets run.train_loss (the global batch's mean loss) and moves run.step on."""
    cfg, process = run.cfg, run.process
    lr = learning_rate(run.step, cfg.learning_rate, cfg.warmup_steps, cfg.max_steps, cfg.min_lr_ratio)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    loss_sum = torch.zeros((), device=run.device)
    for micro in range(run.accum):
        # DDP all-reduces the gradients during the backward of the last micro-batch only
        last_micro = micro == run.accum - 1
        sync = run.train_model.no_sync() if process.distributed and not last_micro else contextlib.nullcontext()
        with sync:
            loss = micro_loss(micro)
            (loss * process.world_size).backward()  # DDP averages over processes: each share must count in full
        loss_sum += loss.detach()
    grad_norm = clip_grad_norm(run.model.parameters(), cfg.grad_clip if cfg.grad_clip > 0 else math.inf).item()
    # one small all-reduce per step: the loss shares summed over processes, and how many were asked to stop
    status = torch.stack([loss_sum, torch.tensor(float(stop_requested), device=run.device)])
    if process.distributed:
        dist.all_reduce(status)
    run.train_loss = status[0].item()
    if not (math.isfinite(run.train_loss) and math.isfinite(grad_norm)):
        raise TrainingDiverged(diverged_message(run.train_loss, grad_norm, run.step, lr, run.out))
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    run.step += 1
    return lr, grad_norm, status[1].item() > 0


def train_step(run: Run, stop_requested: bool) -> tuple[float, float, bool]:
    """One optimizer step on the step's global batch of windows (see optimizer_step)."""
    cfg, process = run.cfg, run.process
    # the step's global batch is fixed by (seed, step); this process reads its share of it
    starts = sample_starts(run.train_files, cfg.global_batch_size, run.block_size, batch_rng(cfg.seed, run.step))

    def micro_loss(micro: int) -> torch.Tensor:
        first = (process.rank * run.accum + micro) * cfg.batch_size
        x, y = read_windows(run.train_files, starts[first:first + cfg.batch_size], run.block_size)
        x, y = x.to(run.device, non_blocking=True), y.to(run.device, non_blocking=True)
        with run.autocast:
            _, loss = run.train_model(x, y)
        return loss / (run.accum * process.world_size)  # every micro-batch holds as many tokens

    return optimizer_step(run, micro_loss, stop_requested)


def fact_prompts(cfg: TrainConfig, data: Path) -> tuple | None:
    """The tokenizer and the cloze prompts to score at each evaluation, when both are there."""
    if not cfg.fact_prompts or not (data / "tokenizer.json").exists():
        return None
    return Tokenizer.load(data / "tokenizer.json"), read_prompts(DATA_DIR / cfg.fact_prompts)


def evaluate_run(run: Run) -> None:
    run.val_loss = evaluate(run.eval_model, run.val_files, run.block_size, run.cfg.batch_size, run.cfg.eval_batches,
                            run.device, run.autocast, run.process)
    record = {"step": run.step, "val_loss": round(run.val_loss, 5),
              "val_perplexity": round(math.exp(min(run.val_loss, 50)), 3)}
    if run.facts is not None:
        scores = score_cloze(run.model, *run.facts)
        record["fact_accuracy"] = round(sum(s["greedy"] for s in scores) / len(scores), 4)
        record["fact_p_answer"] = float(f"{typical_probability([s['p_answer'] for s in scores]):.4g}")  # tiny early on
    run.log.write(record)


def checkpoint_run(run: TrainingRun, owner: str = "pretrain") -> None:
    """Save a resumable checkpoint of any training stage (`owner` names the stage)."""
    states = all_rng_states(run.device, run.process)  # a collective: every process takes part
    if run.process.is_main:
        info = {**run.info, "train_loss": run.train_loss, "val_loss": run.val_loss}
        save_checkpoint(run.out / "checkpoint", run.model, run.optimizer, run.step, info, states, owner)


def mfu(run: Run, tokens_per_sec: float) -> float | None:
    """MFU per device: a GPU's peak is its own, a CPU's covers all the processes sharing it."""
    peak = peak_flops(run.device)
    if peak is None:
        return None
    devices = run.process.world_size if run.device.type == "cuda" else 1
    return round(run.model.estimate_mfu(tokens_per_sec / devices, peak, run.block_size), 5)


def run_loop(run: Run, progress: bool) -> dict:
    """Step until max_steps (or stop_at, or SIGTERM), logging, evaluating and checkpointing on the way."""
    cfg = run.cfg
    tokens_per_step = cfg.global_batch_size * run.block_size
    if run.step == 0:
        evaluate_run(run)
    step_seconds = []
    tokens_since_log, log_started = 0, time.perf_counter()  # tokens/s covers training steps only
    stopped = None
    bar = tqdm(total=cfg.max_steps, initial=run.step, desc="pretraining", unit="step",
               disable=not (progress and run.process.is_main))
    with StopSignal() as stop, bar:
        while run.step < cfg.max_steps:
            started = time.perf_counter()
            lr, grad_norm, stop_votes = train_step(run, stop.requested)
            step_seconds.append(time.perf_counter() - started)
            bar.update(1)
            tokens_since_log += tokens_per_step
            last = run.step == cfg.max_steps
            if run.step % cfg.log_interval == 0 or last:
                tokens_per_sec = tokens_since_log / (time.perf_counter() - log_started)
                record = {"step": run.step, "loss": round(run.train_loss, 5), "lr": lr, "grad_norm": round(grad_norm, 4),
                          "tokens_per_sec": round(tokens_per_sec, 1), "mfu": mfu(run, tokens_per_sec)}
                run.log.write({k: v for k, v in record.items() if v is not None})
                bar.set_postfix(loss=f"{run.train_loss:.3f}", tok_s=f"{tokens_per_sec:,.0f}")
            if run.step % cfg.eval_interval == 0 or last:
                evaluate_run(run)
            if stop_votes or run.step == cfg.stop_at:
                stopped = "SIGTERM" if stop_votes else f"stop_at={cfg.stop_at}"
                break
            if run.step % cfg.checkpoint_interval == 0 and not last:
                checkpoint_run(run)
            if run.step % cfg.log_interval == 0:  # evaluation and checkpoints stay out of tokens/s
                tokens_since_log, log_started = 0, time.perf_counter()
    checkpoint_run(run)
    if run.process.is_main:
        plot_losses(run.log.records, run.out / "loss.png")
        if stopped is None:
            finish(run)
    return summarize(run, step_seconds, stopped)


def summarize(run: Run, step_seconds: list[float], stopped: str | None) -> dict:
    timed = step_seconds[1:] or step_seconds  # the first step pays for warm-up (and compilation)
    tokens_per_step = run.cfg.global_batch_size * run.block_size
    tokens_per_sec = len(timed) * tokens_per_step / sum(timed) if timed else 0.0
    summary = {"step": run.step, "stopped": stopped, "tokens": run.step * tokens_per_step,
               "train_loss": round(run.train_loss, 4),
               "val_loss": None if run.val_loss is None else round(run.val_loss, 4),
               "perplexity": None if run.val_loss is None else round(math.exp(min(run.val_loss, 50)), 3),
               "tokens_per_sec": round(tokens_per_sec, 1), "mfu": mfu(run, tokens_per_sec),
               "params": run.model.config.num_params(), "world_size": run.process.world_size,
               "device": run.device.type, "replicas_identical": replicas_identical(run.model, run.process)}
    return {k: v for k, v in summary.items() if v is not None or k == "stopped"}


def diverged_message(loss: float, grad_norm: float, step: int, lr: float, out: Path) -> str:
    what = f"loss became {loss}" if not math.isfinite(loss) else f"gradient norm became {grad_norm}"
    found = find_checkpoint(out / "checkpoint")
    kept = f"the last good checkpoint is {found}" if found else "no checkpoint had been saved yet"
    return (f"training stopped at step {step + 1}: the {what} (learning rate {lr:.3g}); {kept}. "
            f"Try a lower --learning-rate, more --warmup-steps or --grad-clip 1")


def replicas_identical(model: GPT, process: Process) -> bool:
    """Every process ends with bit-identical weights (DDP's promise, checked: a digest per rank, compared)."""
    if not process.distributed:
        return True
    tensors = (t.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes() for t in model.state_dict().values())
    mine = digest("".join(digest(t) for t in tensors).encode())
    digests = [None] * process.world_size
    dist.all_gather_object(digests, mine)
    return len(set(digests)) == 1


def finish(run: Run) -> None:
    """The finished run's files: final weights and config, and the tokenizer, so the folder loads on its own."""
    run.model.save_safetensors(run.out / "model.safetensors")
    info = {**run.info, "step": run.step, "train_loss": run.train_loss, "val_loss": run.val_loss}
    atomic_write_text(run.out / "config.json", json.dumps(info, indent=1) + "\n")
    if (run.data / "tokenizer.json").exists():
        shutil.copyfile(run.data / "tokenizer.json", run.out / "tokenizer.json")


# ----------------------------------------------------------------------------- the pipeline stage


def build_stage(cfg: TrainConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Pretrain on inputs["tokenizer"]'s token files into `out` (resuming what an interrupted build left)."""
    started = time.perf_counter()
    run = train(cfg, Path(inputs["tokenizer"]), out, resume=True, progress=progress)
    if run["stopped"]:  # a stopped run is not the stage's artifact: keep `out` so the next build resumes it
        raise UserError(f"pretraining stopped at step {run['step']} ({run['stopped']}); "
                        "its checkpoint is kept: run the same command again to resume")
    seconds = time.perf_counter() - started
    metrics = {"params": run["params"], "steps": run["step"], "tokens": run["tokens"],
               "train_loss": run["train_loss"], "val_loss": run["val_loss"], "perplexity": run["perplexity"],
               "tokens_per_sec": run["tokens_per_sec"], "mfu": run.get("mfu", "n/a"), "seconds": round(seconds, 1)}
    summary = (f"Pretrained a {run['params'] / 1e6:.2f}M-parameter GPT for {run['step']} steps "
               f"({metrics['tokens']:,} tokens) on {run['device']} in {seconds:.0f} s: validation loss "
               f"{run['val_loss']} (perplexity {run['perplexity']}).")
    return {"metrics": metrics, "figures": ["loss.png"], "summary": summary}


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm pretrain` (and `python -m minillm.train`): one per TrainConfig field, plus these."""
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="starting settings (default: tiny)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="token files (train.bin, val.bin, meta.json; "
                        "default: the preset's tokenizer stage, built first if needed)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="run folder (default: the pipeline's "
                        "runs/<preset>/pretrain); needed under torchrun")
    parser.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint (an error if there is "
                        "none; without --resume a run starts at step 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config_flags(parser, TrainConfig, "training settings (override the preset's)")
    parser.epilog = ("Exit status: 0 when the run ends (at max_steps or --stop-at), 2 on bad input, 143 when SIGTERM "
                     "stopped it (its checkpoint is kept: rerun with --resume). Under torchrun the processes exit 0 "
                     "on SIGTERM and torchrun's own status tells. --out must be new, empty or an earlier run folder.")


def run_from_args(args) -> int:
    """`minillm pretrain`: build the pipeline stage, or train into --out (alone or under torchrun)."""
    cfg = config_from_args(args, PRESETS[args.preset])
    if args.batch_size is None:  # the preset's micro-batch, fitted to torchrun's processes if it does not divide
        cfg = fit_batch_size(cfg, int(os.environ.get("WORLD_SIZE", "1")))
    check_config(cfg)
    progress = not args.quiet
    if args.out is None:
        if under_torchrun() or args.data is not None or args.resume:
            raise UserError("pass --out DIR for a run with --data, --resume or under torchrun")
        folder = artifacts.build("pretrain", args.preset, cfg, progress=progress)
        metrics = artifacts.stamp(folder).get("metrics", {})
        print(", ".join(f"{k} {v}" for k, v in metrics.items()))
        print(f"wrote {folder / 'model.safetensors'}, {folder / 'loss.png'}")
        return 0
    check_output_folder(args.out, "pretrain")
    if args.resume and find_checkpoint(args.out / "checkpoint") is None:
        raise UserError(f"--resume: no checkpoint in {args.out / 'checkpoint'} (drop --resume to start a new run)")
    data = args.data or artifacts.get("tokenizer", args.preset, progress)
    run = train(cfg, data, args.out, resume=args.resume, progress=progress)
    if os.environ.get("RANK", "0") == "0":  # one summary line, not one per process
        print(json.dumps(run))
    if run["stopped"] == "SIGTERM" and not under_torchrun():  # so `pretrain && next` does not go on
        print(f"minillm: pretraining stopped by SIGTERM at step {run['step']}; its checkpoint is kept: "
              "rerun with --resume to continue", file=sys.stderr)
        return 128 + signal.SIGTERM
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minillm.train", description="Pretrain a GPT (lesson 07).")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_from_args(args)
    except UserError as e:
        return say_error(e)


if __name__ == "__main__":
    exit_with(main())
