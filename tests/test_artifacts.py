"""The artifact helper and the pipeline report, on two small stand-in stages (the real ones are tested in
their own files): build when missing, reuse when fresh, rebuild when stale, never leave half a folder."""

import importlib
import json
import os
import shutil
import sys
import textwrap
import time

import pytest

from minillm import artifacts, files, pipeline
from minillm.errors import UserError

STAGE_CODE = '''
from dataclasses import dataclass
from pathlib import Path

CALLS = []


@dataclass
class Config:
    words: int = 3
    fail: bool = False


PRESETS = {"tiny": Config(), "small": Config(words=5), "gpt2": Config(words=7)}


def build_stage(cfg, inputs, out, progress=True):
    CALLS.append((NAME, cfg.words))
    text = " ".join(["word"] * cfg.words)
    for name, folder in inputs.items():
        text += " | " + (Path(folder) / "out.txt").read_text()
    (out / "out.txt").write_text(text)
    if cfg.fail:
        raise RuntimeError("boom")
    (out / "plot.png").write_bytes(b"png")
    return {"metrics": {"words": cfg.words, "ratio": 0.5}, "figures": ["plot.png"], "summary": f"{NAME} made text."}
'''


@pytest.fixture
def stages(tmp_path, monkeypatch):
    """Two stages, `first` -> `second`, in modules of their own, with runs/ under tmp_path."""
    for name in ("first", "second"):
        (tmp_path / f"fake_{name}.py").write_text(f"NAME = {name!r}\n" + textwrap.dedent(STAGE_CODE))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("MINILLM_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(artifacts, "STAGES", [
        artifacts.Stage("first", "fake_first", (), "First stage"),
        artifacts.Stage("second", "fake_second", ("first",), "Second stage"),
    ])
    yield importlib.import_module("fake_first"), importlib.import_module("fake_second")
    for name in ("fake_first", "fake_second"):
        sys.modules.pop(name, None)


def test_get_builds_upstream_first_then_reuses(stages, tmp_path):
    first, second = stages
    folder = artifacts.get("second", "tiny", progress=False)
    assert folder == tmp_path / "runs" / "tiny" / "second"
    assert (folder / "out.txt").read_text() == "word word word | word word word"
    assert first.CALLS == [("first", 3)] and second.CALLS == [("second", 3)]
    artifacts.get("second", "tiny", progress=False)
    assert len(first.CALLS) == 1 and len(second.CALLS) == 1, "fresh artifacts are not rebuilt"


def test_changed_config_makes_downstream_stale(stages, monkeypatch):
    first, second = stages
    artifacts.get("second", "tiny", progress=False)
    monkeypatch.setitem(first.PRESETS, "tiny", first.Config(words=4))
    folder = artifacts.get("second", "tiny", progress=False)
    assert (folder / "out.txt").read_text() == "word word word | word word word word"
    assert first.CALLS[-1] == ("first", 4) and len(second.CALLS) == 2


def test_code_edits_rebuild_but_comment_and_docstring_edits_do_not(stages, tmp_path):
    first, _ = stages
    source = tmp_path / "fake_first.py"
    artifacts.get("first", "tiny", progress=False)
    edited = source.read_text().replace("def build_stage(cfg, inputs, out, progress=True):\n",
                                        "def build_stage(cfg, inputs, out, progress=True):\n"
                                        "    \"\"\"Now with a docstring.\"\"\"  # and a comment\n")
    source.write_text('"""A module docstring."""\n' + edited)
    artifacts.get("first", "tiny", progress=False)
    assert len(first.CALLS) == 1, "a reworded docstring or comment leaves the artifact fresh"
    source.write_text(source.read_text().replace('text = " ".join', 'text = "-".join'))
    artifacts.get("first", "tiny", progress=False)
    assert len(first.CALLS) == 2, "a change to the code rebuilds"


def test_a_module_imported_on_the_way_is_part_of_the_recipe(tmp_path, monkeypatch):
    """The stage imports a helper inside a function, which imports another module: editing that one rebuilds."""
    package = tmp_path / "fakepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "stage.py").write_text("NAME = 'only'\n" + textwrap.dedent(STAGE_CODE).replace(
        '    text = " ".join', '    from fakepkg import helper\n    text = helper.WORD + " ".join'))
    (package / "helper.py").write_text("from fakepkg.deep import WORD\n")
    (package / "deep.py").write_text("WORD = 'a'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("MINILLM_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(artifacts, "STAGES", [artifacts.Stage("only", "fakepkg.stage", (), "Only")])
    try:
        assert artifacts.stage_modules("fakepkg.stage") == ["fakepkg", "fakepkg.deep", "fakepkg.helper", "fakepkg.stage"]
        stage = importlib.import_module("fakepkg.stage")
        artifacts.get("only", "tiny", progress=False)
        artifacts.get("only", "tiny", progress=False)
        assert len(stage.CALLS) == 1
        (package / "deep.py").write_text("WORD = 'b'\n")
        artifacts.get("only", "tiny", progress=False)
        assert len(stage.CALLS) == 2, "a change two imports away rebuilds"
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] == "fakepkg"]:
            sys.modules.pop(name)


def test_the_real_stages_recipes_follow_their_imports_but_not_the_plumbing():
    pretrain = artifacts.stage_modules("minillm.train")
    assert {"minillm.model", "minillm.config", "minillm.tokens"} <= set(pretrain)  # config was once missed
    assert not set(pretrain) & set(artifacts.PLUMBING)
    assert "minillm.sft" in artifacts.stage_modules("minillm.rl_stage")


def test_changed_data_makes_a_stage_stale(stages, tmp_path, monkeypatch):
    first, _ = stages
    data = tmp_path / "data"
    (data / "facts").mkdir(parents=True)
    (data / "facts" / "a.jsonl").write_text("1\n")
    monkeypatch.setattr(artifacts, "DATA_DIR", data)
    monkeypatch.setattr(artifacts, "STAGES", [artifacts.Stage("first", "fake_first", (), "First", data=("facts",))])
    artifacts.get("first", "tiny", progress=False)
    artifacts.get("first", "tiny", progress=False)
    assert len(first.CALLS) == 1
    (data / "facts" / "b.jsonl").write_text("2\n")
    artifacts.get("first", "tiny", progress=False)
    assert len(first.CALLS) == 2, "a new file in a data folder the stage reads rebuilds it"
    monkeypatch.setattr(artifacts, "STAGES", [artifacts.Stage("first", "fake_first", (), "First", data=("gone",))])
    with pytest.raises(UserError, match="minillm world"):
        artifacts.get("first", "tiny", progress=False)


def test_failed_build_keeps_the_previous_artifact(stages, monkeypatch):
    first, _ = stages
    good = artifacts.get("first", "tiny", progress=False)
    monkeypatch.setitem(first.PRESETS, "tiny", first.Config(words=9, fail=True))
    with pytest.raises(RuntimeError, match="boom"):
        artifacts.get("first", "tiny", progress=False)
    assert (good / "out.txt").read_text() == "word word word", "the last good artifact is intact"
    assert artifacts.stamp(good)["metrics"]["words"] == 3


def test_stamp_records_recipe_metrics_and_time(stages):
    stamp = artifacts.stamp(artifacts.get("first", "small", progress=False))
    assert stamp["recipe"]["config"] == {"words": 5, "fail": False}
    assert stamp["metrics"] == {"words": 5, "ratio": 0.5} and stamp["figures"] == ["plot.png"]
    assert stamp["seconds"] >= 0 and len(stamp["fingerprint"]) == 16


def test_pipeline_writes_report_with_every_stage(stages, tmp_path):
    report = pipeline.run("tiny", progress=False)
    text = report.read_text()
    assert report == tmp_path / "runs" / "tiny" / "report.md"
    assert "## First stage" in text and "## Second stage" in text
    assert "![plot.png](second/plot.png)" in text and "| words | 3 |" in text
    assert "second made text." in text


def test_pipeline_until_and_force(stages):
    first, second = stages
    pipeline.run("tiny", until="first", progress=False)
    assert second.CALLS == []
    pipeline.run("tiny", progress=False)
    pipeline.run("tiny", force=True, progress=False)
    assert len(first.CALLS) == 2 and len(second.CALLS) == 2


def test_unknown_preset_and_stage_are_user_errors(stages):
    with pytest.raises(UserError, match="unknown preset 'huge'"):
        artifacts.get("first", "huge")
    with pytest.raises(UserError, match="unknown stage 'third'"):
        artifacts.get("third", "tiny")


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "a.json"
    files.atomic_write_text(target, json.dumps({"v": 1}))
    with pytest.raises(RuntimeError), files.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"], "no temporary file is left behind"
    assert target.stat().st_mode & 0o044 == 0o044, "readable by others, like a file written with open()"


def test_unwritable_folder_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot create folder"):
        files.make_dir(blocker / "sub")


# ----------------------------------------------------------------------------- whose folder it is


def test_a_stage_replaces_only_its_own_folder(stages, tmp_path, monkeypatch):
    first, _ = stages
    folder = artifacts.get("first", "tiny", progress=False)
    assert files.folder_owner(folder) == "first"
    monkeypatch.setitem(first.PRESETS, "tiny", first.Config(words=4))
    assert (artifacts.get("first", "tiny", progress=False) / "out.txt").read_text() == "word word word word"

    (folder / files.OWNER_FILE).unlink()
    (folder / "stamp.json").write_text(json.dumps({"stage": "first"}))  # built before owner files existed
    monkeypatch.setitem(first.PRESETS, "tiny", first.Config(words=5))
    assert (artifacts.get("first", "tiny", progress=False) / "out.txt").read_text().count("word") == 5

    shutil.rmtree(folder)
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "notes.txt").write_text("the user's")
    calls = len(first.CALLS)
    with pytest.raises(UserError, match="holds files that minillm's first did not write"):
        artifacts.build("first", "tiny", progress=False)
    assert len(first.CALLS) == calls, "refused before any work"
    assert (folder / "sub" / "notes.txt").read_text() == "the user's"
    assert sorted(p.name for p in folder.parent.iterdir() if not p.name.endswith(".lock")) == ["first"]


def test_replace_folder_refuses_what_another_command_or_the_user_made(tmp_path):
    new = files.claim_folder(tmp_path / "new", "clean")
    (new / "clean.jsonl").write_text("{}\n")
    files.replace_folder(new, tmp_path / "out", "clean")  # nothing there yet
    assert files.folder_owner(tmp_path / "out") == "clean"
    for final, message in [(tmp_path / "out", "did not write"),  # clean's output is not crawl's
                           (tmp_path / "file", "is not a folder"),
                           (tmp_path / "link", "is a symbolic link, not a folder")]:
        work = files.claim_folder(tmp_path / "work", "crawl")
        if final.name == "file":
            final.write_text("the user's")
        if final.name == "link":
            final.symlink_to(tmp_path / "out")
        with pytest.raises(UserError, match=message):
            files.replace_folder(work, final, "crawl")
        shutil.rmtree(work)
    (tmp_path / ".out.old").mkdir()
    (tmp_path / ".out.old" / "keep.txt").write_text("the user's")
    with pytest.raises(UserError, match=r"\.out\.old holds files"):
        files.replace_folder(files.claim_folder(tmp_path / "again", "clean"), tmp_path / "out", "clean")
    assert (tmp_path / ".out.old" / "keep.txt").exists() and (tmp_path / "out" / "clean.jsonl").exists()
    assert (tmp_path / "file").read_text() == "the user's" and (tmp_path / "link").is_symlink()


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX's")
def test_a_build_waiting_for_another_process_says_so(tmp_path, monkeypatch, capsys):
    import fcntl

    monkeypatch.setenv("MINILLM_RUNS", str(tmp_path))
    with artifacts.build_lock("sft", "tiny"):
        pass
    assert capsys.readouterr().err == "", "a free lock is taken silently"
    calls = []

    def held_by_another_process(f, operation):
        if operation & fcntl.LOCK_NB:
            raise BlockingIOError
        calls.append(operation)

    monkeypatch.setattr(fcntl, "flock", held_by_another_process)
    with artifacts.build_lock("sft", "tiny"):
        pass
    assert "waiting for another process to finish building the sft stage" in capsys.readouterr().err
    assert calls == [fcntl.LOCK_EX, fcntl.LOCK_UN], "it then waits for the lock, and releases it after the build"


def test_a_file_is_hashed_again_only_when_it_changed_or_is_too_fresh_to_trust(tmp_path):
    path = tmp_path / "module.py"
    path.write_text("A = 1\n")
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(hour_ago, hour_ago))
    calls = []

    def counted(p):
        calls.append(p)
        return files.file_digest(p)

    first = artifacts.digest_once(path, "test", counted)
    assert artifacts.digest_once(path, "test", counted) == first and len(calls) == 1
    path.write_text("A = 2\n")  # the same size, another time
    os.utime(path, ns=(hour_ago + 1, hour_ago + 1))
    assert artifacts.digest_once(path, "test", counted) != first and len(calls) == 2
    path.write_text("A = 3\n")  # just written: hashed on every call
    artifacts.digest_once(path, "test", counted)
    assert artifacts.digest_once(path, "test", counted) == files.file_digest(path) and len(calls) == 4
