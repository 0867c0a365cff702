import json
import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from minillm.devices import PEAK_FLOPS
from minillm.errors import UserError
from minillm.model import GPT, IGNORE_INDEX, PRESETS, GPTConfig
from minillm.nn import Linear

SMALL = GPTConfig(block_size=32, vocab_size=97, n_layer=2, n_head=4, n_embd=32)


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


@pytest.fixture
def model():
    return GPT(SMALL).eval()


def tokens(*shape, vocab=SMALL.vocab_size):
    return torch.randint(0, vocab, shape)


def linear_layouts(model) -> set[bool]:
    """{True} when every Linear weight is column-major, as minillm.nn.Linear makes them (whatever the file had)."""
    return {m.weight.t().is_contiguous() for m in model.modules() if isinstance(m, Linear)}


# --- sizes -----------------------------------------------------------------------------------------

GPT2_PUBLISHED = {"124M": 124_439_808, "350M": 354_823_168, "774M": 774_030_080, "1558M": 1_557_611_200}


@pytest.mark.parametrize("name", GPT2_PUBLISHED)
def test_num_params_reproduces_gpt2_sizes(name):
    config = PRESETS[name]
    assert config.num_params() == GPT2_PUBLISHED[name]
    with torch.device("meta"):  # counts the real module's tensors without allocating them
        assert GPT(config).num_params() == GPT2_PUBLISHED[name]


def test_presets_are_valid_and_ordered_by_size():
    sizes = [PRESETS[name].num_params() for name in ("tiny", "small", "124M", "350M", "774M", "1558M")]
    assert sizes == sorted(sizes)
    assert PRESETS["gpt2"] == PRESETS["124M"]
    assert GPT(PRESETS["tiny"]).num_params() == PRESETS["tiny"].num_params()
    assert PRESETS["tiny"].num_params() < 2_000_000  # trains on a laptop CPU in minutes


def test_config_rejects_bad_values_and_unknown_fields():
    with pytest.raises(UserError, match="multiple of n_head"):
        GPTConfig(n_embd=30, n_head=4)
    with pytest.raises(UserError, match="n_layer"):
        GPTConfig(n_layer=0)
    with pytest.raises(UserError, match="dropout"):
        GPTConfig(dropout=1.0)
    with pytest.raises(UserError, match="n_heads"):
        GPTConfig.from_dict({"n_heads": 4})
    assert GPTConfig.from_dict(SMALL.to_dict()) == SMALL


# --- forward ---------------------------------------------------------------------------------------

def test_forward_shapes_loss_and_tied_head(model):
    idx, targets = tokens(3, 10), tokens(3, 10)
    logits, loss = model(idx, targets)
    assert logits.shape == (3, 10, SMALL.vocab_size)
    assert loss.item() == pytest.approx(F.cross_entropy(logits.view(-1, 97), targets.view(-1)).item(), abs=1e-6)
    assert model(idx)[1] is None
    hidden = model.hidden_states(idx)
    assert hidden.shape == (3, 10, SMALL.n_embd)
    assert torch.allclose(logits, hidden @ model.wte.weight.T, atol=1e-5)
    assert torch.allclose(model.lm_head(hidden[:, -1]), logits[:, -1], atol=1e-6)
    assert "lm_head.weight" not in model.state_dict()  # the head is the token embedding


def test_untrained_loss_is_about_log_vocab_size():
    model = GPT(replace(SMALL, vocab_size=1000)).eval()
    _, loss = model(tokens(8, 32, vocab=1000), tokens(8, 32, vocab=1000))
    assert loss.item() == pytest.approx(math.log(1000), abs=0.1)


def test_ignored_targets_do_not_count(model):
    idx, targets = tokens(2, 8), tokens(2, 8)
    masked = targets.clone()
    masked[:, :5] = IGNORE_INDEX
    logits, loss = model(idx, masked)
    expected = F.cross_entropy(logits[:, 5:].reshape(-1, 97), targets[:, 5:].reshape(-1))
    assert loss.item() == pytest.approx(expected.item(), abs=1e-6)


def test_fast_and_written_out_attention_give_the_same_model():
    fast = GPT(SMALL).eval()
    slow = GPT(replace(SMALL, fast_attention=False)).eval()
    slow.load_state_dict(fast.state_dict())
    idx = tokens(2, 12)
    assert torch.allclose(fast(idx)[0], slow(idx)[0], atol=1e-5)


def test_attention_weights_for_heat_maps(model):
    weights = model.attention_weights(tokens(2, 6))
    assert weights.shape == (SMALL.n_layer, 2, SMALL.n_head, 6, 6)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 2, 4, 6), atol=1e-5)
    assert torch.count_nonzero(torch.triu(weights, diagonal=1)) == 0


def test_too_long_input_is_a_user_error(model):
    with pytest.raises(UserError, match="block_size"):
        model(tokens(1, SMALL.block_size + 1))


def test_dropout_only_in_training():
    model = GPT(replace(SMALL, dropout=0.5))
    idx = tokens(1, 8)
    assert not torch.allclose(model(idx)[0], model(idx)[0])
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])


def test_a_few_adamw_steps_fit_one_batch(model):
    model.train()
    optimizer = torch.optim.AdamW(model.param_groups(weight_decay=0.1), lr=3e-3)
    idx, targets = tokens(4, 16), tokens(4, 16)
    first = model(idx, targets)[1].item()
    for _ in range(30):
        _, loss = model(idx, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first - 1.0


def test_param_groups_decay_only_linear_weights(model):
    decayed, rest = model.param_groups(weight_decay=0.1)
    assert decayed["weight_decay"] == 0.1 and rest["weight_decay"] == 0.0
    assert len(decayed["params"]) == 4 * SMALL.n_layer  # c_attn, attn c_proj, c_fc, mlp c_proj
    assert all(p.dim() == 2 for p in decayed["params"])
    assert any(p is model.wte.weight for p in rest["params"])
    assert any(p is model.wpe.weight for p in rest["params"])
    everything = {id(p) for p in model.parameters()}
    grouped = [id(p) for group in (decayed, rest) for p in group["params"]]
    assert len(grouped) == len(everything) and set(grouped) == everything


def test_flops_per_token_and_mfu():
    model = GPT(PRESETS["tiny"])
    config = PRESETS["tiny"]
    n = config.num_params() - config.block_size * config.n_embd
    assert model.flops_per_token() == 6 * n + 12 * 4 * 128 * 128  # the full 128-token context
    assert model.flops_per_token(seq_len=64) == 6 * n + 12 * 4 * 128 * 64
    tokens_per_sec = 1e12 / model.flops_per_token()
    assert model.estimate_mfu(tokens_per_sec, 2e12) == pytest.approx(0.5)
    assert model.estimate_mfu(tokens_per_sec, "h100") == pytest.approx(1e12 / PEAK_FLOPS["h100"])
    with pytest.raises(UserError, match="unknown hardware"):
        model.estimate_mfu(1.0, "tpu")


# --- KV cache and padded batches --------------------------------------------------------------------

def test_kv_cache_logits_equal_no_cache_logits_at_every_step(model):
    seq = tokens(2, 12)
    full = model(seq)[0]
    cache = model.make_kv_cache(batch_size=2)
    logits, _ = model(seq[:, :5], kv_cache=cache)  # prefill the prompt
    assert torch.allclose(logits, full[:, :5], atol=1e-5)
    for t in range(5, 12):  # then one token per step
        logits, _ = model(seq[:, t:t + 1], kv_cache=cache)
        assert torch.allclose(logits[:, 0], full[:, t], atol=1e-5), f"step {t}"
    assert cache.length == 12


def test_kv_cache_takes_chunks_of_several_tokens(model):
    seq = tokens(1, 9)
    full = model(seq)[0]
    cache = model.make_kv_cache(1, max_len=9)
    chunks = [model(seq[:, a:b], kv_cache=cache)[0] for a, b in ((0, 4), (4, 7), (7, 9))]
    assert torch.allclose(torch.cat(chunks, 1), full, atol=1e-5)
    with pytest.raises(UserError, match="KV cache holds 9"):
        model(seq[:, :1], kv_cache=cache)
    with pytest.raises(UserError, match="exceeds block_size"):
        model.make_kv_cache(1, max_len=SMALL.block_size + 1)


def left_pad(rows, pad_id=0):
    width = max(len(r) for r in rows)
    idx = torch.full((len(rows), width), pad_id)
    mask = torch.zeros(len(rows), width, dtype=torch.bool)
    for i, r in enumerate(rows):
        idx[i, width - len(r):] = r
        mask[i, width - len(r):] = True
    return idx, mask


def test_left_padded_batch_gives_each_row_its_own_logits(model):
    rows = [tokens(7), tokens(3), tokens(5)]
    idx, mask = left_pad(rows)
    logits, _ = model(idx, attention_mask=mask)
    for i, row in enumerate(rows):
        alone = model(row[None])[0][0]
        assert torch.allclose(logits[i, -len(row):], alone, atol=1e-5), f"row {i}"
    hidden = model.hidden_states(idx, attention_mask=mask)
    assert torch.isfinite(hidden).all()  # padding positions stay finite too


def test_right_padded_batch_works_too(model):
    rows = [tokens(6), tokens(2)]
    idx, mask = left_pad(rows)
    right_idx, right_mask = idx.clone(), mask.clone()
    right_idx[1], right_mask[1] = idx[1].roll(-4), mask[1].roll(-4)
    logits, _ = model(right_idx, attention_mask=right_mask)
    assert torch.allclose(logits[1, :2], model(rows[1][None])[0][0], atol=1e-5)


@pytest.mark.parametrize("fast", [True, False])
def test_kv_cache_with_prompts_of_different_lengths(fast):
    model = GPT(replace(SMALL, fast_attention=fast)).eval()
    prompts = [tokens(6), tokens(2), tokens(4)]
    continuations = tokens(3, 5)  # what each row "samples" next
    idx, mask = left_pad(prompts)
    cache = model.make_kv_cache(batch_size=3)
    step_logits = [model(idx, kv_cache=cache, attention_mask=mask)[0][:, -1]]
    for t in range(5):
        step_logits.append(model(continuations[:, t:t + 1], kv_cache=cache)[0][:, 0])
    for i, prompt in enumerate(prompts):
        alone = model(torch.cat([prompt, continuations[i]])[None])[0][0]  # (T, V)
        expected = alone[len(prompt) - 1:]  # logits after the prompt, then after each new token
        got = torch.stack([s[i] for s in step_logits])
        assert torch.allclose(got, expected, atol=1e-5), f"row {i}"


def test_kv_cache_reorder_follows_beams(model):
    seq = tokens(2, 6)
    cache = model.make_kv_cache(batch_size=2)
    model(seq[:, :4], kv_cache=cache)
    cache.reorder(torch.tensor([1, 1, 0]))  # keep row 1 twice, then row 0
    logits, _ = model(seq[[1, 1, 0], 4:5], kv_cache=cache)
    full = model(seq)[0]
    assert torch.allclose(logits[:, 0], full[[1, 1, 0], 4], atol=1e-5)


# --- Hugging Face GPT-2 interop -----------------------------------------------------------------------

transformers = pytest.importorskip("transformers")


def hf_model(config=SMALL):
    hf_config = transformers.GPT2Config(**config.to_hf_config(), bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(hf_config).eval()


def test_hf_config_round_trip():
    hf_config = transformers.GPT2Config(**SMALL.to_hf_config(), bos_token_id=0, eos_token_id=0)
    assert GPTConfig.from_hf_config(hf_config.to_dict()) == SMALL
    with pytest.raises(UserError, match="activation_function='relu'"):
        GPTConfig.from_hf_config({**hf_config.to_dict(), "activation_function": "relu"})
    with pytest.raises(UserError, match="missing n_head"):
        GPTConfig.from_hf_config({"vocab_size": 5, "n_positions": 8, "n_embd": 8, "n_layer": 1})


def test_hf_weights_from_safetensors_give_identical_logits(tmp_path):
    theirs = hf_model()
    theirs.save_pretrained(tmp_path)  # writes model.safetensors and config.json, all local
    ours = GPT.from_pretrained_file(tmp_path / "model.safetensors").eval()
    assert linear_layouts(ours) == {True}
    idx = tokens(2, 16)
    with torch.no_grad():
        expected = theirs(idx).logits
    assert torch.allclose(ours(idx)[0], expected, atol=1e-5)


def test_original_gpt2_file_layout_loads(tmp_path):
    # OpenAI-era files on the Hub have no "transformer." prefix, no lm_head, and causal-mask buffers.
    theirs = hf_model()
    sd = {k.removeprefix("transformer."): v.contiguous() for k, v in theirs.state_dict().items()
          if k != "lm_head.weight"}
    for i in range(SMALL.n_layer):
        sd[f"h.{i}.attn.bias"] = torch.tril(torch.ones(1, 1, SMALL.block_size, SMALL.block_size))
    save_file(sd, tmp_path / "model.safetensors")
    config_json = tmp_path / "gpt2-config.json"
    config_json.write_text(json.dumps(theirs.config.to_dict()))
    ours = GPT.from_pretrained_file(tmp_path / "model.safetensors", config_json=config_json).eval()
    assert linear_layouts(ours) == {True}
    idx = tokens(1, 10)
    with torch.no_grad():
        assert torch.allclose(ours(idx)[0], theirs(idx).logits, atol=1e-5)


def test_our_weights_export_to_hf(model):
    theirs = hf_model()
    theirs.load_state_dict(model.to_hf_state_dict())  # strict: every key and shape matches
    idx = tokens(2, 16)
    with torch.no_grad():
        assert torch.allclose(theirs(idx).logits, model(idx)[0], atol=1e-5)
    imported = GPT.from_hf_state_dict(model.to_hf_state_dict(), SMALL)
    assert torch.equal(imported.wte.weight, model.wte.weight) and linear_layouts(imported) == {True}
    with torch.no_grad():
        imported.wte.weight.zero_()
        imported.h[0].ln_1.weight.zero_()
    assert model.wte.weight.abs().sum() > 0 and model.h[0].ln_1.weight.abs().sum() > 0  # no shared storage


def test_hf_import_reports_key_and_shape_problems(model):
    sd = model.to_hf_state_dict()
    missing = {k: v for k, v in sd.items() if k != "transformer.h.1.ln_2.bias"}
    with pytest.raises(UserError, match=r"missing 1 key\(s\): h\.1\.ln_2\.bias"):
        GPT.from_hf_state_dict(missing, SMALL)
    with pytest.raises(UserError, match=r"unexpected key\(s\): h\.2\.ln_1\.weight"):
        GPT.from_hf_state_dict({**sd, "transformer.h.2.ln_1.weight": torch.ones(32)}, SMALL)
    with pytest.raises(UserError, match=r"h\.0\.attn\.c_attn\.weight has shape \(96, 32\), the model expects \(32, 96\)"):
        GPT.from_hf_state_dict({**sd, "transformer.h.0.attn.c_attn.weight": torch.zeros(96, 32)}, SMALL)
    with pytest.raises(UserError, match="ties them"):
        GPT.from_hf_state_dict({**sd, "lm_head.weight": torch.zeros(97, 32)}, SMALL)
    with pytest.raises(UserError, match="missing"):
        GPT.from_hf_state_dict(sd, replace(SMALL, n_layer=3))


def test_pretrained_file_errors(tmp_path):
    with pytest.raises(UserError, match="no GPT-2 config"):
        GPT.from_pretrained_file(tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps(SMALL.to_hf_config()))
    with pytest.raises(UserError, match="no weights file"):
        GPT.from_pretrained_file(tmp_path / "model.safetensors")
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(UserError, match="not a readable safetensors file"):
        GPT.from_pretrained_file(tmp_path / "model.safetensors")


# --- our own checkpoints ---------------------------------------------------------------------------

def test_save_and_load_round_trip(tmp_path, model):
    path = tmp_path / "ckpt" / "model.safetensors"
    model.save_safetensors(path)
    assert [p.name for p in path.parent.iterdir()] == ["model.safetensors"]  # no temporary file left
    loaded = GPT.load(path).eval()
    assert loaded.config == SMALL and linear_layouts(model) == linear_layouts(loaded) == {True}
    assert all(isinstance(p, torch.nn.Parameter) and p.requires_grad for p in loaded.parameters())
    assert len(list(loaded.parameters())) == len(list(model.parameters()))
    idx = tokens(2, 8)
    assert torch.equal(loaded(idx)[0], model(idx)[0])


def test_load_refuses_files_without_our_config(tmp_path, model):
    path = tmp_path / "hf.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    with pytest.raises(UserError, match="from_pretrained_file"):
        GPT.load(path)


# --- configs read from files are bounded before anything is built --------------------------------------

def test_config_refuses_sizes_beyond_any_model():
    with pytest.raises(UserError, match=r"n_layer is 10,000,000, more than the 1,024"):
        GPTConfig(n_layer=10_000_000)
    with pytest.raises(UserError, match="vocab_size"):
        GPTConfig(vocab_size=1 << 40)
    with pytest.raises(UserError, match="must be a JSON object"):
        GPTConfig.from_dict([1, 2])


@pytest.mark.parametrize("change, message", [
    ({"n_layer": 10_000_000}, "more than the 1,024"),
    ({"n_layer": 1000}, "missing layers: it holds 2, its config says n_layer=1000"),
    ({"vocab_size": 1_000_000}, r"wte\.weight has shape \(97, 32\), the model expects \(1000000, 32\)"),
    ({"block_size": 1 << 20}, r"wpe\.weight has shape"),
])
def test_a_file_whose_config_does_not_match_its_tensors_is_refused_before_building(tmp_path, model, monkeypatch,
                                                                                  change, message):
    path = tmp_path / "model.safetensors"
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, path, metadata={"minillm_config": json.dumps({**SMALL.to_dict(), **change})})

    def never_built(*args, **kwargs):
        raise AssertionError("a model was built from the file's config")

    monkeypatch.setattr(GPT, "__init__", never_built)
    with pytest.raises(UserError, match=message):
        GPT.load(path)


def test_unreadable_configs_are_one_line_errors(tmp_path, model):
    path = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path,
              metadata={"minillm_config": "{not json"})
    with pytest.raises(UserError, match="metadata is not valid JSON"):
        GPT.load(path)
    (tmp_path / "config.json").write_text('{"n_positions": 32,')
    with pytest.raises(UserError, match=r"config\.json is not valid JSON"):
        GPT.from_pretrained_file(path)
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(UserError, match=r"config\.json is not a JSON object"):
        GPT.from_pretrained_file(path)
