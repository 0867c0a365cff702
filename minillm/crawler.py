"""The crawler (lesson 01): a breadth-first crawl, polite and robust, saved page by page to pages.jsonl.

A crawler is a short loop: take a URL from the frontier, fetch it, save it, put the links it contains back on
the frontier, never visiting a URL twice. The Crawler adds what the real web demands of that loop: robots.txt
and a delay per host, retries, redirects followed one checked hop at a time, limits against crawler traps, and
a record of every fetch written at once, so that a killed crawl, restarted, fetches nothing it already saved.
"""

import ipaddress
import json
import logging
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
from tqdm.auto import tqdm

from minillm.charsets import decode_html, looks_binary
from minillm.errors import UserError
from minillm.fetch import (
    HTML_TYPES,
    RETRY_STATUSES,
    USER_AGENT,
    Fetched,
    HostClock,
    Retryable,
    fetch_once,
    media_type,
    new_session,
    retry_wait,
)
from minillm.files import make_dir
from minillm.robots import (
    AGENT_TOKEN,
    ALLOW_ALL,
    DISALLOW_ALL,
    MAX_ROBOTS_BYTES,
    MAX_ROBOTS_REDIRECTS,
    Robots,
    parse_robots,
)
from minillm.urls import extract_links, host_of, normalize_url, path_of, repeats_a_segment, site_of

log = logging.getLogger("minillm.crawler")


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
    timeout: float = 10.0  # seconds per request, all of it: connecting, the headers and the body
    retries: int = 3  # extra attempts after a timeout, a dropped connection, a 429 or a 5xx
    backoff: float = 0.5  # first retry wait without Retry-After; doubles with each attempt
    max_retry_after: float = 120.0  # a longer Retry-After means "not today": the URL is given up
    max_redirects: int = 5  # hops followed from one link
    max_bytes: int = 2_000_000  # larger bodies are cut here (the record says truncated), as Common Crawl does
    workers: int = 1  # threads fetching at once; per-host spacing holds whatever the number
    user_agent: str = USER_AGENT
    faults: float = 0.0  # bundled web only: fraction of URLs the local server makes fail (see Faults)
    fault_seed: int = 0


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
        """RFC 9309 section 2.3.1: 2xx -> its rules; 4xx -> allowed; 5xx or unreachable -> disallowed.

        Redirects are followed within the crawl's hosts only: no request ever leaves its scope. One that leads
        elsewhere counts as too many redirects do, robots.txt unavailable (RFC 9309 section 2.3.1.2).
        """
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
                target = normalize_url(got.location, url) or url
                if host_of(target) not in self.allowed_hosts:
                    log.warning("%s: redirects to %s, off the crawl's hosts; not followed, so robots.txt is "
                                "unavailable (allowed)", url, target)
                    return ALLOW_ALL
                url = target
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
            self.local.session = new_session()
        return self.local.session

    def fetch(self, url: str, any_type: bool = False) -> Fetched:
        """GET with politeness and retries: timeouts, dropped connections, 429 and 5xx are tried again,
        after Retry-After when the server sends one (the whole host waits), else after a doubling backoff.

        Bounded: at most retries + 1 attempts of at most `timeout` seconds each, and waits of at most
        max_retry_after seconds between them (beside the host's politeness delay)."""
        site, cfg = site_of(url), self.cfg
        for attempt in range(cfg.retries + 1):
            self.clock.wait_turn(site, self.delay_for(site))
            try:
                got = fetch_once(self.session(), url, connect=self.connect, user_agent=cfg.user_agent,
                                 timeout=cfg.timeout, max_bytes=cfg.max_bytes, any_type=any_type)
            except Retryable as e:
                got = Fetched(None, error=str(e))
            else:
                if got.status not in RETRY_STATUSES:
                    return got
                got.error = f"HTTP {got.status}"
            wait_s = retry_wait(attempt, got.retry_after, cfg.backoff)
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
        self.count(record)
        if record["error"]:
            log.warning("%s: %s", record["url"], record["error"])

    def count(self, record: dict) -> None:
        self.pages += 1
        self.statuses[record["status"] if record["status"] is not None else "failed"] += 1
        self.bytes += record["bytes"]

    def resume(self) -> None:
        """Replay pages.jsonl: what it holds is done; what its pages link to and nobody fetched is the frontier."""
        cut_partial_line(self.pages_path)
        records = read_pages(self.pages_path)
        for seed in self.seeds:
            self.admit(seed, 0)
        done = set()
        for record in records:
            done.add(record["url"])
            self.count(record)
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


def is_loopback(host: str) -> bool:
    """A host name or address of this machine: time_scale may shorten the waits for it, never for a real site."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
