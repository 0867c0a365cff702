"""The local web server of lesson 01: the bundled mini web on 127.0.0.1, misbehaving on request.

serve_web() serves a site folder (default: data/web/) in a background thread with the redirects and the crawler
trap its _manifest.json describes, can inject faults (Faults), and counts and logs what it serves, so the lesson,
its exercises, the tests and `minillm crawl` can check a crawler against it. `minillm serve-web` runs it until Ctrl-C.
"""

import argparse
import hashlib
import http.server
import json
import logging
import math
import mimetypes
import re
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from minillm.errors import UserError
from minillm.files import DATA_DIR

log = logging.getLogger("minillm.webserver")

# ----------------------------------------------------------------------------- the local web server


FAULT_KINDS = ("500", "503", "429", "slow", "drop", "oversized")


@dataclass
class Faults:
    """What the local server does wrong, decided by a hash of (seed, path) so every run fails alike.

    A `fraction` of paths is faulty (0 for `latency` alone). A faulty path fails its first one or two
    requests (`max_failures`) with its kind, then works: 500; 503 or 429 with Retry-After; slow (an
    answer after `slow_seconds`); drop (the connection closed without an answer). "oversized" is for
    ever: the page followed by `oversized_bytes` of blank padding, streamed, so a crawler that reads it
    all reads 50 MB.
    """

    fraction: float = 0.2
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: int = 1  # seconds, sent with 429 and 503
    slow_seconds: float = 2.0
    oversized_bytes: int = 50_000_000
    max_failures: int = 2
    latency: float = 0.0  # seconds before every answer, faulty or not: a server across an ocean

    def pick(self, path: str, attempt: int) -> str | None:
        """The fault for the `attempt`-th (0-based) request of `path`, or None."""
        digest = hashlib.sha256(f"{self.seed}:{path}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.fraction:
            return None
        kind = self.kinds[digest[8] % len(self.kinds)]
        failures = 1 + digest[9] % self.max_failures
        return kind if kind == "oversized" or attempt < failures else None


@dataclass
class Request:
    """One request the server received, in the server's log."""

    path: str
    attempt: int  # how many requests of this path came before it
    at: float  # time.monotonic() when it arrived
    status: int | None = None  # the status answered; None while it is answered, or if the server hung up (a drop)


class WebServer:
    """A ThreadingHTTPServer on 127.0.0.1 serving a site folder; counts what it serves, per path.

    `requests[path]` counts requests received, `completed[path]` answers sent in full, and `log` lists every
    request (a Request) in the order they arrived: what a crawler asked for, when, and what it was answered.
    `hold(path)` makes the server keep the next requests of `path` waiting until `release(path)` (the resume
    test uses it to kill a crawler at a known moment).
    """

    def __init__(self, root, port: int = 0, faults: Faults | float | None = None):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise UserError(f"no site to serve at {self.root}")
        self.manifest = read_manifest(self.root)
        self.faults = Faults(fraction=faults) if isinstance(faults, (int, float)) and faults else faults or None
        self.requests: Counter = Counter()
        self.completed: Counter = Counter()
        self.log: list[Request] = []
        self.arrived: dict[str, threading.Event] = {}
        self.gates: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        if not 0 <= port <= 65535:
            raise UserError(f"port {port} is not a port number (0 to 65535; 0 picks a free one)")
        try:
            self.httpd = QuietServer(("127.0.0.1", port), SiteHandler)
        except OSError as e:
            raise UserError(f"cannot listen on 127.0.0.1:{port}: {e.strerror}") from None
        self.httpd.web = self
        # a short poll interval makes close() quick: shutdown() waits for the loop's next poll
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="serve-web", daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    def hold(self, path: str) -> threading.Event:
        """Keep requests of `path` waiting; the returned event is set when one arrives."""
        self.gates[path] = threading.Event()
        self.arrived[path] = threading.Event()
        return self.arrived[path]

    def release(self, path: str) -> None:
        self.gates.pop(path).set()

    def close(self) -> None:
        for gate in self.gates.values():
            gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def count(self, path: str) -> Request:
        with self.lock:
            self.requests[path] += 1
            self.log.append(Request(path, self.requests[path] - 1, time.monotonic()))
            return self.log[-1]

    def answer(self, path: str) -> tuple[int, dict, bytes]:
        """(status, headers, body) for a path, as the site would answer without faults."""
        redirect = self.manifest.get("redirects", {}).get(path)
        if redirect:
            return redirect.get("status", 301), {"Location": redirect["to"]}, b""
        trap = self.manifest.get("trap", {}).get("prefix")
        if trap and path.startswith(trap):
            html = calendar_page(path, self.manifest.get("site_name", ""))
            if html is not None:
                return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode("utf-8")
        file = self.file_for(path)
        if file is None:
            body = b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>"
            return 404, {"Content-Type": "text/html; charset=utf-8"}, body
        return 200, {"Content-Type": self.content_type(file, path)}, file.read_bytes()

    def file_for(self, path: str) -> Path | None:
        parts = [p for p in unquote(path).split("/") if p]
        if any(p.startswith((".", "_")) for p in parts):  # the manifest and hidden files are not part of the site
            return None
        file = self.root.joinpath(*parts)
        try:
            if file.is_dir():
                file = file / "index.html"
            file = file.resolve()
            return file if file.is_file() and file.is_relative_to(self.root) else None
        except OSError:  # a name too long for the file system: no such page
            return None

    def content_type(self, file: Path, path: str) -> str:
        guessed = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if guessed != "text/html":
            return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
        page = self.manifest.get("pages", {}).get(path if not path.endswith("/") else path + "index.html", {})
        # Like many old sites, a page in a legacy encoding declares it only in its <meta> tag.
        return "text/html; charset=utf-8" if page.get("encoding", "utf-8") == "utf-8" else "text/html"


# The crawler trap: calendar pages are not on disk; the server renders each on demand, linked to the next month.
CALENDAR_RE = re.compile(r"^/calendar/(\d{4,})/(\d{2})\.html$")
MONTHS = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def calendar_page(path: str, site_name: str) -> str | None:
    """The HTML of an events-calendar page, /calendar/YYYY/MM.html, or None if `path` is not one.

    Each page links to the next month (and the one before), so a crawler that follows links blindly
    never runs out of new URLs.
    """
    match = CALENDAR_RE.match(path)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    name = f"{MONTHS[month]} {year}"
    nxt = (year + (month == 12), month % 12 + 1)
    prev = (year - (month == 1), (month - 2) % 12 + 1)
    links = [f'<a href="/calendar/{nxt[0]:04d}/{nxt[1]:02d}.html">Next month</a>']
    if prev[0] >= 1:
        links.insert(0, f'<a href="/calendar/{prev[0]:04d}/{prev[1]:02d}.html">Previous month</a>')
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>Events: {name} | {site_name}</title>", "</head>", "<body>",
        f'<div id="top"><a href="/index.html">{site_name}</a> | <a href="/events.html">Events</a></div>',
        f'<div class="calendar"><h1>Events: {name}</h1>', f"<p>No events are planned for {name} yet.</p>",
        f'<p class="pager">{" | ".join(links)}</p></div>', "</body>", "</html>", ""])


def read_manifest(root: Path) -> dict:
    try:
        return json.loads((root / "_manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as e:
        raise UserError(f"{root / '_manifest.json'} is not valid JSON: {e}") from None


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping (a slow fault) does not keep the process alive

    def handle_error(self, request, client_address):
        """A client that hangs up (a size cap, a timeout, a killed crawler) is normal here, not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("serve-web: client %s hung up", client_address)
        else:
            super().handle_error(request, client_address)


class SiteHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "minillm-serve-web/0.1"
    # Headers and body leave in two writes; with Nagle's algorithm on, the body waits for the client's
    # delayed ACK of the headers, 40 ms per request on Linux.
    disable_nagle_algorithm = True

    def do_GET(self):
        web: WebServer = self.server.web
        path = urlsplit(self.path).path or "/"
        self.entry = web.count(path)
        attempt = self.entry.attempt
        if "\x00" in unquote(path):  # no file name holds a NUL (the file system calls would raise)
            return self.send(400, {"Content-Type": "text/plain; charset=utf-8"}, b"400 Bad Request\n", path)
        if path in web.gates:
            web.arrived[path].set()
            web.gates[path].wait()
        fault = web.faults.pick(path, attempt) if web.faults else None
        if web.faults and web.faults.latency:
            time.sleep(web.faults.latency)
        if fault == "drop":
            self.close_connection = True
            return
        if fault in ("500", "503", "429"):
            retry = {"Retry-After": str(web.faults.retry_after)} if fault != "500" else {}
            return self.send(int(fault), {"Content-Type": "text/plain; charset=utf-8", **retry},
                             f"{fault} (injected fault)\n".encode(), path)
        if fault == "slow":
            time.sleep(web.faults.slow_seconds)
        status, headers, body = web.answer(path)
        padding = web.faults.oversized_bytes if fault == "oversized" and status == 200 else 0
        self.send(status, headers, body, path, padding)

    def send(self, status: int, headers: dict, body: bytes, path: str, padding: int = 0) -> None:
        self.entry.status = status
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) + padding))
            self.end_headers()
            self.wfile.write(body)
            blank = b" " * 65536
            for start in range(0, padding, len(blank)):
                self.wfile.write(blank[: min(len(blank), padding - start)])
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading (a size cap, a timeout): fine
            return
        with self.server.web.lock:
            self.server.web.completed[path] += 1

    def log_message(self, format, *args):
        log.debug("serve-web: " + format, *args)


def serve_web(root=None, port: int = 0, faults: Faults | float | None = None) -> WebServer:
    """Serve a site folder (default: the bundled data/web/) on 127.0.0.1 in a background thread.

    port 0 picks a free port; `server.url` says which. Use it as a context manager, or call close().
    """
    return WebServer(root if root is not None else DATA_DIR / "web", port, faults)


# ----------------------------------------------------------------------------- command line


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm serve-web`."""
    parser.add_argument("--root", type=Path, help="site folder (default: the bundled data/web)")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1; 0 picks a free one (default: 8000)")
    parser.add_argument("--faults", type=float, default=0.0, metavar="FRACTION",
                        help="make this fraction of URLs fail (500, 503, 429, slow, dropped, oversized)")
    parser.add_argument("--fault-seed", type=int, default=0, help="which URLs fail (default: 0)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="delay every answer, like a far-away server (default: 0)")


def run_serve_from_args(args) -> int:
    """`minillm serve-web`: serve until Ctrl-C."""
    if not 0 <= args.faults <= 1:
        raise UserError("--faults is a fraction between 0 and 1")
    if not 0 <= args.latency < math.inf:
        raise UserError("--latency must be a number of seconds >= 0")
    faults = Faults(args.faults, args.fault_seed, latency=args.latency) if args.faults or args.latency else None
    # A shell starts a background job with Ctrl-C ignored, and Python then never raises KeyboardInterrupt:
    # `minillm serve-web &` could not be stopped with SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with serve_web(args.root, args.port, faults) as server:
        extras = [f"faults on {args.faults:.0%} of URLs"] if args.faults else []
        extras += [f"{args.latency:g} s latency"] if args.latency else []
        try:
            print(f"serving {server.root} at {server.url}" + (f" ({', '.join(extras)})" if extras else ""))
            print("press Ctrl-C to stop", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")
    return 0
