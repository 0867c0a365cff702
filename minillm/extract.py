"""Main-text extraction, lesson 02's first step on a page: its article as plain paragraphs, and a score for that.

`extract_text` walks BeautifulSoup's tree: it deletes page furniture, finds the content's container and keeps its
blocks that are not mostly links, one paragraph per block, a blank line between. `words`, `nonempty_lines` and
`ngrams` are the units in which every later cleaning step measures that text.
"""

import re
from collections import Counter

from bs4 import BeautifulSoup, Comment

# ----------------------------------------------------------------------------- words, lines and word n-grams


WORD_RE = re.compile(r"\w+(?:['’]\w+)*")


def words(text: str) -> list[str]:
    """Words as the funnel and the extraction score count them: runs of letters/digits, apostrophes inside."""
    return WORD_RE.findall(text)


def nonempty_lines(text: str) -> list[str]:
    """Lines with something on them, stripped.

    FineWeb's filters were written for Trafilatura's output, one paragraph per line; ours keeps a blank
    line between paragraphs, so every line rule of the filters skips blank lines to mean the same thing."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def ngrams(tokens: list[str], n: int) -> list[str]:
    """Every run of n consecutive words, in order, as one string (Gopher's repetition rules and the shingles)."""
    return [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


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
