"""The crawler: a polite, robust web crawler that collects the raw pages of the corpus (lesson 01).

A crawler is a short loop: take a URL from the frontier, fetch it, save it, put the links it contains
back on the frontier, breadth first, never visiting a URL twice. Everything else in this file is what the
real web demands of that loop:

- One page has many URLs, so every URL is normalised before it meets the seen-set (normalize_url).
- Sites say what a crawler may fetch and how fast in robots.txt (RFC 9309): parse_robots, Robots;
  requests to one host are spaced out (HostClock) and the crawler names itself (USER_AGENT).
- Servers misbehave: timeouts, 429/5xx with Retry-After, dropped connections, redirect chains and loops,
  huge or binary bodies, pages in legacy encodings (Crawler.fetch, read_body, decode_html).
- Some sites generate pages without end (crawler traps): max depth, max URL length, repeating path segments.
- Crawls get killed: every fetch is appended to pages.jsonl at once; a restarted crawl replays the file,
  rebuilds its frontier and carries on, fetching nothing that was already saved.

The default crawl is of the bundled mini web (data/web/): crawl() starts and stops the local server of
minillm/webserver.py for it (serve_web, with the faults of CrawlConfig.faults), under a stable host name.

Entry points: crawl, Crawler, CrawlConfig, PRESETS, build_stage, normalize_url, extract_links, parse_robots,
decode_html, plot_crawl, add_arguments, run_from_args.
"""

import argparse
import codecs
import dataclasses
import email.utils
import ipaddress
import json
import logging
import posixpath
import re
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests
from bs4 import BeautifulSoup, SoupStrainer
from tqdm.auto import tqdm

from minillm.artifacts import runs_dir
from minillm.files import make_dir
from minillm.errors import UserError
from minillm.webserver import Faults, serve_web

log = logging.getLogger("minillm.crawl")

AGENT_TOKEN = "minillm-course-crawler"  # the name robots.txt groups address (RFC 9309 "product token")
USER_AGENT = f"{AGENT_TOKEN}/0.1 (educational crawler from the minillm course; obeys robots.txt)"
# The bundled web gets a stable, never-resolving name (.test is reserved, RFC 2606), so pages.jsonl says
# the same URLs whatever port the local server had; the crawler connects to the server behind it.
BUNDLED_SITE = "http://small-world.test/"
BUNDLED_HOME = BUNDLED_SITE + "index.html"  # the seed: the manifest's "home"
HTML_TYPES = ("text/html", "application/xhtml+xml")
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB
MAX_ROBOTS_REDIRECTS = 5  # RFC 9309: follow at least five redirects for robots.txt


@dataclass
class CrawlConfig:
    seeds: tuple[str, ...] = ()  # start URLs; empty = the bundled web, served locally
    allowed_hosts: tuple[str, ...] = ()  # hosts to stay on; empty = the seeds' hosts
    max_pages: int = 1000  # fetches in all, redirects and errors included
    max_depth: int = 6  # links followed from a seed
    max_url_length: int = 200  # longer URLs are refused: generated URLs grow, real ones rarely do
    max_repeats: int = 3  # a path segment repeated more often than this is a trap (/a/b/a/b/a/b/...)
    delay: float = 1.0  # seconds between two requests to one host, when robots.txt gives no Crawl-delay
    max_delay: float = 60.0  # a larger Crawl-delay is clamped to this (and logged)
    time_scale: float = 1.0  # multiplies every wait for loopback hosts only: a real site always gets the full wait
    timeout: float = 10.0  # seconds per request: to connect, between two reads, and for the whole body
    retries: int = 3  # extra attempts after a timeout, a dropped connection, a 429 or a 5xx
    backoff: float = 0.5  # first retry wait without Retry-After; doubles with each attempt
    max_retry_after: float = 120.0  # a longer Retry-After means "not today": the URL is given up
    max_redirects: int = 5  # hops followed from one link
    max_bytes: int = 2_000_000  # larger bodies are cut here (the record says truncated), as Common Crawl does
    workers: int = 1  # threads fetching at once; per-host spacing holds whatever the number
    user_agent: str = USER_AGENT
    faults: float = 0.0  # bundled web only: fraction of URLs the local server makes fail (see Faults)
    fault_seed: int = 0


PRESETS = {
    # The bundled web has ~1,900 URLs, at most 4 links deep, and asks for a Crawl-delay of 0.05 s: about
    # 100 s at full politeness (small, gpt2). tiny runs the clock 5x faster on our own loopback server.
    "tiny": CrawlConfig(max_pages=5000, max_depth=6, time_scale=0.2),
    "small": CrawlConfig(max_pages=5000, max_depth=6),
    "gpt2": CrawlConfig(max_pages=5000, max_depth=6),
}


# ----------------------------------------------------------------------------- URLs


def normalize_url(url: str, base: str | None = None) -> str | None:
    """The one spelling of a URL the seen-set uses, or None when it is not an http(s) URL.

    Resolves `url` against `base`, lower-cases scheme and host, drops the fragment and a default port,
    removes dot segments, upper-cases percent escapes, escapes what must be escaped, sorts the query and
    drops tracking parameters from it.

    >>> normalize_url("../b/./c.html?z=1&a=2&utm_source=mail#top", "HTTP://Example.COM:80/a/x.html")
    'http://example.com/b/c.html?a=2&z=1'
    """
    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # a bad port, an unclosed [IPv6 bracket
        return None
    if scheme not in ("http", "https") or not host:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    path = clean_path(parts.path)
    query = "&".join(sorted(q for q in parts.query.split("&") if q and not TRACKING.match(q)))
    return urlunsplit((scheme, netloc, escape(path), escape(query), ""))


# Parameters that say where a visitor came from, never which page: dropped, or every newsletter link is a new URL.
TRACKING = re.compile(r"(utm_[a-z]+|fbclid|gclid|mc_eid)(=|$)", re.IGNORECASE)


def clean_path(path: str) -> str:
    """Remove "." and ".." segments (RFC 3986 section 5.2.4), keeping a trailing slash."""
    if not path:
        return "/"
    cleaned = posixpath.normpath(path)
    cleaned = "/" + cleaned.lstrip("/") if cleaned != "." else "/"
    if path.endswith(("/", "/.", "/..")) and not cleaned.endswith("/"):
        cleaned += "/"
    return cleaned


def escape(text: str) -> str:
    """Percent-escape what a URL cannot hold as is, and write existing escapes in upper case."""
    text = re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group().upper(), text)
    return quote(text, safe="/%:@!$&'()*+,;=?-._~")


def host_of(url: str) -> str:
    return urlsplit(url).netloc


def site_of(url: str) -> str:
    """scheme://host[:port], the unit robots.txt and politeness are kept per."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def repeats_a_segment(path: str, max_repeats: int) -> bool:
    """True for /a/b/a/b/a/b/a/b/...: relative links on a page that answers every path spiral like this."""
    segments = [s for s in urlsplit(path).path.split("/") if s]
    return any(count > max_repeats for count in Counter(segments).values())


def extract_links(html: str, base_url: str) -> list[str]:
    """Absolute, normalised http(s) links of a page, in order, each once (a <base href> is honoured)."""
    soup = BeautifulSoup(html, "html.parser", parse_only=SoupStrainer(["a", "base"]))  # a smaller tree, faster
    base = soup.find("base", href=True)
    if base is not None:
        base_url = urljoin(base_url, base["href"])
    links = (normalize_url(a["href"], base_url) for a in soup.find_all("a", href=True))
    return list(dict.fromkeys(link for link in links if link))


# ----------------------------------------------------------------------------- robots.txt (RFC 9309)


@dataclass
class Robots:
    """The rules of robots.txt that apply to us: (allow?, pattern) pairs, and the Crawl-delay if any."""

    rules: list[tuple[bool, str]] = field(default_factory=list)
    crawl_delay: float | None = None

    def allowed(self, path: str) -> bool:
        """The longest matching pattern decides; on a tie Allow wins; no match means allowed."""
        if path == "/robots.txt":
            return True
        best_length, best_allow = -1, True
        for allow, pattern in self.rules:
            if pattern_matches(pattern, path) and (len(pattern), allow) > (best_length, best_allow):
                best_length, best_allow = len(pattern), allow
        return best_allow


ALLOW_ALL = Robots()
DISALLOW_ALL = Robots(rules=[(False, "/")])


def pattern_matches(pattern: str, path: str) -> bool:
    """A robots.txt path pattern: a prefix, where * matches any characters and a final $ anchors the end."""
    anchored = pattern.endswith("$")
    regex = ".*".join(re.escape(piece) for piece in pattern.rstrip("$").split("*"))
    return re.match(regex + ("$" if anchored else ""), path) is not None


def parse_robots(text: str, agent: str = AGENT_TOKEN) -> Robots:
    """The rules robots.txt gives `agent`: from the group naming the longest prefix of it, else from `*`.

    Groups start at a run of User-agent lines; groups naming the same agent are merged; lines that are
    not `field: value` with a known field are ignored (RFC 9309 says a parser must survive anything).
    """
    groups: list[tuple[list[str], list[tuple[str, str]]]] = []
    in_agent_lines = False
    for line in text.splitlines():
        name, sep, value = line.split("#", 1)[0].partition(":")
        name, value = name.strip().lower(), value.strip()
        if not sep:
            continue
        if name == "user-agent":
            if not in_agent_lines:
                groups.append(([], []))
            groups[-1][0].append(value.lower())
            in_agent_lines = True
        elif name in ("allow", "disallow", "crawl-delay") and groups:
            groups[-1][1].append((name, value))
            in_agent_lines = False
    agent = agent.lower()
    named = [ua for uas, _ in groups for ua in uas if ua != "*" and agent.startswith(ua)]
    wanted = max(named, key=len) if named else "*"
    lines = [line for uas, group in groups if wanted in uas for line in group]
    rules = [(name == "allow", value) for name, value in lines if name != "crawl-delay" and value]
    delays = [float(v) for name, v in lines if name == "crawl-delay" and re.fullmatch(r"\d+(\.\d+)?", v)]
    return Robots(rules=rules, crawl_delay=delays[0] if delays else None)


# ----------------------------------------------------------------------------- bodies and encodings


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def charset_of(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """(text, encoding) of an HTML body, the way browsers decide: HTTP header, byte-order mark,
    <meta charset> in the first 1024 bytes, else UTF-8 if it decodes, else windows-1252.

    requests' own `response.text` guesses ISO-8859-1 for any text/* without a charset, which garbles
    every UTF-8 page that declares its encoding only in <meta>; hence this function.
    """
    boms = {codecs.BOM_UTF8: "utf-8-sig", codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}
    declared = charset_of(content_type)
    bom = next((enc for mark, enc in boms.items() if body.startswith(mark)), None)
    meta = META_CHARSET.search(body[:1024])
    for candidate in (bom, declared, meta and meta.group(1).decode("ascii", "replace")):
        encoding = known_encoding(candidate)
        if encoding:
            return body.decode(encoding, errors="replace"), encoding
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "cp1252"


def known_encoding(name: str | None) -> str | None:
    """Python's name for an encoding label, or None. Browsers read latin-1 and ASCII labels as windows-1252,
    their superset (WHATWG Encoding Standard): pages labelled so often hold its curly quotes and euro sign."""
    try:
        codec = codecs.lookup(name).name if name else None
    except LookupError:
        return None
    return "cp1252" if codec in ("iso8859-1", "ascii") else codec


def looks_binary(body: bytes) -> bool:
    """A NUL byte near the start: no text encoding a web page uses (bar UTF-16, which has a BOM) has one."""
    return b"\x00" in body[:1024] and not body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either delay-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# ----------------------------------------------------------------------------- politeness


class HostClock:
    """Spaces out the starts of requests to one host by that host's delay, across worker threads.

    Each caller reserves the next free slot under a lock and then sleeps until it, so N threads on one
    host with a 1 s delay still make one request a second, while threads on different hosts don't wait.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.next_free: dict[str, float] = {}

    def wait_turn(self, site: str, delay: float) -> float:
        """Sleep until this caller's slot on `site`; returns the slot's time (time.monotonic)."""
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_free.get(site, 0.0))
            self.next_free[site] = start + delay
        time.sleep(start - now)
        return start

    def hold_off(self, site: str, seconds: float) -> None:
        """Nobody asks this host anything for `seconds` (after a 429 or 503 with Retry-After)."""
        with self.lock:
            self.next_free[site] = max(self.next_free.get(site, 0.0), time.monotonic() + seconds)


# ----------------------------------------------------------------------------- fetching


@dataclass
class Fetched:
    """One HTTP exchange, or why there was none (status None and an error)."""

    status: int | None
    content_type: str = ""
    body: bytes = b""
    truncated: bool = False
    location: str | None = None
    retry_after: float | None = None
    error: str | None = None


class Retryable(Exception):
    """The request failed in a way that may go away: a timeout, a dropped connection."""


def read_body(response, max_bytes: int, deadline: float) -> tuple[bytes, bool]:
    """Read a streamed body up to max_bytes; (body, truncated). A server that trickles gets cut at deadline."""
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= max_bytes:
            return b"".join(chunks)[:max_bytes], True
        if time.monotonic() > deadline:
            raise Retryable("the body took longer than the timeout")
    return b"".join(chunks), False


def fetch_once(session, url: str, cfg: CrawlConfig, connect: dict[str, str], any_type: bool = False) -> Fetched:
    """GET `url` once, without following redirects (each hop must be checked against robots and scope).
    The body is read only for a 200 with an HTML Content-Type, or any 200 if `any_type` (robots.txt)."""
    parts = urlsplit(url)
    headers = {"User-Agent": cfg.user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"}
    if parts.netloc in connect:
        headers["Host"] = parts.netloc
        url = urlunsplit(parts._replace(netloc=connect[parts.netloc]))
    deadline = time.monotonic() + cfg.timeout
    try:
        with session.get(url, headers=headers, timeout=cfg.timeout, stream=True, allow_redirects=False) as r:
            content_type = r.headers.get("Content-Type", "")
            got = Fetched(r.status_code, content_type, location=r.headers.get("Location"),
                          retry_after=retry_after_seconds(r.headers.get("Retry-After")))
            if r.status_code == 200 and (any_type or media_type(content_type) in HTML_TYPES):
                got.body, got.truncated = read_body(r, cfg.max_bytes, deadline)
            return got
    except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
        if describe_error(e) == "host name not found":  # it will not exist in a second either
            return Fetched(None, error="host name not found")
        raise Retryable(describe_error(e)) from None
    except requests.RequestException as e:
        return Fetched(None, error=describe_error(e))


def describe_error(e: Exception) -> str:
    """requests' messages nest three exceptions deep; one short line is enough in a log."""
    if isinstance(e, requests.Timeout):
        return "timed out"
    if isinstance(e, requests.exceptions.ChunkedEncodingError):
        return "connection dropped in the middle of the body"
    if isinstance(e, requests.ConnectionError):
        text = str(e)
        if "NameResolutionError" in text or "Name or service not known" in text:
            return "host name not found"
        for known in ("Connection refused", "RemoteDisconnected", "Connection reset"):
            if known in text:
                return f"connection failed ({known})"
        return "connection failed"
    return f"{type(e).__name__}: {e}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ----------------------------------------------------------------------------- the crawler


REFUSALS = {
    "out_of_scope": "not on an allowed host",
    "too_deep": "deeper than max_depth={cfg.max_depth}",
    "too_long": "URL longer than max_url_length={cfg.max_url_length} (a trap?)",
    "repeating_path": "a path segment repeats more than {cfg.max_repeats} times (a trap?)",
    "redirect_cap": "more than max_redirects={cfg.max_redirects} redirects in a row",
    "robots": "robots.txt disallows it",
    "robots_unreachable": "robots.txt could not be fetched, so the whole host is off limits",
}


class Todo(NamedTuple):
    url: str
    depth: int
    hops: int  # redirects followed to get here


class Crawler:
    """A breadth-first crawl that appends one JSON line per fetch to `pages_path` and resumes from it.

    `connect` maps a host[:port] in URLs to the address to connect to instead (like curl --connect-to):
    the bundled web is crawled as http://small-world.test/ while the bytes come from the local server.
    """

    def __init__(self, cfg: CrawlConfig, pages_path, connect: dict[str, str] | None = None, progress: bool = True):
        self.cfg = cfg
        self.pages_path = Path(pages_path)
        self.connect = dict(connect or {})
        self.progress = progress
        self.seeds = check_seeds(cfg.seeds)
        self.allowed_hosts = set(cfg.allowed_hosts) or {host_of(s) for s in self.seeds}
        self.frontier: deque[Todo] = deque()
        self.seen: set[str] = set()
        self.robots: dict[str, Robots] = {}
        self.clock = HostClock()
        self.local = threading.local()  # one requests.Session per thread: sessions are not thread-safe
        self.pages = 0
        self.resumed = 0
        self.statuses: Counter = Counter()
        self.refused: Counter = Counter()
        self.bytes = 0

    # --- the frontier

    def admit(self, url: str, depth: int, hops: int = 0, first: bool = False) -> None:
        """Put `url` on the frontier unless it was seen or is refused (and say why in the counters)."""
        if url in self.seen:
            if hops:
                log.info("%s: redirect to a URL already seen (a loop, or a page reached before), not fetched", url)
            return
        self.seen.add(url)
        reason = self.refusal(url, depth, hops)
        if reason:
            self.refused[reason] += 1
            level = logging.WARNING if reason in ("robots_unreachable", "redirect_cap") else logging.INFO
            log.log(level, "refused %s: %s", url, REFUSALS[reason].format(cfg=self.cfg))
            return
        todo = Todo(url, depth, hops)
        self.frontier.appendleft(todo) if first else self.frontier.append(todo)

    def refusal(self, url: str, depth: int, hops: int) -> str | None:
        cfg = self.cfg
        if host_of(url) not in self.allowed_hosts:
            return "out_of_scope"
        if depth > cfg.max_depth:
            return "too_deep"
        if len(url) > cfg.max_url_length:
            return "too_long"
        if repeats_a_segment(url, cfg.max_repeats):
            return "repeating_path"
        if hops > cfg.max_redirects:
            return "redirect_cap"
        robots = self.robots_for(site_of(url))
        if robots is DISALLOW_ALL:
            return "robots_unreachable"
        if not robots.allowed(path_of(url)):
            return "robots"
        return None

    def follow_ups(self, record: dict) -> None:
        """Admit what a saved record points to: a redirect's target at the same depth, or its links."""
        if record.get("location"):
            self.admit(record["location"], record["depth"], record.get("hops", 0) + 1, first=True)
        for link in record["links"]:
            self.admit(link, record["depth"] + 1)

    # --- robots.txt and politeness

    def robots_for(self, site: str) -> Robots:
        if site not in self.robots:
            self.robots[site] = self.fetch_robots(site)
        return self.robots[site]

    def fetch_robots(self, site: str) -> Robots:
        """RFC 9309 section 2.3.1: 2xx -> its rules; 4xx -> allowed; 5xx or unreachable -> disallowed."""
        url = f"{site}/robots.txt"
        for _ in range(MAX_ROBOTS_REDIRECTS + 1):
            got = self.fetch(url, any_type=True)
            if got.status is None or got.status >= 500:
                log.warning("%s: %s; RFC 9309 says assume everything is disallowed", url, got.error or got.status)
                return DISALLOW_ALL
            if 400 <= got.status < 500:
                log.info("%s: HTTP %d, so everything is allowed", url, got.status)
                return ALLOW_ALL
            if 300 <= got.status < 400 and got.location:
                url = normalize_url(got.location, url) or url
                continue
            text = got.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            robots = parse_robots(text, AGENT_TOKEN)
            if not robots.rules and text.strip() and "user-agent" not in text.lower():
                log.warning("%s: no rules understood in %d bytes; treating it as empty", url, len(got.body))
            if robots.crawl_delay is not None and robots.crawl_delay > self.cfg.max_delay:
                log.warning("%s: Crawl-delay %g s clamped to %g s", url, robots.crawl_delay, self.cfg.max_delay)
                robots.crawl_delay = self.cfg.max_delay
            return robots
        log.warning("%s: more than %d redirects; treating robots.txt as unavailable (allowed)", url,
                    MAX_ROBOTS_REDIRECTS)
        return ALLOW_ALL

    def delay_for(self, site: str) -> float:
        robots = self.robots.get(site)
        delay = robots.crawl_delay if robots is not None and robots.crawl_delay is not None else self.cfg.delay
        return delay * self.scale_for(site)

    def scale_for(self, site: str) -> float:
        host = urlsplit(site).netloc
        address = urlsplit("//" + self.connect.get(host, host)).hostname or ""
        return self.cfg.time_scale if is_loopback(address) else 1.0

    # --- fetching with retries

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def fetch(self, url: str, any_type: bool = False) -> Fetched:
        """GET with politeness and retries: timeouts, dropped connections, 429 and 5xx are tried again,
        after Retry-After when the server sends one (the whole host waits), else after a doubling backoff."""
        site, cfg = site_of(url), self.cfg
        for attempt in range(cfg.retries + 1):
            self.clock.wait_turn(site, self.delay_for(site))
            try:
                got = fetch_once(self.session(), url, cfg, self.connect, any_type)
            except Retryable as e:
                got = Fetched(None, error=str(e))
            else:
                if got.status not in RETRY_STATUSES:
                    return got
                got.error = f"HTTP {got.status}"
            wait_s = got.retry_after if got.retry_after is not None else cfg.backoff * 2**attempt
            if wait_s > cfg.max_retry_after:
                got.error += f", Retry-After {wait_s:.0f} s is more than we wait"
                return got
            if attempt < cfg.retries:
                log.info("%s: %s; retrying in %.2g s", url, got.error, wait_s)
                self.clock.hold_off(site, wait_s * self.scale_for(site))
        got.error = f"{got.error} (gave up after {cfg.retries + 1} attempts)"
        return got

    def visit(self, todo: Todo) -> dict:
        """Fetch one URL and turn the answer into its pages.jsonl record (runs in a worker thread)."""
        got = self.fetch(todo.url)
        record = {
            "url": todo.url, "status": got.status, "depth": todo.depth,
            "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "content_type": got.content_type, "encoding": None, "bytes": len(got.body), "truncated": got.truncated,
            "html": None, "links": [], "location": None, "hops": todo.hops, "error": got.error,
        }
        if got.status is not None and 300 <= got.status < 400:
            record["location"] = normalize_url(got.location or "", todo.url)
            if record["location"] is None:
                record["error"] = f"redirect without a usable Location ({got.location!r})"
        elif got.status == 200 and media_type(got.content_type) not in HTML_TYPES:
            pass  # a PDF, an image: its Content-Type is all we keep (the body was never downloaded)
        elif got.status == 200 and looks_binary(got.body):
            record["error"] = "binary body served as HTML, dropped"
            record["bytes"] = 0
        elif got.status == 200:
            record["html"], record["encoding"] = decode_html(got.body, got.content_type)
            record["links"] = extract_links(record["html"], todo.url)
            if got.truncated:
                record["error"] = f"body cut at {self.cfg.max_bytes:,} bytes"
        return record

    # --- the loop

    def save(self, out, record: dict) -> None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()  # in the kernel now: a SIGKILL after this line loses nothing
        self.pages += 1
        self.statuses[record["status"] if record["status"] is not None else "failed"] += 1
        self.bytes += record["bytes"]
        if record["error"]:
            log.warning("%s: %s", record["url"], record["error"])

    def resume(self) -> None:
        """Replay pages.jsonl: what it holds is done; what its pages link to and nobody fetched is the frontier."""
        cut_partial_line(self.pages_path)
        records = read_pages(self.pages_path)
        for seed in self.seeds:
            self.admit(seed, 0)
        done = set()
        for record in records:
            done.add(record["url"])
            self.pages += 1
            self.statuses[record["status"] if record["status"] is not None else "failed"] += 1
            self.bytes += record["bytes"]
            self.follow_ups(record)
        self.frontier = deque(todo for todo in self.frontier if todo.url not in done)
        self.resumed = len(records)
        if records:
            log.info("resuming: %d pages already saved, %d URLs on the frontier", len(records), len(self.frontier))

    def run(self) -> dict:
        """Crawl until the frontier is empty or max_pages fetches are saved; returns the stats."""
        started = time.perf_counter()
        make_dir(self.pages_path.parent)
        self.resume()
        bar = tqdm(initial=self.pages, unit="page", desc="crawl", disable=not self.progress)
        with open(self.pages_path, "a", encoding="utf-8") as out, ThreadPoolExecutor(self.cfg.workers) as pool:
            in_flight = set()
            while self.frontier or in_flight:
                while self.frontier and len(in_flight) < self.cfg.workers and \
                        self.pages + len(in_flight) < self.cfg.max_pages:
                    in_flight.add(pool.submit(self.visit, self.frontier.popleft()))
                if not in_flight:
                    break
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    record = future.result()
                    self.save(out, record)
                    self.follow_ups(record)
                    bar.update(1)
                    bar.set_postfix(frontier=len(self.frontier), refresh=False)
        bar.close()
        return self.stats(time.perf_counter() - started)

    def stats(self, seconds: float) -> dict:
        trap = sum(self.refused[r] for r in ("too_deep", "too_long", "repeating_path"))
        return {
            "pages": self.pages, "resumed": self.resumed,
            "statuses": dict(sorted(self.statuses.items(), key=str)), "refused": dict(self.refused),
            "disallowed_skipped": self.refused["robots"] + self.refused["robots_unreachable"],
            "trap_refused": trap, "frontier_left": len(self.frontier), "bytes": self.bytes,
            "seconds": round(seconds, 2),
        }


def check_seeds(seeds) -> list[str]:
    """The seeds, normalised; one that is not an http(s) URL is logged and skipped, unless none is left."""
    normalised = [normalize_url(seed) for seed in seeds]
    if not any(normalised):
        raise UserError(f"no seed to start from: {', '.join(map(repr, seeds))} is not an http(s) URL" if seeds else
                        "no seed URL to start from")
    for seed, url in zip(seeds, normalised):
        if url is None:
            log.warning("skipping seed %r: not an http(s) URL", seed)
    return [url for url in normalised if url]


def read_pages(path) -> list[dict]:
    """The records of a pages.jsonl (a last line cut short by a kill is not one)."""
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    records = []
    for number, line in enumerate(data[: data.rfind(b"\n") + 1].splitlines(), 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            log.warning("%s:%d: not JSON, skipped", path, number)
    return records


def cut_partial_line(path: Path) -> None:
    """Cut a half-written last line (the crawler was killed while writing it) off pages.jsonl."""
    if not path.exists():
        return
    size, good_end = path.stat().st_size, path.read_bytes().rfind(b"\n") + 1
    if good_end < size:
        log.warning("%s: dropping a half-written last line (%d bytes)", path, size - good_end)
        with open(path, "r+b") as f:
            f.truncate(good_end)


def crawl(cfg: CrawlConfig, out, progress: bool = True, connect: dict[str, str] | None = None) -> dict:
    """Crawl into out/pages.jsonl (resuming what is there); the bundled web when cfg.seeds is empty.

    For the bundled web the local server is started and stopped here. Returns the crawl's stats.
    """
    out = make_dir(out)
    if cfg.seeds:
        return Crawler(cfg, out / "pages.jsonl", connect, progress).run()
    faults = Faults(cfg.faults, cfg.fault_seed) if cfg.faults else None
    with serve_web(faults=faults) as server:
        bundled = dataclasses.replace(cfg, seeds=(BUNDLED_HOME,))
        return Crawler(bundled, out / "pages.jsonl", {host_of(BUNDLED_SITE): server.address}, progress).run()


# ----------------------------------------------------------------------------- pipeline stage


def build_stage(cfg: CrawlConfig, inputs: dict, out: Path, progress: bool = True) -> dict:
    """Stage `crawl`: out/pages.jsonl (+ crawl.log, crawl.png); resumes a pages.jsonl already in `out`."""
    handler = logging.FileHandler(Path(out) / "crawl.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    previous_level = log.level
    log.setLevel(min(log.getEffectiveLevel(), logging.INFO))
    try:
        stats = crawl(cfg, out, progress)
    finally:
        log.removeHandler(handler)
        log.setLevel(previous_level)
        handler.close()
    records = read_pages(Path(out) / "pages.jsonl")
    plot_crawl(records, Path(out) / "crawl.png")
    metrics = crawl_metrics(stats, records)
    where = "the bundled web (local server)" if not cfg.seeds else ", ".join(cfg.seeds)
    summary = (f"Crawled {metrics['pages']} URLs of {where} breadth first in {metrics['seconds']} s: "
               f"{metrics['html_pages']} HTML pages saved, {metrics['disallowed_skipped']} URLs skipped because "
               f"robots.txt disallows them and {metrics['trap_refused']} trap URLs refused (too deep, too long or "
               "repeating).")
    return {"metrics": metrics, "figures": ["crawl.png"], "summary": summary}


def crawl_metrics(stats: dict, records: list[dict]) -> dict:
    metrics = {
        "pages": stats["pages"],
        "html_pages": sum(1 for r in records if r["html"] is not None),
        "max_depth": max((r["depth"] for r in records), default=0),
    }
    metrics.update({f"status_{status}": n for status, n in stats["statuses"].items()})
    metrics.update({
        "disallowed_skipped": stats["disallowed_skipped"], "trap_refused": stats["trap_refused"],
        "out_of_scope_links": stats["refused"].get("out_of_scope", 0), "resumed_pages": stats["resumed"],
        "megabytes": round(stats["bytes"] / 1e6, 2), "seconds": stats["seconds"],
    })
    return metrics


def plot_crawl(records: list[dict], path=None, figure=None):
    """Two panels: the link graph laid out in rings by crawl depth, and pages per depth by outcome.
    Writes a PNG when `path` is given; draws into `figure` (e.g. from plt.figure) when one is given."""
    from matplotlib.figure import Figure

    fig = figure if figure is not None else Figure(figsize=(11, 4.8), dpi=110)
    graph, bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    draw_link_graph(graph, records)
    draw_depth_bars(bars, records)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig


def outcome(record: dict) -> str:
    status = record["status"]
    if record["html"] is not None:
        return "HTML page"
    if status is not None and 300 <= status < 400:
        return "redirect"
    if status is not None and status >= 400:
        return "4xx/5xx"
    return "other (not HTML, failed)"


OUTCOME_COLOURS = {"HTML page": "tab:blue", "redirect": "tab:orange", "4xx/5xx": "tab:red",
                   "other (not HTML, failed)": "tab:gray"}


def draw_link_graph(ax, records: list[dict]) -> None:
    """Each URL a dot on a ring whose radius is its crawl depth, joined to the page that first linked to it:
    the breadth-first tree of the crawl (all links would paint the picture grey)."""
    import numpy as np
    from matplotlib.collections import LineCollection

    by_depth: dict[int, list[str]] = {}
    for r in records:
        by_depth.setdefault(r["depth"], []).append(r["url"])
    where = {}
    for depth, urls in by_depth.items():
        angles = np.linspace(0, 2 * np.pi, len(urls), endpoint=False) + depth * 0.3
        for url, angle in zip(sorted(urls), angles):
            where[url] = (depth * np.cos(angle), depth * np.sin(angle))
    found_by: dict[str, str] = {}
    for r in records:
        for link in r["links"] + ([r["location"]] if r["location"] else []):
            found_by.setdefault(link, r["url"])
    tree = [(where[found_by[url]], where[url]) for url in where if url in found_by and found_by[url] in where]
    ax.add_collection(LineCollection(tree, colors="0.7", linewidths=0.3, zorder=1))
    for name, colour in OUTCOME_COLOURS.items():
        points = [where[r["url"]] for r in records if outcome(r) == name]
        if points:
            xs, ys = zip(*points)
            ax.scatter(xs, ys, s=9, color=colour, label=name, zorder=2)
    n_links = sum(len(r["links"]) for r in records)
    ax.set_title(f"who found whom: {len(records)} URLs by depth (rings), {n_links:,} links in all", fontsize=10)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(loc="lower left", fontsize=7, frameon=False)


def draw_depth_bars(ax, records: list[dict]) -> None:
    depths = sorted({r["depth"] for r in records})
    bottom = [0] * len(depths)
    for name, colour in OUTCOME_COLOURS.items():
        counts = [sum(1 for r in records if r["depth"] == d and outcome(r) == name) for d in depths]
        ax.bar(depths, counts, bottom=bottom, color=colour, label=name)
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_xticks(depths)
    ax.set_yscale("log")  # a crawl is wide at depth 2 or 3 and thin below: a trap's few pages still show
    ax.set_ylim(bottom=0.5)
    ax.set_xlabel("crawl depth (links from the home page)")
    ax.set_ylabel("URLs fetched (log scale)")
    ax.set_title("breadth first: URLs fetched per depth")
    ax.legend(fontsize=7, frameon=False)


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm crawl`."""
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="crawl settings (default: tiny)")
    parser.add_argument("--seed", action="append", metavar="URL", help="start here instead of the bundled web "
                        "(repeatable); stays on the seeds' hosts")
    parser.add_argument("--allow-host", action="append", metavar="HOST", help="also crawl this host[:port]")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write DIR/pages.jsonl (default: runs/<preset>/crawl "
                        "for the bundled web, runs/crawl-<host> for --seed); an existing one is resumed")
    parser.add_argument("--max-pages", type=int, metavar="N", help="stop after N fetches")
    parser.add_argument("--max-depth", type=int, metavar="N", help="follow links at most N deep")
    parser.add_argument("--workers", type=int, metavar="N", help="fetch with N threads (per-host delay still holds)")
    parser.add_argument("--delay", type=float, metavar="SECONDS", help="wait between requests to one host when "
                        "robots.txt sets no Crawl-delay (default: 1)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="per request (default: 10)")
    parser.add_argument("--faults", type=float, metavar="FRACTION", help="bundled web only: make this fraction of "
                        "URLs fail (500, 503, 429, slow, dropped, oversized)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def config_from_args(args) -> CrawlConfig:
    cfg = dataclasses.replace(PRESETS[args.preset])
    if args.seed:
        cfg.seeds = tuple(args.seed)
    seeds = check_seeds(cfg.seeds or (BUNDLED_SITE,))
    if args.allow_host:
        cfg.allowed_hosts = tuple(args.allow_host) + tuple(host_of(s) for s in seeds)
    for name in ("max_pages", "max_depth", "workers", "delay", "timeout", "faults"):
        value = getattr(args, name)
        if value is not None:
            if value < 0 or (value == 0 and name in ("max_pages", "workers", "timeout")):
                raise UserError(f"--{name.replace('_', '-')} must be {'positive' if name != 'delay' else '>= 0'}")
            setattr(cfg, name, value)
    if cfg.faults and cfg.seeds:
        raise UserError("--faults works on the bundled web only (it is the local server that fails)")
    if cfg.faults > 1:
        raise UserError("--faults is a fraction between 0 and 1")
    return cfg


def run_from_args(args) -> int:
    """`minillm crawl`: the bundled web into runs/<preset>/crawl, or --seed URLs into --out."""
    from minillm import artifacts

    cfg = config_from_args(args)
    if not logging.getLogger().handlers:  # problems on stderr; the stage's crawl.log also gets the INFO lines
        logging.basicConfig(format="%(levelname)s %(message)s")
        logging.getLogger().handlers[0].setLevel(logging.WARNING)
    if args.out is None and not cfg.seeds:
        folder = artifacts.build("crawl", args.preset, cfg, progress=not args.quiet)
        print(f"wrote {folder / 'pages.jsonl'}")
        return 0
    out = args.out or runs_dir() / f"crawl-{urlsplit(normalize_url(cfg.seeds[0])).hostname}"
    stats = crawl(cfg, out, progress=not args.quiet)
    print(f"{stats['pages']} URLs in {stats['seconds']} s ({stats['resumed']} from before); "
          f"wrote {out / 'pages.jsonl'}")
    return 0
