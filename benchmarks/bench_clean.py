"""Benchmark of lesson 02's cleaning (minillm.clean, extract, dedup) against peers, side by side in one run.

1. Cleaning throughput (MB of HTML per second) of the whole `clean_pages` pipeline and of `extract_text`
   alone, against the floor every BeautifulSoup extractor pays: parsing the page and calling get_text().
2. MinHash dedup throughput (documents per second) of the numpy signatures + LSH against datasketch's
   MinHash + MinHashLSH with the same 14 bands x 8 rows (when datasketch is installed), and against the
   naive baseline of exact Jaccard on every pair (quadratic); plus how many duplicate pairs each finds.

Rounds are interleaved so that other work on the machine slows every contender alike; figures are medians.

    python benchmarks/bench_clean.py                 # the bundled web, read from data/web/
    python benchmarks/bench_clean.py --rounds 5
"""

import argparse
import statistics
import time

from bs4 import BeautifulSoup

from minillm import clean, dedup, extract, langid

try:
    from datasketch import MinHash, MinHashLSH
except ImportError:  # an optional peer: pip install datasketch
    MinHash = MinHashLSH = None


def race(runs: dict, rounds: int) -> dict:
    """Seconds per contender (median of `rounds`), each round running every contender once."""
    seconds = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - started)
    return {name: statistics.median(s) for name, s in seconds.items()}


def bs4_get_text(pages: list[dict]) -> None:
    for page in pages:
        BeautifulSoup(page["html"], "html.parser").get_text()


def minillm_pairs(texts: list[str]) -> set:
    return dedup.lsh_pairs(dedup.minhash_signatures(texts, 112, 5), 14, 8)


def datasketch_pairs(texts: list[str]) -> set:
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    signatures = []
    for i, text in enumerate(texts):
        signature = MinHash(num_perm=112, seed=1)
        signature.update_batch([shingle.encode() for shingle in dedup.shingles(text)])
        lsh.insert(i, signature)
        signatures.append(signature)
    return {(min(i, j), max(i, j)) for i, signature in enumerate(signatures) for j in lsh.query(signature) if i != j}


def naive_pairs(texts: list[str], threshold: float = 0.75) -> set:
    shingle_sets = [dedup.shingles(t) for t in texts]
    return {(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))
            if dedup.jaccard(shingle_sets[i], shingle_sets[j]) >= threshold}


def as_clusters(pairs: set, n: int) -> set:
    """Pairs -> the set of all within-cluster pairs (LSH reports chains; compare the clusters they imply)."""
    union_find = dedup.UnionFind(n)
    for i, j in pairs:
        union_find.union(i, j)
    return dedup.cluster_pairs(c for c in union_find.clusters() if len(c) > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--naive-docs", type=int, default=400, help="documents for the quadratic baseline")
    args = parser.parse_args()

    pages = clean.read_bundled_web()
    mb = sum(len(p["html"].encode()) for p in pages) / 1e6
    langid.default_language_model()  # trained once, outside the timings
    print(f"# Cleaning: {len(pages):,} pages of the bundled web, {mb:.1f} MB of HTML, median of {args.rounds} rounds")
    timing = race({
        "bs4 parse + get_text (floor)": lambda: bs4_get_text(pages),
        "minillm extract_text": lambda: [extract.extract_text(p["html"]) for p in pages],
        "minillm clean_pages (all steps)": lambda: clean.clean_pages(pages, clean.CleanConfig(), progress=False),
    }, args.rounds)
    floor = timing["bs4 parse + get_text (floor)"]
    for name, seconds in timing.items():
        print(f"{name:34s} {mb / seconds:6.2f} MB/s   {seconds / floor:4.2f}x the floor's time")

    docs, _, _ = clean.clean_pages(pages, clean.CleanConfig(), progress=False)
    texts = [d.text for d in docs if not d.dropped or d.dropped.startswith("dedup")]
    print(f"\n# MinHash dedup: {len(texts):,} documents (those reaching dedup), 112 hashes = 14 bands x 8 rows")
    contenders = {"minillm numpy MinHash + LSH": lambda: minillm_pairs(texts)}
    if MinHash is not None:
        contenders["datasketch MinHash + MinHashLSH"] = lambda: datasketch_pairs(texts)
    else:
        print("(datasketch is not installed: pip install datasketch to compare with it)")
    timing = race(contenders, args.rounds)
    ours = timing["minillm numpy MinHash + LSH"]
    for name, seconds in timing.items():
        print(f"{name:34s} {len(texts) / seconds:8.0f} docs/s   {seconds / ours:5.2f}x minillm's time")
    subset = texts[: args.naive_docs]
    naive = race({"naive": lambda: naive_pairs(subset)}, 1)["naive"]
    print(f"{'naive all-pairs Jaccard >= 0.75':34s} {len(subset) / naive:8.0f} docs/s   on {len(subset)} docs only "
          f"(quadratic: {len(subset) ** 2 // 2:,} pairs)")

    truth = as_clusters(naive_pairs(subset), len(subset))
    found = {"minillm": as_clusters(minillm_pairs(subset), len(subset))}
    if MinHash is not None:
        found["datasketch"] = as_clusters(datasketch_pairs(subset), len(subset))
    print(f"\n# Duplicate pairs on those {len(subset)} docs (truth: exact Jaccard >= 0.75 -> {len(truth)} pairs)")
    for name, pairs in found.items():
        precision, recall = dedup.pair_scores(pairs, truth)
        print(f"{name:12s} {len(pairs):4d} pairs   precision {precision:.2f}   recall {recall:.2f}")


if __name__ == "__main__":
    main()
