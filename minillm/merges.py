"""Learning byte-pair merges from pre-token counts, incrementally (lesson 03).

Recounting every pair of every pre-token before each merge is the plain way. `learn_merges` learns the same
merges, in the same order, but counts the pairs once: after a merge only the pairs next to it change, so only
those are updated (an index from each pair to the words that contain it tells where to look), and the most
frequent pair comes from a heap whose stale entries are skipped when popped. Equal counts go to the
lexicographically greater pair of byte strings, compared as the tuple `(left_bytes, right_bytes)`, so training
does not depend on the order of the documents.
"""

import heapq
from collections import defaultdict

from tqdm.auto import tqdm


def _reverse_key(token: bytes) -> tuple[int, ...]:
    """A key that sorts byte strings in reverse lexicographic order (a prefix sorts after its extensions),
    so that a min-heap pops the lexicographically greatest pair first among equal counts."""
    return tuple(255 - b for b in token) + (256,)


def learn_merges(pretoken_counts: dict[bytes, int], num_merges: int,
                 progress: bool = True) -> tuple[dict[int, bytes], dict[tuple[int, int], int]]:
    """Byte-pair merges learned from pre-token counts; returns (vocab id -> bytes, merges in order).

    Ids 0..255 are the single bytes; merge i creates id 256 + i. Each pre-token is held as a str with one
    character per token id, so merging a pair in a word is one C-speed `str.replace` and a pair is a
    2-character string. Every merge makes new bytes, as tiktoken needs: merges only ever join tokens, so
    a token's span inside a word is segmented the same way whatever surrounds it, and once its bytes
    became one token they stay one token and cannot turn up again as some other pair.
    """
    vocab = {i: bytes([i]) for i in range(256)}
    reverse = {i: _reverse_key(b) for i, b in vocab.items()}
    words = [token.decode("latin-1") for token in pretoken_counts]
    counts = list(pretoken_counts.values())
    pair_counts, words_with = _count_pairs(words, counts)
    heap = [(-c, reverse[ord(p[0])], reverse[ord(p[1])], p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = {}
    with tqdm(total=num_merges, desc="learning merges", disable=not progress) as bar:
        while len(merges) < num_merges:
            pair = _pop_most_frequent(heap, pair_counts, reverse)
            if pair is None:
                break
            left, right, new = ord(pair[0]), ord(pair[1]), len(vocab)
            vocab[new] = vocab[left] + vocab[right]
            reverse[new] = _reverse_key(vocab[new])
            merges[left, right] = new
            bar.update()
            for p, count in _merge(pair, chr(new), words, counts, pair_counts, words_with).items():
                heapq.heappush(heap, (-count, reverse[ord(p[0])], reverse[ord(p[1])], p))
    return vocab, merges


def _count_pairs(words: list[str], counts: list[int]) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Weighted count of every adjacent pair (the lesson's `get_stats`, over every word once), and for each pair
    the indices of the words holding it."""
    pair_counts, words_with = defaultdict(int), defaultdict(list)
    for index, (word, count) in enumerate(zip(words, counts)):
        pairs = [word[i:i + 2] for i in range(len(word) - 1)]
        for pair in pairs:
            pair_counts[pair] += count
        for pair in set(pairs):
            words_with[pair].append(index)
    return pair_counts, words_with


def _pop_most_frequent(heap: list, pair_counts: dict[str, int], reverse: dict) -> str | None:
    """Pop heap entries until one still holds its pair's current count (entries go stale lazily)."""
    while heap:
        negative_count, _, _, pair = heapq.heappop(heap)
        count = pair_counts.get(pair, 0)
        if count == -negative_count:
            return pair
        if count > 0:
            heapq.heappush(heap, (-count, reverse[ord(pair[0])], reverse[ord(pair[1])], pair))
    return None


def _merge(pair: str, new: str, words: list[str], counts: list[int],
           pair_counts: dict[str, int], words_with: dict[str, list[int]]) -> dict[str, int]:
    """Merge `pair` into the new token `new` in every word holding it (the lesson's `merge`), updating only the
    pair counts next to each occurrence. Returns the pairs gained and their counts (all contain `new`, so all are
    new)."""
    gained, gained_words = defaultdict(int), defaultdict(list)
    for index in words_with.pop(pair, ()):
        word = words[index]
        at = word.find(pair)
        if at < 0:  # a stale index entry: an earlier merge already took this pair out of the word
            continue
        count = counts[index]
        merged = words[index] = word.replace(pair, new)
        if len(merged) == len(word) - 1:  # the common case, a single occurrence: two neighbours change
            if at:
                pair_counts[word[at - 1:at + 1]] -= count
                gained[merged[at - 1:at + 1]] += count
                gained_words[merged[at - 1:at + 1]].append(index)
            if at + 2 < len(word):
                pair_counts[word[at + 1:at + 3]] -= count
                gained[merged[at:at + 2]] += count
                gained_words[merged[at:at + 2]].append(index)
            continue
        last = len(word) - 1
        while at >= 0:
            if at:
                pair_counts[word[at - 1:at + 1]] -= count
            following = word.find(pair, at + 2)
            if at + 2 <= last and following != at + 2:  # a pair between two occurrences is lost only once
                pair_counts[word[at + 1:at + 3]] -= count
            at = following
        at, last = merged.find(new), len(merged) - 1
        while at >= 0:
            if at:
                gained[merged[at - 1:at + 1]] += count
                gained_words[merged[at - 1:at + 1]].append(index)
            if at < last and merged[at + 1] != new:
                gained[merged[at:at + 2]] += count
                gained_words[merged[at:at + 2]].append(index)
            at = merged.find(new, at + 1)
    del pair_counts[pair]
    pair_counts.update(gained)
    words_with.update(gained_words)
    return gained
