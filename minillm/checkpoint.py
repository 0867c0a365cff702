"""Checkpoints: a training run saved so that it resumes exactly, and a trained model loaded back (lesson 07).

A checkpoint folder holds `model.safetensors` (the weights, the model config in its metadata), `config.json`
(model and training config, step, tokenizer id, losses) and `state.pt` (optimizer state and every process's
RNG state, read back with `torch.load(weights_only=True)`). It is written into a fresh folder and swapped in,
so a crash never leaves half of one. A finished model folder (model.safetensors + tokenizer.json, or a Hugging
Face GPT-2 folder) loads with `load_model`.
"""

import contextlib
import json
import pickle
import shutil
from pathlib import Path

import torch
import torch.distributed as dist
from safetensors import SafetensorError
from safetensors.torch import load_file

from minillm.devices import ONE_PROCESS, Process
from minillm.errors import UserError
from minillm.files import atomic_write_text, make_dir, replace_folder
from minillm.model import GPT, read_config
from minillm.tokenizer import Tokenizer


def rng_state(device: torch.device) -> dict:
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def all_rng_states(device: torch.device, process: Process) -> list[dict]:
    """Every process's RNG state (dropout masks differ per process), gathered so rank 0 can save them."""
    if not process.distributed:
        return [rng_state(device)]
    states = [None] * process.world_size
    dist.all_gather_object(states, {k: v.cpu() for k, v in rng_state(device).items()})
    return states


def save_checkpoint(folder: Path, model: GPT, optimizer: torch.optim.Optimizer, step: int, info: dict,
                    rng_states: list[dict], owner: str = "pretrain") -> Path:
    """Write weights, config.json and state.pt into a fresh folder, then swap it in for `folder` (a checkpoint
    of the training stage `owner`)."""
    folder = Path(folder)
    work = folder.with_name(f".{folder.name}.new")
    if work.exists():
        shutil.rmtree(work)
    make_dir(work)
    model.save_safetensors(work / "model.safetensors")
    atomic_write_text(work / "config.json", json.dumps({**info, "step": step}, indent=1) + "\n")
    torch.save({"step": step, "optimizer": optimizer.state_dict(), "rng": rng_states}, work / "state.pt")
    replace_folder(work, folder, owner)
    return folder


def find_checkpoint(folder: Path) -> Path | None:
    """`folder`, or the previous checkpoint that a crash during the swap left beside it."""
    folder = Path(folder)
    for candidate in (folder, folder.with_name(f".{folder.name}.old")):
        if (candidate / "state.pt").is_file():
            return candidate
    return None


def load_checkpoint(folder: Path, model: GPT, optimizer: torch.optim.Optimizer | None, device: torch.device,
                    process: Process = ONE_PROCESS) -> dict:
    """Restore weights, optimizer and this process's RNG state; return the checkpoint's config.json."""
    found = find_checkpoint(folder)
    if found is None:
        raise UserError(f"no checkpoint to resume from in {folder}")
    with damaged_checkpoint(found, "config.json"):
        info = json.loads((found / "config.json").read_text(encoding="utf-8"))
        saved_model = info["model"]
    if saved_model != model.config.to_dict():
        raise UserError(f"the checkpoint in {found} is a different model ({saved_model}) "
                        f"from the one configured ({model.config.to_dict()})")
    with damaged_checkpoint(found, "model.safetensors"):
        model.load_state_dict(load_file(found / "model.safetensors", device=str(device)))
    with damaged_checkpoint(found, "state.pt"):
        state = torch.load(found / "state.pt", map_location="cpu", weights_only=True)
        if optimizer is not None:
            optimizer.load_state_dict(state["optimizer"])
        if len(state["rng"]) == process.world_size:
            set_rng_state(state["rng"][process.rank], device)
    return info


@contextlib.contextmanager
def damaged_checkpoint(folder: Path, name: str):
    """Turn a truncated or corrupted checkpoint file (a full disk, a copy cut short) into one clear line."""
    try:
        yield
    except (OSError, EOFError, ValueError, KeyError, TypeError, RuntimeError, pickle.UnpicklingError,
            SafetensorError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"the checkpoint in {folder} is damaged: {name} cannot be read ({reason[:200]}); "
                        "resume from a copy, or start a new run without --resume") from None


def gpt2_tokenizer(vocab_json: Path) -> Tokenizer:
    """A Tokenizer from a Hugging Face GPT-2 vocab.json (token strings in GPT-2's byte-to-unicode alphabet)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    # GPT-2 shows each byte as a printable character: itself if printable, else chr(256 + n) for the n-th other.
    byte_of = {chr(b): b for b in printable} | {chr(256 + n): b for n, b in enumerate(others)}
    vocab = json.loads(Path(vocab_json).read_text(encoding="utf-8"))
    specials = {s: i for s, i in vocab.items() if s.startswith("<|") and s.endswith("|>")}
    try:
        ranks = {bytes(byte_of[c] for c in s): i for s, i in vocab.items() if s not in specials}
    except KeyError as e:
        raise UserError(f"{vocab_json} is not a GPT-2 vocab.json (character {e.args[0]!r})") from None
    return Tokenizer.from_tiktoken(ranks, "gpt2", specials)


def load_model(folder) -> tuple[GPT, Tokenizer]:
    """(model, tokenizer) from a folder, the model in eval mode: a minillm run (model.safetensors with our
    config, tokenizer.json), or a Hugging Face GPT-2 folder (model.safetensors, config.json, vocab.json)."""
    folder = Path(folder)
    if not (folder / "model.safetensors").is_file():
        raise UserError(f"no model.safetensors in {folder}")
    config = folder / "config.json"
    is_hf = config.is_file() and "n_positions" in read_config(config)
    model = GPT.from_pretrained_file(folder / "model.safetensors") if is_hf else GPT.load(folder / "model.safetensors")
    if (folder / "tokenizer.json").is_file() and not is_hf:
        tok = Tokenizer.load(folder / "tokenizer.json")
    elif (folder / "vocab.json").is_file():
        tok = gpt2_tokenizer(folder / "vocab.json")
    else:
        raise UserError(f"no tokenizer in {folder} (tokenizer.json from minillm, or GPT-2's vocab.json)")
    if tok.vocab_size > model.config.vocab_size:
        raise UserError(f"the tokenizer in {folder} has {tok.vocab_size} tokens, the model only {model.config.vocab_size}")
    return model.eval(), tok
