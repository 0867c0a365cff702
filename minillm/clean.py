"""Cleaning: from crawled HTML to a filtered, deduplicated, PII-masked text corpus (lesson 02).

The steps follow FineWeb's pipeline (Penedo et al. 2024, datatrove's examples/fineweb.py), in its order:

    URL blocklist -> main-text extraction -> language ID -> Gopher repetition -> Gopher quality
    -> C4 lines -> FineWeb's own filters -> exact dedup -> MinHash near-dedup -> PII masking

Each filter is a small function `text -> (keep, reason)`; `clean_pages` runs them all and counts what each
step removed (the funnel). Everything is from scratch: the extractor walks BeautifulSoup's tree, language ID
is a character n-gram naive Bayes trained on the bundled world's own text, MinHash + LSH is numpy.

Entry points: extract_text, extraction_scores, url_filter, language_filter, gopher_repetition_filter,
gopher_quality_filter, c4_filter, fineweb_filter, shingles, minhash_signatures, lsh_pairs, UnionFind,
deduplicate, mask_pii, clean_pages, CleanConfig, PRESETS, build_stage, add_arguments, run_from_args.
"""

import functools
import hashlib
import ipaddress
import itertools
import json
import math
import re
import shutil
import string
import tempfile
import unicodedata
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import numpy as np
from bs4 import BeautifulSoup, Comment
from tqdm.auto import tqdm

from minillm import artifacts
from minillm.crawl import BUNDLED_SITE, decode_html
from minillm.errors import UserError
from minillm.files import DATA_DIR, atomic_path, atomic_write_text, make_dir, replace_folder

# ----------------------------------------------------------------------------- words


WORD_RE = re.compile(r"\w+(?:['’]\w+)*")


def words(text: str) -> list[str]:
    """Words as the funnel and the extraction score count them: runs of letters/digits, apostrophes inside."""
    return WORD_RE.findall(text)


def nonempty_lines(text: str) -> list[str]:
    """Lines with something on them, stripped.

    FineWeb's filters were written for Trafilatura's output, one paragraph per line; ours keeps a blank
    line between paragraphs, so every line rule below skips blank lines to mean the same thing."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# ----------------------------------------------------------------------------- main-text extraction

# Whole elements that are never main text.
DROP_TAGS = ["script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "embed", "head",
             "nav", "header", "footer", "aside", "form", "button", "select", "textarea", "input", "label",
             "menu", "dialog"]
# ARIA roles that mark page furniture rather than content.
DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alert", "menu"}
# class/id words of boilerplate inside or around the content: cookie banners, menus, share bars, bylines, ads...
# ("header" and "footer" are not here: an article's "entry-header" holds its title; the tags are dropped above)
BOILERPLATE_NAME = re.compile(
    r"(^|[-_\s])(cookies?|consent|gdpr|banner|nav|navbar|navigation|menu|breadcrumbs?|sidebar|share|social|"
    r"newsletter|subscribe|signup|advert|ads?|sponsor(ed)?|promo|popup|modal|related|skip|toolbar|pagination|"
    r"pager|tags|widget|byline|author|meta|date|dateline|actions)([-_\s]|$)",
    re.IGNORECASE,
)
# Elements whose text forms one block (a paragraph) of the output.
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre", "td", "th",
              "figcaption", "caption", "address", "summary"}
CONTAINER_TAGS = {"div", "section", "article", "main", "body", "ul", "ol", "dl", "table", "tbody", "thead", "tr",
                  "figure", "details"}
PARAGRAPH_TAGS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "dd", "td"]
MAX_LINK_DENSITY = 0.5  # a block whose text is mostly link text is a menu, a tag cloud or a "related" list


def is_boilerplate(tag) -> bool:
    if tag.name in DROP_TAGS or tag.get("role") in DROP_ROLES:
        return True
    if tag.has_attr("hidden") or tag.get("aria-hidden") == "true":
        return True
    if re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", tag.get("style", ""), re.IGNORECASE):
        return True
    names = " ".join(tag.get("class", [])) + " " + tag.get("id", "")
    return bool(BOILERPLATE_NAME.search(names))


def main_container(soup):
    """Where the content is: <main>, else the largest <article>, else role=main, else the smallest element
    around the title (the first <h1>) that holds most of the page's paragraph text."""
    if main := soup.find("main"):
        return main
    if articles := soup.find_all("article"):
        return max(articles, key=lambda a: len(a.get_text()))
    if main := soup.find(attrs={"role": "main"}):
        return main
    text_below = Counter()  # id(element) -> characters of reading text in the blocks inside it
    blocks = soup.find_all(PARAGRAPH_TAGS)
    for block in blocks:
        length = own_text_length(block)
        for element in (block, *block.parents):
            text_below[id(element)] += length
    start = soup.find("h1") or max(blocks, key=own_text_length, default=None)
    if start is None:
        return soup.body or soup
    return next(e for e in (start, *start.parents) if text_below[id(e)] >= 0.5 * text_below[id(soup)])


def text_of(tag) -> str:
    """The text of an element, whitespace collapsed; inline tags add no space ("<a>Asia</a>," stays "Asia,")."""
    return " ".join(tag.get_text().split())


def own_text_length(tag) -> int:
    """Characters of text outside links: what a reader reads rather than clicks."""
    return len(text_of(tag)) - sum(len(text_of(a)) for a in tag.find_all("a"))


def link_density(tag) -> float:
    """Fraction of a block's characters that sit inside links."""
    total = len(text_of(tag))
    linked = sum(len(text_of(a)) for a in tag.find_all("a"))
    return linked / total if total else 0.0


def collect_blocks(tag, blocks: list[str]) -> None:
    """Depth-first: a block tag (or a container holding only inline content) gives one paragraph."""
    if tag.name in BLOCK_TAGS or not any(getattr(child, "name", None) in BLOCK_TAGS | CONTAINER_TAGS
                                         for child in tag.children):
        text = text_of(tag)
        if text and link_density(tag) <= MAX_LINK_DENSITY:
            blocks.append(text)
        return
    for child in tag.children:
        if getattr(child, "name", None):
            collect_blocks(child, blocks)
        elif isinstance(child, str) and not isinstance(child, Comment) and child.strip():
            blocks.append(" ".join(child.split()))  # loose text between blocks is a paragraph of its own


def close_implied_ends(soup) -> None:
    """A browser ends an open <p> when a block starts, and an open <li> at the next <li>; Python's html.parser
    nests them instead (`<p>a<p>b` becomes p(a, p(b))). Move everything from the first misplaced child on out."""
    for tag in reversed(soup.find_all(["p", "li"])):
        misplaced = CONTAINER_TAGS | BLOCK_TAGS if tag.name == "p" else {"li"}
        first = next((c for c in tag.children if getattr(c, "name", None) in misplaced), None)
        if first is not None:
            for node in reversed([first, *first.next_siblings]):
                tag.insert_after(node.extract())


def extract_text(html: str) -> str:
    """The main text of an HTML page: its paragraphs, headings and list items, separated by blank lines."""
    soup = BeautifulSoup(html, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    close_implied_ends(soup)
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(is_boilerplate):
        tag.decompose()
    container = main_container(soup)
    if link_density(container) > 0.9:
        return ""  # a page that is nothing but links (an index, a sitemap) has no main text
    blocks: list[str] = []
    collect_blocks(container, blocks)
    return "\n\n".join(blocks)


def extraction_scores(extracted: str, truth: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the extracted words against the true main text (bags of lower-cased words)."""
    got, want = Counter(w.lower() for w in words(extracted)), Counter(w.lower() for w in words(truth))
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else float(not want)
    recall = overlap / sum(want.values()) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# ----------------------------------------------------------------------------- filter 1: URL blocklist

# FineWeb blocks 4.6M domains from the UT1 list plus URLs containing banned words (datatrove URLFilter).
# A course-sized stand-in: words whose presence in a URL's host or path marks spam or adult content.
URL_BANNED_WORDS = ("casino", "poker", "betting", "viagra", "cialis", "porn", "xxx", "escort", "payday",
                    "replica", "cheap-pills", "free-money", "get-rich", "crypto-giveaway")


def url_words(url: str) -> list[str]:
    parsed = urlparse(url)
    return re.split(r"[^a-z0-9]+", unquote(f"{parsed.hostname or ''} {parsed.path} {parsed.query}").lower())


def url_filter(url: str, banned=URL_BANNED_WORDS, blocked_hosts=()) -> tuple[bool, str]:
    """Drop a page whose host is blocked or whose URL contains a banned word (whole words or hyphenated phrases)."""
    host = (urlparse(url).hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in blocked_hosts):
        return False, "url:blocked_host"
    joined = "-".join(w for w in url_words(url) if w)
    parts = set(joined.split("-"))
    for word in banned:
        if word in parts or ("-" in word and f"-{word}-" in f"-{joined}-"):
            return False, f"url:{word}"
    return True, ""


# ----------------------------------------------------------------------------- filter 2: language ID


@dataclass
class LanguageModel:
    """Multinomial naive Bayes over character n-grams: log P(gram | language), with add-alpha smoothing."""

    orders: tuple[int, ...]
    log_prob: dict[str, dict[str, float]]  # language -> n-gram -> log probability
    log_unseen: dict[str, float]  # language -> log probability of an n-gram never seen in training

    @property
    def languages(self) -> list[str]:
        return sorted(self.log_prob)


def char_ngrams(text: str, orders=(1, 2, 3), limit: int = 2000) -> list[str]:
    """Character n-grams of the lower-cased words, padded with spaces so that word starts and ends count."""
    letters = " ".join(re.findall(r"[^\W\d_]+", text.lower()[:limit]))
    padded = f" {letters} "
    return [padded[i:i + n] for n in orders for i in range(len(padded) - n + 1) if padded[i:i + n].strip()]


def train_language_model(texts: dict[str, list[str]], orders=(1, 2, 3), alpha: float = 0.5) -> LanguageModel:
    """Count n-grams per language; smoothing gives unseen n-grams a small, non-zero probability."""
    counts = {lang: Counter(g for t in ts for g in char_ngrams(t, orders, limit=10**9)) for lang, ts in texts.items()}
    vocabulary = set().union(*counts.values())
    log_prob, log_unseen = {}, {}
    for lang, c in counts.items():
        denominator = sum(c.values()) + alpha * (len(vocabulary) + 1)
        log_prob[lang] = {g: math.log((n + alpha) / denominator) for g, n in c.items()}
        log_unseen[lang] = math.log(alpha / denominator)
    return LanguageModel(tuple(orders), log_prob, log_unseen)


def language_scores(text: str, model: LanguageModel) -> dict[str, float]:
    """P(language | text) with a uniform prior: softmax of each language's total log-likelihood.

    Naive Bayes treats overlapping n-grams as independent, so these probabilities are overconfident;
    they are close to 0 or 1 except on text that really mixes languages or has almost no letters."""
    grams = Counter(char_ngrams(text, model.orders))
    if not grams:
        return {lang: 1 / len(model.languages) for lang in model.languages}
    loglik = {lang: sum(n * model.log_prob[lang].get(g, model.log_unseen[lang]) for g, n in grams.items())
              for lang in model.languages}
    top = max(loglik.values())
    exp = {lang: math.exp(v - top) for lang, v in loglik.items()}
    total = sum(exp.values())
    return {lang: e / total for lang, e in exp.items()}


def identify_language(text: str, model: LanguageModel | None = None) -> tuple[str, float]:
    scores = language_scores(text, model or default_language_model())
    lang = max(scores, key=scores.get)
    return lang, scores[lang]


def read_jsonl(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    except FileNotFoundError:
        raise UserError(f"no {path}: regenerate the bundled data with `minillm world`") from None


def language_training_texts() -> dict[str, list[str]]:
    """The language-ID training texts the bundled world provides (data/langid/train.jsonl), per language."""
    texts = defaultdict(list)
    for record in read_jsonl(DATA_DIR / "langid" / "train.jsonl"):
        texts[record["lang"]].append(record["text"])
    return dict(texts)


@functools.cache
def default_language_model() -> LanguageModel:
    """Trained on first use, deterministically (the generator is seeded), in well under a second."""
    return train_language_model(language_training_texts())


def language_filter(text: str, language: str = "en", threshold: float = 0.65, model=None) -> tuple[bool, str]:
    """Keep text in `language` with probability >= threshold (FineWeb: fastText English score >= 0.65)."""
    lang, score = identify_language(text, model)
    if lang != language:
        return False, f"language:{lang}"
    if score < threshold:
        return False, "language:unsure"
    return True, ""


# ----------------------------------------------------------------------------- filter 3: Gopher repetition
# Rae et al. 2021 ("Gopher"), table A1; the thresholds of datatrove's GopherRepetitionFilter, run by FineWeb.

DUP_LINE_FRAC = 0.30  # duplicate lines / lines
DUP_PARA_FRAC = 0.30  # duplicate paragraphs / paragraphs
DUP_LINE_CHAR_FRAC = 0.20  # characters in duplicate lines / characters
DUP_PARA_CHAR_FRAC = 0.20  # characters in duplicate paragraphs / characters
TOP_NGRAM_CHAR_FRAC = {2: 0.20, 3: 0.18, 4: 0.16}  # characters covered by the most frequent n-gram
DUP_NGRAM_CHAR_FRAC = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}  # characters in repeated n-grams


def duplicates(items: list[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and how many characters those repeats hold."""
    seen, count, chars = set(), 0, 0
    for item in items:
        if item in seen:
            count, chars = count + 1, chars + len(item)
        seen.add(item)
    return count, chars


def ngrams(tokens: list[str], n: int) -> list[str]:
    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def top_ngram_chars(grams: list[str]) -> int:
    """Characters covered by the most frequent n-gram (its length times its count)."""
    gram, count = Counter(grams).most_common(1)[0]
    return len(gram) * count


def repeated_ngram_chars(tokens: list[str], n: int) -> int:
    """Characters in n-grams that repeat an earlier one; after a repeat, skip past it so words count once."""
    seen, chars, i = set(), 0, 0
    while i <= len(tokens) - n:
        gram = " ".join(tokens[i:i + n])
        if gram in seen:
            chars += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


def gopher_repetition_filter(text: str) -> tuple[bool, str]:
    """Drop documents that repeat themselves: whole lines, paragraphs or n-grams (Gopher's repetition rules)."""
    n_chars = max(len(text), 1)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    lines = nonempty_lines(text)
    for name, parts, frac, char_frac in (("paragraph", paragraphs, DUP_PARA_FRAC, DUP_PARA_CHAR_FRAC),
                                         ("line", lines, DUP_LINE_FRAC, DUP_LINE_CHAR_FRAC)):
        count, chars = duplicates(parts)
        if parts and count / len(parts) > frac:
            return False, f"gopher_rep:dup_{name}_frac"
        if chars / n_chars > char_frac:
            return False, f"gopher_rep:dup_{name}_char_frac"
    tokens = words(text)
    for n, frac in TOP_NGRAM_CHAR_FRAC.items():
        grams = ngrams(tokens, n)
        if grams and top_ngram_chars(grams) / n_chars > frac:
            return False, f"gopher_rep:top_{n}_gram"
    for n, frac in DUP_NGRAM_CHAR_FRAC.items():
        if repeated_ngram_chars(tokens, n) / n_chars > frac:
            return False, f"gopher_rep:dup_{n}_gram"
    return True, ""


# ----------------------------------------------------------------------------- filter 4: Gopher quality
# Rae et al. 2021, appendix A1.1; thresholds of datatrove's GopherQualityFilter, run by FineWeb.

MIN_WORDS, MAX_WORDS = 50, 100_000  # words per document
MIN_MEAN_WORD_LENGTH, MAX_MEAN_WORD_LENGTH = 3, 10  # characters
MAX_SYMBOL_WORD_RATIO = 0.1  # "#" per word, and "..." per word
MAX_BULLET_LINES = 0.9  # fraction of lines starting with a bullet
MAX_ELLIPSIS_LINES = 0.3  # fraction of lines ending with an ellipsis
MIN_ALPHA_WORDS = 0.8  # fraction of words with at least one letter
MIN_STOP_WORDS = 2  # English function words: real prose always has some
STOP_WORDS = {"the", "be", "to", "of", "and", "that", "have", "with"}
BULLETS = ("•", "‣", "◦", "●", "▪", "-", "*")


def gopher_words(text: str) -> list[str]:
    """Whitespace-separated words without surrounding punctuation (punctuation alone is not a word)."""
    return [w for w in (t.strip(string.punctuation + "“”‘’…") for t in text.split()) if w]


def gopher_quality_filter(text: str) -> tuple[bool, str]:
    """Drop documents that do not look like prose: too short or long, odd word lengths, symbols, no stop words."""
    ws = gopher_words(text)
    if len(ws) < MIN_WORDS:
        return False, "gopher_quality:too_few_words"
    if len(ws) > MAX_WORDS:
        return False, "gopher_quality:too_many_words"
    mean_length = sum(map(len, ws)) / len(ws)
    if not MIN_MEAN_WORD_LENGTH <= mean_length <= MAX_MEAN_WORD_LENGTH:
        return False, "gopher_quality:mean_word_length"
    if text.count("#") / len(ws) > MAX_SYMBOL_WORD_RATIO:
        return False, "gopher_quality:hash_ratio"
    if (text.count("...") + text.count("…")) / len(ws) > MAX_SYMBOL_WORD_RATIO:
        return False, "gopher_quality:ellipsis_ratio"
    lines = nonempty_lines(text)
    if sum(line.startswith(BULLETS) for line in lines) / len(lines) > MAX_BULLET_LINES:
        return False, "gopher_quality:bullet_lines"
    if sum(line.endswith(("...", "…")) for line in lines) / len(lines) > MAX_ELLIPSIS_LINES:
        return False, "gopher_quality:ellipsis_lines"
    if sum(any(c.isalpha() for c in w) for w in ws) / len(ws) < MIN_ALPHA_WORDS:
        return False, "gopher_quality:alpha_words"
    if sum(w.lower() in STOP_WORDS for w in ws) < MIN_STOP_WORDS:
        return False, "gopher_quality:stop_words"
    return True, ""


# ----------------------------------------------------------------------------- filter 5: C4 lines
# Raffel et al. 2020 (C4) and TFDS c4_utils, as datatrove's C4QualityFilter; FineWeb runs it with the
# terminal-punctuation rule off (filter_no_terminal_punct=False), so this one has no such rule.

C4_MIN_WORDS_PER_LINE = 3  # shorter lines (menus, buttons, headings) are dropped
C4_MAX_WORD_LENGTH = 1000  # a line with a longer "word" is a blob of code or data
C4_MIN_SENTENCES = 5  # documents with fewer sentences left are dropped
C4_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
CITATION_RE = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]", re.IGNORECASE)
SENTENCE_END_RE = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)")


def c4_line_verdict(line: str) -> str:
    """'' to keep a line; 'drop' to drop it; 'lorem_ipsum' or 'curly_bracket' to drop the whole document."""
    ws = line.split()
    if any(len(w) > C4_MAX_WORD_LENGTH for w in ws):
        return "drop"
    if len(ws) < C4_MIN_WORDS_PER_LINE:
        return "drop"
    lower = line.lower()
    if "lorem ipsum" in lower:
        return "lorem_ipsum"
    if "javascript" in lower:
        return "drop"
    if "{" in line:
        return "curly_bracket"
    if any(p in lower for p in C4_POLICY):
        return "drop"
    return ""


def count_sentences(line: str) -> int:
    return max(1, len(SENTENCE_END_RE.findall(line)))


def c4_lines(text: str) -> str:
    """The text with C4's dropped lines removed (citation marks cut), paragraphs still separated by blank lines."""
    kept = [" ".join(CITATION_RE.sub("", line).split()) for line in nonempty_lines(text) if c4_line_verdict(line) == ""]
    return "\n\n".join(kept)


def c4_filter(text: str) -> tuple[bool, str]:
    """Drop a document with lorem ipsum or a curly bracket, or with fewer than 5 sentences in its kept lines."""
    sentences = 0
    for line in nonempty_lines(text):
        verdict = c4_line_verdict(line)
        if verdict not in ("", "drop"):
            return False, f"c4:{verdict}"
        if verdict == "":
            sentences += count_sentences(line)
    if sentences < C4_MIN_SENTENCES:
        return False, "c4:too_few_sentences"
    return True, ""


# ----------------------------------------------------------------------------- filter 6: FineWeb's own
# Penedo et al. 2024 (the FineWeb blog post and paper, "additional heuristic filters"); the thresholds are the
# defaults of datatrove's FineWebQualityFilter, which examples/fineweb.py runs unchanged.

LINE_PUNCT_MIN = 0.12  # drop if at most 12 % of lines end in terminal punctuation
SHORT_LINE_LENGTH = 30  # characters
SHORT_LINE_MAX = 0.67  # drop if at least 67 % of lines are that short
DUP_LINE_CHARS_MAX = 0.01  # drop if at least 1 % of the characters sit in repeated lines
NEWLINE_WORD_MAX = 0.3  # drop if there is more than one line break per ~3 words: a list, not prose
TERMINAL_PUNCTUATION = (".", "!", "?", '"', "'", "”", "’", "…")  # datatrove's . ! ? " ' and their typographic forms


def fineweb_filter(text: str) -> tuple[bool, str]:
    """Drop list-like and templated documents that pass Gopher and C4 (FineWeb's three custom filters + list ratio)."""
    lines = nonempty_lines(text)
    if not lines:
        return False, "fineweb:empty"
    if sum(line.endswith(TERMINAL_PUNCTUATION) for line in lines) / len(lines) <= LINE_PUNCT_MIN:
        return False, "fineweb:line_punct_ratio"
    if sum(len(line) <= SHORT_LINE_LENGTH for line in lines) / len(lines) >= SHORT_LINE_MAX:
        return False, "fineweb:short_line_ratio"
    if duplicates(lines)[1] / max(sum(map(len, lines)), 1) >= DUP_LINE_CHARS_MAX:
        return False, "fineweb:char_dup_ratio"
    # a paragraph break counts as one line break, as in the single-newline text FineWeb filtered
    if (len(lines) - 1) / max(len(words(text)), 1) > NEWLINE_WORD_MAX:
        return False, "fineweb:list_ratio"
    return True, ""


# ----------------------------------------------------------------------------- deduplication


def normalize(text: str) -> str:
    """Text as duplicates are compared: Unicode-folded, lower-case, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.findall(r"[^\W_]+", text))


def text_hash(text: str) -> str:
    return hashlib.sha1(normalize(text).encode()).hexdigest()


def shingles(text: str, n: int = 5) -> set[str]:
    """The set of word n-grams of the normalised text (the whole text if it has fewer than n words)."""
    tokens = normalize(text).split()
    if len(tokens) < n:
        return {" ".join(tokens)} if tokens else set()
    return set(ngrams(tokens, n))


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


EMPTY_HASH = 1 << 32  # larger than every hash value: the signature of a text without shingles


def hash_permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of num_perm random hash functions h(x) = ((a x + b) mod 2^64) >> 32 on 32-bit x.

    This multiply-add-shift family (Dietzfelbinger 1996) is strongly universal: each h scrambles the order of
    the shingle ids independently of the others, which is what MinHash needs. numpy's uint64 arithmetic wraps
    around mod 2^64 by itself. (Beware the tempting (a x + b) mod p with small a: it keeps the order of x.)"""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << 64, size=num_perm, dtype=np.uint64, endpoint=False)
    b = rng.integers(0, 1 << 64, size=num_perm, dtype=np.uint64, endpoint=False)
    return a, b


def shingle_ids(shingle_set: set[str]) -> np.ndarray:
    """32-bit ids of the shingles (CRC-32: fast and the same in every process, unlike Python's hash())."""
    return np.fromiter((zlib.crc32(s.encode()) for s in shingle_set), dtype=np.uint64, count=len(shingle_set))


def minhash_signature(shingle_set: set[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each hash function, the smallest hash over the shingles: P(equal) = Jaccard similarity."""
    if not shingle_set:
        return np.full(len(a), EMPTY_HASH, dtype=np.uint64)
    x = shingle_ids(shingle_set)  # (S,)
    hashes = (a[:, None] * x[None, :] + b[:, None]) >> np.uint64(32)  # (P, S)
    return hashes.min(axis=1)  # (P,)


def minhash_signatures(texts: list[str], num_perm: int = 112, n: int = 5, seed: int = 1,
                       progress: bool = False) -> np.ndarray:
    a, b = hash_permutations(num_perm, seed)
    signatures = np.empty((len(texts), num_perm), dtype=np.uint64)  # (N, P)
    for i, text in enumerate(tqdm(texts, desc="minhash", unit="doc", disable=not progress)):
        signatures[i] = minhash_signature(shingles(text, n), a, b)
    return signatures


def candidate_probability(similarity, bands: int = 14, rows: int = 8):
    """The LSH S-curve: two documents share a bucket in at least one band with probability 1 - (1 - s^r)^b.

    With FineWeb's 14 bands x 8 rows (112 hashes) the curve is steepest near (1/b)^(1/r) = 0.72: pairs at
    Jaccard 0.75 are found 77 % of the time, at 0.8 in 92 %, at 0.9 in 99.9 %, at 0.5 only in 5 %."""
    s = np.asarray(similarity, dtype=float)
    return 1 - (1 - s**rows) ** bands


def lsh_pairs(signatures: np.ndarray, bands: int = 14, rows: int = 8) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, that share all `rows` values of at least one band."""
    if signatures.shape[1] != bands * rows:
        raise UserError(f"signatures have {signatures.shape[1]} hashes, but {bands} bands x {rows} rows need "
                        f"{bands * rows}")
    pairs = set()
    for band in range(bands):
        buckets = defaultdict(list)
        for i, key in enumerate(signatures[:, band * rows:(band + 1) * rows]):
            buckets[key.tobytes()].append(i)
        for members in buckets.values():
            # a chain through the bucket is enough for the clusters; all pairs would be quadratic
            pairs.update(itertools.pairwise(members))
    return pairs


class UnionFind:
    """Disjoint sets over 0..n-1; each set's root is its smallest member, the document kept."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]  # path halving keeps the trees flat
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)

    def clusters(self) -> list[list[int]]:
        groups = defaultdict(list)
        for i in range(len(self.parent)):
            groups[self.find(i)].append(i)
        return list(groups.values())


@dataclass
class DedupResult:
    exact_dropped: list[int]  # indices of documents equal (after normalising) to an earlier one
    near_dropped: list[int]  # indices of the remaining documents in a MinHash cluster with an earlier one
    clusters: list[list[int]]  # every duplicate cluster (exact and near links together), size >= 2


def deduplicate(texts: list[str], n: int = 5, bands: int = 14, rows: int = 8, seed: int = 1,
                progress: bool = False) -> DedupResult:
    """Exact dedup by hash of the normalised text, then MinHash + LSH on the rest; the first of a cluster is kept."""
    everything = UnionFind(len(texts))
    first_with_hash, exact_dropped = {}, []
    for i, text in enumerate(texts):
        h = text_hash(text)
        if h in first_with_hash:
            exact_dropped.append(i)
            everything.union(first_with_hash[h], i)
        else:
            first_with_hash[h] = i
    unique = sorted(first_with_hash.values())
    signatures = minhash_signatures([texts[i] for i in unique], bands * rows, n, seed, progress)
    near = UnionFind(len(unique))
    for i, j in lsh_pairs(signatures, bands, rows):
        near.union(i, j)
        everything.union(unique[i], unique[j])
    near_dropped = sorted(unique[i] for i in range(len(unique)) if near.find(i) != i)
    clusters = [c for c in everything.clusters() if len(c) > 1]
    return DedupResult(exact_dropped, near_dropped, clusters)


def cluster_pairs(clusters) -> set[tuple]:
    """All unordered pairs within each cluster (members must be sortable: indices or URLs)."""
    return {pair for c in clusters for pair in itertools.combinations(sorted(c), 2)}


def pair_scores(predicted: set, true: set) -> tuple[float, float]:
    """Precision and recall of predicted duplicate pairs against the true ones."""
    hits = len(predicted & true)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(true) if true else 1.0
    return precision, recall


# ----------------------------------------------------------------------------- PII masking
# FineWeb replaces e-mail addresses and public IP addresses before release; we also mask phone numbers.

EMAIL_MASK, PHONE_MASK, IP_MASK = "<email>", "<phone>", "<ip>"
PII_RE = re.compile(
    r"(?P<email>\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)"
    r"|(?P<ip>(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]))"
    # a phone number: an optional +country code and (area code), then 2 to 5 digit groups joined by spaces,
    # dots or dashes; looks_like_phone then checks the digit count and tells phones from dates and big numbers
    r"|(?P<phone>(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,5}){1,4}(?![\w-]))"
)


# Addresses that never identify anyone on the internet. The TEST-NET documentation ranges are not here: text
# uses them in place of real public addresses (the bundled world does too), so they are masked like those.
LOCAL_NETWORKS = [ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4")]


def is_public_ip(text: str) -> bool:
    """A valid IPv4 address outside the private, loopback, link-local, carrier-NAT, multicast and reserved blocks."""
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return not any(ip in network for network in LOCAL_NETWORKS)


def looks_like_phone(text: str) -> bool:
    """7 to 15 digits written like a phone number: after a + or an (area code), or in three groups joined by
    dashes or dots (555-201-7788); not a date (2023-05-01), a range (2016-2023) or a big number (149 600 000)."""
    digits = sum(c.isdigit() for c in text)
    if not 7 <= digits <= 15 or re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return False
    return text.startswith(("+", "(")) or bool(re.fullmatch(r"\d{2,4}([.-])\d{2,4}\1\d{2,5}", text))


def mask_pii(text: str) -> tuple[str, dict[str, int]]:
    """Replace e-mail addresses, phone numbers and public IPv4 addresses; return the text and the counts."""
    counts = {"email": 0, "phone": 0, "ip": 0}

    def replace_match(m: re.Match) -> str:
        kind, value = m.lastgroup, m.group()
        if kind == "ip" and not is_public_ip(value):
            return value
        if kind == "phone" and not looks_like_phone(value):
            return value
        counts[kind] += 1
        return {"email": EMAIL_MASK, "phone": PHONE_MASK, "ip": IP_MASK}[kind]

    return PII_RE.sub(replace_match, text), counts


# ----------------------------------------------------------------------------- the pipeline


@dataclass
class CleanConfig:
    language: str = "en"  # the language kept
    language_threshold: float = 0.65  # FineWeb keeps fastText English scores >= 0.65
    url_banned_words: tuple[str, ...] = URL_BANNED_WORDS
    blocked_hosts: tuple[str, ...] = ()
    shingle_size: int = 5  # words per shingle (FineWeb: 5-grams)
    bands: int = 14  # FineWeb: 14 buckets ...
    rows: int = 8  # ... of 8 hashes each, 112 in all
    seed: int = 1
    mask_pii: bool = True


PRESETS = {"tiny": CleanConfig(), "small": CleanConfig(), "gpt2": CleanConfig()}


@dataclass
class Document:
    url: str
    extracted: str  # the main text as extracted, before any filter edits it
    text: str  # the text as it stands now (C4 drops lines, PII is masked)
    dropped: str = ""  # the step and reason that removed it ("" while kept)


@dataclass
class Funnel:
    """Documents and words still kept after each step, and why the others were dropped."""

    steps: list = field(default_factory=list)

    def record(self, step: str, docs: list[Document], dropped: Counter) -> None:
        kept = [d for d in docs if not d.dropped]
        self.steps.append({"step": step, "docs": len(kept), "words": sum(len(words(d.text)) for d in kept),
                           "dropped": dict(dropped.most_common())})


def read_pages(path: Path) -> tuple[list[dict], int]:
    """The crawl's records, and how many lines were not valid JSON (a crawl killed mid-line leaves one)."""
    if not path.is_file():
        raise UserError(f"no crawl output at {path} (run `minillm crawl` first, or pass --input)")
    records, broken = [], 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                broken += 1
                continue
            if isinstance(record, dict) and isinstance(record.get("url"), str):
                records.append(record)
            else:
                broken += 1
    return records, broken


def is_html_page(record: dict) -> bool:
    return (record.get("status") == 200 and isinstance(record.get("html"), str) and bool(record["html"].strip())
            and "html" in (record.get("content_type") or "text/html"))


def apply_filter(docs: list[Document], step: str, verdict) -> Counter:
    """Run `verdict(doc) -> (keep, reason)` on every kept document; mark the dropped ones."""
    dropped = Counter()
    for doc in docs:
        if doc.dropped:
            continue
        keep, reason = verdict(doc)
        if not keep:
            doc.dropped = reason or step
            dropped[doc.dropped] += 1
    return dropped


def clean_pages(records: list[dict], cfg: CleanConfig, progress: bool = True) -> tuple[list[Document], Funnel, dict]:
    """Run every step on the crawl's records; returns all documents (kept ones have dropped == ""),
    the funnel, and the PII counts."""
    funnel = Funnel()
    pages = [r for r in records if is_html_page(r)]
    docs = []
    for record in tqdm(pages, desc="extract", unit="page", disable=not progress):
        text = extract_text(record["html"])
        docs.append(Document(record["url"], text, text))
    funnel.steps.append({"step": "fetched", "docs": len(records), "words": None,
                         "dropped": {}})
    funnel.record("HTML pages", docs, Counter({"not an HTML page (status, type or empty)": len(records) - len(pages)}))

    funnel.record("URL blocklist", docs, apply_filter(
        docs, "url", lambda d: url_filter(d.url, cfg.url_banned_words, cfg.blocked_hosts)))
    funnel.record("extraction", docs, apply_filter(
        docs, "extraction", lambda d: (bool(words(d.text)), "extraction:no_text")))
    model = default_language_model()
    funnel.record("language", docs, apply_filter(
        docs, "language", lambda d: language_filter(d.text, cfg.language, cfg.language_threshold, model)))
    funnel.record("Gopher repetition", docs, apply_filter(docs, "gopher_rep", lambda d: gopher_repetition_filter(d.text)))
    funnel.record("Gopher quality", docs, apply_filter(docs, "gopher_quality", lambda d: gopher_quality_filter(d.text)))
    dropped = apply_filter(docs, "c4", lambda d: c4_filter(d.text))
    for doc in docs:
        if not doc.dropped:
            doc.text = c4_lines(doc.text)
    funnel.record("C4 lines", docs, dropped)
    funnel.record("FineWeb filters", docs, apply_filter(docs, "fineweb", lambda d: fineweb_filter(d.text)))

    kept = [d for d in docs if not d.dropped]
    result = deduplicate([d.text for d in kept], cfg.shingle_size, cfg.bands, cfg.rows, cfg.seed, progress)
    for i in result.exact_dropped:
        kept[i].dropped = "dedup:exact"
    funnel.record("exact dedup", docs, Counter({"dedup:exact": len(result.exact_dropped)}))
    for i in result.near_dropped:
        kept[i].dropped = "dedup:minhash"
    funnel.record("MinHash dedup", docs, Counter({"dedup:minhash": len(result.near_dropped)}))

    pii = {"email": 0, "phone": 0, "ip": 0}
    if cfg.mask_pii:
        for doc in docs:
            if not doc.dropped:
                doc.text, counts = mask_pii(doc.text)
                pii = {k: pii[k] + counts[k] for k in pii}
    funnel.record("PII masked", docs, Counter())
    clusters = [[kept[i].url for i in c] for c in result.clusters]
    return docs, funnel, {"pii": pii, "clusters": clusters}


# ----------------------------------------------------------------------------- scoring against the manifest


def load_manifest(path: Path | None = None) -> dict | None:
    path = path or DATA_DIR / "web" / "_manifest.json"
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def manifest_path(url: str, manifest: dict) -> str | None:
    """The manifest key ("/animals/lion.html") of a page of the bundled web, else None."""
    parsed = urlparse(url)
    bundled = parsed.hostname == urlparse(BUNDLED_SITE).hostname or parsed.hostname in LOOPBACK_HOSTS
    if not bundled or parsed.query:
        return None
    return parsed.path if parsed.path in manifest["pages"] else None


def read_bundled_web(folder: Path | None = None) -> list[dict]:
    """The bundled web's pages as crawl records, read straight from data/web/ (no server, no politeness wait):
    every page a polite crawler may fetch, decoded by its declared charset, in path order."""
    folder = Path(folder or DATA_DIR / "web")
    manifest = load_manifest(folder / "_manifest.json")
    if manifest is None:
        raise UserError(f"no bundled web at {folder} (regenerate it with `minillm world`)")
    records = []
    for path, page in sorted(manifest["pages"].items()):
        if page.get("disallowed"):
            continue
        html, encoding = decode_html((folder / path.lstrip("/")).read_bytes())
        records.append({"url": urljoin(BUNDLED_SITE, path), "status": 200, "depth": 0, "fetched_at": "",
                        "content_type": "text/html", "encoding": encoding, "html": html, "links": []})
    return records


def score_against_manifest(docs: list[Document], clusters: list[list[str]], manifest: dict) -> dict:
    """Extraction F1 on the good pages, dedup pair precision/recall, and which good pages were kept."""
    by_path = {p: d for d in docs if (p := manifest_path(d.url, manifest))}
    if not by_path:
        return {}
    pages = manifest["pages"]
    f1s = [extraction_scores(d.extracted, pages[p]["main_text"])
           for p, d in by_path.items() if pages[p].get("good")]
    metrics = {}
    if f1s:
        metrics |= {"extraction_precision": float(np.mean([s[0] for s in f1s])),
                    "extraction_recall": float(np.mean([s[1] for s in f1s])),
                    "extraction_f1": float(np.mean([s[2] for s in f1s]))}
    reached_dedup = {p for p, d in by_path.items() if d.dropped in ("", "dedup:exact", "dedup:minhash")}
    true_groups = [[m for m in g["members"] if m in reached_dedup] for g in manifest.get("duplicate_groups", [])]
    predicted_groups = [[manifest_path(u, manifest) for u in c] for c in clusters]
    predicted_groups = [[m for m in g if m] for g in predicted_groups]
    precision, recall = pair_scores(cluster_pairs(predicted_groups), cluster_pairs(true_groups))
    metrics |= {"dedup_precision": precision, "dedup_recall": recall}
    kept = [p for p, d in by_path.items() if not d.dropped]
    metrics["kept_good_share"] = sum(bool(pages[p].get("good")) for p in kept) / max(len(kept), 1)
    return metrics


def language_accuracy(manifest: dict, model: LanguageModel | None = None) -> tuple[float, int]:
    """Language-ID accuracy on the bundled web's held-out pages (data/langid/test.jsonl: not trained on)."""
    held_out = read_jsonl(DATA_DIR / "langid" / "test.jsonl")
    hits = sum(identify_language(manifest["pages"][r["path"]]["main_text"], model)[0] == r["lang"] for r in held_out)
    return (hits / len(held_out) if held_out else 0.0), len(held_out)


# ----------------------------------------------------------------------------- the funnel plot


def draw_funnel(axes, steps: list[dict]) -> None:
    """Two bar charts, like FineWeb's: documents and words left after each step, as a share of the HTML pages."""
    steps = [s for s in steps if s["words"] is not None]
    names = [s["step"] for s in steps]
    y = np.arange(len(steps))[::-1]
    for ax, key, color in zip(axes, ("docs", "words"), ("#4c72b0", "#dd8452")):
        start = max(steps[0][key], 1)
        shares = [100 * s[key] / start for s in steps]
        ax.barh(y, shares, color=color)
        for yi, share, s in zip(y, shares, steps):
            ax.text(min(share, 100) + 1, yi, f"{s[key]:,} ({share:.0f} %)", va="center", fontsize=8)
        ax.set_yticks(y, names if ax is axes[0] else [""] * len(names))
        ax.set_xlim(0, 135)
        ax.set_xlabel(f"% of the HTML pages' {key}")
        ax.set_title(f"{'documents' if key == 'docs' else 'words'} kept after each step")


def save_funnel_plot(steps: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure  # the object API needs no backend: safe inside notebooks and servers

    fig = Figure(figsize=(10, 0.35 * len(steps) + 1.5), layout="constrained")
    draw_funnel(fig.subplots(1, 2), steps)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


# ----------------------------------------------------------------------------- the pipeline stage


def clean_file(pages_path: Path, cfg: CleanConfig, out: Path, progress: bool = True) -> dict:
    """Clean one crawl output into `out`: clean.jsonl, funnel.json, funnel.png; returns the stage report."""
    records, broken = read_pages(Path(pages_path))
    docs, funnel, extra = clean_pages(records, cfg, progress)
    if broken:
        funnel.steps[0]["dropped"] = {"unreadable JSON line": broken}
    kept = [d for d in docs if not d.dropped]
    lines = (json.dumps({"url": d.url, "text": d.text}, ensure_ascii=False) + "\n" for d in kept)
    atomic_write_text(out / "clean.jsonl", "".join(lines))
    html_step = funnel.steps[1]
    metrics = {"docs_in": len(records), "html_pages": html_step["docs"], "docs_out": len(kept),
               "words_in": html_step["words"], "words_out": funnel.steps[-1]["words"]}
    metrics |= {f"pii_{kind}": n for kind, n in extra["pii"].items()}
    manifest = load_manifest()
    if manifest:
        metrics |= score_against_manifest(docs, extra["clusters"], manifest)
        metrics["langid_accuracy"] = language_accuracy(manifest)[0]
    summary = {"steps": funnel.steps, "pii": extra["pii"], "metrics": metrics, "clusters": extra["clusters"],
               "documents": [{"url": d.url, "dropped": d.dropped} for d in docs]}
    atomic_write_text(out / "funnel.json", json.dumps(summary, indent=1, ensure_ascii=False))
    save_funnel_plot(funnel.steps, out / "funnel.png")
    share = 100 * metrics["words_out"] / max(metrics["words_in"], 1)
    return {"metrics": metrics, "figures": ["funnel.png"],
            "summary": f"Kept {len(kept):,} of {html_step['docs']:,} HTML pages ({share:.0f} % of their words) "
                       "after URL, language, Gopher, C4 and FineWeb filters and exact + MinHash dedup; "
                       f"masked {sum(extra['pii'].values())} e-mails, phone numbers and public IPs."}


def build_stage(cfg: CleanConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Stage `clean`: inputs["crawl"]/pages.jsonl -> out/clean.jsonl, out/funnel.json, out/funnel.png."""
    return clean_file(inputs["crawl"] / "pages.jsonl", cfg, out, progress)


# ----------------------------------------------------------------------------- command line: minillm clean


def add_arguments(parser) -> None:
    parser.add_argument("--preset", default="tiny", choices=artifacts.PRESETS, help="size of everything (default: tiny)")
    parser.add_argument("--input", type=Path, metavar="PAGES_JSONL",
                        help="crawl output to clean (default: the preset's crawl, run first if needed)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: runs/<preset>/clean)")
    parser.add_argument("--language", help="language to keep (default: en)")
    parser.add_argument("--keep-pii", action="store_true", help="do not mask e-mails, phone numbers and IPs")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_from_args(args) -> int:
    cfg = replace(PRESETS[args.preset], mask_pii=not args.keep_pii)
    if args.language:
        known = default_language_model().languages
        if args.language not in known:
            raise UserError(f"unknown language {args.language!r} (the language model knows {', '.join(known)})")
        cfg = replace(cfg, language=args.language)
    progress = not args.quiet
    if args.input is None and args.out is None:
        folder = artifacts.build("clean", args.preset, cfg, progress=progress)
        report = artifacts.stamp(folder)
    else:
        pages = args.input or artifacts.get("crawl", args.preset, progress) / "pages.jsonl"
        folder = Path(args.out or artifacts.runs_dir() / args.preset / "clean")
        make_dir(folder.parent)
        work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".partial"))
        try:
            report = clean_file(pages, cfg, work, progress)
            replace_folder(work, folder)
        finally:
            if work.exists():
                shutil.rmtree(work)
    m = report["metrics"]
    print(f"kept {m['docs_out']:,} of {m['html_pages']:,} HTML pages, {m['words_out']:,} of {m['words_in']:,} words")
    print(f"wrote {folder / 'clean.jsonl'}, {folder / 'funnel.json'}, {folder / 'funnel.png'}")
    return 0
