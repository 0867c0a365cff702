"""The rule-based filters of lesson 02, in FineWeb's order: URL blocklist, Gopher repetition, Gopher quality, C4 lines
and FineWeb's own (language ID, which runs after the URL blocklist, has its own module, langid.py).

Each filter is a small function `text -> (keep, reason)` (`url_filter` reads the URL instead). The thresholds are
those FineWeb ran, datatrove's defaults; each group of rules names its source.
"""

import re
import string
from collections import Counter
from urllib.parse import unquote, urlparse

from minillm.extract import ngrams, nonempty_lines, words

# ----------------------------------------------------------------------------- URL blocklist

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


# ----------------------------------------------------------------------------- Gopher repetition
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


# ----------------------------------------------------------------------------- Gopher quality
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


# ----------------------------------------------------------------------------- C4 lines
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


# ----------------------------------------------------------------------------- FineWeb's own
# Penedo et al. 2024 (the FineWeb blog post and paper, "additional heuristic filters"); the thresholds are the
# defaults of datatrove's FineWebQualityFilter, which examples/fineweb.py runs unchanged.

LINE_PUNCT_MIN = 0.12  # drop if at most 12 % of lines end in terminal punctuation
SHORT_LINE_LENGTH = 30  # characters
SHORT_LINE_MAX = 0.67  # drop if at least 67 % of lines are that short
DUP_LINE_CHARS_MAX = 0.01  # drop if at least 1 % of the characters sit in repeated lines
NEWLINE_WORD_MAX = 0.3  # drop if there is more than one line break per ~3 words: a list, not prose
TERMINAL_PUNCTUATION = (".", "!", "?", '"', "'", "”", "’", "…")  # datatrove's . ! ? " ' and their curly forms


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
