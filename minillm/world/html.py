"""The world's files: every page as HTML with boilerplate, robots.txt, files, and the manifest.

Each Page is rendered inside a header, navigation, sidebar, footer, cookie banner, scripts and styles, in one
of several layouts; malformed pages get broken markup; PDF, PNG and ZIP files are written byte for byte
reproducibly; _manifest.json describes everything, the ground truth lessons 01 and 02 score against.
"""

import html
import io
import json
import posixpath
import random
import re
import struct
import textwrap
import zipfile
import zlib

from tqdm.auto import tqdm

from minillm.world.facts import ANIMALS, CONTINENTS, COUNTRIES, PLANETS
from minillm.world.site import BINARIES, BROKEN, EXTERNAL, FOOTER, NAV, NON_HTTP, SHARE_LINKS, TAGS, Site
from minillm.world.text import CRAWL_DELAY, DISALLOWED, SITE_NAME, TRAP_PREFIX, Page, cap, rng_for, slug

# ----------------------------------------------------------------------------- HTML


CSS = ("body{font-family:Georgia,serif;margin:0;color:#222;background:#fdfdf8}a{color:#1a5e9a}"
       ".site-header,#top{background:#2d6a4f;color:#fff;padding:12px 24px}.site-header a,#top a{color:#fff}"
       "nav ul,#menu ul{list-style:none;margin:0;padding:0;display:flex;gap:14px}"
       ".layout,#columns{display:flex;gap:24px;padding:24px}.sidebar,#col-left{width:240px;font-size:14px}"
       "main,.content,#main,.entry,.thread{flex:1;max-width:760px}.related,.share{border-top:1px solid #ccc;"
       "margin-top:24px;font-size:14px}#cookie-banner{position:fixed;bottom:0;width:100%;background:#333;color:#fff;"
       "padding:10px}.post{border-bottom:1px solid #ddd;padding:8px 0}.sponsored{background:#ffe;padding:6px}"
       "footer,#bottom{background:#eee;padding:16px 24px;font-size:13px}")
LABELS = {
    "en": {"tagline": "Facts about our planet, told simply", "popular": "Popular pages", "tags": "Browse by tag",
           "sponsored": "Sponsored", "elsewhere": "Elsewhere on the web", "newsletter":
           "Get a new fact in your inbox every week! Sign up for our free newsletter.", "signup": "Sign up",
           "cookies": "We use cookies to give you the best experience on our site. By continuing to browse, you "
           "agree to our use of cookies.", "accept": "Accept", "related": "Related pages", "share": "Share this page:",
           "rights": "All rights reserved.", "by": "By", "home": "Home", "search": "Search"},
    "fr": {"tagline": "Notre planète, expliquée simplement", "popular": "Pages populaires", "tags": "Thèmes",
           "sponsored": "Sponsorisé", "elsewhere": "Ailleurs sur le web", "newsletter":
           "Recevez un fait nouveau chaque semaine ! Inscrivez-vous à notre lettre gratuite.", "signup": "S'inscrire",
           "cookies": "Nous utilisons des cookies pour améliorer votre expérience. En continuant, vous acceptez leur "
           "utilisation.", "accept": "Accepter", "related": "Voir aussi", "share": "Partager :",
           "rights": "Tous droits réservés.", "by": "Par", "home": "Accueil", "search": "Rechercher"},
    "es": {"tagline": "Nuestro planeta, explicado con sencillez", "popular": "Páginas populares", "tags": "Temas",
           "sponsored": "Patrocinado", "elsewhere": "En otros sitios", "newsletter":
           "¡Recibe un dato nuevo cada semana! Suscríbete a nuestro boletín gratuito.", "signup": "Suscribirse",
           "cookies": "Usamos cookies para mejorar tu experiencia. Si sigues navegando, aceptas su uso.",
           "accept": "Aceptar", "related": "Ver también", "share": "Compartir:", "rights": "Todos los derechos "
           "reservados.", "by": "Por", "home": "Inicio", "search": "Buscar"},
}
AUTHORS = ["Ana Ruiz", "Tom Becker", "Priya Nair", "Sam Okafor", "Lena Fischer", "Kenji Mori"]


def entity_links() -> dict:
    """Words in running text that link to the page about them: country, animal, planet and continent names."""
    links = {}
    for c in COUNTRIES:
        links[c.name] = f"/countries/{slug(c.name)}.html"
    for a in ANIMALS:
        for form in (a.name, a.plural, cap(a.name), cap(a.plural)):
            links[form] = f"/animals/{slug(a.name)}.html"
    for p in PLANETS:
        links[p.name] = f"/planets/{slug(p.name)}.html"
    for continent in CONTINENTS:
        links[continent] = f"/continents/{slug(continent)}.html"
    return links


ENTITY_LINKS = entity_links()
ENTITY_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(ENTITY_LINKS, key=len, reverse=True)) + r")\b")


class Linker:
    """Turns the first mention of each known name in a page's text into a link (up to `budget` links)."""

    def __init__(self, page: Page, href, budget: int):
        self.page, self.href, self.budget, self.used = page, href, budget, {page.path}

    def __call__(self, text: str) -> str:
        out, last = [], 0
        for match in ENTITY_RE.finditer(text):
            target = ENTITY_LINKS[match.group(1)]
            if self.budget <= 0 or target in self.used:
                continue
            self.used.add(target)
            self.budget -= 1
            out.append(html.escape(text[last:match.start()], quote=False))
            out.append(f'<a href="{self.href(target)}">{html.escape(match.group(1), quote=False)}</a>')
            last = match.end()
        out.append(html.escape(text[last:], quote=False))
        return "".join(out)


def href_maker(page: Page, relative: bool):
    """Root-relative hrefs ("/animals/lion.html"), or relative ones ("../animals/lion.html") for some pages."""
    base = posixpath.dirname(page.path)

    def href(target: str) -> str:
        if not relative or not target.startswith("/"):
            return html.escape(target)
        path, rest = re.match(r"([^?#]*)(.*)", target).groups()
        return html.escape(posixpath.relpath(path, base) + rest)

    return href


def link_list(items, href, tag="ul", cls=None) -> str:
    attr = f' class="{cls}"' if cls else ""
    lines = [f'<li><a href="{href(url)}">{html.escape(text, quote=False)}</a></li>' for text, url in items]
    return f"<{tag}{attr}>" + "".join(lines) + f"</{tag}>"


def render_blocks(page: Page, linker, list_tag: str, wrap: bool = False) -> list:
    """The main content: headings, paragraphs and lists (runs of li blocks), text escaped and linked."""
    lines, open_list = [], False
    blocks = page.blocks or [("h1", page.title)]  # pages of links only still show a heading
    for tag, text in blocks:
        if tag == "li" and not open_list:
            lines.append(f"<{list_tag}>")
            open_list = True
        elif tag != "li" and open_list:
            lines.append(f"</{list_tag}>")
            open_list = False
        body = linker(text) if tag in ("p", "li") else html.escape(text, quote=False)
        if tag == "p" and wrap:
            body = "\n".join(textwrap.wrap(body, 100, break_long_words=False, break_on_hyphens=False))
        lines.append(f"<{tag}>{body}</{tag}>" if tag != "h1" else f'<h1 class="title">{body}</h1>')
    if open_list:
        lines.append(f"</{list_tag}>")
    return lines


def main_html(page: Page, style: str, linker, href, labels: dict, links: list) -> str:
    list_tag = "ol" if page.kind == "howto" else "ul"
    related = ""
    if links:
        title = labels["related"] if page.kind not in ("index", "nav_only") else ""
        related = ('<div class="related">' + (f"<h3>{title}</h3>" if title else "")
                   + link_list(links, href, cls="link-list") + "</div>")
    share = (f'<div class="share">{labels["share"]} <a href="{SHARE_LINKS[0]}">Facebook</a> '
             f'<a href="{SHARE_LINKS[1]}">X</a></div>')
    author = rng_for("author", page.path).choice(AUTHORS)
    byline = f'<p class="byline">{labels["by"]} {author} · {page.date}</p>' if page.date else ""
    if page.kind == "qa" and any(tag == "post" for tag, _ in page.blocks):
        posts = []
        for i, ((_, text), user) in enumerate(zip(page.blocks[1:], page.authors)):
            posts.append(f'<div class="post" id="post-{i + 1}"><div class="post-meta"><span class="user">{user}</span>'
                         f' <span class="when">{page.date}</span></div><div class="post-body"><p>{linker(text)}</p>'
                         f'</div><div class="post-actions"><a href="{href("/login.html")}">Reply</a> '
                         f'<a href="{href("/login.html")}">Report</a></div></div>')
        title = html.escape(page.blocks[0][1], quote=False)
        return (f'<div class="thread"><h1 class="thread-title">{title}</h1>\n' + "\n".join(posts)
                + f"\n{related}</div>")
    body = render_blocks(page, linker, list_tag, wrap=style == "bare")
    if style == "article":
        return "\n".join(['<article class="entry">', body[0], byline, *body[1:], related, share, "</article>"])
    if style == "content":
        return "\n".join(['<div class="content" id="content">', '<div class="entry-header">', body[0],
                          f'<span class="date">{page.date}</span></div>', '<div class="entry-body">', *body[1:],
                          "</div>", related, "</div>"])
    if style == "bare":
        return "\n".join(['<div id="main">', *body, related, "</div>"])
    sections, current = [], []
    for line in body[1:]:
        if line.startswith("<h2>") and current:
            sections.append("<section>\n" + "\n".join(current) + "\n</section>")
            current = []
        current.append(line)
    sections.append("<section>\n" + "\n".join(current) + "\n</section>")
    return "\n".join(['<main id="main-content">', body[0], *sections, related, share, "</main>"])


def head_html(page: Page, site: Site) -> str:
    charset = {"utf-8": '<meta charset="utf-8">',
               "windows-1252": '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
               "iso-8859-1": '<meta charset="iso-8859-1">'}[page.encoding]
    keywords = ""
    if page.kind == "keyword_stuffed":
        keywords = f'\n<meta name="keywords" content="{html.escape(page.title)}, {html.escape(page.title)}">'
    ld = json.dumps({"@context": "https://schema.org", "@type": "Article", "headline": page.title}, sort_keys=True)
    ld = ld.replace("</", "<\\/")
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{page.lang}">', "<head>", charset,
        f"<title>{html.escape(page.title, quote=False)} | {SITE_NAME}</title>",
        f'<meta name="description" content="{html.escape(page.title)}">' + keywords,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{CSS}</style>",
        ("<script>window.dataLayer=window.dataLayer||[];function track(){dataLayer.push(arguments)}"
         f'track("page_view",{{"path":"{page.path}"}});</script>'),
        f'<script type="application/ld+json">{ld}</script>', "</head>"])


def sidebar_html(page: Page, site: Site, href, labels: dict) -> str:
    rng = rng_for("sidebar", page.path)
    popular = [site.pages[p] for p in rng.sample(site.popular, 5)]
    parts = [f"<h3>{labels['popular']}</h3>", link_list([(p.title, p.path) for p in popular], href),
             f"<h3>{labels['tags']}</h3>", link_list([(t, f"/tags/{t}.html") for t in TAGS], href, cls="tags")]
    if page.path in site.sponsored:
        parts += [f'<div class="sponsored"><h3>{labels["sponsored"]}</h3>',
                  link_list(site.sponsored[page.path], href), "</div>"]
    parts += [f"<h3>{labels['elsewhere']}</h3>", link_list([(u.split("//")[1], u) for u in rng.sample(EXTERNAL, 2)],
                                                           href)]
    parts += [(f'<div class="newsletter"><p>{labels["newsletter"]}</p>'
               f'<a class="button" href="{href("/subscribe.html")}">{labels["signup"]}</a></div>')]
    return "\n".join(parts)


def render(page: Page, site: Site) -> str:
    """The whole HTML document of a page (str; encoded with page.encoding when written)."""
    rng = rng_for("render", page.path)
    labels = LABELS[page.lang]
    relative = page.path not in site.mirrored and rng.random() < 0.3
    href = href_maker(page, relative)
    if page.kind == "print":
        linker = Linker(page, href, 0)
        body = "\n".join(render_blocks(page, linker, "ul"))
        return "\n".join([head_html(page, site), '<body class="print">', f"<p>{SITE_NAME} — printable version</p>",
                          body, f'<p><a href="{href(page.duplicate_of)}">Back to the full page</a></p>',
                          "</body>", "</html>", ""])
    linker = Linker(page, href, rng.randint(4, 10) if page.lang == "en" else 0)
    style = rng.choice(["article", "content", "bare", "sections"])
    main = main_html(page, style, linker, href, labels, page.related + site.planted.get(page.path, []))
    nav = link_list([(labels["home"] if t == "Home" else t, u) for t, u in NAV], href)
    crumbs = f'<a href="{href("/index.html")}">{labels["home"]}</a> › {html.escape(page.section.title())}'
    header_links = (f'<a href="{href("/login.html")}">Log in</a> | <a href="{href("/search.html")}">'
                    f'{labels["search"]}</a> | <a href="{href("/fr/index.html")}">Français</a> | '
                    f'<a href="{href("/es/index.html")}">Español</a>')
    search = (f'<form action="{href("/search.html")}" method="get"><input name="q" placeholder="{labels["search"]}">'
              f"<button>{labels['search']}</button></form>")
    logo = f'<a href="{href("/index.html")}"><img src="{href("/images/logo.png")}" alt="{SITE_NAME} logo"></a>'
    cookie = (f'<div id="cookie-banner">{labels["cookies"]} <a href="javascript:void(0)" '
              f'onclick="this.parentNode.remove()">{labels["accept"]}</a></div>')
    footer = link_list(FOOTER, href, cls="footer-links") + f"<p>© 2024 {SITE_NAME}. {labels['rights']}</p>"
    sidebar = sidebar_html(page, site, href, labels)
    if rng.random() < 0.5:
        body = ["<body>", cookie, (f'<header class="site-header">{logo}<span class="site-name">{SITE_NAME}</span>'
                                   f'<span class="tagline">{labels["tagline"]}</span>{header_links}{search}</header>'),
                f'<nav class="main-nav">{nav}</nav>', f'<div class="breadcrumbs">{crumbs}</div>',
                '<div class="layout">', f'<aside class="sidebar">\n{sidebar}\n</aside>', main, "</div>",
                f"<footer>{footer}</footer>"]
    else:
        body = ["<body>", f'<div id="top">{logo}<b>{SITE_NAME}</b> — {labels["tagline"]} {header_links}{search}</div>',
                f'<div id="menu">{nav}</div>', '<div id="columns">', main,
                f'<div id="col-left">\n{sidebar}\n</div>', "</div>", f'<div id="bottom">{footer}</div>', cookie]
    body.append("<noscript>Please enable JavaScript for the best experience.</noscript>")
    document = "\n".join([head_html(page, site), *body, "</body>", "</html>", ""])
    return malform(document, rng) if page.kind == "malformed" else document


def malform(document: str, rng: random.Random) -> str:
    """Break the markup the way hand-edited pages do, without changing any text a parser would extract."""
    document = document.replace("</p>", "").replace("</li>", "")
    document = document.replace('class="content"', "class=content").replace('class="entry"', "class=entry")
    document = re.sub(r'(<h1 class="title">)(.*?)</h1>', r"\1<b>\2</h1></b>", document, count=1)
    document = re.sub(r"<h2>(.*?)</h2>", r"<h2><b>\1</h2></b>", document, count=2)
    document = document.replace("</body>\n</html>\n", "")
    return document.replace("<div class=\"related\">", "<div class=\"related\"><div>", 1) + rng.choice(
        ["</div>", "</span>", "<!-- end of page"])


# ----------------------------------------------------------------------------- files that are not HTML


def stored_zlib(data: bytes) -> bytes:
    """A zlib stream of uncompressed ("stored") deflate blocks: the same bytes from every zlib build."""
    out = bytearray(b"\x78\x01")
    starts = range(0, len(data), 65535) if data else [0]
    for start in starts:
        block = data[start:start + 65535]
        out += bytes([start + 65535 >= len(data)]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block
    return bytes(out + struct.pack(">I", zlib.adler32(data)))


def png_bytes(width: int, height: int, pixel) -> bytes:
    """An RGB PNG whose colour at (x, y) is pixel(x, y)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in pixel(x, y)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stored_zlib(rows)) + chunk(b"IEND", b"")


def world_map(x: int, y: int) -> tuple:
    land = (x - 30) ** 2 / 300 + (y - 20) ** 2 / 150 < 1 or (x - 70) ** 2 / 200 + (y - 26) ** 2 / 250 < 1
    return (46, 139, 87) if land else (70, 130, 200)


def logo(x: int, y: int) -> tuple:
    return (45, 106, 79) if (x - 16) ** 2 + (y - 16) ** 2 < 196 else (253, 253, 248)


def pdf_bytes(lines: list) -> bytes:
    """A one-page PDF with lines of text (xref offsets computed, no timestamps)."""
    text = " ".join(f"({line}) Tj 0 -18 Td" for line in lines)
    stream = f"BT /F1 12 Tf 72 740 Td {text} ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 5 0 R >> >> >>"),
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zip_bytes(files: dict) -> bytes:
    """A ZIP archive of {name: text}, stored uncompressed with a fixed date, so its bytes never change."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system, info.external_attr = 3, 0o644 << 16
            archive.writestr(info, text.encode("utf-8"), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def binary_files() -> dict:
    planets = ["The planets, in order from the Sun:"] + [f"{p.order}. {p.name}, a {p.kind}" for p in PLANETS]
    rows = ["country,capital,continent,languages,currency"]
    rows += [f'"{c.name}","{c.capital}","{c.continent}","{"; ".join(c.languages)}","{c.currency}"' for c in COUNTRIES]
    return {
        "/files/solar-system-facts.pdf": pdf_bytes(planets),
        "/images/world-map.png": png_bytes(96, 48, world_map),
        "/images/logo.png": png_bytes(32, 32, logo),
        "/files/world-facts.zip": zip_bytes({"countries.csv": "\n".join(rows) + "\n",
                                             "README.txt": "Countries of Small World, one per line.\n"}),
    }


def robots_txt() -> str:
    lines = [f"# robots.txt for {SITE_NAME}", "User-agent: BadBot", "Disallow: /", "", "User-agent: *"]
    lines += [f"Disallow: {prefix}" for prefix in DISALLOWED]
    lines.append(f"Crawl-delay: {CRAWL_DELAY}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- the manifest


def manifest(site: Site) -> dict:
    pages = {}
    for path, page in sorted(site.pages.items()):
        pages[path] = {"kind": page.kind, "good": page.good and not page.disallowed, "lang": page.lang,
                       "encoding": page.encoding, "title": page.title, "main_text": page.main_text,
                       "disallowed": page.disallowed, "duplicate_of": page.duplicate_of, "pii": page.pii}

    def of_kind(*kinds) -> list:
        return sorted(p for p, page in site.pages.items() if page.kind in kinds)

    return {
        "site_name": SITE_NAME,
        "home": "/index.html",
        "pages": pages,
        "redirects": site.redirects,
        "broken_links": sorted(BROKEN),
        "external_links": sorted(EXTERNAL + SHARE_LINKS),
        "binary_links": sorted(BINARIES),
        "non_http_links": sorted(NON_HTTP),
        "url_variants": site.url_variants,
        "robots": {"user_agent": "*", "disallow": list(DISALLOWED), "crawl_delay": CRAWL_DELAY,
                   "blocked_agents": ["BadBot"]},
        "trap": {"prefix": TRAP_PREFIX, "start": "/calendar/2024/01.html", "pattern": "/calendar/YYYY/MM.html",
                 "description": "An events calendar: /calendar/YYYY/MM.html pages are not on disk; the server "
                 "renders them (minillm.webserver.calendar_page), and each links to the next and previous month, "
                 "so the URLs never run out. Linked from /events.html."},
        "duplicate_groups": site.duplicate_groups,
        "languages": {lang: sorted(p for p, page in site.pages.items() if page.lang == lang) for lang in ("es", "fr")},
        "non_utf8": sorted(p for p, page in site.pages.items() if page.encoding != "utf-8"),
        "malformed": of_kind("malformed"),
        "spam": of_kind("spam", "keyword_stuffed"),
        "keyword_stuffed": of_kind("keyword_stuffed"),
        "nav_only": of_kind("nav_only"),
        "short": of_kind("short"),
        "long": of_kind("long"),
        "pii": sorted(p for p, page in site.pages.items() if page.pii),
        "disallowed": sorted(p for p, page in site.pages.items() if page.disallowed),
    }


def web_files(site: Site, progress: bool = False) -> dict:
    """Every file under data/web/, as {path inside the site: bytes}."""
    files = {"/robots.txt": robots_txt().encode("ascii")} | binary_files()
    for path, page in tqdm(sorted(site.pages.items()), desc="web pages", disable=not progress, leave=False):
        if path in site.mirrors:
            continue
        files[path] = render(page, site).encode(page.encoding, errors="xmlcharrefreplace")
    for mirror, original in site.mirrors.items():
        files[mirror] = files[original]
    files["/_manifest.json"] = (json.dumps(manifest(site), sort_keys=True, indent=1, ensure_ascii=False)
                                + "\n").encode("utf-8")
    return files
