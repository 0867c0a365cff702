"""The chatbot system around the fine-tuned model (lesson 12, the chatbot and its evaluation).

    user input -> input guardrail -> prompt enhancer -> response generator -> output guardrail -> user

Each stage is a small class that a learner can replace with their own. The session's whole history goes to the
model every turn, cut from its oldest end to fit the context window; an unsafe request gets a fixed refusal
without the model being called. The input guardrail and the prompt enhancer live in `minillm.screen`; the
sessions, the generator, the output guardrail and the chatbot that wires them all live here.
"""

import dataclasses
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from minillm.calculator import tool_output
from minillm.chat import CALC, CALC_END, END_OF_TEXT, IM_END, Reply, generate_replies, render_prompt, reply_text
from minillm.errors import UserError
from minillm.reward import score as reward_score
from minillm.sample import GenerationConfig, TextStream, stream_ids
from minillm.screen import REFUSAL_START, Change, Decision, Enhanced, Enhancer, Guardrail, check_message

log = logging.getLogger(__name__)

REFUSAL = "I can't help with that request. I'm happy to help with something else, like a question about the world."
FALLBACK = "Sorry, I could not write a good answer to that. Could you ask it in another way?"
MAX_SESSION_ID_CHARS = 200


# ----------------------------------------------------------------------------- sessions


@dataclass
class Session:
    """One conversation: an optional system message and the turns so far, in minillm.chat's message format."""

    system: str | None = None
    turns: list[dict] = field(default_factory=list)
    dropped: int = 0  # turns left out so far because the history outgrew the context window

    def __post_init__(self):
        if self.system is not None and not isinstance(self.system, str):
            raise UserError(f"a system message must be text, got {type(self.system).__name__}")

    @property
    def messages(self) -> list[dict]:
        return self._head() + self.turns

    def _head(self) -> list[dict]:
        return [{"role": "system", "content": self.system}] if self.system else []

    def prompt(self, tok, text: str, max_tokens: int) -> tuple[list[int], int]:
        """The ids the reply starts from (the system message, the history and the new user turn, in the chat
        template) in at most `max_tokens`, and how many of the oldest turns had to be left out for it: they go
        in pairs (a user turn and its reply), and the system message always stays."""
        for drop in range(0, len(self.turns) + 1, 2):
            ids = render_prompt(tok, self._head() + self.turns[drop:] + [{"role": "user", "content": text}])
            if len(ids) <= max_tokens:
                return ids, drop
        raise UserError(f"the message needs {len(ids):,} tokens with the system message, more than the "
                        f"{max_tokens:,} the context window leaves for it: write a shorter one")

    def add(self, text: str, reply: str, dropped: int = 0) -> None:
        """Record a turn and its reply, leaving out the `dropped` oldest turns that `prompt` left out."""
        del self.turns[:dropped]
        self.dropped += dropped
        self.turns += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]

    def reset(self) -> None:
        self.turns.clear()
        self.dropped = 0


class SessionStore:
    """Sessions by id (a browser tab, a user), at most `max_sessions` in memory: the least recently used one is
    forgotten when a new one comes. Safe to share between the threads of a web server."""

    def __init__(self, max_sessions: int = 1000, system: str | None = None):
        if not isinstance(max_sessions, int) or max_sessions < 1:
            raise UserError(f"max_sessions must be a whole number >= 1, got {max_sessions!r}")
        self.max_sessions, self.system = max_sessions, system
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def get(self, session_id) -> Session:
        """The session with this id, a new one if there is none."""
        _check_session_id(session_id)
        with self._lock:
            if session_id in self._sessions:
                self._sessions.move_to_end(session_id)
            else:
                self._sessions[session_id] = Session(self.system)
                if len(self._sessions) > self.max_sessions:
                    self._sessions.popitem(last=False)
            return self._sessions[session_id]

    def __contains__(self, session_id) -> bool:
        return session_id in self._sessions

    def __len__(self) -> int:
        return len(self._sessions)


def _check_session_id(session_id) -> None:
    if not isinstance(session_id, str):
        raise UserError(f"a session id must be a string, got {type(session_id).__name__}")
    if not session_id or len(session_id) > MAX_SESSION_ID_CHARS:
        raise UserError(f"a session id must have 1 to {MAX_SESSION_ID_CHARS} characters, got {len(session_id):,}")


# ----------------------------------------------------------------------------- the response generator

CHAT_SETTINGS = GenerationConfig(max_new_tokens=80, temperature=0.7, top_p=0.9)


class Stream:
    """Text pieces to show as they come; once they have all been read, `result` holds what produced them returned.
    A consumer that stops early (Ctrl-C, a closed browser tab) leaves `result` None."""

    def __init__(self, pieces: Iterator[str]):
        self._pieces, self.result = pieces, None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._pieces is None:
            raise StopIteration
        try:
            return next(self._pieces)
        except StopIteration as end:  # the generator's return value rides on its StopIteration
            self.result, self._pieces = end.value, None
            raise


class Generator:
    """The model's reply to a prompt in the chat template (from `Session.prompt`): sampled with `settings`
    (temperature, top-p, max_new_tokens, seed), ended by <|im_end|>, with the calculator run when the model calls
    it (at most `max_calls` times)."""

    def __init__(self, model, tok, settings: GenerationConfig = CHAT_SETTINGS, max_calls: int = 2):
        if IM_END not in tok.special_tokens:
            raise UserError(f"the tokenizer has no {IM_END} special token, which the chat template needs")
        self.model, self.tok, self.settings, self.max_calls = model, tok, settings, max_calls

    def prompt_budget(self) -> int:
        """How many tokens of the context window the prompt may fill: the rest is room for the reply
        (max_new_tokens, at most a quarter of the window; a longer reply slides the window on). A quarter, not more:
        on the tiny model's 128 tokens the calculator's system message and a question need 84."""
        block_size = self.model.config.block_size
        return block_size - min(self.settings.max_new_tokens, block_size // 4)

    def generate(self, prompt: list[int]) -> Reply:
        return generate_replies(self.model, self.tok, [prompt], self.settings, self.max_calls)[0]

    def stream(self, prompt: list[int]) -> Stream:
        """The reply as the user sees it (minillm.chat.reply_text: no tool calls, the calculator's results kept),
        piece by piece as the tokens come; `result` is then the same Reply `generate` gives for the same seed."""
        return Stream(self._pieces(prompt))

    def _pieces(self, prompt: list[int]):
        tok = self.tok
        cfg = dataclasses.replace(self.settings, eos_token_id=tok.special_tokens[IM_END])
        calc, calc_end, end_of_text = (tok.special_tokens.get(t) for t in (CALC, CALC_END, END_OF_TEXT))
        reply, chosen, call = [], [], None  # call: the ids of the tool call being written, None outside one
        shown = TextStream(tok)  # releases whole characters only: a character can span tokens
        calls, finished = 0, False
        while not finished and (budget := cfg.max_new_tokens - len(reply)) > 0:
            count, output = 0, None
            steps = stream_ids(self.model, prompt + reply, dataclasses.replace(cfg, max_new_tokens=budget))
            for count, token in enumerate(steps, 1):
                if token == end_of_text:  # the model left the chat and began a new document
                    break
                reply.append(token)
                chosen.append(1)
                if token == calc:
                    call = []
                elif token == calc_end:
                    expression, call = tok.decode(call or []), None
                    if calls < self.max_calls:
                        output = tool_output(expression)
                        break
                elif call is not None:
                    call.append(token)
                elif piece := shown.push(token):
                    yield piece
            else:
                finished = count < budget  # stream_ids stopped at <|im_end|>
            if output is None:
                break
            calls += 1
            output_ids = tok.encode(output)
            reply += output_ids
            chosen += [0] * len(output_ids)
            yield output
        if rest := shown.close():
            yield rest
        im_end = tok.special_tokens[IM_END]
        return Reply(tok.decode(reply), finished, reply + [im_end] * finished, chosen + [1] * finished)


# ----------------------------------------------------------------------------- the output guardrail


def repeated_ngram(text: str, n: int = 3, max_count: int = 4) -> str | None:
    """A run of n words that the text says `max_count` times or more (a model stuck in a loop), else None."""
    ws = text.lower().split()
    counts = Counter(" ".join(ws[i:i + n]) for i in range(len(ws) - n + 1))
    gram, count = counts.most_common(1)[0] if counts else ("", 0)
    return gram if count >= max_count else None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # why the reply failed ("" when it passed)
    reward: float | None = None  # the reward model's score, when one is used


class OutputGuardrail:
    """Checks a reply before the user sees it: not empty, no run of `ngram` words said `max_count` times (no reply
    of the world's SFT set says a 3-word run 4 times; a model stuck in a loop does), not unsafe by `guardrail`
    (refusals, which start "I can't help", are exempt: they name what they refuse), and, with a reward model, a
    score of at least `min_reward`. A failing reply is replaced by `FALLBACK`, and logged.

    The input guardrail's classifier learned requests, not replies: it judges replies poorly (long stories look
    unsafe to it, a compliant "Put them in your pocket..." does not), which lesson 12 measures."""

    def __init__(self, guardrail: Guardrail | None = None, reward_model=None, reward_tok=None,
                 min_reward: float = 0.0, ngram: int = 3, max_count: int = 4):
        if (reward_model is None) != (reward_tok is None):
            raise UserError("give the reward model and its tokenizer together")
        self.guardrail, self.reward_model, self.reward_tok = guardrail, reward_model, reward_tok
        self.min_reward, self.ngram, self.max_count = min_reward, ngram, max_count

    def check(self, prompt: str, reply: str) -> Verdict:
        if not reply.strip():
            return Verdict(False, "empty reply")
        if (gram := repeated_ngram(reply, self.ngram, self.max_count)) is not None:
            return Verdict(False, f"repetition: {gram!r} {self.max_count}+ times")
        if self.guardrail is not None and not reply.startswith(REFUSAL_START):
            decision = self.guardrail.decide(reply)
            if not decision.safe:
                return Verdict(False, f"unsafe ({decision.reason}, p = {decision.probability:.2f})")
        if self.reward_model is None:
            return Verdict(True, "")
        reward = reward_score(self.reward_model, self.reward_tok, prompt, reply)
        if reward < self.min_reward:
            return Verdict(False, f"reward {reward:.2f} < {self.min_reward:.2f}", reward)
        return Verdict(True, "", reward)

    def apply(self, prompt: str, reply: str) -> tuple[str, Verdict]:
        """The reply, or FALLBACK in its place when it fails (logged with the reason), and the verdict."""
        verdict = self.check(prompt, reply)
        if verdict.ok:
            return reply, verdict
        log.warning("output guardrail replaced a reply (%s): %r", verdict.reason, reply[:200])
        return FALLBACK, verdict


# ----------------------------------------------------------------------------- the chatbot


@dataclass
class BotReply:
    """What happened to one message on its way through the chatbot."""

    text: str  # what the user sees
    refused: bool  # the input guardrail refused the message: the model was not called
    decision: Decision | None  # the input guardrail's (None without one)
    prompt: str  # the message as the model got it, after the enhancer
    changes: list[Change]  # the enhancer's changes
    dropped: int  # oldest turns left out of the history to fit the context window
    verdict: Verdict | None  # the output guardrail's (None when refused, or without one)
    raw: str = ""  # the model's reply, tool calls included
    tokens: int = 0  # tokens the model generated
    seconds: float = 0.0  # time spent generating them

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


class Chatbot:
    """user input -> input guardrail -> prompt enhancer -> generator -> output guardrail -> user, recorded in the
    session (what the user saw is what the model sees next turn). Leave out a guardrail or the enhancer (None)
    to see what it does."""

    def __init__(self, generator: Generator, guardrail: Guardrail | None = None, enhancer: Enhancer | None = None,
                 output_guardrail: OutputGuardrail | None = None):
        self.generator, self.guardrail = generator, guardrail
        self.enhancer, self.output_guardrail = enhancer, output_guardrail

    def reply(self, session: Session, text: str) -> BotReply:
        result = self._prepare(session, text)
        if result.refused:
            return result
        ids, dropped = session.prompt(self.generator.tok, result.prompt, self.generator.prompt_budget())
        start = time.perf_counter()
        reply = self.generator.generate(ids)
        return self._finish(session, result, reply, dropped, time.perf_counter() - start)

    def stream_reply(self, session: Session, text: str) -> Stream:
        """The reply piece by piece; `result` is then the BotReply. The output guardrail can only judge the whole
        reply: when it fails, the pieces shown were the model's and `result.text` is the replacement to show."""
        return Stream(self._stream(session, text))

    def _stream(self, session: Session, text: str):
        result = self._prepare(session, text)
        if result.refused:
            yield result.text
            return result
        ids, dropped = session.prompt(self.generator.tok, result.prompt, self.generator.prompt_budget())
        start = time.perf_counter()
        stream = self.generator.stream(ids)
        yield from stream
        return self._finish(session, result, stream.result, dropped, time.perf_counter() - start)

    def _prepare(self, session: Session, text: str) -> BotReply:
        """Check the message, refuse it (recorded in the session) or enhance it."""
        if not isinstance(session, Session):
            raise UserError(f"a chatbot replies within a Session, got {type(session).__name__}")
        check_message(text)
        decision = self.guardrail.decide(text) if self.guardrail is not None else None
        if decision is not None and not decision.safe:
            log.info("input guardrail refused a message (%s, p = %.2f)", decision.reason, decision.probability)
            session.add(text, REFUSAL)
            return BotReply(REFUSAL, True, decision, text, [], 0, None)
        enhanced = self.enhancer.enhance(text) if self.enhancer is not None else Enhanced(text, [])
        return BotReply("", False, decision, enhanced.text, enhanced.changes, 0, None)

    def _finish(self, session: Session, result: BotReply, reply: Reply, dropped: int, seconds: float) -> BotReply:
        shown, verdict = reply_text(reply.text), None
        if self.output_guardrail is not None:
            shown, verdict = self.output_guardrail.apply(result.prompt, shown)
        session.add(result.prompt, shown, dropped)
        return dataclasses.replace(result, text=shown, dropped=dropped, verdict=verdict, raw=reply.text,
                                   tokens=sum(reply.chosen), seconds=seconds)
