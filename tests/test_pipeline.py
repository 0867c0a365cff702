"""End to end: `make run`'s job, `minillm pipeline --preset tiny`, on the bundled data.

It builds into the runs folder the lessons use (runs/, or $MINILLM_RUNS), as `make run` does, so the
notebooks that the suite validates after it find their artifacts ready instead of building them again.
"""

import math
import subprocess
import sys

from minillm import artifacts, train
from minillm.files import ROOT


def test_tiny_pipeline_end_to_end():
    result = subprocess.run([sys.executable, "-m", "minillm", "pipeline", "--preset", "tiny", "--quiet"],
                            capture_output=True, text=True, cwd=ROOT, timeout=1500, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = artifacts.runs_dir() / "tiny" / "report.md"
    assert f"report: {report}" in result.stdout
    text = report.read_text()
    for stage in artifacts.STAGES:
        stamp = artifacts.stamp(artifacts.stage_folder(stage.name, "tiny"))
        assert f"## {stage.title}" in text
        for figure in stamp["figures"]:
            assert (artifacts.stage_folder(stage.name, "tiny") / figure).stat().st_size > 1000, figure
            assert f"({stage.name}/{figure})" in text

    crawl = artifacts.stamp(artifacts.stage_folder("crawl", "tiny"))["metrics"]
    assert crawl["html_pages"] >= 1700 and crawl["disallowed_skipped"] > 0

    clean = artifacts.stamp(artifacts.stage_folder("clean", "tiny"))["metrics"]
    assert clean["extraction_f1"] >= 0.95
    assert clean["dedup_precision"] >= 0.9 and clean["dedup_recall"] >= 0.9
    assert 1000 < clean["docs_out"] < clean["html_pages"]

    tokenizer = artifacts.stamp(artifacts.stage_folder("tokenizer", "tiny"))["metrics"]
    assert tokenizer["vocab_size"] == 2048 and tokenizer["bytes_per_token"] > 3

    pretrain = artifacts.stamp(artifacts.stage_folder("pretrain", "tiny"))["metrics"]
    assert pretrain["steps"] == train.PRESETS["tiny"].max_steps, "the run finished, not stopped early"
    assert pretrain["val_loss"] < 0.5 * math.log(tokenizer["vocab_size"]), "far below an untrained model's ln V"

    probe = artifacts.stamp(artifacts.stage_folder("probe", "tiny"))["metrics"]
    facts = (artifacts.stage_folder("probe", "tiny") / "facts.jsonl").read_text().splitlines()
    assert probe["prompts"] == len(facts) >= 300 and 0 <= probe["fact_accuracy"] <= 1

    sft = artifacts.stamp(artifacts.stage_folder("sft", "tiny"))["metrics"]
    assert sft["heldout_loss_after"] < 0.5 * sft["heldout_loss_before"], "fine-tuning learned the replies"
    assert sft["format_ok"] > 0.9 and sft["unsafe_refused"] > 0.5 and sft["sft_accuracy_on_known"] > 0.5

    reward = artifacts.stamp(artifacts.stage_folder("reward", "tiny"))["metrics"]
    assert reward["pairs"] + reward["skipped"] == len((ROOT / "data" / "preferences" / "train.jsonl").read_text().splitlines())
    assert reward["accuracy"] > 0.85 and reward["accuracy_unsafe"] > 0.8, "well above the 50 % of a coin"
