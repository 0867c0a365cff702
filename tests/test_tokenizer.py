import base64
import json
import math
import random
from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from minillm import pretokens
from minillm.errors import UserError
from minillm.merges import learn_merges
from minillm.pretokens import GPT2_PATTERN, batched, count_pretokens
from minillm.tokenizer import (
    DEFAULT_SPECIAL_TOKENS,
    PRESETS,
    Tokenizer,
    TokenizerConfig,
    build_stage,
    is_val_document,
    read_texts,
)
from minillm.tokens import load_tokens, token_dtype

EOT, IM_START, IM_END = DEFAULT_SPECIAL_TOKENS
SPECIALS = st.sampled_from(DEFAULT_SPECIAL_TOKENS)


def synthetic_corpus(n_chars: int, seed: int = 0) -> list[str]:
    """Deterministic documents mixing English-like prose, numbers, code, whitespace oddities and other
    scripts (accents, Cyrillic, Greek, CJK, Arabic, emoji, combining marks)."""
    rng = random.Random(seed)
    syllables = ["the", "an", "ing", "er", "on", "re", "st", "al", "ou", "pro", "com", "ex", "ly", "ment", "tion",
                 "ka", "mi", "so", "vel", "qu", "ph", "ea", "or", "is", "at"]
    words = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(6000)})
    words += ["café", "naïve", "Straße", "東京タワー", "日本語", "Москва", "привет", "ελληνικά", "مرحبا", "😀",
              "👩‍👩‍👧", "e\u0301t\u00e9", "ﬁne", "Ⅻ", "٣٤٥", "१२३", "x²", "’s", "don't", "WE'LL", "it'S"]
    cumulative = np.cumsum([1 / (rank + 1) for rank in range(len(words))]).tolist()
    spaces = [" "] * 30 + ["  ", "\t", "\n", " \n", "\r\n", "\u00a0", "\u3000", "\u2028"]
    punctuation = [".", ",", "!", "?", ";", ":", " —", "...", "(", ")", '"', "'", "#", "$", "%", "&", "*", "->"]
    docs, total = [], 0
    while total < n_chars:
        parts = []
        for _ in range(rng.randint(5, 120)):
            roll = rng.random()
            if roll < 0.08:
                parts.append(str(rng.randint(0, 10 ** rng.randint(1, 9))))
            elif roll < 0.12:
                parts.append(rng.choice(punctuation))
            elif roll < 0.13:
                parts.append("def f(x):\n    return x ** 2  # square\n")
            else:
                word = rng.choices(words, cum_weights=cumulative)[0]
                parts.append(word.capitalize() if rng.random() < 0.1 else word)
            parts.append(rng.choice(spaces))
        doc = "".join(parts) + rng.choice(["", "\n", "\n\n", "   "])
        docs.append(doc)
        total += len(doc)
    return docs


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return synthetic_corpus(2_000_000)


@pytest.fixture(scope="module")
def tok(corpus) -> Tokenizer:
    return Tokenizer.train(corpus[: len(corpus) // 4], vocab_size=1024, progress=False)


# ----------------------------------------------------------------------------- training


def test_hand_worked_merges_of_aaabdaaabac():
    tok = Tokenizer.train("aaabdaaabac", vocab_size=256 + 4, special_tokens=(), progress=False)
    a, b, c, d = b"abcd"
    # counts: aa 4 -> merge. Then (aa,a) 2 and (a,b) 2 tie: (b"aa", b"a") > (b"a", b"b"), so aaa.
    # Then (aaa,b) 2. Then four pairs of count 1; the greatest is (b"d", b"aaab").
    assert tok.merges == {(a, a): 256, (256, a): 257, (257, b): 258, (d, 258): 259}
    assert [tok.vocab[i] for i in range(256, 260)] == [b"aa", b"aaa", b"aaab", b"daaab"]
    assert tok.encode("aaabdaaabac") == [258, 259, a, c]


def test_equal_counts_go_to_the_lexicographically_greater_pair():
    tok = Tokenizer.train("ab cd", vocab_size=256 + 3, special_tokens=(), progress=False)
    # pre-tokens "ab" and " cd": every pair occurs once; (b"c", b"d") > (b"a", b"b") > (b" ", b"c")
    assert list(tok.merges) == [(ord("c"), ord("d")), (ord("a"), ord("b")), (ord(" "), 256)]


def recount_everything_bpe(pretokens: dict[bytes, int], num_merges: int) -> dict[tuple[int, int], int]:
    """The textbook trainer: recount every pair of every word before each merge."""
    vocab = {i: bytes([i]) for i in range(256)}
    words = [(list(word), count) for word, count in pretokens.items()]
    merges = {}
    while len(merges) < num_merges:
        stats = Counter()
        for word, count in words:
            for pair in pairwise(word):
                stats[pair] += count
        if not stats:
            break
        best = max(stats, key=lambda p: (stats[p], vocab[p[0]], vocab[p[1]]))
        new = merges[best] = len(vocab)
        vocab[new] = vocab[best[0]] + vocab[best[1]]
        for k, (word, count) in enumerate(words):
            merged, i = [], 0
            while i < len(word):
                if tuple(word[i:i + 2]) == best:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            words[k] = (merged, count)
    return merges


small_words = st.lists(st.sampled_from(b"abc "), min_size=1, max_size=14).map(bytes)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(small_words, st.integers(1, 9), min_size=1, max_size=12), st.integers(1, 40))
def test_incremental_training_equals_recounting_every_pair(pretokens, num_merges):
    vocab, merges = learn_merges(pretokens, num_merges, progress=False)
    assert merges == recount_everything_bpe(pretokens, num_merges)
    assert len(set(vocab.values())) == len(vocab)  # distinct bytes per id, as tiktoken needs


def test_training_is_deterministic_whatever_the_order_and_the_processes(corpus):
    docs = corpus[:300]
    first = Tokenizer.train(docs, vocab_size=600, progress=False, workers=1)
    again = Tokenizer.train(reversed(docs), vocab_size=600, progress=False, workers=1)
    assert list(first.merges.items()) == list(again.merges.items())
    assert first.ranks == again.ranks and first.special_tokens == again.special_tokens
    one = count_pretokens(docs, workers=1, progress=False, batch_chars=10_000)
    assert count_pretokens(docs, workers=2, progress=False, batch_chars=10_000) == one


def test_batches_hold_a_count_of_items_or_a_weight_of_characters():
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched(["abc", "d", "ef", "ghij", "k"], 3, weigh=len)) == [["abc"], ["d", "ef"], ["ghij"], ["k"]]
    assert list(batched([], 3)) == []


def test_special_ids_follow_the_merges_and_a_small_corpus_stops_early():
    tok = Tokenizer.train(["abab abab"], vocab_size=1000, progress=False)
    assert len(tok.merges) < 1000 - 256 - 3  # ran out of pairs
    assert list(tok.special_tokens.values()) == [256 + len(tok.merges) + i for i in range(3)]
    assert tok.vocab_size == 256 + len(tok.merges) + 3


def test_special_tokens_are_never_merged_across(corpus):
    docs = [f"{EOT}x{EOT}{IM_START}user\nhi{IM_END}" * 20 for _ in range(50)] + corpus[:20]
    tok = Tokenizer.train(docs, vocab_size=700, progress=False)
    assert not any(b"<|" in token or b"|>" in token for token in tok.ranks)
    text = f"hello{EOT}world"
    assert tok.encode(text, allowed_special="all") == tok.encode("hello") + [tok.special_tokens[EOT]] + \
        tok.encode("world")


def test_bad_training_settings_are_user_errors():
    with pytest.raises(UserError, match="vocab_size"):
        Tokenizer.train("abc", vocab_size=258, progress=False)
    with pytest.raises(UserError, match="regex"):
        Tokenizer.train("abc", vocab_size=300, pattern="(unclosed", progress=False)


# ----------------------------------------------------------------------------- encoding and decoding

texts_with_specials = st.lists(st.one_of(st.text(), SPECIALS)).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts_with_specials)
def test_round_trip_of_any_text_with_special_tokens(tok, text):
    assert tok.decode(tok.encode(text, allowed_special="all")) == text
    assert tok.decode(tok.encode(text)) == text
    assert tok.encode_python(text, allowed_special="all") == tok.encode(text, allowed_special="all")


@settings(max_examples=300, deadline=None)
@given(texts_with_specials)
def test_python_encoder_and_exported_tiktoken_agree_on_any_text(tok, text):
    enc = tok.to_tiktoken()
    assert tok.encode_python(text) == enc.encode(text, disallowed_special=())
    assert tok.encode_python(text, allowed_special="all") == enc.encode(text, allowed_special="all")


def test_identical_ids_to_tiktoken_over_the_corpus(tok, corpus):
    enc = tok.to_tiktoken()
    expected = enc.encode_ordinary_batch(corpus)
    assert [tok.encode_python(doc) for doc in corpus] == expected
    assert tok.encode_batch(corpus) == expected
    assert sum(map(len, expected)) < sum(len(doc.encode()) for doc in corpus) / 2  # it compresses


def test_identical_ids_to_tiktoken_over_the_whole_clean_corpus():
    from minillm import artifacts

    texts = list(read_texts(artifacts.get("clean", preset="tiny", progress=False) / "clean.jsonl"))
    assert len(texts) > 1000
    tok = Tokenizer.train(texts, vocab_size=2048, progress=False)
    expected = tok.to_tiktoken().encode_ordinary_batch(texts)
    assert [tok.encode_python(text) for text in texts] == expected
    assert tok.encode_batch(texts) == expected


def test_special_tokens_come_only_from_allowed_text(tok):
    eot, start, end = (tok.special_tokens[s] for s in DEFAULT_SPECIAL_TOKENS)
    text = f"{IM_START}user\nHi{IM_END}{EOT}"
    for encode in (tok.encode, tok.encode_python):
        assert not {eot, start, end} & set(encode(text))
        assert {eot, start, end} <= set(encode(text, allowed_special="all"))
        only_eot = encode(text, allowed_special={EOT})
        assert eot in only_eot and not {start, end} & set(only_eot)
        assert encode(EOT, allowed_special=EOT) == [eot]
    with pytest.raises(UserError, match="not special tokens"):
        tok.encode("x", allowed_special={"<|nope|>"})


def test_longest_special_token_wins_when_they_overlap(tok):
    specials = {"<|a|>": tok.vocab_size, "<|a|>b": tok.vocab_size + 1, "|>b!": tok.vocab_size + 2}
    overlapping = Tokenizer(tok.ranks, tok.pattern, specials)
    for encode in (overlapping.encode, overlapping.encode_python):
        assert encode("<|a|>b!", allowed_special="all") == [specials["<|a|>b"], ord("!")]
        assert encode("<|a|>c", allowed_special="all") == [specials["<|a|>"], ord("c")]
        assert encode("<|a|>b!", allowed_special={"<|a|>", "|>b!"}) == [specials["<|a|>"], ord("b"), ord("!")]


def test_decode_replaces_invalid_utf8_and_rejects_unknown_ids(tok):
    assert tok.decode([0xFF, ord("a")]) == "\ufffda"
    e_acute = "é".encode()
    assert tok.decode([e_acute[0]]) == "\ufffd"
    assert tok.decode([e_acute[0], e_acute[1]]) == "é"
    assert tok.decode_bytes([0xFF]) == b"\xff"
    with pytest.raises(UserError, match="not in the vocabulary"):
        tok.decode([tok.vocab_size])


def test_lone_surrogates_encode_as_replacement_characters_like_tiktoken(tok):
    text = "a\ud800b\udfff"
    assert tok.encode(text) == tok.encode_python(text) == tok.encode("a\ufffdb\ufffd")
    assert tok.encode_python(text) == tok.to_tiktoken().encode_ordinary(text)


# ----------------------------------------------------------------------------- saving, loading, tiktoken


def test_save_and_load_round_trip(tok, tmp_path, corpus):
    tok.save(tmp_path / "tokenizer.json")
    data = json.loads((tmp_path / "tokenizer.json").read_text())
    assert data["format"] == "minillm-bpe" and data["version"] == 1
    assert base64.b64decode(data["tokens"][300]) == tok.vocab[300]
    loaded = Tokenizer.load(tmp_path / "tokenizer.json")
    assert loaded.ranks == tok.ranks and loaded.special_tokens == tok.special_tokens
    assert list(loaded.merges.items()) == list(tok.merges.items())
    assert loaded.pattern == tok.pattern
    assert loaded.encode(corpus[0], allowed_special="all") == tok.encode(corpus[0], allowed_special="all")


def corrupt(data: dict, how: str) -> str:
    if how == "truncated":
        return json.dumps(data)[:5000]
    if how == "not ours":
        return json.dumps({"model": {"type": "BPE"}})
    if how == "future version":
        return json.dumps({**data, "version": 99})
    if how == "bad base64":
        return json.dumps({**data, "tokens": data["tokens"][:300] + ["%%%"] + data["tokens"][301:]})
    if how == "missing field":
        return json.dumps({k: v for k, v in data.items() if k != "pattern"})
    if how == "lying merge":
        return json.dumps({**data, "merges": [[97, 98, 97]] + data["merges"][1:]})
    if how == "missing byte":
        return json.dumps({**data, "tokens": [None] + data["tokens"][1:]})
    if how == "duplicate token":
        return json.dumps({**data, "tokens": data["tokens"][:300] + [data["tokens"][299]] + data["tokens"][301:]})
    return json.dumps({**data, "special_tokens": {EOT: 5}})  # collides with a byte's id


@pytest.mark.parametrize("how", ["truncated", "not ours", "future version", "bad base64", "missing field",
                                 "lying merge", "missing byte", "duplicate token", "special collides"])
def test_corrupted_tokenizer_files_are_one_line_user_errors(tok, tmp_path, how):
    tok.save(tmp_path / "tokenizer.json")
    data = json.loads((tmp_path / "tokenizer.json").read_text())
    (tmp_path / "bad.json").write_text(corrupt(data, how))
    with pytest.raises(UserError) as error:
        Tokenizer.load(tmp_path / "bad.json")
    assert "\n" not in str(error.value)


def test_missing_tokenizer_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no tokenizer file"):
        Tokenizer.load(tmp_path / "nope.json")


def test_from_tiktoken_ranks_with_shuffled_byte_ids(tok, corpus):
    # tiktoken's GPT-2 ranks do not give byte b the id b; rebuild this vocabulary with shuffled byte ids
    shuffled = random.Random(0).sample(range(256), 256)
    ranks = {token: shuffled[rank] if rank < 256 else rank for token, rank in tok.ranks.items()}
    specials = {EOT: max(ranks.values()) + 1}
    enc = tiktoken.Encoding("shuffled", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens=specials)
    loaded = Tokenizer.from_tiktoken(enc._mergeable_ranks, enc._pat_str, enc._special_tokens)
    text = "".join(corpus[:50]) + EOT
    assert loaded.encode_python(text, allowed_special="all") == enc.encode(text, allowed_special="all")
    assert loaded.decode(loaded.encode(text)) == text
    for (left, right), new in list(loaded.merges.items())[:200]:
        assert loaded.vocab[left] + loaded.vocab[right] == loaded.vocab[new]


def test_a_pre_token_that_is_a_token_is_taken_whole_as_in_tiktoken():
    # b"abc" is a token although no merge builds it (neither b"ab" nor b"bc" is a token)
    ranks = {bytes([b]): b for b in range(256)} | {b"abc": 256, b"abcd": 257}
    tok = Tokenizer(ranks, "gpt4")
    enc = tiktoken.Encoding("whole", pat_str=tok.pattern, mergeable_ranks=ranks, special_tokens={})
    for text in ["abc", "abcd", "abcde", "xabc"]:
        assert tok.encode_python(text) == enc.encode_ordinary(text)
    assert tok.encode_python("abc abcd") == [256, ord(" "), *b"abcd"]  # " abcd" is not a token
    assert tok.merges == {}


def test_a_pattern_tiktoken_cannot_compile_still_encodes_in_python(tok):
    graphemes = Tokenizer(tok.ranks, r"\X", tok.special_tokens)  # \X: the regex package only
    with pytest.raises(UserError, match="tiktoken cannot use"):
        graphemes.to_tiktoken()
    text = "e\u0301 👩‍👩‍👧<|endoftext|>"
    assert graphemes.encode(text, allowed_special="all") == graphemes.encode_python(text, allowed_special="all")
    assert graphemes.decode(graphemes.encode(text)) == text


def test_ranks_without_every_byte_are_refused():
    with pytest.raises(UserError, match="single bytes"):
        Tokenizer({b"a": 0, b"b": 1})


# ----------------------------------------------------------------------------- the pipeline stage


def write_clean(folder, docs):
    folder.mkdir()
    lines = [json.dumps({"url": f"https://example.org/{i}", "text": doc}) for i, doc in enumerate(docs)]
    (folder / "clean.jsonl").write_text("\n".join(lines) + "\n")


def test_build_stage_writes_token_files_that_decode_to_the_corpus(tmp_path, corpus):
    docs = corpus[:60]
    write_clean(tmp_path / "clean", docs)
    out = tmp_path / "out"
    out.mkdir()
    cfg = TokenizerConfig(vocab_size=700, val_fraction=0.1)
    result = build_stage(cfg, {"clean": tmp_path / "clean"}, out, progress=False)
    tok = Tokenizer.load(out / "tokenizer.json")
    meta = json.loads((out / "meta.json").read_text())
    train, val = load_tokens(out / "train.bin"), load_tokens(out / "val.bin")
    assert train.dtype == val.dtype == np.uint16 and meta["dtype"] == "uint16"
    val_docs = [doc for i, doc in enumerate(docs) if is_val_document(i, 0.1)]
    train_docs = [doc for i, doc in enumerate(docs) if not is_val_document(i, 0.1)]
    assert len(val_docs) == 6 and is_val_document(0, 0.1) and is_val_document(10, 0.1)
    assert tok.decode(val.tolist()) == "".join(doc + EOT for doc in val_docs)
    assert tok.decode(train.tolist()) == "".join(doc + EOT for doc in train_docs)
    metrics = result["metrics"]
    assert (metrics["train_tokens"], metrics["val_tokens"]) == (len(train), len(val))
    assert meta["vocab_size"] == metrics["vocab_size"] == tok.vocab_size == 700
    assert metrics["bytes_per_token"] > 1.5
    assert result["figures"] == ["token_lengths.png"] and (out / "token_lengths.png").stat().st_size > 0


def test_build_stage_and_load_tokens_report_bad_input(tmp_path):
    with pytest.raises(UserError, match="no clean corpus"):
        build_stage(PRESETS["tiny"], {"clean": tmp_path}, tmp_path, progress=False)
    (tmp_path / "clean.jsonl").write_text('{"url": "u", "text": "hi"}\n{"url": "u", "te\n')
    with pytest.raises(UserError, match=":2:"):
        build_stage(PRESETS["tiny"], {"clean": tmp_path}, tmp_path, progress=False)
    (tmp_path / "meta.json").write_text(json.dumps({"dtype": "uint16"}))
    (tmp_path / "train.bin").write_bytes(b"\x01\x00\x02")
    with pytest.raises(UserError, match="truncated"):
        load_tokens(tmp_path / "train.bin")


def test_token_files_switch_to_uint32_only_when_ids_need_it():
    assert token_dtype(2048) == token_dtype(1 << 16) == np.uint16
    assert token_dtype((1 << 16) + 1) == token_dtype(100_277) == np.uint32


def test_presets_grow_and_fit_their_token_dtype():
    sizes = [PRESETS[name].vocab_size for name in ("tiny", "small", "gpt2")]
    assert sizes == sorted(sizes) and sizes[-1] == 50257 and token_dtype(sizes[-1]) == np.uint16
    assert all(EOT in PRESETS[name].special_tokens for name in PRESETS)


# ----------------------------------------------------------------------------- the encoder's cost


def simple_bpe(ranks: dict[bytes, int], piece: bytes, max_rank: float = math.inf) -> list[int]:
    """The quadratic loop of `_bpe`'s docstring: rescan every pair before each join."""
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        rank, i = min((ranks.get(parts[i] + parts[i + 1], math.inf), i) for i in range(len(parts) - 1))
        if rank >= max_rank:
            break
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[part] for part in parts]


def test_heap_encoder_joins_exactly_as_the_simple_loop(tok, corpus):
    rng = random.Random(0)
    letters = Tokenizer.train(["".join(rng.choices("ab c", k=300)) for _ in range(200)], vocab_size=600,
                              special_tokens=(), progress=False)
    pieces = [p.encode() for p in tok._split("".join(corpus[:300]))]
    pieces += ["".join(rng.choices("abc ", k=rng.randint(0, 150))).encode() for _ in range(2000)]
    for piece in pieces:
        for t in (tok, letters):
            assert t._bpe(piece) == simple_bpe(t.ranks, piece), piece
            max_rank = rng.randint(256, max(t.ranks.values()))
            assert t._bpe(piece, max_rank) == simple_bpe(t.ranks, piece, max_rank), (piece, max_rank)


class CountingRanks(dict):
    """Ranks that count how often the encoder looks a pair up."""
    lookups = 0

    def get(self, key, default=None):
        self.lookups += 1
        return super().get(key, default)


def test_python_encoder_looks_up_a_few_pairs_per_byte_not_every_pair_per_join():
    rng = random.Random(1)
    tok = Tokenizer.train(["".join(rng.choices("abc", k=400)) for _ in range(100)], vocab_size=700,
                          special_tokens=(), progress=False)
    text = "".join(rng.choices("abc", k=20_000))  # one pre-token of 20,000 letters
    tok.ranks = CountingRanks(tok.ranks)
    ids = tok.encode_python(text)
    joins = len(text) - len(ids)
    assert joins > len(text) / 2  # thousands of joins: rescanning every pair would look up billions of pairs
    assert tok.ranks.lookups <= 3 * len(text)  # the first scan, then the two pairs around each join
    assert ids == tok.to_tiktoken().encode_ordinary(text)


# ----------------------------------------------------------------------------- split patterns read from files


def test_a_catastrophic_split_pattern_from_a_file_cannot_hang_encoding(tok, tmp_path, monkeypatch):
    evil = Tokenizer(tok.ranks, r"(a|aa)+c|\X", tok.special_tokens)  # 2^n steps on n a's, and tiktoken refuses \X
    evil.save(tmp_path / "tokenizer.json")
    loaded = Tokenizer.load(tmp_path / "tokenizer.json")
    assert loaded.encode("a cab") == loaded.encode_python("a cab")  # harmless text encodes as before
    monkeypatch.setattr(pretokens, "SPLIT_TIMEOUT_SECONDS", 0.05)
    with pytest.raises(UserError, match="backtracks catastrophically") as error:
        loaded.encode("a" * 60 + "b")  # would take about 2^60 steps
    assert "\n" not in str(error.value)


def test_only_the_known_patterns_go_through_tiktoken(tok, monkeypatch):
    assert tok._tiktoken is not None and Tokenizer(tok.ranks, "gpt2")._tiktoken is not None
    # tiktoken compiles a backreference but panics with a Rust backtrace once it backtracks too far
    backreference = Tokenizer(tok.ranks, r"(a|aa)+\1c|.")
    assert backreference._tiktoken is None
    monkeypatch.setattr(pretokens, "SPLIT_TIMEOUT_SECONDS", 0.05)
    with pytest.raises(UserError, match="backtracks catastrophically"):
        backreference.encode("a" * 60 + "b")


def test_the_command_checks_its_settings_before_building_anything(monkeypatch):
    from argparse import ArgumentParser

    from minillm import artifacts, tokenizer

    def work(*args, **kwargs):
        raise AssertionError("the stages were built before the settings were checked")

    monkeypatch.setattr(artifacts, "build", work)
    monkeypatch.setattr(artifacts, "get", work)
    parser = ArgumentParser()
    tokenizer.add_arguments(parser)
    for argv, message in [(["--val-fraction", "2"], r"val_fraction must be in \[0, 1\), got 2\.0"),
                          (["--val-fraction", "nan"], "got nan"),
                          (["--pattern", "(unclosed"], "not a valid regex"),
                          (["--special-tokens", "<|x|>"], "must include <|endoftext|>"),
                          (["--vocab-size", "258"], r"at least 256 \+ 3 special tokens")]:
        with pytest.raises(UserError, match=message):
            tokenizer.run_from_args(parser.parse_args(argv))
