"""From the bytes of a page to its text (lesson 01, problem 6), deciding the encoding the way browsers do.

The crawler decodes every HTML page it saves with decode_html; lesson 02 reads the bundled web's files with it too.
"""

import codecs
import re

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """(text, encoding) of an HTML body, the way browsers decide (WHATWG): a byte-order mark, else the HTTP header's
    charset, else <meta charset> in the first 1024 bytes, else UTF-8 if it decodes, else windows-1252.

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


def charset_of(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


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
