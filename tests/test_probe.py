"""The fact probe: greedy completions of the world's cloze prompts, scored as whole words, next to the
subject-blind baseline; and cloze scoring by teacher forcing, which the training loop logs."""

import json
import math
from pathlib import Path

import pytest
import torch

from minillm import cloze, probe
from minillm.errors import UserError
from minillm.files import DATA_DIR
from minillm.model import GPT, GPTConfig


class CharTokenizer:
    """One token per character of a small alphabet: every text has exactly one tokenization."""

    alphabet = " abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.'"

    def encode(self, text: str) -> list[int]:
        return [self.alphabet.index(c) for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.alphabet[i] for i in ids)


PROMPTS = [{"prompt": "The capital of Peru is", "answer": "Lima", "relation": "capital"},
           {"prompt": "Two plus two is", "answer": "4", "relation": "sum"},
           {"prompt": "Cats say", "answer": "meow", "relation": "sound"},
           {"prompt": "Dogs say", "answer": "woof", "relation": "sound"}]


@pytest.fixture(scope="module")
def tok():
    return CharTokenizer()


def random_model(tok, seed: int) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(block_size=48, vocab_size=len(tok.alphabet), n_layer=1, n_head=2, n_embd=16)).eval()


def taught_model(tok) -> GPT:
    """A model trained for a moment on the prompts and their answers: it gets some of them right."""
    model = random_model(tok, 0).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    texts = [tok.encode(f"{r['prompt']} {r['answer']}.") for r in PROMPTS[:3]]
    for _ in range(150):
        for ids in texts:
            x = torch.tensor([ids])
            _, loss = model(x[:, :-1], x[:, 1:])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def test_answer_matching_wants_a_whole_word():
    assert probe.answer_matches(" Paris. It is big", "Paris")
    assert probe.answer_matches(" 12", "12") and not probe.answer_matches(" 120", "12")
    assert not probe.answer_matches(" the capital", "Paris")


def test_completions_are_each_prompts_own_greedy_continuation(tok):
    model = random_model(tok, 0)
    rows = probe.fact_probe(model, tok, PROMPTS)
    n_new = len(" meow") + 1
    for row in rows:
        x = torch.tensor([tok.encode(row["prompt"])])
        for _ in range(n_new):  # the slow way: the whole text again for every token, one prompt at a time
            x = torch.cat([x, model(x)[0][:, -1].argmax(-1, keepdim=True)], 1)
        assert row["completion"] == tok.decode(x[0, len(tok.encode(row["prompt"])):].tolist())
        assert row["correct"] == probe.answer_matches(row["completion"], row["answer"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_teacher_forcing_agrees_with_greedy_decoding(tok, seed):
    model = taught_model(tok) if seed == 0 else random_model(tok, seed)
    rows = probe.fact_probe(model, tok, PROMPTS)
    scores = cloze.score_cloze(model, tok, PROMPTS, batch_size=3)  # two batches
    assert [s["greedy"] for s in scores] == [r["correct"] for r in rows]
    if seed == 0:
        assert any(r["correct"] for r in rows), "the taught model knows something"


def test_answer_probability_and_rank_are_read_off_the_softmax(tok):
    model = taught_model(tok)
    row = PROMPTS[0]
    score = cloze.score_cloze(model, tok, [row])[0]
    ids, answer = tok.encode(row["prompt"]), tok.encode(" " + row["answer"])
    log_p, context = 0.0, list(ids)
    for i, token in enumerate(answer):
        probs = torch.softmax(model(torch.tensor([context]))[0][0, -1], dim=-1)
        if i == 0:
            assert score["rank"] == int((probs > probs[token]).sum()) + 1
        log_p += math.log(probs[token].item())
        context.append(token)
    assert score["p_answer"] == pytest.approx(math.exp(log_p), rel=1e-4)


def test_a_model_that_gives_the_subject_blind_answer_scores_the_baseline():
    rows = [json.loads(line) for line in (DATA_DIR / "probe" / "cloze.jsonl").read_text().splitlines()]
    blind = probe.subject_blind_answers(rows)
    answered = [{**r, "correct": probe.answer_matches(f" {blind[r['relation']]}.", r["answer"])} for r in rows]
    baseline = probe.subject_blind_baseline(rows)
    for relation, (right, asked) in probe.accuracy_by_relation(answered).items():
        assert right / asked == baseline[relation]
    assert 0 < baseline["continent"] < 0.5 and baseline["capital"] == pytest.approx(1 / 81)


def test_probe_table_puts_each_relation_beside_its_baseline():
    held_in = [{"relation": "capital", "answer": a, "correct": c, "p_answer": 0.5} for a, c in
               [("Paris", True), ("Lima", False), ("Rome", True), ("Paris", True)]]
    paraphrase = [{"relation": "capital_of", "answer": "France", "correct": False, "p_answer": 0.1}]
    table = probe.probe_table(held_in, paraphrase)
    capital, capital_of, everything = table
    assert capital["held-in"] == 0.75 and capital["paraphrase"] is None and capital["baseline"] == 0.5
    assert capital_of["held-in"] is None and capital_of["paraphrase"] == 0.0
    assert everything["held-in n"] == 4 and everything["paraphrase n"] == 1
    assert capital["p_answer"] == pytest.approx(0.5) and everything["p_answer"] == pytest.approx(0.5 ** 0.8 * 0.1 ** 0.2)
    markdown = probe.markdown_table(table)
    assert "| capital | 75% (4) | – (0) | 50% | 1.5× | 0.50 |" in markdown


def test_the_bundled_prompts_are_read_from_data():
    rows = cloze.read_prompts(DATA_DIR / "probe" / "cloze.jsonl")
    assert {"prompt": "The capital of France is", "answer": "Paris", "relation": "capital", "subject": "France"} in rows
    paraphrased = cloze.read_prompts(DATA_DIR / "probe" / "paraphrase.jsonl")
    assert {"prompt": "Paris is the capital of", "answer": "France", "relation": "capital_of",
            "subject": "France"} in paraphrased


def test_a_malformed_prompts_file_is_one_line_error(tmp_path: Path):
    bad = tmp_path / "cloze.jsonl"
    bad.write_text(json.dumps({"prompt": "ok", "answer": "yes"}) + "\n" + json.dumps({"prompt": "no answer"}) + "\n")
    with pytest.raises(UserError, match=r"cloze.jsonl:2: not a JSON record"):
        cloze.read_prompts(bad)
    with pytest.raises(UserError, match="no prompts file"):
        cloze.read_prompts(tmp_path / "missing.jsonl")


def test_a_prompt_longer_than_the_window_keeps_its_end(tok):
    model = random_model(tok, 0)  # block_size 48
    long = {"prompt": "It is a long story. " * 5 + "Cats say", "answer": "meow"}
    short = {"prompt": long["prompt"][-(48 - 5):], "answer": "meow"}  # the window: the last 43 characters
    assert cloze.score_cloze(model, tok, [long]) == cloze.score_cloze(model, tok, [short])
    with pytest.raises(UserError, match="the model reads only 48"):
        cloze.score_cloze(model, tok, [{"prompt": "x", "answer": "a" * 60}])
