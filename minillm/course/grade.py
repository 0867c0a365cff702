"""Autograder for the course's exercise notebooks: `minillm grade PATH...`.

For each submitted notebook the grader
1. finds its source in `solutions/` (by the notebook's `minillm.lesson` metadata, else its file name);
2. assembles the notebook to run, as nbgrader does: the learner's answer cells (matched by `grade_id`)
   and extra cells, with every locked cell — instructions, setup, checks — restored from the source, and
   each check cell run twice: the visible checks alone, then with the hidden tests;
3. runs it in its own subprocess under a time limit, one Jupyter kernel, a time limit per cell too;
   a kernel that dies (`os._exit`, a crash) or a cell that loops forever is restarted and the cells
   that worked are replayed, so only the exercise at fault loses its points;
4. scores each exercise independently: all its points if its checks pass, none otherwise.

`minillm grade` prints a score table, writes Gradescope's results.json with `--gradescope FILE`, and
exits 0 only at full marks (what GitHub Classroom looks at).
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from tqdm.auto import tqdm

from minillm.course.check import NOT_IMPLEMENTED
from minillm.course.release import (
    BEGIN_HIDDEN,
    END_HIDDEN,
    SOLUTIONS_DIR,
    nbgrader_meta,
    read_notebook,
    replace_regions,
)
from minillm.errors import UserError

CELL_TIMEOUT = 60  # seconds; the slowest exercise cell of the course takes a few
NOTEBOOK_TIMEOUT = 600
OUTPUT_LIMIT = 2000  # characters of a failure message kept for the learner


@dataclass
class ExerciseResult:
    notebook: str
    exercise: str
    points: float
    max_points: float
    output: str


# ----------------------------------------------------------------------------- assembling


def find_source(submission, path: Path, source_dir: Path) -> Path:
    lesson = submission.metadata.get("minillm", {}).get("lesson")
    candidates = [source_dir / f"{lesson}.ipynb"] if lesson else []
    candidates.append(source_dir / Path(path).name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UserError(f"no notebook in {source_dir} to grade {path} against (its lesson is {lesson!r})")


def exercise_name(check_cell) -> str:
    return nbgrader_meta(check_cell)["grade_id"].removeprefix("check_")


def assemble(submission, source) -> list[dict]:
    """The cells to run, each {"source", "check": exercise or None, "hidden": bool, "answer": exercise or None}."""
    answers, extras_after, last_id = {}, {None: []}, None
    source_ids = {nbgrader_meta(c).get("grade_id") for c in source.cells}
    for cell in submission.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in source_ids:
            answers[grade_id] = cell
            last_id = grade_id
        elif cell.cell_type == "code":
            extras_after.setdefault(last_id, []).append(cell)

    plan = [{"source": c.source, "check": None, "hidden": False, "answer": None} for c in extras_after[None]]
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if cell.cell_type == "code":
            if meta.get("solution"):
                answer = answers.get(grade_id)
                name = grade_id.removeprefix("ex_")
                plan.append({"source": answer.source if answer else "", "check": None, "hidden": False, "answer": name})
            elif meta.get("grade"):
                visible = "\n".join(replace_regions(cell.source.split("\n"), BEGIN_HIDDEN, END_HIDDEN, None, grade_id))
                plan.append({"source": visible, "check": exercise_name(cell), "hidden": False, "answer": None})
                plan.append({"source": cell.source, "check": exercise_name(cell), "hidden": True, "answer": None})
            else:
                plan.append({"source": cell.source, "check": None, "hidden": False, "answer": None})
        plan.extend({"source": c.source, "check": None, "hidden": False, "answer": None} for c in extras_after.get(grade_id, []))
    return plan


def exercises_of(source) -> dict[str, float]:
    return {
        exercise_name(c): float(nbgrader_meta(c).get("points", 0))
        for c in source.cells
        if c.cell_type == "code" and nbgrader_meta(c).get("grade")
    }


# ----------------------------------------------------------------------------- running (in the worker)


def run_plan(plan: list[dict], workdir: str, cell_timeout: int, report) -> None:
    """Run the planned cells in one kernel; call report(index, status, message) after each.

    status is "ok", "error", "timeout" or "died". After a timeout or a dead kernel a fresh kernel
    replays the cells that worked, then goes on with the next cell.
    """
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(p["source"]) for p in plan])
    worked, index = [], 0
    while index < len(plan):
        client = NotebookClient(
            nb, timeout=cell_timeout, kernel_name="python3", allow_errors=False, force_raise_errors=True,
            record_timing=False, resources={"metadata": {"path": workdir}},
        )
        with client.setup_kernel():
            for i in worked:
                run_one(client, nb, i)
            while index < len(plan):
                status, message = run_one(client, nb, index)
                report(index, status, message)
                index += 1
                if status == "ok":
                    worked.append(index - 1)
                if status in ("timeout", "died"):
                    break


def run_one(client, nb, index) -> tuple[str, str]:
    cell = nb.cells[index]
    try:
        client.execute_cell(cell, index)
        return "ok", ""
    except CellExecutionError as e:
        return "error", f"{e.ename}: {e.evalue}" if e.ename != "CheckFailed" else e.evalue
    except CellTimeoutError:
        return "timeout", f"stopped after {client.timeout} s (an endless loop?)"
    except DeadKernelError:
        return "died", "the Python kernel died (os._exit, exit(), or a crash)"
    finally:
        cell.outputs = []  # a runaway print must not pile up in memory


def worker(plan_file: str, results_file: str, cell_timeout: int) -> None:
    """The subprocess: run one plan, writing one JSON line per finished cell (kept if we are killed)."""
    plan = json.loads(Path(plan_file).read_text())
    with open(results_file, "a", buffering=1) as out, tempfile.TemporaryDirectory() as workdir:
        def report(index, status, message):
            out.write(json.dumps({"index": index, "status": status, "message": message[:OUTPUT_LIMIT]}) + "\n")

        run_plan(plan, workdir, cell_timeout, report)


# ----------------------------------------------------------------------------- scoring


def run_in_subprocess(plan: list[dict], cell_timeout: int, notebook_timeout: int) -> dict[int, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        plan_file, results_file = Path(tmp, "plan.json"), Path(tmp, "results.jsonl")
        plan_file.write_text(json.dumps(plan))
        results_file.touch()
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "minillm.course.grade", str(plan_file), str(results_file), str(cell_timeout)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=notebook_timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:  # the kernel is a grandchild: take the whole session down
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        lines = results_file.read_text().splitlines()
    return {r["index"]: r for r in map(json.loads, filter(None, lines))}


def score(plan: list[dict], results: dict[int, dict], points: dict[str, float], notebook: str) -> list[ExerciseResult]:
    answer_status = {p["answer"]: results.get(i) for i, p in enumerate(plan) if p["answer"]}
    outcome = {}
    for i, p in enumerate(plan):
        if p["check"]:
            outcome.setdefault(p["check"], {})[p["hidden"]] = results.get(i)

    scored = []
    for name, max_points in points.items():
        visible, full = outcome.get(name, {}).get(False), outcome.get(name, {}).get(True)
        answer = answer_status.get(name)
        if full and full["status"] == "ok":
            scored.append(ExerciseResult(notebook, name, max_points, max_points, "✅ passed"))
            continue
        if answer and "NotImplementedError" in answer["message"]:
            message = f"⏳ {name}: {NOT_IMPLEMENTED}"
        elif answer and answer["status"] in ("timeout", "died"):
            message = f"❌ {name}: your code {answer['message']}"
        elif visible is None or full is None:
            message = f"❌ {name}: not reached (the notebook ran out of time)"
        elif visible["status"] != "ok":
            message = visible["message"]
        else:
            message = f"passes the visible checks but not the hidden ones — {full['message']}"
        scored.append(ExerciseResult(notebook, name, 0.0, max_points, message))
    return scored


def grade_notebook(path, source_dir=None, cell_timeout: int = CELL_TIMEOUT,
                   notebook_timeout: int = NOTEBOOK_TIMEOUT) -> list[ExerciseResult]:
    """Grade one submitted notebook; every exercise of its source gets a result, whatever happens."""
    source_dir = Path(source_dir or SOLUTIONS_DIR)
    submission = read_notebook(path)
    source = read_notebook(find_source(submission, path, source_dir))
    plan = assemble(submission, source)
    results = run_in_subprocess(plan, cell_timeout, notebook_timeout)
    return score(plan, results, exercises_of(source), str(path))


def grade(paths, source_dir=None, cell_timeout: int = CELL_TIMEOUT,
          notebook_timeout: int = NOTEBOOK_TIMEOUT, progress: bool = False) -> list[ExerciseResult]:
    for path in paths:  # report a wrong path before spending minutes on the others
        read_notebook(path)
    bar = tqdm(paths, desc="grading", unit="notebook", disable=not progress or len(paths) < 2)
    return [r for p in bar for r in grade_notebook(p, source_dir, cell_timeout, notebook_timeout)]


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


if __name__ == "__main__":
    worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))
