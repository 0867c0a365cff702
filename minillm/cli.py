"""The `minillm` command line (the plumbing): one subcommand per pipeline stage, plus the course tools.

Bad input prints one line on stderr and exits with status 2 (modules raise `minillm.errors.UserError`).
A stage's flags live in its module (`add_arguments`, `run_from_args`), imported only when its command runs,
so `minillm --help` answers at once.
"""

import argparse
import importlib
import json
import sys
from pathlib import Path

from minillm import __version__
from minillm.artifacts import PRESETS
from minillm.errors import UserError, say_error


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (and exit status 2), not a usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    value = int(text) if text.lstrip("-").isdigit() else None
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_preset(parser) -> None:
    parser.add_argument("--preset", default="tiny", choices=PRESETS, help="size of everything (default: tiny)")


# ----------------------------------------------------------------------------- handlers


def cmd_pipeline(args) -> int:
    from minillm import pipeline

    report = pipeline.run(args.preset, until=args.until, force=args.force, progress=not args.quiet)
    print(f"report: {report}")
    return 0


def cmd_course_release(args) -> int:
    from minillm.course import release

    for path in release.release(args.source, args.out):
        print(f"wrote {path}")
    return 0


def cmd_course_run(args) -> int:
    from minillm.course import release

    for path, seconds in release.execute(args.notebooks, timeout=args.timeout).items():
        print(f"{path}: ran in {seconds} s")
    return 0


def cmd_grade(args) -> int:
    from minillm.course import grade
    from minillm.files import atomic_write_text, make_dir

    if args.similarity:
        return cmd_grade_similarity(args)
    if args.gradescope:  # fail on an unwritable place before grading, not after
        make_dir(args.gradescope.parent)
    results = []

    def notebook_done(rows):  # written as the batch goes: a killed grader keeps the finished notebooks
        results.extend(rows)
        grade.print_table(rows)
        if args.gradescope:
            atomic_write_text(args.gradescope, json.dumps(grade.gradescope_results(results), indent=1))

    grade.grade(args.paths, args.source, args.cell_timeout, args.timeout, progress=True, lesson=args.lesson,
                memory_limit_gb=args.memory_limit, on_notebook=notebook_done)
    if args.gradescope:
        print(f"\nwrote {args.gradescope}")
    return 0 if grade.full_marks(results) else 1


def cmd_grade_similarity(args) -> int:
    from minillm.course import grade, similarity
    from minillm.course.release import SOLUTIONS_DIR

    source_dir = args.source or SOLUTIONS_DIR
    lessons = grade.lesson_paths(args.paths, source_dir, args.lesson)
    matches = similarity.similar_answers(args.paths, lessons)
    for m in matches:
        print(f"{m.lesson} {m.exercise}: {m.answer} ~ {m.other} ({m.ratio:.0%} of tokens match)")
    print(f"{len(matches)} near-identical answer(s) (threshold {similarity.THRESHOLD:.0%}); a match is a reason to look")
    return 1 if matches else 0


# ----------------------------------------------------------------------------- parser

# command -> (module, its flags, its handler, help), in pipeline order
MODULE_COMMANDS = {
    "world": ("minillm.world.write", "add_arguments", "run_from_args", "regenerate the bundled world in data/"),
    "serve-web": ("minillm.webserver", "add_serve_arguments", "run_serve_from_args",
                      "serve the bundled mini web on 127.0.0.1 (lesson 01)"),
    "crawl": ("minillm.crawl", "add_arguments", "run_from_args", "crawl the mini web or a real site (lesson 01)"),
    "clean": ("minillm.clean", "add_arguments", "run_from_args", "extract, filter, dedup, mask PII (lesson 02)"),
    "tokenize": ("minillm.tokenizer", "add_arguments", "run_from_args",
                 "train the BPE tokenizer, write token files (lesson 03)"),
    "tokenize-shards": ("minillm.shards", "add_arguments", "run_from_args",
                        "encode a large .txt/.jsonl/.parquet corpus into token shards (parallel, resumable)"),
    "pretrain": ("minillm.train", "add_arguments", "run_from_args",
                 "pretrain the GPT; also `torchrun ... -m minillm.train` (lesson 07)"),
    "sample": ("minillm.sample", "add_arguments", "run_from_args", "generate text from a checkpoint (lesson 08)"),
    "probe": ("minillm.probe", "add_arguments", "run_from_args",
              "what a model knows: greedy completions of the world's cloze prompts (lessons 07-08)"),
    "sft": ("minillm.sft", "add_arguments", "run_from_args",
            "fine-tune the pretrained GPT into an assistant; also `torchrun ... -m minillm.sft` (lesson 09)"),
    "reward": ("minillm.reward", "add_arguments", "run_from_args",
               "train the reward model on preference pairs; also `torchrun ... -m minillm.reward` (lesson 10)"),
    "rl": ("minillm.rl_stage", "add_arguments", "run_from_args",
           ("PPO or GRPO from the assistant; without --out, the rl stage (PPO, GRPO, DPO and their evaluation); "
            "also `torchrun ... -m minillm.rl_stage` (lesson 11)")),
    "dpo": ("minillm.dpo", "add_arguments", "run_from_args",
            "DPO on preference pairs; also `torchrun ... -m minillm.dpo` (lesson 11)"),
    "evaluate": ("minillm.evaluate_stage", "add_arguments", "run_from_args",
                 "every model on held-out benchmarks and in an arena: a leaderboard (lesson 12)"),
    "chat": ("minillm.chat_app", "add_chat_arguments", "run_chat_from_args",
             "talk to the assistant in the terminal, its replies streamed (lesson 12)"),
    "serve-chat": ("minillm.chat_web", "add_serve_arguments", "run_serve_from_args",
                   "the chat web page on 127.0.0.1, its replies streamed (lesson 12)"),
}


def build_parser(command: str | None = None) -> Parser:
    """The full parser; only `command`'s module (if it has one) is imported to add its flags."""
    parser = Parser(prog="minillm", description="Build a small LLM from scratch: crawl, clean, tokenize, train, chat.")
    parser.add_argument("--version", action="version", version=f"minillm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("pipeline", help="run every stage for a preset and write runs/<preset>/report.md")
    add_preset(p)
    p.add_argument("--until", metavar="STAGE", help="stop after this stage")
    p.add_argument("--force", action="store_true", help="rebuild every stage even if up to date")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_pipeline)

    for name, (module_name, add_arguments, handler, help_text) in MODULE_COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            getattr(module, add_arguments)(p)
            p.set_defaults(func=getattr(module, handler))

    course = sub.add_parser("course", help="course tools for instructors and authors")
    course_sub = course.add_subparsers(dest="course_command", required=True, metavar="ACTION", parser_class=Parser)
    p = course_sub.add_parser("release", help="write exercises/ from solutions/")
    p.add_argument("--source", type=Path, help="solution notebooks (default: solutions/)")
    p.add_argument("--out", type=Path, help="where to write the exercises (default: exercises/)")
    p.set_defaults(func=cmd_course_release)
    p = course_sub.add_parser("run", help="execute notebooks in place, keeping outputs, stripping widget state")
    p.add_argument("notebooks", nargs="+", type=Path)
    p.add_argument("--timeout", type=positive_int, default=600, help="seconds per cell (default: 600)")
    p.set_defaults(func=cmd_course_run)

    p = sub.add_parser("grade", help="grade submitted exercise notebooks")
    p.add_argument("paths", nargs="+", type=Path, metavar="NOTEBOOK")
    p.add_argument("--source", type=Path, help="solution notebooks to grade against (default: solutions/)")
    p.add_argument("--gradescope", type=Path, metavar="FILE", help="also write Gradescope's results.json here")
    p.add_argument("--cell-timeout", type=positive_int, default=60, help="seconds per cell (default: 60)")
    p.add_argument("--timeout", type=positive_int, default=600, help="seconds per notebook (default: 600)")
    p.add_argument("--lesson", metavar="NAME",
                   help="grade every notebook as this lesson (default: the lesson its file name names)")
    p.add_argument("--memory-limit", type=positive_float, default=3.0, metavar="GB",
                   help="address space of each notebook's kernel (default: 3)")
    p.add_argument("--similarity", action="store_true",
                   help="instead of grading, list answers near-identical to each other or to the package's code")
    p.set_defaults(func=cmd_grade)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        return say_error(e)
    except OSError as e:  # the file system said no: a full disk, a permission, a vanished file
        return say_error(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "))
    except KeyboardInterrupt:
        print("minillm: interrupted", file=sys.stderr)
        return 130
