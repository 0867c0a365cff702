"""PII masking, lesson 02's last step: e-mail addresses, phone numbers and public IPv4 addresses become placeholders.

FineWeb replaces e-mail addresses and public IP addresses before release; we also mask phone numbers. An address
of a private network names nobody on the internet, so it stays.
"""

import ipaddress
import re

EMAIL_MASK, PHONE_MASK, IP_MASK = "<email>", "<phone>", "<ip>"
PII_RE = re.compile(
    r"(?P<email>\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)"
    r"|(?P<ip>(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]))"
    # a phone number: an optional +country code and (area code), then 2 to 5 digit groups joined by spaces,
    # dots or dashes; looks_like_phone then checks the digit count and tells phones from dates and big numbers
    r"|(?P<phone>(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,5}){1,4}(?![\w-]))"
)


# Addresses that never identify anyone on the internet. The TEST-NET documentation ranges are not here: text
# uses them in place of real public addresses (the bundled world does too), so they are masked like those.
LOCAL_NETWORKS = [ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4")]


def is_public_ip(text: str) -> bool:
    """A valid IPv4 address outside the private, loopback, link-local, carrier-NAT, multicast and reserved blocks."""
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return not any(ip in network for network in LOCAL_NETWORKS)


def looks_like_phone(text: str) -> bool:
    """7 to 15 digits written like a phone number: after a + or an (area code), or in three groups joined by
    dashes or dots (555-201-7788); not a date (2023-05-01), a range (2016-2023) or a big number (149 600 000)."""
    digits = sum(c.isdigit() for c in text)
    if not 7 <= digits <= 15 or re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return False
    return text.startswith(("+", "(")) or bool(re.fullmatch(r"\d{2,4}([.-])\d{2,4}\1\d{2,5}", text))


def mask_pii(text: str) -> tuple[str, dict[str, int]]:
    """Replace e-mail addresses, phone numbers and public IPv4 addresses; return the text and the counts."""
    counts = {"email": 0, "phone": 0, "ip": 0}

    def replace_match(m: re.Match) -> str:
        kind, value = m.lastgroup, m.group()
        if kind == "ip" and not is_public_ip(value):
            return value
        if kind == "phone" and not looks_like_phone(value):
            return value
        counts[kind] += 1
        return {"email": EMAIL_MASK, "phone": PHONE_MASK, "ip": IP_MASK}[kind]

    return PII_RE.sub(replace_match, text), counts
