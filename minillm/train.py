"""Pretraining: the training loop, from one process on a laptop to torchrun on many GPUs (lesson 07).

The loop is nanoGPT's, written out in short functions: random windows of the token files
(`sample_batch`), next-token cross-entropy, AdamW with decoupled weight decay (none on biases, norms
and embeddings), linear warmup then cosine decay (`learning_rate`), gradient accumulation, gradient
clipping, periodic evaluation (`evaluate`), and checkpoints that resume exactly.

One code path runs everywhere; the machine changes a few lines (`setup_device`):
- CPU: float32. MPS: float32. CUDA: bf16 autocast, TF32 matmuls, fused AdamW, optional torch.compile.
- Under `torchrun --nproc_per_node=N -m minillm.train ...` each process joins a process group (NCCL on
  CUDA, gloo on CPU), wraps the model in DistributedDataParallel, and trains on its own micro-batches.

Data is stateless: the global batch of step s (global_batch_size windows) is drawn from a generator
seeded by (seed, s), and each process reads its own slice of it, one micro-batch at a time. So one
process accumulating 2 micro-batches sees the same windows as two processes with one each, or one
process with a twice larger micro-batch, and resuming needs no data-loader state.

Checkpoint folder (written to a temporary folder, then swapped in, so a crash never leaves half of one):
    model.safetensors   the weights (GPT.save_safetensors; the model config is in its metadata)
    config.json         {"model": GPTConfig, "train": TrainConfig, "step", "tokenizer_id", "val_loss", ...}
    state.pt            optimizer state and every rank's RNG state (torch.save; torch.load(weights_only=True))

A run folder `out` holds metrics.jsonl (one JSON record per log line or evaluation), loss.png,
checkpoint/ (the latest resumable state) and, when training finishes, model.safetensors, config.json,
tokenizer.json and facts.jsonl (the fact probe's answers).

Main entry points:
    TrainConfig, PRESETS                      settings (tiny: CPU minutes, small: one GPU, gpt2: 8 GPUs)
    train(cfg, data, out, resume, progress)   the loop; returns the run's figures
    sample_batch, learning_rate, evaluate, save_checkpoint, load_checkpoint, fact_probe, training_memory
    build_stage(cfg, inputs, out, progress)   the `pretrain` pipeline stage
    add_arguments(parser), run_from_args(args), main()   `minillm pretrain` and `python -m minillm.train`
"""

import argparse
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
import typing
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Set before torch loads OpenMP: waiting threads sleep instead of spinning. On a CPU shared with other work
# (a browser, a notebook kernel, other jobs) spinning threads wait on each other: on 2 cores the tiny model
# trained 1.5x faster with one busy process beside it, 3x with several, and 10 % slower on an idle machine.
# Has no effect if torch was imported first; set OMP_WAIT_POLICY=ACTIVE to choose otherwise.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from minillm import artifacts, files
from minillm.errors import UserError
from minillm.model import GPT, PEAK_FLOPS, GPTConfig
from minillm.model import PRESETS as MODEL_PRESETS
from minillm.tokenizer import load_tokens


def _setting(default, help: str):
    """A config field with its --help text next to it (the CLI reads it from the field's metadata)."""
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    """Settings of the pretraining stage (`minillm pretrain`); every field is also a command-line flag."""
    model: str = _setting("tiny", "model size, a minillm.model preset (vocab_size comes from the tokenizer)")
    n_layer: int | None = _setting(None, "override the preset's number of blocks")
    n_head: int | None = _setting(None, "override the preset's number of attention heads")
    n_embd: int | None = _setting(None, "override the preset's embedding width")
    block_size: int | None = _setting(None, "override the preset's context length (tokens per window)")
    dropout: float = _setting(0.0, "dropout probability (0 for pretraining on lots of data)")
    batch_size: int = _setting(16, "sequences per micro-batch on each process")
    global_batch_size: int = _setting(16, "sequences per optimizer step over all processes; the rest "
                                          "is gradient accumulation")
    max_steps: int = _setting(1000, "optimizer steps; the learning-rate schedule ends here")
    learning_rate: float = _setting(1e-3, "peak learning rate, reached after warmup")
    min_lr_ratio: float = _setting(0.1, "the cosine decays to learning_rate x this")
    warmup_steps: int = _setting(100, "steps of linear warmup from 0")
    weight_decay: float = _setting(0.1, "AdamW's decoupled weight decay, on matmul weights only")
    beta1: float = _setting(0.9, "AdamW's first-moment decay")
    beta2: float = _setting(0.95, "AdamW's second-moment decay")
    grad_clip: float = _setting(1.0, "clip the gradient's global norm to this (0: no clipping)")
    eval_interval: int = _setting(100, "evaluate every this many steps (and at the start and end)")
    eval_batches: int = _setting(20, "validation micro-batches per evaluation, shared by the processes")
    log_interval: int = _setting(10, "write a metrics record every this many steps")
    checkpoint_interval: int = _setting(200, "save a resumable checkpoint every this many steps")
    stop_at: int | None = _setting(None, "end this run at this step with a checkpoint (the schedule still "
                                         "runs to max_steps): split a long run into jobs, then --resume")
    probe: bool = _setting(True, "score greedy completions of the world's cloze prompts at the end")
    device: str = _setting("auto", "auto, cpu, cuda or mps")
    compile: bool = _setting(False, "torch.compile the model (CUDA: faster after a slow first step)")
    seed: int = _setting(1337, "seeds the initial weights and the data order")


PRESETS = {
    # ~1.6M tokens (4-5 passes over the bundled corpus); small batches: more steps per token on a CPU
    "tiny": TrainConfig(model="tiny", batch_size=8, global_batch_size=8, max_steps=800, learning_rate=6e-3,
                        warmup_steps=50, eval_interval=100, eval_batches=10, log_interval=10,
                        checkpoint_interval=200),
    "small": TrainConfig(model="small", batch_size=32, global_batch_size=64, max_steps=5000, learning_rate=1e-3,
                         warmup_steps=200, eval_interval=250, eval_batches=40, log_interval=10,
                         checkpoint_interval=1000, compile=True),
    # GPT-2 124M on ~10B tokens (llm.c's recipe): 512 x 1024 = 524,288 tokens per step, 19,073 steps.
    "gpt2": TrainConfig(model="124M", batch_size=32, global_batch_size=512, max_steps=19073, learning_rate=6e-4,
                        warmup_steps=700, eval_interval=250, eval_batches=160, log_interval=10,
                        checkpoint_interval=1000, compile=True),
}


class TrainingDiverged(UserError):
    """The loss or the gradient became NaN or infinite; the last good checkpoint is kept."""


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


# ----------------------------------------------------------------------------- devices and processes


@dataclass(frozen=True)
class Dist:
    """Where this process sits: its rank among `world_size` processes (one process: rank 0 of 1)."""
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    enabled: bool = False  # a process group exists (we run under torchrun)

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def under_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def pick_device(choice: str = "auto", local_rank: int = 0) -> torch.device:
    """cuda (this process's GPU) if there is one, else mps, else cpu; or the device asked for."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if choice == "auto":
        choice = "cuda" if cuda else "mps" if mps else "cpu"
    if choice not in ("cpu", "cuda", "mps"):
        raise UserError(f"unknown device {choice!r} (choose auto, cpu, cuda or mps)")
    if (choice == "cuda" and not cuda) or (choice == "mps" and not mps):
        raise UserError(f"device {choice} is not available on this machine")
    return torch.device(f"cuda:{local_rank}" if choice == "cuda" else choice)


def init_distributed(choice: str) -> tuple[Dist, torch.device]:
    """Join torchrun's process group if we were started by torchrun; pick this process's device."""
    if not under_torchrun():
        return Dist(), pick_device(choice)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    device = pick_device(choice, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Dist(rank, local_rank, world, enabled=True), device


def setup_device(device: torch.device) -> contextlib.AbstractContextManager:
    """The few lines that differ per device; returns the autocast context the forward pass runs in."""
    if device.type != "cuda":
        return contextlib.nullcontext()  # fp32: CPUs gain little from bf16, MPS autocast is young
    torch.set_float32_matmul_precision("high")  # TF32 tensor cores for whatever stays in fp32
    torch.backends.cudnn.allow_tf32 = True
    return torch.autocast("cuda", dtype=torch.bfloat16)  # weights stay fp32, matmuls run in bf16


def peak_flops(device: torch.device) -> float | None:
    """The device's dense peak FLOP/s from minillm.model.PEAK_FLOPS, or None when unknown (no MFU then)."""
    if device.type == "cpu":
        return PEAK_FLOPS["cpu"]
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device).lower()
        return next((flops for key, flops in PEAK_FLOPS.items() if key != "cpu" and key in name), None)
    return None


class StopSignal:
    """Turns SIGTERM (a scheduler's preemption, torchrun shutting down) into a flag the loop checks."""

    def __init__(self):
        self.requested = False
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self.handle)
        return self

    def handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


# ----------------------------------------------------------------------------- data, model, optimizer


def load_split(folder: Path, split: str, block_size: int) -> list[np.ndarray]:
    """The token files of a split as memmaps: `<split>.bin`, or shards `<split>_*.bin`, with meta.json beside."""
    folder = Path(folder)
    files = [folder / f"{split}.bin"] if (folder / f"{split}.bin").exists() else sorted(folder.glob(f"{split}_*.bin"))
    if not files:
        raise UserError(f"no {split}.bin or {split}_*.bin token files in {folder}")
    arrays = [a for a in (load_tokens(f) for f in files) if len(a) > block_size]
    if not arrays:
        raise UserError(f"the {split} tokens in {folder} are shorter than one window of {block_size + 1} tokens")
    return arrays


def read_meta(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"no meta.json in {folder}: point --data at the tokenizer stage's folder") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{Path(folder) / 'meta.json'} is not valid JSON: {e}") from None


def tokenizer_id(folder: Path) -> str:
    """A short hash naming the tokenizer the token files were made with (checked when resuming)."""
    folder = Path(folder)
    source = folder / "tokenizer.json" if (folder / "tokenizer.json").exists() else folder / "meta.json"
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def model_config(cfg: TrainConfig, vocab_size: int) -> GPTConfig:
    if cfg.model not in MODEL_PRESETS:
        raise UserError(f"unknown model {cfg.model!r} (choose from {', '.join(MODEL_PRESETS)})")
    overrides = {k: getattr(cfg, k) for k in ("n_layer", "n_head", "n_embd", "block_size") if getattr(cfg, k)}
    return dataclasses.replace(MODEL_PRESETS[cfg.model], vocab_size=vocab_size, dropout=cfg.dropout, **overrides)


def make_optimizer(model: GPT, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW on the model's two parameter groups (decay on matmul weights only); fused kernels on CUDA."""
    return torch.optim.AdamW(model.param_groups(cfg.weight_decay), lr=cfg.learning_rate,
                             betas=(cfg.beta1, cfg.beta2), eps=1e-8, fused=device.type == "cuda")


def accumulation_steps(cfg: TrainConfig, world_size: int) -> int:
    per_pass = cfg.batch_size * world_size
    if cfg.global_batch_size % per_pass:
        raise UserError(f"global_batch_size ({cfg.global_batch_size}) must be a multiple of batch_size x processes "
                        f"({cfg.batch_size} x {world_size} = {per_pass})")
    return cfg.global_batch_size // per_pass


def check_config(cfg: TrainConfig) -> None:
    positive = ("batch_size", "global_batch_size", "max_steps", "eval_interval", "eval_batches", "log_interval",
                "checkpoint_interval")
    for name in positive:
        if getattr(cfg, name) <= 0:
            raise UserError(f"{name} must be positive, got {getattr(cfg, name)}")
    for name in ("learning_rate", "weight_decay", "grad_clip", "warmup_steps"):
        if getattr(cfg, name) < 0:
            raise UserError(f"{name} must be >= 0, got {getattr(cfg, name)}")
    if not 0 <= cfg.min_lr_ratio <= 1:
        raise UserError(f"min_lr_ratio must be in [0, 1], got {cfg.min_lr_ratio}")
    if cfg.stop_at is not None and cfg.stop_at <= 0:
        raise UserError(f"stop_at must be a positive step, got {cfg.stop_at}")


# ----------------------------------------------------------------------------- evaluation


def val_starts(files: list[np.ndarray], block_size: int, n_windows: int) -> list[tuple[int, int]]:
    """The first `n_windows` non-overlapping windows of the val files (fewer if val is short): the same
    text at every evaluation, so the curve shows the model changing, not the sample."""
    starts = [(f, s) for f, a in enumerate(files) for s in range(0, len(a) - block_size, block_size)]
    return starts[:n_windows]


@torch.no_grad()
def evaluate(model: torch.nn.Module, files: list[np.ndarray], block_size: int, batch_size: int, n_batches: int,
             device: torch.device, autocast, ddp: Dist = Dist()) -> float:
    """Mean next-token loss over the val windows; each process takes every world_size-th window."""
    was_training = model.training
    model.eval()
    mine = val_starts(files, block_size, n_batches * batch_size)[ddp.rank::ddp.world_size]
    totals = torch.zeros(2, device=device, dtype=torch.float64)  # (sum of token losses, tokens)
    for i in range(0, len(mine), batch_size):
        windows = np.stack([files[f][s:s + block_size + 1] for f, s in mine[i:i + batch_size]]).astype(np.int64)
        windows = torch.from_numpy(windows).to(device)  # (B, T + 1)
        with autocast:
            _, loss = model(windows[:, :-1], windows[:, 1:])
        totals += torch.tensor([loss.item() * windows[:, 1:].numel(), windows[:, 1:].numel()],
                               device=device, dtype=torch.float64)
    if ddp.enabled:
        dist.all_reduce(totals)
    model.train(was_training)
    return (totals[0] / totals[1]).item()


# ----------------------------------------------------------------------------- checkpoints


def rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def all_rng_states(device: torch.device, ddp: Dist) -> list[dict]:
    """Every process's RNG state (dropout masks differ per process), gathered so rank 0 can save them."""
    if not ddp.enabled:
        return [rng_state(device)]
    states = [None] * ddp.world_size
    dist.all_gather_object(states, {k: v.cpu() for k, v in rng_state(device).items()})
    return states


def save_checkpoint(folder: Path, model: GPT, optimizer: torch.optim.Optimizer, step: int, info: dict,
                    rng_states: list[dict]) -> Path:
    """Write weights, config.json and state.pt into a fresh folder, then swap it in for `folder`."""
    folder = Path(folder)
    work = folder.with_name(f".{folder.name}.new")
    if work.exists():
        shutil.rmtree(work)
    files.make_dir(work)
    model.save_safetensors(work / "model.safetensors")
    files.atomic_write_text(work / "config.json", json.dumps({**info, "step": step}, indent=1) + "\n")
    torch.save({"step": step, "optimizer": optimizer.state_dict(), "rng": rng_states}, work / "state.pt")
    files.replace_folder(work, folder)
    return folder


def find_checkpoint(folder: Path) -> Path | None:
    """`folder`, or the previous checkpoint that a crash during the swap left beside it."""
    folder = Path(folder)
    for candidate in (folder, folder.with_name(f".{folder.name}.old")):
        if (candidate / "state.pt").is_file():
            return candidate
    return None


def load_checkpoint(folder: Path, model: GPT, optimizer: torch.optim.Optimizer | None, device: torch.device,
                    ddp: Dist = Dist()) -> dict:
    """Restore weights, optimizer and this process's RNG state; return the checkpoint's config.json."""
    from safetensors.torch import load_file

    found = find_checkpoint(folder)
    if found is None:
        raise UserError(f"no checkpoint to resume from in {folder}")
    info = json.loads((found / "config.json").read_text(encoding="utf-8"))
    if info["model"] != model.config.to_dict():
        raise UserError(f"the checkpoint in {found} is a different model ({info['model']}) "
                        f"from the one configured ({model.config.to_dict()})")
    model.load_state_dict(load_file(found / "model.safetensors", device=str(device)))
    state = torch.load(found / "state.pt", map_location="cpu", weights_only=True)
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if len(state["rng"]) == ddp.world_size:
        set_rng_state(state["rng"][ddp.rank], device)
    return info


# ----------------------------------------------------------------------------- metrics and figures


class MetricsLog:
    """metrics.jsonl on rank 0: one record per log line or evaluation, appended and flushed as it comes."""

    def __init__(self, path: Path, enabled: bool, keep_until: int, callback: Callable[[dict], None] | None):
        self.path, self.enabled, self.callback = Path(path), enabled, callback
        self.records = []
        if enabled and self.path.exists():  # resuming: drop what was logged after the checkpoint
            with self.path.open(encoding="utf-8") as f:
                self.records = [r for r in map(json.loads, f) if r["step"] <= keep_until]
            files.atomic_write_text(self.path, "".join(json.dumps(r) + "\n" for r in self.records))

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        self.records.append(record)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.callback is not None:
            self.callback(record)


def plot_losses(records: list[dict], path: Path, title: str = "") -> None:
    """Train loss per logged step and val loss per evaluation, with perplexity on the right axis."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    draw_losses(ax, records)
    if title:
        ax.set_title(title)
    with files.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def draw_losses(ax, records: list[dict]) -> None:
    train = [(r["step"], r["loss"]) for r in records if "loss" in r]
    val = [(r["step"], r["val_loss"]) for r in records if "val_loss" in r]
    if train:
        ax.plot(*zip(*train), color="tab:blue", lw=1.2, label="train loss")
    if val:
        ax.plot(*zip(*val), "o-", color="tab:orange", ms=4, label="val loss")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats / token)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    to_ppl, to_loss = (lambda x: np.exp(np.minimum(x, 50))), (lambda p: np.log(np.maximum(p, 1e-9)))
    ppl = ax.secondary_yaxis("right", functions=(to_ppl, to_loss))
    ppl.set_yticks([2, 3, 5, 10, 20, 50, 100, 300, 1000, 3000, 10000, 50000])
    ppl.set_ylabel("perplexity")


# ----------------------------------------------------------------------------- the fact probe


@torch.no_grad()
def greedy_continue(model: GPT, prompts: list[list[int]], n_new: int, device: torch.device) -> list[list[int]]:
    """The `n_new` most likely next tokens after each prompt, one at a time with a KV cache.

    Prompts of one length share a batch (no padding needed); each keeps its last block_size - n_new tokens.
    """
    was_training = model.training
    model.eval()
    keep = model.config.block_size - n_new
    prompts = [ids[-keep:] for ids in prompts]
    by_length = defaultdict(list)
    for i, ids in enumerate(prompts):
        by_length[len(ids)].append(i)
    out = [[] for _ in prompts]
    for length, rows in by_length.items():
        cache = model.make_kv_cache(len(rows), length + n_new)
        logits, _ = model(torch.tensor([prompts[i] for i in rows], device=device), kv_cache=cache)  # (B, T, V)
        new = []
        for _ in range(n_new):
            new.append(logits[:, -1].argmax(dim=-1, keepdim=True))  # (B, 1)
            logits, _ = model(new[-1], kv_cache=cache)
        for row, ids in zip(rows, torch.cat(new, dim=1).tolist()):
            out[row] = ids
    model.train(was_training)
    return out


def answer_matches(completion: str, answer: str) -> bool:
    """The completion starts with the answer as a whole word or number ("Paris." yes, "12" for "1" no)."""
    text = completion.lstrip()
    return text.startswith(answer) and not text[len(answer):len(answer) + 1].isalnum()


def fact_probe(model: GPT, tok, prompts: list[tuple[str, str]], device: torch.device) -> dict:
    """Greedy completions of cloze prompts ("The capital of France is" -> "Paris"), scored for accuracy."""
    ids = [tok.encode(prompt) for prompt, _ in prompts]
    n_new = max(len(tok.encode(" " + answer)) for _, answer in prompts) + 1
    completions = [tok.decode(c) for c in greedy_continue(model, ids, n_new, device)]
    rows = [{"prompt": p, "answer": a, "completion": c, "correct": answer_matches(c, a)}
            for (p, a), c in zip(prompts, completions)]
    return {"accuracy": sum(r["correct"] for r in rows) / max(1, len(rows)), "rows": rows}


def world_prompts() -> list[tuple[str, str]]:
    """The bundled world's cloze prompts (data/probe/cloze.jsonl) as (prompt, answer) pairs."""
    rows = [json.loads(line) for line in (files.DATA_DIR / "probe" / "cloze.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(r["prompt"], r["answer"]) for r in rows]


# ----------------------------------------------------------------------------- the loop


def train(cfg: TrainConfig, data: Path, out: Path, resume: bool = False, progress: bool = True,
          callback: Callable[[dict], None] | None = None) -> dict:
    """Train on the token files in `data` (train.bin, val.bin, meta.json), writing the run into `out`.

    Works alone or under torchrun. `resume` continues from out/checkpoint exactly where it stopped.
    `callback(record)` sees every metrics record as it is written (rank 0), e.g. for a live plot.
    Returns the run's figures (the same on every rank; only rank 0 adds the fact probe's accuracy).
    """
    check_config(cfg)
    ddp, device = init_distributed(cfg.device)
    try:
        run = start_run(cfg, Path(data), Path(out), resume, callback, ddp, device)
        summary = run_loop(run, progress)
        if ddp.enabled:
            # Rank 0 writes the run's files alone; a process that tore down its connections meanwhile could make
            # gloo abort the busy one ("connection closed by peer"), so all leave together.
            dist.barrier()
        return summary
    finally:
        if ddp.enabled:
            dist.destroy_process_group()


@dataclass
class Run:
    """Everything one training run holds while the loop runs (made by `start_run`)."""
    cfg: TrainConfig
    data: Path
    out: Path
    ddp: Dist
    device: torch.device
    autocast: contextlib.AbstractContextManager  # bf16 on CUDA, a no-op elsewhere
    model: GPT  # the weights
    core: torch.nn.Module  # the model, compiled if asked: evaluation calls it
    net: torch.nn.Module  # core, wrapped in DistributedDataParallel under torchrun: training calls it
    optimizer: torch.optim.AdamW
    train_files: list[np.ndarray]
    val_files: list[np.ndarray]
    accum: int  # micro-batches per step on each process
    info: dict  # what config.json records
    log: MetricsLog
    step: int = 0
    train_loss: float = float("nan")
    val_loss: float | None = None

    @property
    def block_size(self) -> int:
        return self.model.config.block_size


def start_run(cfg, data: Path, out: Path, resume: bool, callback, ddp: Dist, device: torch.device) -> Run:
    """Read the data, build model and optimizer (from the checkpoint when resuming), open the metrics log."""
    mconfig = model_config(cfg, int(read_meta(data)["vocab_size"]))
    train_files = load_split(data, "train", mconfig.block_size)
    val_files = load_split(data, "val", mconfig.block_size)
    accum = accumulation_steps(cfg, ddp.world_size)
    if ddp.is_main:
        files.make_dir(out)
    torch.manual_seed(cfg.seed)  # every rank builds the same initial weights
    model = GPT(mconfig).to(device)
    optimizer = make_optimizer(model, cfg, device)
    torch.manual_seed(cfg.seed + 1 + ddp.rank)  # but draws its own dropout masks
    info = {"model": mconfig.to_dict(), "train": dataclasses.asdict(cfg), "tokenizer_id": tokenizer_id(data),
            "data": str(data), "world_size": ddp.world_size}
    saved = {"step": 0, "train_loss": float("nan"), "val_loss": None}
    if resume and find_checkpoint(out / "checkpoint") is not None:
        saved = load_checkpoint(out / "checkpoint", model, optimizer, device, ddp)
        if saved["tokenizer_id"] != info["tokenizer_id"]:
            raise UserError(f"the checkpoint in {out / 'checkpoint'} was trained on tokens of another tokenizer "
                            f"({saved['tokenizer_id']}, now {info['tokenizer_id']})")
    core = torch.compile(model) if cfg.compile else model
    net = torch.nn.parallel.DistributedDataParallel(
        core, device_ids=[device.index] if device.type == "cuda" else None) if ddp.enabled else core
    log = MetricsLog(out / "metrics.jsonl", ddp.is_main, saved["step"], callback)
    return Run(cfg, data, out, ddp, device, setup_device(device), model, core, net, optimizer, train_files, val_files,
               accum, info, log, saved["step"], saved["train_loss"], saved["val_loss"])


def train_step(run: Run, stop_requested: bool) -> tuple[float, float, bool]:
    """One optimizer step over the step's global batch. Returns the learning rate, the gradient norm before
    clipping, and whether any process was asked to stop; sets run.train_loss (the mean over processes)."""
    cfg, ddp = run.cfg, run.ddp
    lr = learning_rate(run.step, cfg.learning_rate, cfg.warmup_steps, cfg.max_steps, cfg.min_lr_ratio)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    # the step's global batch is fixed by (seed, step); this process reads its share of it
    starts = sample_starts(run.train_files, cfg.global_batch_size, run.block_size, batch_rng(cfg.seed, run.step))
    loss_sum = torch.zeros((), device=run.device)
    for micro in range(run.accum):
        first = (ddp.rank * run.accum + micro) * cfg.batch_size
        x, y = read_windows(run.train_files, starts[first:first + cfg.batch_size], run.block_size)
        x, y = x.to(run.device, non_blocking=True), y.to(run.device, non_blocking=True)
        # DDP all-reduces the gradients during the backward of the last micro-batch only
        sync = run.net.no_sync() if ddp.enabled and micro < run.accum - 1 else contextlib.nullcontext()
        with sync:
            with run.autocast:
                _, loss = run.net(x, y)
            (loss / run.accum).backward()  # gradients add up: the sum of loss / accum is the mean
        loss_sum += loss.detach()
    grad_norm = clip_grad_norm(run.model.parameters(), cfg.grad_clip if cfg.grad_clip > 0 else math.inf).item()
    # one small all-reduce per step: the loss summed over processes, and how many were asked to stop
    status = torch.stack([loss_sum / run.accum, torch.tensor(float(stop_requested), device=run.device)])
    if ddp.enabled:
        dist.all_reduce(status)
    run.train_loss = status[0].item() / ddp.world_size
    if not (math.isfinite(run.train_loss) and math.isfinite(grad_norm)):
        raise TrainingDiverged(diverged_message(run.train_loss, grad_norm, run.step, lr, run.out))
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    run.step += 1
    return lr, grad_norm, status[1].item() > 0


def evaluate_run(run: Run) -> None:
    run.val_loss = evaluate(run.core, run.val_files, run.block_size, run.cfg.batch_size, run.cfg.eval_batches,
                            run.device, run.autocast, run.ddp)
    run.log.write({"step": run.step, "val_loss": round(run.val_loss, 5),
                   "val_perplexity": round(math.exp(min(run.val_loss, 50)), 3)})


def checkpoint_run(run: Run) -> None:
    states = all_rng_states(run.device, run.ddp)  # a collective: every process takes part
    if run.ddp.is_main:
        info = {**run.info, "train_loss": run.train_loss, "val_loss": run.val_loss}
        save_checkpoint(run.out / "checkpoint", run.model, run.optimizer, run.step, info, states)


def mfu(run: Run, tokens_per_sec: float) -> float | None:
    """MFU per device: a GPU's peak is its own, a CPU's covers all the processes sharing it."""
    peak = peak_flops(run.device)
    if peak is None:
        return None
    devices = run.ddp.world_size if run.device.type == "cuda" else 1
    return round(run.model.estimate_mfu(tokens_per_sec / devices, peak, run.block_size), 5)


def run_loop(run: Run, progress: bool) -> dict:
    """Step until max_steps (or stop_at, or SIGTERM), logging, evaluating and checkpointing on the way."""
    cfg = run.cfg
    tokens_per_step = cfg.global_batch_size * run.block_size
    if run.step == 0:
        evaluate_run(run)
    step_seconds, window = [], [0, time.perf_counter()]  # tokens and start of the current log window
    stopped = None
    bar = tqdm(total=cfg.max_steps, initial=run.step, desc="pretraining", unit="step",
               disable=not (progress and run.ddp.is_main))
    with StopSignal() as stop, bar:
        while run.step < cfg.max_steps:
            started = time.perf_counter()
            lr, grad_norm, stop_votes = train_step(run, stop.requested)
            step_seconds.append(time.perf_counter() - started)
            bar.update(1)
            window[0] += tokens_per_step
            last = run.step == cfg.max_steps
            if run.step % cfg.log_interval == 0 or last:
                tokens_per_sec = window[0] / (time.perf_counter() - window[1])
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
                window = [0, time.perf_counter()]
    checkpoint_run(run)
    if run.ddp.is_main:
        plot_losses(run.log.records, run.out / "loss.png")
    summary = summarize(run, step_seconds, stopped)
    if stopped is None and run.ddp.is_main:
        summary.update(finish(run))
    return summary


def summarize(run: Run, step_seconds: list[float], stopped: str | None) -> dict:
    timed = step_seconds[1:] or step_seconds  # the first step pays for warm-up (and compilation)
    tokens_per_step = run.cfg.global_batch_size * run.block_size
    tokens_per_sec = len(timed) * tokens_per_step / sum(timed) if timed else 0.0
    summary = {"step": run.step, "stopped": stopped, "tokens": run.step * tokens_per_step,
               "train_loss": round(run.train_loss, 4),
               "val_loss": None if run.val_loss is None else round(run.val_loss, 4),
               "perplexity": None if run.val_loss is None else round(math.exp(min(run.val_loss, 50)), 3),
               "tokens_per_sec": round(tokens_per_sec, 1), "mfu": mfu(run, tokens_per_sec),
               "params": run.model.config.num_params(), "world_size": run.ddp.world_size,
               "device": run.device.type, "replicas_identical": replicas_identical(run.model, run.ddp)}
    return {k: v for k, v in summary.items() if v is not None or k == "stopped"}


def diverged_message(loss: float, grad_norm: float, step: int, lr: float, out: Path) -> str:
    what = f"loss became {loss}" if not math.isfinite(loss) else f"gradient norm became {grad_norm}"
    found = find_checkpoint(out / "checkpoint")
    kept = f"the last good checkpoint is {found}" if found else "no checkpoint had been saved yet"
    return (f"training stopped at step {step + 1}: the {what} (learning rate {lr:.3g}); {kept}. "
            f"Try a lower --learning-rate, more --warmup-steps or --grad-clip 1")


def replicas_identical(model: GPT, ddp: Dist) -> bool:
    """Every process ends with bit-identical weights (DDP's promise, checked: a hash per rank, compared)."""
    if not ddp.enabled:
        return True
    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    digests = [None] * ddp.world_size
    dist.all_gather_object(digests, digest.hexdigest())
    return len(set(digests)) == 1


def finish(run: Run) -> dict:
    """The finished run's files: final weights and config, the tokenizer, the fact probe's answers."""
    out, data = run.out, run.data
    run.model.save_safetensors(out / "model.safetensors")
    info = {**run.info, "step": run.step, "train_loss": run.train_loss, "val_loss": run.val_loss}
    files.atomic_write_text(out / "config.json", json.dumps(info, indent=1) + "\n")
    if not (data / "tokenizer.json").exists():
        return {}
    shutil.copyfile(data / "tokenizer.json", out / "tokenizer.json")
    if not run.cfg.probe:
        return {}
    from minillm.tokenizer import Tokenizer

    probe = fact_probe(run.model, Tokenizer.load(data / "tokenizer.json"), world_prompts(), run.device)
    files.atomic_write_text(out / "facts.jsonl", "".join(json.dumps(r) + "\n" for r in probe["rows"]))
    return {"fact_accuracy": round(probe["accuracy"], 4)}


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
               "train_loss": run["train_loss"], "val_loss": run["val_loss"], "perplexity": run["perplexity"], "tokens_per_sec": run["tokens_per_sec"],
               "mfu": run.get("mfu", "n/a"), "seconds": round(seconds, 1),
               "fact_accuracy": run.get("fact_accuracy", "n/a")}
    summary = (f"Pretrained a {run['params'] / 1e6:.2f}M-parameter GPT for {run['step']} steps "
               f"({metrics['tokens']:,} tokens) on {run['device']} in {seconds:.0f} s: validation loss "
               f"{run['val_loss']} (perplexity {run['perplexity']}).")
    if "fact_accuracy" in run:
        summary += f" Greedy completions of the world's cloze prompts are right {run['fact_accuracy']:.0%} of the time."
    return {"metrics": metrics, "figures": ["loss.png"], "summary": summary}


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm pretrain` (and `python -m minillm.train`): one per TrainConfig field, plus these."""
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="starting settings (default: tiny)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="token files (train.bin, val.bin, meta.json; "
                        "default: the preset's tokenizer stage, built first if needed)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="run folder (default: the pipeline's "
                        "runs/<preset>/pretrain); needed under torchrun")
    parser.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    group = parser.add_argument_group("training settings (override the preset's)")
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        kind = f.type if isinstance(f.type, type) else next(t for t in typing.get_args(f.type) if t is not type(None))
        if kind is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=f.metadata["help"])
        else:
            group.add_argument(flag, type=kind, default=None, metavar=kind.__name__.upper(), help=f.metadata["help"])


def config_from_args(args) -> TrainConfig:
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                 if getattr(args, f.name, None) is not None}
    cfg = dataclasses.replace(PRESETS[args.preset], **overrides)
    check_config(cfg)
    return cfg


def run_from_args(args) -> int:
    """`minillm pretrain`: build the pipeline stage, or train into --out (alone or under torchrun)."""
    cfg = config_from_args(args)
    progress = not args.quiet
    if args.out is None:
        if under_torchrun() or args.data is not None or args.resume:
            raise UserError("pass --out DIR for a run with --data, --resume or under torchrun")
        folder = artifacts.build("pretrain", args.preset, cfg, progress=progress)
        metrics = artifacts.stamp(folder).get("metrics", {})
        print(", ".join(f"{k} {v}" for k, v in metrics.items()))
        print(f"wrote {folder / 'model.safetensors'}, {folder / 'loss.png'}")
        return 0
    data = args.data or artifacts.get("tokenizer", args.preset, progress)
    run = train(cfg, data, args.out, resume=args.resume, progress=progress)
    if os.environ.get("RANK", "0") == "0":  # one summary line, not one per process
        print(json.dumps(run))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minillm.train", description="Pretrain a GPT (lesson 07).")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_from_args(args)
    except UserError as e:
        print(f"minillm: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
