"""Token shards from a large corpus: the at-scale path of lessons 03 and 07 (`minillm tokenize-shards`).

A real pretraining corpus (billions of tokens in many .jsonl.gz or .parquet files) needs the token files of
minillm.tokens written differently from the tiny corpus: encoded by every core at once, restartable after a
crash, and cut into shards that `tokens.load_split` memory-maps side by side.
"""

import glob
import gzip
import hashlib
import json
import os
import shutil
import signal
from contextlib import contextmanager
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from minillm.errors import UserError
from minillm.files import atomic_path, atomic_write_text, claim_folder
from minillm.pretokens import batched
from minillm.tokenizer import Tokenizer
from minillm.tokens import EOT, format_meta, token_dtype, write_documents, write_meta

UNIT_BYTES = 50_000_000  # a .jsonl file is encoded in ranges of about this many bytes
ENCODE_BATCH = 1024  # documents per encode_batch call: bounds a worker's memory on any unit size
SUFFIXES = (".txt", ".jsonl", ".jsonl.gz", ".parquet")


# ----------------------------------------------------------------------------------------------------
# Plan: sources -> units


def find_sources(sources) -> list[Path]:
    """The files named by paths, globs or folders (searched recursively), in sorted order, each once."""
    found: dict[Path, None] = {}
    for source in sources:
        matches = [str(source)] if Path(source).exists() else sorted(glob.glob(str(source), recursive=True))
        if not matches:
            raise UserError(f"no source files match {source}")
        for match in map(Path, matches):
            if match.is_dir():
                files = sorted(p for p in match.rglob("*") if p.is_file() and kind(p))
            else:
                files = [match]
            for file in files:
                if not kind(file):
                    raise UserError(f"{file}: unsupported file type (expected {', '.join(SUFFIXES)})")
                found.setdefault(file, None)
    if not found:
        raise UserError(f"no source files matched {' '.join(map(str, sources)) or '(nothing given)'}")
    return list(found)


def kind(path: Path) -> str | None:
    """The format of a source file from its name: "txt", "jsonl", "jsonl.gz", "parquet", or None."""
    name = path.name.lower()
    return next((suffix[1:] for suffix in sorted(SUFFIXES, key=len, reverse=True) if name.endswith(suffix)), None)


def plan_units(sources, text_field: str = "text", unit_bytes: int = UNIT_BYTES) -> list[dict]:
    """The units a corpus is encoded in, in order: {"path", "kind", "size", ...} plus where in the file."""
    units = []
    for path in find_sources(sources):
        unit = {"path": str(path.resolve()), "kind": kind(path), "size": path.stat().st_size}
        if unit["kind"] == "jsonl":
            units += [{**unit, "start": a, "end": b} for a, b in line_ranges(path, unit_bytes)]
        elif unit["kind"] == "parquet":
            table = parquet_file(path)
            if text_field not in table.schema_arrow.names:
                raise UserError(f"{path} has no column {text_field!r} (columns: {', '.join(table.schema_arrow.names)})")
            units += [{**unit, "row_group": g} for g in range(table.num_row_groups)]
        else:
            units.append(unit)
    return units


def line_ranges(path: Path, unit_bytes: int) -> list[tuple[int, int]]:
    """Byte ranges of about `unit_bytes` covering the file, each starting at the start of a line."""
    size = path.stat().st_size
    cuts = [0]
    with path.open("rb") as f:
        for target in range(unit_bytes, size, unit_bytes):
            f.seek(target - 1)
            f.readline()  # ends at the first newline at or after byte target-1: the next line starts after it
            if cuts[-1] < f.tell() < size:
                cuts.append(f.tell())
    return list(zip(cuts, cuts[1:] + [size]))


def parquet_file(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UserError("install pyarrow to read parquet") from None
    with unreadable_parquet(path):
        return pq.ParquetFile(path)


@contextmanager
def unreadable_parquet(path: Path):
    """Turn pyarrow's error on a truncated or corrupt parquet file into one line naming the file."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowException, OSError) as e:
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise UserError(f"{path} is not a readable parquet file ({reason})") from None


# ----------------------------------------------------------------------------------------------------
# Encode: unit -> part file


def read_documents(unit: dict, text_field: str):
    """The texts of one unit, in file order."""
    path = Path(unit["path"])
    if unit["kind"] == "txt":
        yield path.read_text(encoding="utf-8", errors="replace")
    elif unit["kind"] == "parquet":
        with unreadable_parquet(path):  # a valid footer may still point at damaged pages
            table = parquet_file(path).read_row_group(unit["row_group"], columns=[text_field])
        yield from (text for text in table.column(text_field).to_pylist() if text is not None)
    elif unit["kind"] == "jsonl.gz":
        with gzip.open(path, "rb") as f:
            yield from jsonl_texts(f, path, text_field, end=None)
    else:
        with path.open("rb") as f:
            f.seek(unit["start"])
            yield from jsonl_texts(f, path, text_field, end=unit["end"])


def jsonl_texts(f, path: Path, text_field: str, end: int | None):
    """The `text_field` of each JSON line read from f until byte `end` (or the end of the file)."""
    while end is None or f.tell() < end:
        line = f.readline()
        if not line:
            return
        if not line.strip():
            continue
        try:
            text = json.loads(line)[text_field]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise UserError(f"{path}: a line is not a JSON object with a {text_field!r} field: "
                            f"{line[:60]!r}") from None
        if not isinstance(text, str):
            raise UserError(f"{path}: {text_field!r} is not a string in line {line[:60]!r}")
        yield text


_worker: dict = {}  # each pool process loads the tokenizer once


def init_worker(tokenizer_path: str, text_field: str) -> None:
    _worker.update(tok=Tokenizer.load(tokenizer_path), text_field=text_field)


def init_pool_worker(tokenizer_path: str, text_field: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the pool, no worker traceback
    init_worker(tokenizer_path, text_field)


def encode_unit(job: tuple[dict, str]) -> int:
    """Encode one unit into its part file (atomically); returns the number of tokens written."""
    unit, part = job
    tokens = 0
    with atomic_path(part) as tmp, open(tmp, "wb") as f:
        for texts in batched(read_documents(unit, _worker["text_field"]), ENCODE_BATCH):
            # one thread per unit: the pool already uses every core
            tokens += sum(write_documents(_worker["tok"], texts, [f] * len(texts), num_threads=1))
    return tokens


# ----------------------------------------------------------------------------------------------------
# Shard: parts -> val_000000.bin, train_000000.bin, ...


def split_ranges(total: int, val_tokens: int, shard_tokens: int) -> dict[str, tuple[int, int]]:
    """Output file name -> [start, end) in the stream of all tokens: val first, then train shards."""
    val_end = min(val_tokens, total)
    files = {"val_000000.bin": (0, val_end)} if val_end else {}
    for i, start in enumerate(range(val_end, total, shard_tokens)):
        files[f"train_{i:06d}.bin"] = (start, min(start + shard_tokens, total))
    return files


def copy_range(parts: list[Path], offsets: np.ndarray, start: int, end: int, f, dtype: np.dtype) -> None:
    """Write tokens [start, end) of the concatenated parts to the open file f."""
    for path, lo, hi in zip(parts, offsets[:-1], offsets[1:]):
        if lo == hi or hi <= start or lo >= end:
            continue
        tokens = np.memmap(path, dtype=dtype, mode="r")
        tokens[max(start - lo, 0):min(end, hi) - lo].tofile(f)


def write_shards(parts: list[Path], out: Path, dtype: np.dtype, val_tokens: int, shard_tokens: int,
                 progress: bool) -> dict[str, int]:
    """Stream the parts into the split files; returns file name -> tokens. Stale shards are removed."""
    offsets = np.cumsum([0] + [p.stat().st_size // dtype.itemsize for p in parts])
    total = int(offsets[-1])
    if total <= val_tokens:
        raise UserError(f"the corpus has only {total:,} tokens, not more than --val-tokens {val_tokens:,}: "
                        "nothing would be left to train on")
    files = split_ranges(total, val_tokens, shard_tokens)
    for name, (start, end) in tqdm(files.items(), desc="sharding", unit="shard", disable=not progress):
        with atomic_path(out / name) as tmp, open(tmp, "wb") as f:
            copy_range(parts, offsets, start, end, f, dtype)
    for stale in [*out.glob("train_*.bin"), *out.glob("val_*.bin")]:
        if stale.name not in files:  # left by an earlier run with other sizes
            stale.unlink()
    return {name: end - start for name, (start, end) in files.items()}


# ----------------------------------------------------------------------------------------------------
# The whole recipe


def encode_shards(sources, tokenizer_path, out, text_field: str = "text", shard_tokens: int = 100_000_000,
                  val_tokens: int = 10_000_000, workers: int | None = None, progress: bool = True,
                  unit_bytes: int = UNIT_BYTES) -> dict:
    """Encode every document of `sources` (paths, globs or folders of .txt, .jsonl, .jsonl.gz, .parquet)
    with the tokenizer at `tokenizer_path` into token shards in `out`; returns the contents of out/meta.json.

    1. plan: the sources are cut into deterministic units (a .txt file, ~50 MB line-aligned byte ranges of a
       .jsonl file, a whole .jsonl.gz file since gzip cannot seek, a parquet row group), saved as units.json;
    2. encode: a process pool encodes each unit into out/.parts/NNNNNN.bin, atomically; parts already there
       are kept, so a killed run restarted with the same arguments encodes only what is missing (the
       temporary files of parts cut short are removed, after an interruption or at the next start);
    3. shard: the parts are streamed in unit order into val_000000.bin (the first `val_tokens` tokens) and
       train_000000.bin, ... of at most `shard_tokens` tokens each; meta.json is written last, so its
       presence means the folder is complete, and tokenizer.json is copied beside the shards. Then the
       parts, a second copy of every token, are deleted: other shard sizes later mean encoding again.
    """
    if shard_tokens <= 0 or val_tokens < 0 or unit_bytes <= 0 or (workers is not None and workers <= 0):
        raise UserError("--shard-tokens and --workers must be positive and --val-tokens not negative")
    tokenizer_path, out = Path(tokenizer_path), Path(out)
    tok = Tokenizer.load(tokenizer_path)
    if EOT not in tok.special_tokens:
        raise UserError(f"{tokenizer_path} has no {EOT} token to separate documents")
    digest = hashlib.sha256(tokenizer_path.read_bytes()).hexdigest()
    dtype = token_dtype(tok.vocab_size)
    plan = {"tokenizer": digest, "text_field": text_field, "dtype": dtype.name,
            "units": plan_units(sources, text_field, unit_bytes)}
    options = {"shard_tokens": shard_tokens, "requested_val_tokens": val_tokens}
    claim_folder(out, "tokenize-shards")  # writes into, and resumes, only a folder of its own
    check_plan(out, plan)
    remove_temporary_files(out)
    meta_path = out / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if all(meta.get(k) == v for k, v in options.items()):
            shutil.rmtree(out / ".parts", ignore_errors=True)  # left if the run was killed just after meta.json
            return meta
        meta_path.unlink()  # re-cut with the new sizes; the folder is incomplete until meta.json is back

    parts = [out / ".parts" / f"{i:06d}.bin" for i in range(len(plan["units"]))]
    try:
        encode_parts(plan["units"], parts, tokenizer_path, text_field, workers, progress)
    finally:  # on an error or Ctrl-C the pool's workers are killed mid-write, before they remove their files
        remove_temporary_files(out)
    counts = write_shards(parts, out, dtype, val_tokens, shard_tokens, progress)
    shutil.copyfile(tokenizer_path, out / "tokenizer.json")
    meta = {**format_meta(tok),
            "train_shards": sum(name.startswith("train_") for name in counts),
            "val_shards": sum(name.startswith("val_") for name in counts),
            "train_tokens": sum(n for name, n in counts.items() if name.startswith("train_")),
            "val_tokens": sum(n for name, n in counts.items() if name.startswith("val_")),
            "tokenizer": digest, "units": len(parts), **options,
            "layout": "each document's token ids followed by <|endoftext|>, documents in unit order "
                      "(units.json); val is the first val_tokens tokens, train the rest"}
    write_meta(out, meta)
    shutil.rmtree(out / ".parts")
    return meta


def remove_temporary_files(out: Path) -> None:
    """Delete the temporary files of parts and shards that a killed run left in `out` (`atomic_path` names
    them .NAME.XXXXXXXX.tmp); nothing else."""
    for pattern in (".parts/.*.bin.*.tmp", ".train_*.bin.*.tmp", ".val_*.bin.*.tmp"):
        for tmp in out.glob(pattern):
            tmp.unlink(missing_ok=True)


def check_plan(out: Path, plan: dict) -> None:
    """Save the plan in out/units.json, or check that a resumed run has the same one."""
    path = out / "units.json"
    if path.exists():
        try:
            same = json.loads(path.read_text(encoding="utf-8")) == plan
        except json.JSONDecodeError:
            same = False
        if not same:
            raise UserError(f"{out} holds shards of other sources, tokenizer or text field "
                            "(units.json differs): use a new --out folder")
    else:
        atomic_write_text(path, json.dumps(plan, indent=1) + "\n")


def encode_parts(units: list[dict], parts: list[Path], tokenizer_path: Path, text_field: str,
                 workers: int | None, progress: bool) -> None:
    """Encode the units whose part file is missing, in a process pool."""
    todo = [(unit, str(part)) for unit, part in zip(units, parts) if not part.exists()]
    workers = min(workers or os.cpu_count() or 1, max(len(todo), 1))
    init = (str(tokenizer_path), text_field)
    with tqdm(total=len(units), initial=len(units) - len(todo), desc="encoding", unit="unit",
              disable=not progress) as bar:
        if workers == 1:
            init_worker(*init)
            for job in todo:
                encode_unit(job)
                bar.update()
            return
        with Pool(workers, initializer=init_pool_worker, initargs=init) as pool:
            for _ in pool.imap_unordered(encode_unit, todo):
                bar.update()


# ----------------------------------------------------------------------------------------------------
# Command line: minillm tokenize-shards


def add_arguments(parser) -> None:
    """Flags of `minillm tokenize-shards`."""
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="files, globs or folders of .txt, .jsonl, .jsonl.gz or .parquet")
    parser.add_argument("--tokenizer", required=True, metavar="PATH", help="a tokenizer.json written by minillm")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the shards (resumes if it exists)")
    parser.add_argument("--text-field", default="text", metavar="F", help="JSON field / parquet column of the text")
    parser.add_argument("--shard-tokens", type=int, default=100_000_000, metavar="N", help="tokens per train shard")
    parser.add_argument("--val-tokens", type=int, default=10_000_000, metavar="N", help="tokens kept for validation")
    parser.add_argument("--workers", type=int, metavar="N", help="encoding processes (default: every core)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_from_args(args) -> int:
    """`minillm tokenize-shards`: encode the sources, print meta.json."""
    meta = encode_shards(args.sources, args.tokenizer, args.out, args.text_field, args.shard_tokens,
                         args.val_tokens, args.workers, progress=not args.quiet)
    print(json.dumps({k: meta[k] for k in ("train_shards", "val_shards", "train_tokens", "val_tokens")}))
    return 0
