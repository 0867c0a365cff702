"""Pre-tokens: the regex split that comes before BPE, and counting pre-tokens over a corpus (lesson 03).

A regex cuts text into pre-tokens (words with their leading space, numbers, punctuation, whitespace runs) so that
no token ever spans two of them; special-token strings are cut out first. A pattern other than GPT-2's and GPT-4's
runs under a timeout (`splitter`): a regex from a file must not be able to hang the program. Training BPE needs
only how often each distinct pre-token occurs, which `count_pretokens` counts in parallel processes, holding the
distinct pre-tokens in memory rather than the corpus.
"""

import itertools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import TypeVar

import regex
from tqdm.auto import tqdm

from minillm.errors import UserError

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
GPT4_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
PATTERNS = {"gpt2": GPT2_PATTERN, "gpt4": GPT4_PATTERN}
# Any other pattern is matched under a timeout of this many seconds plus SPLIT_SECONDS_PER_CHAR per character of
# text: ten times what the `regex` package needs for a sane pattern, far less than catastrophic backtracking needs.
SPLIT_TIMEOUT_SECONDS = 10.0
SPLIT_SECONDS_PER_CHAR = 1e-5

Item = TypeVar("Item")


def resolve_pattern(pattern: str) -> str:
    """A pattern name from PATTERNS ("gpt2", "gpt4") or a regex; returns the regex after checking it."""
    pattern = PATTERNS.get(pattern, pattern)
    try:
        regex.compile(pattern)
    except regex.error as e:
        raise UserError(f"the split pattern is not a valid regex ({e}): {pattern!r}") from None
    return pattern


def splitter(pattern: str) -> Callable[[str], list[str]]:
    """The pre-tokens of a text: `findall` of the split pattern (a regex, after `resolve_pattern`).

    The known patterns (PATTERNS) run as they are. Any other one runs under a timeout, because a pattern read
    from a file can backtrack catastrophically: `(a|aa)+c` takes 2^n steps on a run of n a's, which would hang
    every command that encodes with it. A timeout is a UserError.
    """
    findall = regex.compile(pattern).findall
    if pattern in PATTERNS.values():
        return findall

    def bounded_findall(text: str) -> list[str]:
        seconds = SPLIT_TIMEOUT_SECONDS + SPLIT_SECONDS_PER_CHAR * len(text)
        try:
            return findall(text, timeout=seconds)
        except TimeoutError:
            shown = pattern if len(pattern) <= 60 else pattern[:60] + "..."
            raise UserError(f"the split pattern {shown!r} took over {seconds:.0f} s on {len(text):,} characters: "
                            "it backtracks catastrophically (use gpt2, gpt4 or a simpler regex)") from None

    return bounded_findall


def valid_unicode(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD (they have no UTF-8 bytes), as tiktoken does."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@lru_cache(maxsize=64)
def special_split_regex(special_tokens: frozenset[str]) -> re.Pattern | None:
    """A regex whose split() isolates the special tokens; longest first, so the longest one wins."""
    tokens = sorted(special_tokens, key=lambda s: (-len(s), s))
    return re.compile("(" + "|".join(map(re.escape, tokens)) + ")") if tokens else None


def count_batch(texts: list[str], pattern: str, special_tokens: tuple[str, ...]) -> Counter:
    """Pre-token counts of a list of texts; special-token strings are cut out and not counted."""
    split = splitter(pattern)
    specials = special_split_regex(frozenset(special_tokens))
    counts = Counter()
    for text in texts:
        text = valid_unicode(text)
        for part in specials.split(text)[::2] if specials else (text,):
            counts.update(split(part))
    return counts


def batched(items: Iterable[Item], size: int, weigh: Callable[[Item], int] | None = None) -> Iterator[list[Item]]:
    """Consecutive lists of `size` items, or, given `weigh`, of items weighing at least `size` together; the last
    list may hold less."""
    batch, weight = [], 0
    for item in items:
        batch.append(item)
        weight += 1 if weigh is None else weigh(item)
        if weight >= size:
            yield batch
            batch, weight = [], 0
    if batch:
        yield batch


def count_pretokens(documents: Iterable[str], pattern: str = "gpt4", special_tokens: Iterable[str] = (),
                    workers: int | None = None, progress: bool = True, batch_chars: int = 4 << 20) -> Counter:
    """How often each pre-token (str) occurs in the documents, counted by `workers` processes.

    Documents are read lazily in batches of about `batch_chars` characters (by characters, not by count: documents
    range from a line to a book, and a process's work and memory follow the characters) and at most two batches per
    worker are in flight, so memory holds the distinct pre-tokens, not the corpus. A corpus of a single batch is
    counted in this process: below a few MB, starting processes costs more than it saves.
    """
    pattern, special_tokens = resolve_pattern(pattern), tuple(special_tokens)
    workers = workers or _cpu_count()
    todo = batched([documents] if isinstance(documents, str) else documents, batch_chars, weigh=len)
    head = [next(todo, [])]
    head += [second] if (second := next(todo, None)) else []
    counts = Counter()
    with tqdm(desc="counting pre-tokens", unit="char", unit_scale=True, disable=not progress) as bar:
        if len(head) == 1 or workers == 1:
            for batch in itertools.chain(head, todo):
                counts.update(count_batch(batch, pattern, special_tokens))
                bar.update(sum(map(len, batch)))
            return counts
        pending = {}
        with ProcessPoolExecutor(workers) as pool:
            for batch in itertools.chain(head, todo):
                pending[pool.submit(count_batch, batch, pattern, special_tokens)] = sum(map(len, batch))
                if len(pending) >= 2 * workers:
                    _collect_oldest(pending, counts, bar)
            while pending:
                _collect_oldest(pending, counts, bar)
    return counts


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _collect_oldest(pending: dict, counts: Counter, bar: tqdm) -> None:
    future = next(iter(pending))
    counts.update(future.result())
    bar.update(pending.pop(future))
