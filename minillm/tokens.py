"""Token files: a corpus as token ids on disk, the bridge from the tokenizer (lesson 03) to training (lesson 07).

A folder of token files holds `train.bin` and `val.bin` (or shards `train_000000.bin`, ...): each document's
ids followed by <|endoftext|>, as uint16 (or uint32 for vocabularies over 65,536), with `meta.json` beside
them naming the dtype. The tokenizer stage and `minillm.shards` both write them with `write_documents`;
training memory-maps them, so a corpus larger than RAM costs nothing to open.
"""

import json
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from minillm.errors import UserError
from minillm.files import atomic_write_text, file_digest

EOT = "<|endoftext|>"  # ends every document in a token file


class Encoder(Protocol):
    """What writing token files needs of a tokenizer. `minillm.tokenizer.Tokenizer` is one; it imports this
    module, so the type is described here rather than imported."""
    vocab_size: int
    special_tokens: dict[str, int]

    def encode_batch(self, texts: list[str], allowed_special=(), num_threads: int = 8) -> list[list[int]]: ...


def token_dtype(vocab_size: int) -> np.dtype:
    """uint16 while every id fits (vocabularies of up to 65,536 tokens), else uint32."""
    return np.dtype(np.uint16 if vocab_size <= 1 << 16 else np.uint32)


def write_documents(tok: Encoder, texts: list[str], files: list[BinaryIO], num_threads: int = 8) -> list[int]:
    """Append each text to its open file as a token file holds a document: its ids, then <|endoftext|>, as
    `token_dtype`. Returns how many tokens each text took."""
    dtype, eot = token_dtype(tok.vocab_size), tok.special_tokens[EOT]
    lengths = []
    for ids, file in zip(tok.encode_batch(texts, num_threads=num_threads), files, strict=True):
        ids.append(eot)
        np.asarray(ids, dtype=dtype).tofile(file)
        lengths.append(len(ids))
    return lengths


def format_meta(tok: Encoder) -> dict:
    """The fields of meta.json that say how to read the ids back: dtype, vocabulary and special tokens."""
    return {"dtype": token_dtype(tok.vocab_size).name, "vocab_size": tok.vocab_size,
            "eot_id": tok.special_tokens[EOT], "special_tokens": tok.special_tokens}


def write_meta(folder: Path, meta: dict) -> None:
    """Write meta.json, atomically: a folder whose meta.json is there is complete. Adds to `meta` the digest of
    the tokenizer.json beside the token files (written before them), so that a swapped one is caught."""
    folder = Path(folder)
    if (folder / "tokenizer.json").is_file():
        meta["tokenizer_digest"] = file_digest(folder / "tokenizer.json")
    atomic_write_text(folder / "meta.json", json.dumps(meta, indent=2) + "\n")


def check_tokenizer(folder: Path) -> None:
    """Refuse token files whose tokenizer.json is not the one they were encoded with: training would learn
    ids that mean other text, and sampling would decode garbage."""
    folder = Path(folder)
    recorded = read_meta(folder).get("tokenizer_digest")
    if recorded is not None and (folder / "tokenizer.json").is_file() \
            and file_digest(folder / "tokenizer.json") != recorded:
        raise UserError(f"{folder / 'tokenizer.json'} is not the tokenizer the token files in {folder} were made with "
                        "(meta.json records another): put the right tokenizer.json back, or tokenize again")


def check_token_ids(files: list[np.ndarray], vocab_size: int, folder: Path) -> None:
    """Refuse token files holding an id the model has no embedding for (a file of another vocabulary)."""
    chunk = 1 << 24  # read a memory-mapped file a piece at a time
    for ids in files:
        largest = max((int(ids[i:i + chunk].max()) for i in range(0, len(ids), chunk)), default=-1)
        if largest >= vocab_size:
            raise UserError(f"the token files in {folder} hold id {largest}, but the vocabulary (meta.json) has only "
                            f"{vocab_size} tokens: they were made with another tokenizer, or are damaged")


def load_tokens(path: str | Path) -> np.ndarray:
    """A train.bin / val.bin token file as a read-only numpy memmap (dtype from meta.json beside it)."""
    path = Path(path)
    try:
        dtype = np.dtype(json.loads((path.parent / "meta.json").read_text(encoding="utf-8"))["dtype"])
    except FileNotFoundError:
        raise UserError(f"no meta.json next to {path} (it gives the token dtype)") from None
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise UserError(f"{path.parent / 'meta.json'} is corrupted ({e})") from None
    if not path.is_file():
        raise UserError(f"no token file at {path}")
    size = path.stat().st_size
    if size % dtype.itemsize:
        raise UserError(f"{path} is truncated: {size} bytes is not a whole number of {dtype.name} tokens")
    return np.memmap(path, dtype=dtype, mode="r") if size else np.zeros(0, dtype=dtype)


def load_split(folder: Path, split: str, block_size: int) -> list[np.ndarray]:
    """The token files of a split as memmaps: `<split>.bin`, or shards `<split>_*.bin`, with meta.json beside."""
    folder = Path(folder)
    files = [folder / f"{split}.bin"] if (folder / f"{split}.bin").exists() else sorted(folder.glob(f"{split}_*.bin"))
    if not files:
        raise UserError(f"no {split}.bin or {split}_*.bin token files in {folder}")
    arrays = [a for a in (load_tokens(f) for f in files) if len(a) > block_size]
    if not arrays:
        raise UserError(f"the {split} tokens in {folder} are shorter than one window of {block_size + 1} tokens")
    return arrays


def read_meta(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"no meta.json in {folder}: point --data at the tokenizer stage's folder") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{Path(folder) / 'meta.json'} is not valid JSON: {e}") from None


def tokenizer_id(folder: Path) -> str:
    """A short digest naming the tokenizer the token files were made with (checked when resuming)."""
    folder = Path(folder)
    return file_digest(folder / "tokenizer.json" if (folder / "tokenizer.json").exists() else folder / "meta.json")
