"""Artifacts: where each pipeline stage keeps its output, and how a lesson gets it (course spine).

Every stage of the pipeline writes one folder, `runs/<preset>/<stage>/`. A lesson that needs an earlier
stage's output asks for it by name:

    from minillm import artifacts
    folder = artifacts.get("tokenizer", preset="tiny")   # builds crawl -> clean -> tokenizer if needed

`get` builds the folder first when it is missing or stale. A folder is stale when its recipe changed:
the stage's config, the source code of the stage's module (and of any module it names in `code`), or
an upstream artifact it was built from.
The recipe and what the stage reported (metrics, figures, a summary) are kept in `<stage>/stamp.json`.

A stage module provides `PRESETS` (preset name -> config dataclass) and
`build_stage(cfg, inputs, out, progress) -> {"metrics": {...}, "figures": [...], "summary": "..."}`.
It writes into `out`, a private folder that is renamed into place only when the build succeeds, so an
interrupted build never leaves a half-written artifact; a stage that can resume (the crawler) finds
in `out` what an interrupted build with the same recipe left behind.

Entry points: get, build, stamp, STAGES, PRESETS, runs_dir, DATA_DIR, atomic_path, atomic_write_text,
atomic_write_bytes.
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from minillm.errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout data/ and runs/ sit next to the package; an installed copy works from the cwd.
ROOT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "pyproject.toml").exists() else Path.cwd()
DATA_DIR = ROOT / "data"
PRESETS = ("tiny", "small", "gpt2")


@dataclass(frozen=True)
class Stage:
    name: str  # folder name under runs/<preset>/
    module: str  # the module with PRESETS and build_stage
    needs: tuple[str, ...]  # upstream stages, in pipeline order
    title: str  # heading in report.md
    code: tuple[str, ...] = ()  # other modules whose source shapes the output (besides `module`)


# The generator of the bundled world, split by step (see minillm/world.py).
WORLD_CODE = ("minillm.world", "minillm.world_facts", "minillm.world_text", "minillm.world_stories",
              "minillm.world_site", "minillm.world_html", "minillm.world_posttrain")

# The pipeline, in order. A stage appears here when its lesson has landed, never before.
STAGES: list[Stage] = [
    # world.py writes the bundled web the crawler reads and the texts language ID is trained on;
    # webserver.py serves it to the crawler
    Stage("crawl", "minillm.crawl", (), "Crawl the mini web (lesson 01)", code=("minillm.webserver", *WORLD_CODE)),
    Stage("clean", "minillm.clean", ("crawl",), "Clean the crawl (lesson 02)", code=WORLD_CODE),
    Stage("tokenizer", "minillm.tokenizer", ("clean",), "Train the tokenizer (lesson 03)"),
    # the model's code and the fact probe's prompts shape the trained weights and the report
    Stage("pretrain", "minillm.train", ("tokenizer",), "Pretrain the GPT (lessons 04-07)",
          code=("minillm.model", "minillm.nn", *WORLD_CODE)),
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


# ----------------------------------------------------------------------------- atomic writes


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    make_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp's 0600 would make the result private to its writer
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def make_dir(path) -> Path:
    """mkdir -p that reports an unwritable place as one clear line."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create folder {path}: {e.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UserError(f"cannot write to folder {path}: permission denied")
    return path


# ----------------------------------------------------------------------------- recipes and stamps


def source_digest(module_name: str) -> str:
    source = Path(importlib.import_module(module_name).__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def recipe(stage: Stage, cfg, inputs: dict[str, Path]) -> dict:
    """Everything that determines a stage's output; its hash decides whether a folder is stale."""
    return {
        "stage": stage.name,
        "config": dataclasses.asdict(cfg),
        "code": {name: source_digest(name) for name in (stage.module, *stage.code)},
        "inputs": {name: stamp(path)["fingerprint"] for name, path in inputs.items()},
    }


def fingerprint(recipe_: dict) -> str:
    blob = json.dumps(recipe_, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


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
    recipe_ = recipe(stage, cfg, inputs)
    work = prepare_work_folder(final, fingerprint(recipe_))

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
    }
    atomic_write_text(work / "stamp.json", json.dumps(report, indent=1, sort_keys=True, default=str))
    (work / ".recipe").unlink()
    replace_folder(work, final)
    return final


def prepare_work_folder(final: Path, fingerprint_: str) -> Path:
    """The private folder a build writes into; kept from an interrupted build of the same recipe."""
    work = final.with_name(f".{final.name}.partial")
    marker = work / ".recipe"
    if work.exists() and not (marker.exists() and marker.read_text() == fingerprint_):
        shutil.rmtree(work)
    make_dir(work)
    marker.write_text(fingerprint_)
    return work


def replace_folder(new: Path, final: Path) -> None:
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    if old.exists():
        shutil.rmtree(old)


@contextlib.contextmanager
def build_lock(name: str, preset: str):
    """One builder per stage folder at a time, across processes (a notebook and the CLI, say)."""
    folder = make_dir(runs_dir() / check_preset(preset))
    with open(folder / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
