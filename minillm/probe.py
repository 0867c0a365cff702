"""The fact probe: does the model know its world, or only the shape of its sentences? (lessons 07-08)

"The capital of France is" should continue with " Paris". The bundled world lists such cloze prompts with
their answers: `data/probe/cloze.jsonl` in the wordings its pages use (held-in) and `data/probe/paraphrase.jsonl`
in wordings no page uses, some asked the other way round ("Paris is the capital of"). The probe completes each
greedily with `sample.generate`, counts a completion right when it starts with the answer as a whole word, and
adds the answer's probability and rank from `cloze.score_cloze`. Each relation's accuracy stands next to its
subject-blind baseline: always giving the relation's most common answer, whatever the country or animal, which
is what a model that learned the templates but no facts can do. It runs as the pipeline stage after
pretraining (`minillm probe`) and on any model folder (`minillm probe --model DIR`).
"""

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from minillm import artifacts
from minillm.checkpoint import load_model
from minillm.cloze import continues_word, read_prompts, score_cloze, typical_probability
from minillm.config import setting
from minillm.devices import pick_device
from minillm.files import DATA_DIR, atomic_path, atomic_write_text
from minillm.sample import generate

SETS = ("held-in", "paraphrase")


@dataclass
class ProbeConfig:
    """Settings of the probe stage (`minillm probe`)."""
    held_in: str = setting("probe/cloze.jsonl", "cloze prompts in the web's own wordings, a path under data/")
    paraphrase: str = setting("probe/paraphrase.jsonl", "cloze prompts in wordings the web never uses, under data/")


PRESETS = {preset: ProbeConfig() for preset in artifacts.PRESETS}


def answer_matches(completion: str, answer: str) -> bool:
    """The completion starts with the answer as a whole word or number ("Paris." yes, "12" for "1" no)."""
    text = completion.lstrip()
    return text.startswith(answer) and not continues_word(text[len(answer):])


def fact_probe(model, tok, prompts: list[dict]) -> list[dict]:
    """Each prompt record with the model's greedy "completion", whether it is "correct", the answer's
    probability "p_answer" and the "rank" of its first token (1: the model's first choice)."""
    n_new = max(len(tok.encode(" " + row["answer"])) for row in prompts) + 1  # the longest answer and a token
    completions = generate(model, [tok.encode(row["prompt"]) for row in prompts], temperature=0, max_new_tokens=n_new)
    scores = score_cloze(model, tok, prompts)
    return [{**row, "completion": tok.decode(new), "correct": answer_matches(tok.decode(new), row["answer"]),
             "p_answer": score["p_answer"], "rank": score["rank"]}
            for row, new, score in zip(prompts, completions, scores)]


def accuracy(rows: list[dict]) -> float:
    return sum(row["correct"] for row in rows) / max(1, len(rows))


def by_relation(rows: list[dict]) -> dict[str, list[dict]]:
    groups = {}
    for row in rows:
        groups.setdefault(row.get("relation", ""), []).append(row)
    return groups


def accuracy_by_relation(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """relation -> (right, asked)."""
    return {relation: (sum(r["correct"] for r in group), len(group)) for relation, group in by_relation(rows).items()}


def subject_blind_answers(rows: list[dict]) -> dict[str, str]:
    """relation -> its most common answer: what a model that knows the templates but no facts says every time."""
    return {relation: Counter(r["answer"] for r in group).most_common(1)[0][0]
            for relation, group in by_relation(rows).items()}


def blind_accuracy(rows: list[dict], answers: dict[str, str]) -> float:
    """The share of rows whose answer is the one a subject-blind model gives for its relation."""
    return sum(r["answer"] == answers[r["relation"]] for r in rows) / max(1, len(rows))


def subject_blind_baseline(rows: list[dict]) -> dict[str, float]:
    """relation -> the accuracy of always answering the relation's most common answer."""
    answers = subject_blind_answers(rows)
    return {relation: blind_accuracy(group, answers) for relation, group in by_relation(rows).items()}


def split_sets(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Probe rows tagged with their "set" -> (held-in rows, paraphrase rows)."""
    return tuple([r for r in rows if r["set"] == name] for name in SETS)


def table_line(relation: str, held_in: list[dict], paraphrase: list[dict], answers: dict[str, str]) -> dict:
    line = {"relation": relation, "baseline": blind_accuracy(held_in + paraphrase, answers),
            "p_answer": typical_probability([r["p_answer"] for r in held_in + paraphrase])}
    for name, group in zip(SETS, (held_in, paraphrase)):
        line[name] = accuracy(group) if group else None
        line[f"{name} n"] = len(group)
    return line


def probe_table(held_in: list[dict], paraphrase: list[dict]) -> list[dict]:
    """One line per relation: held-in and paraphrase accuracy, the subject-blind baseline, the typical probability
    of the right answer; a last line for all prompts."""
    answers = subject_blind_answers(held_in + paraphrase)
    sets = [by_relation(held_in), by_relation(paraphrase)]
    table = [table_line(relation, sets[0].get(relation, []), sets[1].get(relation, []), answers)
             for relation in dict.fromkeys([*sets[0], *sets[1]])]
    return table + [table_line("all", held_in, paraphrase, answers)]


def markdown_table(table: list[dict]) -> str:
    def percent(value):
        return "–" if value is None else f"{value:.0%}"

    lines = ["| relation | held-in | paraphrase | subject-blind baseline | held-in ÷ baseline | p(answer) |",
             "|---|---:|---:|---:|---:|---:|"]
    for line in table:
        held_in, baseline = line["held-in"], line["baseline"]
        ratio = "–" if held_in is None or baseline == 0 else f"{held_in / baseline:.1f}×"
        name = f"**{line['relation']}**" if line["relation"] == "all" else line["relation"]
        lines.append(f"| {name} | {percent(held_in)} ({line['held-in n']}) | {percent(line['paraphrase'])} "
                     f"({line['paraphrase n']}) | {percent(baseline)} | {ratio} | {line['p_answer']:.2f} |")
    return "\n".join(lines)


def write_rows(rows: list[dict], path: Path) -> None:
    atomic_write_text(path, "".join(json.dumps(row) + "\n" for row in rows))


# ----------------------------------------------------------------------------- the figure


def plot_probe(table: list[dict], curve: list[dict], path: Path) -> None:
    """Left: held-in accuracy against training steps (from the pretraining metrics). Right: each relation's
    held-in and paraphrase accuracy over its subject-blind baseline."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6), layout="constrained")
    steps_ax, bars_ax = fig.subplots(1, 2, width_ratios=[1, 1.6])
    if curve:
        steps_ax.plot([r["step"] for r in curve], [r["fact_accuracy"] for r in curve], "o-", color="tab:green",
                      ms=4, label="held-in accuracy")
        steps_ax.plot([r["step"] for r in curve], [r["fact_p_answer"] for r in curve], "s--", color="tab:purple",
                      ms=3, label="p(answer), typical")
    steps_ax.set(xlabel="training step", ylim=(0, 1), title="facts arrive during training")
    steps_ax.grid(alpha=0.3)
    steps_ax.legend(loc="upper left", fontsize=8)
    relations = [line for line in table if line["relation"] != "all"]
    x = range(len(relations))
    for offset, name, color in ((-0.2, "held-in", "tab:blue"), (0.2, "paraphrase", "tab:orange")):
        bars_ax.bar([i + offset for i in x], [line[name] or 0 for line in relations], width=0.4, color=color,
                    label=name)
    bars_ax.scatter(list(x), [line["baseline"] for line in relations], marker="_", s=400, color="black", zorder=3,
                    label="subject-blind baseline")
    bars_ax.set_xticks(list(x), [line["relation"] for line in relations], rotation=30, ha="right", fontsize=8)
    bars_ax.set(ylim=(0, 1), ylabel="greedy accuracy", title="per relation")
    bars_ax.legend(fontsize=8, loc="upper right", ncols=3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def read_curve(metrics: Path) -> list[dict]:
    """The fact-accuracy records the training loop wrote into metrics.jsonl."""
    if not metrics.exists():
        return []
    records = [json.loads(line) for line in metrics.read_text(encoding="utf-8").splitlines()]
    return [r for r in records if "fact_accuracy" in r]


# ----------------------------------------------------------------------------- the pipeline stage


def run_probe(model_dir: Path, cfg: ProbeConfig, device: str = "auto") -> list[dict]:
    """Every prompt of both sets, probed, each row tagged with its "set"."""
    model, tok = load_model(model_dir)
    model.to(pick_device(device))
    return [{**row, "set": name} for name, path in zip(SETS, (cfg.held_in, cfg.paraphrase))
            for row in fact_probe(model, tok, read_prompts(DATA_DIR / path))]


def build_stage(cfg: ProbeConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Probe the pretrained model in inputs["pretrain"]: facts.jsonl (every prompt, completion and score),
    probe.png, and the table of accuracy per relation against the subject-blind baseline."""
    rows = run_probe(Path(inputs["pretrain"]), cfg)
    write_rows(rows, out / "facts.jsonl")
    table = probe_table(*split_sets(rows))
    plot_probe(table, read_curve(Path(inputs["pretrain"]) / "metrics.jsonl"), out / "probe.png")
    overall = table[-1]
    summary = (f"Greedy completions of {overall['held-in n']} cloze prompts in the web's own wordings are right "
               f"{overall['held-in']:.0%} of the time, and of {overall['paraphrase n']} in wordings the web never "
               f"uses {overall['paraphrase']:.0%}; always giving each relation's most common answer would score "
               f"{overall['baseline']:.0%}.")
    metrics = {"prompts": overall["held-in n"] + overall["paraphrase n"],
               "fact_accuracy": round(overall["held-in"], 4), "paraphrase_accuracy": round(overall["paraphrase"], 4),
               "subject_blind_baseline": round(overall["baseline"], 4)}
    for line in table[:-1]:
        if line["held-in"] is not None:
            metrics[f"accuracy_{line['relation']}"] = round(line["held-in"], 4)
    return {"metrics": metrics, "figures": ["probe.png"], "summary": summary, "table": markdown_table(table)}


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm probe`."""
    parser.add_argument("--model", type=Path, metavar="DIR", help="a model folder (default: the preset's pretrain "
                        "stage, built first if needed)")
    parser.add_argument("--preset", default="tiny", choices=artifacts.PRESETS, help="whose stage (default: tiny)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="also write every completion here (JSON lines)")
    parser.add_argument("--device", default="auto", help="with --model: auto, cpu, cuda or mps")


def run_from_args(args) -> int:
    """`minillm probe`: the table of the preset's probe stage, or of any model folder with --model."""
    if args.model is None:
        folder = artifacts.get("probe", args.preset)
        rows = [json.loads(line) for line in (folder / "facts.jsonl").read_text(encoding="utf-8").splitlines()]
    else:
        rows = run_probe(args.model, ProbeConfig(), args.device)
    print(markdown_table(probe_table(*split_sets(rows))))
    if args.out:
        write_rows(rows, args.out)
        print(f"wrote {args.out}")
    return 0
