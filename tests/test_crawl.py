"""Tests for lesson 01: URLs, robots.txt, decoding and fetching, the local server, whole crawls and the crawl stage.

Whole crawls run against the local server (127.0.0.1, free port): a small site built in tmp_path with
one of each problem, and the bundled mini web in data/web with its manifest as ground truth.
"""

import argparse
import dataclasses
import html as html_module
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests

from minillm.charsets import decode_html, looks_binary
from minillm.crawl import (
    BUNDLED_HOME,
    BUNDLED_SITE,
    PRESETS,
    add_arguments,
    build_stage,
    config_from_args,
    crawl,
    run_from_args,
)
from minillm.crawler import CrawlConfig, Crawler, read_pages
from minillm.errors import UserError
from minillm.fetch import HostClock, retry_after_seconds, retry_wait
from minillm.files import DATA_DIR, ROOT
from minillm.robots import parse_robots
from minillm.urls import extract_links, normalize_url, path_of, repeats_a_segment
from minillm.webserver import FAULT_KINDS, Faults, serve_web

FAST = {"time_scale": 0.0, "timeout": 2.0, "backoff": 0.01}  # politeness off: the server is ours


# ----------------------------------------------------------------------------- a small site with one of each problem


def page(title: str, hrefs=()) -> str:
    links = " ".join(f'<a href="{h}">{h}</a>' for h in hrefs)
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>" \
           f"<body><h1>{title}</h1><p>{links}</p></body></html>"


CHAIN = 8  # /chain0.html -> /chain1.html -> ... -> /chain8.html


def build_site(root: Path, extra: int = 0) -> Path:
    root.mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\nCrawl-delay: 0.05\n\n"
                                     "User-agent: badbot\nDisallow: /\n")
    home_links = ["a.html", "/b.html", "private/secret.html", "old.html", "loop1.html", "chain0.html", "missing.html",
                  "pic.png", "fake.html", "latin.html", "http://other.example/x.html", "mailto:me@example.com",
                  "a.html#top", "a.html?"] + [f"extra{i}.html" for i in range(extra)]
    (root / "index.html").write_text(page("Home", home_links))
    (root / "a.html").write_text(page("A", ["b.html", "/", "./a.html"]))
    (root / "new.html").write_text(page("New", []))
    (root / "b.html").write_text(page("B", ["sub/c.html"]))
    (root / "sub").mkdir()
    (root / "sub" / "c.html").write_text(page("C", ["../a.html", "../deep.html"]))
    (root / "deep.html").write_text(page("Deep", []))
    (root / "private").mkdir()
    (root / "private" / "secret.html").write_text(page("Secret", []))
    for i in range(extra):  # a chain: extra0 -> extra1 -> ..., each also linked from home
        (root / f"extra{i}.html").write_text(page(f"Extra {i}", [f"extra{(i + 1) % extra}.html"]))
    (root / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (root / "fake.html").write_bytes(b"\x00\x01\x02binary" * 100)
    latin = ('<html><head><meta charset="windows-1252"><title>Café</title></head>'
             "<body><p>Café “quoted” €5</p></body></html>")
    (root / "latin.html").write_bytes(latin.encode("windows-1252"))
    redirects = {"/old.html": {"to": "/new.html", "status": 301},
                 "/loop1.html": {"to": "/loop2.html", "status": 302},
                 "/loop2.html": {"to": "/loop1.html", "status": 302}}
    redirects.update({f"/chain{i}.html": {"to": f"/chain{i + 1}.html", "status": 301} for i in range(CHAIN)})
    manifest = {"pages": {"/latin.html": {"encoding": "windows-1252"}}, "redirects": redirects}
    (root / "_manifest.json").write_text(json.dumps(manifest))
    return root


# what a crawl of the small site fetches (paths), with max_redirects=5
SMALL_SITE_FETCHED = {"/", "/a.html", "/b.html", "/old.html", "/new.html", "/loop1.html", "/loop2.html",
                      "/missing.html", "/pic.png", "/fake.html", "/latin.html", "/sub/c.html", "/deep.html"} | \
                     {f"/chain{i}.html" for i in range(6)}


@pytest.fixture
def site(tmp_path):
    return build_site(tmp_path / "site")


def paths(records) -> list[str]:
    return [path_of(r["url"]) for r in records]


def crawl_site(server, out: Path, **overrides) -> tuple[dict, list[dict]]:
    cfg = CrawlConfig(**{"seeds": (server.url,), **FAST, **overrides})
    stats = crawl(cfg, out, progress=False)
    return stats, read_pages(out / "pages.jsonl")


# ----------------------------------------------------------------------------- URLs


@pytest.mark.parametrize("url, base, expected", [
    ("HTTP://Example.COM:80/a/./b/../c.html#frag", None, "http://example.com/a/c.html"),
    ("https://example.com:443", None, "https://example.com/"),
    ("https://example.com:8443/x", None, "https://example.com:8443/x"),
    ("../b/c.html?z=1&a=2", "http://h.org/a/x/y.html", "http://h.org/a/b/c.html?a=2&z=1"),
    ("/dir/", "http://h.org/a/", "http://h.org/dir/"),
    ("?", "http://h.org/a", "http://h.org/a"),
    ("//cdn.org/p q.html", "https://h.org/", "https://cdn.org/p%20q.html"),
    ("/caf%c3%a9", "http://h.org/", "http://h.org/caf%C3%A9"),
    ("  http://h.org/x  ", None, "http://h.org/x"),
    ("http://[::1]:8000/", None, "http://[::1]:8000/"),
    ("%2e%2e/%2E%2e/etc/passwd", "http://h.org/a/b/", "http://h.org/etc/passwd"),  # RFC 3986 6.2.2.2, then 5.2.4
    ("/a/%2e/b/%2e%2e", "http://h.org/", "http://h.org/a/"),
    ("/%7Euser/%41%2f%2F?q=%2d", "http://h.org/", "http://h.org/~user/A%2F%2F?q=-"),  # unreserved decoded, / kept
])
def test_normalize_url(url, base, expected):
    assert normalize_url(url, base) == expected


@pytest.mark.parametrize("url", ["mailto:me@example.com", "javascript:void(0)", "ftp://h.org/f", "http://h.org:99999/",
                                 "http://[::1/", "data:text/html,hi", "http://a%2f..%2f..%2ftmp%2fx:9/", "http://a..b/",
                                 "http://a b/"])
def test_normalize_url_refuses_what_is_not_a_web_page(url):
    assert normalize_url(url, "http://h.org/") is None
    assert normalize_url("http:///no-host") is None


def test_extract_links_resolves_against_base_href_dedups_and_keeps_order():
    html = ('<html><head><base href="http://h.org/docs/"></head><body><a href="b.html#x">b</a>'
            '<a href="mailto:x@y.z">mail</a><a href="/a.html">a</a><a href="b.html">again</a><a>no href</a>'
            '<a href="https://other.org/">other</a></body></html>')
    links = extract_links(html, "http://h.org/elsewhere/page.html")
    assert links == ["http://h.org/docs/b.html", "http://h.org/a.html", "https://other.org/"]


def test_repeating_segments_are_a_trap():
    assert repeats_a_segment("/a/b/a/b/a/b/a/b/", 3)
    assert not repeats_a_segment("/a/b/a/b/c.html", 3)


# ----------------------------------------------------------------------------- robots.txt


def test_robots_longest_match_wins_and_allow_wins_a_tie():
    robots = parse_robots("User-agent: *\nDisallow: /shop/\nAllow: /shop/public/\nDisallow: /x\nAllow: /x\n")
    assert not robots.allowed("/shop/cart.html")
    assert robots.allowed("/shop/public/list.html")
    assert robots.allowed("/x/anything")  # Allow and Disallow of the same length: Allow
    assert robots.allowed("/other.html")


def test_robots_wildcards_and_end_anchor():
    robots = parse_robots("User-agent: *\nDisallow: /*.pdf$\nDisallow: /tmp*/cache\nDisallow:\n")
    assert not robots.allowed("/docs/report.pdf")
    assert robots.allowed("/docs/report.pdf?download=1")
    assert not robots.allowed("/tmp42/cache/x")
    assert robots.allowed("/docs/")  # an empty Disallow forbids nothing


def test_robots_picks_our_group_merges_it_and_reads_crawl_delay():
    text = ("User-agent: *\nDisallow: /\n\n"
            "User-agent: minillm\nDisallow: /a/\n\n"
            "User-agent: googlebot\nUser-agent: minillm\nDisallow: /b/\nCrawl-delay: 2.5\n")
    robots = parse_robots(text, "minillm-course-crawler")
    assert robots.crawl_delay == 2.5
    assert not robots.allowed("/a/1") and not robots.allowed("/b/1")
    assert robots.allowed("/c/1")  # the * group does not apply: a group names us
    assert not parse_robots(text, "someone-else").allowed("/c/1")
    assert parse_robots(text, "someone-else").allowed("/robots.txt")  # always allowed


def test_garbage_robots_txt_allows_everything():
    robots = parse_robots("\x89PNG garbage\n<html><body>Not found</body></html>\nDisallow /nothing\n:::\n")
    assert robots.rules == [] and robots.crawl_delay is None
    assert robots.allowed("/anything")


def test_rules_before_any_user_agent_line_are_ignored():
    robots = parse_robots("Disallow: /\nUser-agent: *\nDisallow: /private/\n")
    assert robots.allowed("/public.html") and not robots.allowed("/private/x")


# ----------------------------------------------------------------------------- bodies


def test_decode_html_header_then_meta_then_utf8_then_windows_1252():
    text = "Café “quoted” €5"
    cp = f"<html><body>{text}</body></html>".encode("windows-1252")
    assert decode_html(cp, "text/html; charset=windows-1252") == (f"<html><body>{text}</body></html>", "cp1252")
    meta = f'<html><head><meta charset="windows-1252"></head><body>{text}</body></html>'.encode("windows-1252")
    assert text in decode_html(meta, "text/html")[0]
    http_equiv = (b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>caf\xe9</p>')
    assert decode_html(http_equiv, "text/html") == (('<meta http-equiv="Content-Type" content="text/html; '
                                                       'charset=iso-8859-1"><p>café</p>'), "cp1252")
    assert decode_html(text.encode("utf-8"), "text/html") == (text, "utf-8")  # undeclared UTF-8
    assert decode_html(cp, "text/html") == (f"<html><body>{text}</body></html>", "cp1252")
    assert decode_html(b"\x93hi\x94", "text/html; charset=ISO-8859-1")[0] == "“hi”"  # read as windows-1252
    assert decode_html(b"\xef\xbb\xbfhi", "text/html; charset=latin-1") == ("hi", "utf-8-sig")  # the BOM wins
    assert decode_html(b"caf\xc3\xa9", "text/html; charset=no-such-thing") == ("café", "utf-8")


def test_binary_bodies_are_recognised():
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert not looks_binary("<html>é</html>".encode())
    assert not looks_binary("<html>".encode("utf-16"))


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds("7") == 7.0
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 < retry_after_seconds(later) <= 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_retry_waits_what_retry_after_says_else_a_doubling_backoff():
    assert [retry_wait(attempt, None, 0.5) for attempt in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert retry_wait(3, 7.0, 0.5) == 7.0
    assert retry_wait(0, 0.0, 0.5) == 0.0  # Retry-After: 0 means now, not "no header"


def test_host_clock_spaces_requests_to_one_host_across_threads():
    clock, slots = HostClock(), []

    def one_request(site):
        slot = clock.wait_turn(site, 0.2)
        slots.append((site, slot, time.monotonic()))

    threads = [threading.Thread(target=one_request, args=(site,)) for site in ["a"] * 4 + ["b"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a_slots = sorted(slot for site, slot, _ in slots if site == "a")
    assert [round(later - earlier, 6) for earlier, later in itertools.pairwise(a_slots)] == [0.2] * 3
    assert all(woke >= slot for _, slot, woke in slots)  # nobody starts before its slot
    b_slot = next(slot for site, slot, _ in slots if site == "b")
    assert b_slot < a_slots[1]  # another host does not queue behind "a"


# ----------------------------------------------------------------------------- the local server


def test_server_serves_pages_redirects_404s_and_hides_the_manifest(site):
    with serve_web(site) as server:
        get = lambda path: requests.get(server.url + path, allow_redirects=False, timeout=5)
        assert get("").status_code == 200 and "<h1>Home</h1>" in get("").text
        assert get("a.html").headers["Content-Type"] == "text/html; charset=utf-8"
        assert (get("old.html").status_code, get("old.html").headers["Location"]) == (301, "/new.html")
        assert get("latin.html").headers["Content-Type"] == "text/html"  # charset in <meta> only
        assert get("pic.png").headers["Content-Type"] == "image/png"
        for hidden in ["missing.html", "_manifest.json", "../site/a.html", "%2e%2e/%2e%2e/etc/passwd", "sub/"]:
            assert get(hidden).status_code == 404, hidden
        assert server.requests["/a.html"] == 1 and server.completed["/a.html"] == 1


def test_server_logs_each_request_in_order_with_its_time_and_status(site):
    faults = Faults(fraction=1.0, kinds=("503",), max_failures=1)
    with serve_web(site, faults=faults) as server:
        for path in ["a.html", "a.html", "missing.html"]:
            requests.get(server.url + path, timeout=5)
            time.sleep(0.01)
        log = list(server.log)
    assert [(r.path, r.attempt, r.status) for r in log] == [("/a.html", 0, 503), ("/a.html", 1, 200),
                                                            ("/missing.html", 0, 503)]
    assert log[0].at + 0.01 <= log[1].at and log[1].at + 0.01 <= log[2].at


def test_faults_are_deterministic_and_pass():
    faults = Faults(fraction=0.5, seed=3)
    picks = {f"/p{i}.html": faults.pick(f"/p{i}.html", 0) for i in range(400)}
    assert picks == {path: Faults(fraction=0.5, seed=3).pick(path, 0) for path in picks}
    assert 150 < sum(p is not None for p in picks.values()) < 250
    assert set(picks.values()) == {None, *FAULT_KINDS}
    # transient faults are gone by the third request; oversized stays
    assert {faults.pick(p, 2) for p in picks} == {None, "oversized"}


def test_server_injects_each_fault(site):
    kinds = {kind: Faults(fraction=1.0, kinds=(kind,), max_failures=1, retry_after=3, slow_seconds=0.3,
                            oversized_bytes=3_000_000) for kind in FAULT_KINDS}
    for kind, faults in kinds.items():
        with serve_web(site, faults=faults) as server:
            url = server.url + "a.html"
            if kind == "drop":
                with pytest.raises(requests.ConnectionError):
                    requests.get(url, timeout=5)
            elif kind == "slow":
                with pytest.raises(requests.Timeout):
                    requests.get(url, timeout=0.1)
            else:
                first = requests.get(url, timeout=5)
                assert first.status_code == (200 if kind == "oversized" else int(kind))
                if kind in ("429", "503"):
                    assert first.headers["Retry-After"] == "3"
                if kind == "oversized":
                    assert len(first.content) == len((site / "a.html").read_bytes()) + 3_000_000
            second = requests.get(url, timeout=5)
            assert second.status_code == 200 and "<h1>A</h1>" in second.text


# ----------------------------------------------------------------------------- crawling the small site


def test_crawl_small_site_meets_each_problem_once(site, tmp_path, caplog):
    with serve_web(site) as server:
        stats, records = crawl_site(server, tmp_path / "out")
        requested = dict(server.requests)
    by_path = {path_of(r["url"]): r for r in records}
    assert set(by_path) == SMALL_SITE_FETCHED
    assert len(records) == len(by_path)  # nothing fetched twice
    assert set(requested) == SMALL_SITE_FETCHED | {"/robots.txt"} and set(requested.values()) == {1}
    assert "/private/secret.html" not in requested  # robots.txt
    assert stats["refused"] == {"robots": 1, "out_of_scope": 1, "redirect_cap": 1}
    assert by_path["/old.html"]["location"] == server.url + "new.html"
    assert by_path["/missing.html"]["status"] == 404 and by_path["/missing.html"]["html"] is None
    assert by_path["/pic.png"]["html"] is None and by_path["/pic.png"]["bytes"] == 0  # never downloaded
    assert by_path["/fake.html"]["html"] is None and "binary" in by_path["/fake.html"]["error"]
    assert "Café “quoted” €5" in by_path["/latin.html"]["html"]
    assert by_path["/deep.html"]["depth"] == 3
    assert by_path["/"]["links"][:2] == [server.url + "a.html", server.url + "b.html"]
    assert "more than max_redirects=5 redirects" in caplog.text and "binary body" in caplog.text
    first = records[0]
    assert set(first) >= {"url", "status", "depth", "fetched_at", "content_type", "html", "links"}
    assert datetime.fromisoformat(first["fetched_at"]).tzinfo is not None


def test_max_pages_and_max_depth(site, tmp_path):
    with serve_web(site) as server:
        _, few = crawl_site(server, tmp_path / "few", max_pages=4)
        _, shallow = crawl_site(server, tmp_path / "shallow", max_depth=1)
    assert paths(few) == ["/", "/a.html", "/b.html", "/old.html"]  # breadth first, in link order
    assert max(r["depth"] for r in shallow) == 1 and "/sub/c.html" not in paths(shallow)


def test_long_urls_are_refused(site, tmp_path):
    (site / "index.html").write_text(page("Home", ["a.html", "/" + "x" * 300 + ".html"]))
    with serve_web(site) as server:
        stats, records = crawl_site(server, tmp_path / "out")
    assert stats["refused"]["too_long"] == 1 and stats["trap_refused"] == 1
    assert all(len(r["url"]) <= 200 for r in records)


def test_robots_txt_missing_means_everything_is_allowed(site, tmp_path):
    (site / "robots.txt").unlink()
    with serve_web(site) as server:
        _, records = crawl_site(server, tmp_path / "out")
    assert "/private/secret.html" in paths(records)


def test_robots_txt_server_error_means_nothing_is_allowed(site, tmp_path, caplog):
    faults = Faults(fraction=1.0, kinds=("500",), max_failures=1)  # every URL fails its first request
    with serve_web(site, faults=faults) as server:
        stats, records = crawl_site(server, tmp_path / "out", retries=0)
        requested = dict(server.requests)
    assert records == [] and requested == {"/robots.txt": 1}
    assert stats["refused"] == {"robots_unreachable": 1}
    assert "assume everything is disallowed" in caplog.text


def test_unreachable_host_and_bad_seeds(tmp_path, caplog):
    with serve_web(tmp_path) as server:
        dead = server.url
    stats = crawl(CrawlConfig(seeds=(dead,), retries=1, **FAST), tmp_path / "out", progress=False)
    assert stats["pages"] == 0 and stats["refused"] == {"robots_unreachable": 1}
    assert "connection failed (Connection refused)" in caplog.text
    with pytest.raises(UserError, match="not an http"):
        crawl(CrawlConfig(seeds=("ftp://h.org/",)), tmp_path / "out2")
    with pytest.raises(UserError, match="not an http"):
        crawl(CrawlConfig(seeds=("http://[::1",)), tmp_path / "out2")


def test_a_bad_seed_among_good_ones_is_logged_and_skipped(site, tmp_path, caplog):
    with serve_web(site) as server:
        _, records = crawl_site(server, tmp_path / "out", seeds=("http://[::1", server.url), max_pages=3)
    assert len(records) == 3 and "skipping seed 'http://[::1': not an http(s) URL" in caplog.text


def test_fault_mode_loses_nothing(tmp_path):
    site = build_site(tmp_path / "site", extra=40)
    with serve_web(site) as server:
        _, clean = crawl_site(server, tmp_path / "clean")
    faults = Faults(fraction=0.5, seed=1, slow_seconds=1.0, oversized_bytes=4_000_000)
    with serve_web(site, faults=faults) as server:
        _stats, faulty = crawl_site(server, tmp_path / "faulty", timeout=0.4, workers=4)
        requested = dict(server.requests)
    assert {(r["url"].split("/", 3)[3], r["status"]) for r in faulty} == \
           {(r["url"].split("/", 3)[3], r["status"]) for r in clean}
    assert max(requested.values()) > 1  # there were faults to survive
    kinds = {faults.pick(path, 0) for path in requested}
    assert {"429", "503", "500", "drop", "slow", "oversized"} <= kinds
    cut = [r for r in faulty if r["truncated"]]
    assert cut and all(r["bytes"] == 2_000_000 and "<h1>" in r["html"] for r in cut)


def test_a_50_megabyte_page_is_cut_at_max_bytes(site, tmp_path, caplog):
    faults = Faults(fraction=1.0, kinds=("oversized",), oversized_bytes=50_000_000)
    with serve_web(site, faults=faults) as server:
        _, records = crawl_site(server, tmp_path / "out", max_pages=2, max_bytes=1_000_000)
        home = records[0]
    assert home["truncated"] and home["bytes"] == 1_000_000 and "<h1>Home</h1>" in home["html"]
    assert server.completed["/"] == 0  # the crawler hung up long before 50 MB
    assert "body cut at 1,000,000 bytes" in caplog.text


def test_workers_reach_the_same_pages_each_once(tmp_path):
    site = build_site(tmp_path / "site", extra=30)
    with serve_web(site) as server:
        _, one = crawl_site(server, tmp_path / "one", workers=1)
        _, four = crawl_site(server, tmp_path / "four", workers=4)
        requested = dict(server.requests)
    assert sorted(paths(one)) == sorted(paths(four)) and len(set(paths(four))) == len(four)
    assert max(requested.values()) == 2  # each path once per crawl


# ----------------------------------------------------------------------------- resuming


CRAWL_IN_SUBPROCESS = """
import sys
from minillm.crawl import crawl
from minillm.crawler import CrawlConfig
crawl(CrawlConfig(seeds=(sys.argv[1],), time_scale=0.0), sys.argv[2], progress=False)
"""


def test_resume_after_sigkill_loses_nothing_and_fetches_nothing_twice(tmp_path):
    site = build_site(tmp_path / "site", extra=30)
    out = tmp_path / "out"
    with serve_web(site) as server:
        arrived = server.hold("/extra12.html")  # the crawler is killed while waiting for this page
        crawler = subprocess.Popen([sys.executable, "-c", CRAWL_IN_SUBPROCESS, server.url, str(out)], cwd=ROOT)
        try:
            assert arrived.wait(timeout=60), "the crawler never asked for /extra12.html"
            os.kill(crawler.pid, signal.SIGKILL)
        finally:
            crawler.wait(timeout=30)
        server.release("/extra12.html")
        before = read_pages(out / "pages.jsonl")
        stats, after = crawl_site(server, out)
        requested, completed = dict(server.requests), dict(server.completed)
    assert 10 < len(before) < len(after) and stats["resumed"] == len(before)
    assert after[: len(before)] == before
    assert len(set(paths(after))) == len(after)  # no URL saved twice
    assert set(paths(after)) == SMALL_SITE_FETCHED | {f"/extra{i}.html" for i in range(30)}
    # one request was in flight when the crawler died: that one, and robots.txt, were asked twice
    assert {p: n for p, n in requested.items() if n > 1} == {"/extra12.html": 2, "/robots.txt": 2}
    assert completed["/extra12.html"] == 1


def test_a_half_written_last_line_is_dropped_and_refetched(site, tmp_path):
    with serve_web(site) as server:
        _, full = crawl_site(server, tmp_path / "full", max_pages=6)
        out = tmp_path / "cut"
        out.mkdir()
        lines = (tmp_path / "full" / "pages.jsonl").read_text().splitlines(keepends=True)
        (out / "pages.jsonl").write_text("".join(lines[:3]) + lines[3][:40])
        stats, resumed = crawl_site(server, out, max_pages=6)
    assert stats["resumed"] == 3
    assert paths(resumed) == paths(full)
    assert all(json.loads(line) for line in (out / "pages.jsonl").read_text().splitlines())


# ----------------------------------------------------------------------------- stage and command line


def test_command_line_crawls_a_seed_into_out(site, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with serve_web(site) as server:
        args = parser.parse_args(["--seed", server.url, "--out", str(tmp_path / "o"), "--max-pages", "5",
                                  "--workers", "2", "--quiet"])
        assert run_from_args(args) == 0
    assert len(read_pages(tmp_path / "o" / "pages.jsonl")) == 5
    assert "5 URLs" in capsys.readouterr().out
    for bad in (["--max-pages", "0"], ["--faults", "2"], ["--seed", "http://h.org/", "--faults", "0.1"],
                ["--seed", "nonsense"]):
        with pytest.raises(UserError):
            config_from_args(parser.parse_args(bad))


def test_serve_web_command_serves_until_interrupted(site):
    """Ctrl-C stops the server, also when it was started as a shell's background job (with SIGINT ignored, which
    Python then never turns into KeyboardInterrupt) and while a client holds a keep-alive connection open."""
    command = ("import signal, sys; from minillm.cli import main; signal.signal(signal.SIGINT, signal.SIG_IGN); "
               f"sys.exit(main(['serve-web', '--root', {str(site)!r}, '--port', '0']))")
    server = subprocess.Popen([sys.executable, "-c", command], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split(" at ")[1].strip()
        assert server.stdout.readline() == "press Ctrl-C to stop\n"  # from here on Ctrl-C is handled
        with requests.Session() as browser:
            assert browser.get(url + "a.html", timeout=5).status_code == 200
            server.send_signal(signal.SIGINT)
            out, _ = server.communicate(timeout=120)  # a hang guard only: stopping takes a fraction of a second
        assert out == "stopped\n" and server.returncode == 0
    finally:
        server.kill()


# ----------------------------------------------------------------------------- the bundled mini web


WEB = DATA_DIR / "web"


@pytest.fixture(scope="module")
def manifest():
    return json.loads((WEB / "_manifest.json").read_text())


@pytest.fixture(scope="module")
def bundled_crawl(tmp_path_factory):
    """One crawl of the bundled web as the tiny preset does it (politeness off), with the server's request log."""
    out = tmp_path_factory.mktemp("bundled")
    cfg = dataclasses.replace(PRESETS["tiny"], seeds=(BUNDLED_HOME,), time_scale=0.0)
    with serve_web(WEB) as server:
        stats = Crawler(cfg, out / "pages.jsonl", {"small-world.test": server.address}, progress=False).run()
        requested = dict(server.requests)
    return stats, read_pages(out / "pages.jsonl"), requested


def disallowed(path: str, manifest: dict) -> bool:
    return any(path.startswith(prefix) for prefix in manifest["robots"]["disallow"])


def test_bundled_web_every_good_page_is_reached(bundled_crawl, manifest):
    _, records, _ = bundled_crawl
    saved = {path_of(r["url"]) for r in records if r["html"] is not None}
    good = {path for path, info in manifest["pages"].items() if info["good"]}
    assert len(good) > 400 and not good - saved


def test_bundled_web_no_disallowed_url_is_ever_requested(bundled_crawl, manifest):
    stats, _, requested = bundled_crawl
    assert manifest["disallowed"] and not [path for path in requested if disallowed(path, manifest)]
    assert stats["disallowed_skipped"] > 0  # the site does link to them


def test_bundled_web_the_trap_is_contained_and_nothing_is_fetched_twice(bundled_crawl, manifest):
    stats, records, requested = bundled_crawl
    trap = [path for path in requested if path.startswith(manifest["trap"]["prefix"])]
    assert 0 < len(trap) <= 2 * PRESETS["tiny"].max_depth and stats["trap_refused"] > 0
    assert stats["frontier_left"] == 0 and len(records) < PRESETS["tiny"].max_pages
    assert max(requested.values()) == 1 and "/" not in requested  # the seed is the manifest's home, /index.html
    variants = {normalize_url(variant, BUNDLED_SITE) for variant in manifest["url_variants"]}
    assert variants == {normalize_url(page, BUNDLED_SITE) for page in manifest["url_variants"].values()}


def test_bundled_web_redirects_broken_links_files_and_encodings(bundled_crawl, manifest):
    _, records, _ = bundled_crawl
    by_path = {path_of(r["url"]): r for r in records}
    for path, redirect in manifest["redirects"].items():
        if path in by_path:
            assert by_path[path]["status"] == redirect["status"], path
            assert by_path[path]["location"] == normalize_url(redirect["to"], BUNDLED_SITE), path
    assert {"/loop/a.html", "/loop/b.html"} <= set(by_path)  # the loop was met, and left
    assert all(by_path[p]["status"] == 404 for p in manifest["broken_links"] if p in by_path)
    for path in manifest["binary_links"]:
        assert by_path[path]["html"] is None and by_path[path]["bytes"] == 0, path
    assert all(r["url"].startswith(BUNDLED_SITE) for r in records)  # never off the site
    linked_outside = {link for r in records for link in r["links"] if not link.startswith(BUNDLED_SITE)}
    assert {normalize_url(link) for link in manifest["external_links"]} <= linked_outside
    for path in manifest["non_utf8"]:
        text = html_module.unescape(by_path[path]["html"])
        assert manifest["pages"][path]["title"] in text and "\ufffd" not in text, path


def test_build_stage_writes_pages_figure_and_metrics(tmp_path):
    cfg = CrawlConfig(time_scale=0.0, max_pages=40, faults=0.2, workers=2, timeout=0.5)
    report = build_stage(cfg, {}, tmp_path, progress=False)
    records = read_pages(tmp_path / "pages.jsonl")
    assert len(records) == report["metrics"]["pages"] == 40
    assert all(r["url"].startswith(BUNDLED_SITE) for r in records)
    assert report["figures"] == ["crawl.png"] and (tmp_path / "crawl.png").read_bytes()[:4] == b"\x89PNG"
    assert report["metrics"]["status_200"] > 20 and "Crawled 40 URLs" in report["summary"]
    assert (tmp_path / "crawl.log").exists()
    again = build_stage(dataclasses.replace(cfg, max_pages=50), {}, tmp_path, progress=False)
    assert again["metrics"]["resumed_pages"] == 40 and again["metrics"]["pages"] == 50


def test_an_interrupted_stage_build_resumes_where_it_stopped(tmp_path, monkeypatch):
    """Through minillm.artifacts: the build dies after 12 pages; the next build finds them and goes on."""
    from minillm import artifacts

    monkeypatch.setenv("MINILLM_RUNS", str(tmp_path))
    monkeypatch.setattr(artifacts, "STAGES", [artifacts.Stage("crawl", "minillm.crawl", (), "Crawl")])
    cfg = CrawlConfig(time_scale=0.0, max_pages=30)
    visit = Crawler.visit

    def dies_after_12_pages(self, todo):
        if self.pages >= 12:
            raise KeyboardInterrupt
        return visit(self, todo)

    monkeypatch.setattr(Crawler, "visit", dies_after_12_pages)
    with pytest.raises(KeyboardInterrupt):
        artifacts.build("crawl", "tiny", cfg, progress=False)
    monkeypatch.setattr(Crawler, "visit", visit)
    folder = artifacts.build("crawl", "tiny", cfg, progress=False)
    metrics = artifacts.stamp(folder)["metrics"]
    assert (metrics["resumed_pages"], metrics["pages"]) == (12, 30)
    urls = [r["url"] for r in read_pages(folder / "pages.jsonl")]
    assert len(urls) == len(set(urls)) == 30
