"""Generation speed: minillm's KV cache versus re-reading the window, and versus transformers' generate
(lesson 08's benchmark).

1. KV cache vs no cache: greedy decoding of one 16-token prompt, 64, 256 and 512 new tokens, with the tiny
   model's shape but block_size 1024 so that 512 new tokens fit. Target: the cache >= 5x at 512 tokens.
2. minillm vs transformers: the same weights exported with `to_hf_state_dict` into a GPT2LMHeadModel (SDPA
   attention), greedy, batch 1 and batch 8, for the tiny shape and for GPT-2 124M's (random weights).
   Both generate exactly max_new_tokens tokens, and the script checks that they pick the same ones.
   Target: minillm at least as fast (ratio >= 1).
3. Weight layout: minillm's column-major Linear weights (minillm.nn.Linear) against the same model with its
   Linear weights copied row-major, GPT-2 124M's shape, greedy, batch 1 and batch 8: the figure behind that
   design choice.
4. Drawing a token: `sample.draw_tokens` (the running sum and a uniform draw, lesson 08's exercise) against
   torch.multinomial, one token from each of 128 rows of the tiny vocabulary (2,050 tokens): a sampled decoding
   step's draw (PPO's rollouts, pass@k). The two follow the same law: the script compares their token frequencies
   over 200,000 draws from one row.

Every pair is measured in alternation (A B, B A, ...) so that other work on the machine slows both alike;
printed: median tokens/s of each and the median of the back-to-back ratios.

    python benchmarks/bench_sample.py [--repeats 5] [--threads N]
"""

import argparse
import copy
import statistics
import time
from dataclasses import replace

import torch
import transformers

from minillm import sample
from minillm.model import GPT, PRESETS
from minillm.nn import Linear

PROMPT_LEN = 16
TINY_LONG = replace(PRESETS["tiny"], block_size=1024, vocab_size=2048)  # the pretrain stage's vocabulary
VERSUS_HF = [("tiny", TINY_LONG, 128), ("124M", PRESETS["124M"], 32)]  # (name, config, new tokens)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def interleaved(runs: dict, repeats: int) -> dict[str, list[float]]:
    """Seconds of each run, measured A B, B A, ... after one warm-up each."""
    for fn in runs.values():
        fn()
    seconds = {label: [] for label in runs}
    for repeat in range(repeats):
        for label in (list(runs) if repeat % 2 == 0 else list(runs)[::-1]):
            seconds[label].append(timed(runs[label])[0])
    return seconds


def report(name: str, n_tokens: int, seconds: dict[str, list[float]]) -> float:
    (a, a_s), (b, b_s) = seconds.items()
    paired = statistics.median(y / x for x, y in zip(a_s, b_s))  # a's speed over b's
    print(f"  {name:<28} {a} {n_tokens / statistics.median(a_s):8.0f} tok/s   "
          f"{b} {n_tokens / statistics.median(b_s):8.0f} tok/s   ratio {paired:5.2f}x")
    return paired


def cache_versus_no_cache(repeats: int) -> None:
    print(f"KV cache vs no cache: tiny shape, block_size {TINY_LONG.block_size}, batch 1, "
          f"{PROMPT_LEN}-token prompt, greedy")
    torch.manual_seed(0)
    model = GPT(TINY_LONG).eval()
    prompt = torch.randint(0, TINY_LONG.vocab_size, (PROMPT_LEN,)).tolist()
    for n in (64, 256, 512):
        cfg = sample.GenerationConfig(max_new_tokens=n, temperature=0)
        runs = {"cache": lambda cfg=cfg: sample.generate(model, prompt, cfg),
                "no cache": lambda cfg=cfg: sample.generate(model, prompt, replace(cfg, use_cache=False))}
        same = runs["cache"]() == runs["no cache"]()
        ratio = report(f"{n} new tokens", n, interleaved(runs, repeats if n < 512 else max(1, repeats // 2)))
        target = "  (target >= 5x: " + ("met" if ratio >= 5 else "MISSED") + ")" if n == 512 else ""
        print(f"{'':32}same tokens: {'yes' if same else 'NO'}{target}")


def one_versus_transformers(name, ours, theirs, batch: int, n: int, repeats: int) -> None:
    prompts = torch.randint(0, ours.config.vocab_size, (batch, PROMPT_LEN))
    cfg = sample.GenerationConfig(max_new_tokens=n, temperature=0)

    def hf_generate():
        with torch.inference_mode():
            out = theirs.generate(prompts, attention_mask=torch.ones_like(prompts), do_sample=False,
                                  max_new_tokens=n, min_new_tokens=n, pad_token_id=0)
        return out[:, PROMPT_LEN:].tolist()

    runs = {"minillm": lambda: sample.generate(ours, prompts, cfg), "transformers": hf_generate}
    same = runs["minillm"]() == runs["transformers"]()
    ratio = report(f"{name}, batch {batch}, {n} new", batch * n, interleaved(runs, repeats))
    print(f"{'':32}same tokens: {'yes' if same else 'NO'}  (target >= 1x: {'met' if ratio >= 1 else 'MISSED'})")


def versus_transformers(repeats: int) -> None:
    print("minillm vs transformers' generate: same weights, greedy, KV cache, fp32, SDPA")
    for name, config, n in VERSUS_HF:
        torch.manual_seed(0)
        ours = GPT(config).eval()
        hf_config = transformers.GPT2Config(**config.to_hf_config(), attn_implementation="sdpa",
                                            bos_token_id=0, eos_token_id=0)
        theirs = transformers.GPT2LMHeadModel(hf_config).eval()
        theirs.load_state_dict(ours.to_hf_state_dict())
        for batch in (1, 8):
            one_versus_transformers(name, ours, theirs, batch, n, repeats)


def column_versus_row_major(repeats: int) -> None:
    print("minillm's column-major Linear weights vs the same weights row-major: GPT-2 124M shape, greedy")
    torch.manual_seed(0)
    ours = GPT(PRESETS["124M"]).eval()
    row_major = copy.deepcopy(ours)
    for module in row_major.modules():
        if isinstance(module, Linear):
            module.weight.data = module.weight.data.contiguous()
    for batch in (1, 8):
        prompts = torch.randint(0, ours.config.vocab_size, (batch, PROMPT_LEN))
        cfg = sample.GenerationConfig(max_new_tokens=32, temperature=0)
        runs = {"column": lambda prompts=prompts, cfg=cfg: sample.generate(ours, prompts, cfg),
                "row": lambda prompts=prompts, cfg=cfg: sample.generate(row_major, prompts, cfg)}
        same = runs["column"]() == runs["row"]()
        report(f"batch {batch}, 32 new", batch * 32, interleaved(runs, repeats))
        print(f"{'':32}same tokens: {'yes' if same else 'NO'}")


def draw_versus_multinomial(repeats: int) -> None:
    print("Drawing one token per row: draw_tokens vs torch.multinomial, 128 rows of 2,050 tokens")
    torch.manual_seed(0)
    probs = torch.softmax(torch.randn(128, 2050) * 3, dim=-1)
    generator = torch.Generator().manual_seed(0)
    draws = 200

    def run(draw):
        return lambda: [draw() for _ in range(draws)]

    runs = {"draw_tokens": run(lambda: sample.draw_tokens(probs, generator)),
            "multinomial": run(lambda: torch.multinomial(probs, 1, generator=generator)[:, 0])}
    report(f"{draws} draws of 128 rows", draws * 128, interleaved(runs, repeats))
    one_row = probs[:1].expand(200_000, -1)
    ours = torch.bincount(sample.draw_tokens(one_row, generator), minlength=2050) / 200_000
    theirs = torch.bincount(torch.multinomial(one_row, 1, generator=generator)[:, 0], minlength=2050) / 200_000
    print(f"{'':32}largest gap between the two frequencies of a token over 200,000 draws: "
          f"{float((ours - theirs).abs().max()):.4f} (the most likely token: {float(probs[0].max()):.3f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed samples per run")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice); on a machine whose "
                        "cores are busy with other work, 1 avoids stalls of multi-threaded kernels for both sides")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads, "
          f"median of {args.repeats} interleaved samples")
    cache_versus_no_cache(args.repeats)
    versus_transformers(args.repeats)
    column_versus_row_major(args.repeats)
    draw_versus_multinomial(args.repeats)


if __name__ == "__main__":
    main()
