"""The whole pipeline in one command, and its report: `minillm pipeline --preset tiny` (the plumbing).

Brings every stage of `artifacts.STAGES` up to date, in order, each only if its folder is missing or stale, and
writes `runs/<preset>/report.md`: per stage, what it did in a sentence, its figures and its plots.
"""

import time
from pathlib import Path

from minillm import artifacts


def run(preset: str = "tiny", until: str | None = None, force: bool = False, progress: bool = True) -> Path:
    """Bring every stage (up to `until`) up to date, then write and return runs/<preset>/report.md."""
    artifacts.check_preset(preset)
    stages = artifacts.STAGES
    if until is not None:
        stages = stages[: stages.index(artifacts.find_stage(until)) + 1]
    for stage in stages:
        started = time.perf_counter()
        if progress:
            print(f"▶ {stage.title} ({stage.name})", flush=True)
        if force:
            artifacts.build(stage.name, preset, progress=progress)
        else:
            artifacts.get(stage.name, preset, progress=progress)
        if progress:
            print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return write_report(preset)


def format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def stage_section(stage_stamp: dict) -> list[str]:
    name = stage_stamp["stage"]
    lines = [f"## {stage_stamp['title']}", "", stage_stamp.get("summary", "").strip(), ""]
    if stage_stamp.get("table"):
        lines += [stage_stamp["table"], ""]
    metrics = stage_stamp.get("metrics", {})
    if metrics:
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {key} | {format_value(value)} |" for key, value in metrics.items()]
        lines.append("")
    lines += [f"![{figure}]({name}/{figure})" for figure in stage_stamp.get("figures", [])]
    lines += ["", f"_built in {stage_stamp.get('seconds', 0):.1f} s, recipe `{stage_stamp['fingerprint']}`_", ""]
    return lines


def write_report(preset: str) -> Path:
    folder = artifacts.runs_dir() / artifacts.check_preset(preset)
    stamps = [s for s in (artifacts.stamp(folder / st.name) for st in artifacts.STAGES) if s]
    lines = [f"# minillm pipeline report — preset `{preset}`", ""]
    if stamps:
        total = sum(s.get("seconds", 0) for s in stamps)
        lines += ["| stage | built in (s) |", "|---|---|"]
        lines += [f"| {s['title']} | {s.get('seconds', 0):.1f} |" for s in stamps]
        lines += [f"| **total** | {total:.1f} |", ""]
        for s in stamps:
            lines += stage_section(s)
    else:
        lines += ["No stage has been built yet for this preset.", ""]
    return artifacts.atomic_write_text(folder / "report.md", "\n".join(lines))
