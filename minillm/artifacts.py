"""Artifacts: where each pipeline stage keeps its output, and how a lesson gets it (the pipeline's plumbing).

Every stage writes one folder, `runs/<preset>/<stage>/`. A lesson that needs an earlier stage's output
asks for it by name, `artifacts.get("tokenizer", preset="tiny")`, which builds it (and what it needs) when
the folder is missing or stale: when the stage's config, the code of its modules (comments and docstrings
aside), the data files it reads, or an upstream artifact changed. Its modules are found, not listed: the stage's
module and every package module it imports, directly or through others (a hand-kept list had missed
minillm.config and four more modules that pretraining imports). The recipe and the stage's report live in
`<stage>/stamp.json`.

A stage module provides `PRESETS` (preset name -> config dataclass) and
`build_stage(cfg, inputs, out, progress) -> {"metrics": {...}, "figures": [...], "summary": "...", "table": "..."}`
(the markdown table is optional), writing into `out`, a private folder renamed into place only when the build succeeds.
A stage replaces only its own folder (minillm.files' owner rule): a `runs/<preset>/<stage>/` holding anything else is
refused before the build starts.
"""

import ast
import contextlib
import dataclasses
import importlib
import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from minillm.errors import UserError
from minillm.files import (
    DATA_DIR,
    ROOT,
    atomic_write_text,
    check_output_folder,
    digest,
    file_digest,
    make_dir,
    mark_folder,
    replace_folder,
)

PRESETS = ("tiny", "small", "gpt2")


@dataclass(frozen=True)
class Stage:
    name: str  # folder name under runs/<preset>/
    module: str  # the module with PRESETS and build_stage
    needs: tuple[str, ...]  # upstream stages, in pipeline order
    title: str  # heading in report.md
    data: tuple[str, ...] = ()  # files or folders under data/ that the stage reads


# The pipeline, in order. A stage appears here when its lesson has landed, never before.
STAGES: list[Stage] = [
    Stage("crawl", "minillm.crawl", (), "Crawl the mini web (lesson 01)", data=("web",)),
    Stage("clean", "minillm.clean", ("crawl",), "Clean the crawl (lesson 02)",
          data=("langid", "web/_manifest.json")),
    Stage("tokenizer", "minillm.tokenizer", ("clean",), "Train the tokenizer (lesson 03)"),
    Stage("pretrain", "minillm.train", ("tokenizer",), "Pretrain the GPT (lessons 04-07)", data=("probe",)),
    Stage("probe", "minillm.probe", ("pretrain",), "What the model knows: the fact probe (lessons 07-08)",
          data=("probe",)),
    Stage("sft", "minillm.sft", ("tokenizer", "pretrain", "probe"), "Fine-tune into an assistant (lesson 09)",
          data=("sft", "rl", "preferences")),
    Stage("reward", "minillm.reward", ("sft",), "The reward model (lesson 10)", data=("preferences",)),
    Stage("rl", "minillm.rl_stage", ("sft", "reward"), "Reinforcement learning: PPO, GRPO and DPO (lesson 11)",
          data=("rl", "preferences", "sft")),
    Stage("evaluate", "minillm.evaluate_stage", ("tokenizer", "pretrain", "sft", "rl"),
          "Evaluate every model: benchmarks and an arena (lesson 12)", data=("rl", "preferences", "sft")),
]


def runs_dir() -> Path:
    """The folder holding runs/<preset>/; MINILLM_RUNS overrides it (tests, read-only checkouts)."""
    return Path(os.environ.get("MINILLM_RUNS", ROOT / "runs"))


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise UserError(f"unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
    return preset


def find_stage(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    known = ", ".join(s.name for s in STAGES) or "none yet"
    raise UserError(f"unknown stage {name!r} (stages: {known})")


def preset_config(stage: Stage, preset: str):
    """The config dataclass a stage uses for a preset (a copy, safe to modify)."""
    module = importlib.import_module(stage.module)
    return dataclasses.replace(module.PRESETS[check_preset(preset)])


# ----------------------------------------------------------------------------- recipes and stamps


# path -> ((mtime_ns, size), digest): a file is read and hashed again only when it has changed, as make and git's
# index decide. A lesson asks artifacts.get for a late stage, which walks every stage before it: without this each
# call parsed some 300 module files and hashed the whole mini web again, 8 to 15 seconds.
_DIGESTS: dict[tuple[str, str], tuple[tuple[int, int], str]] = {}
TRUSTED_AGE_NS = 2_000_000_000  # a file changed this recently could change again within the clock's granularity


def digest_once(path: Path, kind: str, compute: Callable[[Path], str]) -> str:
    """compute(path), remembered until the file's modification time or size changes. Like git's "racily clean"
    rule, a file modified in the last two seconds is hashed every time: a second edit of the same size within the
    file system's timestamp granularity would leave its time unchanged."""
    status = path.stat()
    version = (status.st_mtime_ns, status.st_size)
    known = _DIGESTS.get((str(path), kind))
    if known is None or known[0] != version or time.time_ns() - status.st_mtime_ns < TRUSTED_AGE_NS:
        known = version, compute(path)
        _DIGESTS[(str(path), kind)] = known
    return known[1]


# the plumbing: these modules move and store what a stage makes and never shape it, so editing them rebuilds nothing
PLUMBING = ("minillm.artifacts", "minillm.cli", "minillm.pipeline", "minillm.files", "minillm.errors")


def package_imports(module_name: str) -> set[str]:
    """The modules of its own package that a module imports anywhere in its code (a late import included); the
    file is parsed again only when it changed (every `get` asks for every upstream stage's recipe)."""
    package = module_name.split(".")[0]
    path = Path(importlib.import_module(module_name).__file__)
    return digest_once(path, "imports", lambda p: imported_modules(p, package))


def imported_modules(path: Path, package: str) -> set[str]:
    def in_package(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if in_package(alias.name)}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and in_package(node.module):
            found.add(node.module)
            # `from minillm import train` imports a module; `from minillm.train import lr` a name
            found |= {f"{node.module}.{alias.name}" for alias in node.names if is_module(f"{node.module}.{alias.name}")}
    return found


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a name inside a module, not a submodule
        return False


def stage_modules(module_name: str) -> list[str]:
    """The stage's module and every package module it imports, directly or not, but the plumbing."""
    seen, todo = set(), [module_name]
    while todo:
        name = todo.pop()
        if name not in seen and name not in PLUMBING:
            seen.add(name)
            todo += sorted(package_imports(name))
    return sorted(seen)


def source_digest(module_name: str) -> str:
    """The digest of a module's code: its syntax tree without docstrings, so a comment or a reworded
    docstring does not rebuild a stage (and a retrain), while any change to what the code does does."""
    return digest_once(Path(importlib.import_module(module_name).__file__), "code", code_digest)


def code_digest(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return digest(ast.dump(tree).encode())


def data_digest(name: str) -> str:
    """The digest of a file under data/, or of every file of a folder there (names and contents)."""
    path = DATA_DIR / name
    if path.is_file():
        return digest_once(path, "file", file_digest)
    files = sorted(p for p in path.rglob("*") if p.is_file())
    if not files:
        raise UserError(f"no {path}: regenerate the bundled data with `minillm world`")
    return digest("".join(f"{p.relative_to(path)}:{digest_once(p, 'file', file_digest)}\n" for p in files).encode())


def recipe(stage: Stage, cfg, inputs: dict[str, Path]) -> dict:
    """Everything that determines a stage's output; its hash decides whether a folder is stale."""
    return {
        "stage": stage.name,
        "config": dataclasses.asdict(cfg),
        "code": {name: source_digest(name) for name in stage_modules(stage.module)},
        "data": {name: data_digest(name) for name in stage.data},
        "inputs": {name: stamp(path)["fingerprint"] for name, path in inputs.items()},
    }


def fingerprint(recipe_: dict) -> str:
    return digest(json.dumps(recipe_, sort_keys=True, default=str).encode())


def stamp(folder) -> dict:
    """What a finished stage folder recorded about itself; {} when it has no (readable) stamp."""
    try:
        return json.loads((Path(folder) / "stamp.json").read_text())
    except (OSError, ValueError):
        return {}


def stage_folder(name: str, preset: str) -> Path:
    return runs_dir() / check_preset(preset) / name


def is_fresh(stage: Stage, preset: str, inputs: dict[str, Path]) -> bool:
    folder = stage_folder(stage.name, preset)
    expected = fingerprint(recipe(stage, preset_config(stage, preset), inputs))
    return stamp(folder).get("fingerprint") == expected


# ----------------------------------------------------------------------------- building


def get(name: str, preset: str = "tiny", progress: bool = True) -> Path:
    """The finished folder of stage `name`, built first (with its upstream stages) if missing or stale."""
    stage = find_stage(name)
    inputs = {need: get(need, preset, progress) for need in stage.needs}
    if not is_fresh(stage, preset, inputs):
        with build_lock(stage.name, preset):
            if not is_fresh(stage, preset, inputs):  # another process may have built it meanwhile
                build_unlocked(stage, preset, preset_config(stage, preset), inputs, progress)
    return stage_folder(name, preset)


def build(name: str, preset: str = "tiny", cfg=None, progress: bool = True) -> Path:
    """Build stage `name` now, with `cfg` (default: the preset's config), into runs/<preset>/<name>/."""
    stage = find_stage(name)
    cfg = cfg if cfg is not None else preset_config(stage, preset)
    inputs = {need: get(need, preset, progress) for need in stage.needs}
    with build_lock(stage.name, preset):
        return build_unlocked(stage, preset, cfg, inputs, progress)


def build_unlocked(stage: Stage, preset: str, cfg, inputs: dict[str, Path], progress: bool) -> Path:
    name = stage.name
    module = importlib.import_module(stage.module)
    final = stage_folder(name, preset)
    check_output_folder(final, name)  # before the work: a folder the stage did not write is never replaced
    recipe_ = recipe(stage, cfg, inputs)
    work = prepare_work_folder(final, name, fingerprint(recipe_))

    started = time.perf_counter()
    report = module.build_stage(cfg, inputs, work, progress=progress)
    report = {
        "stage": name,
        "title": stage.title,
        "preset": preset,
        "fingerprint": fingerprint(recipe_),
        "recipe": recipe_,
        "seconds": round(time.perf_counter() - started, 2),
        "metrics": report.get("metrics", {}),
        "figures": report.get("figures", []),
        "summary": report.get("summary", ""),
        "table": report.get("table", ""),
    }
    atomic_write_text(work / "stamp.json", json.dumps(report, indent=1, sort_keys=True, default=str))
    (work / ".recipe").unlink()
    replace_folder(work, final, name)
    return final


def prepare_work_folder(final: Path, owner: str, fingerprint_: str) -> Path:
    """The private folder a build writes into, owned by its stage; kept from an interrupted build of the same
    recipe."""
    work = final.with_name(f".{final.name}.partial")
    marker = work / ".recipe"
    if work.exists() and not (marker.exists() and marker.read_text() == fingerprint_):
        shutil.rmtree(work)  # another recipe's leftover (the hidden folder is the builder's own)
    mark_folder(make_dir(work), owner)  # so the stage's own code may claim it
    marker.write_text(fingerprint_)
    return work


@contextlib.contextmanager
def build_lock(name: str, preset: str):
    """One builder per stage folder at a time, across processes (a notebook and the CLI, say)."""
    folder = make_dir(runs_dir() / check_preset(preset))
    with open(folder / f".{name}.lock", "a+b") as lock:
        lock_file(lock, f"minillm: waiting for another process to finish building the {name} stage ({folder / name})")
        try:
            yield
        finally:
            unlock_file(lock)


def lock_file(f, waiting: str = "") -> None:
    """An exclusive lock on an open file, waiting for it (and saying `waiting` on stderr first when another process
    holds it): flock on POSIX, msvcrt on Windows."""
    if os.name == "nt":
        import msvcrt

        try:
            return msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            print(waiting, file=sys.stderr, flush=True)
        while True:
            try:
                return msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
            except OSError:  # LK_LOCK gives up after ten seconds; a build takes longer
                continue
    import fcntl

    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(waiting, file=sys.stderr, flush=True)
        fcntl.flock(f, fcntl.LOCK_EX)


def unlock_file(f) -> None:
    if os.name == "nt":
        import msvcrt

        f.seek(0)
        return msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
    import fcntl

    fcntl.flock(f, fcntl.LOCK_UN)
