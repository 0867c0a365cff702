"""Training throughput of minillm's GPT versus transformers' GPT2LMHeadModel (lesson 06's benchmark).

Both models get the same config, the same weights, the same batch, fp32, SDPA attention, dropout 0,
and the same loss code; one training step is forward + cross-entropy + backward. The two are measured
in alternation (A B, B A, ...) so that other work on the machine slows both alike. Printed: each
model's median tokens/s, their ratio, and the median of the ratios of back-to-back pairs (the steadier
figure on a busy machine). Target: ratio (ours / transformers) >= 1.0.

    python benchmarks/bench_model.py [--repeats 7]
"""

import argparse
import statistics
import time
from dataclasses import replace

import torch
import torch.nn.functional as F
import transformers

from minillm.devices import PEAK_FLOPS
from minillm.model import GPT, PRESETS

CASES = [  # (name, config, batch size, sequence length, training steps per timed sample)
    ("tiny", PRESETS["tiny"], 8, 256, 5),
    ("124M, T=64", PRESETS["124M"], 4, 64, 1),
]


def train_step(forward, params, idx, targets) -> float:
    """One forward + loss + backward; returns the loss so both models are seen doing the same work."""
    for p in params:
        p.grad = None
    logits = forward(idx)
    loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    loss.backward()
    return loss.item()


def tokens_per_second(forward, params, idx, targets, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        train_step(forward, params, idx, targets)
    return steps * idx.numel() / (time.perf_counter() - start)


def bench_case(name, config, batch_size, seq_len, steps, repeats):
    torch.manual_seed(0)
    ours = GPT(replace(config, dropout=0.0)).train()
    hf_config = transformers.GPT2Config(**ours.config.to_hf_config(), attn_implementation="sdpa",
                                        bos_token_id=0, eos_token_id=0)
    theirs = transformers.GPT2LMHeadModel(hf_config).train()
    theirs.load_state_dict(ours.to_hf_state_dict())
    idx = torch.randint(0, config.vocab_size, (batch_size, seq_len))
    targets = torch.randint(0, config.vocab_size, (batch_size, seq_len))
    models = {
        "minillm": (lambda x: ours(x)[0], list(ours.parameters())),
        "transformers": (lambda x: theirs(input_ids=x).logits, list(theirs.parameters())),
    }
    losses = {label: train_step(fwd, params, idx, targets) for label, (fwd, params) in models.items()}  # warm-up
    assert abs(losses["minillm"] - losses["transformers"]) < 1e-4, f"the two models differ: {losses}"
    samples = {label: [] for label in models}
    for repeat in range(repeats):
        order = list(models) if repeat % 2 == 0 else list(models)[::-1]  # A B, B A, ...: neither always goes first
        for label in order:
            samples[label].append(tokens_per_second(*models[label], idx, targets, steps))
    ours_tps, theirs_tps = (statistics.median(samples[label]) for label in models)
    paired = statistics.median(a / b for a, b in zip(samples["minillm"], samples["transformers"]))
    mfu = ours.estimate_mfu(ours_tps, PEAK_FLOPS["cpu"], seq_len)
    print(f"{name:<12} B={batch_size:<2} T={seq_len:<4} {ours.num_params() / 1e6:7.2f}M params   "
          f"minillm {ours_tps:9.0f} tok/s   transformers {theirs_tps:9.0f} tok/s   "
          f"ratio {ours_tps / theirs_tps:4.2f} (paired {paired:4.2f})   (minillm MFU vs CPU fp32 peak {100 * mfu:.0f}%)")
    return ours_tps / theirs_tps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed samples per model and case")
    args = parser.parse_args()
    print(f"forward+backward, fp32, {torch.get_num_threads()} threads, median of {args.repeats} interleaved samples")
    for case in CASES:
        bench_case(*case, repeats=args.repeats)


if __name__ == "__main__":
    main()
