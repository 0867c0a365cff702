"""The fact probe: greedy completions of the world's cloze prompts, scored as whole words."""

import json
from pathlib import Path

import pytest
import torch

from minillm import probe
from minillm.errors import UserError
from minillm.files import DATA_DIR
from minillm.model import GPT, GPTConfig


class CharTokenizer:
    """One token per character of a small alphabet: enough to probe a random model."""

    alphabet = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789."

    def encode(self, text: str) -> list[int]:
        return [self.alphabet.index(c) for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.alphabet[i] for i in ids)


def test_answer_matching_wants_a_whole_word():
    assert probe.answer_matches(" Paris. It is big", "Paris")
    assert probe.answer_matches(" 12", "12") and not probe.answer_matches(" 120", "12")
    assert not probe.answer_matches(" the capital", "Paris")


def test_completions_are_each_prompts_own_greedy_continuation():
    torch.manual_seed(0)
    tok = CharTokenizer()
    model = GPT(GPTConfig(block_size=32, vocab_size=len(tok.alphabet), n_layer=1, n_head=2, n_embd=16)).eval()
    prompts = [{"prompt": "The capital of Peru is", "answer": "Lima"}, {"prompt": "Two plus two is", "answer": "4"},
               {"prompt": "Cats", "answer": "meow"}]
    rows = probe.fact_probe(model, tok, prompts)
    n_new = len(" meow") + 1
    for row in rows:
        x = torch.tensor([tok.encode(row["prompt"])])
        for _ in range(n_new):  # the slow way: the whole text again for every token, one prompt at a time
            x = torch.cat([x, model(x)[0][:, -1].argmax(-1, keepdim=True)], 1)
        assert row["completion"] == tok.decode(x[0, len(tok.encode(row["prompt"])):].tolist())
        assert row["correct"] == probe.answer_matches(row["completion"], row["answer"])


def test_accuracy_counts_per_relation():
    rows = [{"relation": "capital", "correct": True}, {"relation": "capital", "correct": False},
            {"relation": "continent", "correct": True}]
    assert probe.accuracy(rows) == pytest.approx(2 / 3)
    assert probe.accuracy_by_relation(rows) == {"capital": (1, 2), "continent": (1, 1)}


def test_the_bundled_prompts_are_read_from_data():
    rows = probe.read_prompts(DATA_DIR / "probe" / "cloze.jsonl")
    assert {"prompt": "The capital of France is", "answer": "Paris", "relation": "capital", "subject": "France"} in rows


def test_a_malformed_prompts_file_is_one_line_error(tmp_path: Path):
    bad = tmp_path / "cloze.jsonl"
    bad.write_text(json.dumps({"prompt": "ok", "answer": "yes"}) + "\n" + json.dumps({"prompt": "no answer"}) + "\n")
    with pytest.raises(UserError, match=r"cloze.jsonl:2: not a JSON record"):
        probe.read_prompts(bad)
    with pytest.raises(UserError, match="no prompts file"):
        probe.read_prompts(tmp_path / "missing.jsonl")
