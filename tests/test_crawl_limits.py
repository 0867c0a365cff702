"""Tests for lesson 01 against hostile servers and hostile input: deadlines, scope, URL spelling, bad flags.

The hostile servers are built here: each listens on 127.0.0.1 on a free port, in a thread, and stops with the test.
"""

import json
import socketserver
import threading
from contextlib import contextmanager

import pytest
import requests

from minillm.cli import main
from minillm.crawler import CrawlConfig, Crawler
from minillm.webserver import serve_web

FAST = {"time_scale": 0.0, "backoff": 0.01}  # politeness off: the servers are ours
HANG_GUARD = 30  # seconds: far beyond what a bounded fetch takes, far below what the trickling server needs

# ----------------------------------------------------------------------------- a server that trickles

CONTENT_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 240\r\n\r\n"
CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nF0\r\n"
UNTIL_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
HEADERS = b"HTTP/1.1 200 OK\r\nX-Padding: "  # the headers themselves never end

TRICKLES = {"body with a Content-Length": CONTENT_LENGTH, "chunked body": CHUNKED,
            "body until the connection closes": UNTIL_CLOSE, "headers": HEADERS}


class Trickle(socketserver.BaseRequestHandler):
    """Sends its head at once, then 240 bytes at one every 0.5 s: two minutes per request."""

    def handle(self):
        self.request.recv(65536)
        self.server.requests.append(self.client_address)
        try:
            self.request.sendall(self.server.head)
            for _ in range(240):
                if self.server.stop.wait(0.5):
                    return
                self.request.sendall(b"x")
        except OSError:  # the client hung up
            return


class TrickleServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False


@contextmanager
def trickling_server(head: bytes):
    server = TrickleServer(("127.0.0.1", 0), Trickle)
    server.head, server.requests, server.stop = head, [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("head", TRICKLES.values(), ids=TRICKLES.keys())
def test_the_timeout_bounds_each_whole_attempt_however_slowly_the_server_sends(head, tmp_path):
    with trickling_server(head) as (server, url):
        crawler = Crawler(CrawlConfig(seeds=(url,), timeout=1.0, retries=1, **FAST), tmp_path / "pages.jsonl",
                          progress=False)
        result = {}
        fetching = threading.Thread(target=lambda: result.update(got=crawler.fetch(url)), daemon=True)
        fetching.start()
        fetching.join(HANG_GUARD)
        assert not fetching.is_alive(), "the fetch outlived its 1 s timeout by far (the server needs 2 min a request)"
        requests_made = len(server.requests)
    got = result["got"]
    assert got.status is None and got.body == b""
    assert got.error == "took longer than the timeout (1 s) (gave up after 2 attempts)"
    assert requests_made == 2  # one retry, as configured, each cut at its deadline


# ----------------------------------------------------------------------------- scope and URL spelling


def tiny_site(root, robots: str, links=(), redirects=None):
    root.mkdir()
    (root / "robots.txt").write_text(robots)
    hrefs = " ".join(f'<a href="{link}">{link}</a>' for link in links)
    (root / "index.html").write_text(f"<!doctype html><title>Home</title><p>{hrefs}</p>")
    for folder in ("private", "public"):
        (root / folder).mkdir()
        (root / folder / "page.html").write_text(f"<!doctype html><title>{folder}</title><p>{folder}</p>")
    (root / "_manifest.json").write_text(json.dumps({"redirects": redirects or {}}))
    return root


def crawl_paths(server, tmp_path) -> dict:
    Crawler(CrawlConfig(seeds=(server.url,), **FAST), tmp_path / "out" / "pages.jsonl", progress=False).run()
    return dict(server.requests)


def test_a_robots_txt_redirect_to_another_port_is_not_followed(tmp_path, caplog):
    other_site = tiny_site(tmp_path / "other", "User-agent: *\nDisallow: /\n")
    with serve_web(other_site) as other:
        redirects = {"/robots.txt": {"to": other.url + "robots.txt", "status": 301}}
        site = tiny_site(tmp_path / "site", "", links=["public/page.html"], redirects=redirects)
        with serve_web(site) as server:
            requested = crawl_paths(server, tmp_path)
        assert dict(other.requests) == {}  # not one request left the crawl's scope
    assert requested == {"/robots.txt": 1, "/": 1, "/public/page.html": 1}  # robots.txt unavailable: allowed
    assert "off the crawl's hosts; not followed" in caplog.text


def test_percent_encoded_dot_segments_are_resolved_before_robots_and_sending(tmp_path):
    links = ["public/%2e%2e/private/page.html", "public/%2E%2E/%2e%2e/%2e%2e/etc/passwd", "%7Epublic/x.html"]
    site = tiny_site(tmp_path / "site", "User-agent: *\nDisallow: /private/\n", links=links)
    with serve_web(site) as server:
        requested = crawl_paths(server, tmp_path)
    # /private/page.html is disallowed however it is spelled; the ../ above the root stop at the root
    assert requested == {"/robots.txt": 1, "/": 1, "/etc/passwd": 1, "/~public/x.html": 1}


# ----------------------------------------------------------------------------- the local server


def test_the_local_server_answers_a_nul_or_an_overlong_name_and_keeps_serving(tmp_path):
    site = tiny_site(tmp_path / "site", "")
    with serve_web(site) as server, requests.Session() as session:  # one connection: a crashed handler drops it
        assert session.get(server.url + "%00", timeout=5).status_code == 400
        assert session.get(server.url + "public/page%00.html", timeout=5).status_code == 400
        assert session.get(server.url + "x" * 300 + ".html", timeout=5).status_code == 404
        assert session.get(server.url + "public/page.html", timeout=5).status_code == 200


# ----------------------------------------------------------------------------- bad flags: one line, exit 2


@pytest.mark.parametrize("args, message", [
    (["serve-web", "--port", "-1"], "port -1 is not a port number"),
    (["serve-web", "--port", "70000"], "port 70000 is not a port number"),
    (["serve-web", "--latency", "nan"], "--latency must be a number of seconds >= 0"),
    (["crawl", "--seed", "http://a%2f..%2f..%2ftmp%2fx:9/"], "is not an http(s) URL"),
    (["crawl", "--delay", "nan"], "--delay must be >= 0"),
    (["crawl", "--delay", "inf"], "--delay must be >= 0"),
    (["crawl", "--delay", "-1"], "--delay must be >= 0"),
    (["crawl", "--timeout", "nan"], "--timeout must be positive"),
    (["crawl", "--timeout", "inf"], "--timeout must be positive"),
    (["crawl", "--timeout", "-1"], "--timeout must be positive"),
    (["crawl", "--faults", "nan"], "--faults must be >= 0"),
])
def test_bad_crawl_and_server_flags_are_one_line_and_exit_2(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINILLM_RUNS", str(tmp_path))
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert list(tmp_path.iterdir()) == []  # refused before anything was written
