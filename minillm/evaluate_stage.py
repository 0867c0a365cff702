"""The evaluate pipeline stage and `minillm evaluate`: every model of the pipeline on the same held-out prompts,
a benchmark table and an arena leaderboard (lesson 12).

Five models: the pretrained base model, asked with a few-shot prompt (a document of questions and answers it can
continue), the fine-tuned assistant (lesson 09) and its three descendants PPO, GRPO and DPO (lesson 11). The
stage measures
- perplexity on held-out web text and on held-out assistant replies;
- benchmarks: the share of held-out questions of each kind answered right (lesson 11's checker), of unsafe requests
  refused and of borderline requests (which only sound unsafe) answered, each with its 95 % Wilson interval;
- an arena: every pair of models on every held-out prompt, judged by the checker where the answer is verifiable
  and by a gold reward model elsewhere, turned into a leaderboard (Bradley-Terry ratings with bootstrap
  intervals, and the online Elo).

The gold judge is a reward model trained here like lesson 10's, on its pairs plus pairs that teach what lesson
10's model missed (degenerate and off-topic replies, its weak spots in lesson 10's hacking probe). Lesson 10's
model is no fair judge: DPO trained on its very pairs, PPO's value model starts from it, and lesson 11 shows a
policy optimised against it learning its weak spots.

The fine-tuned and RL models' replies to the held-out questions and open-ended requests are the rl stage's
(rl/replies.jsonl: greedy answers to the questions, replies to the requests sampled at temperature 1); this stage
asks the base model those (greedily), and every model the safety requests (greedily).
"""

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minillm import artifacts
from minillm.chat import generate_replies, read_conversations, render_prompt, reply_text
from minillm.checkpoint import load_model
from minillm.errors import UserError
from minillm.evaluate import (
    benchmark_table,
    leaderboard,
    make_battles,
    markdown_benchmarks,
    markdown_leaderboard,
    perplexity,
    read_votes,
)
from minillm.files import DATA_DIR, atomic_path, atomic_write_text
from minillm.reward import (
    DEGENERATE,
    RewardConfig,
    load_reward_model,
    read_preferences,
    score_replies,
    train_reward_model,
)
from minillm.reward import PRESETS as REWARD_PRESETS
from minillm.rl import verify
from minillm.rl_train import OPEN_ENDED
from minillm.sample import GenerationConfig, generate_text
from minillm.screen import evaluate_guardrail, labelled_requests, world_guardrail
from minillm.sft import base_model, render_rows, replay_rows
from minillm.sft_eval import (
    ask,
    borderline_requests,
    few_shot_examples,
    few_shot_prompt,
    first_exchange,
    is_refusal,
    read_questions,
    user,
)
from minillm.tokens import load_split

BASE = "base few-shot"
POLICIES = ("SFT", "PPO", "GRPO", "DPO")  # the rl stage's names for the assistant and its RL descendants
# The benchmark's columns: the held-out questions' kinds, grouped as a reader names them.
COLUMNS = {"capital": "capitals", "continent": "continents", "language": "languages", "animal_diet": "animals",
           "animal_group": "animals", "animal_young": "animals", "planet": "planets", "planet_kind": "planets",
           "science": "science", "arithmetic": "arithmetic"}
CONVERSATION = ("Help me choose a name for my pet parrot.", "Make it shorter.")  # the sample that needs history
FIGURES = ["evaluate.png"]


@dataclass
class EvaluateConfig:
    """The evaluate stage's settings: how the gold judge is trained, and how the arena is judged and rated."""
    gold: RewardConfig
    # Two replies whose gold scores differ by less tie: the judge, a Bradley-Terry model, prefers either with
    # probability σ(0.1) = 0.525 at most, a coin flip.
    tie_margin: float = 0.1
    rounds: int = 500  # bootstrap rounds of each leaderboard's intervals: 12 in each 2.5 % tail
    web_windows: int = 64  # held-out web text windows for perplexity: 8,000 tokens on the tiny preset
    seed: int = 0


PRESETS = {name: EvaluateConfig(gold=cfg) for name, cfg in REWARD_PRESETS.items()}


# ----------------------------------------------------------------------------- the gold judge


def gold_pairs(train: list[dict], seed: int = 0) -> list[dict]:
    """Lesson 10's training pairs, plus, for each open-ended request, its good reply preferred to each degenerate
    reply (reward.DEGENERATE) and to an off-topic one (another request's good reply)."""
    good = {}
    for pair in train:
        if pair["reason"] in OPEN_ENDED:
            good.setdefault(pair["prompt"], pair["chosen"])
    prompts = sorted(good)
    rng = random.Random(seed)
    extra = []
    for prompt in prompts:
        rejected = [make(prompt, good[prompt]) for make in DEGENERATE.values()]
        rejected.append(good[rng.choice([p for p in prompts if good[p] != good[prompt]])])
        extra += [{"prompt": prompt, "chosen": good[prompt], "rejected": r, "reason": "gold", "margin": 0.0}
                  for r in rejected]
    return train + extra


def train_gold(cfg: RewardConfig, sft: Path, out: Path, data: Path = DATA_DIR, progress: bool = True) -> dict:
    """Train the gold judge from the fine-tuned model into `out` (resumed when `out` holds a checkpoint)."""
    train = read_preferences(data / "preferences" / "train.jsonl")
    test = read_preferences(data / "preferences" / "test.jsonl")
    return train_reward_model(cfg, sft, out, gold_pairs(train), test, resume=(out / "checkpoint").exists(),
                              progress=progress)


# ----------------------------------------------------------------------------- what each model said


def read_rl_replies(path: Path) -> tuple[list[dict], list[dict]]:
    """The rl stage's replies.jsonl: its rows of held-out questions and of open-ended requests, each with every
    policy's reply."""
    try:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
        questions = [r for r in rows if r["set"] == "questions"]
        requests = [r for r in rows if r["set"] == "open"]
        if not all(name in r for r in rows for name in POLICIES):
            raise KeyError("a policy's reply")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UserError(f"cannot read the rl stage's replies {path}: {e} (rebuild it: minillm rl)") from None
    return questions, requests


def safety_requests(data: Path) -> tuple[list[str], list[str]]:
    """Held-out requests to refuse (data/sft/test.jsonl's whose reference reply refuses) and borderline requests,
    which only sound unsafe (data/preferences/test.jsonl's over-refusal pairs)."""
    tests = [first_exchange(c) for c in read_conversations(data / "sft" / "test.jsonl")]
    unsafe = [prompt[-1]["content"] for prompt, reference in tests if is_refusal(reference)]
    return unsafe, sorted(borderline_requests(data / "preferences" / "test.jsonl"))


def few_shot_replies(base, tok, prompts: list[str], examples: list[dict], max_new_tokens: int) -> list[str]:
    """The base model's greedy continuation of each prompt's few-shot document: its line after "Answer:"."""
    documents = [few_shot_prompt(p, examples) for p in prompts]
    return [a.strip() for a in generate_text(base, tok, documents, temperature=0, max_new_tokens=max_new_tokens,
                                             stop=("\n",))]


def base_replies(base, tok, questions: list[dict], requests: list[dict], safety: list[str], data: Path) -> dict:
    """The base model's answers: {"questions", "open", "safety"}, one list each."""
    examples = few_shot_examples(read_questions(data / "rl" / "train.jsonl"))
    return {"questions": few_shot_replies(base, tok, [q["prompt"] for q in questions], examples, 12),
            "open": few_shot_replies(base, tok, [r["prompt"] for r in requests], examples, 48),
            "safety": few_shot_replies(base, tok, safety, examples, 24)}


def conversation(model, tok, turns: tuple[str, ...]) -> list[dict]:
    """A greedy conversation: each user turn, then the assistant's reply to everything so far."""
    messages = []
    for text in turns:
        messages.append(user(text))
        reply = generate_replies(model, tok, [render_prompt(tok, messages)],
                                 GenerationConfig(temperature=0, max_new_tokens=48))[0]
        messages.append({"role": "assistant", "content": reply_text(reply.text)})
    return messages


# ----------------------------------------------------------------------------- benchmarks and arena


def outcomes(answers: list[str], questions: list[dict], safety: list[str], unsafe: int) -> dict[str, list[int]]:
    """A model's 0/1 per benchmark item: per column, whether each question was answered right; "refusals": whether
    each unsafe request (the first `unsafe` of the safety replies) was refused; "borderline answered": whether each
    borderline request was answered, not refused."""
    table = {}
    for answer, q in zip(answers, questions):
        table.setdefault(COLUMNS.get(q["kind"], q["kind"]), []).append(int(verify(answer, q["answer"])))
    table["refusals"] = [int(is_refusal(r)) for r in safety[:unsafe]]
    table["borderline answered"] = [int(not is_refusal(r)) for r in safety[unsafe:]]
    return table


def arena(questions: list[dict], requests: list[dict], replies: dict[str, dict], gold, gold_tok,
          tie_margin: float, seed: int) -> list[dict]:
    """Every pair of models on every held-out question (judged by the checker) and open-ended request (judged by
    the gold reward model); each battle records its judge."""

    def checker(prompts, answers):
        return [verify(answer, q["answer"]) for answer, q in zip(answers, questions)]

    def gold_judge(prompts, answers):
        return score_replies(gold, gold_tok, prompts, answers)

    checked = make_battles([q["prompt"] for q in questions], {m: r["questions"] for m, r in replies.items()},
                           checker, seed=seed)
    judged = make_battles([r["prompt"] for r in requests], {m: r["open"] for m, r in replies.items()}, gold_judge,
                          tie_margin=tie_margin, seed=seed + 1)
    return [{**b, "judge": "checker"} for b in checked] + [{**b, "judge": "gold"} for b in judged]


def leaderboards(battles: list[dict], rounds: int, seed: int) -> dict[str, list[dict]]:
    """The leaderboard of all battles, and of each judge's battles alone."""
    boards = {"all": leaderboard(battles, rounds, seed)}
    for judge in ("checker", "gold"):
        boards[judge] = leaderboard([b for b in battles if b["judge"] == judge], rounds, seed)
    return boards


def perplexities(models: dict, tok, data: Path, tokens: Path, windows: int, seed: int) -> dict[str, dict]:
    """Each model's perplexity on held-out web text and on the assistant replies of held-out conversations."""
    block_size = next(iter(models.values())).config.block_size
    web = replay_rows(load_split(tokens, "val", block_size), windows, block_size, seed)
    chats, _ = render_rows(tok, read_conversations(data / "sft" / "test.jsonl"), block_size)
    return {name: {"web": round(perplexity(model, web), 2), "replies": round(perplexity(model, chats), 2)}
            for name, model in models.items()}


# ----------------------------------------------------------------------------- the stage


def evaluate_all(cfg: EvaluateConfig, inputs: dict[str, Path], out: Path, data: Path = DATA_DIR,
                 progress: bool = True) -> dict:
    """Train the gold judge, ask the models, score them; write the results into `out`. Returns the stage report."""
    sft, rl = Path(inputs["sft"]), Path(inputs["rl"])
    gold_run = train_gold(cfg.gold, sft, out / "gold", data, progress)
    questions = read_questions(data / "rl" / "test.jsonl")
    asked, requests = read_rl_replies(rl / "replies.jsonl")
    if [q["prompt"] for q in questions] != [r["prompt"] for r in asked]:
        raise UserError(f"{rl / 'replies.jsonl'} answers other questions than data/rl/test.jsonl: rebuild the rl stage")
    unsafe, borderline = safety_requests(data)
    safety = unsafe + borderline

    base, base_tok = base_model(Path(inputs["pretrain"]))
    models = {BASE: base}
    replies = {BASE: base_replies(base, base_tok, questions, requests, safety, data)}
    samples = {}
    for name in POLICIES:
        model, tok = load_model(sft if name == "SFT" else rl / name.lower())
        models[name] = model
        replies[name] = {"questions": [r[name] for r in asked], "open": [r[name] for r in requests],
                         "safety": [r["visible"] for r in ask(model, tok, [[user(p)] for p in safety])]}
        samples[name] = conversation(model, tok, CONVERSATION)

    results = {name: outcomes(r["questions"], questions, r["safety"], len(unsafe)) for name, r in replies.items()}
    benchmarks = benchmark_table(results)
    gold, gold_tok = load_reward_model(out / "gold")
    battles = arena(asked, requests, replies, gold, gold_tok, cfg.tie_margin, cfg.seed)
    boards = leaderboards(battles, cfg.rounds, cfg.seed)
    ppl = perplexities(models, base_tok, data, Path(inputs["tokenizer"]), cfg.web_windows, cfg.seed)
    guard = guardrail_figures(data)

    write_jsonl(out / "battles.jsonl", battles)
    write_jsonl(out / "replies.jsonl", sample_rows(asked, requests, replies))
    atomic_write_text(out / "eval.json", json.dumps({"benchmarks": benchmarks, "leaderboards": boards,
                                                     "perplexity": ppl, "guardrail": guard,
                                                     "conversations": samples,
                                                     "gold_accuracy": gold_run["val_accuracy"]}, indent=1))
    plot(benchmarks, boards, out / "evaluate.png")
    return report(benchmarks, boards, ppl, guard, samples, asked, requests, replies, gold_run)


def guardrail_figures(data: Path) -> dict:
    """The chatbot's input guardrail (trained on data/sft/train.jsonl's requests) on the held-out requests of
    data/sft/test.jsonl: precision, recall, false-positive rate and the safe requests it would refuse."""
    figures = evaluate_guardrail(world_guardrail(data), labelled_requests(data / "sft" / "test.jsonl"))
    return {key: value for key, value in figures.items() if key != "curve"}


def sample_rows(asked: list[dict], requests: list[dict], replies: dict[str, dict]) -> list[dict]:
    """Every model's reply to each held-out question and open-ended request: what the arena's battles judged."""
    rows = [{"set": "questions", "prompt": q["prompt"], "answer": q["answer"], "kind": q["kind"],
             **{name: r["questions"][i] for name, r in replies.items()}} for i, q in enumerate(asked)]
    rows += [{"set": "open", "prompt": q["prompt"], **{name: r["open"][i] for name, r in replies.items()}}
             for i, q in enumerate(requests)]
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def build_stage(cfg: EvaluateConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Evaluate the base model of inputs["pretrain"], the assistant of inputs["sft"] and the policies of
    inputs["rl"] (with the held-out text of inputs["tokenizer"]) into `out`."""
    return evaluate_all(cfg, inputs, out, progress=progress)


# ----------------------------------------------------------------------------- the report


def report(benchmarks: list[dict], boards: dict, ppl: dict, guard: dict, samples: dict, asked: list[dict],
           requests: list[dict], replies: dict, gold_run: dict) -> dict:
    top = boards["all"][0]
    checker = {row["model"]: row["rating"] for row in boards["checker"]}
    metrics = {"gold_judge_accuracy": gold_run["val_accuracy"], "gold_train_seconds": gold_run["seconds"],
               "battles": sum(r["battles"] for r in boards["all"]) // 2,
               "guardrail_precision": round(guard["precision"], 4), "guardrail_recall": round(guard["recall"], 4),
               "guardrail_false_positive_rate": round(guard["false_positive_rate"], 4)}
    for row in boards["all"]:
        metrics[f"rating_{row['model'].split()[0].lower()}"] = round(row["rating"], 1)
    for name, p in ppl.items():
        metrics[f"perplexity_web_{name.split()[0].lower()}"] = p["web"]
        metrics[f"perplexity_replies_{name.split()[0].lower()}"] = p["replies"]
    order = " > ".join(sorted(checker, key=checker.get, reverse=True))
    right = ", ".join(f"{model} {questions_right(benchmarks, model):.0%}" for model in sorted(checker, key=checker.get,
                                                                                              reverse=True))
    summary = (f"{len(POLICIES) + 1} models, {metrics['battles']:,} anonymous battles on {len(asked)} held-out "
               f"questions (judged by the checker) and {len(requests)} open-ended requests (judged by a gold reward "
               f"model, {gold_run['val_accuracy']:.0%} right on held-out pairs). {top['model']} leads the arena at "
               f"{top['rating']:.0f} [{top['low']:.0f}–{top['high']:.0f}]. On the verifiable questions alone the "
               f"order is {order} (questions answered right: {right}). Perplexity on held-out web text: base "
               f"{ppl[BASE]['web']:.1f}, fine-tuned {ppl['SFT']['web']:.1f}; on held-out assistant replies: base "
               f"{ppl[BASE]['replies']:.1f}, fine-tuned {ppl['SFT']['replies']:.1f}.")
    table = "\n\n".join([
        "### Leaderboard (all battles; Bradley-Terry rating, bootstrap 95 % interval)", markdown_leaderboard(boards["all"]),
        "### By judge", markdown_judges(boards),
        "### Benchmarks (share right, 95 % Wilson interval)", markdown_benchmarks(benchmarks),
        "### Perplexity", markdown_perplexity(ppl),
        "### Input guardrail (held-out requests)", markdown_guardrail(guard),
        "### Sample conversations", markdown_samples(samples, asked, requests, replies)])
    return {"metrics": metrics, "figures": FIGURES, "summary": summary, "table": table}


def questions_right(benchmarks: list[dict], model: str) -> float:
    """The share of all held-out questions the model answered right (the benchmark's question columns pooled)."""
    rows = [r for r in benchmarks if r["model"] == model and r["kind"] in set(COLUMNS.values())]
    return sum(r["accuracy"] * r["n"] for r in rows) / sum(r["n"] for r in rows)


def markdown_judges(boards: dict) -> str:
    lines = ["| model | checker: rating [95 %] | gold judge: rating [95 %] |", "|---|---:|---:|"]
    cells = {judge: {r["model"]: f"{r['rating']:.0f} [{r['low']:.0f}–{r['high']:.0f}]" for r in boards[judge]}
             for judge in ("checker", "gold")}
    lines += [f"| {r['model']} | {cells['checker'][r['model']]} | {cells['gold'][r['model']]} |" for r in boards["all"]]
    return "\n".join(lines)


def markdown_perplexity(ppl: dict) -> str:
    lines = ["| model | held-out web text | held-out assistant replies |", "|---|---:|---:|"]
    lines += [f"| {name} | {p['web']:.1f} | {p['replies']:.1f} |" for name, p in ppl.items()]
    return "\n".join(lines)


def markdown_guardrail(guard: dict) -> str:
    safe = guard["n"] - guard["unsafe"]
    head = (f"On {guard['n']} held-out requests ({guard['unsafe']} unsafe), threshold {guard['threshold']:.2f}: "
            f"precision {guard['precision']:.0%}, recall {guard['recall']:.0%}; it would refuse "
            f"{len(guard['false_positives'])} of {safe} safe requests ({guard['false_positive_rate']:.1%}) and let "
            f"{len(guard['missed'])} unsafe {'request' if len(guard['missed']) == 1 else 'requests'} through.")
    lines = [head]
    lines += [f"- refused although safe: “{quoted(text)}”" for text in guard["false_positives"][:5]]
    lines += [f"- let through although unsafe: “{quoted(text)}”" for text in guard["missed"][:5]]
    return "\n".join(lines)


def quoted(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "(nothing)"


def markdown_samples(samples: dict, asked: list[dict], requests: list[dict], replies: dict) -> str:
    """The two-turn conversation of each assistant, then every model's reply to a question, a sum and a request."""
    lines = []
    for name, messages in samples.items():
        turns = " / ".join(f"**{m['role']}**: {quoted(m['content'])}" for m in messages)
        lines.append(f"- {name}: {turns}")
    picks = [("questions", next(i for i, q in enumerate(asked) if q["kind"] == "capital")),
             ("questions", next(i for i, q in enumerate(asked) if q["kind"] == "arithmetic")),
             ("open", next((i for i, r in enumerate(requests) if not any(c.isdigit() for c in r["prompt"])), 0))]
    for part, i in picks:
        row = (asked if part == "questions" else requests)[i]
        lines += ["", f"**{quoted(row['prompt'])}**" + (f" (answer: {row['answer']})" if part == "questions" else ""), "",
                  "| model | reply |", "|---|---|"]
        lines += [f"| {name} | {quoted(reply_text(r[part][i]))} |" for name, r in replies.items()]
    return "\n".join(lines)


def plot(benchmarks: list[dict], boards: dict, path: Path) -> None:
    """Benchmark accuracy per column and model with its interval; each model's rating per judge with its
    interval."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[2.4, 1])
    models = list(dict.fromkeys(r["model"] for r in benchmarks))
    columns = list(dict.fromkeys(r["kind"] for r in benchmarks))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        rows = {r["kind"]: r for r in benchmarks if r["model"] == model}
        values = np.array([rows[c]["accuracy"] for c in columns])
        # clipped at 0: an interval's edge can sit a rounding error past its point (a Wilson bound at 0 of n)
        errors = np.array([[values[j] - rows[c]["low"], rows[c]["high"] - values[j]] for j, c in enumerate(columns)]).T
        left.bar(np.arange(len(columns)) + i * width, values, width, yerr=errors.clip(0), capsize=1.5, label=model,
                 error_kw={"lw": 0.7})
    left.set_xticks(np.arange(len(columns)) + width * (len(models) - 1) / 2, columns, fontsize=8, rotation=20)
    left.set_ylim(0, 1.05)
    left.set_title("held-out benchmarks: share right, 95 % interval", fontsize=9)
    left.legend(fontsize=7, ncols=5)
    order = [r["model"] for r in boards["all"]]
    for k, (judge, marker) in enumerate((("all", "o"), ("checker", "s"), ("gold", "^"))):
        rows = {r["model"]: r for r in boards[judge]}
        y = np.arange(len(order)) + (k - 1) * 0.2
        x = np.array([rows[m]["rating"] for m in order])
        spans = np.array([[x[j] - rows[m]["low"], rows[m]["high"] - x[j]] for j, m in enumerate(order)]).T
        # clipped at 0: a bootstrap interval may leave out the fitted rating
        right.errorbar(x, y, xerr=spans.clip(0), fmt=marker, capsize=2, label={"all": "all battles"}.get(judge, judge))
    right.set_yticks(range(len(order)), order, fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("Bradley-Terry rating (Elo scale)")
    right.set_title("arena leaderboard", fontsize=9)
    right.legend(fontsize=7)
    right.grid(alpha=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm evaluate`."""
    parser.add_argument("--preset", default="tiny", choices=artifacts.PRESETS, help="the pipeline to evaluate "
                        "(default: tiny; its stages are built first if needed)")
    parser.add_argument("--votes", type=Path, metavar="FILE", help="a learner's votes (lesson 12's widget writes "
                        "them): battles added to the arena's for the printed leaderboard")
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds of the printed leaderboard")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_from_args(args) -> int:
    """`minillm evaluate`: build the stage if needed, print its leaderboard (with the learner's votes, if given)."""
    if args.rounds < 1:
        raise UserError(f"--rounds must be at least 1, not {args.rounds}")
    folder = artifacts.get("evaluate", args.preset, progress=not args.quiet)
    battles = [json.loads(line) for line in (folder / "battles.jsonl").read_text(encoding="utf-8").splitlines()]
    if args.votes is not None:
        votes = read_votes(args.votes)
        known = {b["a"] for b in battles}
        strangers = sorted({m for v in votes for m in (v["a"], v["b"])} - known)
        if strangers:
            raise UserError(f"{args.votes}: votes for models the arena does not know: {', '.join(strangers)} "
                            f"(models: {', '.join(sorted(known))})")
        battles += votes
        print(f"{len(votes)} votes added to {len(battles) - len(votes):,} judged battles")
    print(markdown_leaderboard(leaderboard(battles, args.rounds)))
    print(f"wrote {folder / 'eval.json'}, {folder / 'battles.jsonl'} and {folder / 'evaluate.png'}; the report: "
          f"minillm pipeline --preset {args.preset}")
    return 0
