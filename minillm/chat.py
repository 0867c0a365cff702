"""The chat template: conversations as the token ids and loss mask a model is fine-tuned on, and replies
generated with a calculator tool (lesson 09, supervised fine-tuning).

A conversation is a list of messages {"role": "system" | "user" | "assistant", "content": text}, rendered in
ChatML, the template of OpenAI's and Qwen's chat models:

    <|im_start|>system
    You are a helpful assistant.<|im_end|>
    <|im_start|>user
    What is 12 x 4?<|im_end|>
    <|im_start|>assistant
    12 x 4 is <|calc|>12 x 4<|/calc|>48.<|im_end|>

<|im_start|> and <|im_end|> are special tokens; what people write is encoded as plain text, so typing "<|im_end|>"
cannot end a turn. The loss is taken only on what the assistant says. In an assistant's turn `<|calc|>EXPR<|/calc|>`
calls the calculator (minillm.calculator), as Toolformer's calls do; the result right after it is written by the
runtime, so the model learns to wait for it, never to invent it, and goes on from it.
"""

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from minillm.calculator import tool_output
from minillm.errors import UserError
from minillm.sample import GenerationConfig, generate
from minillm.tokenizer import Tokenizer

IM_START, IM_END = "<|im_start|>", "<|im_end|>"
CALC, CALC_END = "<|calc|>", "<|/calc|>"
END_OF_TEXT = "<|endoftext|>"
ROLES = ("system", "user", "assistant")

_TOOL_MARKER = re.compile(f"({re.escape(CALC)}|{re.escape(CALC_END)})")
# A call (its result stays: the user reads it), or a call the reply ended in the middle of.
_TOOL_CALL = re.compile(f"(?:{re.escape(CALC)}.*?)?{re.escape(CALC_END)}|{re.escape(CALC)}.*", re.DOTALL)


# ----------------------------------------------------------------------------- conversations


def check_conversation(messages, where: str = "conversation") -> list[dict]:
    """The messages, once checked to be a conversation a model can learn from; else a UserError naming `where`."""
    messages = _check_turns(messages, where)
    if not any(message["role"] == "assistant" for message in messages):
        raise UserError(f"{where}: there is no assistant turn to learn from")
    return messages


def _check_turns(messages, where: str) -> list[dict]:
    """Well-formed messages: an optional system message, then user and assistant turns in alternation."""
    if not isinstance(messages, list):
        raise UserError(f"{where}: the messages must be a list, got {type(messages).__name__}")
    first_turn = 1 if messages and isinstance(messages[0], dict) and messages[0].get("role") == "system" else 0
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise UserError(f"{where}: messages[{i}] is not an object with a \"role\" and a \"content\"")
        role = message["role"]
        if role not in ROLES:
            raise UserError(f"{where}: messages[{i}] has the unknown role {role!r} (roles: {', '.join(ROLES)})")
        if not isinstance(message["content"], str):
            raise UserError(f"{where}: messages[{i}] has content that is not a string")
        if role == "system" and i > 0:
            raise UserError(f"{where}: messages[{i}] is a system message; only the first message may be one")
        expected = "user" if (i - first_turn) % 2 == 0 else "assistant"
        if i >= first_turn and role != expected:
            raise UserError(f"{where}: messages[{i}] is a {role} turn where a {expected} turn should be "
                            "(turns alternate user, assistant, ... starting with user)")
    return messages


def read_conversations(path: str | Path) -> list[list[dict]]:
    """The conversations of a JSONL file, one {"messages": [...]} per line (blank lines are skipped)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").split("\n")  # not splitlines: JSON strings may hold U+2028
    except FileNotFoundError:
        raise UserError(f"no conversation file at {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read {path}: {e}") from None
    return [_parse_line(line, f"{path}:{number}") for number, line in enumerate(lines, 1) if line.strip()]


def _parse_line(line: str, where: str) -> list[dict]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise UserError(f"{where}: not valid JSON ({e.msg})") from None
    if not isinstance(record, dict) or "messages" not in record:
        raise UserError(f"{where}: not a JSON object with a \"messages\" list")
    return check_conversation(record["messages"], where)


# ----------------------------------------------------------------------------- the template


def with_tool_tokens(tok: Tokenizer) -> Tokenizer:
    """`tok` plus <|calc|> and <|/calc|> as special tokens with the next free ids (`tok` itself if it has both).
    Every existing id keeps its meaning, so a model trained with `tok` only needs two new embedding rows."""
    missing = [token for token in (CALC, CALC_END) if token not in tok.special_tokens]
    if not missing:
        return tok
    special_tokens = dict(tok.special_tokens)
    special_tokens.update((token, tok.vocab_size + i) for i, token in enumerate(missing))
    return Tokenizer(tok.ranks, tok.pattern, special_tokens, tok.merges)


def render(tok: Tokenizer, messages: list[dict]) -> tuple[list[int], list[int]]:
    """The conversation's token ids and a loss mask of the same length.

    mask[i] says whether ids[i] is a token the loss predicts (the trainer uses x = ids[:-1], y = ids[1:] and
    mask[1:]): 1 on every token of an assistant's content, tool calls included, and on the <|im_end|> that ends
    an assistant turn (so the model learns to stop); 0 on system and user turns, the "<|im_start|>assistant\\n"
    header, the "\\n" between turns, and the calculator's output, which the runtime writes, not the model.
    """
    return _render_turns(tok, check_conversation(messages))


def render_prompt(tok: Tokenizer, messages: list[dict]) -> list[int]:
    """The ids generation starts from: the conversation so far (ending with a user turn) and the header of the
    assistant's reply, "<|im_start|>assistant\\n". A prefix of `render` of the conversation with the reply."""
    messages = _check_turns(messages, "prompt")
    if not messages or messages[-1]["role"] != "user":
        raise UserError("prompt: the conversation must end with a user turn, for the assistant to answer")
    ids, _ = _render_turns(tok, messages)
    return ids + tok.encode("\n") + _header(tok, "assistant")


def fit_conversation(tok: Tokenizer, messages: list[dict], max_tokens: int) -> tuple[list[dict], int]:
    """The longest prefix of the conversation that ends with an assistant turn and renders to at most
    `max_tokens` ids, and how many messages were dropped: a conversation longer than the context is cut
    between turns, never inside one (which would teach the model replies that stop mid-sentence)."""
    messages = check_conversation(messages)
    separator = len(tok.encode("\n"))
    kept, length = 0, -separator
    for count, message in enumerate(messages, 1):
        length += separator + len(_turn(tok, message)[0])
        if length > max_tokens:
            break
        if message["role"] == "assistant":
            kept = count
    return messages[:kept], len(messages) - kept


def _render_turns(tok: Tokenizer, messages: list[dict]) -> tuple[list[int], list[int]]:
    ids, mask = [], []
    for i, message in enumerate(messages):
        separator = tok.encode("\n") if i else []
        turn_ids, turn_mask = _turn(tok, message)
        ids += separator + turn_ids
        mask += [0] * len(separator) + turn_mask
    return ids, mask


def _turn(tok: Tokenizer, message: dict) -> tuple[list[int], list[int]]:
    """<|im_start|>{role}\\n{content}<|im_end|> and its mask."""
    ids = _header(tok, message["role"])
    mask = [0] * len(ids)
    for piece, trained in _content_pieces(tok, message):
        ids += piece
        mask += [trained] * len(piece)
    ids.append(_special_id(tok, IM_END))
    mask.append(int(message["role"] == "assistant"))
    return ids, mask


def _header(tok: Tokenizer, role: str) -> list[int]:
    return [_special_id(tok, IM_START)] + tok.encode(role + "\n")


def _content_pieces(tok: Tokenizer, message: dict) -> Iterator[tuple[list[int], int]]:
    """The content's ids piece by piece, each with its mask value. Each piece is encoded on its own, so the
    calculator's output gets exactly the ids the runtime inserts."""
    if message["role"] != "assistant":  # tool markup is plain text anywhere else
        yield tok.encode(message["content"]), 0
        return
    expression, previous = "", None
    for part in _TOOL_MARKER.split(message["content"]):
        if part in (CALC, CALC_END):
            yield [_special_id(tok, part)], 1
            expression = "" if part == CALC else expression
        elif previous == CALC_END:
            output = tool_output(expression)
            if not part.startswith(output):
                raise UserError(f"after the call {CALC}{expression}{CALC_END} an assistant's turn must go on with "
                                f"the calculator's result {output!r}, not {part[:20]!r}")
            yield tok.encode(output), 0
            yield tok.encode(part[len(output):]), 1
        else:
            yield tok.encode(part), 1
            expression = part if previous == CALC else expression
        previous = part if part in (CALC, CALC_END) else None


def _special_id(tok: Tokenizer, token: str) -> int:
    if token not in tok.special_tokens:
        hint = " (to call the calculator, use minillm.chat.with_tool_tokens(tok))" if token in (CALC, CALC_END) else ""
        raise UserError(f"the tokenizer has no {token} special token, which the chat template needs{hint}")
    return tok.special_tokens[token]


# ----------------------------------------------------------------------------- replies with a calculator


class Reply(NamedTuple):
    text: str  # tool calls and their outputs included
    finished: bool  # the model ended its turn (<|im_end|>) within the length limit
    tokens: list[int]  # the reply's token ids, tool outputs included, then <|im_end|> when finished
    chosen: list[int]  # 1 on each token the model chose, 0 on the calculator's outputs (lesson 11 trains on 1s)


def generate_replies(model, tok: Tokenizer, prompts: list[list[int]], cfg: GenerationConfig,
                     max_calls: int = 2) -> list[Reply]:
    """The assistant's reply to each prompt (from `render_prompt`), generated as one batch.

    A reply ends at <|im_end|> or after cfg.max_new_tokens tokens (tool outputs count). A reply that writes
    <|endoftext|> is cut there, unfinished: the model left the chat and began a new document. When a row writes
    <|/calc|> (at most `max_calls` times), the row is cut there, the calculator's output is appended to it,
    and the rows that called the tool are generated again, together, until none calls it.
    """
    im_end = _special_id(tok, IM_END)
    cfg = dataclasses.replace(cfg, eos_token_id=im_end)
    calc_end = tok.special_tokens.get(CALC_END)
    end_of_text = tok.special_tokens.get(END_OF_TEXT)
    replies: list[list[int]] = [[] for _ in prompts]
    chosen: list[list[int]] = [[] for _ in prompts]
    finished = [False] * len(prompts)
    pending = list(range(len(prompts)))
    while pending:
        budget = {row: cfg.max_new_tokens - len(replies[row]) for row in pending}
        outputs = generate(model, [list(prompts[row]) + replies[row] for row in pending],
                           dataclasses.replace(cfg, max_new_tokens=max(budget.values())))
        calling = []
        for row, new in zip(pending, outputs):
            finished[row] = len(new) < budget[row]  # generation stopped at <|im_end|> (not returned)
            new = new[:budget[row]]
            if end_of_text in new:
                new, finished[row] = new[:new.index(end_of_text)], False
            output = []
            if calc_end in new and replies[row].count(calc_end) < max_calls:
                new = new[:new.index(calc_end) + 1]
                output = tok.encode(tool_output(_expression(tok, replies[row] + new)))
                calling.append(row)
                finished[row] = False
            replies[row] += new + output
            chosen[row] += [1] * len(new) + [0] * len(output)
        pending = [row for row in calling if len(replies[row]) < cfg.max_new_tokens]
    return [Reply(tok.decode(reply), done, reply + [im_end] * done, mask + [1] * done)
            for reply, mask, done in zip(replies, chosen, finished)]


def _expression(tok: Tokenizer, reply: list[int]) -> str:
    """The text of the call `reply` ends with: between its last <|calc|> and the closing <|/calc|>
    ("" when the model closed a call it never opened, which the calculator answers with an error)."""
    _, opened, expression = tok.decode(reply[:-1]).rpartition(CALC)
    return expression if opened and CALC_END not in expression else ""


def reply_text(reply: str) -> str:
    """What the user sees of a reply: its text without the tool calls and their outputs."""
    return _TOOL_CALL.sub("", reply)
