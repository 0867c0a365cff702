"""A submission's cells, run in a Jupyter kernel of a subprocess the grader can kill (used by grade.py).

`run_in_subprocess` starts `python -m minillm.course.sandbox`, whose `worker` runs the planned cells in one kernel
and appends one JSON line per cell to a results file: its status, its message and the plain values a check cell
recorded. Every process the submission starts carries a per-run marker in its environment, so when the run ends
all of them are found and killed, those in a new session too.
"""

import ast
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

RUN_MARKER = "MINILLM_GRADE_RUN"  # in the environment of every process a submission starts
OUTPUT_LIMIT = 2000  # characters of a failure message kept for the learner


# ----------------------------------------------------------------------------- running (in the worker)


def run_plan(plan: list[dict], workdir: str, cell_timeout: int, report) -> None:
    """Run the planned cells in one kernel; call report(index, status, message, records) after each.

    status is "ok", "error", "timeout" or "died"; records are what a check cell recorded. After a timeout
    or a dead kernel a fresh kernel replays the cells that worked, then goes on with the next cell.
    """
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(p["source"]) for p in plan])
    nb.cells.append(nbformat.v4.new_code_cell(""))  # nbclient stores each executed cell at its index: the take's
    worked, index = [0], 1  # cell 0 is the preamble
    while index < len(plan):
        client = NotebookClient(
            nb, timeout=cell_timeout, kernel_name="python3", allow_errors=False, force_raise_errors=True,
            record_timing=False, resources={"metadata": {"path": workdir}},
        )
        with client.setup_kernel():
            for i in worked:
                run_one(client, nb.cells[i], i)
            take_records(client, len(plan))  # what the replayed checks recorded is not news
            while index < len(plan):
                status, message = run_one(client, nb.cells[index], index)
                records = take_records(client, len(plan)) if plan[index]["kind"] == "check" and status == "ok" else []
                report(index, status, message, records)
                index += 1
                if status == "ok":
                    worked.append(index - 1)
                if status in ("timeout", "died"):
                    break


def run_one(client, cell, index) -> tuple[str, str]:
    try:
        client.execute_cell(cell, index)
        return "ok", ""
    except CellExecutionError as e:
        return "error", f"{e.ename}: {e.evalue}"
    except CellTimeoutError:
        return "timeout", f"stopped after {client.timeout} s (an endless loop?)"
    except DeadKernelError:
        return "died", "the Python kernel died (os._exit(), a crash, or too much memory)"
    finally:
        cell.outputs = []  # a runaway print must not pile up in memory


def take_records(client, index) -> list:
    cell = nbformat.v4.new_code_cell("_minillm_take()")
    if run_one_keeping_outputs(client, cell, index):
        for output in cell.outputs:
            if output.get("output_type") == "execute_result":
                try:
                    return json.loads(ast.literal_eval(output["data"]["text/plain"]))
                except (ValueError, SyntaxError, KeyError, TypeError, MemoryError):
                    return []
    return []


def run_one_keeping_outputs(client, cell, index) -> bool:
    try:
        client.execute_cell(cell, index)
        return True
    except Exception:  # noqa: BLE001 - whatever the learner did to the recorder, there is nothing to take
        return False


def worker(plan_file: str, results_file: str, cell_timeout: int) -> None:
    """The subprocess: run one plan, writing one JSON line per finished cell (kept if we are killed)."""
    plan = json.loads(Path(plan_file).read_text())
    Path(plan_file).unlink()
    with open(results_file, "a", buffering=1) as out, tempfile.TemporaryDirectory() as workdir:
        def report(index, status, message, records):
            line = {"index": index, "status": status, "message": message[:OUTPUT_LIMIT], "records": records}
            out.write(json.dumps(line) + "\n")

        run_plan(plan, workdir, cell_timeout, report)


# ----------------------------------------------------------------------------- the submission's processes


def marked_processes(token: str) -> list[int]:
    """Processes whose environment carries this run's marker (new sessions and orphans included)."""
    marker, pids = f"{RUN_MARKER}={token}".encode(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                    pids.append(int(entry))
            except OSError:  # gone, or not ours
                pass
    return pids


def kill_run(proc, token: str) -> None:
    """End the worker, its kernel and everything they started, wherever it went."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for _ in range(20):  # a process may fork while we kill: look again until none is left
        pids = marked_processes(token)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def run_in_subprocess(plan: list[dict], cell_timeout: int, notebook_timeout: int) -> tuple[dict[int, dict], str]:
    """Results by cell index, and how the run ended: "done", "timeout" or "stopped" (the worker was killed)."""
    token = secrets.token_hex(8)
    with tempfile.TemporaryDirectory() as tmp:
        plan_file, results_file = Path(tmp, "plan.json"), Path(tmp, "results.jsonl")
        plan_file.write_text(json.dumps(plan))
        results_file.touch()
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1",
                   **{RUN_MARKER: token})
        cmd = [sys.executable, "-m", "minillm.course.sandbox", str(plan_file), str(results_file), str(cell_timeout)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=notebook_timeout)
            ending = "done" if proc.returncode == 0 else "stopped"
        except subprocess.TimeoutExpired:
            ending = "timeout"
        finally:
            kill_run(proc, token)
        results = {}
        with open(results_file, "rb") as f:
            text = f.read(200 * 2**20).decode("utf-8", "replace")
    for line in text.splitlines():  # the learner's code may have written here too: keep well-formed lines
        try:
            r = json.loads(line)
            results[int(r["index"])] = {"status": str(r["status"]), "message": str(r["message"]),
                                        "records": list(r["records"])}
        except (ValueError, TypeError, KeyError):
            pass
    return results, ending


if __name__ == "__main__":
    worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))
