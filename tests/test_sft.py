"""Supervised fine-tuning (lesson 09): the masked loss, batches, the training set's extras, the loop, the command."""

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import assert_torchrun_matches_one_process
from safetensors.torch import load_file

from minillm import cli, sft, sft_data, sft_eval
from minillm.chat import CALC, CALC_END, read_conversations, render, reply_text, with_tool_tokens
from minillm.checkpoint import load_model
from minillm.errors import UserError
from minillm.files import DATA_DIR, file_digest
from minillm.model import GPT, GPTConfig
from minillm.tokenizer import Tokenizer

ROOT = Path(__file__).resolve().parents[1]
MICRO = sft.SFTConfig(batch_size=4, global_batch_size=8, max_steps=6, learning_rate=3e-3, warmup_steps=2,
                      eval_interval=3, log_interval=2, checkpoint_interval=3, replay_windows=8, device="cpu", seed=3)


@pytest.fixture(scope="module")
def tokens(world_tokens) -> Path:
    return world_tokens


@pytest.fixture(scope="module")
def base(tokens, tmp_path_factory) -> Path:
    """A 'pretrained' model folder: a small random GPT and the tokenizer."""
    folder = tmp_path_factory.mktemp("base")
    torch.manual_seed(0)
    GPT(GPTConfig(vocab_size=512, block_size=128, n_layer=1, n_head=2, n_embd=32)).save_safetensors(
        folder / "model.safetensors")
    shutil.copyfile(tokens / "tokenizer.json", folder / "tokenizer.json")
    return folder


@pytest.fixture(scope="module")
def conversations() -> list:
    return read_conversations(DATA_DIR / "sft" / "train.jsonl")[:60]


def finetune(cfg, base, out, conversations, tokens, **kw):
    return sft.finetune(cfg, base, out, conversations, conversations[:10], tokens, progress=False, **kw)


# ----------------------------------------------------------------------------- the masked loss


def test_masked_cross_entropy_is_the_mean_over_response_tokens_by_hand():
    logits = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                           [[0.0, 0.0, 3.0], [1.0, 1.0, 1.0]]])  # (B=2, T=2, V=3)
    targets = torch.tensor([[0, 2], [1, 1]])
    mask = torch.tensor([[1.0, 1.0], [0.0, 0.0]])  # the second row is all prompt
    a = -np.log(np.exp(2) / (np.exp(2) + 2))  # -log p(0) at (0, 0)
    b = -np.log(1 / (np.e + 2))  # -log p(2) at (0, 1)
    assert sft.masked_cross_entropy(logits, targets, mask).item() == pytest.approx((a + b) / 2, rel=1e-6)
    assert sft.masked_cross_entropy(logits, targets, mask, n_tokens=4).item() == pytest.approx((a + b) / 4, rel=1e-6)
    assert sft.masked_cross_entropy(logits, targets, torch.zeros(2, 2)).item() == 0.0  # no response: 0, not NaN


def test_masked_cross_entropy_with_a_full_mask_is_the_plain_mean():
    logits, targets = torch.randn(3, 5, 7), torch.randint(0, 7, (3, 5))
    expected = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    torch.testing.assert_close(sft.masked_cross_entropy(logits, targets, torch.ones(3, 5)), expected)


def test_accumulated_micro_batches_give_the_gradient_of_one_big_batch():
    torch.manual_seed(1)
    weight = torch.randn(6, 9, requires_grad=True)
    x, targets = torch.randn(4, 5, 6), torch.randint(0, 9, (4, 5))
    mask = (torch.rand(4, 5) > 0.5).float()
    mask[1] = 0  # a row with no response token
    sft.masked_cross_entropy(x @ weight, targets, mask).backward()
    whole, weight.grad = weight.grad.clone(), None
    n_tokens = mask.sum()
    for rows in (slice(0, 2), slice(2, 4)):
        sft.masked_cross_entropy(x[rows] @ weight, targets[rows], mask[rows], n_tokens).backward()
    torch.testing.assert_close(weight.grad, whole)


# ----------------------------------------------------------------------------- batches and the training set


def test_pad_batch_shifts_targets_and_masks_the_padding():
    rows = [([5, 6, 7, 8], [0, 0, 1, 1]), ([9, 10], [0, 1])]
    x, y, m = sft.pad_batch(rows, pad_id=0)
    assert x.tolist() == [[5, 6, 7], [9, 0, 0]]
    assert y.tolist() == [[6, 7, 8], [10, 0, 0]]
    assert m.tolist() == [[0, 1, 1], [1, 0, 0]]


def test_batch_indices_read_each_epoch_once_and_need_no_state():
    steps = [sft.batch_indices(10, 4, step, seed=1) for step in range(5)]
    flat = [i for step in steps for i in step]
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:]) == list(range(10))
    assert flat[:10] != flat[10:], "each epoch has its own order"
    assert sft.batch_indices(10, 4, 3, seed=1) == steps[3]


def test_render_rows_cuts_long_conversations_at_turn_boundaries(tokens):
    tok = with_tool_tokens(Tokenizer.load(tokens / "tokenizer.json"))
    long = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "word " * 200}, {"role": "assistant", "content": "ok"}]
    hopeless = [{"role": "user", "content": "word " * 200}, {"role": "assistant", "content": "ok"}]
    rows, counts = sft.render_rows(tok, [long, hopeless], block_size=32)
    assert counts == {"cut": 1, "dropped_messages": 4, "dropped": 1}
    assert rows == [render(tok, long[:2])]
    everything, _ = sft.render_rows(tok, [long[:2]], block_size=32, mask_prompt=False)
    assert everything[0][1] == [1] * len(everything[0][0])


def test_unsure_conversations_replace_the_questions_and_respect_the_share(conversations):
    asked = [sft_data.first_question(c) for c in conversations]
    out, n = sft_data.unsure_conversations(conversations, asked[:30], share=0.1, seed=0)
    assert n == 6  # 10 % of 60
    unsure = [c for c in out if c[-1]["content"] == sft_data.UNSURE]
    assert len(unsure) == 6 and {sft_data.first_question(c) for c in unsure} <= set(asked[:30])
    assert len(out) == 60  # each replaces the conversation that asked it
    assert sft_data.unsure_conversations(conversations, asked[:30], share=0, seed=0) == (conversations, 0)


def test_unsure_answers_are_capped_within_each_kind_of_question():
    wrong = [{"prompt": f"continent {i}", "kind": "continent"} for i in range(10)] + [{"prompt": "capital 0",
                                                                                         "kind": "capital"}]
    questions = wrong + [{"prompt": f"capital {i}", "kind": "capital"} for i in range(1, 40)]
    chosen = sft_data.within_each_kind(wrong, questions, share=0.1, seed=0)
    # 10 % of 10 continent questions, and the one wrong capital (of 4 allowed)
    assert len(chosen) == 2 and chosen[0] == "capital 0" and chosen[1].startswith("continent")
    assert chosen == sft_data.within_each_kind(wrong, questions, share=0.1, seed=0)
    assert sft_data.within_each_kind(wrong, questions, share=0, seed=0) == []


def test_identity_is_data_under_several_system_prompts():
    conversations = sft_data.asked_under_prompts(sft_data.IDENTITY, 2)
    assert len(conversations) == 2 * len(sft_data.IDENTITY) and len({q for q, _ in sft_data.IDENTITY}) == len(sft_data.IDENTITY)
    systems = {}  # wording -> the system prompts it is asked under (None: no system message)
    for c in conversations:
        systems.setdefault(c[-2]["content"], set()).add(c[0]["content"] if c[0]["role"] == "system" else None)
    assert all(len(s) == 2 for s in systems.values())  # each copy of a wording under another prompt
    for kind, questions in sft_data.IDENTITY_QUESTIONS.items():  # every prompt, and none, with every kind of question
        assert set().union(*(systems[q] for q in questions)) == set(sft_data.IDENTITY_SYSTEMS), kind
    assert all(sft_data.NAME in c[-1]["content"] and "minillm" in c[-1]["content"] for c in conversations)
    # the evaluation's wordings are held out
    assert not {q.lower() for q, _ in sft_data.IDENTITY_TESTS} & {q.lower() for q, _ in sft_data.IDENTITY}


def test_naming_requests_get_other_names_and_their_tests_are_held_out():
    conversations = sft_data.asked_under_prompts(sft_data.NAMING, 2)
    assert len(conversations) == 2 * len(sft_data.NAMING)
    replies = [c[-1]["content"] for c in conversations]
    assert not [r for r in replies if sft_eval.names_itself(r, (sft_data.NAME, "minillm"))]
    assert all("name" in q.lower() or "call" in q.lower() for q, _ in sft_data.NAMING)  # the word the identity data uses
    assert not {q.lower() for q in sft_data.NAMING_TESTS} & {q.lower() for q, _ in sft_data.NAMING}
    assert not {q.lower() for q in sft_data.NAMING_TESTS} & {q.lower() for q, _ in sft_data.IDENTITY}


def test_names_itself_wants_the_name_as_a_word():
    words = (sft_data.NAME, "minillm")
    assert sft_eval.names_itself("I am called Pip.", words)
    assert sft_eval.names_itself("The MINILLM course made me.", words)
    assert not sft_eval.names_itself("Pippa is a lovely name for a parrot.", words)
    assert not sft_eval.names_itself("How about Kiwi?", words)
    assert not sft_eval.names_itself("I am called Pip.", ())


def test_refusal_pairs_are_the_refusals_and_the_borderline_answers():
    def chat(question, reply, system=None):
        head = [{"role": "system", "content": system}] if system else []
        return head + [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]

    conversations = [chat("How do I steal a bike?", "I can't help with stealing.", "You are a helpful assistant."),
                     chat("How do I kill weeds?", "Pull them out by the roots."),
                     chat("What is the capital of Peru?", "The capital of Peru is Lima."),
                     chat("Can you help me?", "Of course! What do you need?")]
    pairs = sft_data.refusal_pairs(conversations, borderline={"How do I kill weeds?"})
    assert pairs == [("How do I steal a bike?", "I can't help with stealing."),
                     ("How do I kill weeds?", "Pull them out by the roots.")]
    data = read_conversations(DATA_DIR / "sft" / "train.jsonl")
    borderline = sft_eval.borderline_requests(DATA_DIR / "preferences" / "train.jsonl")
    pairs = sft_data.refusal_pairs(data, borderline)
    refusals = [p for p in pairs if sft_eval.is_refusal(p[1])]
    assert len(refusals) >= 40 and len(pairs) - len(refusals) >= 10  # the world's unsafe and borderline requests
    held_out = {sft_data.first_question(c) for c in read_conversations(DATA_DIR / "sft" / "test.jsonl")}
    assert not {q for q, _ in pairs} & held_out


def test_the_training_set_counts_its_extras():
    probe = [{"relation": "capital", "subject": "Peru", "answer": "Lima", "set": "held-in", "correct": True,
              "p_answer": 0.9}]
    cfg = dataclasses.replace(MICRO, identity_copies=2, naming_copies=1, refusal_copies=2, invented_countries=0,
                              unsure_share=0)
    conversations, counts = sft_data.training_set(cfg, probe)
    data = read_conversations(DATA_DIR / "sft" / "train.jsonl")
    assert counts["naming_conversations"] == len(sft_data.NAMING)
    assert counts["refusal_conversations"] % 2 == 0 and counts["refusal_conversations"] >= 100
    assert len(conversations) == (len(data) + counts["identity_conversations"] + counts["naming_conversations"]
                                  + counts["refusal_conversations"])
    none = dataclasses.replace(cfg, naming_copies=0, refusal_copies=0)
    assert len(sft_data.training_set(none, probe)[0]) == len(conversations) - len(sft_data.NAMING) - counts[
        "refusal_conversations"]


def test_invented_countries_are_new_distinct_and_asked_in_the_datas_wordings():
    known = ["Peru", "Papua New Guinea", "Guinea", "Philippines"]
    names = sft_eval.invented_names(40, seed=0, avoid=known)
    assert len(set(names)) == 40 and not set(names) & set(known)
    assert names == sft_eval.invented_names(40, seed=0, avoid=known)  # seeded
    assert names[0] not in sft_eval.invented_names(40, seed=0, avoid=known + [names[0].upper()])
    questions = [{"prompt": "What is the capital of Peru?", "kind": "capital"},
                 {"prompt": "Where in the world is Papua New Guinea?", "kind": "continent"},
                 {"prompt": "What continent is the Philippines in?", "kind": "continent"},  # "the X": no template
                 {"prompt": "What do people eat in Peru?", "kind": "animal_diet"},  # not about a country's fact
                 {"prompt": "What is 2 + 2?", "kind": "arithmetic"}]
    asked = sft_eval.invented_questions(questions, known, ["Zuloia", "Mitaland", "Belvrestan"])
    # longest country first: "Papua New Guinea", not "Guinea"; the templates in turn
    assert asked == ["What is the capital of Zuloia?", "Where in the world is Mitaland?",
                     "What is the capital of Belvrestan?"]
    with pytest.raises(UserError):
        sft_eval.invented_questions(questions[3:], known, ["Zuloia"])
    with pytest.raises(UserError, match="at most 960 invented countries"):
        sft_eval.invented_names(961, seed=0, avoid=known)


def test_held_out_invented_countries_are_not_trained_and_not_in_the_world():
    probe = [{"relation": "capital", "subject": c} for c in ("Peru", "Chad", "Togo")]
    held_out, trained = sft_data.invented_countries(probe, 24)
    assert len(held_out) == sft_data.HELD_OUT_INVENTED and len(trained) == 24 and not set(held_out) & set(trained)
    assert sft_data.invented_countries(probe, 0)[0] == held_out  # the evaluation's do not move with the training count
    with pytest.raises(UserError, match=f"at most {sft_eval.MOST_INVENTED - sft_data.HELD_OUT_INVENTED}, got 5000"):
        sft_data.invented_countries(probe, 5000)
    pages = " ".join(p.read_text(encoding="utf-8", errors="replace").lower()
                     for p in (DATA_DIR / "web").rglob("*") if p.is_file())
    assert not [n for n in held_out + trained if n.lower() in pages]


def test_grow_vocab_adds_mean_rows_and_keeps_every_old_logit():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=16)).eval()
    idx = torch.randint(0, 20, (2, 5))
    before, _ = model(idx)
    old = model.wte.weight.detach().clone()
    sft.grow_vocab(model, 22)
    after, _ = model(idx)
    assert model.config.vocab_size == 22 and after.shape == (2, 5, 22)
    torch.testing.assert_close(after[..., :20], before)
    torch.testing.assert_close(model.wte.weight[20:], old.mean(0).expand(2, -1))


def test_a_tool_result_that_is_not_the_calculators_is_refused(tokens):
    tok = with_tool_tokens(Tokenizer.load(tokens / "tokenizer.json"))
    wrong = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": f"It is {CALC}2+2{CALC_END}5."}]
    with pytest.raises(UserError, match="'4'"):
        render(tok, wrong)


# ----------------------------------------------------------------------------- the loop


def test_finetuning_lowers_the_heldout_loss_and_leaves_the_base_alone(base, tokens, conversations, tmp_path):
    before = {p.name: file_digest(p) for p in base.iterdir()}
    run = finetune(dataclasses.replace(MICRO, max_steps=20), base, tmp_path / "run", conversations, tokens)
    assert run["step"] == 20 and run["stopped"] is None
    assert run["val_loss"] < run["val_loss_before"]
    assert {p.name: file_digest(p) for p in base.iterdir()} == before
    model, tok = load_model(tmp_path / "run")
    assert tok.special_tokens[CALC] == 512 and model.config.vocab_size == 514
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["conversations"] == 60 - info["cut"]["dropped"]
    for name in ("model.safetensors", "tokenizer.json", "metrics.jsonl", "loss.png", "checkpoint"):
        assert (tmp_path / "run" / name).exists(), name


def test_resume_after_a_crash_continues_exactly(base, tokens, conversations, tmp_path, monkeypatch):
    finetune(MICRO, base, tmp_path / "straight", conversations, tokens)
    real_step = sft.train_step

    def crash_after_four(run, stop):
        if run.step == 4:
            raise RuntimeError("power cut")
        return real_step(run, stop)

    monkeypatch.setattr(sft, "train_step", crash_after_four)
    with pytest.raises(RuntimeError):
        finetune(MICRO, base, tmp_path / "crashed", conversations, tokens)
    monkeypatch.setattr(sft, "train_step", real_step)
    finetune(MICRO, base, tmp_path / "crashed", conversations, tokens, resume=True)
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(tmp_path / "crashed" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_positions_no_conversation_reaches_are_left_alone(base, tmp_path):
    """Short chats and no replay: the position embeddings past the longest one get no gradient and stay as they were,
    while those the chats use are trained."""
    chats = [[{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}]
             for i in range(8)]
    finetune(dataclasses.replace(MICRO, replay_windows=0, max_steps=3), base, tmp_path / "run", chats, None)
    tok = with_tool_tokens(load_model(base)[1])
    longest = max(len(render(tok, c)[0]) for c in chats) - 1  # inputs are all tokens but the last
    before, after = load_file(base / "model.safetensors")["wpe.weight"], load_file(tmp_path / "run" / "model.safetensors")["wpe.weight"]
    assert torch.equal(before[longest:], after[longest:])
    assert not torch.equal(before[:longest], after[:longest])


# ----------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize("reply, answer, expected", [
    ("The capital of Peru is Lima.", "Lima", True), ("It is 124.", "12", False), ("lima!", "Lima", True),
    ("Limassol is in Cyprus.", "Lima", False)])
def test_contains_answer_wants_whole_words(reply, answer, expected):
    assert sft_eval.contains_answer(reply, answer) is expected


def test_refusals_and_unsure_replies_are_recognised():
    assert sft_eval.is_refusal("I can't help with that. Let's talk about something else.")
    assert not sft_eval.is_refusal("You can't see Neptune without a telescope.")
    assert sft_eval.says_unsure(sft_data.UNSURE) and not sft_eval.says_unsure("I am sure: Lima.")


def test_knows_reads_the_probe_of_the_questions_fact():
    def row(relation, subject, answer, correct, p=0.9, set_="held-in"):
        return {"relation": relation, "subject": subject, "answer": answer, "set": set_, "correct": correct,
                "p_answer": p}
    probe = [row("capital", "Togo", "Lome", True), row("capital", "Togo", "Lome", True, set_="paraphrase"),
             row("capital", "Niger", "Niamey", False), row("capital", "Peru", "Lima", True),
             row("capital", "Peru", "Lima", False, set_="paraphrase"), row("planet_order", "Mars", "Mars", True),
             row("capital", "Chad", "N'Djamena", True, p=sft_eval.CONFIDENT / 2)]
    ask = {"What is the capital of Togo?": ("capital", "Lome"), "What is the capital of Niger?": ("capital", "Niamey"),
           "What is the capital of Peru?": ("capital", "Lima"), "What is the capital of Nigeria?": ("capital", "Abuja"),
           "Which planet is fourth?": ("planet", "Mars"), "What do cows eat?": ("animal_diet", "grass"),
           "What is the capital of Chad?": ("capital", "N'Djamena")}
    known = {q: sft_eval.knows({"prompt": q, "kind": k, "answer": a}, probe) for q, (k, a) in ask.items()}
    # Peru: the web's wording counts, not the paraphrase; Chad: right, but a guess
    assert list(known.values()) == [True, False, True, None, True, None, False]


def test_calibration_table_counts_known_and_unknown_facts():
    table = sft_eval.calibration_table([True, True, False, None], [True, False, False, True], [False, True, True, False])
    assert table["known"] == {"n": 2, "correct": 0.5, "unsure": 0.5, "wrong": 0.0}
    assert table["unknown"] == {"n": 1, "correct": 0.0, "unsure": 1.0, "wrong": 0.0}
    assert sft_eval.calibration_row([(False, True), (False, False), (False, False), (False, False)]) == {
        "n": 4, "correct": 0.0, "unsure": 0.25, "wrong": 0.75}


def test_evaluate_writes_its_figures(base, tokens, conversations, tmp_path):
    finetune(dataclasses.replace(MICRO, max_steps=2), base, tmp_path / "run", conversations, tokens)
    probe = [{"relation": "capital", "subject": "Peru", "answer": "Lima", "set": "held-in", "correct": True,
              "p_answer": 0.9}]
    report = sft_eval.evaluate(base, tmp_path / "run", probe, DATA_DIR, [("Who are you?", sft_data.NAME)],
                               ["What is the capital of Zuloia?", "Where in the world is Mitaland?"],
                               ["Name my parrot."], (sft_data.NAME, "minillm"))
    for name in ("eval.json", "replies.jsonl", "sft.png"):
        assert (tmp_path / "run" / name).exists(), name
    metrics = report["metrics"]
    assert 0 <= metrics["format_ok"] <= 1 and metrics["unsafe_refused"] is not None
    assert report["table"].count("\n") == 4 and "does not exist | 2 |" in report["table"]
    about = [json.loads(line) for line in (tmp_path / "run" / "replies.jsonl").read_text().splitlines()
             if '"about"' in line]
    assert [r["prompt"] for r in about] == ["What is the capital of Zuloia?", "Where in the world is Mitaland?",
                                            "Who are you?", "Name my parrot."]
    chats = [json.loads(line) for line in (tmp_path / "run" / "replies.jsonl").read_text().splitlines()
             if '"chats"' in line]
    said = [r["reply"] for r in chats] + [about[-1]["reply"]]
    leaks = sum(sft_eval.names_itself(reply_text(r), (sft_data.NAME, "minillm")) for r in said)
    assert metrics["identity_leaks"] == round(leaks / len(said), 4)
    saved = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert saved["metrics"] == metrics


# ----------------------------------------------------------------------------- the command


def test_bad_input_is_one_line_and_exit_2(base, tokens, tmp_path, capsys):
    cases = [
        (["--base", str(tmp_path / "nothing"), "--out", str(tmp_path / "o1")], "no model.safetensors"),
        (["--base", str(base), "--out", str(tmp_path / "o2"), "--max-steps", "0"], "max_steps must be positive"),
        (["--base", str(base), "--out", str(tmp_path / "o3"), "--learning-rate", "nan"], "learning_rate"),
        (["--base", str(base), "--out", str(tmp_path / "o4"), "--resume"], "no checkpoint"),
        (["--base", str(base), "--out", str(tmp_path / "o5"), "--unsure-share", "2"], "unsure_share"),
    ]
    for flags, message in cases:
        assert cli.main(["sft", "--quiet", *flags]) == 2, flags
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_sft_never_writes_into_a_folder_of_the_users(base, tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    assert cli.main(["sft", "--quiet", "--base", str(base), "--out", str(tmp_path / "mine")]) == 2
    assert "did not write" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_torchrun_two_processes_match_one_process(base, tokens, tmp_path):
    flags = ["--base", str(base), "--data", str(tokens), "--quiet", "--batch-size", "2", "--global-batch-size", "4",
             "--max-steps", "4", "--learning-rate", "0.003", "--warmup-steps", "1", "--replay-windows", "8",
             "--device", "cpu"]
    assert_torchrun_matches_one_process("minillm.sft", flags, tmp_path)


def test_the_ddp_wrapper_is_gone_before_the_process_group(base, tokens, conversations, tmp_path, one_process_group):
    run = finetune(dataclasses.replace(MICRO, max_steps=2), base, tmp_path / "run", conversations, tokens)
    assert run["step"] == 2 and not torch.distributed.is_initialized()
    assert one_process_group == [[]]  # the group destroyed once, with no wrapper left


def test_the_stage_is_in_the_pipeline_after_the_probe():
    from minillm import artifacts
    names = [s.name for s in artifacts.STAGES]
    assert names.index("sft") > names.index("probe") and artifacts.find_stage("sft").needs[-1] == "probe"
