"""Course machinery: exercise notebooks from solution notebooks, and executing notebooks.

`solutions/NN_topic.ipynb` is the single source of every graded exercise. Its code cells mark the parts
a learner writes and the tests a learner does not see, with nbgrader's markers:

    ### BEGIN SOLUTION / ### END SOLUTION          -> replaced by "# YOUR CODE HERE" + raise NotImplementedError()
    ### BEGIN HIDDEN TESTS / ### END HIDDEN TESTS  -> removed

and its cells carry nbgrader schema-v3 metadata (`solution`, `grade`, `locked`, `points`, `grade_id`),
so a course already on nbgrader can use the notebooks unchanged.

`release` writes `exercises/` from `solutions/`: markers applied, outputs and widget state removed.
`execute` runs notebooks in place (what `make notebooks` does), keeping outputs, stripping widget state.
"""

import copy
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from tqdm.auto import tqdm

from minillm.errors import UserError
from minillm.files import ROOT, atomic_write_text, check_output_folder, claim_folder

SOLUTIONS_DIR = ROOT / "solutions"
EXERCISES_DIR = ROOT / "exercises"
NOTEBOOKS_DIR = ROOT / "notebooks"

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
OWNER = "course release"  # the owner file's words in a folder release wrote


def read_notebook(path):
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no such notebook: {path}")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001 - nbformat raises several unrelated types for a broken file
        raise UserError(f"{path} is not a readable notebook ({type(e).__name__})") from None


def write_notebook(nb, path) -> None:
    atomic_write_text(path, nbformat.writes(nb) + "\n")


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata; {} when it is missing or not a dict (a hand-edited notebook)."""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def replace_regions(lines: list[str], begin: str, end: str, stub: list[str] | None, where: str) -> list[str]:
    """Replace every begin..end region (markers included) by `stub`, indented like its begin marker."""
    out, inside = [], False
    for line in lines:
        marker = line.strip()
        if marker == begin:
            if inside:
                raise UserError(f"{where}: {begin!r} inside another one")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub or [])
        elif marker == end:
            if not inside:
                raise UserError(f"{where}: {end!r} without {begin!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise UserError(f"{where}: {begin!r} is never closed")
    return out


def exercise_source(source: str, cell_type: str, where: str) -> str:
    """What a learner sees of one cell's source."""
    lines = source.split("\n")
    stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
    lines = replace_regions(lines, BEGIN_SOLUTION, END_SOLUTION, stub, where)
    lines = replace_regions(lines, BEGIN_HIDDEN, END_HIDDEN, None, where)
    return "\n".join(lines)


def strip_widget_state(nb):
    """Widget state makes GitHub refuse to render a notebook and churns diffs; it is rebuilt on run."""
    nb.metadata.pop("widgets", None)
    return nb


def release_notebook(nb, name: str = "notebook"):
    """The exercise version of a solution notebook (a new object; `nb` is not changed)."""
    ex = strip_widget_state(copy.deepcopy(nb))
    # What a kernel adds when it runs the solutions (its version, say) must not make exercises/ stale.
    ex.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(ex.cells):
        where = f"{name} cell {index + 1}"
        cell.source = exercise_source(cell.source, cell.cell_type, where)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return ex


def release(source_dir=None, out_dir=None) -> list[Path]:
    """Write the exercise version of every notebook in `source_dir` into `out_dir`.

    `out_dir` must be new, empty or written by an earlier release, and no notebook there may hold a learner's
    work: everything is checked before the first file is written, so a refusal changes nothing.
    """
    source_dir = Path(source_dir or SOLUTIONS_DIR)
    out_dir = Path(out_dir or EXERCISES_DIR)
    check_output_folder(out_dir, OWNER)
    notebooks = sorted(source_dir.glob("*.ipynb"))
    if not notebooks:
        raise UserError(f"no notebooks in {source_dir}")
    released = [(out_dir / p.name, release_notebook(read_notebook(p), p.name)) for p in notebooks]
    for path, _ in released:
        if path.exists() and holds_learners_work(path):
            raise UserError(f"{path} holds a learner's work (answers or outputs): move it away or release into "
                            "another folder with --out (nothing was changed)")
    claim_folder(out_dir, OWNER)
    for path, nb in released:
        write_notebook(nb, path)
    return [path for path, _ in released]


def holds_learners_work(path: Path) -> bool:
    """Whether a notebook differs from a fresh release in what a learner changes: an answer cell without
    its stub, or a cell that was run. An unreadable file is somebody's too."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - see read_notebook
        return True
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            return True
        stub = CODE_STUB[-1] if cell.cell_type == "code" else MARKDOWN_STUB[0]
        if nbgrader_meta(cell).get("solution") and stub not in cell.source:
            return True
    return False


def execute(paths, timeout: int = 600, progress: bool = True) -> dict[str, float]:
    """Run notebooks top to bottom in place (each in its own folder); return seconds per notebook."""
    seconds = {}
    for path in tqdm([Path(p) for p in paths], desc="notebooks", disable=not progress):
        nb = read_notebook(path)
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", record_timing=False,
            resources={"metadata": {"path": str(path.parent.resolve())}},
        )
        started = time.perf_counter()
        try:
            client.execute()
        except CellExecutionError as e:
            raise UserError(f"{path} failed: {e.ename}: {e.evalue}") from None
        seconds[str(path)] = round(time.perf_counter() - started, 1)
        write_notebook(strip_widget_state(nb), path)
    return seconds
