"""Benchmark of the Python BPE encoder on long pre-tokens, against tiktoken with the same ranks.

A pre-token is one regex match: a run of 16,000 letters is a single piece, and BPE joins its bytes pair by pair.
The simple loop (the docstring of `Tokenizer._bpe`) rescans every pair before each join, which is quadratic in the
piece's length; `_bpe` keeps the pairs in a heap, O(n log n). The script times the simple loop, `encode_python` and
tiktoken on pieces of growing length (fresh tokenizer per length, so no cache helps), checks the ids agree, and prints
how each time grows per 4x longer piece (4x: linear; 16x: quadratic).

    python benchmarks/bench_long_pieces.py
    python benchmarks/bench_long_pieces.py --lengths 1000 4000 16000 64000 --no-simple
"""

import argparse
import math
import random
import time

from minillm.tokenizer import Tokenizer


def simple_bpe(ranks: dict[bytes, int], piece: bytes) -> list[int]:
    """The quadratic loop: scan every pair for the lowest rank, join it, scan again."""
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        rank, i = min((ranks.get(parts[i] + parts[i + 1], math.inf), i) for i in range(len(parts) - 1))
        if rank == math.inf:
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[part] for part in parts]


def seconds(fn, repeats: int) -> float:
    """Best of `repeats` runs: the figure least disturbed by other work on the machine."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(tok: Tokenizer, enc, text: str, repeats: int, with_simple: bool) -> tuple[float | None, float, float]:
    """Seconds of the simple loop (or None), of `encode_python` and of tiktoken on one text; the ids must agree."""
    ids = enc.encode_ordinary(text)

    def python_encode():
        fresh = Tokenizer(tok.ranks, tok.pattern)  # an empty piece cache
        assert fresh.encode_python(text) == ids

    simple = None
    if with_simple:
        simple = seconds(lambda: simple_bpe(tok.ranks, text.encode()), 1)
        assert simple_bpe(tok.ranks, text.encode()) == ids
    return simple, seconds(python_encode, repeats), seconds(lambda: enc.encode_ordinary(text), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1000, 4000, 16000], help="letters per piece")
    parser.add_argument("--vocab-size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-simple", action="store_true", help="skip the quadratic loop (slow beyond 16k)")
    args = parser.parse_args()

    rng = random.Random(0)
    letters = "etaoinshrdlu"
    docs = ["".join(rng.choices(letters, k=rng.randint(2, 12))) for _ in range(50_000)]
    tok = Tokenizer.train(docs, args.vocab_size, special_tokens=(), progress=False)
    enc = tok.to_tiktoken()
    print(f"tokenizer: {tok.vocab_size} tokens trained on words of the letters {letters!r}")
    print(f"{'letters':>8} {'simple loop (s)':>16} {'encode_python (s)':>18} {'tiktoken (s)':>13} {'vs tiktoken':>12}")
    previous = None
    for n in args.lengths:
        text = "".join(rng.choices(letters, k=n))  # one pre-token: the split pattern keeps letters together
        times = measure(tok, enc, text, args.repeats, not args.no_simple)
        simple, ours, theirs = times
        simple_text = "-" if simple is None else f"{simple:.3f}"
        print(f"{n:>8,} {simple_text:>16} {ours:>18.4f} {theirs:>13.5f} {ours / theirs:>11.0f}x")
        if previous is not None:
            growth = [f"{name} x{now / before:.1f}" for name, now, before
                      in zip(("simple loop", "encode_python", "tiktoken"), times, previous[1]) if now and before]
            print(f"{'':>8} {n / previous[0]:.0f}x longer: time grows " + ", ".join(growth))
        previous = (n, times)


if __name__ == "__main__":
    main()
