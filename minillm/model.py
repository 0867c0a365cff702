"""A decoder-only transformer with GPT-2's architecture (lesson 06).

Token and learned position embeddings, `n_layer` pre-LayerNorm blocks (attention and MLP from minillm.nn,
each added to the residual stream), a final LayerNorm, and a head tied to the token embedding. The weights
are laid out like GPT-2's, so Hugging Face GPT-2 checkpoints load unchanged.

Loading checks a file's config against sane bounds and against its tensors' shapes before building anything.

Parameter-count convention (GPT-2's published sizes): every parameter once, position embeddings
included, the tied head counted once as the token embedding. GPT-2 124M has 124,439,808.
"""

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from minillm.devices import PEAK_FLOPS
from minillm.errors import UserError
from minillm.files import atomic_path
from minillm.nn import MLP, CausalSelfAttention, KVCache, LayerNorm, Linear, causal_mask, column_major

IGNORE_INDEX = -100  # targets equal to this add nothing to the loss (prompt tokens, padding)

# The Linear weights: GPT-2's Conv1D layers store them as (in, out).
_CONV1D_WEIGHTS = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
_HF_BUFFERS = (".attn.bias", ".attn.masked_bias")  # causal masks old GPT-2 files store; we build ours


# Sane bounds, far above any model this package trains or loads (GPT-3 175B: 96 layers, 12,288 wide), so that a
# config read from a file cannot make the program build millions of layers or allocate terabytes.
CONFIG_LIMITS = {"block_size": 1 << 20, "vocab_size": 1 << 24, "n_layer": 1024, "n_head": 1024, "n_embd": 1 << 16}


@dataclass
class GPTConfig:
    block_size: int = 256  # longest sequence (number of position embeddings)
    vocab_size: int = 1024  # the pretraining stage replaces it with its tokenizer's size
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    fast_attention: bool = True  # scaled_dot_product_attention instead of the written-out attention

    def __post_init__(self):
        for name, most in CONFIG_LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise UserError(f"GPTConfig.{name} must be a positive integer, got {value!r}")
            if value > most:
                raise UserError(f"GPTConfig.{name} is {value:,}, more than the {most:,} any model here can have")
        if self.n_embd % self.n_head:
            raise UserError(f"GPTConfig.n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if not isinstance(self.dropout, (int, float)) or not 0.0 <= self.dropout < 1.0:
            raise UserError(f"GPTConfig.dropout must be in [0, 1), got {self.dropout!r}")

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def num_params(self) -> int:
        """Parameter count with GPT-2's convention (see the module docstring), from the shapes alone."""
        C = self.n_embd
        embeddings = self.vocab_size * C + self.block_size * C  # wte (also the head) + wpe
        attention = C * 3 * C + 3 * C + C * C + C  # c_attn + c_proj, weights and biases
        mlp = C * 4 * C + 4 * C + 4 * C * C + C  # c_fc + c_proj
        layer_norms = 2 * 2 * C
        return embeddings + self.n_layer * (attention + mlp + layer_norms) + 2 * C  # + ln_f

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GPTConfig":
        if not isinstance(d, dict):
            raise UserError(f"a GPTConfig must be a JSON object, got {type(d).__name__}")
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise UserError(f"unknown GPTConfig field(s): {', '.join(unknown)}")
        return cls(**d)

    @classmethod
    def from_hf_config(cls, d: dict) -> "GPTConfig":
        """Read a Hugging Face GPT-2 config.json (as a dict); refuse variants this model cannot run."""
        if not isinstance(d, dict):
            raise UserError(f"a GPT-2 config must be a JSON object, got {type(d).__name__}")
        required = ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head")
        missing = [key for key in required if key not in d]
        if missing:
            raise UserError(f"GPT-2 config is missing {', '.join(missing)}")
        supported = {"activation_function": ("gelu_new", "gelu_pytorch_tanh"), "layer_norm_epsilon": (1e-5,),
                     "n_inner": (None, 4 * d["n_embd"]), "scale_attn_weights": (True,),
                     "scale_attn_by_inverse_layer_idx": (False,), "add_cross_attention": (False,)}
        for key, allowed in supported.items():
            if key in d and d[key] not in allowed:
                raise UserError(f"GPT-2 config has {key}={d[key]!r}; minillm's GPT supports {allowed}")
        return cls(block_size=d["n_positions"], vocab_size=d["vocab_size"], n_layer=d["n_layer"],
                   n_head=d["n_head"], n_embd=d["n_embd"], dropout=d.get("resid_pdrop", 0.0))

    def to_hf_config(self) -> dict:
        """Keyword arguments for transformers.GPT2Config describing the same network."""
        return {"vocab_size": self.vocab_size, "n_positions": self.block_size, "n_embd": self.n_embd,
                "n_layer": self.n_layer, "n_head": self.n_head, "activation_function": "gelu_new",
                "layer_norm_epsilon": 1e-5, "resid_pdrop": self.dropout, "embd_pdrop": self.dropout,
                "attn_pdrop": self.dropout}


PRESETS = {
    # a 128-token context: a fact fits in a sentence, and short windows give twice the training steps per minute
    "tiny": GPTConfig(block_size=128, vocab_size=1024, n_layer=4, n_head=4, n_embd=128),
    "small": GPTConfig(block_size=256, vocab_size=4096, n_layer=6, n_head=6, n_embd=192),
    "gpt2": GPTConfig(block_size=1024, vocab_size=50257, n_layer=12, n_head=12, n_embd=768),
    "124M": GPTConfig(block_size=1024, vocab_size=50257, n_layer=12, n_head=12, n_embd=768),
    "350M": GPTConfig(block_size=1024, vocab_size=50257, n_layer=24, n_head=16, n_embd=1024),
    "774M": GPTConfig(block_size=1024, vocab_size=50257, n_layer=36, n_head=20, n_embd=1280),
    "1558M": GPTConfig(block_size=1024, vocab_size=50257, n_layer=48, n_head=25, n_embd=1600),
}


class Block(nn.Module):
    """One transformer block, pre-LayerNorm: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, config: GPTConfig, layer_idx: int):
        super().__init__()
        # GPT-2 shrinks the residual projections so the sum of 2 x n_layer branches keeps unit scale.
        proj_std = 0.02 / math.sqrt(2 * config.n_layer)
        self.ln_1 = LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config.n_embd, config.n_head, config.dropout, proj_std, layer_idx,
                                        config.fast_attention)
        self.ln_2 = LayerNorm(config.n_embd)
        self.mlp = MLP(config.n_embd, config.dropout, proj_std)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, kv_cache: KVCache | None = None,
                return_weights: bool = False):
        """x (B, T, C) -> (B, T, C), and this block's attention weights if `return_weights`."""
        attended = self.attn(self.ln_1(x), mask, kv_cache, return_weights)
        weights = None
        if return_weights:
            attended, weights = attended
        x = x + attended
        x = x + self.mlp(self.ln_2(x))
        return (x, weights) if return_weights else x


class GPT(nn.Module):
    """GPT-2: embeddings, `n_layer` blocks, final LayerNorm, and a head that reuses the token embedding."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.h = nn.ModuleList(Block(config, i) for i in range(config.n_layer))
        self.ln_f = LayerNorm(config.n_embd)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.02)

    def num_params(self) -> int:
        """Number of parameters actually held (the tied head is the token embedding, counted once)."""
        return sum(p.numel() for p in self.parameters())

    def make_kv_cache(self, batch_size: int, max_len: int | None = None, dtype: torch.dtype | None = None) -> KVCache:
        """An empty cache for `batch_size` sequences of up to `max_len` (default block_size) tokens.

        It lives on the model's device, in the weights' dtype unless `dtype` says otherwise (bf16 under autocast).
        """
        max_len = max_len or self.config.block_size
        if max_len > self.config.block_size:
            raise UserError(f"a KV cache of {max_len} positions exceeds block_size {self.config.block_size}")
        c, weight = self.config, self.wte.weight
        return KVCache(c.n_layer, batch_size, c.n_head, c.head_dim, max_len, weight.device, dtype or weight.dtype)

    def embed(self, idx: torch.Tensor, attention_mask: torch.Tensor | None, kv_cache: KVCache | None):
        """Token plus position embeddings (B, T, C), and the attention mask the blocks need (None: plain causal).

        Rows of a padded batch count positions from their first real token, so padding changes nothing.
        """
        T = idx.size(1)
        is_real = attention_mask.bool() if attention_mask is not None else None  # (B, T)
        if kv_cache is None:
            if T > self.config.block_size:
                raise UserError(f"sequence of {T} tokens exceeds block_size {self.config.block_size}")
            if is_real is None:
                pos = torch.arange(T, device=idx.device)  # (T,)
                mask = None
            else:
                pos = (is_real.long().cumsum(dim=1) - 1).clamp(min=0)  # (B, T)
                mask = causal_mask(T, T, is_real)  # (B, 1, T, T)
        else:
            if kv_cache.length + T > kv_cache.max_len:
                raise UserError(f"the KV cache holds {kv_cache.max_len} positions; "
                                f"{kv_cache.length} are filled and {T} more were fed")
            pos = kv_cache.positions(is_real, T)  # (B, T)
            needs_mask = kv_cache.has_padding or is_real is not None
            mask = causal_mask(T, kv_cache.length + T, kv_cache.keys_are_real(is_real, T)) if needs_mask else None
        x = self.wte(idx) + self.wpe(pos)  # (B, T, C)
        return F.dropout(x, self.config.dropout, self.training), mask

    def hidden_states(self, idx: torch.Tensor, attention_mask: torch.Tensor | None = None,
                      kv_cache: KVCache | None = None) -> torch.Tensor:
        """Final hidden states (B, T, C), after the last LayerNorm: what the LM, reward and value heads read.

        idx (B, T) token ids. attention_mask (B, T), 1/True for real tokens, for padded batches: left-padded
        (the last column is then every row's last token) or right-padded. With `kv_cache`, idx holds only
        the new tokens, the prompt batch left-padded; the cache then advances past them.
        """
        x, mask = self.embed(idx, attention_mask, kv_cache)
        for block in self.h:
            x = block(x, mask, kv_cache)
        if kv_cache is not None:
            kv_cache.advance(idx.size(1), None if attention_mask is None else attention_mask.bool())
        return self.ln_f(x)

    def lm_head(self, h: torch.Tensor) -> torch.Tensor:
        """Logits from hidden states: the head is the token embedding itself (weight tying). (..., C) -> (..., V)"""
        return F.linear(h, self.wte.weight)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, kv_cache: KVCache | None = None,
                attention_mask: torch.Tensor | None = None):
        """idx (B, T) -> logits (B, T, vocab_size), and the mean cross-entropy against `targets` (B, T) or None.

        Targets equal to IGNORE_INDEX are skipped. See `hidden_states` for `kv_cache` and `attention_mask`.
        """
        logits = self.lm_head(self.hidden_states(idx, attention_mask, kv_cache))  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE_INDEX)
        return logits, loss

    @torch.no_grad()
    def attention_weights(self, idx: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Every head's attention weights, (n_layer, B, n_head, T, T), for heat maps."""
        x, mask = self.embed(idx, attention_mask, None)
        maps = []
        for block in self.h:
            x, weights = block(x, mask, return_weights=True)
            maps.append(weights)
        return torch.stack(maps)

    def flops_per_token(self, seq_len: int | None = None) -> int:
        """Training FLOPs per token (forward + backward), PaLM appendix B: 6N + 12 · n_layer · n_embd · T.

        N leaves out the position embeddings (a lookup, no multiply) but keeps the token embedding,
        which is also the head's matmul. The attention term counts the full T x T scores, causal or not.
        """
        c = self.config
        T = seq_len or c.block_size
        n = c.num_params() - c.block_size * c.n_embd
        return 6 * n + 12 * c.n_layer * c.n_embd * T

    def estimate_mfu(self, tokens_per_sec: float, peak_flops: float | str, seq_len: int | None = None) -> float:
        """Model FLOPs utilisation: achieved training FLOP/s over the hardware's peak (a number, or a PEAK_FLOPS key)."""
        if isinstance(peak_flops, str):
            if peak_flops not in PEAK_FLOPS:
                raise UserError(f"unknown hardware {peak_flops!r}; known: {', '.join(PEAK_FLOPS)}")
            peak_flops = PEAK_FLOPS[peak_flops]
        return self.flops_per_token(seq_len) * tokens_per_sec / peak_flops

    def param_groups(self, weight_decay: float) -> list[dict]:
        """AdamW parameter groups: weight decay on the Linear weights only, none on biases, norms, embeddings."""
        decayed = [m.weight for m in self.modules() if isinstance(m, Linear) and m.weight.requires_grad]
        decayed_ids = {id(p) for p in decayed}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in decayed_ids]
        return [{"params": decayed, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]

    @classmethod
    def from_hf_state_dict(cls, state_dict: dict, config: GPTConfig) -> "GPT":
        """Import a Hugging Face GPT-2 state dict (GPT2LMHeadModel's or GPT2Model's, or a model.safetensors).

        Conv1D weights are stored (in, out) and get transposed; the causal-mask buffers are ignored; the
        head, if present, must be the token embedding (GPT-2 ties them). The model gets its own copies.
        """
        ours = _hf_to_ours(state_dict, config)
        return _assemble({k: v.clone() for k, v in ours.items()}, config, "GPT-2 state dict")

    def to_hf_state_dict(self) -> dict:
        """Our weights under GPT2LMHeadModel's names and layouts (Conv1D weights (in, out); head = wte)."""
        sd = {"transformer." + k: v.t().contiguous() if k.endswith(_CONV1D_WEIGHTS) else v
              for k, v in self.state_dict().items()}
        sd["lm_head.weight"] = sd["transformer.wte.weight"]
        return sd

    @classmethod
    def from_pretrained_file(cls, path, config_json=None) -> "GPT":
        """Load a local Hugging Face GPT-2 `model.safetensors` (never downloads).

        The architecture comes from `config_json`, by default the config.json next to the weights.
        """
        path = Path(path)
        config_json = Path(config_json) if config_json is not None else path.parent / "config.json"
        if not config_json.is_file():
            raise UserError(f"no GPT-2 config at {config_json}; pass config_json= (the model's config.json)")
        config = GPTConfig.from_hf_config(read_config(config_json))
        tensors, _ = _read_safetensors(path)
        return _assemble(_hf_to_ours(tensors, config), config, str(path))

    def save_safetensors(self, path) -> None:
        """Write the weights to `path` atomically, with the config as JSON in the file's metadata."""
        from safetensors.torch import save_file

        tensors = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        with atomic_path(path) as tmp:
            save_file(tensors, tmp, metadata={"minillm_config": json.dumps(self.config.to_dict())})

    @classmethod
    def load(cls, path) -> "GPT":
        """Load a checkpoint written by `save_safetensors`."""
        tensors, metadata = _read_safetensors(Path(path))
        if "minillm_config" not in metadata:
            raise UserError(f"{path} has no minillm config in its metadata; "
                            "for Hugging Face GPT-2 weights use GPT.from_pretrained_file")
        try:
            config = GPTConfig.from_dict(json.loads(metadata["minillm_config"]))
        except json.JSONDecodeError as e:
            raise UserError(f"{path}: the model config in its metadata is not valid JSON ({e})") from None
        return _assemble(tensors, config, str(path))


def read_config(path: Path) -> dict:
    """A config.json as a dict; a file that is not a UTF-8 JSON object is a one-line UserError."""
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise UserError(f"{path} is not a JSON object")
    return config


def _assemble(state_dict: dict, config: GPTConfig, source: str) -> GPT:
    """A GPT whose parameters ARE the given tensors (our names and shapes, checked key by key).

    Linear weights that are not yet column-major (a file stores them row by row) are copied into that
    layout, as minillm.nn.Linear keeps them; everything else is used without a copy.
    """
    _check_sizes(state_dict, config, source)
    with torch.device("meta"):  # skip the random initialisation that the weights replace anyway
        model = GPT(config)
    _check_state_dict(state_dict, {k: tuple(v.shape) for k, v in model.state_dict().items()}, source)
    state_dict = {k: column_major(v) if k.endswith(_CONV1D_WEIGHTS) else v for k, v in state_dict.items()}
    model.load_state_dict(state_dict, assign=True)
    return model


def _hf_to_ours(state_dict: dict, config: GPTConfig) -> dict:
    """GPT-2 names and layouts -> ours, after checking keys and shapes against `config` in GPT-2's layout."""
    sd = {k.removeprefix("transformer."): v for k, v in state_dict.items() if not k.endswith(_HF_BUFFERS)}
    head = sd.pop("lm_head.weight", None)
    if head is not None and "wte.weight" in sd and not torch.equal(head, sd["wte.weight"]):
        raise UserError("GPT-2 state dict has an lm_head.weight that differs from wte.weight; minillm's GPT ties them")
    _check_sizes(sd, config, "GPT-2 state dict")
    with torch.device("meta"):
        shapes = {k: tuple(v.shape) for k, v in GPT(config).state_dict().items()}
    _check_state_dict(sd, {k: s[::-1] if k.endswith(_CONV1D_WEIGHTS) else s for k, s in shapes.items()},
                      "GPT-2 state dict")
    return {k: v.t() if k.endswith(_CONV1D_WEIGHTS) else v for k, v in sd.items()}  # (in, out) -> (out, in)


def _check_sizes(state_dict: dict, config: GPTConfig, source: str) -> None:
    """Before any model is built from `config`: it may not have more layers than the tensors hold, nor other
    embedding sizes, so that a config claiming ten million layers is one line at once, not a hang."""
    layers = len({key.split(".")[1] for key in state_dict if key.startswith("h.")})
    if config.n_layer > layers:
        raise UserError(f"{source} is missing layers: it holds {layers}, its config says n_layer={config.n_layer}")
    embeddings = {"wte.weight": (config.vocab_size, config.n_embd), "wpe.weight": (config.block_size, config.n_embd)}
    for key, shape in embeddings.items():
        if key in state_dict and tuple(state_dict[key].shape) != shape:
            raise UserError(f"{source}: {key} has shape {tuple(state_dict[key].shape)}, the model expects {shape}")


def _read_safetensors(path: Path) -> tuple[dict, dict]:
    """All tensors (on the CPU) and the metadata of a safetensors file, or a UserError saying why not."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise UserError(f"no weights file at {path}")
    try:
        with safe_open(path, framework="pt") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not iterable)
            return tensors, f.metadata() or {}
    except SafetensorError as e:
        raise UserError(f"{path} is not a readable safetensors file: {e}") from None


def _check_state_dict(state_dict: dict, expected_shapes: dict, source: str) -> None:
    """Raise a one-line UserError for missing keys, unexpected keys, or the first shape mismatch."""

    def some(keys):
        keys = sorted(keys)
        return ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")

    missing = set(expected_shapes) - set(state_dict)
    if missing:
        raise UserError(f"{source} is missing {len(missing)} key(s): {some(missing)}")
    unexpected = set(state_dict) - set(expected_shapes)
    if unexpected:
        raise UserError(f"{source} has {len(unexpected)} unexpected key(s): {some(unexpected)}")
    for key, shape in expected_shapes.items():
        if tuple(state_dict[key].shape) != shape:
            raise UserError(f"{source}: {key} has shape {tuple(state_dict[key].shape)}, the model expects {shape}")
