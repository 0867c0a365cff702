import json
import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from minillm import checkpoint, sample
from minillm.errors import UserError
from minillm.model import GPT, GPTConfig
from minillm.nn import KVCache
from minillm.tokenizer import Tokenizer

SMALL = GPTConfig(block_size=16, vocab_size=257, n_layer=2, n_head=2, n_embd=32)
EOT = 256


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return GPT(SMALL).eval().requires_grad_(False)


@pytest.fixture(scope="module")
def tok():
    """Bytes as tokens (so "é" is two of them), plus <|endoftext|>."""
    return Tokenizer({bytes([i]): i for i in range(256)}, special_tokens={"<|endoftext|>": EOT})


def tokens(*shape):
    return torch.randint(0, 256, shape)


def probs_of(logits):
    return F.softmax(logits, dim=-1)


# --- the filters, against hand-computed examples --------------------------------------------------------

LETTERS = "rsugate"
LETTER_PROBS = torch.tensor([0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.02])


def kept(logits):
    return "".join(c for c, value in zip(LETTERS, logits.tolist()) if value != float("-inf"))


def test_top_p_keeps_the_fewest_tokens_that_reach_p():
    logits = LETTER_PROBS.log()
    assert kept(sample.top_p_filter(logits, 0.88)) == "rsug"  # 0.40 + 0.25 + 0.15 = 0.80 < 0.88 <= 0.90
    assert kept(sample.top_p_filter(logits, 0.5)) == "rs"
    assert kept(sample.top_p_filter(logits, 0.3)) == "r"  # the top token alone already reaches p
    assert kept(sample.top_p_filter(logits, 0.01)) == "r"  # and it always stays
    renormalised = probs_of(sample.top_p_filter(logits, 0.88))[:4]
    assert torch.allclose(renormalised, torch.tensor([0.40, 0.25, 0.15, 0.10]) / 0.90)


def test_top_p_of_one_keeps_every_token_even_improbable_ones():
    logits = torch.tensor([10.0, 0.0, -40.0, -80.0])
    assert torch.equal(sample.top_p_filter(logits, 1.0), logits)


def test_top_p_works_row_by_row_on_shuffled_batches():
    perm = torch.randperm(7)
    batch = torch.stack([LETTER_PROBS.log()[perm], LETTER_PROBS.flip(0).log()])
    out = sample.top_p_filter(batch, 0.88)
    assert torch.isfinite(out[0]).sum() == 4 and torch.isfinite(out[1]).sum() == 4
    assert set(torch.isfinite(out[0]).nonzero().flatten().tolist()) == {int((perm == i).nonzero()) for i in range(4)}


def test_top_k_keeps_the_k_largest():
    logits = LETTER_PROBS.log()
    assert kept(sample.top_k_filter(logits, 3)) == "rsu"
    assert torch.equal(sample.top_k_filter(logits, 0), logits)  # 0 is off
    assert torch.equal(sample.top_k_filter(logits, 50), logits)  # k >= V keeps all
    assert torch.allclose(probs_of(sample.top_k_filter(logits, 2))[:2], torch.tensor([0.40, 0.25]) / 0.65)


def test_top_k_of_one_equals_greedy():
    logits = torch.randn(64, 50)
    cfg = sample.GenerationConfig(temperature=1.0, top_k=1, top_p=1.0)
    assert torch.equal(sample.choose_next(logits, cfg), logits.argmax(-1))


def test_temperature_reshapes_the_distribution():
    logits = torch.tensor([math.log(4.0), 0.0])  # probabilities 0.8, 0.2
    assert torch.allclose(probs_of(sample.apply_temperature(logits, 1.0)), torch.tensor([0.8, 0.2]))
    assert torch.allclose(probs_of(sample.apply_temperature(logits, 2.0)), torch.tensor([2 / 3, 1 / 3]))  # 4^(1/2) : 1
    assert torch.allclose(probs_of(sample.apply_temperature(logits, 0.5)), torch.tensor([16 / 17, 1 / 17]))  # 4^2 : 1


def test_temperature_towards_zero_is_greedy():
    logits = torch.randn(8, 30)
    one_hot = F.one_hot(logits.argmax(-1), 30).float()
    assert torch.allclose(probs_of(sample.apply_temperature(logits, 1e-3)), one_hot, atol=1e-6)
    assert torch.equal(probs_of(sample.apply_temperature(logits, 0)), one_hot)
    assert torch.equal(sample.choose_next(logits, sample.GenerationConfig(temperature=0)), logits.argmax(-1))
    with pytest.raises(UserError, match="temperature"):
        sample.apply_temperature(logits, -1.0)


def test_filters_combine_temperature_then_top_k_then_top_p():
    logits = LETTER_PROBS.log()
    cfg = sample.GenerationConfig(temperature=1.0, top_k=3, top_p=0.6)
    draws = {int(sample.choose_next(logits[None], cfg)) for _ in range(200)}
    assert draws == {0, 1}  # top-k leaves r s u (0.50, 0.31, 0.19); 0.6 is reached with r and s


def test_sampling_follows_the_probabilities():
    logits = torch.log(torch.tensor([0.7, 0.2, 0.1])).expand(20000, 3)
    draws = sample.choose_next(logits, sample.GenerationConfig(temperature=1.0, top_p=1.0),
                          torch.Generator().manual_seed(0))
    assert torch.allclose(torch.bincount(draws, minlength=3) / 20000, torch.tensor([0.7, 0.2, 0.1]), atol=0.015)


def test_draw_tokens_takes_the_segment_that_holds_the_uniform_draw(monkeypatch):
    probs = torch.tensor([[0.2, 0.5, 0.0, 0.3]]).expand(4, 4)
    monkeypatch.setattr(torch, "rand", lambda *shape, **kw: torch.tensor([[0.1], [0.2], [0.69], [0.7]]))
    assert sample.draw_tokens(probs).tolist() == [0, 1, 1, 3]  # token 2 has probability 0: never drawn
    unnormalised = probs * 4  # the draw is along the row's total, whatever it sums to
    assert sample.draw_tokens(unnormalised).tolist() == [0, 1, 1, 3]


def test_config_checks_its_values():
    for bad in ({"temperature": -0.1}, {"top_p": 0.0}, {"top_p": 1.5}, {"top_k": -1}, {"num_beams": 0},
                {"max_new_tokens": -1}, {"stop": ("",)}):
        with pytest.raises(UserError, match="GenerationConfig"):
            sample.GenerationConfig(**bad)
    assert sample.GenerationConfig(stop="\n").stop == ("\n",)


# --- the decoder: KV cache, padded batches, the context window -----------------------------------------


def test_kv_cache_logits_equal_no_cache_logits_at_every_step_for_prompts_of_different_lengths(model):
    prompts = [tokens(7).tolist(), tokens(2).tolist(), tokens(5).tolist()]
    continuations = tokens(3, 6)  # what each row "chose" next
    cached, uncached = sample.Decoder(model, prompts, 6), sample.Decoder(model, prompts, 6, use_cache=False)
    for step in range(7):
        if step:
            cached.append(continuations[:, step - 1])
            uncached.append(continuations[:, step - 1])
        with_cache, without = cached.next_logits(), uncached.next_logits()
        assert torch.allclose(with_cache, without, atol=1e-5), f"step {step}"
        for row, prompt in enumerate(prompts):  # and each row gets what it gets alone
            alone = model(torch.tensor([prompt + continuations[row, :step].tolist()]))[0][0, -1]
            assert torch.allclose(with_cache[row], alone, atol=1e-5), f"step {step}, row {row}"
    assert cached.cache.length == 7 + 6  # the prompt columns, then one token per step


def reference_window_logits(model, sequence, steps):
    """The documented context rule, written plainly: re-read the window, dropping to the last 3/4 when full."""
    start, out = 0, []
    for length in range(len(sequence) - steps, len(sequence) + 1):
        if length - start > SMALL.block_size:
            start = length - sample.window_after_shift(SMALL.block_size)
        out.append(model(torch.tensor([sequence[start:length]]))[0][0, -1])
    return out


@pytest.mark.parametrize("prompt_length", [5, 40])
def test_beyond_block_size_the_window_drops_its_oldest_tokens(model, prompt_length):
    sequence = tokens(prompt_length + 30).tolist()
    expected = reference_window_logits(model, sequence, 30)
    for use_cache in (True, False):
        decoder = sample.Decoder(model, [sequence[:prompt_length]], 30, use_cache)
        for step in range(31):
            if step:
                decoder.append(torch.tensor([sequence[prompt_length + step - 1]]))
            assert torch.allclose(decoder.next_logits()[0], expected[step], atol=1e-5), (use_cache, step)
            assert decoder.length - decoder.start <= SMALL.block_size
    assert sample.window_after_shift(16) == 12


def test_long_generation_with_and_without_cache_gives_the_same_tokens(model):
    prompts = [tokens(3).tolist(), tokens(9).tolist()]
    cfg = sample.GenerationConfig(max_new_tokens=40, temperature=1.0, seed=3)  # 49 tokens through a 16-token window
    assert sample.generate(model, prompts, cfg) == sample.generate(model, prompts, replace(cfg, use_cache=False))


def test_bad_prompts_are_user_errors(model):
    with pytest.raises(UserError, match="empty"):
        sample.generate(model, [], max_new_tokens=2)
    with pytest.raises(UserError, match="outside the model's vocabulary"):
        sample.generate(model, [1, SMALL.vocab_size], max_new_tokens=2)
    with pytest.raises(UserError, match="stop strings need a tokenizer"):
        sample.generate(model, [1, 2], stop=("x",))


# --- generation ----------------------------------------------------------------------------------------


def greedy_by_hand(model, prompt, n):
    ids = list(prompt)
    for _ in range(n):
        ids.append(int(model(torch.tensor([ids]))[0][0, -1].argmax()))
    return ids[len(prompt):]


def test_greedy_generation_equals_argmax_step_by_step(model):
    prompt = tokens(4).tolist()
    assert sample.generate(model, prompt, temperature=0, max_new_tokens=10) == greedy_by_hand(model, prompt, 10)


def test_a_batch_of_different_lengths_generates_what_each_prompt_generates_alone(model):
    prompts = [tokens(6).tolist(), tokens(1).tolist(), tokens(3).tolist()]
    batch = sample.generate(model, prompts, temperature=0, max_new_tokens=8)
    assert batch == [greedy_by_hand(model, p, 8) for p in prompts]
    assert sample.generate(model, torch.tensor([prompts[0]]), temperature=0, max_new_tokens=8) == batch[:1]


def test_same_seed_same_sample_and_other_seeds_differ(model):
    prompt = tokens(3).tolist()
    cfg = sample.GenerationConfig(max_new_tokens=12, temperature=1.5, top_p=1.0)
    samples = [sample.generate(model, prompt, replace(cfg, seed=seed)) for seed in (7, 7, 8)]
    assert samples[0] == samples[1] != samples[2]
    gen = torch.Generator().manual_seed(7)
    assert sample.generate(model, prompt, cfg, generator=gen) == samples[0]


def test_generation_stops_at_eos_and_at_max_new_tokens(model):
    prompt = tokens(3).tolist()
    free = sample.generate(model, prompt, temperature=0, max_new_tokens=12)
    assert len(free) == 12
    eos = free[4]
    stopped = sample.generate(model, prompt, temperature=0, max_new_tokens=12, eos_token_id=eos)
    assert stopped == free[:free.index(eos)]  # EOS ends the row and is not returned
    assert sample.generate(model, prompt, max_new_tokens=0) == []


def test_rows_of_a_batch_stop_independently(model):
    prompts = [tokens(3).tolist(), tokens(5).tolist()]
    free = sample.generate(model, prompts, temperature=0, max_new_tokens=10)
    eos = free[0][2]
    out = sample.generate(model, prompts, temperature=0, max_new_tokens=10, eos_token_id=eos)
    for row in range(2):
        expected = free[row][:free[row].index(eos)] if eos in free[row] else free[row]
        assert out[row] == expected


def test_generation_leaves_the_model_in_training_mode_if_it_was(model):
    model.train()
    try:
        sample.generate(model, [1, 2], max_new_tokens=2)
        assert model.training
    finally:
        model.eval()


# --- text and streaming --------------------------------------------------------------------------------


def test_text_stream_waits_for_whole_characters_and_cuts_at_stop_strings(tok):
    text = sample.TextStream(tok, stop=("STOP",))
    pieces = [text.push(t) for t in "é a ST".encode()]
    assert pieces[0] == ""  # the first byte of é is not a character yet
    assert "".join(pieces) == "é a "  # "ST" is held back: it may begin "STOP"
    assert text.push(ord("O")) == "" and text.push(ord("P")) == "" and text.stopped
    assert text.text == "é a "
    other = sample.TextStream(tok, stop=("STOP",))
    assert "".join(other.push(t) for t in b"a ST") + other.close() == "a ST"  # ended without the stop string


def test_streamed_pieces_join_to_the_generated_text(model, tok):
    cfg = sample.GenerationConfig(max_new_tokens=20, temperature=1.0, seed=5)
    pieces = list(sample.stream(model, tok, "Hi", cfg))
    assert len(pieces) > 1
    assert "".join(pieces) == sample.generate_text(model, tok, "Hi", cfg)
    ids = sample.generate(model, tok.encode("Hi"), replace(cfg, eos_token_id=EOT))
    assert "".join(pieces) == tok.decode(ids)


def test_text_stops_before_a_stop_string(model, tok):
    full = sample.generate_text(model, tok, "abc", max_new_tokens=20, temperature=0)
    stop = full[5:7]
    cut = sample.generate_text(model, tok, "abc", max_new_tokens=20, temperature=0, stop=(stop,))
    assert cut == full[:full.index(stop)]
    assert "".join(sample.stream(model, tok, "abc", max_new_tokens=20, temperature=0, stop=stop)) == cut


def test_text_batches_and_the_empty_prompt(model, tok):
    texts = sample.generate_text(model, tok, ["a", "longer prompt", ""], max_new_tokens=6, temperature=0)
    assert texts[1] == sample.generate_text(model, tok, "longer prompt", max_new_tokens=6, temperature=0)
    assert texts[2] == tok.decode(sample.generate(model, [EOT], temperature=0, max_new_tokens=6, eos_token_id=EOT))
    with pytest.raises(UserError, match="cannot stream"):
        next(sample.stream(model, tok, "a", num_beams=2))


# --- beam search ---------------------------------------------------------------------------------------


class BigramLM(torch.nn.Module):
    """A toy model whose next-token probabilities depend on the last token only: table[previous]."""

    def __init__(self, table: torch.Tensor):
        super().__init__()
        V = table.size(0)
        self.config = GPTConfig(block_size=32, vocab_size=V, n_layer=1, n_head=1, n_embd=4)
        self.log_table = torch.nn.Parameter(table.log())

    def hidden_states(self, idx, attention_mask=None, kv_cache=None):
        if kv_cache is not None:
            kv_cache.advance(idx.size(1))
        return idx[..., None].float()  # (B, T, 1): the "hidden state" is the token itself

    def lm_head(self, h):
        return self.log_table[h[..., 0].long()]  # (..., V): the table's row of that token

    def make_kv_cache(self, batch_size, max_len=None):
        return KVCache(1, batch_size, 1, 1, max_len or self.config.block_size)


def toy_table(p_end_first=0.0):
    """From S: A is likelier (0.5) than B (0.4), but after A everything is uncertain, after B one token is sure.

    With `p_end_first`, S may also end at once (END): a short sequence, likelier than any long one."""
    S_, A, B, X, Y, END = range(6)
    table = torch.full((6, 6), 1e-6)
    table[S_, A], table[S_, B], table[S_, X] = 0.5 * (1 - p_end_first), 0.4 * (1 - p_end_first), 0.1 * (1 - p_end_first)
    table[S_, END] = max(p_end_first, 1e-6)
    table[A, X], table[A, Y], table[A, END] = 0.4, 0.3, 0.3
    table[B, X], table[B, Y] = 0.9, 0.1
    table[X, END] = table[Y, END] = table[END, END] = 1.0
    return table / table.sum(-1, keepdim=True)


def test_beam_search_finds_the_likelier_sequence_that_greedy_misses():
    model = BigramLM(toy_table())
    greedy = sample.generate(model, [0], temperature=0, max_new_tokens=2)
    beams = sample.beam_search(model, [0], num_beams=2, max_new_tokens=2, length_penalty=0.0)
    assert greedy == [1, 3]  # A, then X: 0.5 x 0.4 = 0.2
    assert beams[0].tokens == [2, 3]  # B, then X: 0.4 x 0.9 = 0.36
    assert beams[0].logprob == pytest.approx(math.log(0.36), abs=1e-4)
    assert beams[1].tokens == [1, 3] and beams[1].logprob == pytest.approx(math.log(0.2), abs=1e-4)
    assert sample.generate(model, [0], num_beams=2, max_new_tokens=2, length_penalty=0.0) == [2, 3]
    assert sample.beam_search(model, [0], num_beams=1, max_new_tokens=2)[0].tokens == greedy


def test_beam_search_finishes_beams_at_eos_with_length_normalised_scores():
    model = BigramLM(toy_table())
    beams = sample.beam_search(model, [0], num_beams=3, max_new_tokens=5, eos_token_id=5, length_penalty=1.0)
    assert all(b.finished for b in beams)
    assert [b.score for b in beams] == sorted((b.score for b in beams), reverse=True)
    for b in beams:
        assert b.score == pytest.approx(b.logprob / (len(b.tokens) + 1))  # EOS counts in the length
    assert beams[0].tokens == [2, 3] and beams[0].logprob == pytest.approx(math.log(0.36), abs=1e-4)


def test_length_penalty_decides_between_short_and_long_beams():
    model = BigramLM(toy_table(p_end_first=0.45))  # ending at once: 0.45; B X END: 0.22 x 0.9 = 0.198
    plain = sample.beam_search(model, [0], num_beams=3, max_new_tokens=5, eos_token_id=5, length_penalty=0.0)
    assert plain[0].tokens == [] and plain[0].finished and plain[0].score == pytest.approx(math.log(0.45), abs=1e-4)
    per_token = sample.beam_search(model, [0], num_beams=3, max_new_tokens=5, eos_token_id=5, length_penalty=1.0)
    assert per_token[0].tokens == [2, 3] and per_token[0].score == pytest.approx(math.log(0.198) / 3, abs=1e-4)


def test_beam_search_with_and_without_cache_on_a_real_model(model):
    prompt = tokens(5).tolist()
    a = sample.beam_search(model, prompt, num_beams=3, max_new_tokens=20)  # 25 tokens: the window moves too
    b = sample.beam_search(model, prompt, num_beams=3, max_new_tokens=20, use_cache=False)
    assert [x.tokens for x in a] == [x.tokens for x in b]
    assert [x.score for x in a] == pytest.approx([x.score for x in b], abs=1e-4)
    assert len({tuple(x.tokens) for x in a}) == 3


def test_a_beams_logprob_is_the_sum_of_its_tokens(model):
    prompt = tokens(5).tolist()
    best = sample.beam_search(model, prompt, num_beams=3, max_new_tokens=8)[0]
    logprob = 0.0
    for i, t in enumerate(best.tokens):
        logits = model(torch.tensor([prompt + best.tokens[:i]]))[0][0, -1]
        logprob += float(F.log_softmax(logits, -1)[t])
    assert best.logprob == pytest.approx(logprob, abs=1e-4)
    assert best.score == pytest.approx(logprob / 8)


# --- GPT-2 weights, loading, the command line ----------------------------------------------------------


def test_gpt2_weights_generate_what_transformers_generates():
    transformers = pytest.importorskip("transformers")
    hf_config = transformers.GPT2Config(**SMALL.to_hf_config(), bos_token_id=EOT, eos_token_id=EOT)
    hf = transformers.GPT2LMHeadModel(hf_config).eval()
    ours = GPT.from_hf_state_dict(hf.state_dict(), SMALL)
    prompt = tokens(4).tolist()
    with torch.no_grad():
        theirs = hf.generate(torch.tensor([prompt]), max_new_tokens=10, do_sample=False, pad_token_id=EOT)
    assert sample.generate(ours, prompt, temperature=0, max_new_tokens=10) == theirs[0, 4:].tolist()


def gpt2_vocab(extra=None):
    """A vocab.json in GPT-2's alphabet: printable bytes as themselves, the others shifted to chr(256 + n)."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    others = [b for b in range(256) if b not in printable]
    show = {b: chr(b) for b in printable} | {b: chr(256 + n) for n, b in enumerate(others)}
    return {show[b]: b for b in range(256)} | (extra or {}), show


def test_gpt2_vocab_json_becomes_a_tokenizer(tmp_path):
    _, show = gpt2_vocab()
    vocab, _ = gpt2_vocab({show[32] + "h": 256, "<|endoftext|>": 257})  # "Ġh" is " h"
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    gpt2 = checkpoint.gpt2_tokenizer(tmp_path / "vocab.json")
    assert gpt2.encode(" hi\n") == [256, ord("i"), ord("\n")]
    assert gpt2.decode([256, 10]) == " h\n" and sample.end_of_text_id(gpt2) == 257


def save_run(folder, model, tok):
    folder.mkdir()
    model.save_safetensors(folder / "model.safetensors")
    tok.save(folder / "tokenizer.json")
    (folder / "config.json").write_text(json.dumps({"model": model.config.to_dict()}))


def test_load_a_pretrain_folder_and_a_hugging_face_folder(tmp_path, model, tok):
    save_run(tmp_path / "run", model, tok)
    loaded, loaded_tok = checkpoint.load_model(tmp_path / "run")
    assert loaded_tok.vocab_size == tok.vocab_size
    assert sample.generate(loaded, [1, 2], temperature=0, max_new_tokens=5) == sample.generate(
        model, [1, 2], temperature=0, max_new_tokens=5)
    hf = tmp_path / "hf"
    hf.mkdir()
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in model.to_hf_state_dict().items() if k != "lm_head.weight"},
              hf / "model.safetensors")
    (hf / "config.json").write_text(json.dumps(SMALL.to_hf_config()))
    with pytest.raises(UserError, match="no tokenizer"):
        checkpoint.load_model(hf)
    (hf / "vocab.json").write_text(json.dumps(gpt2_vocab({"<|endoftext|>": EOT})[0]))
    hf_model, _ = checkpoint.load_model(hf)
    assert sample.generate(hf_model, [1, 2], temperature=0, max_new_tokens=5) == sample.generate(
        model, [1, 2], temperature=0, max_new_tokens=5)
    with pytest.raises(UserError, match="no model.safetensors"):
        checkpoint.load_model(tmp_path)


def cli_args(folder, **kw):
    import argparse

    parser = argparse.ArgumentParser()
    sample.add_arguments(parser)
    argv = ["--checkpoint", str(folder), "--device", "cpu"]
    for key, value in kw.items():
        flag = "--" + key.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return parser.parse_args(argv)


def test_cli_prints_samples_beams_and_streams(tmp_path, model, tok, capsys):
    save_run(tmp_path / "run", model, tok)
    sample.run_from_args(cli_args(tmp_path / "run", prompt="Hi", temperature=0, max_new_tokens=8))
    greedy = capsys.readouterr().out
    assert greedy == "Hi" + sample.generate_text(model, tok, "Hi", temperature=0, max_new_tokens=8) + "\n"
    sample.run_from_args(cli_args(tmp_path / "run", prompt="Hi", temperature=0, max_new_tokens=8, stream=True))
    assert capsys.readouterr().out == greedy
    sample.run_from_args(cli_args(tmp_path / "run", prompt="Hi", beams=3, max_new_tokens=6))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[score ") and "".join(lines).count("[score ") == 3
    sample.run_from_args(cli_args(tmp_path / "run", prompt="Hi", num_samples=2, seed=1, temperature=2.0))
    assert capsys.readouterr().out.count("\n---\n") == 1
    for bad in ({"stream": True, "beams": 2}, {"num_samples": 0}, {"top_p": 2.0}):
        with pytest.raises(UserError):
            sample.run_from_args(cli_args(tmp_path / "run", **bad))


def test_cli_without_a_checkpoint_uses_the_pretrain_stage(monkeypatch, tmp_path, model, tok, capsys):
    save_run(tmp_path / "run", model, tok)
    from minillm import artifacts

    asked = []
    monkeypatch.setattr(artifacts, "get", lambda name, preset: asked.append((name, preset)) or tmp_path / "run")
    args = cli_args(tmp_path / "run", max_new_tokens=2)
    args.checkpoint = None
    assert sample.run_from_args(args) == 0
    assert asked == [("pretrain", "tiny")]


# --- bounds: a batch that cannot fit is refused before anything is allocated ----------------------------


def test_what_cannot_fit_in_memory_is_refused_before_allocating(model, monkeypatch):
    with pytest.raises(UserError, match="need about .* GiB, more than the"):
        sample.generate(model, [1, 2], max_new_tokens=10 ** 12)  # 9 TB of token ids alone
    with pytest.raises(UserError, match="ask for fewer samples, beams or new tokens"):
        sample.check_memory(model, 10 ** 9, 20)  # a billion samples
    monkeypatch.setattr(sample, "device_memory", lambda device: 10_000)  # a device of 10 kB
    with pytest.raises(UserError, match="more than the 0.0 GiB of cpu memory"):
        sample.generate(model, [1, 2], max_new_tokens=4)
    with pytest.raises(UserError, match="more than the"):
        sample.beam_search(model, [1, 2], num_beams=2, max_new_tokens=4)


def test_decoding_bytes_grow_with_rows_columns_and_the_model():
    one = sample.decoding_bytes(SMALL, 1, 16)
    assert sample.decoding_bytes(SMALL, 10, 16) == 10 * one
    assert sample.decoding_bytes(SMALL, 1, 1000) > one  # the ids grow with every column, the cache up to a window
    assert sample.decoding_bytes(replace(SMALL, n_layer=20), 1, 16) > one


def test_more_beams_than_tokens_are_refused(model):
    with pytest.raises(UserError, match="num_beams must be from 1 to the vocabulary's 257 tokens"):
        sample.beam_search(model, [1], num_beams=100_000, max_new_tokens=2)
    with pytest.raises(UserError, match="num_beams"):
        sample.beam_search(model, [1], num_beams=0, max_new_tokens=2)


def test_cli_refuses_huge_requests_and_a_malformed_config_in_one_line(tmp_path, model, tok, capsys):
    from minillm import cli

    save_run(tmp_path / "run", model, tok)
    base = ["sample", "--checkpoint", str(tmp_path / "run"), "--device", "cpu"]
    for flags, message in [(["--max-new-tokens", str(10 ** 12)], "GiB"), (["--num-samples", str(10 ** 9)], "GiB"),
                           (["--beams", "100000"], "num_beams must be from 1")]:
        assert cli.main(base + flags) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    (tmp_path / "run" / "config.json").write_text('{"model": {"n_layer": ')
    assert cli.main(base) == 2
    err = capsys.readouterr().err
    assert err.startswith("minillm: error: ") and "config.json is not valid JSON" in err and err.count("\n") == 1
