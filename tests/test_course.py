"""The course machinery: exercises released from solutions, the in-notebook checks, nbgrader metadata."""

import ast
import filecmp
import re

import nbformat
import numpy as np
import pytest

from minillm import cli
from minillm.course import release, similarity
from minillm.course.check import CheckFailed, exercise, expect_close, expect_equal, expect_true
from minillm.errors import UserError

SOLUTIONS = sorted(release.SOLUTIONS_DIR.glob("*.ipynb"))
LEAK_THRESHOLD = 0.75  # token-sequence match above which an answer is the lesson's own code, renamed


def test_exercises_folder_is_up_to_date(tmp_path):
    released = release.release(out_dir=tmp_path)
    committed = sorted(p.name for p in release.EXERCISES_DIR.glob("*.ipynb"))
    assert committed == sorted(p.name for p in released), "run `minillm course release`"
    for path in released:
        assert filecmp.cmp(path, release.EXERCISES_DIR / path.name, shallow=False), (
            f"exercises/{path.name} is stale: run `minillm course release`"
        )


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_cells_carry_nbgrader_metadata(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["minillm"]["lesson"] == path.stem
    ids = [release.nbgrader_meta(c).get("grade_id") for c in nb.cells]
    assert None not in ids, "every cell of a solution notebook needs nbgrader metadata"
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    checks = [c for c in nb.cells if release.nbgrader_meta(c).get("grade")]
    assert len(checks) >= 3
    for cell in nb.cells:
        meta = release.nbgrader_meta(cell)
        assert meta["schema_version"] == 3
        if meta["solution"]:
            assert release.BEGIN_SOLUTION in cell.source and not meta["locked"]
            assert f"check_{meta['grade_id'].removeprefix('ex_')}" in ids, "each answer cell has its check cell"
        if meta["grade"]:
            assert meta["locked"] and meta["points"] > 0
            assert release.BEGIN_HIDDEN in cell.source, "each check cell has hidden tests"


def test_release_replaces_solutions_and_removes_hidden_tests_and_outputs():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
        nbformat.v4.new_code_cell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS\nprint('ok')"),
        nbformat.v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
    ])
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="ok\n")]
    nb.cells[1].execution_count = 3
    nb.metadata["widgets"] = {"state": {}}
    ex = release.release_notebook(nb)
    assert ex.cells[0].source == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert ex.cells[1].source == "assert f(1) == 2\nprint('ok')"
    assert ex.cells[2].source == "Why?\nYOUR ANSWER HERE"
    assert ex.cells[1].outputs == [] and ex.cells[1].execution_count is None
    assert "widgets" not in ex.metadata
    assert nb.cells[0].source.count("BEGIN SOLUTION") == 1, "the source notebook is left alone"


def test_release_rejects_unbalanced_markers():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1")])
    with pytest.raises(UserError, match="never closed"):
        release.release_notebook(nb, "broken.ipynb")


def test_release_writes_nothing_when_one_notebook_is_broken(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("### END SOLUTION")])
    nbformat.write(good, source / "a.ipynb")
    nbformat.write(bad, source / "b.ipynb")
    with pytest.raises(UserError, match="b.ipynb"):
        release.release(source, tmp_path / "out")
    assert not list((tmp_path / "out").glob("*.ipynb"))


def test_passing_checks_print_a_tick(capsys):
    with exercise("double"):
        expect_equal(2 * 2, 4)
        expect_close(np.array([0.1 + 0.2]), [0.3])
        expect_true(True, "never shown")
    assert capsys.readouterr().out == "✅ double: all checks passed\n"


def test_failed_check_says_expected_got_and_hint():
    with pytest.raises(CheckFailed) as info, exercise("softmax"):
        expect_close(np.array([0.2, 0.8]), [0.5, 0.5], hint="divide by the sum")
    message = str(info.value)
    assert message.startswith("❌ softmax: expected [0.5 0.5]")
    assert "got      [0.2 0.8]" in message and "hint: divide by the sum" in message


def test_shape_mismatch_is_reported_as_such():
    with pytest.raises(CheckFailed, match=r"expected shape \(3,\), got shape \(2,\)"), exercise("x"):
        expect_close([1.0, 2.0], [1.0, 2.0, 3.0])


def test_not_implemented_and_other_errors_become_one_line():
    def todo():
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="⏳ f: not implemented yet"), exercise("f"):
        todo()
    with pytest.raises(CheckFailed, match="❌ g: your code raised ZeroDivisionError"), exercise("g"):
        expect_equal(1 / 0, 1)


def test_expect_equal_on_arrays_and_lists():
    expect_equal(np.array([1, 2]), [1, 2])
    with pytest.raises(CheckFailed):
        expect_equal([1, 2], np.array([1, 2, 3]))
    with pytest.raises(CheckFailed):
        expect_equal({"a": 1}, {"a": 2})


def test_release_refuses_a_folder_of_the_users_and_changes_nothing(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert cli.main(["course", "release", "--out", str(tmp_path)]) == 2
    assert "did not write" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("work", ["answer", "output"])
def test_release_never_overwrites_a_learners_work(tmp_path, capsys, work):
    out = tmp_path / "exercises"
    first = release.release(out_dir=out)
    assert release.release(out_dir=out) == first, "a fresh release is replaced freely"
    path = out / "00_warmup.ipynb"
    nb = nbformat.read(path, as_version=4)
    answer = next(c for c in nb.cells if release.nbgrader_meta(c).get("solution") and c.cell_type == "code")
    if work == "answer":
        answer.source = answer.source.replace("raise NotImplementedError()", "return 42")
    else:
        answer.outputs = [nbformat.v4.new_output("stream", text="hello")]
    nbformat.write(nb, path)
    mine = path.read_bytes()
    assert cli.main(["course", "release", "--out", str(out)]) == 2
    assert "holds a learner's work" in capsys.readouterr().err
    assert path.read_bytes() == mine


def lesson_of(solution):
    return next(release.NOTEBOOKS_DIR.glob(f"{solution.name[:2]}_*.ipynb"))


def lesson_definitions(path) -> list[tuple[str, list[str]]]:
    """(name, normalized tokens) of every function and class a lesson's code cells define."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found.append((node.name, similarity.normalized_tokens(ast.get_source_segment(code, node))))
    return found


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_no_answer_is_written_out_in_its_lesson(path):
    """An exercise asks for what the lesson did not write: no answer matches a function of the lesson's code."""
    written = lesson_definitions(lesson_of(path))
    for grade_id, code in similarity.answer_cells(path).items():
        for name in similarity.defined_functions(code):
            answer = similarity.normalized_tokens(similarity.function_source(code, name))
            for lesson_name, tokens in written:
                match = similarity.ratio(answer, tokens)
                assert match < LEAK_THRESHOLD, (
                    f"{grade_id}: {name} matches the lesson's {lesson_name} ({match:.0%} of tokens): the lesson "
                    "gives the answer away")


def solution_lines(code: str) -> list[str]:
    body = code.split(release.BEGIN_SOLUTION, 1)[1].rsplit(release.END_SOLUTION, 1)[0] if release.BEGIN_SOLUTION in code else ""
    return [line for line in body.splitlines() if line.strip() and not line.strip().startswith(("#", "###"))]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_each_lesson_has_graded_exercises_and_one_that_assembles(path):
    nb = nbformat.read(path, as_version=4)
    graded = [c for c in nb.cells if release.nbgrader_meta(c).get("grade")]
    assert len(graded) >= 4, "each lesson keeps at least 4 graded exercises"
    assembly = [c for c in nb.cells if c.metadata.get("minillm", {}).get("assembly")]
    assert assembly, "mark the exercise that assembles the lesson's pieces with metadata minillm.assembly"
    for cell in assembly:
        assert release.nbgrader_meta(cell).get("solution"), "the assembly mark belongs on an answer cell"
        lines = solution_lines(cell.source)
        assert len(lines) >= 7, f"{release.nbgrader_meta(cell)['grade_id']}: {len(lines)} lines is one small function, not an assembly"


def test_readme_syllabus_counts_each_lessons_graded_exercises():
    readme = (release.ROOT / "README.md").read_text(encoding="utf-8")
    stated = {name: count for count, name in re.findall(r"\[(\d+)\]\(exercises/(\w+)\.ipynb\)", readme)}
    for path in SOLUTIONS:
        graded = sum(bool(release.nbgrader_meta(c).get("grade")) for c in nbformat.read(path, as_version=4).cells)
        assert stated.get(path.stem) == str(graded), f"README's syllabus: {path.stem} has {graded} graded exercises"
