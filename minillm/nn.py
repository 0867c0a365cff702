"""Neural-network layers of a GPT, written out (lessons 04 and 05).

Lesson 04 builds `Linear` (y = x Wᵀ + b with GPT-2's initialisation), `LayerNorm` and `gelu`, and stacks them
into the transformer's `MLP`. Lesson 05 builds causal multi-head self-attention: `attention` is the textbook
formula and `CausalSelfAttention` adds the projections, the head split and merge, PyTorch's fused kernel as
an option, and a `KVCache` for fast decoding (lesson 08). Nothing here uses torch.nn.Linear or
torch.nn.MultiheadAttention: the lessons write those themselves.

KV cache: prompts of different lengths are LEFT-padded to one length, with a boolean `attention_mask`
(True = real token). Every row then shares one cache length; padded keys are masked out and each row's
position ids count only its real tokens, so every row gets exactly the logits it would get alone.
"""

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn

from minillm.errors import UserError


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """Run the block without dropout (model.eval()), then put the model back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def column_major(w: torch.Tensor) -> torch.Tensor:
    """The same (out, in) matrix, its memory laid out column by column: as the contiguous (in, out) Wᵀ."""
    return w if w.t().is_contiguous() else w.t().contiguous().t()


class Linear(nn.Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) like torch's own layout.

    GPT-2 draws weights from N(0, 0.02²) and starts biases at zero; residual projections pass a smaller
    `std` so that the sum over many layers keeps unit scale.

    W is stored column-major (`column_major`): its shape and values are those of the (out, in) matrix,
    its memory is that of Wᵀ, GPT-2's own Conv1D layout. Decoding one token multiplies a single row x
    by every weight, a matrix-vector product bound by how fast W streams from memory, and this layout
    streams it in order (measured in benchmarks/bench_sample.py; lesson 08 explains it).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, std: float = 0.02):
        super().__init__()
        self.weight = nn.Parameter(column_major(torch.randn(out_features, in_features) * std))  # (out, in)
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None  # (out,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)  # (..., in) @ (in, out) + (out,) -> (..., out)

    def extra_repr(self) -> str:
        out_features, in_features = self.weight.shape
        return f"in_features={in_features}, out_features={out_features}, bias={self.bias is not None}"


def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Normalise each vector over its last dimension to mean 0 and variance 1, then scale and shift."""
    mean = x.mean(dim=-1, keepdim=True)  # (..., 1)
    var = x.var(dim=-1, keepdim=True, unbiased=False)  # (..., 1)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


class LayerNorm(nn.Module):
    """Layer normalisation with a learned per-channel scale (starts at 1) and shift (starts at 0)."""

    def __init__(self, ndim: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Same numbers as layer_norm() above (tested), computed by one fused kernel.
        return F.layer_norm(x, (x.size(-1),), self.weight, self.bias, self.eps)


def gelu(x: torch.Tensor) -> torch.Tensor:
    """GPT-2's GELU, the tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


class MLP(nn.Module):
    """The transformer's feed-forward block: widen 4x, GELU, project back."""

    def __init__(self, n_embd: int, dropout: float = 0.0, proj_std: float = 0.02):
        super().__init__()
        self.c_fc = Linear(n_embd, 4 * n_embd)
        self.c_proj = Linear(4 * n_embd, n_embd, std=proj_std)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c_fc(x)  # (B, T, 4C)
        # gelu() above as one fused kernel (tested equal): its eight elementwise passes over this,
        # the largest activation in the block, would cost more than the attention on a CPU.
        h = F.gelu(h, approximate="tanh")
        return F.dropout(self.c_proj(h), self.dropout, self.training)  # (B, T, C)


def causal_mask(n_query: int, n_key: int, key_is_real: torch.Tensor | None = None, device=None) -> torch.Tensor:
    """Boolean mask of which keys each query may attend to (True = attend).

    The queries are the last `n_query` of `n_key` positions (all of them in training; only the new
    tokens when decoding with a cache), and query i sees keys up to its own position. With
    `key_is_real` (B, n_key), padding keys are hidden too; a query always sees itself, so that a
    padding query has something to attend to and the softmax never divides by zero.
    Returns (n_query, n_key), or (B, 1, n_query, n_key) with `key_is_real`.
    """
    device = key_is_real.device if key_is_real is not None else device
    query_pos = torch.arange(n_key - n_query, n_key, device=device)[:, None]  # (Tq, 1)
    key_pos = torch.arange(n_key, device=device)[None, :]  # (1, Tk)
    mask = key_pos <= query_pos  # (Tq, Tk)
    if key_is_real is None:
        return mask
    return mask & (key_is_real[:, None, None, :] | (key_pos == query_pos))  # (B, 1, Tq, Tk)


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, dropout: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention, written out. q (B, H, Tq, D), k and v (B, H, Tk, D).

    Returns the weighted sum of values (B, H, Tq, D) and the attention weights (B, H, Tq, Tk).
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, H, Tq, Tk)
    scores = scores.masked_fill(~mask, float("-inf"))  # a query never looks ahead (or at padding)
    weights = F.softmax(scores, dim=-1)  # each row sums to 1
    return F.dropout(weights, dropout, dropout > 0) @ v, weights  # (B, H, Tq, D)


class KVCache:
    """Keys and values of every layer for a batch being decoded, so each step feeds only new tokens.

    Buffers are preallocated, (B, n_head, max_len, head_dim) per layer. All rows share `length`, the
    number of filled positions; prompts of different lengths are left-padded and `key_is_real`
    remembers which positions are padding. `n_real` (B,) counts each row's real tokens, which is the
    position id of that row's next token. Make one with `GPT.make_kv_cache(batch_size)`.
    """

    def __init__(self, n_layer: int, batch_size: int, n_head: int, head_dim: int, max_len: int,
                 device=None, dtype=torch.float32):
        shape = (batch_size, n_head, max_len, head_dim)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layer)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layer)]
        self.key_is_real = torch.ones(batch_size, max_len, dtype=torch.bool, device=device)  # (B, max_len)
        self.n_real = torch.zeros(batch_size, dtype=torch.long, device=device)  # (B,)
        self.length = 0
        self.has_padding = False
        self.max_len = max_len

    @property
    def batch_size(self) -> int:
        return self.key_is_real.size(0)

    def positions(self, is_real: torch.Tensor | None, n_new: int) -> torch.Tensor:
        """Position ids (B, T) of new tokens: each row continues counting its own real tokens."""
        if is_real is None:
            return self.n_real[:, None] + torch.arange(n_new, device=self.n_real.device)  # (B, T)
        return self.n_real[:, None] + (is_real.long().cumsum(dim=1) - 1).clamp(min=0)  # (B, T)

    def keys_are_real(self, is_real: torch.Tensor | None, n_new: int) -> torch.Tensor:
        """Which of the cached plus new keys are real tokens: (B, length + T)."""
        if is_real is None:
            is_real = torch.ones(self.batch_size, n_new, dtype=torch.bool, device=self.key_is_real.device)
        return torch.cat([self.key_is_real[:, :self.length], is_real], dim=1)

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store one layer's new keys and values (B, H, T, D); return all of them so far (B, H, length+T, D)."""
        end = self.length + k.size(2)
        self.k[layer][:, :, self.length:end] = k
        self.v[layer][:, :, self.length:end] = v
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]

    def advance(self, n_new: int, is_real: torch.Tensor | None = None) -> None:
        """Move past `n_new` tokens once every layer has appended them; `is_real` (B, T), None if all are real."""
        if is_real is None:
            self.n_real += n_new
        else:
            self.key_is_real[:, self.length:self.length + n_new] = is_real
            self.n_real += is_real.sum(dim=1)
            self.has_padding = self.has_padding or not bool(is_real.all())
        self.length += n_new

    def reorder(self, rows: torch.Tensor) -> None:
        """Keep (and duplicate) the given batch rows, in that order; beam search follows its beams with it."""
        self.k = [k.index_select(0, rows) for k in self.k]
        self.v = [v.index_select(0, rows) for v in self.v]
        self.key_is_real = self.key_is_real.index_select(0, rows)
        self.n_real = self.n_real.index_select(0, rows)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with one fused query/key/value projection (GPT-2's c_attn).

    `fast=True` uses torch's scaled_dot_product_attention (the same numbers, fused kernels);
    `fast=False`, or asking for the weights, runs `attention` above.
    """

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, proj_std: float = 0.02,
                 layer_idx: int = 0, fast: bool = True):
        super().__init__()
        if n_embd % n_head:
            raise UserError(f"n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
        self.c_attn = Linear(n_embd, 3 * n_embd)
        self.c_proj = Linear(n_embd, n_embd, std=proj_std)
        self.n_head = n_head
        self.dropout = dropout
        self.layer_idx = layer_idx
        self.fast = fast

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        return x.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, D)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        B, H, T, D = x.shape
        return x.transpose(1, 2).reshape(B, T, H * D)  # (B, T, C)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, kv_cache: KVCache | None = None,
                return_weights: bool = False):
        """x (B, T, C) -> (B, T, C), and the weights (B, H, T, Tk) if `return_weights`.

        `mask` (B, 1, T, Tk) from `causal_mask`; None means plain causal attention, where the T queries
        are the last T of the Tk keys. With `kv_cache` only the new tokens come in and the cached keys
        and values of earlier tokens are attended to as well.
        """
        q, k, v = self.c_attn(x).split(x.size(-1), dim=2)  # 3 x (B, T, C)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)  # (B, H, T, D)
        if kv_cache is not None:
            k, v = kv_cache.append(self.layer_idx, k, v)  # (B, H, Tk, D)
        n_query, n_key = q.size(2), k.size(2)
        dropout = self.dropout if self.training else 0.0
        if self.fast and not return_weights:
            # Plain causal cases need no mask tensor: T queries over T keys (training, prefill) is
            # SDPA's is_causal, and one new query may see every key.
            if mask is None and 1 < n_query < n_key:
                mask = causal_mask(n_query, n_key, device=x.device)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout,
                                               is_causal=mask is None and n_query > 1)
        else:
            if mask is None:
                mask = causal_mask(n_query, n_key, device=x.device)
            y, weights = attention(q, k, v, mask, dropout)
        y = F.dropout(self.c_proj(self.merge_heads(y)), self.dropout, self.training)  # (B, T, C)
        return (y, weights) if return_weights else y
