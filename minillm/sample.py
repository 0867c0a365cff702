"""Text generation: every decoding algorithm of lesson 08, on the KV cache.

After any text a language model scores every token of its vocabulary; generating is choosing one, appending
it, and asking again. Greedy takes the most likely token; sampling draws from softmax(logits / temperature),
optionally among the top-k tokens or the top-p nucleus only (temperature, then top-k, then top-p, as Hugging
Face orders them); beam search keeps the `num_beams` most likely sequences so far.

`Decoder` reads the prompts once into the KV cache (prefill), then feeds one token per step; prompts of
different lengths share a batch, left-padded and masked. When the tokens no longer fit the context window,
the window jumps to the last 3/4 * block_size tokens, re-read in one prefill. A row stops at its EOS token
(not part of the output), before a stop string (text functions), or after `max_new_tokens`. A batch whose
ids, KV cache and logits cannot fit in the device's memory is refused before anything is allocated.
"""

import argparse
import codecs
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from minillm import artifacts
from minillm.checkpoint import load_model
from minillm.devices import device_memory, pick_device
from minillm.errors import UserError
from minillm.nn import eval_mode


@dataclass
class GenerationConfig:
    """How each next token is chosen, and when generation stops. The defaults suit general text."""

    max_new_tokens: int = 100
    temperature: float = 0.8  # 0: greedy (always the most likely token); 1: the model's own distribution
    top_k: int = 0  # draw among the k most likely tokens only (0: all of them)
    top_p: float = 0.95  # draw among the most likely tokens that add up to p (1: all of them)
    num_beams: int = 1  # > 1: beam search, which is deterministic (temperature, top-k, top-p unused)
    length_penalty: float = 1.0  # beams are ranked by log-probability / length ** length_penalty
    eos_token_id: int | None = None  # a row stops at this token (text functions: <|endoftext|> by default)
    stop: tuple[str, ...] = ()  # text functions stop before the first of these strings
    seed: int | None = None  # seeds a private torch.Generator: the same seed gives the same sample
    use_cache: bool = True  # False re-reads the whole window every step (same logits, slower)

    def __post_init__(self):
        if isinstance(self.stop, str):
            self.stop = (self.stop,)
        self.stop = tuple(self.stop)
        checks = [
            (isinstance(self.max_new_tokens, int) and self.max_new_tokens >= 0, "max_new_tokens must be >= 0"),
            (self.temperature >= 0, "temperature must be >= 0 (0 is greedy)"),
            (isinstance(self.top_k, int) and self.top_k >= 0, "top_k must be a whole number >= 0 (0: off)"),
            (0 < self.top_p <= 1, "top_p must be in (0, 1] (1: off)"),
            (isinstance(self.num_beams, int) and self.num_beams >= 1, "num_beams must be >= 1"),
            (all(isinstance(s, str) and s for s in self.stop), "stop strings must be non-empty strings"),
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(f"GenerationConfig: {message}")


# ----------------------------------------------------------------------------- choosing the next token


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """logits / T: T < 1 sharpens the softmax, T > 1 flattens it. T = 0 is the limit: only the top token stays."""
    if temperature < 0:
        raise UserError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        top = F.one_hot(logits.argmax(dim=-1), logits.size(-1)).bool()  # (..., V)
        return logits.masked_fill(~top, float("-inf"))
    return logits / temperature


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k highest logits of each row; the others become -inf (k = 0 or k >= V keeps all)."""
    if k <= 0 or k >= logits.size(-1):
        return logits
    values, indices = logits.topk(k, dim=-1)  # (..., k)
    return torch.full_like(logits, float("-inf")).scatter(-1, indices, values)


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Keep the fewest most likely tokens whose probabilities add up to at least p; the others become -inf.

    The most likely token always stays, so the result can always be sampled; p = 1 keeps every token.
    """
    if p >= 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)  # (..., V)
    probs = F.softmax(sorted_logits, dim=-1)
    mass_before = probs.cumsum(dim=-1) - probs  # probability of the tokens ranked above each token
    sorted_logits = sorted_logits.masked_fill(mass_before >= p, float("-inf"))  # p was reached without it
    return torch.empty_like(logits).scatter(-1, order, sorted_logits)


def choose_next(logits: torch.Tensor, cfg: GenerationConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """One token per row (B,) from next-token logits (B, V): greedy when temperature is 0, else a filtered draw."""
    if cfg.temperature == 0:
        return logits.argmax(dim=-1)
    logits = top_p_filter(top_k_filter(apply_temperature(logits.float(), cfg.temperature), cfg.top_k), cfg.top_p)
    return draw_tokens(F.softmax(logits, dim=-1), generator)


def draw_tokens(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One token per row (B,) drawn with its probability from probs (B, V): the row's probabilities laid end to end,
    a uniform draw u along them, and the token whose segment holds u (the first running sum above u), as lesson 08's
    exercise builds it. A token of probability 0 has an empty segment and is never drawn. The same law as
    torch.multinomial, 26x faster on one CPU thread and 44x on two for 128 rows of 2,050 tokens (benchmarks/RESULTS.md)."""
    cumulative = probs.cumsum(dim=-1)  # (B, V)
    u = torch.rand(probs.size(0), 1, generator=generator, device=probs.device) * cumulative[:, -1:]  # (B, 1)
    return torch.searchsorted(cumulative, u, right=True)[:, 0].clamp(max=probs.size(-1) - 1)


# ----------------------------------------------------------------------------- decoding with a KV cache


def window_after_shift(block_size: int) -> int:
    """How many of the latest tokens stay in the window when it is full (see the module docstring)."""
    return max(1, block_size * 3 // 4)


class Decoder:
    """Next-token logits for a batch of token sequences that grow by one token per step.

    The prompts are left-padded into `ids` (B, columns), `is_real` marking real tokens; room for
    `max_new_tokens` more columns is allocated once. The model sees the columns from `start` to `length`
    (the window, at most block_size wide). With a KV cache the window is read once (prefill) and then
    each step feeds only the newest token; without, each step re-reads the whole window.

    Works with any model that has `config.block_size`, `hidden_states(idx, attention_mask, kv_cache)`,
    `lm_head(h)` and `make_kv_cache(batch_size, max_len)`, as minillm.model.GPT does.
    """

    @torch.inference_mode()
    def __init__(self, model, prompts: Sequence[Sequence[int]], max_new_tokens: int, use_cache: bool = True):
        _check_prompts(prompts, model.config.vocab_size)
        device = next(model.parameters()).device
        B, width = len(prompts), max(len(p) for p in prompts)
        check_memory(model, B, width + max_new_tokens)
        self.model, self.use_cache = model, use_cache
        self.ids = torch.zeros(B, width + max_new_tokens, dtype=torch.long, device=device)  # (B, columns)
        self.is_real = torch.ones(B, width + max_new_tokens, dtype=torch.bool, device=device)  # (B, columns)
        for row, prompt in enumerate(prompts):
            pad = width - len(prompt)
            self.ids[row, pad:width] = torch.tensor(list(prompt), dtype=torch.long)
            self.is_real[row, :pad] = False
        self.padded_until = width if any(len(p) < width for p in prompts) else 0  # padding lives left of this
        self.length = width  # filled columns
        self.start = 0  # first column the model sees
        self.cache = None

    @property
    def batch_size(self) -> int:
        return self.ids.size(0)

    @torch.inference_mode()
    def next_logits(self) -> torch.Tensor:
        """Logits (B, V) of the token after each row's last one."""
        block_size = self.model.config.block_size
        if self.length - self.start > block_size:  # the window is full: keep its latest tokens, re-read them
            self.start = self.length - window_after_shift(block_size)
            self.cache = None
        if not self.use_cache:
            return self._forward(self.start, None)
        if self.cache is None:  # prefill
            max_len = min(block_size, self.ids.size(1) - self.start)
            self.cache = self.model.make_kv_cache(self.batch_size, max_len)
            return self._forward(self.start, self.cache)
        return self._forward(self.length - 1, self.cache)  # the cache holds everything before the newest token

    def _forward(self, first: int, cache) -> torch.Tensor:
        idx = self.ids[:, first:self.length]  # (B, T)
        mask = self.is_real[:, first:self.length] if first < self.padded_until else None  # (B, T)
        h = self.model.hidden_states(idx, attention_mask=mask, kv_cache=cache)  # (B, T, C)
        return self.model.lm_head(h[:, -1])  # (B, V): only the last position's logits are needed

    @torch.inference_mode()
    def append(self, tokens: torch.Tensor) -> None:
        """Add one token (B,) to every row."""
        if self.length == self.ids.size(1):
            raise UserError(f"this Decoder has room for {self.ids.size(1)} tokens per row, all used")
        self.ids[:, self.length] = tokens
        self.length += 1

    @torch.inference_mode()
    def reorder(self, rows: torch.Tensor) -> None:
        """Keep (and duplicate) the given rows, in that order: beam search follows its beams with it."""
        rows = rows.to(self.ids.device)
        self.ids, self.is_real = self.ids.index_select(0, rows), self.is_real.index_select(0, rows)
        if self.cache is not None:
            self.cache.reorder(rows)


def decoding_bytes(config, rows: int, columns: int, element_size: int = 4) -> int:
    """About how many bytes decoding `rows` sequences of up to `columns` tokens (prompt and new ones) takes
    besides the weights: the ids and their mask, the KV cache of one window, the prefill's widest activations
    (the MLP's hidden layer and the attention scores), and a few float32 copies of the next-token logits
    (temperature, top-k, the sort of top-p, the probabilities; beam search's candidates)."""
    window = min(columns, config.block_size)
    ids = columns * (8 + 1)
    kv_cache = 2 * config.n_layer * window * config.n_embd * element_size
    prefill = window * 4 * config.n_embd * element_size + config.n_head * window * window * 4
    logits = 10 * config.vocab_size * 4
    return rows * (ids + kv_cache + prefill + logits)


def check_memory(model, rows: int, columns: int) -> None:
    """Refuse, before allocating, a batch of `rows` sequences of `columns` tokens that cannot fit in memory."""
    weights = next(model.parameters())
    needed = decoding_bytes(model.config, rows, columns, weights.element_size())
    available = device_memory(weights.device)
    if available is not None and needed > available:
        raise UserError(f"{rows:,} sequence(s) of up to {columns:,} tokens need about {needed / 2**30:,.1f} GiB, "
                        f"more than the {available / 2**30:,.1f} GiB of {weights.device.type} memory: "
                        "ask for fewer samples, beams or new tokens")


def _check_prompts(prompts: Sequence[Sequence[int]], vocab_size: int) -> None:
    if len(prompts) == 0:
        raise UserError("no prompts given")
    for prompt in prompts:
        if len(prompt) == 0:
            raise UserError("a prompt is empty: give at least one token (e.g. <|endoftext|>)")
        bad = [t for t in prompt if not 0 <= int(t) < vocab_size]
        if bad:
            raise UserError(f"token id {bad[0]} is outside the model's vocabulary (0 to {vocab_size - 1})")


def make_generator(cfg: GenerationConfig, model) -> torch.Generator | None:
    """A torch.Generator seeded with cfg.seed, on the model's device; None (torch's global one) without a seed."""
    if cfg.seed is None:
        return None
    return torch.Generator(device=next(model.parameters()).device).manual_seed(cfg.seed)


def _steps(model, prompts, cfg: GenerationConfig, generator) -> Iterator[torch.Tensor]:
    """Every row's next token (B,), step after step, for up to max_new_tokens steps (the caller may stop early)."""
    decoder = Decoder(model, prompts, cfg.max_new_tokens, cfg.use_cache)
    tokens = None
    for _ in range(cfg.max_new_tokens):
        if tokens is not None:
            decoder.append(tokens)
        tokens = choose_next(decoder.next_logits(), cfg, generator)
        yield tokens


def _decode_rows(model, prompts, cfg: GenerationConfig, generator, texts=None) -> list[list[int]]:
    """New tokens of each row until its EOS, its stop string (when `texts` holds a TextStream per row), or the end."""
    out = [[] for _ in prompts]
    done = [False] * len(prompts)
    with eval_mode(model):
        for tokens in _steps(model, prompts, cfg, generator or make_generator(cfg, model)):
            for row, token in enumerate(tokens.tolist()):
                if done[row]:
                    continue
                if token == cfg.eos_token_id:
                    done[row] = True
                    continue
                out[row].append(token)
                if texts is not None:
                    texts[row].push(token)
                    done[row] = texts[row].stopped
            if all(done):
                break
    return out


# ----------------------------------------------------------------------------- token ids in, token ids out


def _config(cfg: GenerationConfig | None, overrides: dict) -> GenerationConfig:
    return dataclasses.replace(cfg or GenerationConfig(), **overrides)


def _as_prompts(prompt) -> tuple[list[list[int]], bool]:
    """One prompt (ids) or a batch (a list of them, or a (B, T) tensor) -> (list of prompts, was it one)."""
    if isinstance(prompt, torch.Tensor):
        prompt = prompt.tolist()
    prompt = list(prompt)
    single = len(prompt) == 0 or not isinstance(prompt[0], (list, tuple))
    return ([prompt] if single else [list(p) for p in prompt]), single


def generate(model, prompt, cfg: GenerationConfig | None = None, generator: torch.Generator | None = None,
             **overrides) -> list[int] | list[list[int]]:
    """The new token ids after one prompt (a list of ids), or after each prompt of a batch (a list of lists).

    `cfg` fields can also be given as keywords: `generate(model, ids, temperature=0, max_new_tokens=20)`.
    Prompts of different lengths share one batch. EOS ends a row and is not returned.
    """
    cfg = _config(cfg, overrides)
    if cfg.stop:
        raise UserError("stop strings need a tokenizer: use generate_text or stream")
    prompts, single = _as_prompts(prompt)
    if cfg.num_beams > 1:
        out = [beam_search(model, p, cfg.num_beams, cfg.max_new_tokens, cfg.length_penalty, cfg.eos_token_id,
                           cfg.use_cache)[0].tokens for p in prompts]
    else:
        out = _decode_rows(model, prompts, cfg, generator)
    return out[0] if single else out


def stream_ids(model, prompt, cfg: GenerationConfig | None = None, generator: torch.Generator | None = None,
               **overrides) -> Iterator[int]:
    """Yield the new token ids after one prompt as they are chosen (stops at EOS, not yielded)."""
    cfg = _config(cfg, overrides)
    if cfg.num_beams > 1:
        raise UserError("beam search picks its sequence at the end, so it cannot stream; use generate")
    prompts, single = _as_prompts(prompt)
    if not single:
        raise UserError("stream one prompt at a time")
    with eval_mode(model):
        for tokens in _steps(model, prompts, cfg, generator or make_generator(cfg, model)):
            token = int(tokens[0])
            if token == cfg.eos_token_id:
                return
            yield token


# ----------------------------------------------------------------------------- beam search


@dataclass
class Beam:
    """One sequence found by beam search."""

    tokens: list[int]  # the new tokens (EOS not included)
    logprob: float  # log-probability of the tokens (and of the EOS, if it ended with one)
    score: float  # logprob / length ** length_penalty: what beams are ranked by
    finished: bool  # it ended with EOS (else it ran out of max_new_tokens)


def beam_score(logprob: float, length: int, length_penalty: float) -> float:
    """A beam's rank: log-probability / length ** length_penalty (0: plain log-probability, which favours short
    beams; 1: per-token average; > 1: longer beams favoured more)."""
    return logprob / max(length, 1) ** length_penalty


def beam_search(model, prompt: Sequence[int], num_beams: int = 4, max_new_tokens: int = 32,
                length_penalty: float = 1.0, eos_token_id: int | None = None, use_cache: bool = True) -> list[Beam]:
    """The `num_beams` best continuations of one prompt, best first.

    Every step extends each live beam by every token and keeps the `num_beams` candidates with the highest
    cumulative log-probability (the KV cache follows them with `reorder`). A candidate ending in EOS among
    the best `num_beams` leaves the search as a finished beam. The search ends when no live beam can beat
    the worst of `num_beams` finished ones any more (its log-probability only falls as it grows), or after
    `max_new_tokens`, when the live beams are kept as they are.
    """
    if not 1 <= num_beams <= model.config.vocab_size:
        raise UserError(f"num_beams must be from 1 to the vocabulary's {model.config.vocab_size:,} tokens "
                        f"(the first step has no more candidates), got {num_beams:,}")
    prompt = list(prompt.tolist() if isinstance(prompt, torch.Tensor) else prompt)
    check_memory(model, num_beams, len(prompt) + max_new_tokens)  # the Decoder grows to num_beams rows
    finished: list[Beam] = []
    with eval_mode(model):
        decoder = Decoder(model, [prompt], max_new_tokens, use_cache)
        live_tokens: list[list[int]] = [[]]
        live_logprobs = torch.zeros(1)  # (beams,) log-probability of each live beam so far
        for step in range(max_new_tokens):
            logprobs = F.log_softmax(decoder.next_logits().float(), dim=-1)  # (beams, V)
            vocab_size = logprobs.size(1)
            candidates = (live_logprobs.to(logprobs.device)[:, None] + logprobs).view(-1)  # (beams * V,)
            # At most one EOS per live beam is among the best 2 x num_beams, so num_beams others remain.
            top_logprobs, top = candidates.topk(min(2 * num_beams, candidates.numel()))
            rows, next_tokens, next_logprobs = [], [], []
            for rank, (logprob, index) in enumerate(zip(top_logprobs.tolist(), top.tolist())):
                row, token = divmod(index, vocab_size)
                if token == eos_token_id:
                    if rank < num_beams:
                        length = step + 1
                        finished.append(Beam(live_tokens[row], logprob, beam_score(logprob, length, length_penalty),
                                             True))
                    continue
                rows.append(row)
                next_tokens.append(token)
                next_logprobs.append(logprob)
                if len(rows) == num_beams:
                    break
            live_tokens = [live_tokens[r] + [t] for r, t in zip(rows, next_tokens)]
            live_logprobs = torch.tensor(next_logprobs)
            if not rows or _beams_settled(finished, live_logprobs, step + 1, max_new_tokens, num_beams, length_penalty):
                live_tokens = []
                break
            if step + 1 < max_new_tokens:
                decoder.reorder(torch.tensor(rows))
                decoder.append(torch.tensor(next_tokens))
    finished += [Beam(t, lp, beam_score(lp, len(t), length_penalty), False)
                 for t, lp in zip(live_tokens, live_logprobs.tolist())]
    return sorted(finished, key=lambda b: b.score, reverse=True)[:num_beams]


def _beams_settled(finished: list[Beam], live_logprobs: torch.Tensor, length: int, max_new_tokens: int,
                   num_beams: int, length_penalty: float) -> bool:
    """True when `num_beams` beams have finished and no live beam can still score above the worst of them."""
    if len(finished) < num_beams:
        return False
    worst_kept = sorted(b.score for b in finished)[-num_beams]
    # A live beam's log-probability only falls; its length grows to at most max_new_tokens. With a positive
    # penalty its best score is at the longest length, otherwise at the next one.
    best_length = max_new_tokens if length_penalty > 0 else length + 1
    return beam_score(float(live_logprobs.max()), best_length, length_penalty) <= worst_kept


# ----------------------------------------------------------------------------- text in, text out


class TextStream:
    """One row's new tokens -> text pieces, each released once it is whole characters that cannot be the
    start of a stop string; the text ends before the first stop string (`stopped` then turns True)."""

    def __init__(self, tok, stop: Sequence[str] = ()):
        self.tok, self.stop = tok, tuple(stop)
        self.utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a character may span tokens
        self.held = ""  # text that could be the beginning of a stop string
        self.stopped = False
        self.text = ""  # everything released so far

    def push(self, token: int) -> str:
        """The new text that is certain after this token (often "", e.g. half of a character)."""
        return self._release(self.held + self.utf8.decode(self.tok.decode_bytes([token])), final=False)

    def close(self) -> str:
        """What was still held back, once generation has ended without a stop string."""
        if self.stopped:
            return ""
        return self._release(self.held + self.utf8.decode(b"", final=True), final=True)

    def _release(self, text: str, final: bool) -> str:
        hits = [i for i in (text.find(s) for s in self.stop) if i >= 0]
        if hits:
            self.stopped, self.held = True, ""
            piece = text[:min(hits)]
        else:
            keep = 0 if final else max((k for s in self.stop for k in range(1, len(s))
                                        if text.endswith(s[:k])), default=0)
            self.held, piece = text[len(text) - keep:], text[:len(text) - keep]
        self.text += piece
        return piece


def end_of_text_id(tok) -> int | None:
    """The tokenizer's <|endoftext|> id (a minillm Tokenizer or a tiktoken Encoding), or None."""
    specials = getattr(tok, "special_tokens", None) or getattr(tok, "_special_tokens", None) or {}
    return specials.get("<|endoftext|>", getattr(tok, "eot_token", None))


def encode_prompt(tok, prompt) -> list[int]:
    """Token ids of a text prompt (ids pass through); the empty prompt starts from <|endoftext|>, as in GPT-2."""
    if not isinstance(prompt, str):
        return list(prompt)
    if prompt:
        return tok.encode(prompt)
    eot = end_of_text_id(tok)
    if eot is None:
        raise UserError("the prompt is empty and the tokenizer has no <|endoftext|> to start from")
    return [eot]


def _text_config(tok, cfg: GenerationConfig | None, overrides: dict) -> GenerationConfig:
    cfg = _config(cfg, overrides)
    if cfg.eos_token_id is None:
        cfg = dataclasses.replace(cfg, eos_token_id=end_of_text_id(tok))
    return cfg


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """The text before the first stop string."""
    hits = [i for i in (text.find(s) for s in stop) if i >= 0]
    return text[:min(hits)] if hits else text


def generate_text(model, tok, prompt, cfg: GenerationConfig | None = None, generator: torch.Generator | None = None,
                  **overrides) -> str | list[str]:
    """The text after a prompt (a string, or token ids), or after each prompt of a list, in one batch.

    `tok` is a minillm Tokenizer or a tiktoken Encoding. Generation stops at <|endoftext|> (or cfg's EOS),
    before a stop string, or after max_new_tokens.
    """
    cfg = _text_config(tok, cfg, overrides)
    single = isinstance(prompt, str) or (len(prompt) > 0 and isinstance(prompt[0], int))
    prompts = [encode_prompt(tok, p) for p in ([prompt] if single else prompt)]
    if cfg.num_beams > 1:
        texts = [cut_at_stop(tok.decode(beam_search(model, p, cfg.num_beams, cfg.max_new_tokens, cfg.length_penalty,
                                                    cfg.eos_token_id, cfg.use_cache)[0].tokens), cfg.stop)
                 for p in prompts]
    else:
        streams = [TextStream(tok, cfg.stop) for _ in prompts]
        _decode_rows(model, prompts, cfg, generator, streams)
        texts = [s.text + s.close() for s in streams]
    return texts[0] if single else texts


def stream(model, tok, prompt, cfg: GenerationConfig | None = None, generator: torch.Generator | None = None,
           **overrides) -> Iterator[str]:
    """Yield the text after a prompt piece by piece, as the tokens are chosen (what a chat window shows).

    Same stopping rules as `generate_text`; "".join(stream(...)) equals generate_text(...) for the same seed.
    """
    cfg = _text_config(tok, cfg, overrides)
    text = TextStream(tok, cfg.stop)
    for token in stream_ids(model, encode_prompt(tok, prompt), cfg, generator):
        piece = text.push(token)
        if piece:
            yield piece
        if text.stopped:
            return
    rest = text.close()
    if rest:
        yield rest


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm sample`."""
    d = GenerationConfig()
    parser.add_argument("--prompt", default="", help="text to continue (default: start of a document)")
    parser.add_argument("--checkpoint", type=Path, metavar="DIR", help="a pretrain folder or a Hugging Face GPT-2 "
                        "folder (default: the preset's pretrain stage, built first if needed)")
    parser.add_argument("--preset", default="tiny", choices=artifacts.PRESETS, help="whose pretrain stage to use (default: tiny)")
    parser.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens, metavar="N",
                        help=f"tokens to generate at most (default: {d.max_new_tokens}); samples x (prompt + N) "
                             "tokens, with their KV cache and logits, must fit in the device's memory")
    parser.add_argument("--temperature", type=float, default=d.temperature, metavar="T",
                        help=f"0: greedy, 1: the model's distribution (default: {d.temperature})")
    parser.add_argument("--top-k", type=int, default=d.top_k, metavar="K",
                        help="draw among the K most likely tokens (default: 0, off)")
    parser.add_argument("--top-p", type=float, default=d.top_p, metavar="P",
                        help=f"draw among the most likely tokens adding up to P (default: {d.top_p}; 1: off)")
    parser.add_argument("--beams", type=int, default=1, metavar="K",
                        help="beam search with K beams, at most the vocabulary size; prints every beam with its score "
                             "(default: 1, off)")
    parser.add_argument("--length-penalty", type=float, default=d.length_penalty, metavar="A",
                        help=f"beam score = log-probability / length ** A (default: {d.length_penalty})")
    parser.add_argument("--stop", action="append", default=[], metavar="TEXT",
                        help="stop before this text (repeatable)")
    parser.add_argument("--num-samples", type=int, default=1, metavar="N", help="samples of the prompt, "
                        "generated as one batch, which must fit in the device's memory (default: 1)")
    parser.add_argument("--seed", type=int, help="seed for reproducible samples")
    parser.add_argument("--stream", action="store_true", help="print the text as it is generated")
    parser.add_argument("--no-cache", action="store_true", help="re-read the whole window every step (slow)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: auto)")


def run_from_args(args) -> int:
    """`minillm sample`: continue a prompt with a trained model and print the text."""
    cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, temperature=args.temperature, top_k=args.top_k,
                           top_p=args.top_p, num_beams=args.beams, length_penalty=args.length_penalty,
                           stop=tuple(args.stop), seed=args.seed, use_cache=not args.no_cache)
    if args.num_samples < 1:
        raise UserError(f"--num-samples must be >= 1, got {args.num_samples}")
    if args.stream and (args.beams > 1 or args.num_samples > 1):
        raise UserError("--stream prints one sample as it is generated; it cannot go with --beams or --num-samples")
    folder = args.checkpoint or artifacts.get("pretrain", args.preset)
    model, tok = load_model(folder)
    model.to(pick_device(args.device))
    prompt = encode_prompt(tok, args.prompt)
    check_memory(model, args.num_samples, len(prompt) + cfg.max_new_tokens)  # before a list of num_samples prompts
    if args.stream:
        print(args.prompt, end="", flush=True)
        for piece in stream(model, tok, prompt, cfg):
            print(piece, end="", flush=True)
        print()
    elif args.beams > 1:
        cfg = _text_config(tok, cfg, {})
        beams = beam_search(model, prompt, cfg.num_beams, cfg.max_new_tokens, cfg.length_penalty, cfg.eos_token_id,
                            cfg.use_cache)
        for beam in beams:
            text = cut_at_stop(tok.decode(beam.tokens), cfg.stop)
            print(f"[score {beam.score:.3f}, log-probability {beam.logprob:.2f}] {args.prompt}{text}")
    else:
        texts = generate_text(model, tok, [prompt] * args.num_samples, cfg)
        print("\n---\n".join(args.prompt + text for text in texts))
    sys.stdout.flush()
    return 0
