"""The metrics log of a training run and its loss curve (lesson 07; every training stage after it uses them).

`metrics.jsonl` gets one JSON record per log line or evaluation, appended and flushed as it comes, so a
crashed run keeps what it logged; resuming drops what was logged after the checkpoint it resumes from.
"""

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from minillm.files import atomic_path, atomic_write_text


class MetricsLog:
    """metrics.jsonl on rank 0: one record per log line or evaluation, appended and flushed as it comes."""

    def __init__(self, path: Path, enabled: bool, keep_until: int, callback: Callable[[dict], None] | None):
        self.path, self.enabled, self.callback = Path(path), enabled, callback
        self.records = []
        if enabled and self.path.exists():  # resuming: drop what was logged after the checkpoint
            with self.path.open(encoding="utf-8") as f:
                self.records = [r for r in map(json.loads, f) if r["step"] <= keep_until]
            atomic_write_text(self.path, "".join(json.dumps(r) + "\n" for r in self.records))

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        self.records.append(record)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.callback is not None:
            self.callback(record)


def plot_losses(records: list[dict], path: Path, title: str = "") -> None:
    """Train loss per logged step and val loss per evaluation, with perplexity on the right axis."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    draw_losses(ax, records)
    if title:
        ax.set_title(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def draw_losses(ax, records: list[dict]) -> None:
    train = [(r["step"], r["loss"]) for r in records if "loss" in r]
    val = [(r["step"], r["val_loss"]) for r in records if "val_loss" in r]
    if train:
        ax.plot(*zip(*train), color="tab:blue", lw=1.2, label="train loss")
    if val:
        ax.plot(*zip(*val), "o-", color="tab:orange", ms=4, label="val loss")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats / token)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    to_ppl, to_loss = (lambda x: np.exp(np.minimum(x, 50))), (lambda p: np.log(np.maximum(p, 1e-9)))
    ppl = ax.secondary_yaxis("right", functions=(to_ppl, to_loss))
    ppl.set_yticks([2, 3, 5, 10, 20, 50, 100, 300, 1000, 3000, 10000, 50000])
    ppl.set_ylabel("perplexity")
