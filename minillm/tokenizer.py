"""A byte-level BPE tokenizer, trained from scratch and exported to tiktoken, and the tokenizer stage (lesson 03).

Text becomes ids as in GPT-2 and GPT-4: special tokens are cut out first (only when the caller allows them),
a regex splits the rest into pre-tokens (minillm.pretokens), and each pre-token's bytes are merged pair by
pair, lowest rank first (`encode_python`, the lesson's encoder, O(n log n) per pre-token with a heap). Ids are
ranks, as in tiktoken, so `to_tiktoken()` gives an Encoding with the same ids, which `encode` uses as its fast
path with GPT-2's and GPT-4's split patterns. The stage (`minillm tokenize`) trains on the clean corpus and
writes the token files training reads (minillm.tokens).
"""

import base64
import heapq
import json
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from minillm import artifacts
from minillm.errors import UserError
from minillm.files import atomic_write_text
from minillm.merges import learn_merges
from minillm.pretokens import (
    PATTERNS,
    batched,
    count_pretokens,
    resolve_pattern,
    special_split_regex,
    splitter,
    valid_unicode,
)
from minillm.tokens import EOT, format_meta, load_tokens, write_documents, write_meta

if TYPE_CHECKING:
    import tiktoken
    from matplotlib.figure import Figure

DEFAULT_SPECIAL_TOKENS = (EOT, "<|im_start|>", "<|im_end|>")
FORMAT_NAME, FORMAT_VERSION = "minillm-bpe", 1


# ----------------------------------------------------------------------------------------------------
# The tokenizer


class Tokenizer:
    """Byte-level BPE: a split pattern, ranked byte-string tokens (rank = id) and special tokens."""

    def __init__(self, ranks: dict[bytes, int], pattern: str = "gpt4",
                 special_tokens: dict[str, int] | None = None,
                 merges: dict[tuple[int, int], int] | None = None):
        self.pattern = resolve_pattern(pattern)
        self.ranks = dict(ranks)
        self.special_tokens = dict(special_tokens or {})
        self.vocab = {i: b for b, i in self.ranks.items()}
        self.vocab.update((i, s.encode("utf-8")) for s, i in self.special_tokens.items())
        _check_ids(self.ranks, self.special_tokens, len(self.vocab))
        self.vocab_size = max(self.vocab) + 1  # ids a model's embedding table must hold
        if merges is not None:
            _check_merges(merges, self.vocab)
        self._merges = merges
        self._split = splitter(self.pattern)
        self._piece_cache: dict[str, list[int]] = {}

    def __repr__(self) -> str:
        return (f"Tokenizer(vocab_size={self.vocab_size}, merges={len(self.ranks) - 256}, "
                f"special_tokens={list(self.special_tokens)})")

    @property
    def merges(self) -> dict[tuple[int, int], int]:
        """(left id, right id) -> new id, in merge order. Recovered from the ranks when loaded from tiktoken:
        a token whose bytes BPE cannot build from two lower-ranked tokens has no entry."""
        if self._merges is None:
            self._merges = {}
            for token, rank in sorted(self.ranks.items(), key=lambda item: item[1]):
                parts = self._bpe(token, max_rank=rank) if len(token) > 1 else []
                if len(parts) == 2:
                    self._merges[parts[0], parts[1]] = rank
        return self._merges

    # -- training and loading ------------------------------------------------------------------------

    @classmethod
    def train(cls, documents: Iterable[str] | str, vocab_size: int, pattern: str = "gpt4",
              special_tokens: Iterable[str] = DEFAULT_SPECIAL_TOKENS, workers: int | None = None,
              progress: bool = True) -> "Tokenizer":
        """Learn BPE merges from documents until there are `vocab_size` tokens, special tokens included
        (fewer if the text runs out of pairs). Special tokens get the ids after the merges."""
        special_tokens = list(dict.fromkeys(special_tokens))
        num_merges = vocab_size - 256 - len(special_tokens)
        if num_merges < 0:
            raise UserError(f"vocab_size must be at least 256 + {len(special_tokens)} special tokens, "
                            f"got {vocab_size}")
        counts = count_pretokens(documents, pattern, special_tokens, workers, progress)
        pretokens = {piece.encode("utf-8"): n for piece, n in counts.items()}
        vocab, merges = learn_merges(pretokens, num_merges, progress)
        specials = {s: len(vocab) + i for i, s in enumerate(special_tokens)}
        return cls({b: i for i, b in vocab.items()}, pattern, specials, merges)

    @classmethod
    def from_tiktoken(cls, mergeable_ranks: dict[bytes, int], pattern: str,
                      special_tokens: dict[str, int] | None = None) -> "Tokenizer":
        """A tokenizer from tiktoken's parts, e.g. `enc._mergeable_ranks, enc._pat_str, enc._special_tokens`."""
        return cls(mergeable_ranks, pattern, special_tokens)

    def to_tiktoken(self, name: str = "minillm") -> "tiktoken.Encoding":
        """A `tiktoken.Encoding` with the same ids on any text (tiktoken picks an arbitrary one among special
        tokens that start at the same place, so give no special token another one as a prefix)."""
        import tiktoken

        try:
            return tiktoken.Encoding(name, pat_str=self.pattern, mergeable_ranks=self.ranks,
                                     special_tokens=self.special_tokens)
        except ValueError as e:
            raise UserError(f"tiktoken cannot use this split pattern ({e}): {self.pattern!r}") from None

    @cached_property
    def _tiktoken(self) -> "tiktoken.Encoding | None":
        """The Encoding `encode` uses, for GPT-2's and GPT-4's split patterns only: on another pattern tiktoken's
        regex engine can backtrack until it panics (a Rust backtrace, no Python error), while the Python path's
        regex runs under a timeout (minillm.pretokens.splitter)."""
        return self.to_tiktoken() if self.pattern in PATTERNS.values() else None

    def save(self, path: str | Path) -> None:
        """Write tokenizer.json, atomically: a UTF-8 JSON object with "format": "minillm-bpe", "version": 1,
        "pattern" (the pre-tokenisation regex), "tokens" (base64 of each token's bytes, id = position, null
        for an unused id), "merges" ([[left id, right id, new id], ...] in training order) and
        "special_tokens" ({"<|endoftext|>": id, ...})."""
        tokens = [None] * (max(self.ranks.values()) + 1)
        for token, rank in self.ranks.items():
            tokens[rank] = base64.b64encode(token).decode("ascii")
        data = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "pattern": self.pattern,
                "special_tokens": self.special_tokens,
                "merges": [[left, right, new] for (left, right), new in self.merges.items()],
                "tokens": tokens}
        atomic_write_text(Path(path), json.dumps(data, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "Tokenizer":
        """Read a tokenizer.json written by `save`; a missing, truncated or corrupted file is a UserError."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"no tokenizer file at {path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UserError(f"{path} is truncated or corrupted (not valid JSON: {e})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise UserError(f"{path} is not a minillm tokenizer file (no \"format\": \"{FORMAT_NAME}\")")
        if data.get("version") != FORMAT_VERSION:
            raise UserError(f"{path} has tokenizer format version {data.get('version')!r}; "
                            f"this minillm reads version {FORMAT_VERSION}")
        try:
            return cls(_ranks_from_json(data["tokens"]), data["pattern"], _specials_from_json(data),
                       _merges_from_json(data["merges"]))
        except (AttributeError, KeyError, TypeError, ValueError) as e:
            if isinstance(e, UserError):
                raise UserError(f"{path}: {e}") from None
            raise UserError(f"{path} is corrupted ({type(e).__name__}: {e})") from None

    # -- encoding and decoding -----------------------------------------------------------------------

    def encode(self, text: str, allowed_special: Iterable[str] | str = ()) -> list[int]:
        """Token ids of `text`, through tiktoken (in Python for a split pattern of one's own). Special-token
        strings become special ids only when listed in `allowed_special` (or it is "all"); otherwise they are
        encoded as ordinary text."""
        if self._tiktoken is None:
            return self.encode_python(text, allowed_special)
        return self._with_specials(text, allowed_special, self._tiktoken.encode_ordinary)

    def encode_batch(self, texts: list[str], allowed_special: Iterable[str] | str = (),
                     num_threads: int = 8) -> list[list[int]]:
        """`encode` of each text, several at a time (tiktoken releases the GIL)."""
        if self._tiktoken is not None and not self._allowed(allowed_special):
            return self._tiktoken.encode_ordinary_batch(list(texts), num_threads=num_threads)
        return [self.encode(text, allowed_special) for text in texts]

    def encode_python(self, text: str, allowed_special: Iterable[str] | str = ()) -> list[int]:
        """The from-scratch encoder: same ids as `encode`, written in Python (split, then BPE each piece)."""
        return self._with_specials(text, allowed_special, self._encode_ordinary_python)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of the ids; byte sequences that are not valid UTF-8 become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        try:
            return b"".join(self.vocab[int(i)] for i in ids)
        except KeyError as e:
            raise UserError(f"token id {e.args[0]} is not in the vocabulary "
                            f"(ids run from 0 to {self.vocab_size - 1})") from None

    def _allowed(self, allowed_special: Iterable[str] | str) -> frozenset[str]:
        if allowed_special == "all":
            return frozenset(self.special_tokens)
        allowed = frozenset([allowed_special] if isinstance(allowed_special, str) else allowed_special)
        if unknown := allowed.difference(self.special_tokens):
            raise UserError(f"not special tokens of this tokenizer: {sorted(unknown)}")
        return allowed

    def _with_specials(self, text: str, allowed_special, encode_ordinary) -> list[int]:
        """Encode the text between allowed special tokens with `encode_ordinary`; the specials get their ids."""
        allowed = self._allowed(allowed_special)
        if not allowed:
            return encode_ordinary(text)
        ids = []
        for i, part in enumerate(special_split_regex(allowed).split(text)):
            if i % 2:
                ids.append(self.special_tokens[part])
            elif part:
                ids.extend(encode_ordinary(part))
        return ids

    def _encode_ordinary_python(self, text: str) -> list[int]:
        ids, cache = [], self._piece_cache
        for piece in self._split(valid_unicode(text)):
            piece_ids = cache.get(piece)
            if piece_ids is None:
                if len(cache) >= 1 << 16:
                    cache.clear()
                piece_ids = cache[piece] = self._encode_piece(piece.encode("utf-8"))
            ids.extend(piece_ids)
        return ids

    def _encode_piece(self, piece: bytes) -> list[int]:
        """Ids of one pre-token; like tiktoken, a pre-token that is itself a token is taken whole."""
        rank = self.ranks.get(piece)
        return [rank] if rank is not None else self._bpe(piece)

    def _bpe(self, piece: bytes, max_rank: int | None = None) -> list[int]:
        """Byte-pair encode: join the adjacent pair whose joined bytes rank lowest (leftmost on ties)
        until none joins into a token (of rank below `max_rank`, when given).

        The simple way is a loop that scans every pair for the lowest rank, joins it, and scans again:

            while len(parts) > 1:
                rank, i = min((ranks.get(parts[i] + parts[i + 1], inf), i) for i in range(len(parts) - 1))
                if rank >= limit: break
                parts[i:i + 2] = [parts[i] + parts[i + 1]]

        which is quadratic in the piece's length (each join rescans every pair). This version keeps the
        candidate pairs in a heap ordered by (rank, position) and the parts in a linked list: a join changes
        only the pairs on either side of it, so only those two are pushed, and heap entries that an earlier
        join made stale are skipped when popped. Same joins in the same order, in O(n log n).
        """
        ranks, n = self.ranks, len(piece)
        limit = math.inf if max_rank is None else max_rank
        # The part starting at byte i is piece[i:end[i]], its left neighbour starts at before[i]; a part joined
        # into its left neighbour is no longer alive.
        end, before, alive = list(range(1, n + 1)), list(range(-1, n - 1)), [True] * n
        heap = []

        def push_pair(i: int) -> None:  # the pair of part i and the part after it, if it joins into a token
            if i >= 0 and end[i] < n:
                rank = ranks.get(piece[i:end[end[i]]])
                if rank is not None and rank < limit:
                    heapq.heappush(heap, (rank, i, end[end[i]]))

        for i in range(n - 1):
            push_pair(i)
        while heap:
            _, i, pair_end = heapq.heappop(heap)
            if not alive[i] or end[i] == n or end[end[i]] != pair_end:
                continue  # stale: part i or its right neighbour was joined into another part since
            right = end[i]
            alive[right], end[i] = False, pair_end
            if pair_end < n:
                before[pair_end] = i
            push_pair(before[i])
            push_pair(i)
        return [ranks[piece[i:end[i]]] for i in range(n) if alive[i]]


def _check_ids(ranks: dict[bytes, int], special_tokens: dict[str, int], distinct_ids: int) -> None:
    if any(not isinstance(i, int) or i < 0 for i in [*ranks.values(), *special_tokens.values()]):
        raise UserError("token ids must be non-negative integers")
    if distinct_ids != len(ranks) + len(special_tokens):
        raise UserError("token ids must be distinct (a special token reuses an id of the ranks, or two "
                        "tokens share an id)")
    if missing := [b for b in range(256) if bytes([b]) not in ranks]:
        raise UserError(f"the ranks lack {len(missing)} single bytes (e.g. {bytes(missing[:1])!r}); "
                        f"byte-level BPE needs all 256")


def _check_merges(merges: dict[tuple[int, int], int], vocab: dict[int, bytes]) -> None:
    for (left, right), new in merges.items():
        if vocab.get(new) is None or vocab.get(new) != vocab.get(left, b"") + vocab.get(right, b""):
            raise UserError(f"merge ({left}, {right}) -> {new} does not join the bytes of its tokens")


def _ranks_from_json(tokens: list) -> dict[bytes, int]:
    if not isinstance(tokens, list):
        raise UserError("\"tokens\" must be a list")
    ranks = {}
    for i, text in enumerate(tokens):
        if text is not None:
            ranks[base64.b64decode(text, validate=True)] = i
    if len(ranks) != sum(t is not None for t in tokens):
        raise UserError("two tokens have the same bytes")
    return ranks


def _specials_from_json(data: dict) -> dict[str, int]:
    specials = data["special_tokens"]
    if not all(isinstance(s, str) and isinstance(i, int) for s, i in specials.items()):
        raise UserError("special_tokens must map strings to integer ids")
    return specials


def _merges_from_json(merges: list) -> dict[tuple[int, int], int]:
    if not isinstance(merges, list) or not all(isinstance(m, list) and len(m) == 3 and all(isinstance(i, int) for i in m) for m in merges):
        raise UserError("each merge must be [left id, right id, new id]")
    return {(left, right): new for left, right, new in merges}


# ----------------------------------------------------------------------------------------------------
# The pipeline stage: train on the clean corpus, then write the token files the training stage reads


@dataclass
class TokenizerConfig:
    """Settings of the tokenizer stage (`minillm tokenize`)."""
    vocab_size: int = 2048  # tokens, special tokens included
    pattern: str = "gpt4"  # "gpt2", "gpt4" or a regex
    special_tokens: tuple[str, ...] = DEFAULT_SPECIAL_TOKENS  # must include <|endoftext|>
    val_fraction: float = 0.05  # documents 0, 1/f, 2/f, ... go to val.bin
    train_chars: int | None = None  # learn merges from at most this many characters of train documents


PRESETS = {
    "tiny": TokenizerConfig(vocab_size=2048),
    "small": TokenizerConfig(vocab_size=4096),
    "gpt2": TokenizerConfig(vocab_size=50257, train_chars=1_000_000_000),
}
_ENCODE_BATCH = 256  # documents per encode_batch call


def build_stage(cfg: TokenizerConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Train a tokenizer on inputs["clean"]/clean.jsonl and write into `out`: tokenizer.json, train.bin and
    val.bin (each document's ids followed by <|endoftext|>, as uint16 or uint32), meta.json, and
    token_lengths.png. Returns the stage's metrics, figures and summary."""
    check_config(cfg)
    corpus = Path(inputs["clean"]) / "clean.jsonl"
    if not corpus.is_file():
        raise UserError(f"no clean corpus at {corpus}; build the clean stage first")
    start = time.perf_counter()
    tok = Tokenizer.train(_training_texts(corpus, cfg), cfg.vocab_size, cfg.pattern, cfg.special_tokens,
                          progress=progress)
    train_seconds = time.perf_counter() - start
    tok.save(out / "tokenizer.json")
    start = time.perf_counter()
    meta = _write_token_files(tok, corpus, out, cfg.val_fraction, progress)
    encode_seconds = time.perf_counter() - start
    write_meta(out, meta)
    token_length_figure(tok, load_tokens(out / "val.bin")).savefig(out / "token_lengths.png", dpi=100)
    tokens = meta["train_tokens"] + meta["val_tokens"] - meta["train_documents"] - meta["val_documents"]
    metrics = {"vocab_size": tok.vocab_size, "merges": len(tok.merges),
               "bytes_per_token": round(meta["text_bytes"] / max(tokens, 1), 3),
               "train_tokens": meta["train_tokens"], "val_tokens": meta["val_tokens"],
               "train_documents": meta["train_documents"], "val_documents": meta["val_documents"],
               "train_seconds": round(train_seconds, 2), "encode_seconds": round(encode_seconds, 2)}
    summary = (f"Trained a {tok.vocab_size}-token byte-level BPE in {train_seconds:.1f} s; the corpus takes "
               f"{metrics['bytes_per_token']} bytes per token: {meta['train_tokens']:,} train and "
               f"{meta['val_tokens']:,} val tokens.")
    return {"metrics": metrics, "figures": ["token_lengths.png"], "summary": summary}


def check_config(cfg: TokenizerConfig) -> None:
    """Refuse settings the stage cannot use, before any work (the command builds the upstream stages first)."""
    if EOT not in cfg.special_tokens:
        raise UserError(f"the special tokens must include {EOT} (it separates documents in train.bin)")
    if not 0 <= cfg.val_fraction < 1:  # NaN fails this too
        raise UserError(f"val_fraction must be in [0, 1), got {cfg.val_fraction}")
    if cfg.vocab_size < 256 + len(set(cfg.special_tokens)):
        raise UserError(f"vocab_size must be at least 256 + {len(set(cfg.special_tokens))} special tokens, "
                        f"got {cfg.vocab_size}")
    if cfg.train_chars is not None and cfg.train_chars <= 0:
        raise UserError(f"train_chars must be positive, got {cfg.train_chars}")
    resolve_pattern(cfg.pattern)


def is_val_document(index: int, val_fraction: float) -> bool:
    """Every (1/val_fraction)-th document, starting with the first, goes to val: spread evenly, no RNG."""
    return math.floor(index * val_fraction) != math.floor((index - 1) * val_fraction)


def read_texts(corpus: Path) -> Iterator[str]:
    """The "text" field of each record of a clean.jsonl file, in order."""
    with corpus.open(encoding="utf-8") as f:
        for line_number, line in enumerate(f, 1):
            try:
                text = json.loads(line)["text"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise UserError(f"{corpus}:{line_number}: not a JSON record with a \"text\" field") from None
            if not isinstance(text, str):
                raise UserError(f"{corpus}:{line_number}: \"text\" is not a string")
            yield text


def _training_texts(corpus: Path, cfg: TokenizerConfig) -> Iterator[str]:
    budget = math.inf if cfg.train_chars is None else cfg.train_chars
    for index, text in enumerate(read_texts(corpus)):
        if budget <= 0:
            return
        if not is_val_document(index, cfg.val_fraction):
            budget -= len(text)
            yield text


def _write_token_files(tok: Tokenizer, corpus: Path, out: Path, val_fraction: float, progress: bool) -> dict:
    counts = {"train_tokens": 0, "val_tokens": 0, "train_documents": 0, "val_documents": 0, "text_bytes": 0}
    with open(out / "train.bin", "wb") as train, open(out / "val.bin", "wb") as val, \
            tqdm(desc="encoding", unit="doc", disable=not progress) as bar:
        for batch in batched(enumerate(read_texts(corpus)), _ENCODE_BATCH):
            splits = ["val" if is_val_document(index, val_fraction) else "train" for index, _ in batch]
            texts = [text for _, text in batch]
            lengths = write_documents(tok, texts, [val if split == "val" else train for split in splits])
            for split, text, length in zip(splits, texts, lengths):
                counts[f"{split}_tokens"] += length
                counts[f"{split}_documents"] += 1
                counts["text_bytes"] += len(text.encode("utf-8"))
            bar.update(len(batch))
    if counts["train_documents"] == 0:
        raise UserError(f"{corpus} has too few documents to leave any for training "
                        f"(val_fraction={val_fraction})")
    return {**format_meta(tok), **counts, "val_fraction": val_fraction,
            "layout": "each document's token ids followed by <|endoftext|>, documents in corpus order",
            "split": "document i (from 0) is in val.bin when floor(i*f) != floor((i-1)*f), f = val_fraction"}


def token_length_figure(tok: Tokenizer, ids: np.ndarray) -> "Figure":
    """Bar charts of token length in bytes: over the vocabulary, and over the tokens `ids` of a text (the last
    bar holds every longer token too). The stage draws it for the val split."""
    from matplotlib.figure import Figure

    lengths = np.zeros(tok.vocab_size, dtype=int)  # special tokens keep length 0: no bar counts them
    for token, rank in tok.ranks.items():
        lengths[rank] = len(token)
    used = np.bincount(ids, minlength=tok.vocab_size) if len(ids) else np.zeros(tok.vocab_size, int)
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    vocab_ax, corpus_ax = fig.subplots(1, 2)
    top = min(int(lengths.max()), 16)
    bins = np.arange(1, top + 1)
    vocab_ax.bar(bins, [np.sum(np.minimum(lengths, top) == n) for n in bins], color="tab:blue")
    vocab_ax.set(title="vocabulary", xlabel="token length (bytes)", ylabel="tokens")
    corpus_ax.bar(bins, [used[np.minimum(lengths, top) == n].sum() for n in bins], color="tab:orange")
    corpus_ax.set(title="val text", xlabel="token length (bytes)", ylabel="occurrences")
    return fig


# ----------------------------------------------------------------------------------------------------
# Command line: minillm tokenize


def add_arguments(parser) -> None:
    """Flags of `minillm tokenize`; each overrides one field of the preset's TokenizerConfig."""
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="size of everything (default: tiny)")
    parser.add_argument("--vocab-size", type=int, metavar="N", help="tokens, special tokens included")
    parser.add_argument("--pattern", metavar="gpt2|gpt4|REGEX", help="pre-tokenisation split pattern")
    parser.add_argument("--special-tokens", nargs="+", metavar="TOKEN", help="replaces the default special tokens")
    parser.add_argument("--val-fraction", type=float, metavar="F", help="share of documents kept for validation")
    parser.add_argument("--train-chars", type=int, metavar="N", help="learn merges from at most N characters")
    parser.add_argument("--show", metavar="TEXT", help="then print TEXT's tokens and ids with the trained tokenizer")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_from_args(args) -> int:
    """`minillm tokenize`: train on the preset's clean corpus, write runs/<preset>/tokenizer/."""
    overrides = {name: getattr(args, name) for name in ("vocab_size", "pattern", "val_fraction", "train_chars")
                 if getattr(args, name) is not None}
    if args.special_tokens:
        overrides["special_tokens"] = tuple(args.special_tokens)
    if overrides.get("vocab_size", 257) < 257 or overrides.get("train_chars", 1) <= 0:
        raise UserError("--vocab-size must be at least 257 (256 bytes + <|endoftext|>) and --train-chars positive")
    cfg = replace(PRESETS[args.preset], **overrides)
    check_config(cfg)
    if overrides:
        folder = artifacts.build("tokenizer", args.preset, cfg, progress=not args.quiet)
    else:
        folder = artifacts.get("tokenizer", args.preset, progress=not args.quiet)
    metrics = artifacts.stamp(folder)["metrics"]
    print(f"wrote {folder}: {metrics['vocab_size']:,} tokens, {metrics['bytes_per_token']:.2f} bytes per token")
    if args.show is not None:
        tok = Tokenizer.load(folder / "tokenizer.json")
        ids = tok.encode(args.show)
        print(" | ".join(tok.decode([i]) for i in ids))
        print(ids)
    return 0
