"""Pretraining throughput on this machine: tokens/s and MFU of the tiny preset, and scaling over processes (lesson 07).

1. The loop against its peer: `minillm.train.train` on the tiny preset (model 4 x 128, windows of 256 tokens,
   8 per step) against a bare forward + backward + AdamW step of the same model on a fixed batch, measured
   in alternation so that other work on the machine slows both alike. The ratio loop / bare is what the
   loop costs around the model (sampling from the memmap, clipping, the per-step all-reduce of the loss,
   logging); target >= 0.9.
2. Scaling: the same run (same global batch of 8 windows) as one process with 1 thread, one process with
   every core, and `torchrun --nproc-per-node=2` (gloo, 1 thread per process). Speed-up = 2 processes /
   1 process with 1 thread (ideal 2.0 on 2 free cores).

MFU counts 6N + 12 L C T FLOPs per token against minillm.devices.PEAK_FLOPS["cpu"] (AVX-512 FMA peak).

    python benchmarks/bench_train.py [--data DIR] [--steps 30] [--repeats 3]
"""

import argparse
import dataclasses
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as minillm.train sets it, so that both sides run alike
import torch

from minillm import artifacts, train
from minillm.model import GPT
from minillm.tokens import load_split, read_meta

ROOT = Path(__file__).resolve().parents[1]


def loop_tokens_per_sec(cfg: train.TrainConfig, data: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out:
        run = train.train(cfg, data, Path(out), progress=False)
    return run["tokens_per_sec"], run["mfu"]


def bare_tokens_per_sec(cfg: train.TrainConfig, data: Path) -> float:
    """The model's own training step on one fixed batch: forward, backward, AdamW, nothing else."""
    config = train.model_config(cfg, int(read_meta(data)["vocab_size"]))
    torch.manual_seed(cfg.seed)
    model = GPT(config)
    optimizer = train.make_optimizer(model, cfg, torch.device("cpu"))
    x, y = train.sample_batch(load_split(data, "train", config.block_size), cfg.batch_size, config.block_size,
                              np.random.default_rng(0))
    seconds = []
    for _ in range(cfg.max_steps):
        started = time.perf_counter()
        _, loss = model(x, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seconds.append(time.perf_counter() - started)
    return (len(seconds) - 1) * x.numel() / sum(seconds[1:])  # the first step warms up, as in train()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_run(cfg: train.TrainConfig, data: Path, processes: int, threads: int | None) -> dict:
    """One `python -m minillm.train` run (under torchrun if processes > 1); its summary line."""
    flags = ["--data", str(data), "--quiet", "--max-steps", str(cfg.max_steps), "--eval-interval", str(cfg.max_steps),
             "--eval-batches", "1", "--log-interval", str(cfg.max_steps), "--checkpoint-interval", str(cfg.max_steps),
             "--batch-size", str(cfg.global_batch_size // processes), "--global-batch-size", str(cfg.global_batch_size),
             "--device", "cpu"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    if processes > 1:
        launcher = [str(Path(sys.executable).with_name("torchrun")), f"--nproc-per-node={processes}",
                    "--master-addr=127.0.0.1", f"--master-port={free_port()}", "-m", "minillm.train"]
    else:
        launcher = [sys.executable, "-m", "minillm.train"]
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([*launcher, *flags, "--out", out], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="token files (default: the tiny tokenizer stage)")
    parser.add_argument("--steps", type=int, default=30, help="optimizer steps per timed run (default: 30)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement (default: 3)")
    args = parser.parse_args()
    data = args.data or artifacts.get("tokenizer", "tiny")
    cfg = dataclasses.replace(train.PRESETS["tiny"], max_steps=args.steps, eval_interval=args.steps, eval_batches=1,
                              log_interval=args.steps, checkpoint_interval=args.steps, device="cpu")
    print(f"tiny preset, {args.steps} steps of {cfg.global_batch_size} x 256 tokens, {os.cpu_count()} CPU cores, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")

    loop, bare, mfu = [], [], []
    for _ in range(args.repeats):
        tokens_per_sec, run_mfu = loop_tokens_per_sec(cfg, data)
        loop.append(tokens_per_sec)
        mfu.append(run_mfu)
        bare.append(bare_tokens_per_sec(cfg, data))
    ratios = [a / b for a, b in zip(loop, bare)]
    print("\n1. the loop vs a bare training step (median of alternating runs)")
    print(f"   minillm.train.train   {statistics.median(loop):9,.0f} tokens/s   MFU {statistics.median(mfu):.1%}")
    print(f"   bare step             {statistics.median(bare):9,.0f} tokens/s")
    print(f"   ratio loop / bare     {statistics.median(ratios):9.2f}   (target >= 0.9)")

    layouts = [("1 process, 1 thread", 1, 1), (f"1 process, {torch.get_num_threads()} threads", 1, None),
               ("torchrun 2 processes x 1 thread (gloo)", 2, 1)]
    speeds = {name: [] for name, _, _ in layouts}
    for _ in range(args.repeats):
        for name, processes, threads in layouts:
            speeds[name].append(cli_run(cfg, data, processes, threads)["tokens_per_sec"])
    print("\n2. scaling, same global batch (median tokens/s)")
    for name, values in speeds.items():
        print(f"   {name:40} {statistics.median(values):9,.0f}")
    base = statistics.median(speeds["1 process, 1 thread"])
    print(f"   speed-up 2 processes / 1 process x 1 thread: "
          f"{statistics.median(speeds['torchrun 2 processes x 1 thread (gloo)']) / base:.2f} (ideal 2.0)")


if __name__ == "__main__":
    main()
