"""Lesson 06's ablation table: what each piece of GPT-2 is worth on the tiny model.

Five models train the same short run (same seed, so the same initial weights wherever they share a tensor; the
same batches; the same optimizer and schedule) on the course's tokenized corpus (runs/tiny/tokenizer, built on
first use): the full model, and the model without residual connections, without LayerNorm, without position
embeddings, and with a separate output head instead of the tied one. Printed: each one's validation loss on the
same held-out windows after 200 and after 1,000 steps of one run, and its gap to the full model. Written:
benchmarks/ablation.json, which lesson 06 reads.

    python benchmarks/ablation.py [--eval-at 200 1000] [--seeds 1337 1338] [--threads 1]
"""

import argparse
import json
import math
import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

from minillm import artifacts
from minillm.model import GPT, PRESETS
from minillm.tokens import load_tokens
from minillm.train import batch_rng, evaluate, learning_rate, sample_batch

VARIANTS = ("full model", "no residual connections", "no LayerNorm", "no position embeddings", "no weight tying")


class Chain(nn.Sequential):
    """A block's four parts one after the other, ln_1 -> attn -> ln_2 -> mlp: nothing is added back."""

    def forward(self, x, mask=None, kv_cache=None):
        return super().forward(x)


class UntiedGPT(GPT):
    """GPT with its own output head, V x C, instead of reusing the token embedding."""

    def __init__(self, config):
        super().__init__(config)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        nn.init.normal_(self.head.weight, std=0.02)

    def lm_head(self, h):
        return self.head(h)


def build(variant: str, config, seed: int) -> GPT:
    """The tiny GPT with one piece taken out; the same seed gives the same weights for every shared tensor."""
    torch.manual_seed(seed)
    model = UntiedGPT(config) if variant == "no weight tying" else GPT(config)
    if variant == "no residual connections":
        model.h = nn.ModuleList(Chain(b.ln_1, b.attn, b.ln_2, b.mlp) for b in model.h)
    elif variant == "no LayerNorm":
        for block in model.h:
            block.ln_1, block.ln_2 = nn.Identity(), nn.Identity()
        model.ln_f = nn.Identity()
    elif variant == "no position embeddings":
        model.wpe.weight.data.zero_()
        model.wpe.weight.requires_grad_(False)  # stays zero: every position looks the same
    return model


def train_and_evaluate(model: GPT, train, val, steps: int, eval_at: list[int], batch_size: int, block_size: int,
                       seed: int, max_lr: float = 5e-3, warmup: int = 50) -> dict[int, float]:
    """AdamW with warmup and cosine decay over `steps`, as lesson 07's loop; the validation loss after each step
    in `eval_at` (one run, measured on the way)."""
    optimizer = torch.optim.AdamW(model.param_groups(0.1), lr=max_lr, betas=(0.9, 0.95))
    model.train()
    val_losses = {}
    for step in range(1, steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step - 1, max_lr, warmup, steps)
        x, y = sample_batch([train], batch_size, block_size, batch_rng(seed, step - 1))  # the same batches for all
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step in eval_at:
            val_losses[step] = evaluate(model, [val], block_size, batch_size=16, n_batches=8,
                                        device=torch.device("cpu"), autocast=nullcontext())
    return val_losses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-at", type=int, nargs="+", default=[200, 1000],
                        help="steps after which to measure the validation loss; the run lasts until the last")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1338])
    # one thread: on a busy 2-core machine two threads spin waiting on each other (15 steps took 82 s, not 15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("ablation.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    data = artifacts.get("tokenizer", preset="tiny")
    train, val = load_tokens(data / "train.bin"), load_tokens(data / "val.bin")
    vocab_size = json.loads((data / "meta.json").read_text())["vocab_size"]
    config = replace(PRESETS["tiny"], vocab_size=vocab_size)
    args.eval_at = sorted(args.eval_at)
    print(f"tiny GPT, vocabulary {vocab_size:,}: {args.eval_at[-1]} steps of {args.batch_size} x {args.block_size} tokens, "
          f"seeds {args.seeds}, {args.threads} thread(s); ln V = {math.log(vocab_size):.3f}")

    rows = []
    for variant in VARIANTS:
        started = time.perf_counter()
        runs = [train_and_evaluate(build(variant, config, seed), train, val, max(args.eval_at), args.eval_at,
                                   args.batch_size, args.block_size, seed) for seed in args.seeds]
        per_seed = {step: [run[step] for run in runs] for step in args.eval_at}
        rows.append({"variant": variant, "params": build(variant, config, 0).num_params(),
                     "val_loss": {step: sum(v) / len(v) for step, v in per_seed.items()},
                     "val_loss_per_seed": per_seed})
        print(f"  {variant:24} " + "  ".join(f"step {step}: {' '.join(f'{v:.3f}' for v in values)}"
                                             for step, values in per_seed.items())
              + f"  ({time.perf_counter() - started:.0f} s)")

    full = rows[0]["val_loss"]
    print(f"\n{'validation loss, mean of seeds':30}" + "".join(f"{f'step {step}':>18}" for step in args.eval_at))
    for row in rows:
        print(f"{row['variant']:30}" + "".join(f"{row['val_loss'][s]:>9.3f} ({row['val_loss'][s] - full[s]:+.3f})"
                                              for s in args.eval_at))
    record = {"command": " ".join(["python benchmarks/ablation.py", *(sys.argv[1:] if argv is None else argv)]),
              "steps": max(args.eval_at), "batch_size": args.batch_size, "block_size": args.block_size,
              "seeds": args.seeds, "threads": args.threads, "vocab_size": vocab_size, "torch": torch.__version__,
              "rows": rows}
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
