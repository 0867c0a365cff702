"""Autograder for the course's exercise notebooks: `minillm grade PATH...`.

The verdict must not depend on anything a learner's code can touch, so:
1. the lesson comes from the grader's configuration: the submission's file name (or `--lesson`) names its
   source in `solutions/`; the submission's metadata is never read for it;
2. before any learner's code runs, the grader reads the source notebooks into memory, runs each one (the
   solutions, with every check and hidden test) in a kernel that records the *expected* value of every
   `expect_*` call, and fingerprints `solutions/`, the package and `data/`;
3. each submission runs in its own subprocess and Jupyter kernel: the learner's answer cells and extra cells,
   every locked cell restored from the source, and each check cell rewritten so that it only records what
   the learner's code returns (`expect_close(got, expected)` becomes "record `got`"): the expected values
   never enter the learner's kernel. A cell has a time limit, the kernel a memory limit; a kernel that dies
   or loops is restarted and the cells that worked replayed, so only the exercise at fault loses its points;
4. the grader compares the recorded values with the expected ones in its own process. Patched helpers,
   patched numpy or forged files change nothing: the learner's kernel can only report values, and a value
   is right only if the learner's code computes it. An answer that calls the package's own code scores 0;
5. after each submission every process it started is killed and the fingerprints are checked again: a
   submission that changed the course's files scores 0 and grading stops, before the next one runs.

Feedback quotes only the visible checks; a hidden test that fails says so (with its hint), never its code
or its expected values, and a message that quotes the solutions or hidden tests is not shown.

`minillm grade` prints a score table per notebook as it goes, rewrites Gradescope's results.json after each
notebook with `--gradescope FILE`, and exits 0 only at full marks (what GitHub Classroom looks at).
`minillm grade --similarity` flags answers that are near-identical to each other or to the package's code.
"""

import ast
import hashlib
import inspect
import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from minillm.course.check import CheckFailed, expect_close, expect_equal, expect_true
from minillm.course.release import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    SOLUTIONS_DIR,
    nbgrader_meta,
    read_notebook,
)
from minillm.course.sandbox import OUTPUT_LIMIT, run_in_subprocess
from minillm.errors import UserError
from minillm.files import DATA_DIR, PACKAGE_DIR

CELL_TIMEOUT = 60  # seconds; the slowest exercise cell of the course takes a few
NOTEBOOK_TIMEOUT = 600
MEMORY_LIMIT_GB = 3.0  # per kernel (its address space: torch alone maps about 0.7 GB)
EXPECTS = {"expect_close": ("close", expect_close), "expect_equal": ("equal", expect_equal),
           "expect_true": ("true", expect_true)}
NOT_SHOWN = "(the message is not shown: it quotes the course's solutions or hidden tests)"


@dataclass
class ExerciseResult:
    notebook: str
    exercise: str
    points: float
    max_points: float
    output: str


@dataclass
class Exercise:
    name: str
    points: float
    answer_names: list[str]  # what the solution's answer cell defines
    reference: list[dict] = field(default_factory=list)  # one record per expect_* call, then the summary


@dataclass
class Lesson:
    """A source notebook, read once, and what its solutions produce."""
    name: str
    notebook: object
    exercises: dict[str, Exercise]
    package_names: set[str]  # names the locked cells import from the package
    secrets: list[str]  # lines of hidden tests and solutions, never shown to a learner


# ----------------------------------------------------------------------------- the lesson


def check_name(cell) -> str:
    return nbgrader_meta(cell)["grade_id"].removeprefix("check_")


def defined_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def region_lines(source: str, begin: str, end: str) -> set[int]:
    """1-based numbers of the lines inside begin..end markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.split("\n"), 1):
        if line.strip() in (begin, end):
            inside = line.strip() == begin
        elif inside:
            lines.add(number)
    return lines


def imported_package_names(source: str) -> set[str]:
    """Names a locked cell binds to the package (`from minillm import train`), constants aside."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("minillm") \
                and not node.module.startswith("minillm.course"):
            names |= {a.asname or a.name for a in node.names if not (a.asname or a.name).isupper()}
        elif isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("minillm")}
    return names


def load_lesson(path: Path) -> Lesson:
    notebook = read_notebook(path)
    exercises, package_names, secret_lines = {}, set(), []
    answers = {nbgrader_meta(c).get("grade_id"): c.source for c in notebook.cells if nbgrader_meta(c).get("solution")}
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        secret = region_lines(cell.source, BEGIN_HIDDEN, END_HIDDEN) | region_lines(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        for line in (" ".join(lines[n - 1].split()) for n in secret):
            if len(line) >= 12:  # as written, and as it looks inside the notebook's JSON
                secret_lines += [line, json.dumps(line)[1:-1]]
        if meta.get("grade"):
            name = check_name(cell)
            exercises[name] = Exercise(name, float(meta.get("points", 0)), defined_names(answers.get(f"ex_{name}", "")))
        elif not meta.get("solution"):
            package_names |= imported_package_names(cell.source)
    if not exercises:
        raise UserError(f"{path} has no graded cells: it is not a source notebook")
    return Lesson(path.stem, notebook, exercises, package_names, secret_lines)


def lesson_paths(paths, source_dir: Path, lesson: str | None) -> dict[str, Path]:
    """Submission -> its source notebook, from the file name (or `lesson`), never from the submission."""
    known = {p.name: p for p in sorted(source_dir.glob("*.ipynb"))}
    if lesson is not None and f"{lesson}.ipynb" not in known:
        raise UserError(f"no lesson {lesson!r} in {source_dir} (there are: {', '.join(p.stem for p in known.values())})")
    sources = {}
    for path in paths:
        name = f"{lesson}.ipynb" if lesson else Path(path).name
        if name not in known:
            raise UserError(f"{path}: its file name names no notebook in {source_dir}; "
                            "name it like the exercise (00_warmup.ipynb) or pass --lesson")
        sources[str(path)] = known[name]
    return sources


# ----------------------------------------------------------------------------- the cells to run


class _CheckRewriter(ast.NodeTransformer):
    """expect_*(got, expected, ...) -> record got (learner) or record got and expected (reference)."""

    def __init__(self, reference: bool, answer_names: list[str], hidden_lines: set[int]):
        self.reference, self.answer_names, self.hidden_lines = reference, answer_names, hidden_lines
        self.hidden: list[bool] = []

    def visit_Call(self, node):
        self.generic_visit(node)
        if not isinstance(node.func, ast.Name):
            return node
        if node.func.id == "exercise":
            names = ast.List([ast.Constant(n) for n in self.answer_names], ast.Load())
            return ast.Call(ast.Name("_minillm_graded", ast.Load()), [*node.args[:1], names], [])
        if node.func.id not in EXPECTS:
            return node
        kind, helper = EXPECTS[node.func.id]
        bound = inspect.signature(helper).bind(*node.args, **{k.arg: k.value for k in node.keywords})
        arguments = dict(bound.arguments)
        got = arguments.pop("condition" if kind == "true" else "got")
        site = ast.Constant(len(self.hidden))
        self.hidden.append(node.lineno in self.hidden_lines)
        if not self.reference:
            if kind == "true":  # truthy, as the in-notebook check has it
                got = ast.Call(ast.Name("bool", ast.Load()), [got], [])
            return ast.Call(ast.Name("_minillm_got", ast.Load()), [site, got], [])
        keywords = [ast.keyword(k, v) for k, v in arguments.items()]
        return ast.Call(ast.Name("_minillm_ref", ast.Load()), [site, ast.Constant(kind), got], keywords)


def rewrite_check(source: str, reference: bool, answer_names: list[str]) -> str:
    rewriter = _CheckRewriter(reference, answer_names, region_lines(source, BEGIN_HIDDEN, END_HIDDEN))
    tree = ast.fix_missing_locations(rewriter.visit(ast.parse(source)))
    return "_minillm_reseed()\n" + ast.unparse(tree)


def preamble(memory_limit_gb: float) -> str:
    """The first cell of every kernel, before any learner's code: the memory limit and the recorders."""
    limit = int(memory_limit_gb * 2**30)
    return (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n" * (limit > 0)
        + "from minillm.course.check import graded as _minillm_graded, record_got as _minillm_got, "
        "record_reference as _minillm_ref, reseed as _minillm_reseed, take_records as _minillm_take\n"
    )


def cell_plan(source: str, kind: str, exercise: str | None = None) -> dict:
    return {"source": source, "kind": kind, "exercise": exercise}


def reference_plan(lesson: Lesson) -> list[dict]:
    """The source notebook as it is (solutions in), its checks recording the expected values."""
    plan = []
    for cell in lesson.notebook.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code":
            continue
        if meta.get("grade"):
            exercise = lesson.exercises[check_name(cell)]
            plan.append(cell_plan(rewrite_check(cell.source, True, exercise.answer_names), "check", exercise.name))
        elif meta.get("solution"):
            plan.append(cell_plan(cell.source, "answer", meta["grade_id"].removeprefix("ex_")))
        else:
            plan.append(cell_plan("_minillm_reseed()\n" + cell.source, "locked"))
    return plan


def assemble(submission, lesson: Lesson) -> list[dict]:
    """The learner's answer cells (matched by grade_id) and extra cells, every locked cell from the source."""
    source_ids = {nbgrader_meta(c).get("grade_id") for c in lesson.notebook.cells}
    answers, extras_after, last_id = {}, {None: []}, None
    for cell in submission.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in source_ids:
            answers[grade_id] = cell
            last_id = grade_id
        elif cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            extras_after.setdefault(last_id, []).append(cell)

    plan = [cell_plan(c.source, "extra") for c in extras_after[None]]
    for cell in lesson.notebook.cells:
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if cell.cell_type == "code":
            if meta.get("solution"):
                answer = answers.get(grade_id)
                source = answer.source if answer is not None and isinstance(answer.get("source"), str) else ""
                plan.append(cell_plan(source, "answer", grade_id.removeprefix("ex_")))
            elif meta.get("grade"):
                exercise = lesson.exercises[check_name(cell)]
                plan.append(cell_plan(rewrite_check(cell.source, False, exercise.answer_names), "check", exercise.name))
            else:
                plan.append(cell_plan("_minillm_reseed()\n" + cell.source, "locked"))
        plan.extend(cell_plan(c.source, "extra") for c in extras_after.get(grade_id, []))
    return plan


# ----------------------------------------------------------------------------- comparing, in the grader


def from_plain(value):
    """The inverse of check.to_plain: plain data back to what the checks compare."""
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "tuple" in value:
        return tuple(from_plain(v) for v in value["tuple"])
    if "dict" in value:
        return {from_plain(k): from_plain(v) for k, v in value["dict"]}
    if "set" in value:
        return {from_plain(v) for v in value["set"]}
    if "bytes" in value:
        return bytes.fromhex(value["bytes"])
    if "array" in value:
        return np.array(value["array"], dtype=value["dtype"]).reshape(value["shape"])
    return Opaque(str(value.get("repr")))


class Opaque(str):
    """A value the kernel could only describe (a dtype, say): equal when the descriptions are."""

    def __repr__(self):
        return str(self)


def compare(reference: dict, got) -> str | None:
    """None if `got` passes the reference's check, else the check's message (expected vs got, hint)."""
    kind, hint = reference["kind"], reference["hint"]
    try:
        expected, got = from_plain(reference["expected"]), from_plain(got)
        if kind == "close":
            expect_close(got, expected, atol=reference["atol"], rtol=reference["rtol"], hint=hint)
        elif kind == "equal":
            expect_equal(got, expected, hint=hint)
        else:
            expect_true(got is True, str(reference["message"]), hint=hint)
    except CheckFailed as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - a value no check can compare (a hand-made record) fails
        return f"got a value that cannot be compared ({type(e).__name__})"
    return None


def error_feedback(error: dict) -> str:
    kind = error["type"]
    if kind == "NotImplementedError":
        return "⏳ {name}: not implemented yet"
    if kind == "SystemExit":
        return "❌ {name}: your code called sys.exit() (or exit()), which stops the notebook; remove it"
    if kind == "MemoryError":
        return "❌ {name}: your code ran out of memory (the grader's limit per notebook)"
    return "❌ {name}: your code raised " + f"{kind}: {error['message']}{error['where']}"


def answer_feedback(answer: dict, cell_timeout: int) -> str:
    """What went wrong in an answer cell (an error's message is "Type: text", as the kernel reported it)."""
    if answer["status"] == "died":
        return "❌ {name}: the Python kernel died while running your answer cell (os._exit(), or a crash)"
    if answer["status"] == "timeout":
        return f"❌ {{name}}: your answer cell stopped after {cell_timeout} s (an endless loop?)"
    kind = answer["message"].partition(": ")[0]
    if kind in ("NotImplementedError", "SystemExit", "MemoryError"):
        return error_feedback({"type": kind})
    return "❌ {name}: your answer cell raised " + answer["message"]


def check_feedback(exercise: Exercise, records: list) -> str | None:
    """None if every check of the exercise passes, else what the learner may see."""
    got = [r for r in records if isinstance(r, dict) and "site" in r]
    summary = next((r for r in reversed(records) if isinstance(r, dict) and "error" in r), None)
    if summary is None:
        return "❌ {name}: the checks did not finish"
    if summary.get("package_used"):
        return package_message(", ".join(map(str, summary["package_used"])))
    for i, reference in enumerate(exercise.reference[:-1]):
        hidden = reference["hidden"]
        if i >= len(got) or got[i].get("site") != reference["site"]:
            error = summary["error"]
            if error is None:
                return "❌ {name}: the checks did not finish"
            if hidden and error["type"] not in ("NotImplementedError", "SystemExit", "MemoryError"):
                return f"passes the visible checks but not the hidden ones — your code raised {error['type']}"
            return error_feedback(error)
        failure = compare(reference, got[i].get("value"))
        if failure is not None:
            if hidden:
                hint = f" (hint: {reference['hint']})" if reference["hint"] else ""
                return "passes the visible checks but not the hidden ones" + hint
            return "❌ {name}: " + failure
    if summary["error"] is not None:
        return error_feedback(summary["error"])
    return None


def package_message(used: str) -> str:
    return "❌ {name}: your answer uses the package's own code (" + used + ") — the exercise is to write it yourself"


def redact(message: str, lesson: Lesson) -> str:
    flat = " ".join(message.split())
    return NOT_SHOWN if any(line in flat for line in lesson.secrets) else message


# ----------------------------------------------------------------------------- the package's code in answers


def package_uses(code: str, package_names: set[str]) -> list[str]:
    """What in a learner's cell reaches into the package (imports, the locked cells' package names)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    stored |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            uses += [f"import {a.name}" for a in node.names
                     if a.name.split(".")[0] == "minillm" and a.name != "minillm.course.check"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "minillm" \
                and node.module != "minillm.course.check":
            uses.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Name) and node.id in package_names and node.id not in stored:
            uses.append(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "minillm" in node.value \
                and id(node) not in docstrings:
            uses.append(repr(node.value)[:40])
    return list(dict.fromkeys(uses))


# ----------------------------------------------------------------------------- scoring


def score(lesson: Lesson, plan: list[dict], results: dict[int, dict], ending: str, notebook: str,
          cell_timeout: int) -> list[ExerciseResult]:
    answers = {p["exercise"]: (i, p) for i, p in enumerate(plan) if p["kind"] == "answer"}
    checks = {p["exercise"]: i for i, p in enumerate(plan) if p["kind"] == "check"}
    extra_uses = [u for p in plan if p["kind"] == "extra" for u in package_uses(p["source"], lesson.package_names)]
    scored = []
    for name, exercise in lesson.exercises.items():
        answer_index, answer_cell = answers.get(name, (None, {"source": ""}))
        uses = package_uses(answer_cell["source"], lesson.package_names) + extra_uses
        answer = results.get(answer_index)
        check = results.get(checks.get(name))
        if uses:
            message = package_message(", ".join(uses))
        elif check is not None and check["status"] == "ok":
            message = check_feedback(exercise, check["records"])
        elif check is not None and check["status"] == "timeout":
            message = f"❌ {name}: your code stopped after {cell_timeout} s during the checks (an endless loop?)"
        elif check is not None:
            message = f"❌ {name}: the Python kernel died during the checks (os._exit(), a crash, or too much memory)"
        elif ending == "timeout":
            message = f"❌ {name}: not reached (the notebook ran out of time)"
        else:
            message = f"❌ {name}: not graded: your code stopped the grader's process that runs the notebook"
        if message is not None and not uses and answer is not None and answer["status"] != "ok":
            message = answer_feedback(answer, cell_timeout)  # the cause, rather than a NameError in the checks
        if message is None:
            scored.append(ExerciseResult(notebook, name, exercise.points, exercise.points, "✅ passed"))
        else:
            message = redact(message.replace("{name}", name), lesson)[:OUTPUT_LIMIT]
            scored.append(ExerciseResult(notebook, name, 0.0, exercise.points, message))
    return scored


# ----------------------------------------------------------------------------- the batch


_reference_cache: dict[str, dict[str, list[dict]]] = {}  # the same sources, package and data: the same values


def compute_reference(lesson: Lesson, cell_timeout: int, notebook_timeout: int, memory_limit_gb: float,
                      key: str) -> None:
    """Run the solutions; keep each check's expected values; refuse a source whose solution fails its checks."""
    if key in _reference_cache:
        for name, records in _reference_cache[key].items():
            lesson.exercises[name].reference = records
        return
    plan = [cell_plan(preamble(memory_limit_gb), "locked")] + reference_plan(lesson)
    results, _ = run_in_subprocess(plan, cell_timeout, notebook_timeout)
    for index, p in enumerate(plan):
        if p["kind"] == "check":
            exercise = lesson.exercises[p["exercise"]]
            result = results.get(index)
            records = result["records"] if result and result["status"] == "ok" else []
            summary = records[-1] if records and "error" in records[-1] else None
            flags = hidden_flags(lesson, p["exercise"])
            failure = None if summary and summary["error"] is None else f"it raised {summary and summary['error']}"
            for record in records[:-1]:
                record["hidden"] = flags[record["site"]]
                failure = failure or compare(record, record["got"])
            if failure or not records:
                raise UserError(f"solutions/{lesson.name}.ipynb: the solution of {exercise.name!r} fails its own checks "
                                f"({failure or 'the notebook did not run'}): fix the source before grading")
            exercise.reference = records
    _reference_cache[key] = {name: exercise.reference for name, exercise in lesson.exercises.items()}


def hidden_flags(lesson: Lesson, name: str) -> list[bool]:
    cell = next(c for c in lesson.notebook.cells if nbgrader_meta(c).get("grade") and check_name(c) == name)
    rewriter = _CheckRewriter(True, [], region_lines(cell.source, BEGIN_HIDDEN, END_HIDDEN))
    rewriter.visit(ast.parse(cell.source))
    return rewriter.hidden


def fingerprint(folders) -> dict[str, str]:
    """sha256 of every file under the folders the grading depends on."""
    prints = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def grade_one(path, lesson: Lesson, cell_timeout: int, notebook_timeout: int, memory_limit_gb: float):
    submission = read_notebook(path)
    plan = [cell_plan(preamble(memory_limit_gb), "locked")] + assemble(submission, lesson)
    results, ending = run_in_subprocess(plan, cell_timeout, notebook_timeout)
    return score(lesson, plan, results, ending, str(path), cell_timeout)


def grade(paths, source_dir=None, cell_timeout: int = CELL_TIMEOUT, notebook_timeout: int = NOTEBOOK_TIMEOUT,
          progress: bool = False, lesson: str | None = None, memory_limit_gb: float = MEMORY_LIMIT_GB,
          on_notebook=None) -> list[ExerciseResult]:
    """Grade each notebook against its source; on_notebook(results) is called as each one is done."""
    source_dir = Path(source_dir or SOLUTIONS_DIR)
    for path in paths:  # report a wrong path before spending minutes on the others
        read_notebook(path)
    sources = lesson_paths(paths, source_dir, lesson)
    lessons = {str(s): load_lesson(s) for s in dict.fromkeys(sources.values())}
    guarded = [PACKAGE_DIR, source_dir, DATA_DIR]
    baseline = fingerprint(guarded)
    environment = json.dumps(fingerprint([PACKAGE_DIR, DATA_DIR]), sort_keys=True)
    for path, each in lessons.items():  # before any learner's code runs
        key = hashlib.sha256(environment.encode() + Path(path).read_bytes()).hexdigest()
        compute_reference(each, cell_timeout, notebook_timeout, memory_limit_gb, key)
    results = []
    bar = tqdm(paths, desc="grading", unit="notebook", disable=not progress or len(paths) < 2)
    for path in bar:
        lesson_now = lessons[str(sources[str(path)])]
        try:
            rows = grade_one(path, lesson_now, cell_timeout, notebook_timeout, memory_limit_gb)
        except Exception as e:  # noqa: BLE001 - one broken notebook must not stop the batch
            rows = [ExerciseResult(str(path), name, 0.0, ex.points, f"❌ {name}: could not grade this notebook "
                                   f"({type(e).__name__}); is it a copy of the exercise notebook?")
                    for name, ex in lesson_now.exercises.items()]
        changed = changed_files(baseline, fingerprint(guarded))
        if changed:
            shown = ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
            rows = [replace(r, points=0.0, output=f"❌ {r.exercise}: not graded: your code changed the course's files")
                    for r in rows]
        results += rows
        if on_notebook:
            on_notebook(rows)
        if changed:
            raise UserError(f"grading {path} changed {shown}; grading stopped (it scores 0): restore those files, "
                            "then grade the remaining notebooks")
    return results


def grade_notebook(path, source_dir=None, cell_timeout: int = CELL_TIMEOUT,
                   notebook_timeout: int = NOTEBOOK_TIMEOUT, **kwargs) -> list[ExerciseResult]:
    """Grade one submitted notebook; every exercise of its source gets a result, whatever happens."""
    return grade([path], source_dir, cell_timeout, notebook_timeout, **kwargs)


# ----------------------------------------------------------------------------- reporting


def print_table(results: list[ExerciseResult], file=sys.stdout) -> None:
    for notebook in dict.fromkeys(r.notebook for r in results):
        rows = [r for r in results if r.notebook == notebook]
        width = max(len(r.exercise) for r in rows) + 2
        print(f"\n{notebook}", file=file)
        for r in rows:
            first_line = r.output.splitlines()[0] if r.output else ""
            print(f"  {r.exercise:<{width}} {r.points:>4g}/{r.max_points:<4g} {first_line}", file=file)
        got, out_of = sum(r.points for r in rows), sum(r.max_points for r in rows)
        print(f"  {'total':<{width}} {got:>4g}/{out_of:<4g}", file=file)


def gradescope_results(results: list[ExerciseResult]) -> dict:
    """Gradescope's autograder results.json."""
    return {
        "score": sum(r.points for r in results),
        "tests": [
            {
                "name": f"{Path(r.notebook).stem}: {r.exercise}",
                "score": r.points,
                "max_score": r.max_points,
                "output": r.output,
                "visibility": "visible",
            }
            for r in results
        ],
    }


def full_marks(results: list[ExerciseResult]) -> bool:
    return bool(results) and all(r.points == r.max_points for r in results)

