"""The pipeline's training stages on this machine's device, against the same stages' stamps from another machine.

Builds the post-training stages (sft, reward, rl, evaluate) of the tiny preset on whatever device this machine has
(`auto`: a CUDA GPU where there is one), starting from another machine's tokenizer, pretrain and probe folders, so
that the two runs start from the same base model. Then, apart, pretrains the tiny model here from the same token
files. Prints one row per stage: seconds here, seconds in the reference stamp, the ratio, and the headline figures
of both. Each stage's stamp is written to --out as it finishes, so a run cut short keeps what it measured.

A stage that fails on the device is reported with its error and built again on the CPU (when --deadline leaves
time), so that the stages after it still run here.

    python benchmarks/stages_on_device.py --reference runs/tiny --out DIR [--deadline 420]

--reference must hold tokenizer/, pretrain/ and probe/ (the model files and stamps); the stamps of the later
stages, where present, are the reference figures.
"""

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from minillm import artifacts, train
from minillm.files import make_dir, mark_folder

INPUTS = ("tokenizer", "pretrain", "probe")
STAGES = ("sft", "reward", "rl", "evaluate")
HEADLINES = {  # the figures each stage's lesson quotes
    "pretrain": ("val_loss", "tokens_per_sec", "mfu"),
    "sft": ("sft_accuracy_on_known", "arithmetic_with_tool", "unsafe_refused", "format_ok", "heldout_loss_after"),
    "reward": ("accuracy", "heldout_loss_after"),
    "rl": ("sft_accuracy", "ppo_accuracy", "grpo_accuracy", "dpo_accuracy", "ppo_iteration_s",
           "ppo_rollout_tokens_per_s", "ppo_update_tokens_per_s"),
    "evaluate": ("rating_ppo", "rating_grpo", "rating_dpo", "rating_sft", "rating_base"),
}


def use_inputs(reference: Path, work: Path) -> Path:
    """Make `work` the runs folder (MINILLM_RUNS), holding copies of the reference's INPUTS folders."""
    os.environ["MINILLM_RUNS"] = str(make_dir(work))
    for name in INPUTS:
        shutil.copytree(reference / name, work / "tiny" / name, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("checkpoint"))
    return work


def reference_stamp(reference: Path, name: str) -> dict:
    path = reference / name / "stamp.json"
    return json.loads(path.read_text()) if path.exists() else {}


def build(name: str, device: str, changes: dict | None = None) -> dict:
    """Build stage `name` of the tiny preset (with `changes` to its config) into MINILLM_RUNS, its inputs the
    folders already there."""
    stage = artifacts.find_stage(name)
    cfg = on_device(dataclasses.replace(artifacts.preset_config(stage, "tiny"), **(changes or {})), device)
    inputs = {need: artifacts.stage_folder(need, "tiny") for need in stage.needs}
    folder = artifacts.build_unlocked(stage, "tiny", cfg, inputs, progress=False)
    return artifacts.stamp(folder)


def on_device(cfg, device: str):
    """`cfg` with every `device` field set, in the configs it holds too (the rl stage holds PPO's, GRPO's and
    DPO's). The stages' evaluations load their models on the CPU whatever this says."""
    changes = {f.name: on_device(getattr(cfg, f.name), device) for f in dataclasses.fields(cfg)
               if dataclasses.is_dataclass(getattr(cfg, f.name))}
    if any(f.name == "device" for f in dataclasses.fields(cfg)):
        changes["device"] = device
    return dataclasses.replace(cfg, **changes)


def build_timed(name: str, started: float, deadline: float) -> dict:
    """The stage on the device; on failure its error, then the same stage on the CPU if time is left."""
    row = {"stage": name, "device": device_name()}
    try:
        row["stamp"] = build(name, "auto")
        return row
    except Exception as error:  # noqa: BLE001 - the benchmark reports any failure and goes on
        row["error"] = "".join(traceback.format_exception_only(error)).strip()
        row["traceback"] = traceback.format_exc()
        print(f"{name} failed on {row['device']}: {row['error']}", flush=True)
    if torch.cuda.is_available() and time.perf_counter() - started < deadline:
        row["cpu_fallback"] = build(name, "cpu")
    return row


def pretrain_here(reference: Path, work: Path) -> dict:
    """The tiny preset's pretraining on this device from the reference's token files, into work/pretrain-here."""
    out = mark_folder(make_dir(work / "pretrain-here"), "pretrain")
    started = time.perf_counter()
    report = train.build_stage(train.PRESETS["tiny"], {"tokenizer": reference / "tokenizer"}, out, progress=False)
    return {"stage": "pretrain", "device": device_name(),
            "stamp": {"seconds": round(time.perf_counter() - started, 2), "metrics": report["metrics"]}}


def device_name() -> str:
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def table(rows: list[dict], reference: Path) -> str:
    lines = ["| stage | device | seconds here | reference seconds | speed-up | figures here | reference figures |",
             "|---|---|---:|---:|---:|---|---|"]
    for row in rows:
        ref = reference_stamp(reference, row["stage"])
        stamp = row.get("stamp") or row.get("cpu_fallback") or {}
        device = row["device"] if "stamp" in row else f"FAILED ({row.get('error', '?')[:80]}); cpu"
        here, there = stamp.get("seconds"), ref.get("seconds")
        ratio = f"{there / here:.2f}x" if here and there else "-"
        keys = HEADLINES.get(row["stage"], ())
        figures = ", ".join(f"{k} {stamp.get('metrics', {}).get(k)}" for k in keys)
        ref_figures = ", ".join(f"{k} {ref.get('metrics', {}).get(k)}" for k in keys)
        lines.append(f"| {row['stage']} | {device} | {here} | {there} | {ratio} | {figures} | {ref_figures} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True, help="runs/<preset> folder of the other machine")
    parser.add_argument("--out", type=Path, required=True, help="where the stamps and the table are written")
    parser.add_argument("--work", type=Path, help="scratch folder for the stages (default: --out/runs)")
    parser.add_argument("--deadline", type=float, default=420, help="seconds after which no new stage starts")
    parser.add_argument("--stages", default=",".join(STAGES + ("pretrain",)), help="which, in order")
    args = parser.parse_args()
    make_dir(args.out)
    work = use_inputs(args.reference, args.work or args.out / "runs")
    print(f"torch {torch.__version__} on {device_name()}", flush=True)
    started, rows = time.perf_counter(), []
    for name in args.stages.split(","):
        if time.perf_counter() - started > args.deadline:
            print(f"deadline: {name} not run", flush=True)
            break
        print(f"▶ {name}", flush=True)
        row = pretrain_here(args.reference, work) if name == "pretrain" else build_timed(name, started, args.deadline)
        rows.append(row)
        (args.out / "stages.json").write_text(json.dumps(rows, indent=1, default=str))
        print(table(rows[-1:], args.reference).splitlines()[-1], flush=True)
    report = table(rows, args.reference)
    (args.out / "stages.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
