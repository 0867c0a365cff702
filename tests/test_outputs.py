"""No command deletes, renames or overwrites what it did not create: an --out folder holding the user's files is
refused with one line before any work, and a command's own earlier output is written again. The rule lives in
minillm.files (claim_folder, replace_folder); clean, pretrain and the pipeline's stages are tested in their own files."""

import argparse
import json
import socket
import subprocess
import sys

import pytest

from minillm import crawl, shards
from minillm.errors import UserError
from minillm.files import OWNER_FILE, ROOT
from minillm.tokenizer import Tokenizer
from minillm.tokens import EOT


@pytest.fixture
def victim(tmp_path):
    """A folder of the user's: a file at the top and one in a subfolder, plus the names a command writes."""
    folder = tmp_path / "victim"
    (folder / "sub").mkdir(parents=True)
    (folder / "important.txt").write_text("keep me")
    (folder / "sub" / "notes.txt").write_text("and me")
    (folder / "pages.jsonl").write_text("my own lines\n")
    (folder / "meta.json").write_text("{}")
    return folder


def untouched(folder) -> bool:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == [
        "important.txt", "meta.json", "pages.jsonl", "sub", "sub/notes.txt"] \
        and (folder / "pages.jsonl").read_text() == "my own lines\n" and (folder / "meta.json").read_text() == "{}"


def run_minillm(*argv):
    return subprocess.run([sys.executable, "-m", "minillm", *map(str, argv)], check=False, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_crawl_refuses_a_folder_it_did_not_write(victim):
    result = run_minillm("crawl", "--seed", f"http://127.0.0.1:{closed_port()}/", "--out", victim, "--quiet")
    assert result.returncode == 2
    expected = (f"minillm: error: {victim} holds files that minillm's crawl did not write: choose a new or empty "
                "folder (nothing was changed)")
    assert result.stderr.strip().splitlines() == [expected]
    assert untouched(victim)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_crawl_writes_into_a_new_folder_and_marks_it(tmp_path):
    parser = argparse.ArgumentParser()
    crawl.add_arguments(parser)
    out = tmp_path / "new"
    args = parser.parse_args(["--seed", f"http://127.0.0.1:{closed_port()}/", "--out", str(out), "--quiet",
                              "--timeout", "1", "--max-pages", "1"])
    assert crawl.run_from_args(args) == 0  # nothing listens there: the one fetch fails at once
    assert (out / OWNER_FILE).read_text().strip() == "crawl" and (out / "pages.jsonl").exists()
    assert crawl.run_from_args(args) == 0  # its own folder: resumed


def test_tokenize_shards_refuses_a_folder_it_did_not_write(victim, tmp_path):
    tok = Tokenizer.train(["the cat sat on the mat"] * 50, vocab_size=270, special_tokens=(EOT,), progress=False)
    tok.save(tmp_path / "tokenizer.json")
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps({"text": f"document {i}"}) + "\n" for i in range(50)))
    with pytest.raises(UserError, match="holds files that minillm's tokenize-shards did not write"):
        shards.encode_shards([tmp_path / "docs.jsonl"], tmp_path / "tokenizer.json", victim, val_tokens=10,
                             workers=1, progress=False)
    assert untouched(victim)
    out = tmp_path / "shards"
    for _ in range(2):  # its own folder: written, then resumed
        meta = shards.encode_shards([tmp_path / "docs.jsonl"], tmp_path / "tokenizer.json", out, val_tokens=10,
                                    workers=1, progress=False)
    assert meta["val_tokens"] == 10 and (out / OWNER_FILE).read_text().strip() == "tokenize-shards"
