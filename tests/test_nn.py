import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from minillm.errors import UserError
from minillm.nn import (
    MLP,
    CausalSelfAttention,
    KVCache,
    LayerNorm,
    Linear,
    attention,
    causal_mask,
    column_major,
    eval_mode,
    gelu,
    layer_norm,
)


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def test_linear_computes_x_w_transpose_plus_b():
    layer = Linear(4, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.arange(12.0).view(3, 4))
        layer.bias.copy_(torch.tensor([1.0, -1.0, 0.5]))
    x = torch.tensor([[1.0, 0.0, 2.0, -1.0]])
    # row i of W dotted with x: [0+0+4-3, 4+0+12-7, 8+0+20-11] plus the bias
    assert torch.equal(layer(x), torch.tensor([[2.0, 8.0, 17.5]]))


def test_linear_has_gpt2_init_and_torch_layout():
    layer = Linear(256, 512)
    assert layer.weight.shape == (512, 256) and layer.bias.shape == (512,)
    assert layer.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert abs(layer.weight.mean().item()) < 1e-3
    assert torch.count_nonzero(layer.bias) == 0
    assert Linear(8, 8, std=0.001).weight.std().item() == pytest.approx(0.001, rel=0.2)
    assert Linear(8, 8, bias=False).bias is None


def test_linear_weight_is_stored_column_major_and_its_gradient_too():
    torch.manual_seed(0)
    row_major = torch.randn(512, 256) * 0.02
    torch.manual_seed(0)
    layer = Linear(256, 512)
    assert layer.weight.shape == (512, 256) and layer.weight.stride() == (1, 512)  # memory of the (256, 512) Wᵀ
    assert torch.equal(layer.weight, row_major)  # the same values as a row-major draw: only the layout differs
    layer(torch.randn(3, 256)).sum().backward()
    assert layer.weight.grad.stride() == layer.weight.stride()  # AdamW's moments and DDP's buckets follow it
    assert column_major(layer.weight) is layer.weight
    assert column_major(row_major).stride() == (1, 512) and torch.equal(column_major(row_major), row_major)


def test_linear_backward_matches_the_hand_derived_gradients():
    layer = Linear(5, 3)
    x = torch.randn(7, 5)
    grad_y = torch.randn(7, 3)
    layer(x).backward(grad_y)
    assert torch.allclose(layer.weight.grad, grad_y.T @ x, atol=1e-6)  # dL/dW = dYᵀ X
    assert torch.allclose(layer.bias.grad, grad_y.sum(0), atol=1e-6)  # dL/db = Σ dY


def test_package_has_no_torch_linear_or_prebuilt_attention():
    package = Path(__file__).resolve().parents[1] / "minillm"
    # Used, that is called or imported; the docstrings may name them.
    forbidden = re.compile(r"\bnn\.(Linear|MultiheadAttention|Transformer\w*)\s*\(|"
                           r"from torch\.nn import .*\b(Linear|MultiheadAttention|Transformer\w*)\b")
    offenders = [p.name for p in package.glob("*.py") if forbidden.search(p.read_text())]
    assert offenders == []


def test_layer_norm_written_out_equals_module_and_torch():
    x = torch.randn(2, 5, 16) * 3 + 1
    norm = LayerNorm(16)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    by_hand = layer_norm(x, norm.weight, norm.bias)
    assert torch.allclose(by_hand, norm(x), atol=1e-5)
    assert torch.allclose(by_hand, F.layer_norm(x, (16,), norm.weight, norm.bias), atol=1e-5)
    plain = layer_norm(x, torch.ones(16), torch.zeros(16))
    assert torch.allclose(plain.mean(-1), torch.zeros(2, 5), atol=1e-5)
    assert torch.allclose(plain.var(-1, unbiased=False), torch.ones(2, 5), atol=1e-3)


def test_gelu_is_gpt2_tanh_form():
    assert gelu(torch.tensor(0.0)).item() == 0.0
    assert gelu(torch.tensor(1.0)).item() == pytest.approx(0.8411920, abs=1e-6)
    assert gelu(torch.tensor(-3.0)).item() == pytest.approx(-0.0036373, abs=1e-6)
    x = torch.linspace(-6, 6, 101)
    assert torch.allclose(gelu(x), F.gelu(x, approximate="tanh"), atol=1e-6)


def test_mlp_is_fc_gelu_proj():
    mlp = MLP(8).eval()
    x = torch.randn(2, 3, 8)
    expected = gelu(x @ mlp.c_fc.weight.T + mlp.c_fc.bias) @ mlp.c_proj.weight.T + mlp.c_proj.bias
    assert mlp.c_fc.weight.shape == (32, 8)
    assert torch.allclose(mlp(x), expected, atol=1e-6)


def test_causal_mask_training_and_decoding():
    assert torch.equal(causal_mask(3, 3), torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool))
    # two new queries after two cached keys: they sit at positions 2 and 3
    assert torch.equal(causal_mask(2, 4), torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool))


def test_causal_mask_hides_left_padding_but_lets_padding_see_itself():
    is_real = torch.tensor([[False, True, True]])
    mask = causal_mask(3, 3, is_real)
    assert mask.shape == (1, 1, 3, 3)
    expected = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 1, 1]], dtype=torch.bool)
    assert torch.equal(mask[0, 0], expected)


def test_attention_weights_are_causal_softmax_of_scaled_scores():
    q, k, v = torch.randn(3, 1, 2, 4, 8).unbind(0)  # (B=1, H=2, T=4, D=8) each
    out, weights = attention(q, k, v, causal_mask(4, 4))
    assert torch.allclose(weights.sum(-1), torch.ones(1, 2, 4), atol=1e-6)
    assert torch.count_nonzero(torch.triu(weights, diagonal=1)) == 0
    scores = q[0, 1, 2] @ k[0, 1, :3].T / math.sqrt(8)  # head 1, query 2 sees keys 0..2
    assert torch.allclose(weights[0, 1, 2, :3], torch.softmax(scores, -1), atol=1e-6)
    assert torch.allclose(out[0, 1, 2], weights[0, 1, 2, :3] @ v[0, 1, :3], atol=1e-6)
    sdpa = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(out, sdpa, atol=1e-6)


def test_fast_and_written_out_self_attention_agree_forward_and_backward():
    attn = CausalSelfAttention(32, 4, fast=False)
    x = torch.randn(2, 7, 32, requires_grad=True)
    slow = attn(x)
    slow.sum().backward()
    slow_grads = [x.grad.clone(), attn.c_attn.weight.grad.clone()]
    x.grad = None
    attn.zero_grad()
    attn.fast = True
    fast = attn(x)
    fast.sum().backward()
    assert torch.allclose(slow, fast, atol=1e-6)
    assert torch.allclose(slow_grads[0], x.grad, atol=1e-6)
    assert torch.allclose(slow_grads[1], attn.c_attn.weight.grad, atol=1e-5)


def test_self_attention_returns_weights_and_does_not_look_ahead():
    attn = CausalSelfAttention(16, 2)
    x = torch.randn(1, 5, 16)
    y, weights = attn(x, return_weights=True)
    assert weights.shape == (1, 2, 5, 5)
    assert torch.allclose(y, attn(x), atol=1e-6)
    x_changed = x.clone()
    x_changed[0, 3:] += 1.0
    assert torch.allclose(attn(x_changed)[0, :3], y[0, :3], atol=1e-6)  # the future does not leak back
    assert not torch.allclose(attn(x_changed)[0, 3], y[0, 3])


def test_heads_split_and_merge_are_inverse():
    attn = CausalSelfAttention(12, 3)
    x = torch.randn(2, 5, 12)
    heads = attn.split_heads(x)
    assert heads.shape == (2, 3, 5, 4)
    assert torch.equal(heads[1, 2, 4], x[1, 4, 8:12])
    assert torch.equal(attn.merge_heads(heads), x)


def test_self_attention_with_cache_equals_full_attention_in_both_paths():
    for fast in (True, False):
        attn = CausalSelfAttention(16, 2, fast=fast)
        x = torch.randn(2, 6, 16)
        full = attn(x)
        cache = KVCache(n_layer=1, batch_size=2, n_head=2, head_dim=8, max_len=8)
        pieces = []
        for start, end in ((0, 3), (3, 5), (5, 6)):  # prefill, a two-token chunk, then one token
            pieces.append(attn(x[:, start:end], kv_cache=cache))
            cache.advance(end - start)
        assert cache.length == 6 and cache.n_real.tolist() == [6, 6]
        assert torch.allclose(torch.cat(pieces, 1), full, atol=1e-6)


def test_kv_cache_positions_count_real_tokens_per_row():
    cache = KVCache(n_layer=1, batch_size=2, n_head=1, head_dim=2, max_len=6)
    is_real = torch.tensor([[False, False, True], [True, True, True]])
    assert cache.positions(is_real, 3).tolist() == [[0, 0, 0], [0, 1, 2]]
    cache.advance(3, is_real)
    assert cache.has_padding and cache.n_real.tolist() == [1, 3]
    assert cache.positions(None, 2).tolist() == [[1, 2], [3, 4]]
    assert cache.keys_are_real(None, 1).tolist() == [[False, False, True, True], [True, True, True, True]]
    cache.reorder(torch.tensor([1, 1, 0]))
    assert cache.batch_size == 3 and cache.n_real.tolist() == [3, 3, 1]
    assert cache.k[0].shape == (3, 1, 6, 2)


def test_heads_must_divide_width():
    with pytest.raises(UserError, match="multiple of n_head"):
        CausalSelfAttention(10, 4)


def test_eval_mode_turns_dropout_off_and_restores_the_mode_even_after_an_error():
    layer = torch.nn.Dropout(0.5)
    x = torch.ones(1000)
    with eval_mode(layer):
        assert not layer.training and torch.equal(layer(x), x)
    assert layer.training
    layer.eval()
    with pytest.raises(RuntimeError), eval_mode(layer):
        raise RuntimeError("inside")
    assert not layer.training
    layer.train()
    with pytest.raises(RuntimeError), eval_mode(layer):
        raise RuntimeError("inside")
    assert layer.training
