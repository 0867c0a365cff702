import gzip
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minillm import shards
from minillm.errors import UserError
from minillm.files import atomic_path
from minillm.tokenizer import Tokenizer
from minillm.tokens import EOT, load_split

WORDS = ["the", "cat", "sat", "on", "a", "mat", "while", "seven", "dogs", "ran", "far", "away", "from", "home"]


def document(i: int) -> str:
    return " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(5 + i % 9)) + f" number {i}."


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A tokenizer and three sources (.txt, .jsonl, .jsonl.gz); documents listed in unit order."""
    root = tmp_path_factory.mktemp("corpus")
    tok = Tokenizer.train([document(i) for i in range(200)], vocab_size=300, special_tokens=(EOT,))
    tok.save(root / "tokenizer.json")
    src = root / "src"
    src.mkdir()
    txt = "A whole file is one document.\n\nEven with blank lines in it.\n"
    (src / "a.txt").write_text(txt)
    jsonl = [document(i) for i in range(60)]
    (src / "b.jsonl").write_text("".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(jsonl)))
    gz = [document(i) for i in range(100, 130)]
    with gzip.open(src / "c.jsonl.gz", "wt") as f:
        f.write("".join(json.dumps({"text": t}) + "\n\n" for t in gz))  # blank lines are skipped
    return {"root": root, "tok": tok, "tokenizer": root / "tokenizer.json", "src": src,
            "documents": [txt, *jsonl, *gz]}


def expected_tokens(corpus) -> np.ndarray:
    tok = corpus["tok"]
    return np.array([i for text in corpus["documents"] for i in tok.encode(text) + [tok.special_tokens[EOT]]])


def encode(corpus, out, **kwargs):
    kwargs = {"shard_tokens": 500, "val_tokens": 300, "workers": 1, "progress": False, "unit_bytes": 1000,
              **kwargs}
    return shards.encode_shards([corpus["src"] / "*.txt", corpus["src"] / "*.jsonl*"], corpus["tokenizer"],
                                out, **kwargs)


def read_all(out, meta) -> np.ndarray:
    names = [f"val_{i:06d}.bin" for i in range(meta["val_shards"])]
    names += [f"train_{i:06d}.bin" for i in range(meta["train_shards"])]
    return np.concatenate([np.fromfile(out / name, dtype=meta["dtype"]) for name in names])


def test_shards_hold_every_document_in_unit_order(corpus, tmp_path):
    meta = encode(corpus, tmp_path, workers=2)
    expected = expected_tokens(corpus)
    np.testing.assert_array_equal(read_all(tmp_path, meta), expected)
    assert meta["val_tokens"] == 300 and meta["train_tokens"] == len(expected) - 300
    assert meta["train_shards"] == -(-(len(expected) - 300) // 500) >= 3 and meta["val_shards"] == 1
    sizes = [len(np.fromfile(p, dtype=np.uint16)) for p in sorted(tmp_path.glob("train_*.bin"))]
    assert sizes[:-1] == [500] * (len(sizes) - 1) and 0 < sizes[-1] <= 500
    units = json.loads((tmp_path / "units.json").read_text())["units"]
    assert [u["kind"] for u in units][:2] == ["txt", "jsonl"] and units[-1]["kind"] == "jsonl.gz"
    assert sum(u["kind"] == "jsonl" for u in units) > 2  # the .jsonl file was cut into byte ranges


def test_meta_describes_the_shards(corpus, tmp_path):
    meta = encode(corpus, tmp_path)
    on_disk = json.loads((tmp_path / "meta.json").read_text())
    assert on_disk == meta
    assert meta["dtype"] == "uint16" and meta["vocab_size"] == corpus["tok"].vocab_size
    assert meta["eot_id"] == corpus["tok"].special_tokens[EOT]
    assert meta["tokenizer"] == hashlib.sha256(corpus["tokenizer"].read_bytes()).hexdigest()
    assert (tmp_path / "tokenizer.json").read_bytes() == corpus["tokenizer"].read_bytes()


def test_load_split_reads_the_shards(corpus, tmp_path):
    meta = encode(corpus, tmp_path)
    train = load_split(tmp_path, "train", block_size=32)
    val = load_split(tmp_path, "val", block_size=32)
    sizes = [p.stat().st_size // 2 for p in sorted(tmp_path.glob("train_*.bin"))]
    assert [len(a) for a in train] == [n for n in sizes if n > 32]  # load_split drops shards shorter than a window
    assert len(train) >= 3 and [len(a) for a in val] == [meta["val_tokens"]]
    np.testing.assert_array_equal(np.concatenate([*val, *train])[:600], expected_tokens(corpus)[:600])


def killed_after_encoding(corpus, out, monkeypatch) -> list:
    """Run until the parts are encoded, then stop as a killed run would; returns the part files."""
    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(shards, "write_shards", killed)
        with pytest.raises(KeyboardInterrupt):
            encode(corpus, out)
    return sorted((out / ".parts").glob("*.bin"))


def test_a_restarted_run_encodes_only_the_missing_parts(corpus, tmp_path, monkeypatch):
    parts = killed_after_encoding(corpus, tmp_path, monkeypatch)
    assert len(parts) > 2 and not (tmp_path / "meta.json").exists()
    parts[1].unlink()
    encoded, encode_unit = [], shards.encode_unit
    monkeypatch.setattr(shards, "encode_unit", lambda job: encoded.append(Path(job[1]).name) or encode_unit(job))
    meta = encode(corpus, tmp_path)
    assert encoded == [parts[1].name]
    np.testing.assert_array_equal(read_all(tmp_path, meta), expected_tokens(corpus))


def test_new_sizes_recut_the_shards_and_drop_stale_ones(corpus, tmp_path):
    encode(corpus, tmp_path, shard_tokens=200)
    meta = encode(corpus, tmp_path, shard_tokens=10_000, val_tokens=0)
    assert meta["train_shards"] == 1 and meta["val_shards"] == 0
    assert [p.name for p in tmp_path.glob("*_0*.bin")] == ["train_000000.bin"]
    np.testing.assert_array_equal(read_all(tmp_path, meta), expected_tokens(corpus))


def test_another_plan_in_the_same_folder_is_refused(corpus, tmp_path):
    encode(corpus, tmp_path)
    with pytest.raises(UserError, match="new --out folder"):
        encode(corpus, tmp_path, text_field="id")


def test_line_ranges_start_at_line_starts(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"".join(b"%d\n" % (10 ** (i % 5)) for i in range(300)))
    ranges = shards.line_ranges(path, 37)
    data = path.read_bytes()
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data) and len(ranges) > 5
    assert all(a < b and data[a - 1:a] in (b"", b"\n") for a, b in ranges)
    assert all(b1 == a2 for (_, b1), (a2, _) in itertools.pairwise(ranges))


def test_parquet_row_groups_are_units(corpus, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = [document(i) for i in range(40)]
    pq.write_table(pa.table({"body": texts}), tmp_path / "d.parquet", row_group_size=15)
    meta = shards.encode_shards([tmp_path / "d.parquet"], corpus["tokenizer"], tmp_path / "out", text_field="body",
                                val_tokens=50, workers=1, progress=False)
    units = json.loads((tmp_path / "out" / "units.json").read_text())["units"]
    assert [u["row_group"] for u in units] == [0, 1, 2]
    tok = corpus["tok"]
    expected = [i for t in texts for i in tok.encode(t) + [tok.special_tokens[EOT]]]
    np.testing.assert_array_equal(read_all(tmp_path / "out", meta), expected)


def test_parquet_without_pyarrow_says_what_to_install(corpus, tmp_path, monkeypatch):
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # makes the import fail
    with pytest.raises(UserError, match="install pyarrow to read parquet"):
        shards.encode_shards([tmp_path / "d.parquet"], corpus["tokenizer"], tmp_path / "out", progress=False)


@pytest.mark.parametrize("change, message", [
    ({"sources": ["nowhere/*.jsonl"]}, "no source files match"),
    ({"tokenizer": "missing.json"}, "no tokenizer file"),
    ({"shard_tokens": 0}, "must be positive"),
    ({"val_tokens": -1}, "not negative"),
    ({"val_tokens": 10 ** 9}, "nothing would be left to train on"),
])
def test_bad_input_is_one_line_user_error(corpus, tmp_path, change, message):
    args = {"sources": [str(corpus["src"] / "b.jsonl")], "tokenizer": corpus["tokenizer"], "shard_tokens": 100,
            "val_tokens": 10, **change}
    with pytest.raises(UserError, match=message) as error:
        shards.encode_shards(args["sources"], args["tokenizer"], tmp_path / "out", shard_tokens=args["shard_tokens"],
                             val_tokens=args["val_tokens"], workers=1, progress=False)
    assert "\n" not in str(error.value)


def test_unwritable_out_and_bad_json_are_user_errors(corpus, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot create folder"):
        shards.encode_shards([corpus["src"] / "b.jsonl"], corpus["tokenizer"], blocker / "out", progress=False)
    (tmp_path / "bad.jsonl").write_text('{"text": "fine"}\nnot json\n')
    with pytest.raises(UserError, match="not a JSON object with a 'text' field"):
        shards.encode_shards([tmp_path / "bad.jsonl"], corpus["tokenizer"], tmp_path / "out", workers=1,
                             progress=False)


def test_command_line(corpus, tmp_path, capsys):
    from argparse import ArgumentParser

    parser = ArgumentParser()
    shards.add_arguments(parser)
    args = parser.parse_args([str(corpus["src"] / "b.jsonl"), "--tokenizer", str(corpus["tokenizer"]),
                              "--out", str(tmp_path), "--shard-tokens", "400", "--val-tokens", "100", "--quiet"])
    assert shards.run_from_args(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["val_tokens"] == 100 and printed["train_shards"] == -(-printed["train_tokens"] // 400)


# ----------------------------------------------------------------------------------------------------
# Cleaning up after itself; corrupt parquet


def test_a_finished_run_leaves_no_parts_and_no_temporary_files(corpus, tmp_path, monkeypatch):
    killed_after_encoding(corpus, tmp_path, monkeypatch)
    # what a run killed mid-write leaves: atomic_path's temporary files of a part and of a shard
    (tmp_path / ".parts" / ".000002.bin.k1ll3d00.tmp").write_bytes(b"\0" * 1000)
    (tmp_path / ".train_000000.bin.k1ll3d00.tmp").write_bytes(b"\0" * 1000)
    meta = encode(corpus, tmp_path, workers=2)
    assert not (tmp_path / ".parts").exists()  # no second copy of the tokens
    assert list(tmp_path.rglob("*.tmp")) == []
    assert sum(p.stat().st_size for p in tmp_path.glob("*.bin")) == 2 * len(expected_tokens(corpus))
    assert encode(corpus, tmp_path) == meta  # the finished folder still answers


def encode_one_unit_or_fail(job):
    """In a pool worker: unit 0 fails once another worker is mid-write; that one waits to be killed."""
    part = Path(job[1])
    if part.name != "000000.bin":
        with atomic_path(part) as tmp:
            tmp.write_bytes(b"\0" * 1000)
            time.sleep(600)  # the pool is terminated meanwhile: killed before atomic_path can clean up
    deadline = time.monotonic() + 60  # a hang guard only
    while not list(part.parent.glob(".*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.01)
    raise UserError("unit 0 is broken")


def test_a_failed_run_leaves_no_temporary_files_of_its_killed_workers(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "encode_unit", encode_one_unit_or_fail)
    with pytest.raises(UserError, match="unit 0 is broken"):
        encode(corpus, tmp_path, workers=2)
    assert list(tmp_path.rglob("*.tmp")) == []


def test_corrupt_parquet_is_one_line_user_error(corpus, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    (tmp_path / "garbage.parquet").write_bytes(b"PAR1" + b"x" * 100 + b"PAR1")
    pq.write_table(pa.table({"text": [document(i) for i in range(200)]}), tmp_path / "pages.parquet",
                   row_group_size=100)
    damaged = bytearray((tmp_path / "pages.parquet").read_bytes())
    damaged[10:300] = b"\xff" * 290  # the footer is intact, the first pages are not
    (tmp_path / "pages.parquet").write_bytes(damaged)
    for name, workers in [("garbage", 1), ("pages", 1), ("pages", 2)]:
        with pytest.raises(UserError, match=f"{name}.parquet is not a readable parquet file") as error:
            shards.encode_shards([tmp_path / f"{name}.parquet"], corpus["tokenizer"], tmp_path / f"out{workers}",
                                 val_tokens=10, workers=workers, progress=False)
        assert "\n" not in str(error.value)
