"""Cloze scoring by teacher forcing: what the model knows, measured while it trains (lesson 07).

For a prompt and its answer ("The capital of France is" + " Paris"), one forward pass over both gives the
model's next-token distribution at every answer position. Greedy decoding writes the answer exactly when each
answer token is the most likely one at its position and the token after it does not carry the word on ("12"
is not "120"). So one batched pass tells, for every prompt, whether greedy decoding gets it right, the
probability of the whole answer (the product of its tokens' probabilities), and the rank of its first token
among the whole vocabulary (1: the model's first choice).
"""

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from minillm.errors import UserError
from minillm.nn import eval_mode


def read_prompts(path: Path) -> list[dict]:
    """{"prompt", "answer", ...} records, one JSON object per line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"no prompts file at {path} (regenerate the bundled data with `minillm world`)") from None
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
            if not (isinstance(row["prompt"], str) and isinstance(row["answer"], str) and row["prompt"]
                    and row["answer"]):
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{path}:{number}: not a JSON record with a \"prompt\" and an \"answer\" string") from None
        rows.append(row)
    return rows


def continues_word(text: str) -> bool:
    """Would this text, right after an answer, make it a longer word or number ("Paris" + "ian", "12" + "0")?"""
    return text[:1].isalnum()


@torch.no_grad()
def score_cloze(model, tok, rows: list[dict], batch_size: int = 128) -> list[dict]:
    """For each {"prompt", "answer"}: {"greedy": bool, "p_answer": float, "rank": int} by teacher forcing."""
    device = next(model.parameters()).device
    scores = []
    with eval_mode(model):
        for start in range(0, len(rows), batch_size):
            scores += score_batch(model, tok, rows[start:start + batch_size], device)
    return scores


def score_batch(model, tok, rows: list[dict], device) -> list[dict]:
    answers = [tok.encode(" " + row["answer"]) for row in rows]
    block_size = model.config.block_size
    if max(map(len, answers)) >= block_size:
        raise UserError(f"an answer takes {max(map(len, answers))} tokens, the model reads only {block_size}")
    # a prompt longer than the window keeps its end, as generation does
    prompts = [tok.encode(row["prompt"])[-(block_size - len(answer)):] for row, answer in zip(rows, answers)]
    width = max(len(p) + len(a) for p, a in zip(prompts, answers))
    ids = torch.zeros(len(rows), width, dtype=torch.long)  # (B, T), right-padded: causal attention ignores the tail
    for row, (prompt, answer) in enumerate(zip(prompts, answers)):
        ids[row, :len(prompt) + len(answer)] = torch.tensor(prompt + answer)
    logits, _ = model(ids.to(device))  # (B, T, V)
    log_probs = F.log_softmax(logits.float(), dim=-1).cpu()
    scores = []
    for row, (prompt, answer) in enumerate(zip(prompts, answers)):
        positions = torch.arange(len(prompt) - 1, len(prompt) + len(answer) - 1)  # where each answer token is predicted
        targets = torch.tensor(answer)
        here = log_probs[row, positions]  # (A, V)
        greedy = bool((here.argmax(dim=-1) == targets).all())
        after = len(prompt) + len(answer) - 1  # the prediction after the last answer token
        if greedy:
            greedy = not continues_word(tok.decode([int(log_probs[row, after].argmax())]))
        first = here[0]
        scores.append({"greedy": greedy, "p_answer": float(here.gather(1, targets[:, None]).sum().exp()),
                       "rank": int((first > first[answer[0]]).sum()) + 1})
    return scores


def typical_probability(probabilities: list[float]) -> float:
    """The geometric mean: the probability the model typically puts on the right answer (one confident miss
    counts, unlike in an average of probabilities)."""
    if not probabilities:
        return float("nan")
    return math.exp(sum(math.log(max(p, 1e-30)) for p in probabilities) / len(probabilities))
