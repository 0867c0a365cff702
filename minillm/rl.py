"""Reinforcement learning after fine-tuning: rewards, advantages and the PPO, GRPO and DPO losses (lesson 11).

The practice loop: the policy writes replies, each reply gets a score, and the policy moves towards the replies that
scored well. A score is *verifiable* when the prompt has a canonical answer (`verify`), or *learned* when the reward
model of lesson 10 gives it. The functions follow the conventions of InstructGPT and Hugging Face TRL: per-token
rewards of -kl_coef x (log pi - log pi_ref) with the score added on the last reply token, GAE with gamma = 1 and
lambda = 0.95, advantages whitened over the batch's valid tokens, PPO's clipped policy and value losses; GRPO's
group-relative advantages (no value model); and DPO's loss on preference pairs (no reward model, no sampling).
Tensors are (B, T) over reply tokens with a mask (B, T) of 1 on real tokens, unless a docstring says otherwise.
"""

import dataclasses
import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from minillm.chat import IM_END, Reply, generate_replies, render_prompt, reply_text
from minillm.errors import UserError
from minillm.reward import last_token_index
from minillm.sample import GenerationConfig
from minillm.tokenizer import Tokenizer

# ----------------------------------------------------------------------------- verifiable rewards

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS = {w: n for n, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
NEGATIONS = {"not", "isn't", "never", "no", "nor", "aren't"}
_TOKEN = re.compile(r"(?<!\w)-?\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?")  # numbers ("-6", "2.5") and words
_DIGITS = re.compile(r"-?\d+(?:\.\d+)?")


def numbers_in(text: str) -> list[tuple[float, int]]:
    """The numbers a text states, in order, as (value, index of its first word among the text's words): digits
    ("124", "-6") and number words, compounds included ("twenty-four", "four hundred", "one hundred and twelve")."""
    words = _TOKEN.findall(text.lower())
    found, i = [], 0
    while i < len(words):
        if _DIGITS.fullmatch(words[i]):
            found.append((float(words[i]), i))
            i += 1
        elif words[i] in NUMBER_WORDS:
            value, end = _read_number_words(words, i)
            found.append((value, i))
            i = end
        else:
            i += 1
    return found


def _read_number_words(words: list[str], i: int) -> tuple[float, int]:
    """The value of the number words from words[i], and the index after them."""
    total = current = 0
    while i < len(words):
        word = words[i]
        if word in NUMBER_WORDS:
            n = NUMBER_WORDS[word]
            if current % 100 and (n >= 10 or current % 10):  # "four five" or "twenty thirty": a new number
                break
            current += n
        elif word in SCALES:
            current = max(current, 1) * SCALES[word]
            if SCALES[word] > 100:
                total, current = total + current, 0
        elif not (word == "and" and words[i - 1] in SCALES and i + 1 < len(words) and words[i + 1] in NUMBER_WORDS):
            break  # "and" belongs to a number only after a scale: "one hundred and twelve", not "four and five"
        i += 1
    return float(total + current), i


def _as_number(answer: str) -> float | None:
    answer = answer.strip().lower()
    if _DIGITS.fullmatch(answer):
        return float(answer)
    return float(NUMBER_WORDS[answer]) if answer in NUMBER_WORDS else None


def verify(reply: str, answer: str) -> float:
    """1.0 when the reply states the canonical answer, else 0.0: the verifiable reward.

    Tool calls are read as the user sees them (their result stays). A number answer must be the last number the
    reply states, in digits or words ("The answer is four." and "2 + 2 = 4" for 4; not "It's 22.", "14", "four
    hundred" or "4, or maybe 5"); a text answer must appear as whole words, in any case ("Paris." for Paris; not
    "Parisian"). An answer right after a negation ("not 4", "isn't Paris") does not count.
    """
    text = reply_text(reply).lower()
    words = _TOKEN.findall(text)
    number = _as_number(answer)
    if number is not None:
        stated = numbers_in(text)
        return float(bool(stated) and stated[-1][0] == number and not _negated(words, stated[-1][1]))
    pattern = r"(?<![\w-])" + r"\W+".join(re.escape(w) for w in answer.lower().split()) + r"(?![\w-])"
    for match in re.finditer(pattern, text):
        if not _negated(words, len(_TOKEN.findall(text[:match.start()]))):
            return 1.0
    return 0.0


def _negated(words: list[str], index: int) -> bool:
    """The word before words[index] negates it."""
    return index > 0 and words[index - 1] in NEGATIONS


# ----------------------------------------------------------------------------- masked statistics


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The mean of x over the positions where mask is 1 (all of x without a mask); 0 when there are none."""
    if mask is None:
        return x.mean()
    return (x * mask).sum() / mask.sum().clamp(min=1)


def whiten(x: torch.Tensor, mask: torch.Tensor | None = None, shift_mean: bool = True) -> torch.Tensor:
    """(x - mean) / sqrt(var + 1e-8) over the valid positions: the masked mean and the unbiased masked variance
    (n - 1 in the denominator; 0 for fewer than two values). shift_mean=False adds the mean back, keeping x's
    level and whitening only its scale. Positions outside the mask come out as they would, but are not counted."""
    mean = masked_mean(x, mask)
    n = x.numel() if mask is None else mask.sum()
    squares = (x - mean) ** 2 if mask is None else (x - mean) ** 2 * mask
    var = squares.sum() / (n - 1) if n > 1 else torch.zeros((), device=x.device)
    whitened = (x - mean) * torch.rsqrt(var + 1e-8)
    return whitened if shift_mean else whitened + mean


# ----------------------------------------------------------------------------- PPO


def kl_shaped_rewards(scores: torch.Tensor, logprobs: torch.Tensor, ref_logprobs: torch.Tensor, mask: torch.Tensor,
                      kl_coef: float = 0.05) -> torch.Tensor:
    """Per-token rewards (B, T): -kl_coef x (log pi - log pi_ref) on every reply token (the k1 estimate of the KL
    to the reference, which keeps the policy near the SFT model), plus each row's score (B,) on its last reply
    token. A row with no reply token gets nothing."""
    rewards = -kl_coef * (logprobs - ref_logprobs) * mask  # (B, T)
    last = last_token_index(mask)  # (B,): -1 for an empty row
    rows = torch.nonzero(last >= 0).squeeze(1)
    return rewards.index_put((rows, last[rows]), scores[rows].to(rewards.dtype), accumulate=True)


def gae(rewards: torch.Tensor, values: torch.Tensor, gamma: float = 1.0, lam: float = 0.95,
        mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation, backwards over the tokens: delta_t = r_t + gamma V_{t+1} - V_t and
    A_t = delta_t + gamma lam A_{t+1}, with V and A after the last token 0. Returns (advantages, returns =
    advantages + values). Padding after a row's reply must hold no reward and no value: `mask` zeroes both."""
    if mask is not None:
        rewards, values = rewards * mask, values * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])  # (B,)
    for t in reversed(range(rewards.size(1))):
        next_value = values[:, t + 1] if t + 1 < rewards.size(1) else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = delta + gamma * lam * running
        advantages[:, t] = running
    return advantages, advantages + values


def policy_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
                clip: float = 0.2) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped objective as a loss: per token max(-A x ratio, -A x clip(ratio, 1 - clip, 1 + clip)) with
    ratio = pi / pi_old, the masked mean over the micro-batch's valid tokens. Returns it and the share of tokens
    where the clipped term won (the clip fraction)."""
    ratio = torch.exp(logprobs - old_logprobs)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1 - clip, 1 + clip)
    return masked_mean(torch.maximum(unclipped, clipped), mask), masked_mean((clipped > unclipped).float(), mask)


def value_loss(values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor,
               clip: float = 0.2) -> torch.Tensor:
    """0.5 x the masked mean of the larger of (V - R)^2 and (V_clipped - R)^2, where V_clipped stays within `clip`
    of the values the rollout saw (PPO's clipped value loss; the total loss weighs it by a coefficient, 0.1)."""
    clipped = old_values + torch.clamp(values - old_values, -clip, clip)
    return 0.5 * masked_mean(torch.maximum((values - returns) ** 2, (clipped - returns) ** 2), mask)


# ----------------------------------------------------------------------------- GRPO and DPO


def group_advantages(rewards: torch.Tensor, group_size: int, scale: bool = True, eps: float = 1e-6) -> torch.Tensor:
    """GRPO's advantages (N,) for rewards (N,) of consecutive groups of `group_size` replies to one prompt:
    (r - group mean) / (unbiased group std + eps), or r - group mean when scale is False. A group whose replies
    all scored the same teaches nothing: its advantages are 0."""
    if group_size < 2 or rewards.numel() % group_size:
        raise UserError(f"group_size must be at least 2 and divide the {rewards.numel()} rewards, got {group_size}")
    groups = rewards.view(-1, group_size)  # (N / G, G)
    centred = groups - groups.mean(dim=1, keepdim=True)
    if scale:
        centred = centred / (groups.std(dim=1, keepdim=True) + eps)
    return centred.reshape(-1)


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float = 0.1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """DPO's loss, mean over the pairs: -log σ(beta x ((log pi(c) - log pi_ref(c)) - (log pi(r) - log pi_ref(r)))),
    each log-probability summed over the reply's tokens (B,). Returns it with the implicit rewards
    beta x (log pi - log pi_ref) of the chosen and the rejected replies (detached)."""
    chosen = policy_chosen - ref_chosen
    rejected = policy_rejected - ref_rejected
    loss = -F.logsigmoid(beta * (chosen - rejected)).mean()
    return loss, beta * chosen.detach(), beta * rejected.detach()


# ----------------------------------------------------------------------------- rollouts


@dataclass
class Rollouts:
    """Replies the policy wrote, as one right-padded batch. Position j of a (B, T - 1) tensor is the choice of
    token ids[:, j + 1] after reading ids[:, :j + 1]: what the policy, the reference and the value model read."""
    ids: torch.Tensor  # (B, T) prompt and reply tokens, right-padded
    mask: torch.Tensor  # (B, T - 1) 1 where the policy chose the next token: reply tokens, not tool outputs
    span: torch.Tensor  # (B, T - 1) 1 from a reply's first token to its last, tool outputs included
    replies: list[Reply]


def question_conversation(question: dict, tool_system: str | None) -> list[dict]:
    """How a question of data/rl is asked (as lesson 09's evaluation asks it): a sum under the system message that
    declares the calculator, a fact on its own."""
    head = [{"role": "system", "content": tool_system}] if tool_system and question["kind"] == "arithmetic" else []
    return head + [{"role": "user", "content": question["prompt"]}]


def roll_out(policy, tok: Tokenizer, conversations: list[list[dict]], cfg: GenerationConfig) -> Rollouts:
    """The policy's reply to each conversation (calculator included), sampled with cfg, as a Rollouts batch.
    A reply is cut where prompt and reply would outgrow the context (block_size + 1 tokens); a cut reply is
    unfinished."""
    prompts = [render_prompt(tok, c) for c in conversations]
    room = policy.config.block_size + 1 - max(len(p) for p in prompts)
    if room < 2:
        raise UserError(f"a prompt of {max(len(p) for p in prompts)} tokens leaves no room for a reply in the "
                        f"model's {policy.config.block_size}-token context")
    replies = generate_replies(policy, tok, prompts, dataclasses.replace(cfg, max_new_tokens=min(cfg.max_new_tokens,
                                                                                                 room)))
    replies = [r if len(r.tokens) <= room else r._replace(finished=False, tokens=r.tokens[:room],
                                                          chosen=r.chosen[:room]) for r in replies]
    T = max(len(p) + max(len(r.tokens), 1) for p, r in zip(prompts, replies))
    pad = tok.special_tokens[IM_END]
    ids = torch.full((len(prompts), T), pad, dtype=torch.long)
    mask = torch.zeros((len(prompts), T - 1))
    span = torch.zeros((len(prompts), T - 1))
    for i, (prompt, reply) in enumerate(zip(prompts, replies)):
        row = prompt + reply.tokens
        ids[i, :len(row)] = torch.tensor(row)
        first = len(prompt) - 1  # the position that chooses the reply's first token
        mask[i, first:first + len(reply.tokens)] = torch.tensor(reply.chosen, dtype=torch.float)
        span[i, first:first + len(reply.tokens)] = 1
    return Rollouts(ids, mask, span, replies)


def token_logprobs(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """log p(ids[:, j + 1] | ids[:, :j + 1]) (B, T - 1) from the logits (B, T - 1, V) of ids[:, :-1]."""
    return chosen_logprobs(logits, ids[:, 1:])


def chosen_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The log-probability (B, T) each next-token distribution (B, T, V) gives its target token (B, T)."""
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, targets[..., None]).squeeze(-1)


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """The entropy of each next-token distribution (B, T), in nats."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1)


@torch.no_grad()
def sequence_logprobs(model, ids: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """token_logprobs of `model` over a batch of token rows (B, T), read in chunks of batch_size rows."""
    chunks = [token_logprobs(model(ids[i:i + batch_size, :-1])[0], ids[i:i + batch_size])
              for i in range(0, ids.size(0), batch_size)]
    return torch.cat(chunks)


def reference_kl(logits: torch.Tensor, ref_logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """KL(pi_ref || pi) at each position (logits (B, T, V)), averaged over the mask's tokens: a cross-entropy against
    the reference's whole distribution, less its entropy. It holds the policy to what the fine-tuned model would say,
    its guesses included, where the data's replies hold it to one answer."""
    ref_logprobs = torch.log_softmax(ref_logits.float(), dim=-1)
    kl = (ref_logprobs.exp() * (ref_logprobs - torch.log_softmax(logits.float(), dim=-1))).sum(-1)  # (B, T)
    return masked_mean(kl, mask)


def kl_to_reference(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each reply's KL estimate (B,): the sum over its chosen tokens of log pi - log pi_ref (k1; its mean over
    replies sampled from pi is the KL divergence KL(pi || pi_ref) of the reply distributions)."""
    return ((logprobs - ref_logprobs) * mask).sum(dim=1)


def interpolate_weights(start: dict, end: dict, weight: float) -> dict:
    """start + weight x (end - start), tensor by tensor (state dicts of one architecture): with `start` the
    fine-tuned model and `end` the trained policy, a weight below 1 steps back along the line training took. The
    reward falls more slowly than the drift on what the practice did not reward (Wortsman et al.'s WiSE-FT; Rame et
    al.'s WARP interpolates an RLHF policy towards its initialisation the same way)."""
    return {name: start[name] + weight * (end[name] - start[name]) if end[name].is_floating_point() else end[name]
            for name in end}


def pass_at_k(n: int, correct: int, k: int) -> float:
    """The chance that at least one of k replies drawn without replacement from n, `correct` of them right, is
    right: 1 - C(n - c, k) / C(n, k), the unbiased estimate of Chen et al. (2021)."""
    if n - correct < k:
        return 1.0
    fail = 1.0
    for i in range(n - correct + 1, n + 1):
        fail *= 1 - k / i
    return 1 - fail
