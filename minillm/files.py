"""Files: where the repository's folders are, writes that never leave half a file, which folders a command
may write into, and file digests.

A foundation of the package (it imports nothing else of minillm but its errors): every stage writes its
outputs through `atomic_path`, so a crash or Ctrl-C leaves the old file or the new one, never a mix, and
into folders it owns (`claim_folder`, `replace_folder`), so no command deletes or overwrites a user's files.
"""

import contextlib
import hashlib
import json
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


# ----------------------------------------------------------------------------- output folders
# The one rule for outputs: a command writes into, or replaces, only a folder that does not exist yet, is
# empty, or carries its owner file (written there by the same command before). Anything else is the user's:
# refused with one line before any work, so no command deletes, renames or overwrites what it did not create.

OWNER_FILE = ".minillm-owner"  # in every output folder: the command (stage) that wrote it


def folder_owner(folder) -> str | None:
    """The command that wrote `folder`: its owner file, else (for the folders written before owner files
    existed) the stage its stamp.json names, or "pretrain" for a training run's checkpoint."""
    folder = Path(folder)
    with contextlib.suppress(OSError):
        return (folder / OWNER_FILE).read_text(encoding="utf-8").strip()
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return str(json.loads((folder / "stamp.json").read_text(encoding="utf-8"))["stage"])
    if (folder / "state.pt").is_file() or (folder / "checkpoint" / "state.pt").is_file():
        return "pretrain"
    return None


def check_output_folder(folder, owner: str) -> None:
    """Refuse, with one line, to write `owner`'s output into `folder` unless the rule above allows it."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} exists and is not a folder: choose a new folder for the output")
    if not folder.exists() or folder_owner(folder) == owner or not any(folder.iterdir()):
        return
    raise UserError(f"{folder} holds files that minillm's {owner} did not write: choose a new or empty folder "
                    "(nothing was changed)")


def claim_folder(folder, owner: str) -> Path:
    """Make `folder` (checked as above) an output folder of `owner`, to write into."""
    check_output_folder(folder, owner)
    return mark_folder(make_dir(folder), owner)


def mark_folder(folder: Path, owner: str) -> Path:
    """Write `folder`'s owner file: from now on `owner` may write into it and replace it."""
    atomic_write_text(Path(folder) / OWNER_FILE, owner + "\n")
    return Path(folder)


def replace_folder(new: Path, final: Path, owner: str) -> None:
    """Put the finished folder `new` where `final` is, if `owner` may replace it (checked as above);
    `.final.old` holds the previous one only meanwhile."""
    if final.is_symlink():  # renaming would move the link, and the folder it points to would stay
        raise UserError(f"{final} is a symbolic link, not a folder: choose a new folder for the output")
    check_output_folder(final, owner)
    old = final.with_name(f".{final.name}.old")
    check_output_folder(old, owner)  # a previous swap's leftover, or the user's: checked like `final`
    mark_folder(new, owner)
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    if old.exists():
        shutil.rmtree(old)


# ----------------------------------------------------------------------------- digests


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
