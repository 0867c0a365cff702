"""Fixtures shared by several test modules."""

import fcntl
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
import torch
from safetensors.torch import load_file

from minillm.course import release
from minillm.files import DATA_DIR, ROOT
from minillm.tokenizer import TokenizerConfig, build_stage


def graded_points(solution: Path) -> dict[str, int]:
    """Exercise name -> points, from a solution notebook's graded check cells."""
    return {release.nbgrader_meta(c)["grade_id"].removeprefix("check_"): release.nbgrader_meta(c)["points"]
            for c in nbformat.read(solution, as_version=4).cells if release.nbgrader_meta(c).get("grade")}


@pytest.fixture(scope="session")
def world_tokens(tmp_path_factory) -> Path:
    """Token files of the tokenizer stage, made from 300 documents of the bundled world with a 512-token BPE
    (its special tokens include the chat template's)."""
    root = tmp_path_factory.mktemp("tokens")
    pages = json.loads((DATA_DIR / "web" / "_manifest.json").read_text())["pages"]
    texts = [p["main_text"] for _, p in sorted(pages.items()) if p.get("good") and p.get("lang") == "en"][:300]
    (root / "clean").mkdir()
    (root / "clean" / "clean.jsonl").write_text("".join(json.dumps({"url": str(i), "text": t}) + "\n"
                                                        for i, t in enumerate(texts)))
    (root / "tokenizer").mkdir()
    build_stage(TokenizerConfig(vocab_size=512, val_fraction=0.1), {"clean": root / "clean"}, root / "tokenizer",
                progress=False)
    return root / "tokenizer"


@pytest.fixture
def one_process_group(monkeypatch) -> list:
    """torchrun's environment for a process group of one (gloo on a free port), and, filled in as the code under test
    runs, the DistributedDataParallel wrappers still in memory at each destroy_process_group: the order
    minillm.devices.end_distributed relies on is none, since a wrapper freed after its group hung rank 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": str(port)}.items():
        monkeypatch.setenv(name, value)
    alive = []
    destroy = torch.distributed.destroy_process_group

    def watched_destroy(*args, **kwargs):
        alive.append([o for o in gc.get_objects() if isinstance(o, torch.nn.parallel.DistributedDataParallel)])
        return destroy(*args, **kwargs)

    monkeypatch.setattr(torch.distributed, "destroy_process_group", watched_destroy)
    return alive


def torchrun(module: str, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`torchrun --standalone` with 2 CPU processes running `python -m module args`, one such test at a time.

    Clean CI runs, where two test workers run side by side, saw a torchrun hang 300 s (SFT) and another abort
    (SIGABRT in rank 0). A lock shared by the test workers keeps the tests' runs apart. The hang was rank 0 freeing
    its DDP wrapper after the process group had gone (minillm.devices.end_distributed says why). A run that still
    hangs is killed with its workers and fails with the stacks they printed."""
    # PYTHONFAULTHANDLER: a hung worker, sent SIGABRT before the kill, prints where each of its threads waits
    env = {**(env or {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}), "PYTHONFAULTHANDLER": "1"}
    cmd = [str(Path(sys.executable).with_name("torchrun")), "--nnodes=1", "--nproc-per-node=2", "--standalone",
           "-m", module, *args]
    with open(Path(tempfile.gettempdir()) / "minillm-tests-torchrun.lock", "a") as lock, \
            tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # files, not pipes: a worker that outlives a kill would hold a pipe open and block the read of it forever
        run = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, text=True, start_new_session=True)
        try:
            run.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(run.pid, first=signal.SIGABRT)
            run.wait()
            err.seek(0)
            pytest.fail(f"torchrun -m {module} still ran after {timeout} s; its last words:\n{err.read()[-12000:]}")
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, run.returncode, out.read(), err.read())


def kill_tree(pid: int, first: int | None = None) -> None:
    """SIGKILL a process and all its descendants; with `first`, send the descendants that signal 3 s before.
    torchrun starts each worker in a session of its own, so killing torchrun's process group leaves the workers
    running; they are found through their parents in /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    doomed, todo = [], [pid]
    while todo:
        doomed.append(todo.pop())
        todo.extend(parents.get(doomed[-1], []))
    if first is not None:
        send(doomed[1:], first)
        time.sleep(3)
    send(doomed, signal.SIGKILL)


def send(pids: list[int], sig: int) -> None:
    """Send each process the signal; one that has already gone is skipped."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def workers_said(done: subprocess.CompletedProcess) -> str:
    """A failed torchrun's stderr for a test message: its start, where the workers' own errors are, and its end
    (torchrun's summary of which rank failed how)."""
    return done.stderr if len(done.stderr) < 4000 else f"{done.stderr[:2500]}\n...\n{done.stderr[-1500:]}"


def assert_torchrun_matches_one_process(module: str, flags: list[str], tmp_path: Path) -> None:
    """`python -m module` alone and under a 2-process torchrun with the same flags (each with --out): both succeed,
    the processes end bit-identical, and loss and weights match the single process's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, "-m", module, "--out", str(tmp_path / "one"), *flags],
                         check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    two = torchrun(module, "--out", str(tmp_path / "two"), *flags, env=env)
    assert two.returncode == 0, workers_said(two)
    summary = json.loads(two.stdout.strip().splitlines()[-1])
    assert summary["replicas_identical"] is True
    assert summary["train_loss"] == pytest.approx(json.loads(one.stdout.strip().splitlines()[-1])["train_loss"],
                                                  abs=1e-4)
    a, b = load_file(tmp_path / "one" / "model.safetensors"), load_file(tmp_path / "two" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=0)
