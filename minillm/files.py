"""Files: where the repository's folders are, writes that never leave half a file, and file digests.

A foundation of the package (it imports nothing else of minillm but its errors): every stage writes its
outputs through `atomic_path`, so a crash or Ctrl-C leaves the old file or the new one, never a mix.
"""

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from minillm.errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout data/ and runs/ sit next to the package; an installed copy works from the cwd.
ROOT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "pyproject.toml").exists() else Path.cwd()
DATA_DIR = ROOT / "data"


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    make_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp's 0600 would make the result private to its writer
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def make_dir(path) -> Path:
    """mkdir -p that reports an unwritable place as one clear line."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create folder {path}: {e.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UserError(f"cannot write to folder {path}: permission denied")
    return path


def replace_folder(new: Path, final: Path) -> None:
    """Put the finished folder `new` where `final` is; `final.old` holds the previous one only meanwhile."""
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    if old.exists():
        shutil.rmtree(old)


def digest(data: bytes, length: int = 16) -> str:
    """A short sha256 hex digest: names a file's or a recipe's content."""
    return hashlib.sha256(data).hexdigest()[:length]


def file_digest(path, length: int = 16) -> str:
    """The short sha256 of a file, read in chunks (a tokenizer, a source file, a data folder's file)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()[:length]
