"""One polite, bounded HTTP request (lesson 01, problems 3, 5 and 8).

The crawler names itself in every request and spaces its requests to a host (HostClock). A request follows
no redirect, reads a body only when it is HTML, stops at a size cap and at a deadline on the whole exchange
(sessions from new_session() cut the socket when it passes), and turns what went wrong into one line and a
verdict: worth retrying, and after how long, or not.
"""

import contextlib
import email.utils
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3

from minillm.robots import AGENT_TOKEN

USER_AGENT = f"{AGENT_TOKEN}/0.1 (educational crawler from the minillm course; obeys robots.txt)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
RETRY_STATUSES = (429, 500, 502, 503, 504)


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


# ----------------------------------------------------------------------------- a deadline on the whole exchange
# requests' timeout bounds each read from the socket, not their sum: a server that sends a byte every half second
# holds a request for as long as it likes, in the headers or in the body. So the connections of new_session()
# arm a timer when they start waiting for the answer, which shuts the socket down at the deadline of the fetch
# this thread is making; the read blocked on it returns at once, and requests raises.

DEADLINE = threading.local()  # .at: time.monotonic() by which this thread's fetch must be over; .timer


class CutAtDeadline:
    """Mixed into urllib3's connections: arms this thread's deadline timer on the connection's socket."""

    def getresponse(self, *args, **kwargs):
        at = getattr(DEADLINE, "at", None)
        if at is not None:
            stop_timer()
            DEADLINE.timer = threading.Timer(at - time.monotonic(), shut_down, (self.sock,))
            DEADLINE.timer.daemon = True
            DEADLINE.timer.start()
        return super().getresponse(*args, **kwargs)


def shut_down(sock: socket.socket) -> None:
    """Wake the thread blocked reading `sock` (socket.socket's own shutdown: an SSLSocket's is not thread-safe)."""
    with contextlib.suppress(OSError):  # the fetch ended and closed it as the timer fired
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def stop_timer() -> None:
    timer = getattr(DEADLINE, "timer", None)
    if timer is not None:
        timer.cancel()
        DEADLINE.timer = None


class HTTPConnection(CutAtDeadline, urllib3.connection.HTTPConnection):
    pass


class HTTPSConnection(CutAtDeadline, urllib3.connection.HTTPSConnection):
    pass


class HTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = HTTPConnection


class HTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = HTTPSConnection


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}


def new_session() -> requests.Session:
    """A requests.Session whose requests fetch_once can cut at its deadline (use one per thread)."""
    session = requests.Session()
    session.mount("http://", DeadlineAdapter())
    session.mount("https://", DeadlineAdapter())
    return session


# ----------------------------------------------------------------------------- one request


def fetch_once(session: requests.Session, url: str, *, connect: dict[str, str], user_agent: str, timeout: float,
               max_bytes: int, any_type: bool = False) -> Fetched:
    """GET `url` once, without following redirects (each hop must be checked against robots and scope).

    The body is read only for a 200 with an HTML Content-Type, or any 200 if `any_type` (robots.txt).
    `connect` maps a host[:port] of `url` to the address to connect to instead. With a session from
    new_session(), `timeout` bounds the whole exchange, whatever the server does.
    """
    parts = urlsplit(url)
    headers = {"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"}
    if parts.netloc in connect:
        headers["Host"] = parts.netloc
        url = urlunsplit(parts._replace(netloc=connect[parts.netloc]))
    DEADLINE.at = time.monotonic() + timeout
    timed_out = f"took longer than the timeout ({timeout:g} s)"
    try:
        with session.get(url, headers=headers, timeout=timeout, stream=True, allow_redirects=False) as r:
            content_type = r.headers.get("Content-Type", "")
            got = Fetched(r.status_code, content_type, location=r.headers.get("Location"),
                          retry_after=retry_after_seconds(r.headers.get("Retry-After")))
            if r.status_code == 200 and (any_type or media_type(content_type) in HTML_TYPES):
                got.body, got.truncated = read_body(r, max_bytes)
        if time.monotonic() >= DEADLINE.at:  # cut headers, or a body without a length, seem to end where it was cut
            raise Retryable(timed_out)
        return got
    except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
        if time.monotonic() >= DEADLINE.at:  # the timer cut the connection: what failed then is the timeout
            raise Retryable(timed_out) from None
        if describe_error(e) == "host name not found":  # it will not exist in a second either
            return Fetched(None, error="host name not found")
        raise Retryable(describe_error(e)) from None
    except requests.RequestException as e:
        return Fetched(None, error=describe_error(e))
    finally:
        stop_timer()
        DEADLINE.at = None


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def read_body(response: requests.Response, max_bytes: int) -> tuple[bytes, bool]:
    """Read a streamed body up to max_bytes; (body, truncated)."""
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= max_bytes:
            return b"".join(chunks)[:max_bytes], True
    return b"".join(chunks), False


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


def retry_wait(attempt: int, retry_after: float | None, backoff: float) -> float:
    """Seconds to wait before retry `attempt` (0 = the first): what Retry-After asked for, else a backoff
    that doubles with each attempt."""
    return retry_after if retry_after is not None else backoff * 2**attempt
