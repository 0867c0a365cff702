"""Benchmark of minillm.tokenizer against its peers, measured side by side in one run.

1. Training time of `Tokenizer.train` versus the Hugging Face `tokenizers` BPE trainer on the same
   documents, the same vocabulary size and byte-level GPT-2 pre-tokenisation (target: within 3x).
2. Encoding throughput (MB/s) of the pure-Python encoder, of the package's fast path (`encode`,
   `encode_batch`), of the exported tiktoken.Encoding, and of tiktoken itself built on the same ranks
   (target: the fast path within 1.2x of raw tiktoken).

    python benchmarks/bench_tokenizer.py            # main texts of data/web, else ~4 MB of generated text
    python benchmarks/bench_tokenizer.py --corpus runs/tiny/clean/clean.jsonl
    python benchmarks/bench_tokenizer.py --generated --mb 16
"""

import argparse
import json
import random
import statistics
import time
from itertools import accumulate
from pathlib import Path

import tiktoken
from tokenizers import Tokenizer as HFTokenizer
from tokenizers import decoders, models, pre_tokenizers, trainers

from minillm.files import DATA_DIR
from minillm.merges import learn_merges
from minillm.pretokens import count_pretokens
from minillm.tokenizer import Tokenizer
from minillm.tokens import EOT


def generated_documents(n_bytes: int, seed: int = 0) -> list[str]:
    """Deterministic English-like documents: ~40k Zipf-distributed word types, numbers, punctuation,
    paragraphs, and a few words in other scripts."""
    rng = random.Random(seed)
    onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y",
              "br", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr", "ch", "qu"]
    vowels = ["a", "e", "i", "o", "u", "ea", "ee", "ai", "ou", "io", "ia"]
    codas = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "rt", "ck"]
    types = set()
    while len(types) < 40_000:
        types.add("".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                          for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4)))))
    words = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "was", "on", "with", "as"]
    words += sorted(types) + ["café", "naïve", "Straße", "東京", "日本語", "Москва", "привет", "ελληνικά", "😀"]
    weights = list(accumulate(1 / (rank + 1) ** 1.05 for rank in range(len(words))))
    docs, size = [], 0
    while size < n_bytes:
        paragraphs = []
        for _ in range(rng.randint(1, 6)):
            sentences = []
            for _ in range(rng.randint(2, 8)):
                sentence = rng.choices(words, cum_weights=weights, k=rng.randint(5, 25))
                if rng.random() < 0.3:
                    sentence.insert(rng.randrange(len(sentence)), str(rng.choice((rng.randint(1, 99),
                                                                              rng.randint(1800, 2030)))))
                if rng.random() < 0.3:
                    sentence[rng.randrange(len(sentence))] += ","
                sentences.append(" ".join(sentence).capitalize() + rng.choice(".....!?:"))
            paragraphs.append(" ".join(sentences))
        doc = "\n\n".join(paragraphs) + "\n"
        docs.append(doc)
        size += len(doc.encode("utf-8"))
    return docs


WEB_MANIFEST = DATA_DIR / "web" / "_manifest.json"


def read_documents(path: Path) -> list[str]:
    """Texts of a clean.jsonl file (one {"text": ...} per line), the main texts of every page of the
    bundled web's _manifest.json, or a plain text file as one document."""
    if path.name == "_manifest.json":
        pages = json.loads(path.read_text(encoding="utf-8"))["pages"].values()
        return [page["main_text"] for page in pages if page.get("main_text")]
    if path.suffix == ".jsonl":
        return [json.loads(line)["text"] for line in path.open(encoding="utf-8") if line.strip()]
    return [path.read_text(encoding="utf-8")]


def race(runs: dict, rounds: int) -> tuple[dict, dict, list[dict]]:
    """Run every function once per round, interleaved so that other work on the machine slows them alike.
    Returns each one's fastest time, its result, and every round's times."""
    history, results = [], {}
    for round_ in range(rounds):
        times = {}
        names = list(runs) if round_ % 2 == 0 else list(reversed(runs))  # neither always goes first
        for name in names:
            start = time.perf_counter()
            results[name] = runs[name]()
            times[name] = time.perf_counter() - start
        history.append(times)
    best = {name: min(times[name] for times in history) for name in runs}
    return best, results, history


def median_ratio(history: list[dict], name: str, peer: str) -> float:
    """Median over rounds of name's time over peer's time in the same round: robust to load changes."""
    return statistics.median(times[name] / times[peer] for times in history)


def train_hf(docs: list[str], vocab_size: int) -> HFTokenizer:
    tok = HFTokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(docs, trainer)
    return tok


def train_ours(docs: list[str], vocab_size: int) -> Tokenizer:
    return Tokenizer.train(docs, vocab_size, pattern="gpt2", special_tokens=[EOT], progress=False)


def bench_training(docs: list[str], vocab_sizes: list[int], repeats: int) -> Tokenizer:
    n_bytes = sum(len(d.encode("utf-8")) for d in docs)
    counts = count_pretokens(docs, "gpt2", [EOT], progress=False)
    pretokens = {piece.encode("utf-8"): n for piece, n in counts.items()}
    print(f"\n## Training ({n_bytes / 1e6:.1f} MB, {len(docs):,} documents, {len(counts):,} distinct "
          f"pre-tokens, GPT-2 split; times: best of {repeats}, ratio: median of per-round ratios)\n")
    print("| vocab | merges | minillm (s) | of which counting / merging (s) | HF tokenizers (s) | ratio |"
          " bytes/token minillm / HF |")
    print("|---|---|---|---|---|---|---|")
    ratios = []
    for vocab_size in vocab_sizes:
        seconds, trained, history = race({"ours": lambda v=vocab_size: train_ours(docs, v),
                                          "hf": lambda v=vocab_size: train_hf(docs, v)}, repeats)
        ours, hf = trained["ours"], trained["hf"]
        parts, _, _ = race({"count": lambda: count_pretokens(docs, "gpt2", [EOT], progress=False),
                            "merge": lambda v=vocab_size: learn_merges(pretokens, v - 257, progress=False)},
                           repeats)
        ours_tokens = sum(map(len, ours.encode_batch(docs)))
        hf_tokens = sum(len(e.ids) for e in hf.encode_batch(docs))
        ratios.append(median_ratio(history, "ours", "hf"))
        print(f"| {vocab_size:,} | {len(ours.merges):,} | {seconds['ours']:.2f} | {parts['count']:.2f} / "
              f"{parts['merge']:.2f} | {seconds['hf']:.2f} | **{ratios[-1]:.2f}×** | "
              f"{n_bytes / ours_tokens:.2f} / {n_bytes / hf_tokens:.2f} |")
    print(f"\nTarget, training within 3× of HF tokenizers: {'met' if max(ratios) <= 3 else 'MISSED'} "
          f"(worst {max(ratios):.2f}×)")
    return ours


def bench_encoding(tok: Tokenizer, docs: list[str], repeats: int) -> None:
    n_mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    exported = tok.to_tiktoken()
    raw = tiktoken.Encoding("raw", pat_str=tok.pattern, mergeable_ranks=dict(tok.ranks),
                            special_tokens=dict(tok.special_tokens))
    expected = raw.encode_ordinary_batch(docs)

    def pure_python():  # a new tokenizer each run, so that no piece cache carries over between runs
        fresh = Tokenizer(tok.ranks, tok.pattern, tok.special_tokens)
        return [fresh.encode_python(d) for d in docs]

    seconds, results, history = race({
        "pure-Python `encode_python`, per document": pure_python,
        "minillm `encode`, per document": lambda: [tok.encode(d) for d in docs],
        "minillm `encode_batch`": lambda: tok.encode_batch(docs),
        "exported tiktoken `encode_ordinary`, per document": lambda: [exported.encode_ordinary(d) for d in docs],
        "raw tiktoken `encode_ordinary`, per document": lambda: [raw.encode_ordinary(d) for d in docs],
        "raw tiktoken `encode_ordinary_batch`": lambda: raw.encode_ordinary_batch(docs),
    }, repeats)
    assert all(ids == expected for ids in results.values()), "an encoder gave different ids"
    print(f"\n## Encoding ({n_mb:.1f} MB, vocab {tok.vocab_size:,}; MB/s: best of {repeats}, ratio: median of "
          f"per-round ratios; every row gave identical ids)\n")
    print("| encoder | MB/s | time vs raw tiktoken (same call shape) |")
    print("|---|---|---|")
    fast_path = []
    for name, s in seconds.items():
        peer = "raw tiktoken `encode_ordinary_batch`" if "batch" in name else \
            "raw tiktoken `encode_ordinary`, per document"
        ratio = median_ratio(history, name, peer)
        fast_path += [ratio] if name.startswith("minillm") else []
        print(f"| {name} | {n_mb / s:.1f} | {ratio:.2f}× |")
    print(f"\nTarget, the fast path within 1.2× of raw tiktoken: {'met' if max(fast_path) <= 1.2 else 'MISSED'} "
          f"(worst {max(fast_path):.2f}×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="clean.jsonl, a _manifest.json or a text file "
                        "(default: data/web/_manifest.json if it exists)")
    parser.add_argument("--generated", action="store_true", help="use generated text, not data/web")
    parser.add_argument("--mb", type=float, default=4.0, help="size of the generated text in MB (default 4)")
    parser.add_argument("--vocab-sizes", type=int, nargs="+", default=[2048, 8192])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    corpus = args.corpus or (WEB_MANIFEST if WEB_MANIFEST.exists() and not args.generated else None)
    docs = read_documents(corpus) if corpus else generated_documents(int(args.mb * 1e6))
    print(f"# bench_tokenizer — corpus: {corpus or f'generated, {args.mb} MB'}")
    tok = bench_training(docs, args.vocab_sizes, args.repeats)
    bench_encoding(tok, docs, args.repeats)


if __name__ == "__main__":
    main()
