"""URLs as a crawler sees them (lesson 01, problems 1 and 7): one spelling per page, and the links of a page.

A page has many URLs, so every URL is normalised before it meets the crawler's seen-set. The crawler's
scope, robots.txt and politeness are kept per host, and a path whose segments repeat is a trap's mark.
"""

import ipaddress
import posixpath
import re
import string
from collections import Counter
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, SoupStrainer

# Parameters that say where a visitor came from, never which page: dropped, or every newsletter link is a new URL.
TRACKING = re.compile(r"(utm_[a-z]+|fbclid|gclid|mc_eid)(=|$)", re.IGNORECASE)
UNRESERVED = set(string.ascii_letters + string.digits + "-._~")  # RFC 3986: escaping these changes nothing


def normalize_url(url: str, base: str | None = None) -> str | None:
    """The one spelling of a URL the seen-set uses, or None when it is not an http(s) URL.

    Resolves `url` against `base`, lower-cases scheme and host, drops the fragment and a default port,
    decodes escaped unreserved characters (so %2E%2E is the dot segment it means), removes dot segments,
    upper-cases percent escapes, escapes what must be escaped, sorts the query and drops tracking parameters.

    >>> normalize_url("../b/./c.html?z=1&a=2&utm_source=mail#top", "HTTP://Example.COM:80/a/x.html")
    'http://example.com/b/c.html?a=2&z=1'
    """
    try:
        parts = urlsplit(urljoin(base, url.strip()) if base else url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:  # a bad port, an unclosed [IPv6 bracket
        return None
    if scheme not in ("http", "https") or not host or not is_host_name(host):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    path = clean_path(decode_unreserved(parts.path))
    query = "&".join(sorted(q for q in decode_unreserved(parts.query).split("&") if q and not TRACKING.match(q)))
    return urlunsplit((scheme, netloc, escape(path), escape(query), ""))


def is_host_name(host: str) -> bool:
    """An IP address, or a DNS name of labels of letters, digits, - and _ (urlsplit takes `a%2f..` for a host)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        labels = host.removesuffix(".").split(".")
        return len(host) <= 253 and all(re.fullmatch(r"[\w-]{1,63}", label) for label in labels)


def decode_unreserved(text: str) -> str:
    """Decode the percent escapes of unreserved characters (RFC 3986 section 6.2.2.2): %7Euser is ~user."""
    def decode(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else match.group()
    return re.sub(r"%([0-9a-fA-F]{2})", decode, text)


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
    """The path and query, what robots.txt rules match against."""
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
