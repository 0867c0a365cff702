"""The cleaner (lesson 02): extraction, each filter, MinHash dedup, PII masking, and the whole stage scored
against the bundled web's manifest (read straight from data/web/, so these tests don't need the crawler)."""

import argparse
import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minillm import clean, dedup, extract, files, filters, langid, pii
from minillm.errors import UserError
from minillm.files import ROOT

PROSE = (
    "The lion is a large cat that lives in the grasslands of Africa. It hunts zebras and antelopes with the "
    "other members of its pride, and it rests for most of the day in the shade of the trees.\n\n"
    "A baby lion is called a cub. Cubs stay with their mothers for about two years, and they learn to hunt by "
    "watching the older lions of the pride very carefully.\n\n"
    "People have admired lions for thousands of years. You can see them on flags, on coins and in the stories "
    "that parents tell their children at bedtime, all over the world."
)

PAGE = """<!DOCTYPE html><html><head><title>Lions</title><style>p {color: red}</style>
<script>var tracking = {"id": 1};</script></head><body>
<div id="cookie-banner">We use cookies to improve your experience. <a href="#">Accept</a></div>
<header><a href="/">Home</a> <a href="/about">About</a></header>
<nav><ul><li><a href="/animals">Animals</a></li><li><a href="/planets">Planets</a></li></ul></nav>
<div class="layout"><aside class="sidebar"><h3>Popular</h3><p>Sign up for our newsletter!</p></aside>
<div class="content"><div class="entry-header"><h1>The lion</h1><span class="date">1 May 2020</span></div>
<p class="byline">By Ana · 1 May 2020</p>
<p>The lion is a <b>large</b> cat. It lives in <a href="/africa">Africa</a>.</p>
<ul><li>Lions eat meat.</li><li>A baby lion is called a cub.</li></ul>
<div class="related"><h3>Related pages</h3><ul><li><a href="/tiger">The tiger</a></li></ul></div>
<div class="share">Share: <a href="https://example.com/share">Facebook</a></div>
</div></div><footer><p>© 2024 Small World. All rights reserved.</p></footer></body></html>"""

PAGE_TEXT = "The lion\n\nThe lion is a large cat. It lives in Africa.\n\nLions eat meat.\n\nA baby lion is called a cub."


# ----------------------------------------------------------------------------- extraction


def test_extraction_keeps_the_content_and_its_paragraph_breaks():
    assert extract.extract_text(PAGE) == PAGE_TEXT


def test_extraction_reads_unclosed_paragraphs_like_a_browser():
    broken = "<html><body><div><h1>Title</h1><p class=byline>By Ana<p>First paragraph.<p>Second one.</div>"
    assert extract.extract_text(broken) == "Title\n\nFirst paragraph.\n\nSecond one."


def test_extraction_of_a_page_of_links_is_empty():
    links = "<html><body><ul>" + "".join(f'<li><a href="/{i}">Page {i}</a></li>' for i in range(20)) + "</ul></body>"
    assert extract.extract_text(links) == ""


def test_extraction_scores_are_bag_of_words_overlap():
    precision, recall, f1 = extract.extraction_scores("the cat the dog extra", "The cat sat, the dog")
    assert (precision, recall) == (4 / 5, 4 / 5)
    assert f1 == pytest.approx(0.8)
    assert extract.extraction_scores("", "") == (1.0, 1.0, 1.0)


# ----------------------------------------------------------------------------- filters


def test_url_filter_blocks_banned_words_and_hosts_only():
    assert filters.url_filter("http://small-world.test/deals/casino-chips-4.html") == (False, "url:casino")
    assert filters.url_filter("https://ads.spam.example/x", blocked_hosts=("spam.example",)) == (
        False, "url:blocked_host")
    assert filters.url_filter("http://small-world.test/animals/lion.html") == (True, "")
    assert filters.url_filter("http://example.com/occasional-notes.html")[0]  # "casino" inside a word is not banned


def test_language_id_on_unseen_sentences():
    assert langid.identify_language("The children walked to school in the rain with their dog.")[0] == "en"
    assert langid.identify_language("Les enfants marchent vers l'école sous la pluie avec leur chien.")[0] == "fr"
    assert langid.identify_language("Los niños caminan a la escuela bajo la lluvia con su perro.")[0] == "es"
    assert langid.language_filter("Le chat dort sur le canapé de la maison.") == (False, "language:fr")
    assert langid.language_filter(PROSE) == (True, "")


def test_language_model_is_smoothed_naive_bayes():
    model = langid.train_language_model({"a": ["aaa"], "b": ["bbb"]}, orders=(1,), alpha=1.0)
    # counts: a has {"a": 3}; vocabulary {"a", "b"}; P(a | a) = (3 + 1) / (3 + 1 * 3)
    assert model.log_prob["a"]["a"] == pytest.approx(np.log(4 / 6))
    assert model.log_unseen["a"] == pytest.approx(np.log(1 / 6))
    scores = langid.language_scores("ab", model)
    assert scores["a"] == pytest.approx(0.5) and sum(scores.values()) == pytest.approx(1.0)


def test_gopher_repetition():
    assert filters.gopher_repetition_filter(PROSE) == (True, "")
    repeated_lines = "\n".join(["Buy cheap watches today at our shop."] * 4 + [PROSE])
    assert filters.gopher_repetition_filter(repeated_lines)[1] == "gopher_rep:dup_line_frac"
    stuffed = " ".join(["cheap flights Paris"] * 40) + "."
    assert filters.gopher_repetition_filter(stuffed)[1].startswith("gopher_rep:")


def test_gopher_repetition_counts_repeated_ngram_characters_once():
    tokens = ["a", "b", "c", "d", "e", "a", "b", "c", "d", "e"]
    # the second "a b c d e" repeats the first: its 9 characters count, then the scan jumps past it
    assert filters.repeated_ngram_chars(tokens, 5) == len("a b c d e")
    assert filters.top_ngram_chars(extract.ngrams(tokens, 2)) == 2 * len("a b")


def test_gopher_quality():
    assert filters.gopher_quality_filter(PROSE) == (True, "")
    assert filters.gopher_quality_filter("Too short to be a document.")[1] == "gopher_quality:too_few_words"
    no_stop_words = " ".join(["Cheap watches, great prices, fast shipping, happy customers!"] * 10)
    assert filters.gopher_quality_filter(no_stop_words)[1] == "gopher_quality:stop_words"
    sums = " ".join(f"{i} + {i} = {2 * i}." for i in range(60)) + " the and of"
    assert filters.gopher_quality_filter(sums)[1] in ("gopher_quality:mean_word_length", "gopher_quality:alpha_words")
    hashtags = PROSE + " " + " ".join(f"#tag{i}" for i in range(20))
    assert filters.gopher_quality_filter(hashtags)[1] == "gopher_quality:hash_ratio"


def test_c4_line_rules():
    text = PROSE + "\n\nHome\n\nPlease enable JavaScript to view the comments.\n\nRead our privacy policy here."
    assert filters.c4_lines(text) == PROSE
    assert filters.c4_filter(PROSE) == (True, "")
    assert filters.c4_filter(PROSE + "\n\nLorem ipsum dolor sit amet.") == (False, "c4:lorem_ipsum")
    assert filters.c4_filter(PROSE + "\n\nfunction f() { return 1; } is code.") == (False, "c4:curly_bracket")
    assert filters.c4_filter("One sentence here. And two.\n\nThree is here!") == (False, "c4:too_few_sentences")
    assert filters.c4_lines("As shown before [12] by many. [citation needed]") == "As shown before by many."


def test_fineweb_filters():
    assert filters.fineweb_filter(PROSE) == (True, "")
    menu = "\n".join(f"Item number {i} of the menu" for i in range(20))
    assert filters.fineweb_filter(menu) == (False, "fineweb:line_punct_ratio")
    short = "\n".join(["Yes.", "No.", "Maybe.", PROSE.split("\n\n")[0]])
    assert filters.fineweb_filter(short) == (False, "fineweb:short_line_ratio")
    one_repeat = PROSE + "\n\nA baby lion is called a cub, and it is very cute indeed.\n\n" \
                         "A baby lion is called a cub, and it is very cute indeed."
    assert filters.fineweb_filter(one_repeat) == (False, "fineweb:char_dup_ratio")
    listy = "\n".join(f"Photosynthesis transforms everything{i}." for i in range(30))  # 3 words a line
    assert filters.fineweb_filter(listy) == (False, "fineweb:list_ratio")


# ----------------------------------------------------------------------------- deduplication


def test_shingles_are_normalised_word_ngrams():
    assert dedup.shingles("The cat, the CAT!", n=2) == {"the cat", "cat the"}
    assert dedup.shingles("too short", n=5) == {"too short"}
    assert dedup.jaccard({1, 2, 3}, {2, 3, 4}) == 0.5


def test_minhash_agreement_estimates_jaccard():
    rng = np.random.default_rng(0)
    vocabulary = [f"w{i}" for i in range(400)]
    base = list(rng.choice(vocabulary, 300))
    a, b = dedup.hash_permutations(256, seed=3)
    errors = []
    for changed in (10, 40, 80, 150, 250):
        other = base.copy()
        for i in rng.choice(len(base), changed, replace=False):
            other[i] = f"new{i}"
        s1, s2 = dedup.shingles(" ".join(base)), dedup.shingles(" ".join(other))
        estimate = (dedup.minhash_signature(s1, a, b) == dedup.minhash_signature(s2, a, b)).mean()
        errors.append(abs(estimate - dedup.jaccard(s1, s2)))
    assert max(errors) < 0.1  # 256 hashes: the standard error is at most 0.5 / sqrt(256) = 0.03


def test_s_curve_matches_the_formula_and_fineweb_threshold():
    p = dedup.candidate_probability(np.array([0.0, 0.5, 0.75, 0.9, 1.0]), bands=14, rows=8)
    assert p[0] == 0 and p[-1] == 1
    assert p[1] == pytest.approx(1 - (1 - 0.5**8) ** 14)
    assert 0.7 < p[2] < 0.85 and p[3] > 0.99


def test_lsh_pairs_need_a_whole_band_to_match():
    sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [5, 6, 7, 8]], dtype=np.uint64)
    assert dedup.lsh_pairs(sig, bands=2, rows=2) == {(0, 1), (0, 2)}
    with pytest.raises(UserError):
        dedup.lsh_pairs(sig, bands=3, rows=2)


def test_union_find_roots_are_the_first_members():
    union_find = dedup.UnionFind(6)
    union_find.union(4, 2)
    union_find.union(2, 5)
    union_find.union(1, 3)
    assert sorted(map(sorted, union_find.clusters())) == [[0], [1, 3], [2, 4, 5]]
    assert union_find.find(5) == 2


def test_deduplicate_keeps_the_first_of_each_cluster():
    story = PROSE
    near = PROSE.replace("two years", "three years")
    other = " ".join(f"word{i}" for i in range(120))
    result = dedup.deduplicate([story, story.upper(), near, other])
    assert result.exact_dropped == [1]
    assert result.near_dropped == [2]
    assert result.clusters == [[0, 1, 2]]


def test_pair_scores():
    predicted = dedup.cluster_pairs([["a", "b", "c"]])
    assert predicted == {("a", "b"), ("a", "c"), ("b", "c")}
    assert dedup.pair_scores(predicted, {("a", "b"), ("d", "e")}) == (1 / 3, 1 / 2)


# ----------------------------------------------------------------------------- PII


def test_pii_masking():
    text = ("Write to ana.ruiz@example.com or call +44 20 7946 0321, (555) 014-2290 or 555-201-7788. "
            "The server 198.51.100.7 and 8.8.8.8 are public; my laptop is 192.168.1.23 and 10.0.0.1 is the router.")
    masked, counts = pii.mask_pii(text)
    assert counts == {"email": 1, "phone": 3, "ip": 2}
    assert masked == ("Write to <email> or call <phone>, <phone> or <phone>. The server <ip> and <ip> are public; "
                      "my laptop is 192.168.1.23 and 10.0.0.1 is the router.")


def test_pii_masking_leaves_numbers_dates_and_versions_alone():
    text = ("The Moon is 384 400 km away and the Sun 149 600 000 km. From 2016-2023, on 2023-05-01, "
            "version 1.2.3 of the app sold 1,234,567 copies; 7 + 8 = 15.")
    assert pii.mask_pii(text) == (text, {"email": 0, "phone": 0, "ip": 0})


MESSY = st.text(st.sampled_from(list("0123456789 .-+()@abcxyz<>/pdivlh1=\"'\n#…&;")), max_size=120)


@settings(max_examples=300, deadline=None)
@given(MESSY)
def test_masking_is_idempotent_and_extraction_never_crashes(text):
    masked, _ = pii.mask_pii(text)
    assert pii.mask_pii(masked) == (masked, {"email": 0, "phone": 0, "ip": 0})
    assert isinstance(extract.extract_text(text), str)


# ----------------------------------------------------------------------------- reading input


def test_read_pages_skips_broken_lines_and_missing_input_is_one_clear_error(tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_text('{"url": "http://a.test/", "status": 200, "html": "<p>x</p>"}\nnot json\n[1, 2]\n{"url": "htt')
    records, broken = clean.read_pages(path)
    assert [r["url"] for r in records] == ["http://a.test/"] and broken == 3
    with pytest.raises(UserError, match="no crawl output"):
        clean.read_pages(tmp_path / "missing.jsonl")


def test_non_html_records_never_become_documents():
    records = [{"url": "http://a.test/x.pdf", "status": 200, "content_type": "application/pdf", "html": None},
               {"url": "http://a.test/gone", "status": 404, "content_type": "text/html", "html": "<p>Not found</p>"},
               {"url": "http://a.test/old", "status": 301, "content_type": "", "html": None, "location": "/"},
               {"url": "http://a.test/", "status": 200, "content_type": "text/html; charset=utf-8", "html": PAGE}]
    docs, funnel, _ = clean.clean_pages(records, clean.CleanConfig(), progress=False)
    assert [d.url for d in docs] == ["http://a.test/"]
    assert funnel.steps[1]["docs"] == 1


# ----------------------------------------------------------------------------- the whole stage on the bundled web


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """Clean the bundled web once (as the crawler would have fetched it) and keep everything to inspect."""
    folder = tmp_path_factory.mktemp("clean")
    pages = folder / "pages.jsonl"
    pages.write_text("".join(json.dumps(r) + "\n" for r in clean.read_bundled_web()))
    out = folder / "out"
    out.mkdir()
    report = clean.build_stage(clean.PRESETS["tiny"], {"crawl": folder}, out, progress=False)
    kept = [json.loads(line) for line in (out / "clean.jsonl").read_text().splitlines()]
    return {"report": report, "out": out, "kept": kept, "manifest": clean.load_manifest(),
            "funnel": json.loads((out / "funnel.json").read_text())}


def test_stage_writes_its_files_and_an_honest_funnel(bundled):
    out, funnel, report = bundled["out"], bundled["funnel"], bundled["report"]
    assert (out / "funnel.png").read_bytes()[:4] == b"\x89PNG" and report["figures"] == ["funnel.png"]
    steps = funnel["steps"][1:]
    for before, after in itertools.pairwise(steps):
        assert after["docs"] == before["docs"] - sum(after["dropped"].values())
        assert after["words"] <= before["words"]
    assert steps[-1]["docs"] == len(bundled["kept"]) == report["metrics"]["docs_out"]
    dropped = {d["url"]: d["dropped"] for d in funnel["documents"]}
    assert all(dropped[doc["url"]] == "" for doc in bundled["kept"])
    assert all(set(doc) == {"url", "text"} and doc["text"].strip() for doc in bundled["kept"])


def test_extraction_f1_on_the_bundled_web(bundled):
    assert bundled["report"]["metrics"]["extraction_f1"] >= 0.95


def test_dedup_precision_and_recall_against_the_manifest(bundled):
    metrics = bundled["report"]["metrics"]
    assert metrics["dedup_precision"] >= 0.9
    assert metrics["dedup_recall"] >= 0.9


def test_language_id_accuracy_on_held_out_pages(bundled):
    accuracy, n = langid.language_accuracy(bundled["manifest"])
    assert n > 100 and accuracy >= 0.95
    assert bundled["report"]["metrics"]["langid_accuracy"] == accuracy


def test_junk_and_foreign_pages_do_not_reach_the_corpus_and_copies_only_once(bundled):
    manifest = bundled["manifest"]
    kept = {clean.manifest_path(d["url"], manifest) for d in bundled["kept"]}
    kinds = {manifest["pages"][path]["kind"] for path in kept}
    assert not kinds & {"spam", "keyword_stuffed", "foreign", "nav_only", "short", "index"}
    assert all(len(kept & set(group["members"])) <= 1 for group in manifest["duplicate_groups"])
    assert bundled["report"]["metrics"]["kept_good_share"] >= 0.95


def test_pii_is_masked_in_the_corpus(bundled):
    corpus = "\n".join(d["text"] for d in bundled["kept"])
    manifest = bundled["manifest"]
    pii_pages = [manifest["pages"][p] for p in manifest["pii"]]
    secrets = [s for page in pii_pages for s in page["pii"]["emails"] + page["pii"]["phones"]]
    secrets += [ip for page in pii_pages for ip in page["pii"]["ips"] if pii.is_public_ip(ip)]
    assert secrets and not [s for s in secrets if s in corpus]
    metrics = bundled["report"]["metrics"]
    assert metrics["pii_email"] > 0 and metrics["pii_phone"] > 0 and metrics["pii_ip"] > 0
    assert "192.168.1.1" in corpus  # a private address names nobody: it stays


# ----------------------------------------------------------------------------- command line


def cli_args(*argv):
    parser = argparse.ArgumentParser()
    clean.add_arguments(parser)
    return parser.parse_args(argv)


def test_cli_cleans_a_given_crawl_into_a_given_folder(tmp_path, capsys):
    pages = tmp_path / "pages.jsonl"
    pages.write_text("".join(json.dumps(r) + "\n" for r in clean.read_bundled_web()[:60]))
    out = tmp_path / "cleaned"
    assert clean.run_from_args(cli_args("--input", str(pages), "--out", str(out), "--quiet")) == 0
    assert {p.name for p in out.iterdir()} == {"clean.jsonl", "funnel.json", "funnel.png", files.OWNER_FILE}
    assert "kept" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left behind
    (out / "clean.jsonl").write_text("stale")
    assert clean.run_from_args(cli_args("--input", str(pages), "--out", str(out), "--quiet")) == 0
    assert (out / "clean.jsonl").read_text() != "stale"  # its own earlier output is replaced


def test_cli_never_replaces_a_folder_or_file_it_did_not_write(tmp_path):
    pages = tmp_path / "pages.jsonl"
    pages.write_text("".join(json.dumps(r) + "\n" for r in clean.read_bundled_web()[:3]))
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "important.txt").write_text("keep me")
    (victim / "sub" / "notes.txt").write_text("and me")
    with pytest.raises(UserError, match="victim holds files that minillm's clean did not write"):
        clean.run_from_args(cli_args("--input", str(pages), "--out", str(victim), "--quiet"))
    assert (victim / "important.txt").read_text() == "keep me" and (victim / "sub" / "notes.txt").read_text() == "and me"
    a_file = tmp_path / "empty"
    a_file.write_text("a file")
    with pytest.raises(UserError, match="empty exists and is not a folder"):
        clean.run_from_args(cli_args("--input", str(pages), "--out", str(a_file), "--quiet"))
    assert a_file.read_text() == "a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "pages.jsonl", "victim"]  # no .empty.old
    (tmp_path / "made-for-it").mkdir()  # an empty folder is fine
    assert clean.run_from_args(cli_args("--input", str(pages), "--out", str(tmp_path / "made-for-it"), "--quiet")) == 0


def test_cli_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="no crawl output"):
        clean.run_from_args(cli_args("--input", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o")))
    with pytest.raises(UserError, match="unknown language"):
        clean.run_from_args(cli_args("--input", str(tmp_path / "none.jsonl"), "--language", "klingon"))
    assert not (tmp_path / "o").exists()


def test_a_crawl_without_html_gives_an_empty_corpus_not_a_crash(tmp_path):
    pages = tmp_path / "pages.jsonl"
    pages.write_text(json.dumps({"url": "http://a.test/", "status": 503, "html": None, "content_type": ""}) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    report = clean.clean_file(pages, clean.CleanConfig(), out, progress=False)
    assert report["metrics"]["docs_in"] == 1 and report["metrics"]["docs_out"] == 0
    assert (out / "clean.jsonl").read_text() == "" and (out / "funnel.png").exists()


def test_minillm_clean_command_reports_bad_input_in_one_line(tmp_path):
    missing = tmp_path / "none.jsonl"
    command = [sys.executable, "-m", "minillm", "clean", "--input", str(missing), "--out", str(tmp_path / "out")]
    result = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    expected = f"minillm: error: no crawl output at {missing} (run `minillm crawl` first, or pass --input)"
    assert result.stderr.strip().splitlines() == [expected]


def test_empty_or_garbage_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    from minillm import cli

    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "garbage.jsonl").write_bytes(b"\x00\xff not json\n[1, 2]\n{\"no_url\": 1}\n")
    for name, found in [("empty", "nothing"), ("garbage", "3 line(s), none a JSON record with a \"url\"")]:
        out = tmp_path / f"out-{name}"
        assert cli.main(["clean", "--input", str(tmp_path / f"{name}.jsonl"), "--out", str(out), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err == f"minillm: error: {tmp_path / name}.jsonl holds no crawl records ({found}): nothing to clean\n"
        assert not out.exists()
