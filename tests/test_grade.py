"""The autograder: full marks for solutions, zero for fresh exercises, partial credit, and survival of
whatever a student's code does (endless loops, sys.exit, a dead kernel, huge prints, deleted cells)."""

import copy
import json

import nbformat
import pytest
from conftest import graded_points

from minillm.course import grade, release

WARMUP = release.SOLUTIONS_DIR / "00_warmup.ipynb"
EXERCISE = release.EXERCISES_DIR / "00_warmup.ipynb"
POINTS = graded_points(WARMUP)


def only(**points):
    """Every exercise of lesson 00 at 0 points but those given."""
    return {**{name: 0 for name in POINTS}, **points}


def scores(results):
    return {r.exercise: r.points for r in results}


def solution_source(grade_id):
    return next(c.source for c in nbformat.read(WARMUP, as_version=4).cells if release.nbgrader_meta(c)["grade_id"] == grade_id)


def submission(tmp_path, answers=None, drop=(), edit_check=None):
    """The released exercise with some answer cells filled in (by grade_id) and some cells deleted."""
    nb = nbformat.read(EXERCISE, as_version=4)
    for cell in nb.cells:
        grade_id = release.nbgrader_meta(cell)["grade_id"]
        if answers and grade_id in answers:
            cell.source = solution_source(grade_id) if answers[grade_id] == "solution" else answers[grade_id]
        if edit_check and grade_id == edit_check:
            cell.source = "print('all good, trust me')"
    nb.cells = [c for c in nb.cells if release.nbgrader_meta(c)["grade_id"] not in drop]
    path = tmp_path / "00_warmup.ipynb"  # the file name names the lesson
    nbformat.write(nb, path)
    return path


def test_solutions_get_full_marks():
    results = grade.grade([WARMUP])
    assert scores(results) == POINTS
    assert grade.full_marks(results)


def test_fresh_exercises_get_zero_with_not_implemented():
    results = grade.grade([EXERCISE])
    assert scores(results) == {name: 0 for name in POINTS}
    assert all("not implemented yet" in r.output for r in results)
    assert not grade.full_marks(results)


def test_partial_credit(tmp_path):
    wrong_softmax = "def softmax(z):\n    import numpy as np\n    return np.exp(z) / np.exp(z).sum()"
    path = submission(tmp_path, {"ex_softmax": wrong_softmax, "ex_sample": "solution", "ex_perplexity": "solution"})
    results = grade.grade([path])
    assert scores(results) == only(sample=2, perplexity=1)
    softmax = next(r for r in results if r.exercise == "softmax")
    assert "expected" in softmax.output and "subtract the largest score" in softmax.output


def test_hidden_tests_count_without_showing_them(tmp_path):
    # Right on the visible examples only: a hard-coded answer.
    cheat = "def perplexity(losses):\n    return 4.0"
    results = grade.grade([submission(tmp_path, {"ex_perplexity": cheat})])
    perplexity = next(r for r in results if r.exercise == "perplexity")
    assert perplexity.points == 0 and "hidden" in perplexity.output
    assert "exp of the mean, not the mean of exps" in perplexity.output  # the hidden test's hint ...
    assert "2.718" not in perplexity.output and "[0.0, 2.0]" not in perplexity.output  # ... not its values


def test_survives_endless_loop_sys_exit_dead_kernel_and_huge_print(tmp_path):
    answers = {
        "ex_softmax": "while True:\n    pass",
        "ex_cross_entropy": "import sys\nsys.exit(3)",
        "ex_sample": "import os\nos._exit(1)",
        "ex_perplexity": "print('x' * 10_000_000)\n" + solution_source("ex_perplexity"),
    }
    results = grade.grade_notebook(submission(tmp_path, answers), cell_timeout=5, notebook_timeout=240)
    assert scores(results) == only(perplexity=1)
    by_name = {r.exercise: r.output for r in results}
    assert "stopped after 5 s" in by_name["softmax"]
    assert "died" in by_name["sample"]


def test_deleted_or_edited_check_cells_are_restored(tmp_path):
    path = submission(
        tmp_path, {"ex_softmax": "solution", "ex_sample": "solution"}, drop={"check_softmax"}, edit_check="check_sample"
    )
    assert scores(grade.grade([path])) == only(softmax=2, sample=2)


def test_deleted_answer_cell_and_missing_import_lose_only_their_exercise(tmp_path):
    answers = {"ex_softmax": "import no_such_module_anywhere\n", "ex_sample": "solution", "ex_perplexity": "solution"}
    path = submission(tmp_path, answers, drop={"ex_cross_entropy"})
    results = grade.grade([path])
    assert scores(results) == only(sample=2, perplexity=1)


def test_notebook_time_limit_keeps_finished_exercises(tmp_path):
    slow = "import time\ntime.sleep(60)"
    path = submission(tmp_path, {"ex_softmax": "solution", "ex_cross_entropy": slow})
    results = grade.grade_notebook(path, cell_timeout=120, notebook_timeout=20)
    assert scores(results)["softmax"] == 2
    assert "ran out of time" in next(r for r in results if r.exercise == "sample").output


def test_gradescope_results_format():
    results = [grade.ExerciseResult("a/00_warmup.ipynb", "softmax", 2.0, 2.0, "✅ passed"),
               grade.ExerciseResult("a/00_warmup.ipynb", "sample", 0.0, 2.0, "⏳ sample: not implemented yet")]
    data = json.loads(json.dumps(grade.gradescope_results(results)))
    assert data["score"] == 2.0
    assert data["tests"][1] == {"name": "00_warmup: sample", "score": 0.0, "max_score": 2.0,
                                "output": "⏳ sample: not implemented yet", "visibility": "visible"}


def test_unreadable_notebook_is_one_clear_error(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(grade.UserError, match="not a readable notebook"):
        grade.grade([broken])


def test_assemble_restores_locked_cells_and_keeps_expected_values_out():
    lesson = grade.load_lesson(WARMUP)
    student = copy.deepcopy(lesson.notebook)
    student.cells.insert(3, nbformat.v4.new_code_cell("scratch = 1"))
    plan = grade.assemble(student, lesson)
    assert "scratch = 1" in [p["source"] for p in plan]
    checks = [p for p in plan if p["kind"] == "check"]
    assert [p["exercise"] for p in checks] == list(POINTS)
    softmax_check = checks[0]["source"]
    assert "softmax(np.array([-1000.0, 0.0]))" in softmax_check  # the learner's code is called ...
    assert "[0.0, 1.0]" not in softmax_check and "expect_close" not in softmax_check  # ... nothing compared
