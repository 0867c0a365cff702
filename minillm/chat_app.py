"""The chatbot's terminal front end (lesson 12, the chatbot): `minillm chat`, a REPL that puts a `bot.Chatbot`
(input guardrail, prompt enhancer, generator, output guardrail) in front of the user and shows its reply piece by
piece as the tokens come. The sampling settings, the loaded chatbot and the flags here are shared with the web page
(`minillm.chat_web`).
"""

import argparse
import contextlib
import dataclasses
import logging
import time
from pathlib import Path

import torch

from minillm import artifacts
from minillm.bot import CHAT_SETTINGS, BotReply, Chatbot, Generator, OutputGuardrail, Session
from minillm.checkpoint import load_model
from minillm.devices import pick_device
from minillm.errors import UserError
from minillm.files import DATA_DIR, digest, file_digest
from minillm.sample import GenerationConfig
from minillm.screen import Guardrail, world_enhancer, world_guardrail

log = logging.getLogger(__name__)

MAX_NEW_TOKENS = 256  # the longest reply one may ask for: it holds the model, and every other user, that long
# name -> (type, lowest, highest) of the sampling settings a user may change
SETTING_RANGES = {"temperature": (float, 0.0, 2.0), "top_p": (float, 0.01, 1.0),
                  "max_new_tokens": (int, 1, MAX_NEW_TOKENS)}


# ----------------------------------------------------------------------------- settings


def check_setting(name: str, value) -> int | float:
    """`value` for the sampling setting `name`, once checked to be in its range; else a one-line UserError."""
    if name not in SETTING_RANGES:
        raise UserError(f"unknown setting {name!r} (the settings: {', '.join(SETTING_RANGES)})")
    kind, low, high = SETTING_RANGES[name]
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or (kind is int and not isinstance(value, int)) or not low <= value <= high:  # NaN fails too
        what = "a whole number" if kind is int else "a number"
        raise UserError(f"{name} must be {what} from {low:g} to {high:g}, got {value!r}")
    return kind(value)


def changed_settings(settings: GenerationConfig, changes: dict) -> GenerationConfig:
    """`settings` with `changes` (setting name -> value) made, each value checked."""
    return dataclasses.replace(settings, **{name: check_setting(name, value) for name, value in changes.items()})


def parse_settings(words: list[str]) -> dict:
    """The REPL's `temperature=0.5 max_new_tokens=60` as {"temperature": 0.5, "max_new_tokens": 60}."""
    changes = {}
    for word in words:
        name, is_pair, text = word.partition("=")
        if not is_pair or name not in SETTING_RANGES:
            raise UserError(f"expected name=value with a name among {', '.join(SETTING_RANGES)}, got {word!r}")
        kind = SETTING_RANGES[name][0]
        try:
            changes[name] = kind(text)
        except ValueError:
            raise UserError(f"{name} must be {'a whole number' if kind is int else 'a number'}, got {text!r}") from None
    return changes


def show_settings(settings: GenerationConfig) -> str:
    return " ".join(f"{name}={getattr(settings, name):g}" for name in SETTING_RANGES)


def with_settings(chatbot: Chatbot, settings: GenerationConfig) -> Chatbot:
    """The same chatbot (model, guardrails, enhancer) sampling with other settings."""
    generator = chatbot.generator
    return Chatbot(Generator(generator.model, generator.tok, settings, generator.max_calls), chatbot.guardrail,
                   chatbot.enhancer, chatbot.output_guardrail)


# ----------------------------------------------------------------------------- the chatbot, loaded


def guardrail_path(runs: Path) -> Path:
    """Where the world's trained guardrail is kept, under `runs`: named by the digests of its training data and
    of the guardrail's code (minillm.screen), so that a change to either trains a new one."""
    key = digest((file_digest(DATA_DIR / "sft" / "train.jsonl") + artifacts.source_digest("minillm.screen")).encode())
    return Path(runs) / "cache" / f"guardrail-{key}.json"


def cached_guardrail(runs: Path) -> tuple[Guardrail, bool]:
    """The world's guardrail, loaded from `guardrail_path(runs)` (milliseconds) or else trained (seconds: its
    threshold is cross-validated) and saved there; and whether it was trained."""
    path = guardrail_path(runs)
    if path.is_file():
        with contextlib.suppress(UserError):  # a damaged file is trained again and replaced
            return Guardrail.load(path), False
    guardrail = world_guardrail()
    try:
        guardrail.save(path)
    except (OSError, UserError) as e:  # a read-only checkout: train it again next time
        log.warning("cannot keep the trained guardrail in %s: %s", path, e)
    return guardrail, True


def timed(make, *args):
    """make(*args) and the seconds it took."""
    start = time.perf_counter()
    return make(*args), time.perf_counter() - start


def load_chatbot(folder: Path, settings: GenerationConfig = CHAT_SETTINGS, device: str = "cpu",
                 guardrail: bool = True, enhancer: bool = True, runs: Path | None = None) -> tuple[Chatbot, str]:
    """The chatbot on the model in `folder`, sampling with `settings`, and a line telling what its start-up took.
    Without `guardrail`, neither guardrail: every message goes to the model and every reply to the user. The
    trained guardrail is kept under `runs` (default: runs/)."""
    (model, tok), model_seconds = timed(load_model, folder)
    model.to(pick_device(device))
    took = [f"model {model_seconds:.1f} s"]
    the_guardrail = the_enhancer = None
    if guardrail:
        (the_guardrail, trained), seconds = timed(cached_guardrail, runs or artifacts.runs_dir())
        took.append(f"guardrail {seconds:.1f} s ({'trained' if trained else 'cached'})")
    if enhancer:
        the_enhancer, seconds = timed(world_enhancer)
        took.append(f"enhancer {seconds:.1f} s")
    # The output guardrail checks for empty and looping replies only: the input guardrail's classifier, which
    # learned requests, takes long harmless replies for unsafe ones (bot.OutputGuardrail says more).
    output_guardrail = OutputGuardrail() if guardrail else None
    return Chatbot(Generator(model, tok, settings), the_guardrail, the_enhancer, output_guardrail), ", ".join(took)


# ----------------------------------------------------------------------------- what happened to a message


def notes(result: BotReply, verbose: bool) -> list[str]:
    """What the user should know about a reply besides its text; with `verbose`, also what each part decided."""
    found = []
    if verbose and result.changes:
        fixes = ", ".join(f"{c.before!r} -> {c.after!r} ({c.why})" for c in result.changes)
        found.append(f"enhancer: {fixes}; the model read: {result.prompt}")
    elif verbose and not result.refused:
        found.append("enhancer: no change")
    if result.decision is not None and (verbose or result.refused):
        why = f"{result.decision.reason}, p(unsafe) = {result.decision.probability:.2f}"
        found.append(f"refused by the input guardrail ({why}): the model was not called" if result.refused
                     else f"input guardrail: safe ({why})")
    if result.verdict is not None and not result.verdict.ok:
        found.append(f"output guardrail: the reply failed ({result.verdict.reason}); shown instead: {result.text}")
    elif verbose and result.verdict is not None:
        found.append("output guardrail: passed")
    if result.dropped:
        found.append(f"the conversation outgrew the context window: its {result.dropped} oldest turns were left out")
    return found


# ----------------------------------------------------------------------------- the terminal REPL


def history(session: Session) -> str:
    """The conversation as the model reads it next turn: the system message and the turns kept."""
    return "\n".join(f"{m['role']}: {m['content']}" for m in session.messages) or "(an empty conversation)"


HELP = """\
/reset                 start a new conversation (the system message stays)
/system TEXT           set the system message and start a new conversation (/system alone removes it)
/settings              show the sampling settings; change them with e.g.
                       /settings temperature=0.5 top_p=0.9 max_new_tokens=60
/history               the conversation as the model will read it (the oldest turns go when it outgrows
                       the context window)
/help                  this list
/quit                  leave (so do Ctrl-D and Ctrl-C at the prompt)
Ctrl-C during a reply stops it; the conversation goes on without that turn."""


class Repl:
    """`minillm chat`: read a line, answer it (streamed) or run its /command, until /quit or end of input.

    A reply stopped with Ctrl-C is not kept, nor is the message it answered: the history is what the model reads
    next turn, and a reply the user cut short is not one they want it to build on; the turns also go in pairs (a
    message and its reply), which `Session.prompt` drops together."""

    def __init__(self, chatbot: Chatbot, session: Session, verbose: bool = False):
        self.chatbot, self.session, self.verbose = chatbot, session, verbose

    def say(self, text: str = "", end: str = "\n") -> None:
        print(text, end=end, flush=True)

    def run(self) -> int:
        with contextlib.suppress(ImportError):  # Windows has none
            import readline  # noqa: F401 (imported for its effect: line editing and history for input())
        while True:
            try:
                line = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):  # Ctrl-D or Ctrl-C at the prompt: leave
                self.say()
                return 0
            if line.startswith("/"):
                if not self.command(*line[1:].split(maxsplit=1)):
                    return 0
            elif line:
                self.answer(line)

    def command(self, name: str = "", rest: str = "") -> bool:
        """Run /name with its `rest`; False when it is /quit."""
        if name == "quit":
            return False
        if name == "reset":
            self.session.reset()
            self.say("(new conversation)")
        elif name == "system":
            self.session.system = rest or None
            self.session.reset()
            self.say(f"(system message {'set' if rest else 'removed'}; new conversation)")
        elif name == "settings":
            try:
                settings = changed_settings(self.chatbot.generator.settings, parse_settings(rest.split()))
            except UserError as e:
                self.say(f"error: {e}")
                return True
            self.chatbot = with_settings(self.chatbot, settings)
            self.say(show_settings(settings))
        elif name == "history":
            self.say(history(self.session))
        elif name == "help":
            self.say(HELP)
        else:
            self.say(f"unknown command /{name} (/help lists them)")
        return True

    def answer(self, text: str) -> None:
        """Stream the reply after "bot> ", printed at once: the user sees the reply has begun even while its
        first tokens are bytes of a character not yet complete (TextStream holds them back)."""
        stream = self.chatbot.stream_reply(self.session, text)
        started, first = time.perf_counter(), None
        try:
            self.say("bot> ", end="")
            for piece in stream:
                if first is None:
                    first = time.perf_counter() - started
                self.say(piece, end="")
        except KeyboardInterrupt:
            self.say("\n(stopped: this turn is not kept)")
            return
        except UserError as e:  # a message the context window cannot hold
            self.say(f"error: {e}")
            return
        result = stream.result
        self.say()  # an empty reply streams nothing; the notes say what it became
        for note in notes(result, self.verbose):
            self.say(f"  [{note}]")
        if self.verbose and first is not None and not result.refused:
            self.say(f"  [{result.tokens} tokens in {result.seconds:.2f} s: {result.tokens_per_second:.1f} tokens/s; "
                     f"the first piece came after {first:.2f} s]")


# ----------------------------------------------------------------------------- command line


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    d = CHAT_SETTINGS
    parser.add_argument("--model", type=Path, metavar="DIR",
                        help="a fine-tuned model folder, e.g. runs/tiny/sft or runs/tiny/rl/ppo (default: the "
                             "preset's RL policy, runs/<preset>/rl/ppo, built first with every stage before it if "
                             "it is missing or out of date: minutes on the tiny preset)")
    parser.add_argument("--preset", default="tiny", choices=artifacts.PRESETS,
                        help="whose RL policy to use without --model (default: tiny)")
    parser.add_argument("--no-guardrail", action="store_true",
                        help="no input or output guardrail: every message goes to the model, every reply to you")
    parser.add_argument("--no-enhancer", action="store_true", help="send messages as typed (no spelling fixes)")
    parser.add_argument("--system", metavar="TEXT", help="a system message for every conversation")
    parser.add_argument("--temperature", type=float, default=d.temperature, metavar="T",
                        help=f"sampling temperature, 0 to 2 (default: {d.temperature:g})")
    parser.add_argument("--top-p", type=float, default=d.top_p, metavar="P",
                        help=f"draw among the most likely tokens adding up to P (default: {d.top_p:g})")
    parser.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens, metavar="N",
                        help=f"longest reply in tokens, 1 to {MAX_NEW_TOKENS} (default: {d.max_new_tokens})")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto (default: cpu, fast enough for "
                        "the tiny model)")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="CPU threads for the model (default: 1; a reply is one token at a time, whose small "
                             "matrix products two threads slow down when other work shares the cores)")


def chatbot_from_args(args) -> tuple[Chatbot, Path, str]:
    """The chatbot the flags ask for, the model folder it uses, and what its start-up took."""
    changes = {"temperature": args.temperature, "top_p": args.top_p, "max_new_tokens": args.max_new_tokens}
    settings = changed_settings(CHAT_SETTINGS, changes)  # before the model loads: a bad flag fails at once
    if args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    folder = args.model or artifacts.get("rl", args.preset) / "ppo"
    chatbot, took = load_chatbot(folder, settings, args.device, not args.no_guardrail, not args.no_enhancer)
    return chatbot, folder, took


def add_chat_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm chat`."""
    add_common_arguments(parser)
    parser.add_argument("--verbose", action="store_true",
                        help="show the enhancer's changes, the guardrails' decisions and the reply's tokens/s")


def run_chat_from_args(args) -> int:
    """`minillm chat`: talk to the chatbot in the terminal."""
    chatbot, folder, took = chatbot_from_args(args)
    logging.getLogger("minillm.bot").setLevel(logging.ERROR)  # the REPL shows the guardrails' decisions itself
    print(f"minillm chat with {folder} (start-up: {took})")
    print("/help lists the commands; Ctrl-D leaves", flush=True)
    return Repl(chatbot, Session(args.system), args.verbose).run()
