"""The world's site: the pages a cleaner must reject, and the links that make one site.

Adds what lesson 02 has to handle (very long pages, personal data, spam, stubs, robots-disallowed pages,
French and Spanish pages, legacy encodings) to the content of text.py and stories.py, then links it all
into one `Site`: indexes, related pages, mirrors, print versions, near-duplicates, malformed pages,
redirects, broken links, files and other hosts.
"""

from dataclasses import dataclass, field

from minillm.world.almanac import almanac_pages
from minillm.world.facts import (
    ANIMALS,
    CONTINENTS,
    COUNTRIES,
    FRENCH_COUNTRIES,
    PLANETS,
    SCIENCE_FACTS,
    SPANISH_COUNTRIES,
)
from minillm.world.stories import (
    EXPERIMENTS,
    PETS,
    animal_diary,
    animal_story,
    capitals_howto,
    experiment_howto,
    fable,
    forum_thread,
    pen_pal_letter,
    pet_howto,
    planet_howto,
    quiz_pages,
    science_story,
    space_story,
    travel_diary,
    trip_howto,
    trip_story,
)
from minillm.world.text import (
    A_DIET,
    A_FOOD,
    A_INTRO,
    A_TRAIT,
    C_MONEY,
    C_SIGHT,
    P_INTRO,
    P_KIND,
    P_MOONS,
    P_YEAR,
    SCIENCE_TOPICS,
    SITE_NAME,
    VISIBLE_PLANETS,
    Page,
    a_an,
    addition_facts_page,
    addition_page,
    animal_article,
    animal_comparison,
    animal_facts,
    animal_values,
    arithmetic_guide,
    canonical_capital,
    canonical_continent,
    canonical_language,
    cap,
    continent_article,
    country_article,
    country_facts,
    country_name,
    country_values,
    join_and,
    planet_article,
    planet_values,
    random_date,
    rng_for,
    say,
    science_article,
    science_topic,
    slug,
    solar_system_article,
    tidy,
    times_page,
)

# ----------------------------------------------------------------------------- long pages


def long_pages() -> list:
    rng = rng_for("long", "countries")
    blocks = [("h1", "Countries of the world: the complete guide"),
              ("p", tidy(f"This guide describes all {len(COUNTRIES)} countries on Small World, continent by "
                         "continent. For each one you will find its continent, its capital, its main languages, "
                         "its money and one famous sight."))]
    for continent in CONTINENTS:
        blocks.append(("h2", continent))
        for c in (c for c in COUNTRIES if c.continent == continent):
            blocks.append(("p", say(rng, [canonical_continent(c), canonical_capital(c), canonical_language(c)],
                                    C_MONEY, C_SIGHT, **country_values(c))))
    countries = Page("/atlas/countries-of-the-world.html", "long", blocks[0][1], blocks, "atlas")

    rng = rng_for("long", "animals")
    blocks = [("h1", "Animals from A to Z"),
              ("p", tidy(f"Here are all {len(ANIMALS)} animals on Small World in alphabetical order, with where they "
                         "live, what they eat and what their babies are called."))]
    for a in sorted(ANIMALS):
        v = animal_values(a) | {"a_young": a_an(a.young)}
        blocks.append(("h2", cap(a.name)))
        blocks.append(("p", say(rng, A_INTRO, ["{Plural} live {habitat}."], A_DIET, A_FOOD,
                                ["A baby {animal} is called {a_young}."], A_TRAIT, **v)))
    animals = Page("/atlas/animals-a-to-z.html", "long", blocks[0][1], blocks, "atlas")

    rng = rng_for("long", "science")
    blocks = [("h1", "The science handbook"),
              ("p", tidy("A handbook of basic science facts: water, the human body, the Earth and the sky, light "
                         "and sound, and more. Each fact comes with a short explanation."))]
    for f in SCIENCE_FACTS:
        blocks += [("h2", f.title), ("p", tidy(" ".join((rng.choice(f.statements),) + f.details)))]
    for p in PLANETS:
        blocks += [("h2", p.name), ("p", say(rng, P_INTRO, P_KIND, P_MOONS, P_YEAR, ["{planet} {trait}."],
                                             **planet_values(p)))]
    science = Page("/atlas/science-handbook.html", "long", blocks[0][1], blocks, "atlas")
    return [countries, animals, science]


# ----------------------------------------------------------------------------- pages with personal data


def pii_page(path, title, paragraphs, emails=(), phones=(), ips=(), kind="pii", section="about") -> Page:
    text = " ".join(paragraphs)
    for item in (*emails, *phones, *ips):
        assert item in text, item  # the manifest must list only what the page really says
    return Page(path, kind, title, [("h1", title)] + [("p", tidy(p)) for p in paragraphs], section,
                pii={"emails": list(emails), "phones": list(phones), "ips": list(ips)})


def pii_pages() -> list:
    return [
        pii_page("/contact.html", "Contact us", [
            ("We love hearing from our readers. If you spot a mistake in one of our articles, or you have an idea "
             "for a new page, please get in touch."),
            "For general questions, write to hello@example.com. We try to answer every message within a week.",
            ("Teachers who would like to use our pages in class can write to schools@example.com or call our "
             "education desk on +1 202 555 0142 between 9 am and 5 pm."),
            ("Please do not send us personal information about children. We never ask for it and we delete it if "
             "we receive it.")],
            emails=("hello@example.com", "schools@example.com"), phones=("+1 202 555 0142",)),
        pii_page("/about/team.html", "Our team", [
            ("Small World is written by a small team of editors and volunteers who love explaining the world in "
             "plain words."),
            ("Ana Ruiz is our editor. She checks every country page before it goes online. You can reach her at "
             "ana.ruiz@example.com."),
            ("Tom Becker writes most of our science pages. Before joining us he taught physics for twenty years. "
             "His address is t.becker@example.org."),
            ("Priya Nair looks after the animal pages and the forum. Call her on +44 20 7946 0321 if you would like "
             "to volunteer as a forum helper.")],
            emails=("ana.ruiz@example.com", "t.becker@example.org"), phones=("+44 20 7946 0321",)),
        pii_page("/press.html", "Press and media", [
            ("Journalists writing about learning at home are welcome to quote our pages, as long as they link back "
             "to the original article."),
            ("For interviews, pictures or statistics about the site, please contact our press office at "
             "press@example.com or on (555) 014-2290."),
            "We are a small team, so please allow a few days for an answer."],
            emails=("press@example.com",), phones=("(555) 014-2290",)),
        pii_page("/status.html", "Site status", [
            "All systems are working normally. This page shows the state of the servers that run Small World.",
            ("The main web server, 198.51.100.7, answered every request in the last 24 hours. The backup server, "
             "198.51.100.8, is ready to take over if the main one fails."),
            ("Last week we blocked requests from 203.0.113.99, which was downloading pages far too quickly and "
             "ignoring our robots.txt rules. Polite crawlers wait between requests."),
            "Planned maintenance happens on the first Sunday of every month, early in the morning."],
            ips=("198.51.100.7", "198.51.100.8", "203.0.113.99")),
        pii_page("/forum/pen-pals.html", "Looking for pen pals who love geography", [
            ("Hi everyone! I am a teacher and my class would love to write letters to children in other countries. "
             "We are learning the capitals of Europe this term."),
            ("Great idea! My class in Canada would be happy to join. Write to me at m.tremblay@example.net and we "
             "can swap addresses. The capital of Canada is Ottawa, by the way, not Toronto, which surprises many "
             "people."),
            "Count us in as well. You can text me on 555-201-7788 in the evenings.",
            "Thank you both, I have sent you an email!"],
            emails=("m.tremblay@example.net",), phones=("555-201-7788",), kind="pii", section="forum"),
        pii_page("/forum/router-help.html", "Help: my computer cannot reach the site", [
            ("Since yesterday I cannot open any page on this site from home. Other sites work fine. My computer "
             "shows the address 192.168.1.23 and the router is at 192.168.1.1. What should I check?"),
            ("Try restarting the router first. If that does not help, your public address may have been blocked by "
             "mistake. Mine is 203.0.113.45 and everything works for me."),
            "Restarting the router fixed it. Thanks a lot!"],
            ips=("192.168.1.23", "192.168.1.1", "203.0.113.45"), section="forum"),
        pii_page("/forum/lost-dog.html", "Lost dog near the park", [
            ("Our dog Biscuit ran away on Sunday near the park by the river. He is brown, friendly and wears a red "
             "collar."),
            ("Dogs have a very good sense of smell, so he may find his way home. If you see him, please email "
             "sam.lost.dog@example.com or call (555) 331-0456 at any time."),
            "Good news: Biscuit is home! Thank you to everyone who helped look for him."],
            emails=("sam.lost.dog@example.com",), phones=("(555) 331-0456",), section="forum"),
    ]


# ----------------------------------------------------------------------------- junk: spam, stuffing, stubs


SPAM_WORDS = ["CHEAP", "BEST PRICE", "FREE", "WIN", "CLICK HERE", "LIMITED OFFER", "90% OFF", "BUY NOW", "$$$",
              "ACT FAST", "NO RISK", "GUARANTEED", "DISCOUNT", "VIP", "BONUS", "CASH", "DEAL", "HOT"]
SPAM_THINGS = ["watches", "pills", "phones", "sunglasses", "loans", "casino chips", "followers", "diet tea"]


def spam_page(n: int) -> Page:
    rng = rng_for("spam", n)
    thing = SPAM_THINGS[n % len(SPAM_THINGS)]
    title = f"{rng.choice(SPAM_WORDS)} {thing.upper()} {rng.choice(SPAM_WORDS)}!!!"
    paragraphs = []
    for _ in range(rng.randint(4, 7)):
        words = [rng.choice(SPAM_WORDS) + "!!!" if rng.random() < 0.4 else rng.choice(SPAM_WORDS)
                 for _ in range(rng.randint(6, 14))]
        paragraphs.append(f"{' '.join(words)} {thing.upper()} {thing} {thing}!!! {rng.choice(SPAM_WORDS)}")
    return Page(f"/deals/{slug(thing)}-{n}.html", "spam", title, [("h1", title)] + [("p", p) for p in paragraphs],
                "deals", good=False)


def keyword_stuffed_page(c) -> Page:
    rng = rng_for("stuffed", c.name)
    name, city = c.name, c.capital
    keywords = [f"{city} hotels", f"cheap flights {city}", f"capital of {name}", f"{name} travel",
                f"{city} {name} capital", f"best {city} deals", f"{name} holidays", f"{city} cheap"]
    paragraphs = []
    for _ in range(5):
        paragraphs.append(" ".join(rng.choice(keywords) for _ in range(rng.randint(18, 30))) + ".")
    title = f"{city} hotels cheap flights {city} capital of {name} {city} travel"
    return Page(f"/best/{slug(city)}-cheap-flights-hotels.html", "keyword_stuffed", title,
                [("h1", title)] + [("p", p) for p in paragraphs], "deals", good=False)


SHORT_PAGES = [
    ("/subscribe.html", "Subscribe", "Thanks for subscribing!"),
    ("/search.html", "Search", "No results found."),
    ("/coming-soon.html", "Coming soon", "This page is coming soon."),
    ("/login.html", "Log in", "Please log in to continue."),
    ("/quiz/daily.html", "Daily quiz", "Today's quiz is not ready yet. Come back tomorrow."),
]


def short_pages() -> list:
    return [Page(path, "short", title, [("h1", title), ("p", text)], "about", good=False)
            for path, title, text in SHORT_PAGES]


def private_pages() -> list:
    """Pages under robots.txt Disallow: linked from the site, but a polite crawler never fetches them."""
    notes = Page("/private/editor-notes.html", "private", "Editor notes (internal)", [
        ("h1", "Editor notes (internal)"),
        ("p", "Internal only. Do not publish. The country pages for Oceania still need a second check."),
        ("p", "Remember to update the forum rules before the summer holidays.")], "private", good=False)
    budget = Page("/private/budget.html", "private", "Budget 2023 (internal)", [
        ("h1", "Budget 2023 (internal)"),
        ("p", "Internal only. Hosting, domain names and the yearly volunteer lunch.")], "private", good=False)
    admin = Page("/admin/index.html", "private", "Administration", [
        ("h1", "Administration"), ("p", "Sign in with your staff account to manage the site.")], "private",
        good=False)
    drafts = []
    for c in COUNTRIES[:3]:
        page = country_article(c)
        blocks = [("p", "DRAFT - not checked yet.")] + page.blocks
        drafts.append(Page(f"/drafts/{slug(c.name)}.html", "draft", page.title, blocks, "private", good=False))
    return [notes, budget, admin, *drafts]


# ----------------------------------------------------------------------------- other languages and encodings


def lang_phrase_fr(langue: str) -> str:
    if " et " in langue:
        return f"Les langues principales sont {langue}."
    return f"La langue principale est {langue}."


def french_page(entry) -> Page:
    english, sujet, de, capitale, continent, langue, en = entry
    rng = rng_for("fr", english)
    sujet_min = sujet[0].lower() + sujet[1:]
    paragraphs = [
        f"{sujet} est un pays situé {continent}. Sa capitale est {capitale}. {en}, on parle {langue}.",
        rng.choice([f"La capitale {de} est {capitale}. C'est une ville pleine de musées, de marchés et de parcs.",
                    f"{capitale} est la capitale {de}. Beaucoup de voyageurs commencent leur visite par cette ville."]),
        f"{lang_phrase_fr(langue)} " + rng.choice([
            "Les enfants apprennent à lire et à écrire à l'école dans cette langue.",
            "Quelques mots de la langue locale suffisent souvent pour faire sourire les habitants."]),
        rng.choice([f"Chaque année, de nombreux visiteurs viennent découvrir {sujet_min}.",
                    (f"Pour bien connaître {sujet_min}, il faut prendre le temps de se promener et de parler avec "
                     "les gens.")]),
        f"Pour résumer : {sujet_min} se trouve {continent} et sa capitale est {capitale}.",
    ]
    return Page(f"/fr/pays/{slug(english)}.html", "foreign", sujet, [("h1", sujet)] + [("p", p) for p in paragraphs],
                "fr", good=False, lang="fr")


def lang_phrase_es(idioma: str) -> str:
    if " y " in idioma:
        return f"Las lenguas más habladas son {idioma}."
    return f"La lengua más hablada es {idioma}."


def spanish_page(entry) -> Page:
    english, sujeto, de, capital, continente, idioma, en = entry
    rng = rng_for("es", english)
    paragraphs = [
        f"{sujeto} es un país situado {continente}. Su capital es {capital}. {lang_phrase_es(idioma)}",
        rng.choice([f"La capital {de} es {capital}. Es una ciudad llena de museos, mercados y parques.",
                    f"{capital} es la capital {de}. Muchos viajeros empiezan su visita en esta ciudad."]),
        rng.choice([f"{en}, los niños aprenden a leer y a escribir en la escuela.",
                    f"{en}, unas pocas palabras en la lengua local siempre hacen sonreír a la gente."]),
        rng.choice([f"Cada año, muchos visitantes llegan para conocer {sujeto}.",
                    f"Para conocer bien {sujeto}, hay que pasear con calma y hablar con la gente."]),
        f"En resumen: {sujeto} está {continente} y su capital es {capital}.",
    ]
    return Page(f"/es/paises/{slug(english)}.html", "foreign", sujeto,
                [("h1", sujeto)] + [("p", p) for p in paragraphs], "es", good=False, lang="es")


def french_cuisine_page() -> Page:
    """A French page in ISO-8859-1, declared in its <meta>: foreign and not UTF-8 at once."""
    paragraphs = [
        ("La cuisine française est célèbre dans le monde entier. Chaque région a ses spécialités : la crêpe en "
         "Bretagne, la choucroute en Alsace, la bouillabaisse à Marseille."),
        ("À Paris, la capitale de la France, on trouve des boulangeries à presque tous les coins de rue. Le matin, "
         "beaucoup de gens achètent une baguette ou des croissants."),
        "Le fromage tient une place à part : on dit qu'il existe plus de mille fromages français différents.",
        "Enfin, le repas est un moment important de la journée, que l'on partage volontiers en famille ou entre amis.",
    ]
    return Page("/fr/cuisine.html", "foreign", "La cuisine française",
                [("h1", "La cuisine française")] + [("p", p) for p in paragraphs], "fr", good=False, lang="fr",
                encoding="iso-8859-1")


def non_utf8_pages() -> list:
    """English pages in windows-1252: curly quotes, dashes, accents and the euro sign become single bytes."""
    cafes = Page("/culture/cafes.html", "non_utf8", "Café culture around Europe", [
        ("h1", "Café culture around Europe"),
        ("p", ("In many European cities, the café is more than a place to drink coffee — it is a place to meet "
               "friends, read the newspaper or simply watch the world go by.")),
        ("p", ("Paris, the capital of France, is famous for its pavement cafés. Visitors order a café crème and a "
               "croissant, and nobody minds if they stay for an hour.")),
        ("p", ("Vienna, the capital of Austria, has a long tradition of grand coffee houses. There, a glass of water "
               "always comes with your coffee, and waiters in black jackets call you “sir” or “madam”.")),
        ("p", ("In Rome, the capital of Italy, people often drink their espresso standing at the bar. It’s quick, "
               "strong and cheap.")),
        ("p", ("Wherever you go, the café is a good place to practise a few words of the local language: a “merci” in "
               "Paris, a “danke” in Vienna or a “grazie” in Rome."))], "culture", encoding="windows-1252")
    euro = sorted(country_name(c) for c in COUNTRIES if c.currency == "euro")
    money = Page("/culture/money.html", "non_utf8", "Money around the world: €, £ and ¥", [
        ("h1", "Money around the world: €, £ and ¥"),
        ("p", "Every country has its own money, called its currency, and many currencies have their own symbol."),
        ("p", (f"The euro (€) is shared by many countries in Europe. On Small World you can read about "
               f"{len(euro)} of them: {join_and(euro)}.")),
        ("p", ("The pound sterling (£) is the currency of the United Kingdom. It is one of the oldest currencies "
               "still in use.")),
        ("p", ("The yen (¥) is the currency of Japan. Japanese coins include a 5 yen coin with a hole in the "
               "middle.")),
        ("p", ("When you travel, it’s worth checking the exchange rate — the number that tells you how much of one "
               "currency you get for another."))], "culture", encoding="windows-1252")
    return [cafes, money]


# ----------------------------------------------------------------------------- the site: pages and their links


NAV = [("Home", "/index.html"), ("Countries", "/countries/index.html"), ("Animals", "/animals/index.html"),
       ("Planets", "/planets/index.html"), ("Science", "/science/index.html"), ("Maths", "/math/index.html"),
       ("Stories", "/stories/index.html"), ("How-to", "/howto/index.html"), ("Forum", "/forum/index.html"),
       ("Quizzes", "/quiz/index.html"), ("Events", "/events.html")]
FOOTER = [("About us", "/about.html"), ("Our team", "/about/team.html"), ("Contact", "/contact.html"),
          ("Press", "/press.html"), ("Site status", "/status.html"), ("Sitemap", "/sitemap.html"),
          ("Useful links", "/links.html"), ("Archive", "/archive/index.html"), ("Staff login", "/admin/index.html")]
TAGS = ["geography", "wildlife", "space", "science", "maths", "stories", "travel", "for-kids"]
EXTERNAL = ["http://example.org/world-atlas", "https://example.com/kids-science", "http://example.net/space-news",
            "https://example.org/animal-rescue", "http://example.com/teachers/resources",
            "https://example.net/maps/world.html"]
SHARE_LINKS = ["https://example.com/share", "https://example.org/tweet"]
BINARIES = {"/files/solar-system-facts.pdf": "Solar System fact sheet (PDF)", "/images/world-map.png":
            "World map (PNG)", "/files/world-facts.zip": "All country facts as a spreadsheet (ZIP)",
            "/images/logo.png": "Our logo (PNG)"}
BROKEN = ["/countries/atlantis.html", "/animals/unicorn.html", "/forum/thread-9999.html", "/downloads/old-guide.pdf",
          "/stories/the-lost-page.html", "/math/times-13.html"]
NON_HTTP = ["mailto:hello@example.com", "tel:+12025550142", "javascript:void(0)"]
PAGE_SIZE = 40  # links per page of a paginated index


@dataclass
class Site:
    pages: dict = field(default_factory=dict)  # path -> Page
    planted: dict = field(default_factory=dict)  # host path -> [(text, href)]: links shown in its related block
    sponsored: dict = field(default_factory=dict)  # host path -> [(text, href)]: the sidebar's "Sponsored" box
    redirects: dict = field(default_factory=dict)
    duplicate_groups: list = field(default_factory=list)
    mirrors: dict = field(default_factory=dict)  # mirror path -> original path (byte-identical copies)
    url_variants: dict = field(default_factory=dict)  # href with query or fragment -> the page it names
    stated_sums: set = field(default_factory=set)  # ("+", a, b) ... that the web states: kept out of test splits

    @property
    def mirrored(self) -> set:
        return set(self.mirrors.values())

    @property
    def popular(self) -> list:
        """Pages the sidebar picks from: good English pages that are not copies."""
        return sorted(p.path for p in self.pages.values() if p.good and p.lang == "en" and not p.disallowed)

    def add(self, page: Page) -> Page:
        assert page.path not in self.pages, page.path
        self.pages[page.path] = page
        return page

    def plant(self, host: str, text: str, href: str) -> None:
        self.planted.setdefault(host, []).append((text, href))


def index_page(path, title, intro, links, section, lang="en") -> Page:
    page = Page(path, "index", title, [("h1", title), ("p", tidy(intro))], section, good=False, lang=lang)
    page.related = links
    return page


def paginated_index(site: Site, folder: str, title: str, intro: str, pages: list) -> None:
    """/folder/index.html, /folder/page-2.html, ...: each lists PAGE_SIZE pages and links to every page number."""
    chunks = [pages[i:i + PAGE_SIZE] for i in range(0, len(pages), PAGE_SIZE)]
    paths = [f"/{folder}/index.html"] + [f"/{folder}/page-{i}.html" for i in range(2, len(chunks) + 1)]
    for i, (path, chunk) in enumerate(zip(paths, chunks)):
        numbers = [(f"Page {j + 1}", p) for j, p in enumerate(paths) if p != path]
        heading = title if i == 0 else f"{title}, page {i + 1}"
        site.add(index_page(path, heading, intro, [(p.title, p.path) for p in chunk] + numbers, folder))


def content_pages(site: Site) -> dict:
    """Every page with real English text, by section."""
    stated = site.stated_sums
    rng = rng_for("site")
    sections = {
        "countries": [country_article(c) for c in COUNTRIES] + [country_facts(c) for c in COUNTRIES]
        + [continent_article(name) for name in CONTINENTS],
        "animals": [animal_article(a) for a in ANIMALS] + [animal_facts(a) for a in ANIMALS],
        "planets": [planet_article(p) for p in PLANETS] + [solar_system_article()],
        "science": [science_article(f) for f in SCIENCE_FACTS] + [science_topic(t) for t in SCIENCE_TOPICS],
        "math": [addition_page(n, stated) for n in range(1, 13)] + [times_page(n, stated) for n in range(2, 13)]
        + [addition_facts_page(stated), arithmetic_guide("How to add two-digit numbers", "add", stated),
           arithmetic_guide("How to subtract and check your answer", "sub", stated),
           arithmetic_guide("Doubles, even and odd numbers", "even", stated)],
        "howto": [trip_howto(c) for c in COUNTRIES] + [capitals_howto(name) for name in CONTINENTS]
        + [pet_howto(a) for a in ANIMALS if a.name in PETS] + [planet_howto(p) for p in PLANETS
                                                                 if p.name in VISIBLE_PLANETS]
        + [experiment_howto(key) for key in EXPERIMENTS],
        "quiz": quiz_pages(stated),
        "almanac": almanac_pages(),
    }
    by_group = {}
    for a in ANIMALS:
        by_group.setdefault(a.habitat.split()[-1], []).append(a)
    pairs = [(a, b) for i, a in enumerate(ANIMALS) for b in ANIMALS[i + 1:] if a.group == b.group]
    sections["animals"] += [animal_comparison(a, b) for a, b in sorted(rng.sample(pairs, 24))]

    sections["blog"] = [travel_diary(c) for c in COUNTRIES]
    sections["letters"] = [pen_pal_letter(c) for c in COUNTRIES]
    # One story per country and animal: stories teach narrative, the almanac the facts, and a tiny model's few
    # minutes of training go further on facts when stories are not half of the corpus (benchmarks/RESULTS.md).
    stories, n = [animal_diary(a) for a in ANIMALS], 0
    for c in COUNTRIES:
        n += 1
        stories.append(trip_story(c, n))
    for a in ANIMALS:
        n += 1
        stories.append(animal_story(a, n))
    for a in ANIMALS:
        n += 1
        stories.append(fable(a, rng.choice([b for b in ANIMALS if b.name != a.name]), n))
    for p in PLANETS:
        n += 1
        stories.append(space_story(p, n))
    for f in SCIENCE_FACTS:
        n += 1
        stories.append(science_story(f, n))
    rng.shuffle(stories)
    sections["stories"] = stories

    topics = [("capital", c) for c in COUNTRIES] + [("continent", c) for c in rng.sample(COUNTRIES, 40)]
    topics += [(topic, c) for topic in ("language", "currency", "sight") for c in rng.sample(COUNTRIES, 45)]
    topics += [("animal", a) for a in ANIMALS] + [("planet", p) for p in PLANETS]
    topics += [("science", f) for f in SCIENCE_FACTS]
    topics += [("sum", (rng.randint(11, 69), rng.randint(11, 29))) for _ in range(30)]
    rng.shuffle(topics)
    sections["forum"] = [forum_thread(topic, key, i + 1, stated) for i, (topic, key) in enumerate(topics)]
    return sections


def build_site() -> Site:
    site = Site()
    sections = content_pages(site)
    for pages in sections.values():
        for page in pages:
            site.add(page)
    for page in long_pages() + pii_pages() + non_utf8_pages() + short_pages() + private_pages():
        site.add(page)
    add_junk(site)
    add_foreign(site)
    add_duplicates(site, sections)
    add_malformed(site, sections)
    add_indexes(site, sections)
    add_related(site, sections)
    plant_links(site, sections)
    return site


def add_junk(site: Site) -> None:
    rng = rng_for("junk")
    hosts = sorted(p for p, page in site.pages.items() if page.kind in ("article", "story", "qa"))
    junk = [site.add(spam_page(n)) for n in range(8)]
    junk += [site.add(keyword_stuffed_page(c)) for c in rng.sample(COUNTRIES, 6)]
    for page in junk:
        for host in rng.sample(hosts, 3):
            site.sponsored.setdefault(host, []).append((page.title.title()[:40], page.path))
    for tag in TAGS:
        page = Page(f"/tags/{tag}.html", "nav_only", f"Tag: {tag}", [], "tags", good=False)
        page.related = [(p.title, p.path) for p in rng.sample([site.pages[h] for h in hosts], 25)]
        site.add(page)
    sitemap = Page("/sitemap.html", "nav_only", "Sitemap", [], "about", good=False)
    sitemap.related = NAV + FOOTER + [(f"Tag: {t}", f"/tags/{t}.html") for t in TAGS]
    site.add(sitemap)
    links = Page("/links.html", "nav_only", "Useful links", [], "about", good=False)
    links.related = [(url.split("//")[1], url) for url in EXTERNAL]
    site.add(links)


def add_foreign(site: Site) -> None:
    fr = [site.add(french_page(e)) for e in FRENCH_COUNTRIES] + [site.add(french_cuisine_page())]
    es = [site.add(spanish_page(e)) for e in SPANISH_COUNTRIES]
    site.add(index_page("/fr/index.html", "Small World en français",
                        "Bienvenue ! Découvrez les pays du monde, leurs capitales et leurs langues.",
                        [(p.title, p.path) for p in fr], "fr", lang="fr"))
    site.add(index_page("/es/index.html", "Small World en español",
                        "¡Bienvenidos! Descubre los países del mundo, sus capitales y sus lenguas.",
                        [(p.title, p.path) for p in es], "es", lang="es"))


def add_duplicates(site: Site, sections: dict) -> None:
    """Mirrors (same bytes), print versions (same main text) and near-duplicates (an update note, a new date)."""
    rng = rng_for("duplicates")
    originals = rng.sample(sections["countries"][:len(COUNTRIES)] + sections["animals"][:len(ANIMALS)], 24)
    originals += rng.sample([p for p in sections["stories"] if len(p.main_text) > 1500], 12)
    for i, original in enumerate(originals):
        if i < 12:
            mirror = f"/mirror{original.path}"
            site.mirrors[mirror] = original.path
            copy = Page(mirror, "mirror", original.title, original.blocks, original.section, good=False,
                        duplicate_of=original.path, date=original.date)
            site.add(copy)
            members = [original.path, mirror]
            if i < 6:
                printed = site.add(Page(f"/print{original.path}", "print", original.title, original.blocks,
                                        original.section, good=False, duplicate_of=original.path))
                members.append(printed.path)
                site.plant(original.path, "Print this page", printed.path)
            site.duplicate_groups.append({"kind": "exact", "members": members})
        elif i < 20:
            printed = site.add(Page(f"/print{original.path}", "print", original.title, original.blocks,
                                    original.section, good=False, duplicate_of=original.path))
            site.plant(original.path, "Print this page", printed.path)
            site.duplicate_groups.append({"kind": "exact", "members": [original.path, printed.path]})
        else:
            date = random_date(rng, 2024, 2024)
            note = rng.choice([f"Updated on {date}: this page was checked for accuracy.",
                               f"Last reviewed {date}. Thanks to our readers for their suggestions.",
                               f"This article was updated on {date} with a new photo."])
            blocks = original.blocks[:1] + [("p", note)] + original.blocks[1:]
            year = rng.randint(2019, 2022)
            near = site.add(Page(f"/archive/{year}{original.path}", "near_duplicate", original.title, blocks,
                                 original.section, good=False, duplicate_of=original.path, date=date))
            site.duplicate_groups.append({"kind": "near", "members": [original.path, near.path]})


def add_malformed(site: Site, sections: dict) -> None:
    """Some good pages get broken markup: unclosed tags, bad nesting, unquoted attributes. Their text survives."""
    rng = rng_for("malformed")
    copied = {p for group in site.duplicate_groups for p in group["members"]}
    candidates = [p for p in sections["countries"] + sections["animals"] + sections["stories"]
                  if p.path not in copied]
    for page in rng.sample(candidates, 14):
        page.kind = "malformed"


def add_indexes(site: Site, sections: dict) -> None:
    intros = {
        "countries": ("Countries", "Every country on Small World, with its capital, languages and money."),
        "animals": ("Animals", "Wild animals, farm animals and pets: where they live, what they eat and more."),
        "planets": ("Planets", "The eight planets of the Solar System, from Mercury to Neptune."),
        "science": ("Science", "Simple science facts about water, the human body, light, sound and the Earth."),
        "math": ("Maths", "Addition tables, times tables and step-by-step guides to sums."),
        "howto": ("How-to guides", "Step-by-step guides: trips, pets, experiments and ways to learn."),
        "quiz": ("Quizzes", "Test what you know about capitals, animals, planets, science and sums."),
        "blog": ("Travel diaries", "Readers' diaries from trips around the world, day by day."),
        "letters": ("Pen pal letters", "Letters from children around the world about their countries."),
    }
    for name, (title, intro) in intros.items():
        site.add(index_page(f"/{name}/index.html", title, intro, [(p.title, p.path) for p in sections[name]], name))
    paginated_index(site, "stories", "Stories", "Short stories about journeys, animals, space and science.",
                    sections["stories"])
    paginated_index(site, "almanac", "Almanac", "Every country and animal with its key facts, volume by volume.",
                    sections["almanac"])
    forum = sections["forum"] + [site.pages[p] for p in ("/forum/pen-pals.html", "/forum/router-help.html",
                                                         "/forum/lost-dog.html")]
    paginated_index(site, "forum", "Forum", "Questions from readers, answered by readers.", forum)
    site.add(index_page("/atlas/index.html", "Atlas", "Long guides that bring everything together in one page.",
                        [(p.title, p.path) for p in site.pages.values() if p.section == "atlas"], "atlas"))
    site.add(index_page("/culture/index.html", "Culture", "Cafés, money and everyday life around the world.",
                        [("Café culture around Europe", "/culture/cafes.html"),
                         ("Money around the world", "/culture/money.html")], "culture"))
    archive = [p for p in site.pages.values() if p.kind == "near_duplicate"]
    site.add(index_page("/archive/index.html", "Archive", "Older versions of our pages, kept for reference.",
                        [(f"{p.title} ({p.path.split('/')[2]})", p.path) for p in archive], "archive"))
    mirrors = [(f"{site.pages[m].title} (mirror)", m) for m in site.mirrors]
    about = Page("/about.html", "article", "About Small World", [
        ("h1", "About Small World"),
        ("p", ("Small World is a free encyclopedia for curious readers of all ages. We explain countries, animals, "
               "planets, science and numbers in short, plain sentences.")),
        ("p", ("Every page is checked by an editor before it goes online. If you find a mistake, please tell us: we "
               "correct errors as quickly as we can.")),
        ("p", ("Some of our most popular pages are also copied to a mirror, so that they stay available when our "
               "main server is busy.")),
        ("p", ("Small World has no adverts of its own. Boxes marked as sponsored are paid for by other companies, "
               "and we do not check what they say."))], "about")
    about.related = mirrors + [(text, path) for path, text in BINARIES.items()]
    site.add(about)
    site.add(index_page("/events.html", "Events", "Talks, quizzes and star-gazing nights. See the calendar for "
                        "what is on this month.", [("Calendar: January 2024", "/calendar/2024/01.html")], "events"))
    featured = [site.pages[p] for p in ("/countries/france.html", "/animals/lion.html", "/planets/mars.html",
                                        "/science/boiling.html", "/math/times-7.html")]
    home = index_page("/index.html", f"Welcome to {SITE_NAME}",
                      "Small World explains our planet in plain words: countries and their capitals, animals and "
                      "their habitats, the planets of the Solar System, simple science and everyday maths.",
                      [(title, path) for title, path in NAV[1:]]
                      + [(p.title, p.path) for p in featured]
                      + [("Atlas: long guides", "/atlas/index.html"), ("Almanac", "/almanac/index.html"),
                         ("Culture", "/culture/index.html"),
                         ("Travel diaries", "/blog/index.html"), ("Pen pal letters", "/letters/index.html"),
                         ("Read this in French", "/fr/index.html"), ("Read this in Spanish", "/es/index.html")],
                      "home")
    home.blocks.append(("p", "New here? Start with a country, an animal or a planet, and follow the links."))
    site.add(home)


def add_related(site: Site, sections: dict) -> None:
    """A 'Related pages' block inside the content area of every content page: link-dense text to strip."""
    for pages in sections.values():
        for page in pages:
            rng = rng_for("related", page.path)
            others = rng.sample([p for p in pages if p.path != page.path], 5)
            page.related = [(p.title, p.path) for p in others]


def plant_links(site: Site, sections: dict) -> None:
    """Links to everything a crawler must handle: redirects, 404s, files, other hosts, robots-disallowed pages."""
    rng = rng_for("plant")
    chain = {"/old/index.html": ("/old/home.html", 301), "/old/home.html": ("/index.html", 301)}
    loop = {"/loop/a.html": ("/loop/b.html", 302), "/loop/b.html": ("/loop/a.html", 302)}
    moved = {"/news.html": ("/archive/index.html", 302), "/planets/pluto.html": ("/planets/solar-system.html", 301)}
    for c in rng.sample(COUNTRIES, 4):
        moved[f"/old/countries/{slug(c.name)}.html"] = (f"/countries/{slug(c.name)}.html", 301)
    for a in rng.sample(ANIMALS, 2):
        moved[f"/animals/{slug(a.name)}.htm"] = (f"/animals/{slug(a.name)}.html", 301)
    for source, (target, status) in sorted({**chain, **loop, **moved}.items()):
        site.redirects[source] = {"to": target, "status": status}
    hosts = sorted(p.path for p in sections["countries"] + sections["animals"] + sections["science"]
                   if p.kind == "article")
    site.plant("/index.html", "Old home page", "/old/index.html")
    site.plant("/about.html", "Latest news", "/news.html")
    site.plant("/planets/solar-system.html", "What happened to Pluto?", "/planets/pluto.html")
    site.plant("/forum/thread-1.html", "This one goes round in circles", "/loop/a.html")
    for source in moved:
        if source.startswith(("/old/", "/animals/")):
            site.plant(rng.choice(hosts), "Old link to this page", source)
    for path in BROKEN:
        site.plant(rng.choice(hosts), "See also", path)
    for path, text in BINARIES.items():
        site.plant(rng.choice(hosts), text, path)
    site.plant("/planets/index.html", BINARIES["/files/solar-system-facts.pdf"], "/files/solar-system-facts.pdf")
    site.plant("/countries/index.html", BINARIES["/files/world-facts.zip"], "/files/world-facts.zip")
    site.plant("/admin/index.html", "Editor notes", "/private/editor-notes.html")
    site.plant("/admin/index.html", "Budget", "/private/budget.html")
    for draft in (p for p in site.pages.values() if p.kind == "draft"):
        site.plant(rng.choice(sorted(p.path for p in sections["forum"])), "Draft of a new page", draft.path)
    site.plant("/index.html", "France (from our newsletter)", "/countries/france.html?utm_source=newsletter")
    site.plant("/index.html", "What lions eat", "/animals/lion.html#diet")
    site.url_variants = {"/countries/france.html?utm_source=newsletter": "/countries/france.html",
                         "/animals/lion.html#diet": "/animals/lion.html"}
    site.plant("/quiz/index.html", "Today's quiz", "/quiz/daily.html")
    site.plant("/contact.html", "Email us", "mailto:hello@example.com")
    site.plant("/contact.html", "Call the education desk", "tel:+12025550142")
    site.plant("/howto/index.html", "Coming soon: more guides", "/coming-soon.html")
