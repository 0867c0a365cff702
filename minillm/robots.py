"""robots.txt as RFC 9309 reads it (lesson 01, problem 2): the rules a site gives our crawler, and what they allow.

Parsing only: what an unreachable or redirected robots.txt means is decided where it is fetched, in the crawler.
"""

import re
from dataclasses import dataclass, field

AGENT_TOKEN = "minillm-course-crawler"  # the name robots.txt groups address (RFC 9309 "product token")
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB
MAX_ROBOTS_REDIRECTS = 5  # RFC 9309: follow at least five redirects for robots.txt


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
