"""The command line: bad input gives one line on stderr and exit status 2, never a traceback."""

import subprocess
import sys

import pytest
from conftest import graded_points

from minillm import __version__
from minillm.course import release


def minillm(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "minillm", *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def test_version_and_help():
    assert minillm("--version").stdout.strip() == f"minillm {__version__}"
    help_text = minillm("--help").stdout
    for command in ("pipeline", "world", "serve-web", "crawl", "clean", "tokenize", "tokenize-shards", "pretrain",
                    "sample", "probe", "sft", "reward", "rl", "dpo", "evaluate", "chat", "serve-chat", "course", "grade"):
        assert command in help_text


@pytest.mark.parametrize(
    "args, message",
    [
        (["pipeline", "--preset", "huge"], "invalid choice: 'huge'"),
        (["grade", "no/such/notebook.ipynb"], "no such notebook"),
        (["grade", "solutions/00_warmup.ipynb", "--cell-timeout", "-5"], "expected a positive whole number"),
        (["course", "run", "notebooks/none.ipynb", "--timeout", "0"], "expected a positive whole number"),
        (["course", "release", "--out", "pyproject.toml/exercises"], "cannot create folder"),
        (["grade", "solutions/00_warmup.ipynb", "--gradescope", "pyproject.toml/x/results.json"], "cannot create folder"),
        (["course", "release", "--source", "no/such/folder"], "no notebooks in"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["crawl", "--max-pages", "-1"], "--max-pages must be positive"),
        (["crawl", "--seed", "not a url"], "'not a url' is not an http(s) URL"),
        (["tokenize", "--vocab-size", "100"], "--vocab-size must be at least 257"),
        (["tokenize", "--preset", "huge"], "invalid choice: 'huge'"),
        (["world", "--out", "pyproject.toml"], "pyproject.toml"),
        (["clean", "--input", "no/such/pages.jsonl"], "no/such/pages.jsonl"),
        (["probe", "--model", "no/such/run"], "no model.safetensors in no/such/run"),
        (["pretrain", "--out", "x", "--max-steps", "0"], "max_steps must be positive"),
        (["pretrain", "--out", "x", "--learning-rate", "nan"], "learning_rate must be a finite number >= 0, got nan"),
        (["pretrain", "--out", "x", "--learning-rate", "inf"], "learning_rate must be a finite number >= 0, got inf"),
        (["pretrain", "--out", "x", "--block-size", "0"], "block_size must be positive, got 0"),
        (["pretrain", "--out", "pyproject.toml"], "pyproject.toml exists and is not a folder"),
        (["pretrain", "--out", "minillm"], "minillm holds files that minillm's pretrain did not write"),
        (["chat", "--model", "no/such/model"], "no model.safetensors in no/such/model"),
        (["chat", "--temperature", "9"], "temperature must be a number from 0 to 2, got 9.0"),
        (["serve-chat", "--port", "70000"], "port 70000 is not a port number (0 to 65535; 0 picks a free one)"),
        (["serve-chat", "--port", "http"], "argument --port: invalid int value: 'http'"),
        (["serve-chat", "--max-sessions", "0"], "max_sessions must be a whole number >= 1, got 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    from minillm.files import ROOT

    result = minillm(*args, cwd=ROOT)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_grade_exit_code_follows_full_marks(tmp_path):
    from minillm.files import ROOT

    result = minillm("grade", "exercises/00_warmup.ipynb", "--gradescope", str(tmp_path / "gs.json"), cwd=ROOT)
    assert result.returncode == 1
    points = sum(graded_points(release.SOLUTIONS_DIR / "00_warmup.ipynb").values())
    assert "total" in result.stdout and f"0/{points}" in result.stdout.replace(" ", "")
    assert (tmp_path / "gs.json").exists()


def test_under_torchrun_rank_0_says_a_shared_error_at_once_and_the_others_only_if_still_running(monkeypatch, capsys):
    from minillm.errors import BAD_INPUT, say_error

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert say_error("bad input", wait=60) == BAD_INPUT == 2
    assert capsys.readouterr().err == "minillm: error: bad input\n"
    monkeypatch.setenv("RANK", "1")  # torchrun ends it while it waits when rank 0 met the error too; here none did
    slept = []
    monkeypatch.setattr("minillm.errors.time.sleep", slept.append)
    assert say_error("no such file: shard 1", wait=30) == 2
    assert slept == [30] and capsys.readouterr().err == "minillm: error (rank 1): no such file: shard 1\n"
    monkeypatch.delenv("WORLD_SIZE")  # RANK alone is not torchrun: say it at once
    assert say_error("bad input") == 2 and slept == [30]
    assert capsys.readouterr().err == "minillm: error: bad input\n"
