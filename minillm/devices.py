"""Devices and processes: where the math runs, and which of torchrun's processes this one is.

A foundation of the package (it imports nothing else of minillm but its errors). One code path runs
everywhere; the machine changes a few lines: CPU and MPS train in float32, CUDA in bf16 autocast with TF32
matmuls. Under `torchrun --nproc_per_node=N` each process joins a process group (NCCL on CUDA, gloo on CPU).
"""

import contextlib
import gc
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass

import torch
import torch.distributed as dist

from minillm.errors import UserError

# Dense peak throughput in FLOP/s, for MFU. Tensor-core bf16 for the GPUs: H100 SXM 989 TFLOP/s,
# H200 the same chip with more memory, A100 312. The CPU figure is a rough fp32 ceiling for this
# machine: per core two AVX-512 FMA units x 16 floats x 2 FLOPs at ~3 GHz (halve it for AVX2 CPUs).
PEAK_FLOPS = {
    "h100": 989e12,
    "h200": 989e12,
    "a100": 312e12,
    "cpu": 2 * 16 * 2 * 3.0e9 * (os.cpu_count() or 1),
}


@dataclass(frozen=True)
class Process:
    """Where this process sits: its rank among `world_size` processes (alone: rank 0 of 1)."""
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    distributed: bool = False  # a process group exists (we run under torchrun)

    @property
    def is_main(self) -> bool:
        return self.rank == 0


ONE_PROCESS = Process()  # training alone, without a process group


def under_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def exit_with(code: int):
    """End the program with `code` (a `python -m minillm.<stage>` entry point's last call). Under torchrun, after
    flushing what it printed, without the interpreter's teardown: there, one finished run in a few on a loaded
    machine aborted while exiting, after its work was done and its process group destroyed ("terminate called
    without an active exception", a C++ thread of gloo's outliving its owner; pytorch issue 190489), and torchrun
    reported the whole run as failed."""
    if not under_torchrun():
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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


def init_distributed(choice: str) -> tuple[Process, torch.device]:
    """Join torchrun's process group if we were started by torchrun; pick this process's device."""
    if not under_torchrun():
        return ONE_PROCESS, pick_device(choice)
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    device = pick_device(choice, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Process(rank, local_rank, world_size, distributed=True), device


def end_distributed(process: Process) -> None:
    """Leave torchrun's process group, after freeing what still refers to it. The caller drops its run (the
    DistributedDataParallel wrapper, whose reducer holds the group) first. Freed after destroy_process_group, as the
    caller's frame went, the wrapper's teardown blocked in C++ with the other rank already gone: rank 0 hung there
    in 3 of 13 two-process SFT runs on a loaded machine, and in none of 40 with this order."""
    if process.distributed:
        gc.collect()  # reference cycles (module hooks) keep the wrapper alive after its last name is gone
        dist.destroy_process_group()


def autocast_for(device: torch.device) -> contextlib.AbstractContextManager:
    """The context the forward pass runs in: bf16 autocast (and TF32) on CUDA, plain float32 elsewhere."""
    if device.type != "cuda":
        return contextlib.nullcontext()  # CPUs gain little from bf16, MPS autocast is young
    torch.set_float32_matmul_precision("high")  # TF32 tensor cores for whatever stays in fp32
    torch.backends.cudnn.allow_tf32 = True
    return torch.autocast("cuda", dtype=torch.bfloat16)  # weights stay fp32, matmuls run in bf16


def peak_flops(device: torch.device) -> float | None:
    """The device's dense peak FLOP/s from PEAK_FLOPS, or None when unknown (no MFU then)."""
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


def device_memory(device: torch.device) -> int | None:
    """Bytes of memory of a CUDA device, or of the machine's RAM for the CPU; None where unknown. What needs
    more cannot fit (what needs less may still not: other work holds some)."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    if device.type == "cpu" and hasattr(os, "sysconf"):
        with contextlib.suppress(ValueError, OSError):
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None
