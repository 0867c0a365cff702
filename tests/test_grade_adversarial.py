"""The grader against hostile submissions (issue 19): every way a student beat the old grader now scores 0,
nothing of the hidden tests reaches the student, and no submission outlives its grading or changes the next
one's. Kernels are slow, so the submissions of lesson 00 are graded in one shared batch."""

import json
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from conftest import graded_points

from minillm.course import check, grade, release, similarity

WARMUP = release.SOLUTIONS_DIR / "00_warmup.ipynb"
EXERCISE = release.EXERCISES_DIR / "00_warmup.ipynb"
POINTS = graded_points(WARMUP)
SOLVED = {f"ex_{name}": "solution" for name in POINTS}


def solution_source(grade_id):
    return next(c.source for c in nbformat.read(WARMUP, as_version=4).cells if release.nbgrader_meta(c)["grade_id"] == grade_id)


def make_submission(folder, answers=None, extras=(), name="00_warmup.ipynb", metadata=None):
    """The released exercise, answers filled in by grade_id, extra cells inserted after a grade_id (None: first)."""
    nb = nbformat.read(EXERCISE, as_version=4)
    for cell in nb.cells:
        grade_id = release.nbgrader_meta(cell)["grade_id"]
        if answers and grade_id in answers:
            cell.source = solution_source(grade_id) if answers[grade_id] == "solution" else textwrap.dedent(answers[grade_id])
    for after, source in extras:
        at = 0 if after is None else 1 + next(i for i, c in enumerate(nb.cells) if release.nbgrader_meta(c).get("grade_id") == after)
        nb.cells.insert(at, nbformat.v4.new_code_cell(textwrap.dedent(source)))
    nb.metadata.update(metadata or {})
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / name)
    return folder / name


SWALLOWING_EXERCISE = """
import contextlib

@contextlib.contextmanager
def exercise(name):
    try:
        yield
    except BaseException:
        pass
    print(f"✅ {name}: all checks passed")

def expect_close(*args, **kwargs):
    pass

expect_equal = expect_true = expect_close

def softmax(z):
    return 0
"""

PATCHED_MODULE = """
import contextlib
import minillm.course.check as c

@contextlib.contextmanager
def swallow(name):
    try:
        yield
    except BaseException:
        pass

c.exercise = swallow
c.expect_close = c.expect_equal = c.expect_true = lambda *a, **k: None
"""

PATCHED_NUMPY = """
import numpy as np
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
"""

CONSTANT_ANSWERS = {
    "ex_softmax": "def softmax(z):\n    return [0.5, 0.5]",
    "ex_cross_entropy": "def cross_entropy(logits, target):\n    return 0.0",
    "ex_sample": "def sample_token(probs, u):\n    return 0\n\ndef sample(probs, n, seed):\n    return [0] * n",
    "ex_perplexity": "def perplexity(losses):\n    return 4.0",
}

FORGED_RESULTS = """
import json, os
command = open(f"/proc/{os.getppid()}/cmdline").read().split("\\0")
results = next(a for a in command if a.endswith(".jsonl"))
with open(results, "a") as f:
    for index in range(60):
        ok = {"index": index, "status": "ok", "message": "", "records": [{"error": None, "package_used": []}]}
        f.write(json.dumps(ok) + "\\n")
"""

LEAKING_ANSWERS = {  # the hidden tests, read from solutions/, in an exception's message
    "ex_softmax": f"""
        def softmax(z):
            text = open({str(WARMUP)!r}).read()
            raise ValueError(text[text.index("BEGIN HIDDEN"):][:400])
        """,
    "ex_cross_entropy": f"""
        def cross_entropy(logits, target):
            import numpy as np
            z = np.asarray(logits, dtype=np.float64)
            if z.max() >= 1000 or z.size == 4 and z[0] == 5:  # only in the hidden tests
                raise ValueError(open({str(WARMUP)!r}).read())
            return float(z.max() + np.log(np.exp(z - z.max()).sum()) - z[target])
        """,
}

OBFUSCATED_WRAPPER = """
import importlib
files = importlib.import_module("minil" + "lm.files")

def perplexity(losses):
    files.digest(b"")  # any call of the package's code during the checks counts
    return float(np.exp(np.mean(losses)))
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade every hostile submission of lesson 00 in one batch; results by case name."""
    root = tmp_path_factory.mktemp("adversarial")
    fake = root / "fake" / "00_warmup.ipynb"
    fake.parent.mkdir()
    fake_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("with exercise('free'):\n    pass")])
    fake_nb.cells[0].metadata["nbgrader"] = {"grade": True, "grade_id": "check_free", "points": 500, "locked": True}
    nbformat.write(fake_nb, fake)
    pid_file = root / "background.pid"
    crashes = {"ex_softmax": "import sys\nsys.exit(0)", "ex_sample": "solution", "ex_perplexity": "import os\nos._exit(0)",
               "ex_cross_entropy": "big = bytearray(4 * 2**30)  # over the memory limit\n" + solution_source("ex_cross_entropy")}
    cases = {  # one notebook may try several things: each must score 0 on its own
        "patched": make_submission(root / "patched", {"ex_softmax": SWALLOWING_EXERCISE}, extras=[(None, PATCHED_MODULE)]),
        "numpy_and_forged_results": make_submission(root / "numpy_and_forged_results", CONSTANT_ANSWERS,
                                                    extras=[("setup_1", PATCHED_NUMPY), ("check_perplexity", FORGED_RESULTS)]),
        "renamed": make_submission(root / "renamed", SOLVED, name="04_linear_layer.ipynb"),
        "metadata_path": make_submission(root / "metadata_path", metadata={"minillm": {"lesson": str(fake.with_suffix(""))}}),
        "leak": make_submission(root / "leak", LEAKING_ANSWERS),
        "crashes": make_submission(root / "crashes", crashes),
        "wrapper_and_background": make_submission(
            root / "wrapper_and_background",
            {**SOLVED, "ex_softmax": "from minillm.train import cross_entropy\n" + solution_source("ex_softmax"),
             "ex_perplexity": OBFUSCATED_WRAPPER},
            extras=[("setup_1", f"""
                import subprocess, sys
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
                open({str(pid_file)!r}, "w").write(str(child.pid))
                """)]),
        "kill_parent": make_submission(root / "kill_parent", SOLVED,
                                       extras=[("check_softmax", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")]),
    }
    string_meta = nbformat.read(WARMUP, as_version=4)
    for cell in string_meta.cells:
        cell.metadata["nbgrader"] = "not a dict"
    cases["nbgrader_string"] = root / "nbgrader_string" / "00_warmup.ipynb"
    cases["nbgrader_string"].parent.mkdir()
    nbformat.write(string_meta, cases["nbgrader_string"])

    finished = []
    results = grade.grade(list(cases.values()), cell_timeout=60, notebook_timeout=300, on_notebook=finished.append)
    by_case = {case: {r.exercise: r for r in results if r.notebook == str(path)} for case, path in cases.items()}
    return {"results": by_case, "finished": finished, "pid_file": pid_file}


def points(rows):
    return {name: r.points for name, r in rows.items()}


@pytest.mark.parametrize("case", ["patched", "numpy_and_forged_results"])
def test_patched_helpers_numpy_and_forged_results_change_nothing(batch, case):
    assert points(batch["results"][case]) == {name: 0 for name in POINTS}


def test_lesson_comes_from_the_file_name_not_the_metadata(batch):
    renamed = batch["results"]["renamed"]  # a solved lesson 00 named like lesson 04
    assert set(renamed) == set(graded_points(release.SOLUTIONS_DIR / "04_linear_layer.ipynb"))
    assert all(r.points == 0 for r in renamed.values())
    rows = batch["results"]["metadata_path"]  # a path to a fake source (worth 500 points) is ignored
    assert {name: r.max_points for name, r in rows.items()} == POINTS
    assert all(r.points == 0 for r in rows.values())


def test_hidden_tests_never_reach_the_student(batch):
    hidden = []
    for cell in nbformat.read(WARMUP, as_version=4).cells:
        lines = cell.source.split("\n")
        hidden += [" ".join(lines[n - 1].split()) for n in grade.region_lines(cell.source, release.BEGIN_HIDDEN,
                                                                               release.END_HIDDEN)]
    hidden = [line for line in hidden if len(line) > 20]
    rows = batch["results"]["leak"]
    assert points(rows) == {name: 0 for name in POINTS}
    for r in rows.values():
        flat = " ".join(r.output.split())
        assert not any(line in flat or json.dumps(line)[1:-1] in flat for line in hidden)
        assert "BEGIN HIDDEN" not in r.output
    assert "not shown" in rows["softmax"].output  # the visible check's failure, message withheld
    assert rows["cross_entropy"].output.startswith("passes the visible checks but not the hidden ones")


def test_sys_exit_os_exit_and_the_memory_limit_get_clear_feedback(batch):
    rows = batch["results"]["crashes"]
    assert points(rows) == {**{name: 0 for name in POINTS}, "sample": 2}, {n: r.output for n, r in rows.items()}
    assert "sys.exit()" in rows["softmax"].output and "NameError" not in rows["softmax"].output
    assert "ran out of memory" in rows["cross_entropy"].output
    assert "kernel died while running your answer cell" in rows["perplexity"].output


def test_answers_that_use_the_package_score_zero(batch):
    rows = batch["results"]["wrapper_and_background"]
    # the language model calls the learner's perplexity, the wrapper: the package's code ran in its checks too
    assert points(rows) == {**POINTS, "softmax": 0, "perplexity": 0, "tiny_language_model": 0}
    assert "uses the package's own code (from minillm.train import ...)" in rows["softmax"].output
    assert "minillm.files.digest" in rows["perplexity"].output  # obfuscated: caught while the checks ran


def test_processes_in_new_sessions_end_with_grading(batch):
    pid = int(batch["pid_file"].read_text())
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z")


def test_killing_the_kernels_parent_is_not_a_timeout(batch):
    rows = batch["results"]["kill_parent"]
    assert points(rows) == {**{name: 0 for name in POINTS}, "softmax": 2}
    assert all("stopped the grader's process" in rows[name].output for name in ("cross_entropy", "sample", "perplexity"))


def test_a_malformed_notebook_does_not_stop_the_batch(batch):
    assert points(batch["results"]["nbgrader_string"]) == POINTS  # its cells are all "extra": they still run
    assert len(batch["finished"]) == len(batch["results"])  # reported notebook by notebook


def test_a_notebook_the_grader_chokes_on_costs_only_its_own_points(tmp_path, monkeypatch):
    first, second = make_submission(tmp_path / "a"), make_submission(tmp_path / "b")
    graded = [grade.ExerciseResult(str(second), name, p, p, "✅ passed") for name, p in POINTS.items()]

    def grade_one(path, *args):
        if path == first:
            raise AttributeError("'str' object has no attribute 'get'")
        return graded

    monkeypatch.setattr(grade, "grade_one", grade_one)
    results = grade.grade([first, second])
    n = len(POINTS)
    assert [r.points for r in results[:n]] == [0] * n and "could not grade this notebook" in results[0].output
    assert results[n:] == graded


def test_a_submission_that_changes_the_sources_stops_grading_before_the_next(tmp_path):
    source = tmp_path / "solutions"
    source.mkdir()
    (source / "00_warmup.ipynb").write_bytes(WARMUP.read_bytes())
    tamper = f"""
        import nbformat
        nb = nbformat.read({str(source / "00_warmup.ipynb")!r}, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {{}}).get("grade"):
                cell.source = "with exercise('x'):\\n    pass"
        nbformat.write(nb, {str(source / "00_warmup.ipynb")!r})
        """
    tamperer = make_submission(tmp_path / "tamperer", extras=[("setup_1", tamper)])
    empty_stub = make_submission(tmp_path / "next")
    finished = []
    with pytest.raises(grade.UserError, match="changed .*00_warmup.ipynb; grading stopped"):
        grade.grade([tamperer, empty_stub], source, on_notebook=finished.append)
    assert len(finished) == 1 and all(r.notebook == str(tamperer) for r in finished[0])
    assert all(r.points == 0 and "changed the course's files" in r.output for r in finished[0])


def test_the_command_writes_results_as_each_notebook_is_done(tmp_path, monkeypatch):
    from minillm import cli

    first = [grade.ExerciseResult("a/00_warmup.ipynb", "softmax", 2.0, 2.0, "✅ passed")]

    def killed_after_one_notebook(paths, *args, on_notebook, **kwargs):
        on_notebook(first)
        raise KeyboardInterrupt  # what a SIGKILL would leave is what was written before it

    monkeypatch.setattr(grade, "grade", killed_after_one_notebook)
    out = tmp_path / "results.json"
    assert cli.main(["grade", "a/00_warmup.ipynb", "b/00_warmup.ipynb", "--gradescope", str(out)]) == 130
    assert json.loads(out.read_text())["score"] == 2.0


def test_grading_needs_a_lesson_named_by_the_file_or_the_grader(tmp_path):
    path = make_submission(tmp_path / "x", name="homework.ipynb")
    with pytest.raises(grade.UserError, match="names no notebook"):
        grade.grade([path])
    with pytest.raises(grade.UserError, match="no lesson '../00_warmup'"):
        grade.grade([path], lesson="../00_warmup")


# ----------------------------------------------------------------------------- without a kernel


def run_cell(source, namespace, filename):
    """Run code as a notebook cell would, under its own file name (the guard tells cells apart by it)."""
    exec(compile(textwrap.dedent(source), filename, "exec"), namespace)  # noqa: S102 - our own test code


@pytest.mark.parametrize("answer, check_cell", [
    ("from minillm import train\ndef lr_at(*a):\n    return train.learning_rate(*a)\nlearning_rate = lr_at",
     "expect_close(learning_rate(60, 1.0, 10, 110), 0.55)"),
    ("from minillm.train import learning_rate", "expect_close(learning_rate(60, 1.0, 10, 110), 0.55)"),
    ("import functools\nfrom minillm import train\ncross_entropy = functools.partial(train.cross_entropy)",
     "expect_close(float(cross_entropy(torch.zeros(3, 50), torch.tensor([1, 2, 3]))), math.log(50))"),
    ("from minillm import train\ndef clip_grad_norm(parameters, max_norm):\n    return train.clip_grad_norm(parameters, max_norm)",
     "p = torch.nn.Parameter(torch.ones(3))\np.grad = torch.ones(3)\nexpect_close(float(clip_grad_norm([p], 1.0)), 3 ** 0.5, atol=1e-5)"),
    ("from minillm import nn\ncausal_mask = lambda n_query, n_key: nn.causal_mask(n_query, n_key)",
     "expect_equal(causal_mask(2, 2), torch.tensor([[True, False], [True, True]]))"),
])
def test_the_check_cell_says_at_once_that_an_answer_uses_the_package(answer, check_cell):
    namespace = {"torch": torch, "math": __import__("math")}
    run_cell(answer, namespace, "<learner's cell>")
    name = next(n for n in ("learning_rate", "cross_entropy", "clip_grad_norm", "causal_mask") if n in namespace)
    run_cell("from minillm.course.check import exercise, expect_close, expect_equal", namespace, "<check cell>")
    with pytest.raises(check.CheckFailed, match=f"❌ {name}: your answer calls the package's own minillm"):
        run_cell(f"with exercise({name!r}):\n" + textwrap.indent(check_cell, "    "), namespace, "<check cell>")
    assert grade.package_uses(answer, {"train"}), "and the grader sees it in the answer's source"


def test_a_package_function_the_answer_binds_to_a_local_variable_is_still_the_package():
    namespace = {"math": __import__("math")}
    run_cell("""
        import sys
        def learning_rate(step, peak, warmup, total):
            lr = sys.modules["mini" + "llm.train"].learning_rate
            return lr(step, peak, warmup, total)
        """, namespace, "<learner's cell>")
    run_cell("from minillm.course.check import exercise, expect_close", namespace, "<check cell>")
    with pytest.raises(check.CheckFailed, match="your answer calls the package's own minillm.train.learning_rate"):
        run_cell("with exercise('learning_rate'):\n    expect_close(learning_rate(60, 1.0, 10, 110), 0.55)",
                 namespace, "<check cell>")


def test_a_package_function_one_learner_function_hands_another_is_still_the_package():
    namespace = {}
    run_cell("""
        import sys
        def apply(f, *args):
            return f(*args)
        def learning_rate(step, peak, warmup, total):
            return apply(sys.modules["mini" + "llm.train"].learning_rate, step, peak, warmup, total)
        """, namespace, "<learner's cell>")
    run_cell("from minillm.course.check import exercise, expect_close", namespace, "<check cell>")
    with pytest.raises(check.CheckFailed, match="your answer calls the package's own minillm.train.learning_rate"):
        run_cell("with exercise('learning_rate'):\n    expect_close(learning_rate(60, 1.0, 10, 110), 0.55)",
                 namespace, "<check cell>")


def test_a_check_may_use_the_package_and_hand_it_to_the_answer():
    namespace = {}
    run_cell("def apply(f, x):\n    return f(x)\ndef apply_all(*fs, **named):\n"
             "    return [f(60, 1.0, 10, 110) for f in fs + tuple(named.values())]\n"
             "def learning_rate(s, a, w, m):\n    return 0.55", namespace, "<learner's cell>")
    run_cell("""
        from minillm import train
        from minillm.course.check import exercise, expect_close
        with exercise("learning_rate"):
            expect_close(learning_rate(60, 1.0, 10, 110), train.learning_rate(60, 1.0, 10, 110))
            expect_close(apply(train.batch_rng(0, 0).random, None) >= 0, 1.0)
            expect_close(apply_all(train.learning_rate, f=train.learning_rate), [0.55, 0.55])
        """, namespace, "<check cell>")


def test_plain_data_round_trip_keeps_what_checks_compare():
    values = [(1, [2.5, None]), {"a": {1, 2}, (1, 2): b"\xff"}, np.array([[1, 2]], dtype=np.uint64),
              torch.tensor([True, False]), float("nan"), np.float32(0.5), torch.int64]
    back = grade.from_plain(json.loads(json.dumps([check.to_plain(v) for v in values])))
    assert back[0] == (1, [2.5, None]) and isinstance(back[0], tuple)
    assert back[1] == {"a": {1, 2}, (1, 2): b"\xff"}
    assert back[2].dtype == np.uint64 and back[2].shape == (1, 2)
    assert back[3].tolist() == [True, False]
    assert np.isnan(back[4]) and back[5] == 0.5
    assert back[6] == "torch.int64"


def test_fingerprint_sees_every_change(tmp_path):
    (tmp_path / "a.py").write_text("x = 1")
    before = grade.fingerprint([tmp_path])
    (tmp_path / "a.py").write_text("x = 2")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"planted")
    assert grade.changed_files(before, grade.fingerprint([tmp_path])) == [
        str(tmp_path / "__pycache__" / "a.pyc"), str(tmp_path / "a.py")]


def test_similarity_flags_copies_of_each_other_and_of_the_package(tmp_path, capsys):
    from minillm import cli

    learning_rate = (release.ROOT / "minillm" / "train.py").read_text()
    start = learning_rate.index("def learning_rate")
    copied = learning_rate[start:learning_rate.index("\ndef ", start + 1)].replace("step", "s")
    paths = []
    for who, answer in [("a", copied), ("b", copied.replace("max_lr", "peak")), ("c", "def learning_rate(*a):\n    return 0.1")]:
        nb = nbformat.read(release.EXERCISES_DIR / "07_training.ipynb", as_version=4)
        for cell in nb.cells:
            if release.nbgrader_meta(cell)["grade_id"] == "ex_learning_rate":
                cell.source = answer
        (tmp_path / who).mkdir()
        nbformat.write(nb, tmp_path / who / "07_training.ipynb")
        paths.append(str(tmp_path / who / "07_training.ipynb"))
    assert cli.main(["grade", "--similarity", *paths]) == 1
    out = capsys.readouterr().out
    assert f"07_training learning_rate: {paths[0]} ~ {paths[1]} (100% of tokens match)" in out
    assert f"{paths[0]} ~ the package's minillm/train.py: learning_rate" in out
    assert paths[2] not in out
    assert similarity.normalized_tokens("x = 1  # a\n") == similarity.normalized_tokens("y = 22\n")
