"""Fine-tuning settings over seeds: the SFT stage of the tiny preset built once per (setting, seed), figures averaged.

Each setting is a list of SFTConfig fields to change; every run starts from the same base model (--reference's
tokenizer, pretrain and probe folders, as in stages_on_device.py) on whatever device this machine has. Prints one row
per setting with the mean of each headline figure over the seeds and its range, and writes every run's figures to
--out as it finishes (a run cut short keeps what it measured).

    python benchmarks/sft_study.py --reference runs/tiny --out DIR \\
        --setting old naming_copies=0 refusal_copies=0 --setting new [--seeds 1337,1,2,3,4]
"""

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stages_on_device import build, use_inputs

from minillm import sft

FIGURES = ("sft_accuracy_on_known", "arithmetic_with_tool", "identity", "identity_leaks", "unsafe_refused",
           "safe_refused", "borderline_refused", "format_ok")


def parse_setting(words: list[str], preset=sft.PRESETS["tiny"]) -> tuple[str, dict]:
    """["name", "field=value", ...] -> (name, {field: value}), each value parsed as the type of `preset`'s field
    (a config dataclass: SFTConfig's tiny preset unless given)."""
    name, changes = words[0], {}
    fields = {f.name for f in dataclasses.fields(preset)}
    for word in words[1:]:
        field, _, value = word.partition("=")
        if field not in fields:
            raise SystemExit(f"unknown {type(preset).__name__} field {field!r}")
        kind = type(getattr(preset, field))
        changes[field] = value.lower() in ("1", "true") if kind is bool else kind(value)
    return name, changes


def summary(runs: list[dict], name: str) -> str:
    cells = []
    for figure in FIGURES:
        values = [r["metrics"][figure] for r in runs if r["setting"] == name and r["metrics"].get(figure) is not None]
        cells.append(f"{100 * statistics.mean(values):.1f} ({100 * min(values):.0f}–{100 * max(values):.0f})"
                     if values else "–")
    n = sum(r["setting"] == name for r in runs)
    return f"| {name} | {n} | " + " | ".join(cells) + " |"


def study_parser(description: str, reference: str, seeds: str) -> argparse.ArgumentParser:
    """The flags every study takes: its reference runs, an --out folder, the settings and the seeds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--reference", type=Path, required=True, help=f"runs/<preset> with {reference}")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--setting", nargs="+", action="append", required=True, metavar="NAME [FIELD=VALUE ...]")
    parser.add_argument("--seeds", default=seeds)
    return parser


def main() -> None:
    parser = study_parser(__doc__.splitlines()[0], "tokenizer, pretrain, probe", "1337,1,2,3,4")
    args = parser.parse_args()
    settings = [parse_setting(words) for words in args.setting]
    use_inputs(args.reference, args.out / "runs")
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")]:  # seed by seed, so a run cut short has every setting
        for name, changes in settings:
            started = time.perf_counter()
            stamp = build("sft", "auto", dict(changes, seed=seed))
            runs.append({"setting": name, "seed": seed, "changes": changes, "metrics": stamp["metrics"],
                         "seconds": round(time.perf_counter() - started, 1)})
            (args.out / "study.json").write_text(json.dumps(runs, indent=1))
            print(f"{name} seed {seed}: " + ", ".join(f"{k} {stamp['metrics'].get(k)}" for k in FIGURES), flush=True)
    header = "| setting | runs | " + " | ".join(FIGURES) + " |"
    table = "\n".join([header, "|---|---:|" + "---:|" * len(FIGURES)] + [summary(runs, n) for n, _ in settings])
    (args.out / "study.md").write_text(table + "\n")
    print(f"means over seeds, in % (range):\n{table}")


if __name__ == "__main__":
    main()
