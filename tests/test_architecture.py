"""The package's house: modules in pipeline order, imports only running down it (ARCHITECTURE.md)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minillm"

# Floors, bottom to top. A module may import modules of its own floor listed before it, and lower floors.
FOUNDATIONS = ["errors", "files", "config", "devices"]
PIPELINE = [  # lesson order
    "webserver", "urls", "robots", "charsets", "fetch", "crawler", "crawl",  # 01
    "extract", "langid", "filters", "dedup", "pii", "clean",  # 02
    "pretokens", "merges", "tokens", "tokenizer", "shards",  # 03
    "nn",  # 04-05
    "model",  # 06
    "runlog", "checkpoint", "cloze", "train",  # 07
    "sample", "probe",  # 08
    "calculator", "chat", "sft_eval", "sft_data", "sft",  # 09
    "reward",  # 10
    "rl", "rl_train", "dpo", "rl_stage",  # 11
    "screen", "bot", "chat_app", "chat_web", "evaluate", "evaluate_stage",  # 12
]
PLUMBING = ["artifacts", "pipeline", "cli", "__main__"]  # the stage cache, the pipeline command, the CLI
BESIDE = ["world", "course"]  # subpackages beside the pipeline: the data generator, the course machinery


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def imports_of(path: Path) -> set[str]:
    """Every minillm module a file imports, at the top or inside a function ("minillm.x" -> "x")."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("minillm."):
                found.add(name.removeprefix("minillm."))
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules} - {module_name(path)}


GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}
TOP = {name.split(".")[0] for name in GRAPH} - {"__init__"}


def test_every_module_has_a_place_in_the_house():
    assert TOP == set(FOUNDATIONS + PIPELINE + PLUMBING + BESIDE)


def test_there_is_no_import_cycle():
    done, active = set(), []

    def visit(module):
        if module in active:
            pytest.fail("import cycle: " + " -> ".join(active[active.index(module):] + [module]))
        if module not in done:
            active.append(module)
            for imported in GRAPH[module]:
                visit(imported)
            active.pop()
            done.add(module)

    for module in GRAPH:
        visit(module)


def test_foundations_import_only_foundations_below_them():
    for i, module in enumerate(FOUNDATIONS):
        assert GRAPH[module] <= set(FOUNDATIONS[:i]), module


def test_nn_and_model_import_only_foundations_and_each_other():
    assert GRAPH["nn"] <= set(FOUNDATIONS)
    assert GRAPH["model"] <= set(FOUNDATIONS) | {"nn"}


def test_pipeline_imports_run_only_down_the_lessons():
    for i, module in enumerate(PIPELINE):
        allowed = set(FOUNDATIONS) | set(PIPELINE[:i]) | {"artifacts"}
        assert GRAPH[module] <= allowed, f"{module} imports {sorted(GRAPH[module] - allowed)} from above it"


def test_no_pipeline_module_imports_the_world_generator_or_the_course():
    for module in PIPELINE + ["artifacts", "pipeline"]:
        beside = {name for name in GRAPH[module] if name.split(".")[0] in BESIDE}
        assert not beside, f"{module} imports {sorted(beside)}: it should read what it needs from data/"


def test_the_stage_cache_imports_only_foundations():
    assert GRAPH["artifacts"] <= set(FOUNDATIONS)


def test_the_world_and_the_course_stand_on_foundations_only():
    for module, imported in GRAPH.items():
        top = module.split(".")[0]
        if top in BESIDE:
            assert {name.split(".")[0] for name in imported} <= set(FOUNDATIONS) | {top}, module


def test_the_model_imports_without_fcntl():
    """fcntl is POSIX-only: the layers, the model and the sampler must import on Windows."""
    code = ("import sys; sys.modules['fcntl'] = None\n"
            "import minillm.model, minillm.sample, minillm.train, minillm.artifacts, minillm.cli\n"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent,
                          check=False)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
    blocked = subprocess.run([sys.executable, "-c", "import sys; sys.modules['fcntl'] = None; import fcntl"],
                             capture_output=True, text=True, check=False)
    assert blocked.returncode != 0  # the block itself works: importing fcntl fails
