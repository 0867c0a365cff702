"""The fact probe: does the model know its world? Greedy completions of cloze prompts, scored (lessons 07-08).

"The capital of France is" should continue with " Paris". The bundled world lists such prompts with their
answers in data/probe/cloze.jsonl; the probe completes each one greedily with `sample.generate` and counts a
completion right when it starts with the answer as a whole word. It runs as the pipeline stage after
pretraining (`minillm probe`) and on any model folder (`minillm probe --model DIR`).
"""

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from minillm import artifacts
from minillm.checkpoint import load_model
from minillm.config import setting
from minillm.devices import pick_device
from minillm.errors import UserError
from minillm.files import DATA_DIR, atomic_write_text
from minillm.sample import generate


@dataclass
class ProbeConfig:
    """Settings of the probe stage (`minillm probe`)."""
    prompts: str = setting("probe/cloze.jsonl", "the cloze prompts, a path under data/")


PRESETS = {preset: ProbeConfig() for preset in artifacts.PRESETS}


def read_prompts(path: Path) -> list[dict]:
    """{"prompt", "answer", "relation", "subject"} records, one per line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"no prompts file at {path} (regenerate the bundled data with `minillm world`)") from None
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
            if not (isinstance(row["prompt"], str) and isinstance(row["answer"], str) and row["prompt"]):
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{path}:{number}: not a JSON record with a \"prompt\" and an \"answer\" string") from None
        rows.append(row)
    return rows


def answer_matches(completion: str, answer: str) -> bool:
    """The completion starts with the answer as a whole word or number ("Paris." yes, "12" for "1" no)."""
    text = completion.lstrip()
    return text.startswith(answer) and not text[len(answer):len(answer) + 1].isalnum()


def fact_probe(model, tok, prompts: list[dict]) -> list[dict]:
    """Each prompt record with the model's greedy "completion" and whether it is "correct"."""
    n_new = max(len(tok.encode(" " + row["answer"])) for row in prompts) + 1  # the longest answer and a token
    ids = [tok.encode(row["prompt"]) for row in prompts]
    completions = generate(model, ids, temperature=0, max_new_tokens=n_new)
    return [{**row, "completion": tok.decode(new), "correct": answer_matches(tok.decode(new), row["answer"])}
            for row, new in zip(prompts, completions)]


def accuracy(rows: list[dict]) -> float:
    return sum(row["correct"] for row in rows) / max(1, len(rows))


def accuracy_by_relation(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """relation -> (right, asked)."""
    asked, right = Counter(r.get("relation", "") for r in rows), Counter(r.get("relation", "") for r in rows
                                                                         if r["correct"])
    return {relation: (right[relation], n) for relation, n in asked.items()}


def write_rows(rows: list[dict], path: Path) -> None:
    atomic_write_text(path, "".join(json.dumps(row) + "\n" for row in rows))


# ----------------------------------------------------------------------------- the pipeline stage


def build_stage(cfg: ProbeConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Probe the pretrained model in inputs["pretrain"]; write facts.jsonl (every prompt, answer and completion)."""
    model, tok = load_model(inputs["pretrain"])
    rows = fact_probe(model.to(pick_device()), tok, read_prompts(DATA_DIR / cfg.prompts))
    write_rows(rows, out / "facts.jsonl")
    relations = ", ".join(f"{name} {right}/{n}" for name, (right, n) in accuracy_by_relation(rows).items())
    summary = (f"Greedy completions of {len(rows)} cloze prompts from the bundled world are right "
               f"{accuracy(rows):.0%} of the time ({relations}).")
    return {"metrics": {"prompts": len(rows), "fact_accuracy": round(accuracy(rows), 4)}, "summary": summary}


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm probe`."""
    parser.add_argument("--model", type=Path, metavar="DIR", help="a model folder (default: the preset's pretrain "
                        "stage, built first if needed)")
    parser.add_argument("--preset", default="tiny", choices=artifacts.PRESETS, help="whose stage (default: tiny)")
    parser.add_argument("--prompts", type=Path, metavar="JSONL", help="cloze prompts (default: "
                        "data/probe/cloze.jsonl)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="also write every completion here (JSON lines)")
    parser.add_argument("--device", default="auto", help="with --model or --prompts: auto, cpu, cuda or mps")


def run_from_args(args) -> int:
    """`minillm probe`: the stage for the preset, or any model folder with --model."""
    if args.model is None and args.prompts is None:
        rows = [json.loads(line) for line in
                (artifacts.get("probe", args.preset) / "facts.jsonl").read_text(encoding="utf-8").splitlines()]
    else:
        model, tok = load_model(args.model or artifacts.get("pretrain", args.preset))
        prompts = read_prompts(args.prompts or DATA_DIR / ProbeConfig().prompts)
        rows = fact_probe(model.to(pick_device(args.device)), tok, prompts)
    for relation, (right, n) in accuracy_by_relation(rows).items():
        print(f"{relation:>14}  {right:4d} / {n:<4d} {right / n:6.1%}")
    print(f"{'all':>14}  {sum(r['correct'] for r in rows):4d} / {len(rows):<4d} {accuracy(rows):6.1%}")
    if args.out:
        write_rows(rows, args.out)
        print(f"wrote {args.out}")
    return 0
