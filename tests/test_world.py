"""Tests for minillm.world: the bundled world in data/ is reproducible, connected, and honest about its defects.

The world is generated once per session into a temporary folder; every test reads that copy (and the first
one compares it, byte for byte, with the committed data/).
"""

import json
import re
import urllib.robotparser
import zipfile
import zlib
from collections import Counter, deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest

from minillm import cli, files, world
from minillm.errors import UserError
from minillm.webserver import calendar_page as served_calendar_page
from minillm.world import write
from minillm.world.facts import BORDERLINE_SAFE, UNSAFE_REQUESTS
from minillm.world.posttrain import (
    CONVERSATION_CHARS,
    HELD_OUT_BORDERLINE,
    HELD_OUT_UNSAFE,
    SYSTEM_PROMPTS,
    TOOL_SYSTEM,
)
from minillm.world.text import number_word, ordinal

DATA = Path(__file__).resolve().parents[1] / "data"
KINDS = {"article", "story", "howto", "qa", "index", "spam", "keyword_stuffed", "nav_only", "short", "long",
         "foreign", "pii", "mirror", "print", "near_duplicate", "malformed", "non_utf8", "private", "draft"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IPV4 = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
PHONE = re.compile(r"\(?\+?\d[\d ()-]{8,}\d")


class PageParser(HTMLParser):
    """The hrefs of <a> tags and the visible text (no <script>, <style>, <title>) of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.text, self.skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self.skip += 1
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def declared_charset(raw: bytes) -> str:
    return re.search(rb'charset="?([\w-]+)', raw[:600]).group(1).decode()


def parse(raw: bytes) -> tuple:
    parser = PageParser()
    parser.feed(raw.decode(declared_charset(raw)))
    return parser.links, normalise("".join(parser.text))


def trap_page(path: str) -> str | None:
    """A calendar page as the local web server renders it (they are not on disk)."""
    return served_calendar_page(path, world.write.SITE_NAME)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The world, written by `minillm world` over a stale page and next to a file that is not the world's."""
    out = tmp_path_factory.mktemp("world")
    files.mark_folder(out, write.OWNER)  # as an earlier `minillm world --out` leaves it
    (out / "web").mkdir()
    (out / "web" / "stale.html").write_text("old")
    (out / "notes.txt").write_text("mine")
    assert write.main(["--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def manifest(generated) -> dict:
    return json.loads((generated / "web" / "_manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site(generated) -> dict:
    """{page path: (absolute hrefs on it, its visible text)} for every HTML file on disk."""
    web = generated / "web"
    pages = {}
    for file in sorted(web.rglob("*.html")):
        path = "/" + file.relative_to(web).as_posix()
        links, text = parse(file.read_bytes())
        pages[path] = ([urljoin(path, href) for href in links], text)
    return pages


@pytest.fixture(scope="module")
def records(generated) -> dict:
    return {f"{part}/{split}": [json.loads(line) for line in (generated / part / f"{split}.jsonl").read_text(
        encoding="utf-8").splitlines()] for part in ("sft", "preferences", "rl") for split in ("train", "test")}


def resolve(manifest: dict, url: str, max_hops: int = 10) -> str | None:
    """The page a local URL ends on after redirects; None for a loop or anything that is not a page on disk."""
    path = urlsplit(url).path
    for _ in range(max_hops):
        if path in manifest["pages"]:
            return path
        if path not in manifest["redirects"]:
            return None
        path = manifest["redirects"][path]["to"]
    return None


def crawl(manifest: dict, site: dict, polite: bool) -> set:
    seen, queue = {"/index.html"}, deque(["/index.html"])
    while queue:
        for url in site[queue.popleft()][0]:
            if urlsplit(url).scheme or urlsplit(url).netloc:
                continue
            target = resolve(manifest, url)
            if target and target not in seen and not (polite and target.startswith(world.DISALLOWED)):
                seen.add(target)
                queue.append(target)
    return seen


def shingles(text: str, n: int = 5) -> set:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


# ----------------------------------------------------------------------------- reproducible, sized


def test_regeneration_is_byte_identical_to_committed_data(generated):
    fresh = {p.relative_to(generated).as_posix(): p for p in generated.rglob("*") if p.is_file()}
    del fresh["notes.txt"]
    committed = {p.relative_to(DATA).as_posix(): p for p in DATA.rglob("*") if p.is_file()}
    assert sorted(fresh) == sorted(committed), "run `minillm world` and commit data/"
    changed = [name for name in sorted(fresh) if fresh[name].read_bytes() != committed[name].read_bytes()]
    assert not changed, f"{len(changed)} files differ, e.g. {changed[:3]}: run `minillm world` and commit data/"


def test_world_is_big_enough_and_small_enough(generated, manifest):
    total = sum(p.stat().st_size for p in generated.rglob("*") if p.is_file())
    good_text = sum(len(p["main_text"].encode()) for p in manifest["pages"].values() if p["good"] and p["lang"] == "en")
    assert total <= 25_000_000
    assert good_text >= 1_500_000
    assert len(list((generated / "web").rglob("*.html"))) >= 400


def test_main_replaces_the_world_and_keeps_other_files(generated):
    assert not (generated / "web" / "stale.html").exists()
    assert (generated / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in generated.iterdir()) == [
        files.OWNER_FILE, "README.md", "langid", "notes.txt", "preferences", "probe", "rl", "sft", "web"]


def test_world_refuses_a_folder_of_the_users_and_changes_nothing(tmp_path, capsys):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("my own site")
    (tmp_path / "notes.txt").write_text("mine")
    assert cli.main(["world", "--out", str(tmp_path), "--quiet"]) == 2
    assert "did not write" in capsys.readouterr().err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["notes.txt", "web", "web/index.html"]
    assert (tmp_path / "web" / "index.html").read_text() == "my own site"


def test_write_world_refuses_a_file_as_its_folder(tmp_path):
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(UserError):
        world.write_world(tmp_path / "data", progress=False)


# ----------------------------------------------------------------------------- the link graph


def test_manifest_describes_every_page_on_disk(site, manifest):
    assert sorted(site) == sorted(manifest["pages"])
    assert manifest["home"] == "/index.html"
    assert {p["kind"] for p in manifest["pages"].values()} <= KINDS
    for path, page in manifest["pages"].items():
        assert page["good"] == (page["good"] and not page["disallowed"] and page["lang"] == "en"), path
        assert page["good"] or page["kind"] not in ("article", "story", "howto", "qa", "long") or page["disallowed"]


def test_every_page_is_reachable_from_home(site, manifest):
    assert crawl(manifest, site, polite=False) == set(site)


def test_a_polite_crawl_reaches_every_good_page_and_no_disallowed_one(site, manifest):
    reached = crawl(manifest, site, polite=True)
    good = {path for path, page in manifest["pages"].items() if page["good"]}
    assert good <= reached
    assert not reached & set(manifest["disallowed"])


def test_every_link_is_a_page_or_a_planted_defect(site, manifest):
    planted = (set(manifest["redirects"]) | set(manifest["broken_links"]) | set(manifest["binary_links"])
               | set(manifest["url_variants"]))
    external, other = set(manifest["external_links"]), set(manifest["non_http_links"])
    for path, (links, _) in site.items():
        for url in links:
            if url in external or url in other:
                continue
            assert not urlsplit(url).netloc, f"{path} links to an undeclared host: {url}"
            local = urlsplit(url).path
            assert local in site or local in planted or url in planted or trap_page(local), (path, url)


def test_every_planted_link_is_linked_from_some_page(site, manifest):
    linked = {url for links, _ in site.values() for url in links}
    linked_paths = {urlsplit(url).path for url in linked}
    for url in manifest["broken_links"] + manifest["binary_links"] + list(manifest["redirects"]):
        if url != "/loop/b.html" and url != "/old/home.html":  # reached through the loop and the chain
            assert url in linked_paths, url
    assert set(manifest["external_links"]) <= linked
    assert set(manifest["non_http_links"]) <= linked
    assert set(manifest["url_variants"]) <= linked
    assert manifest["trap"]["start"] in linked


# ----------------------------------------------------------------------------- redirects, 404s, files, robots, trap


def test_redirects_are_served_not_stored_and_include_a_chain_and_a_loop(generated, manifest):
    redirects = manifest["redirects"]
    for source, rule in redirects.items():
        assert not (generated / "web" / source.lstrip("/")).exists(), source
        assert rule["status"] in (301, 302)
        assert rule["to"] in manifest["pages"] or rule["to"] in redirects
    chains = [s for s, r in redirects.items() if r["to"] in redirects and resolve(manifest, s)]
    loops = [s for s in redirects if resolve(manifest, s) is None]
    assert chains and loops
    assert all(resolve(manifest, s) for s in redirects if not s.startswith("/loop/"))


def test_broken_links_are_missing_everywhere(generated, manifest):
    for path in manifest["broken_links"]:
        assert not (generated / "web" / path.lstrip("/")).exists()
        assert path not in manifest["redirects"] and trap_page(path) is None


def test_binary_links_are_real_files(generated):
    web = generated / "web"
    pdf, png = (web / "files/solar-system-facts.pdf").read_bytes(), (web / "images/world-map.png").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == 48 * (1 + 96 * 3)
    with zipfile.ZipFile(web / "files/world-facts.zip") as archive:
        rows = archive.read("countries.csv").decode().splitlines()
    assert len(rows) == len(world.COUNTRIES) + 1 and '"France","Paris"' in rows[1 + [c.name for c in
                                                                                   world.COUNTRIES].index("France")]


def test_robots_txt_matches_the_manifest(generated, manifest):
    text = (generated / "web" / "robots.txt").read_text()
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    for path, page in manifest["pages"].items():
        assert robots.can_fetch("minillm", path) != page["disallowed"], path
    assert not robots.can_fetch("BadBot", "/index.html")
    assert set(manifest["disallowed"]) == {p for p, page in manifest["pages"].items() if page["disallowed"]}
    assert manifest["disallowed"], "some disallowed pages must exist"
    delay = float(re.search(r"^Crawl-delay: ([\d.]+)$", text, re.MULTILINE).group(1))
    assert delay == manifest["robots"]["crawl_delay"] and 0 < delay <= 0.1


def test_the_calendar_trap_never_ends(generated, manifest, site):
    path, seen = manifest["trap"]["start"], set()
    assert "/events.html" in manifest["pages"] and any(urlsplit(u).path == path for u in site["/events.html"][0])
    for _ in range(40):
        html = trap_page(path)
        assert html is not None and path not in seen and not (generated / "web" / path.lstrip("/")).exists()
        seen.add(path)
        path = re.search(r'href="([^"]+)">Next month', html).group(1)
    assert "/calendar/2027/04.html" in seen
    for bad in ("/calendar/2024/13.html", "/calendar/2024/1.html", "/calendar/0000/01.html", "/calendars/2024/01.html",
                "/calendar/2024/01.htm"):
        assert trap_page(bad) is None, bad


# ----------------------------------------------------------------------------- the planted defects


def test_every_defect_class_is_planted_and_listed(manifest):
    pages = manifest["pages"]
    by_kind = {}
    for path, page in pages.items():
        by_kind.setdefault(page["kind"], []).append(path)
    assert set(by_kind) == KINDS
    for kind in ("spam", "keyword_stuffed", "nav_only", "short", "long", "malformed"):
        expected = by_kind[kind] + (by_kind["keyword_stuffed"] if kind == "spam" else [])
        assert sorted(manifest[kind]) == sorted(expected), kind
    assert sorted(manifest["languages"]) == ["es", "fr"]
    for lang, paths in manifest["languages"].items():
        assert len(paths) >= 10 and all(pages[p]["lang"] == lang for p in paths)
    assert sorted(manifest["non_utf8"]) == sorted(p for p, page in pages.items() if page["encoding"] != "utf-8")
    assert {pages[p]["encoding"] for p in manifest["non_utf8"]} == {"windows-1252", "iso-8859-1"}
    assert sorted(manifest["pii"]) == sorted(p for p, page in pages.items() if page["pii"])
    assert len(manifest["redirects"]) >= 4 and manifest["broken_links"] and manifest["external_links"]
    assert {Path(p).suffix for p in manifest["binary_links"]} == {".pdf", ".png", ".zip"}


def test_main_text_is_really_on_its_page(site, manifest):
    for path, page in manifest["pages"].items():
        text = site[path][1]
        for paragraph in page["main_text"].split("\n\n") if page["main_text"] else []:
            assert normalise(paragraph) in text, (path, paragraph)
        assert bool(page["main_text"]) == (page["kind"] != "nav_only"), path


def test_boilerplate_is_not_main_text(manifest):
    boilerplate = ("We use cookies", "Sign up for our free newsletter", "Related pages", "All rights reserved")
    for page in manifest["pages"].values():
        assert not [line for line in boilerplate if line in page["main_text"]]


def test_non_utf8_pages_are_not_utf8_and_say_so(generated, manifest):
    for path in manifest["non_utf8"]:
        raw = (generated / "web" / path.lstrip("/")).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert declared_charset(raw) == manifest["pages"][path]["encoding"]


def test_malformed_pages_have_broken_markup_and_good_text(generated, manifest):
    for path in manifest["malformed"]:
        html = (generated / "web" / path.lstrip("/")).read_text(encoding="utf-8")
        assert "</p>" not in html and "</h1></b>" in html
        assert manifest["pages"][path]["good"]


def test_duplicate_groups_are_exact_or_near(generated, manifest):
    pages = manifest["pages"]
    kinds = {"exact": 0, "near": 0}
    for group in manifest["duplicate_groups"]:
        original, *copies = group["members"]
        kinds[group["kind"]] += 1
        assert pages[original]["duplicate_of"] is None and pages[original]["good"]
        for copy in copies:
            assert pages[copy]["duplicate_of"] == original and not pages[copy]["good"]
            a, b = pages[original]["main_text"], pages[copy]["main_text"]
            if group["kind"] == "exact":
                assert a == b
            else:
                assert a != b and jaccard(shingles(a), shingles(b)) >= 0.8
            if pages[copy]["kind"] == "mirror":
                web = generated / "web"
                assert (web / copy.lstrip("/")).read_bytes() == (web / original.lstrip("/")).read_bytes()
    assert kinds["exact"] and kinds["near"]


def test_good_pages_are_not_accidental_near_duplicates(manifest):
    """MinHash over word 5-grams: no two good pages look alike unless the manifest groups them."""
    good = sorted(p for p, page in manifest["pages"].items() if page["good"])
    sets = [shingles(manifest["pages"][p]["main_text"]) for p in good]
    salts = np.random.default_rng(0).integers(1, 2**61 - 1, size=(2, 64), dtype=np.int64)
    prime = np.int64(2**61 - 1)
    signatures = []
    for s in sets:
        x = np.array([zlib.crc32(g.encode()) for g in s], dtype=np.int64)[:, None]
        signatures.append(((x * salts[0] + salts[1]) % prime).min(axis=0))
    buckets = {}
    for i, sig in enumerate(signatures):
        for band in range(16):
            buckets.setdefault((band, sig[band * 4:band * 4 + 4].tobytes()), []).append(i)
    candidates = {(i, j) for members in buckets.values() for i in members for j in members if i < j}
    too_similar = [(good[i], good[j]) for i, j in candidates if jaccard(sets[i], sets[j]) >= 0.6]
    assert not too_similar


def test_personal_data_is_listed_and_only_where_listed(manifest):
    for path, page in manifest["pages"].items():
        found = set(EMAIL.findall(page["main_text"])) | set(IPV4.findall(page["main_text"]))
        found |= {m.strip() for m in PHONE.findall(page["main_text"])}
        listed = {item for items in (page["pii"] or {}).values() for item in items}
        assert found == listed, path
    assert all(manifest["pages"][p]["good"] for p in manifest["pii"])
    kinds = {k for p in manifest["pii"] for k, items in manifest["pages"][p]["pii"].items() if items}
    assert kinds == {"emails", "phones", "ips"}


def test_languages_are_what_the_manifest_says(manifest):
    for page in manifest["pages"].values():
        words = set(re.findall(r"\w+", page["main_text"].lower()))
        if page["lang"] == "fr" and page["kind"] == "foreign":
            assert {"est", "la"} <= words or {"le", "la"} <= words
        elif page["lang"] == "es" and page["kind"] == "foreign":
            assert {"es", "su"} <= words
        elif page["good"]:
            assert len(words & {"the", "a", "is", "and", "are", "of", "to", "in", "it"}) >= 1


# ----------------------------------------------------------------------------- the post-training sets


def test_jsonl_lines_are_sorted_json_with_the_documented_fields(generated, records):
    fields = {"sft": {"messages"}, "preferences": {"prompt", "chosen", "rejected", "reason"},
              "rl": {"prompt", "answer", "kind"}}
    for name, rows in records.items():
        lines = (generated / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(rows) >= 100, name
        for line, row in zip(lines, rows):
            assert line == json.dumps(row, sort_keys=True, ensure_ascii=False)
            assert set(row) == fields[name.split("/")[0]], name
            assert all(isinstance(v, str) and v.strip() for k, v in row.items() if k != "messages")


def test_sft_conversations_alternate_and_end_with_the_assistant(records):
    for name in ("sft/train", "sft/test"):
        multi = 0
        for row in records[name]:
            roles = [m["role"] for m in row["messages"]]
            if roles[0] == "system":
                roles = roles[1:]
            assert roles == ["user", "assistant"] * (len(roles) // 2) and roles, row
            assert all(m["content"].strip() and set(m) == {"role", "content"} for m in row["messages"])
            multi += len(roles) > 2
        assert multi > 0, name


def test_long_replies_get_short_system_messages_so_conversations_fit_the_tiny_context(records):
    for name in ("sft/train", "sft/test"):
        sizes = [sum(len(m["content"]) for m in row["messages"]) for row in records[name]]
        drawn = [size for size, row in zip(sizes, records[name])
                 if row["messages"][0]["role"] == "system" and row["messages"][0]["content"] != TOOL_SYSTEM]
        assert max(drawn) <= CONVERSATION_CHARS, name
        assert sum(size <= CONVERSATION_CHARS for size in sizes) >= 0.95 * len(sizes), name


def test_preference_reasons_and_rl_kinds(records):
    reasons = {"wrong", "rude", "unhelpful", "off_topic", "too_short", "unsafe", "over_refusal"}
    for split in ("train", "test"):
        assert {r["reason"] for r in records[f"preferences/{split}"]} == reasons
        assert all(r["chosen"] != r["rejected"] for r in records[f"preferences/{split}"])
        assert {"arithmetic", "capital"} <= {r["kind"] for r in records[f"rl/{split}"]}
    unsafe = [r for r in records["preferences/train"] + records["preferences/test"] if r["reason"] == "unsafe"]
    assert all(r["chosen"].startswith("I can't help") for r in unsafe)
    assert len(unsafe) == len(UNSAFE_REQUESTS)
    over = [r for r in records["preferences/train"] + records["preferences/test"] if r["reason"] == "over_refusal"]
    assert {r["prompt"]: r["chosen"] for r in over} == dict(BORDERLINE_SAFE)
    assert all(r["rejected"].startswith(("I can't", "I cannot")) for r in over)


def test_rl_answers_are_right(records):
    capitals = {world.country_name(c): c.capital for c in world.COUNTRIES}
    for row in records["rl/train"] + records["rl/test"]:
        if row["kind"] == "arithmetic":
            a, op, b = re.search(r"(\d+)\D+?(\+|-|\*|x|plus|minus|times|by|and|from)\D*?(\d+)", row["prompt"]).groups()
            a, b = int(a), int(b)
            expected = {"+": a + b, "plus": a + b, "and": a + b, "-": a - b, "minus": a - b, "from": b - a,
                        "*": a * b, "x": a * b, "times": a * b, "by": a * b}[op]
            assert row["answer"] == str(expected), row
        if row["kind"] == "capital":
            country = re.search(r"(?:capital(?: city)? of) (.+?)[?.]$", row["prompt"]).group(1)
            assert capitals[country] == row["answer"], row


TOOL_CALL = re.compile(r"([^<]*)<\|calc\|>(\d+) ([-+*]) (\d+)<\|/calc\|>(-?\d+)\.")
TWO_NUMBERS = re.compile(r"\D*(\d+)\D+(\d+)\D*")  # a sum's prompt; no other SFT prompt holds a number


def user_prompt(row: dict) -> str:
    return next(m["content"] for m in row["messages"] if m["role"] == "user")


def test_tool_calls_give_the_true_result_and_only_tool_chats_declare_the_tool(records):
    for split in ("train", "test"):
        tool = direct = 0
        for row in records[f"sft/{split}"]:
            messages, prompt = row["messages"], user_prompt(row)
            marked = [m for m in messages if "<|calc|>" in m["content"] or "<|/calc|>" in m["content"]]
            calls = [m for m in marked if m["role"] != "system"]
            if not calls:
                assert not marked, row  # nor the tool's system message
                if TWO_NUMBERS.fullmatch(prompt):
                    direct += 1
                    assert messages[0]["role"] != "system" or messages[0]["content"] in SYSTEM_PROMPTS, row
                continue
            tool += 1
            assert messages[0] == {"role": "system", "content": TOOL_SYSTEM}, row
            assert TOOL_SYSTEM not in [m["content"] for m in messages[1:]], row
            assert calls == [messages[2]] and messages[1]["role"] == "user", row
            lead, a, op, b, result = TOOL_CALL.fullmatch(messages[2]["content"]).groups()
            assert int(result) == {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}[op], row
            assert sorted(TWO_NUMBERS.fullmatch(prompt).groups()) == sorted([a, b]), row
            assert len(lead.split()) <= 5, row  # a short form, no steps
        sums = sum(r["kind"] == "arithmetic" for r in records[f"rl/{split}"])
        assert tool + direct == sums // 2 and abs(tool - direct) <= 1, (split, tool, direct)
    for row in records["preferences/train"] + records["preferences/test"] + records["rl/train"] + records["rl/test"]:
        assert not [v for v in row.values() if "<|calc|>" in v], row
    assert TOOL_SYSTEM not in SYSTEM_PROMPTS


def test_unsafe_requests_are_refused_and_borderline_ones_answered(records):
    assert len(UNSAFE_REQUESTS) >= 50 and len(BORDERLINE_SAFE) >= 50
    unsafe, borderline = {u[0]: u[1] for u in UNSAFE_REQUESTS}, dict(BORDERLINE_SAFE)
    assert len(unsafe) == len(UNSAFE_REQUESTS) and len(borderline) == len(BORDERLINE_SAFE)
    assert not set(unsafe) & set(borderline)
    for prompt, refusal, compliance in UNSAFE_REQUESTS:
        assert refusal.startswith("I can't help") and not compliance.startswith("I can't"), prompt
        assert len(refusal.split()) <= 45 and len(compliance.split()) <= 25, prompt
    for prompt, reply in BORDERLINE_SAFE:
        assert "I can't" not in reply and "I cannot" not in reply and len(reply.split()) <= 45, prompt
    seen = {}
    for split in ("train", "test"):
        for row in records[f"sft/{split}"]:
            prompt = user_prompt(row)
            if prompt in unsafe or prompt in borderline:
                assert row["messages"][-1]["content"] == (unsafe | borderline)[prompt], row
                assert (prompt in HELD_OUT_UNSAFE | HELD_OUT_BORDERLINE) == (split == "test"), prompt
                seen[prompt] = seen.get(prompt, 0) + 1
        others = [r["prompt"] for r in records[f"preferences/{split}"] if r["reason"] != "over_refusal"]
        assert not set(others + [r["prompt"] for r in records[f"rl/{split}"]]) & set(borderline)
        for reason, requests, held_out in (("unsafe", unsafe, HELD_OUT_UNSAFE),
                                           ("over_refusal", borderline, HELD_OUT_BORDERLINE)):
            paired = {r["prompt"] for r in records[f"preferences/{split}"] if r["reason"] == reason}
            assert paired == {p for p in requests if (p in held_out) == (split == "test")}, reason
    assert seen == dict.fromkeys(unsafe | borderline, 1)
    assert len(HELD_OUT_UNSAFE) == round(len(unsafe) / 5) and len(HELD_OUT_BORDERLINE) == round(len(borderline) / 5)


def first_prompts(records: dict, split: str) -> set:
    prompts = {next(m["content"] for m in r["messages"] if m["role"] == "user") for r in records[f"sft/{split}"]}
    return prompts | {r["prompt"] for r in records[f"preferences/{split}"] + records[f"rl/{split}"]}


def test_train_and_test_splits_are_disjoint(records):
    assert not first_prompts(records, "train") & first_prompts(records, "test")


def test_held_out_questions_never_appear_on_the_web(site, manifest, records):
    web_text = "\n".join(text for _, text in site.values()).lower()
    web_text += "\n".join(page["main_text"] for page in manifest["pages"].values()).lower()
    leaked = [p for p in first_prompts(records, "test") if normalise(p).lower() in web_text]
    assert not leaked


def test_cloze_prompts_are_stated_on_the_web_and_match_the_knowledge_base(manifest):
    text = "\n".join(p["main_text"] for p in manifest["pages"].values() if p["good"])
    prompts = [(r["prompt"], r["answer"]) for r in world.cloze_prompts()]
    assert ("The capital of France is", "Paris") in prompts and len(prompts) >= 300
    rare = [(p, a) for p, a in prompts if text.count(f"{p} {a}") < 3]
    assert not rare
    capitals = {c.capital for c in world.COUNTRIES}
    assert {a for p, a in prompts if p.startswith("The capital of")} == capitals


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_language_id_samples_keep_the_held_out_pages_out_of_training(generated, manifest):
    train, test = read_jsonl(generated / "langid" / "train.jsonl"), read_jsonl(generated / "langid" / "test.jsonl")
    assert {r["lang"] for r in train} == {r["lang"] for r in test} == {"en", "fr", "es"}
    for record in test:
        assert manifest["pages"][record["path"]]["lang"] == record["lang"]
    assert not {r["path"] for r in test} & {r["path"] for r in train}
    assert all(manifest["pages"][r["path"]]["main_text"] == r["text"] for r in train)
    assert max(Counter(r["lang"] for r in train).values()) == 150


def test_fact_probe_prompts_name_their_relation_and_subject(generated):
    rows = read_jsonl(generated / "probe" / "cloze.jsonl")
    assert rows == world.cloze_prompts()
    by_relation = Counter(r["relation"] for r in rows)
    assert by_relation["capital"] == len(world.COUNTRIES) and set(by_relation) >= {"continent", "young", "addition"}
    assert all(r["subject"] and r["answer"] and r["prompt"] for r in rows)


# ----------------------------------------------------------------------------- the datasheet


def test_datasheet_counts_match_the_files(generated, manifest, records):
    readme = (generated / "README.md").read_text(encoding="utf-8")
    eval_sets = {name: read_jsonl(generated / f"{name}.jsonl") for name in ("probe/cloze", "langid/train", "langid/test")}
    for name, rows in {**records, **eval_sets}.items():
        row = re.search(rf"\| `{name}.jsonl` \| [^|]+ \| ([\d,]+) \| ([\d,]+) \|", readme)
        assert int(row.group(1).replace(",", "")) == len(rows), name
        assert int(row.group(2).replace(",", "")) == (generated / f"{name}.jsonl").stat().st_size, name
    web_files = [p for p in (generated / "web").rglob("*") if p.is_file()]
    row = re.search(r"\| `web/` \| [^|]+ \| ([\d,]+) files \| ([\d,]+) \|", readme)
    assert int(row.group(1).replace(",", "")) == len(web_files)
    assert int(row.group(2).replace(",", "")) == sum(p.stat().st_size for p in web_files)
    others = [p for p in generated.rglob("*") if p.is_file() and p.name not in ("README.md", "notes.txt", files.OWNER_FILE)]
    total = re.search(r"All of data/ except this README: ([\d,]+) bytes in ([\d,]+) files", readme)
    assert int(total.group(1).replace(",", "")) == sum(p.stat().st_size for p in others)
    assert int(total.group(2).replace(",", "")) == len(others)
    good = [p for p in manifest["pages"].values() if p["good"]]
    row = re.search(r"Good pages [^:]*: ([\d,]+), with ([\d,]+) bytes", readme)
    assert int(row.group(1).replace(",", "")) == len(good)
    assert int(row.group(2).replace(",", "")) == sum(len(p["main_text"].encode()) for p in good)
    kinds = dict(re.findall(r"(\w+) ([\d,]+)", re.search(r"Pages by kind: ([^.]+)\.", readme).group(1)))
    for kind in KINDS:
        assert int(kinds[kind].replace(",", "")) == sum(p["kind"] == kind for p in manifest["pages"].values())
    for split in ("train", "test"):
        rows = records[f"sft/{split}"]
        numbers = re.search(rf"{split.title()}: ([\d,]+) conversations, ([\d,]+) of them multi-turn, ([\d,]+) with a "
                            "system message", readme).groups()
        assert [int(n.replace(",", "")) for n in numbers] == [
            len(rows), sum(len(r["messages"]) > 3 for r in rows), sum(r["messages"][0]["role"] == "system" for r in rows)]
        prompts = [user_prompt(r) for r in rows]
        tool = sum(any("<|calc|>" in m["content"] for m in r["messages"]) for r in rows)
        direct = sum(bool(TWO_NUMBERS.fullmatch(p)) for p in prompts) - tool
        numbers = re.search(rf"{split.title()}: ([\d,]+) sums with the calculator, ([\d,]+) answered directly",
                            readme).groups()
        assert [int(n.replace(",", "")) for n in numbers] == [tool, direct]
        numbers = re.search(rf"{split.title()}: ([\d,]+) refusals, ([\d,]+) borderline", readme).groups()
        assert [int(n.replace(",", "")) for n in numbers] == [
            sum(p in {u[0] for u in UNSAFE_REQUESTS} for p in prompts), sum(p in dict(BORDERLINE_SAFE) for p in prompts)]
        line = re.search(rf"`preferences/\*\.jsonl`.*?{split.title()}: ([^.]+)\.", readme, re.DOTALL).group(1)
        counts = {k: int(v.replace(",", "")) for k, v in re.findall(r"(\w+) ([\d,]+)", line)}
        reasons = [r["reason"] for r in records[f"preferences/{split}"]]
        assert counts == {reason: reasons.count(reason) for reason in set(reasons)}


# ----------------------------------------------------------------------------- what the fact probe can know


def sentences_of(manifest) -> list[str]:
    text = "\n".join(p["main_text"] for p in manifest["pages"].values() if p["good"] and p["lang"] == "en")
    return [s.lower() for s in re.split(r"(?<=[.!?])\s+|\n+", text)]


def test_paraphrased_probes_are_never_on_the_web(generated, manifest, site):
    web = "\n".join([p["main_text"] for p in manifest["pages"].values()] + [text for _, text in site.values()]).lower()
    rows = read_jsonl(generated / "probe" / "paraphrase.jsonl")
    assert {r["relation"] for r in rows} >= {"capital", "capital_of", "continent", "language", "young", "habitat"}
    assert not [r["prompt"] for r in rows if r["prompt"].lower() in web]
    cloze = read_jsonl(generated / "probe" / "cloze.jsonl")
    assert {(r["relation"], r["subject"]) for r in rows if r["relation"] != "capital_of"} <= \
        {(r["relation"], r["subject"]) for r in cloze}, "every paraphrased fact is also probed held-in"


def test_every_probed_fact_is_stated_many_times(generated, manifest):
    """Knowledge needs exposures: each country, animal and planet fact stands in many sentences of the good pages."""
    sentences = sentences_of(manifest)
    names = {a.name: (a.name, a.plural) for a in world.ANIMALS} | {c.name: (c.name,) for c in world.COUNTRIES}
    counts = {}
    for r in read_jsonl(generated / "probe" / "cloze.jsonl"):
        if r["relation"] in ("capital", "continent", "language", "young", "habitat"):
            answer = r["answer"].lower().removeprefix("a ").removeprefix("an ")
            subjects = [n.lower() for n in names[r["subject"]]]
            counts.setdefault(r["relation"], []).append(
                sum(answer in s and any(n in s for n in subjects) for s in sentences))
    # a few dozen readings each, in several wordings; the old world stated a capital about 10 times and the
    # tiny model learned none of them (benchmarks/RESULTS.md)
    least = {relation: min(c) for relation, c in counts.items()}
    assert least["capital"] >= 50 and least["continent"] >= 50 and least["language"] >= 25, least
    assert least["young"] >= 40 and least["habitat"] >= 60, least
    for p in world.PLANETS:
        place = (f" {ordinal(p.order)}", f"number {number_word(p.order)}")
        assert sum(p.name.lower() in s and any(w in s for w in place) for s in sentences) >= 50, p.name
