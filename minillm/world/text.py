"""The world's words: the facts as English sentences, and the encyclopedia pages.

Small text helpers (`fill` and `say` draw one sentence from each list of templates), the canonical sentences
that the fact probe and the chat sets repeat, the `Page` every later step builds, and the articles and fact
sheets on countries, continents, animals, planets, science and arithmetic. Each page draws from its own
generator seeded by its name (`rng_for`), so pages never depend on the order they are made in.
"""

import random
import re
from dataclasses import dataclass, field

from minillm.world.facts import CONTINENTS, COUNTRIES, PLANETS, SCIENCE_FACTS

SEED = "minillm-world-1"
SITE_NAME = "Small World"
CRAWL_DELAY = 0.05  # seconds; small so that crawls in tests are quick
DISALLOWED = ("/admin/", "/drafts/", "/private/")
TRAP_PREFIX = "/calendar/"

# ----------------------------------------------------------------------------- small text helpers


def rng_for(*parts) -> random.Random:
    """A generator seeded by a name: each page draws from its own, so pages don't depend on each other's order."""
    return random.Random(":".join([SEED, *map(str, parts)]))


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def a_an(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def join_and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def tidy(text: str) -> str:
    """Finish a paragraph: first letter up, one space between words, no doubled full stop after 'D.C.'."""
    text = re.sub(r"\s+", " ", text).strip().replace("D.C..", "D.C.")
    return cap(text)


def fill(rng: random.Random, templates, **values) -> str:
    return tidy(rng.choice(templates).format(**values))


def say(rng: random.Random, *template_lists, **values) -> str:
    """A paragraph: one sentence drawn from each template list, in order."""
    return tidy(" ".join(fill(rng, templates, **values) for templates in template_lists))


def ordinal(n: int) -> str:
    return ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"][n]


NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def young_plural(young: str) -> str:
    irregular = {"calf": "calves", "puppy": "puppies", "larva": "larvae", "fry": "fry"}
    return irregular.get(young, young + "s")


# ----------------------------------------------------------------------------- the facts, as sentences


def country_name(c) -> str:
    return f"the {c.name}" if c.the else c.name


def country_values(c) -> dict:
    return {
        "country": country_name(c),
        "Country": cap(country_name(c)),
        "capital": c.capital,
        "continent": c.continent,
        "lang": c.languages[0],
        "langs": join_and(c.languages),
        "currency": c.currency,
        "sight": c.sight,
    }


def animal_values(a) -> dict:
    return {
        "animal": a.name,
        "an_animal": a_an(a.name),
        "plural": a.plural,
        "Plural": cap(a.plural),
        "group": a.group,
        "groups": a.group if a.group == "fish" else a.group + "s",
        "a_group": a_an(a.group),
        "habitat": a.habitat,
        "diet": a.diet,
        "a_diet": a_an(a.diet),
        "food": a.food,
        "size": a.size,
        "a_size": a_an(a.size),
        "young": a.young,
        "youngs": young_plural(a.young),
        "trait": a.trait,
    }


def planet_values(p) -> dict:
    moons = "many moons" if p.moons is None else f"{NUMBER_WORDS[p.moons]} moon{'' if p.moons == 1 else 's'}"
    return {
        "planet": p.name,
        "order": ordinal(p.order),
        "kind": p.kind,
        "a_kind": a_an(p.kind),
        "moons": moons,
        "year": p.year,
        "trait": p.trait,
    }


DIET_MEANING = {
    "carnivore": "A carnivore is an animal that eats other animals.",
    "herbivore": "A herbivore is an animal that eats only plants.",
    "omnivore": "An omnivore is an animal that eats both plants and animals.",
}
GROUP_FACT = {
    "mammal": "Like all mammals, the {animal} feeds its young on milk.",
    "bird": "Like all birds, the {animal} has feathers and lays eggs.",
    "reptile": "Like other reptiles, the {animal} has dry, scaly skin.",
    "amphibian": "Like other amphibians, the {animal} can live both in water and on land.",
    "fish": "Like other fish, the {animal} breathes through gills.",
    "insect": "Like all insects, the {animal} has six legs.",
    "arachnid": "The {animal} is not an insect: it has eight legs, while insects have six.",
    "mollusc": "The {animal} is a mollusc, like snails and clams, but it has no shell.",
}
PLANET_KIND = {
    "rocky planet": "A rocky planet has a hard, solid surface made of rock and metal.",
    "gas giant": "A gas giant is a huge planet made mostly of hydrogen and helium, with no solid surface to stand on.",
    "ice giant": "An ice giant is a large, cold planet made mostly of water, ammonia and methane around a small "
    "rocky core.",
}
VISIBLE_PLANETS = ("Mercury", "Venus", "Mars", "Jupiter", "Saturn")


def canonical_capital(c) -> str:
    return f"The capital of {country_name(c)} is {c.capital}."


def canonical_continent(c) -> str:
    return f"{cap(country_name(c))} is a country in {c.continent}."


def canonical_language(c) -> str:
    if len(c.languages) == 1:
        return f"The main language of {country_name(c)} is {c.languages[0]}."
    return f"The main languages of {country_name(c)} are {join_and(c.languages)}."


ADDITION_TABLE_PROBES = [(2, 3), (4, 5), (6, 7), (8, 9), (3, 9), (7, 5), (9, 6), (12, 8)]


# ----------------------------------------------------------------------------- pages


@dataclass
class Page:
    """One HTML page of the mini web: its main content as blocks, and what the manifest says about it."""

    path: str
    kind: str
    title: str
    blocks: list  # (tag, text): tag is h1, h2, p, li or post; the main text is their texts in order
    section: str = ""
    good: bool = True
    lang: str = "en"
    encoding: str = "utf-8"
    duplicate_of: str | None = None
    pii: dict | None = None
    related: list = field(default_factory=list)  # (text, href): a link-dense block inside the content area
    authors: list = field(default_factory=list)  # one per "post" block (forum threads)
    date: str = ""

    @property
    def main_text(self) -> str:
        return "\n\n".join(text for _, text in self.blocks)

    @property
    def disallowed(self) -> bool:
        return self.path.startswith(DISALLOWED)


# Not calendar.month_name: that follows the locale, and the files must not.
MONTHS = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def random_date(rng: random.Random, first_year: int = 2016, last_year: int = 2023) -> str:
    month = rng.randint(1, 12)
    return f"{rng.randint(1, 28)} {MONTHS[month]} {rng.randint(first_year, last_year)}"


def bullets(items) -> list:
    return [("li", tidy(item)) for item in items]


# ----------------------------------------------------------------------------- countries


COUNTRY_TITLES = ["{Country}", "{Country}: an overview", "About {country}", "{Country} at a glance",
                  "Getting to know {country}"]
C_WHERE = ["{Country} is a country in {continent}.", "{Country} is a country located in {continent}.",
           "{Country} lies in {continent}.", "Located in {continent}, {country} is a country with a long history."]
C_CAPITAL = ["Its capital is {capital}.", "The capital of {country} is {capital}.",
             "{capital} is the capital city of {country}.", "The capital city is {capital}."]
C_LANG_ONE = ["Most people there speak {lang}.", "The main language is {lang}.", "People in {country} speak {lang}.",
              "The main language of {country} is {lang}."]
C_LANG_MANY = ["People in {country} speak {langs}.", "The main languages are {langs}.",
               "{Country} has more than one main language: {langs}.", "The main languages of {country} are {langs}."]
C_SIGHT = ["{Country} is famous for {sight}.", "Visitors come from all over the world to see {sight}.",
           "One of its best-known sights is {sight}."]
C_GEO_TITLE = ["Geography", "Where is {country}?", "Location"]
C_GEO = ["{Country} is part of {continent}.", "On a map, you will find {country} in {continent}.",
         "{Country} is one of the countries of {continent}."]
C_OTHERS = ["Other countries in {continent} include {others}.", "{others} are also countries in {continent}.",
            "Its fellow countries in {continent} include {others}."]
C_CAPITAL_TITLE = ["Capital city", "{capital}", "The capital, {capital}"]
C_CAPITAL_MORE = [
    "Many visitors begin their trip to {country} in {capital}.",
    "{capital} has museums, markets and parks that are popular with visitors.",
    "Every year, travellers from many countries arrive in {capital}.",
    "Walking through {capital} is a good way to start learning about {country}.",
]
C_CAPITAL_QA = ["If someone asks you for the capital of {country}, the answer is {capital}.",
                "So, when you think of the capital of {country}, think of {capital}.",
                "Remember: the capital of {country} is {capital}."]
C_LANG_TITLE = ["Language", "What language do people speak?", "Languages"]
C_LANG_MORE_ONE = ["Children in {country} learn to read and write in {lang} at school.",
                   "If you visit {country}, a few words of {lang} will make people smile.",
                   "Books, newspapers and television in {country} are mostly in {lang}."]
C_LANG_MORE_MANY = ["Many people in {country} speak more than one language.",
                    "Road signs in some parts of {country} are written in more than one language.",
                    "It is common in {country} to hear several languages in one day."]
C_MONEY_TITLE = ["Money", "Currency", "What money is used?"]
C_MONEY = ["The currency of {country} is the {currency}.", "People in {country} pay with the {currency}.",
           "In {country}, the money is called the {currency}."]
C_MONEY_MORE = ["Prices in shops and markets are shown in this currency.",
                "Visitors usually change some money into the {currency} when they arrive.",
                "Coins and notes of the {currency} show pictures of famous people and places."]
C_SIGHT_TITLE = ["Famous sights", "What to see", "Places to visit"]
C_SIGHT_MORE = ["{sight} is one of the most famous places in {country}.",
                "Many travellers visit {country} to see {sight}.",
                "Photos of {sight} are often used to show what {country} looks like."]
C_SIGHT_EXTRA = ["It is a good idea to visit early in the day, before the crowds arrive.",
                 "Guides can tell you about the history of the place.",
                 "Many people say it is the highlight of their trip."]
C_LIFE_TITLE = ["Daily life", "Life in {country}", "People and daily life"]
C_LIFE = [
    "Like people everywhere, families in {country} enjoy sharing meals together.",
    "Sports are popular with young people in {country}, and many towns have their own teams.",
    "Markets in {country} sell fresh fruit, vegetables and bread.",
    "Children in {country} go to school, where they learn reading, writing and maths.",
    "Music and dancing are part of many celebrations in {country}.",
    "Public holidays in {country} are a time for families to get together.",
    "Life in the cities of {country} is busy, while life in the villages is often quieter.",
]
C_TIPS_TITLE = ["Travel tips", "Visiting {country}", "Tips for visitors"]
C_TIPS = [
    "Many visitors explore the centre of {capital} on foot.",
    "Before visiting {country}, check what the weather will be like at that time of year.",
    "Carry some {currency} in cash for small shops and markets.",
    "Learning to say thank you in {lang} is a kind gesture.",
    "Always ask before taking photos of people.",
    "Try the local food: every country has dishes it is proud of.",
    "A good guidebook or map of {capital} will save you time.",
]
C_LEARN_TITLE = ["Learning about {country}", "How to remember it", "For students"]
C_LEARN = [
    ("A good way to remember that the capital of {country} is {capital} is to say the two names together "
     "several times."),
    "On a globe, start with {continent}, then look for {country}.",
    "Try drawing a simple map of {country} and marking {capital} with a star.",
    "Write the name {country} on one side of a card and {capital} on the other, and test yourself.",
    "Ask a friend to quiz you: what is the continent of {country}, and what is its capital?",
]
C_SUMMARY = ["To sum up:", "In short:", "So now you know.", "The key facts again:"]


def same_continent(c, k: int, rng: random.Random) -> list:
    others = [o for o in COUNTRIES if o.continent == c.continent and o.name != c.name]
    return rng.sample(others, min(k, len(others)))


def country_article(c) -> Page:
    rng = rng_for("country", c.name)
    v = country_values(c)
    others = join_and(country_name(o) for o in same_continent(c, 3, rng))
    lang_intro = C_LANG_ONE if len(c.languages) == 1 else C_LANG_MANY
    lang_more = C_LANG_MORE_ONE if len(c.languages) == 1 else C_LANG_MORE_MANY
    sections = [
        [("h2", fill(rng, C_GEO_TITLE, **v)),
         ("p", say(rng, C_GEO, C_OTHERS, **v, others=others)),
         ("p", rng.choice(re.split(r"(?<=\.) ", CONTINENTS[c.continent])))],
        [("h2", fill(rng, C_CAPITAL_TITLE, **v)),
         ("p", say(rng, C_CAPITAL, C_CAPITAL_MORE, C_CAPITAL_QA, **v))],
        [("h2", fill(rng, C_LANG_TITLE, **v)),
         ("p", say(rng, [canonical_language(c)], lang_more, **v))],
        [("h2", fill(rng, C_MONEY_TITLE, **v)),
         ("p", say(rng, C_MONEY, C_MONEY_MORE, **v))],
        [("h2", fill(rng, C_SIGHT_TITLE, **v)),
         ("p", say(rng, C_SIGHT_MORE, C_SIGHT_EXTRA, **v))],
    ]
    extras = [
        [("h2", fill(rng, C_LIFE_TITLE, **v)), ("p", tidy(" ".join(rng.sample(C_LIFE, 3)).format(**v)))],
        [("h2", fill(rng, C_TIPS_TITLE, **v)), ("p", tidy(" ".join(rng.sample(C_TIPS, 3)).format(**v)))],
        [("h2", fill(rng, C_LEARN_TITLE, **v)), ("p", tidy(" ".join(rng.sample(C_LEARN, 2)).format(**v)))],
    ]
    rng.shuffle(sections)
    rng.shuffle(extras)
    sections += extras
    blocks = [("h1", fill(rng, COUNTRY_TITLES, **v)),
              ("p", say(rng, C_WHERE, C_CAPITAL, lang_intro, C_SIGHT, **v))]
    for section in sections:
        blocks += section
    blocks += [("h2", "Quick facts")] + bullets([
        f"Continent: {c.continent}", f"Capital: {c.capital}",
        f"Language{'s' if len(c.languages) > 1 else ''}: {join_and(c.languages)}", f"Currency: {c.currency}"])
    blocks.append(("p", say(rng, C_SUMMARY, [canonical_continent(c)], [canonical_capital(c)], [canonical_language(c)],
                            **v)))
    return Page(f"/countries/{slug(c.name)}.html", "article", blocks[0][1], blocks, "countries",
                date=random_date(rng))


C_FACT_TITLES = ["Ten facts about {country}", "{Country}: quick facts", "Facts about {country} for kids",
                 "What you should know about {country}"]
C_FACT_INTRO = ["Here are some facts about {country} that are easy to remember.",
                "Want to learn about {country}? Start with these facts.",
                "This page collects the most important facts about {country}."]


def country_facts(c) -> Page:
    rng = rng_for("country-facts", c.name)
    v = country_values(c)
    pair = same_continent(c, 2, rng)
    items = [
        canonical_continent(c),
        canonical_capital(c),
        canonical_language(c),
        fill(rng, ["The money used in {country} is the {currency}.", "The currency of {country} is the {currency}."],
             **v),
        fill(rng, ["A famous sight in {country} is {sight}.", "{Country} is famous for {sight}."], **v),
        f"{join_and(country_name(o) for o in pair)} are also in {c.continent}.",
        f"The name of the capital, {c.capital}, has {sum(ch.isalpha() for ch in c.capital)} letters.",
        f"The name {c.name} begins with the letter {c.name[0]}.",
        fill(rng, ["If you visit {country}, you will pay with the {currency}.",
                   "Travellers to {country} need the {currency} to buy things."], **v),
        fill(rng, ["The capital, {capital}, is a good place to start a visit.",
                   "Most visitors to {country} spend a few days in {capital}."], **v),
    ]
    rng.shuffle(items)
    blocks = [("h1", fill(rng, C_FACT_TITLES, **v)), ("p", fill(rng, C_FACT_INTRO, **v))] + bullets(items)
    blocks.append(("p", fill(rng, ["Did you learn something new about {country}?",
                                   "Now you know more about {country} than most people!",
                                   "Share these facts about {country} with a friend."], **v)))
    return Page(f"/countries/{slug(c.name)}-facts.html", "article", blocks[0][1], blocks, "countries",
                date=random_date(rng))


def continent_article(continent: str) -> Page:
    rng = rng_for("continent", continent)
    members = [c for c in COUNTRIES if c.continent == continent]
    blocks = [("h1", rng.choice([f"{continent}", f"The countries of {continent}", f"A tour of {continent}"])),
              ("p", CONTINENTS[continent])]
    blocks.append(("p", tidy(f"On this site you can read about {len(members)} countries in {continent}. "
                             "Below, each one is listed with its capital city.")))
    more = ["People there speak {langs}.", "It is famous for {sight}.", "Its currency is the {currency}.",
            "{Country} lies in {continent}."]
    for c in members:
        blocks.append(("p", say(rng, [canonical_continent(c)], [canonical_capital(c)], more, **country_values(c))))
    blocks.append(("p", tidy(rng.choice([
        f"Learning the capitals of {continent} takes practice. Try covering the capital names and saying them aloud.",
        f"Which country in {continent} would you most like to visit?",
        f"There is much more to {continent} than capitals, but they are a good place to start."]))))
    return Page(f"/continents/{slug(continent)}.html", "article", blocks[0][1], blocks, "countries",
                date=random_date(rng))


# ----------------------------------------------------------------------------- animals


A_TITLES = ["The {animal}", "{Plural}", "All about {plural}", "The {animal}: a profile"]
A_INTRO = ["The {animal} is {a_group}.", "{Plural} are {groups}.",
           "The {animal} belongs to the group of animals called {groups}."]
A_HOME = ["{Plural} live {habitat}.", "You can find {plural} {habitat}.", "The {animal} lives {habitat}.",
          "The {animal} makes its home {habitat}."]
A_TRAIT = ["The {animal} {trait}.", "One amazing thing about the {animal} is that it {trait}.",
           "Did you know? The {animal} {trait}."]
A_HOME_TITLE = ["Habitat", "Where do {plural} live?", "Home"]
A_HOME_MORE = ["Its body is well suited to life there.", "This is where it finds food and raises its young.",
               "Scientists study {plural} in the places where they live to learn how they behave."]
A_FOOD_TITLE = ["Diet", "What do {plural} eat?", "Food"]
A_FOOD = ["{Plural} eat {food}.", "The {animal} eats {food}.", "The diet of the {animal} is made up of {food}."]
A_DIET = ["The {animal} is {a_diet}.", "{Plural} are {diet}s.", "The {animal} is known as {a_diet}."]
A_SIZE_TITLE = ["Size", "How big is the {animal}?"]
A_SIZE = ["The {animal} is {a_size} animal.", "{Plural} are {size} animals.", "In size, the {animal} is {size}."]
A_YOUNG_TITLE = ["Babies", "Young {plural}", "Family life"]
A_YOUNG = ["A baby {animal} is called {a_young}.", "Young {plural} are called {youngs}.",
           "A young {animal} is known as {a_young}."]
A_YOUNG_MORE = ["The {young} stays close to its parents until it can look after itself.",
                "A {young} grows quickly in its first year.",
                "Watching a {young} learn about the world is one of the joys of nature."]
A_WATCH = {
    "farm": "If you want to see {plural} up close, visit a farm. Farmers are often happy to show visitors around.",
    "home": "Many families keep {plural} at home. If you do not have one, perhaps a friend or neighbour does.",
    "sea": "To see {plural}, visit an aquarium or take a boat trip with a guide who knows where to look.",
    "zoo": "The easiest way to see {plural} is at a zoo or wildlife park, where keepers can answer questions.",
    "garden": "You do not need to travel far to see {plural}: look closely in a garden or a park on a warm day.",
}
A_CULTURE = ["{Plural} appear in many children's books, songs and cartoons.",
             "People have told stories about {plural} for thousands of years.",
             "Artists have drawn and painted {plural} since the earliest times.",
             "Many children name the {animal} as one of their favourite animals."]
A_SUMMARY = ["To sum up:", "So remember:", "In short:"]


def animal_setting(a) -> str:
    if a.habitat.startswith("on farms") or a.name in ("horse", "cow", "sheep", "goat", "pig", "chicken"):
        return "farm"
    if a.name in ("cat", "dog", "goldfish"):
        return "home"
    if a.group in ("insect", "arachnid") or a.name == "frog":
        return "garden"
    if a.habitat in ("in the ocean", "in warm oceans", "in rivers and the ocean"):
        return "sea"
    return "zoo"


def animal_article(a) -> Page:
    rng = rng_for("animal", a.name)
    v = animal_values(a) | {"a_young": a_an(a.young)}
    sections = [
        [("h2", fill(rng, A_HOME_TITLE, **v)), ("p", say(rng, A_HOME, A_HOME_MORE, **v))],
        [("h2", fill(rng, A_FOOD_TITLE, **v)), ("p", say(rng, A_DIET, A_FOOD, [DIET_MEANING[a.diet]], **v))],
        [("h2", fill(rng, A_SIZE_TITLE, **v)), ("p", say(rng, A_SIZE, **v))],
        [("h2", fill(rng, A_YOUNG_TITLE, **v)), ("p", say(rng, A_YOUNG, A_YOUNG_MORE, **v))],
    ]
    rng.shuffle(sections)
    blocks = [("h1", fill(rng, A_TITLES, **v)), ("p", say(rng, A_INTRO, A_HOME, A_TRAIT, **v))]
    for section in sections:
        blocks += section
    blocks += [("h2", "Did you know?"), ("p", say(rng, [GROUP_FACT[a.group]], [f"The {a.name} {a.trait}."], **v))]
    blocks += [("h2", fill(rng, ["Seeing {plural}", "Where to see {plural}"], **v)),
               ("p", say(rng, [A_WATCH[animal_setting(a)]], A_CULTURE, **v))]
    blocks += [("h2", "Quick facts")] + bullets([
        f"Group: {a.group}", f"Habitat: {a.habitat.split(' ', 1)[1]}", f"Diet: {a.diet}", f"Food: {a.food}",
        f"Size: {a.size}", f"Young: {a.young}"])
    blocks.append(("p", say(rng, A_SUMMARY, ["{Plural} live {habitat}."], ["A baby {animal} is called {a_young}."],
                            **v)))
    return Page(f"/animals/{slug(a.name)}.html", "article", blocks[0][1], blocks, "animals", date=random_date(rng))


def animal_facts(a) -> Page:
    rng = rng_for("animal-facts", a.name)
    v = animal_values(a) | {"a_young": a_an(a.young)}
    items = [
        fill(rng, ["The {animal} is {a_group}.", "{Plural} are {groups}."], **v),
        "{Plural} live {habitat}.".format(**v),
        fill(rng, ["{Plural} eat {food}.", "The {animal} feeds on {food}."], **v),
        fill(rng, ["The {animal} is {a_diet}.", "{Plural} are {diet}s."], **v),
        f"A baby {a.name} is called {a_an(a.young)}.",
        f"The {a.name} {a.trait}.",
        fill(rng, ["The {animal} is {a_size} animal.", "{Plural} are {size} animals."], **v),
        GROUP_FACT[a.group].format(animal=a.name),
        f"The word {a.name} has {len(a.name.replace(' ', ''))} letters.",
    ]
    rng.shuffle(items)
    title = fill(rng, ["Fun facts about {plural}", "{Plural}: fast facts", "Nine facts about the {animal}"], **v)
    blocks = [("h1", title), ("p", fill(rng, ["Here is what everyone should know about {plural}.",
                                               "Learn about {plural} with these quick facts.",
                                               "How much do you know about the {animal}? Check these facts."],
                                              **v))]
    blocks += bullets(items)
    return Page(f"/animals/{slug(a.name)}-facts.html", "article", title, blocks, "animals", date=random_date(rng))


def animal_comparison(a, b) -> Page:
    rng = rng_for("compare", a.name, b.name)
    va, vb = animal_values(a), animal_values(b)
    title = rng.choice([f"{cap(a.plural)} and {b.plural}: what is the difference?",
                        f"{cap(a.name)} or {b.name}? Comparing two animals", f"{cap(a.plural)} versus {b.plural}"])
    blocks = [("h1", title),
              ("p", tidy(f"People sometimes wonder how the {a.name} and the {b.name} compare. "
                         "Here is a side-by-side look at the two animals."))]
    if a.group == b.group:
        blocks.append(("p", tidy(f"Both the {a.name} and the {b.name} are {va['groups']}.")))
    else:
        blocks.append(("p", tidy(f"The {a.name} is {a_an(a.group)}, while the {b.name} is {a_an(b.group)}.")))
    blocks.append(("h2", "Where they live"))
    blocks.append(("p", tidy(f"{cap(a.plural)} live {a.habitat}. {cap(b.plural)} live {b.habitat}.")))
    blocks.append(("h2", "What they eat"))
    if a.diet == b.diet:
        blocks.append(("p", tidy(f"Both animals are {a.diet}s. {say(rng, A_FOOD, **va)} {say(rng, A_FOOD, **vb)}")))
    else:
        blocks.append(("p", tidy(f"The {a.name} is {a_an(a.diet)} and the {b.name} is {a_an(b.diet)}. "
                                 f"{cap(a.plural)} eat {a.food}, but {b.plural} eat {b.food}.")))
    blocks.append(("h2", "Babies"))
    blocks.append(("p", tidy(f"A baby {a.name} is called {a_an(a.young)}, and a baby {b.name} is called "
                             f"{a_an(b.young)}.")))
    blocks.append(("h2", "Something special"))
    blocks.append(("p", tidy(f"The {a.name} {a.trait}. The {b.name}, on the other hand, {b.trait}.")))
    return Page(f"/animals/compare/{slug(a.name)}-and-{slug(b.name)}.html", "article", title, blocks, "animals",
                date=random_date(rng))


# ----------------------------------------------------------------------------- planets and science


P_INTRO = ["{planet} is the {order} planet from the Sun.", "The {order} planet from the Sun is {planet}.",
           "Counting outwards from the Sun, {planet} is the {order} planet."]
P_KIND = ["It is {a_kind}.", "{planet} is {a_kind}."]
P_MOONS = ["{planet} has {moons}.", "Around {planet} there are {moons}."]
P_YEAR = ["A year on {planet} lasts {year}.", "{planet} takes {year} to travel once around the Sun.",
          "One trip around the Sun takes {planet} {year}."]


def planet_neighbours(p) -> str:
    inner = [q.name for q in PLANETS if q.order == p.order - 1]
    outer = [q.name for q in PLANETS if q.order == p.order + 1]
    if not inner:
        return f"{p.name} is the closest planet to the Sun. The next planet out is {outer[0]}."
    if not outer:
        return f"{p.name} is the farthest planet from the Sun. The planet just inside its orbit is {inner[0]}."
    return f"In the Solar System, {p.name} lies between {inner[0]} and {outer[0]}."


def planet_article(p) -> Page:
    rng = rng_for("planet", p.name)
    v = planet_values(p)
    blocks = [("h1", rng.choice([p.name, f"The planet {p.name}", f"{p.name}: the {v['order']} planet"])),
              ("p", say(rng, P_INTRO, P_KIND, ["{planet} {trait}."], **v)),
              ("h2", "Position in the Solar System"),
              ("p", tidy(f"The {v['order']} planet from the Sun is {p.name}. {planet_neighbours(p)}")),
              ("h2", "What it is made of"),
              ("p", tidy(f"{say(rng, P_KIND, **v)} {PLANET_KIND[p.kind]}")),
              ("h2", "Moons"),
              ("p", say(rng, P_MOONS, **v) + (" Scientists keep finding new ones." if p.moons is None else "")),
              ("h2", f"A year on {p.name}"),
              ("p", say(rng, P_YEAR, **v))]
    if p.name in VISIBLE_PLANETS:
        blocks += [("h2", "Can you see it?"),
                   ("p", tidy(f"Yes. {p.name} can be seen without a telescope. It looks like a bright star that "
                              "does not twinkle."))]
    blocks += [("h2", "Quick facts")] + bullets([
        f"Position: {v['order']} planet from the Sun", f"Type: {p.kind}", f"Moons: {v['moons']}",
        f"Length of a year: {p.year}"])
    blocks.append(("p", tidy(f"Remember: {p.name} is the {v['order']} planet from the Sun, and it {p.trait}.")))
    return Page(f"/planets/{slug(p.name)}.html", "article", blocks[0][1], blocks, "planets", date=random_date(rng))


def solar_system_article() -> Page:
    rng = rng_for("solar-system")
    blocks = [("h1", "The Solar System"),
              ("p", tidy("The Solar System is the Sun and everything that travels around it: eight planets, their "
                         "moons, and countless smaller rocks and balls of ice.")),
              ("p", tidy("In order from the Sun, the planets are " + join_and(p.name for p in PLANETS) + ". "
                         "A popular way to remember the order is the sentence: My Very Easy Method Just Speeds Up "
                         "Naming planets."))]
    for p in PLANETS:
        blocks.append(("p", say(rng, ["The {order} planet from the Sun is {planet}."], ["{planet} {trait}."], P_MOONS,
                                **planet_values(p))))
    blocks.append(("p", tidy("The four inner planets are rocky planets. Jupiter and Saturn are gas giants, and "
                             "Uranus and Neptune are ice giants.")))
    return Page("/planets/solar-system.html", "article", "The Solar System", blocks, "planets",
                date=random_date(rng))


def science_article(f) -> Page:
    rng = rng_for("science", f.key)
    others = rng.sample([g for g in SCIENCE_FACTS if g.key != f.key], 2)
    blocks = [("h1", f.title),
              ("p", tidy(f"{f.statements[0]} {f.details[0]}")),
              ("h2", rng.choice(["Why it matters", "More about this", "The details"])),
              ("p", tidy(f"{rng.choice(f.statements[1:])} {f.details[1]}")),
              ("h2", rng.choice(["Remember", "In one sentence", "Key fact"])),
              ("p", f.statements[0]),
              ("h2", "Related facts"),
              ("p", tidy(f"{others[0].statements[0]} {others[1].statements[0]}"))]
    return Page(f"/science/{slug(f.key)}.html", "article", f.title, blocks, "science", date=random_date(rng))


SCIENCE_TOPICS = {
    "Water": ["boiling", "freezing", "water_formula", "states", "water_surface"],
    "Chemical symbols": ["water_formula", "gold", "iron", "oxygen", "silver", "sodium", "diamond"],
    "The human body": ["bones", "heart", "skin", "breathing"],
    "Earth and sky": ["earth_orbit", "earth_spin", "moon", "sun_star", "continents", "everest", "pacific", "sahara"],
    "Light, sound and forces": ["light_speed", "sound_space", "rainbow", "magnets", "gravity"],
    "Plants and living things": ["photosynthesis", "breathing", "oxygen"],
    "Time and shapes": ["week", "earth_spin", "earth_orbit", "triangle"],
}


def science_topic(topic: str) -> Page:
    rng = rng_for("science-topic", topic)
    facts = {f.key: f for f in SCIENCE_FACTS}
    blocks = [("h1", topic), ("p", tidy(rng.choice([
        f"This page brings together the basic facts about {topic.lower()}.",
        f"Here is a short guide to {topic.lower()}, one fact at a time.",
        f"Everything a curious reader should know about {topic.lower()}, in plain words."])))]
    for key in SCIENCE_TOPICS[topic]:
        f = facts[key]
        blocks += [("h2", f.title), ("p", tidy(f"{rng.choice(f.statements)} {' '.join(f.details)}"))]
    return Page(f"/science/topics/{slug(topic)}.html", "article", topic, blocks, "science", date=random_date(rng))


# ----------------------------------------------------------------------------- arithmetic


def number_word(n: int) -> str:
    ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
    tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    if n < 20:
        return ones[n]
    if n < 100:
        return tens[n // 10] + ("" if n % 10 == 0 else "-" + ones[n % 10])
    return "one hundred" + ("" if n == 100 else " and " + number_word(n - 100))


def addition_page(n: int, stated: set) -> Page:
    rng = rng_for("adding", n)
    blocks = [("h1", rng.choice([f"Adding {n}", f"The {n} addition table", f"Learning to add {n}"])),
              ("p", tidy(f"When you add {n} to a number, you count on {n} more. Here are the sums from 0 + {n} "
                         f"to 12 + {n}."))]
    templates = ["{a} plus {b} is {c}.", "{a} + {b} = {c}.", "Add {b} to {a} and you get {c}.",
                 "{A} plus {B} equals {C}."]
    apples = "If you have {a} apples and get {b} more, you have {c}."
    for a in range(13):
        stated.add(("+", min(a, n), max(a, n)))
        probe = (a, n) in ADDITION_TABLE_PROBES or (n, a) in ADDITION_TABLE_PROBES
        blocks.append(("li", fill(rng, [templates[0]] if probe else templates + [apples] * (a >= 2), a=a, b=n, c=a + n,
                                  A=number_word(a), B=number_word(n), C=number_word(a + n))))
    blocks.append(("p", tidy(f"Notice that adding {n} and then taking {n} away brings you back to where you "
                             "started. For example, " + f"{7 + n} - {n} = 7.")))
    for a, b in ADDITION_TABLE_PROBES:
        if b == n:
            blocks.append(("p", f"Remember: {a} plus {b} is {a + b}."))
    stated.add(("-", 7 + n, n))
    return Page(f"/math/adding-{n}.html", "article", blocks[0][1], blocks, "math", date=random_date(rng))


def times_page(n: int, stated: set) -> Page:
    rng = rng_for("times", n)
    blocks = [("h1", rng.choice([f"The {n} times table", f"Multiplying by {n}", f"Times tables: {n}"])),
              ("p", tidy(f"Multiplying by {n} means adding {n} again and again. For example, 3 times {n} is "
                         f"{n} + {n} + {n}, which is {3 * n}."))]
    templates = ["{a} times {b} is {c}.", "{a} x {b} = {c}.", "{a} groups of {b} make {c}.",
                 "{A} times {B} equals {C}."]
    for a in range(1, 13):
        stated.add(("*", min(a, n), max(a, n)))
        blocks.append(("li", fill(rng, templates, a=a, b=n, c=a * n, A=number_word(a), B=number_word(n),
                                 C=number_word(a * n))))
    blocks.append(("p", tidy(rng.choice([
        "Say the table out loud every day for a week and you will soon know it by heart.",
        "A good trick is to learn the table in both directions, forwards and backwards.",
        "Practise with a friend: one of you asks, the other answers as fast as possible."]))))
    return Page(f"/math/times-{n}.html", "article", blocks[0][1], blocks, "math", date=random_date(rng))


def column_addition_steps(a: int, b: int) -> str:
    tens, ones = (a // 10 + b // 10) * 10, a % 10 + b % 10
    return (f"First add the tens: {a // 10 * 10} + {b // 10 * 10} = {tens}. Then add the ones: {a % 10} + {b % 10} "
            f"= {ones}. Finally, {tens} + {ones} = {a + b}. So {a} + {b} = {a + b}.")


def arithmetic_guide(title: str, kind: str, stated: set) -> Page:
    rng = rng_for("arith-guide", title)
    blocks = [("h1", title)]
    if kind == "add":
        blocks.append(("p", tidy("To add two numbers with two digits, add the tens and the ones separately, then "
                                 "put them together.")))
        for _ in range(6):
            a, b = rng.randint(11, 59), rng.randint(11, 39)
            stated.add(("+", min(a, b), max(a, b)))
            blocks.append(("p", tidy(column_addition_steps(a, b))))
    elif kind == "sub":
        blocks.append(("p", tidy("Subtraction means taking away. To check a subtraction, add the answer to the "
                                 "number you took away: you should get the number you started with.")))
        for _ in range(6):
            a, b = rng.randint(30, 99), rng.randint(10, 29)
            stated.add(("-", a, b))
            blocks.append(("p", tidy(f"{a} - {b} = {a - b}. Check: {a - b} + {b} = {a}.")))
    else:
        blocks.append(("p", tidy("Even numbers can be shared into two equal groups; odd numbers cannot. Every "
                                 "number that ends in 0, 2, 4, 6 or 8 is even.")))
        for n in rng.sample(range(2, 50), 8):
            stated.add(("+", n, n))
            blocks.append(("p", tidy(f"Double {n} is {2 * n}, because {n} + {n} = {2 * n}. "
                                     f"{n} is {'an even' if n % 2 == 0 else 'an odd'} number.")))
    return Page(f"/math/{slug(title)}.html", "howto" if kind != "even" else "article", title, blocks, "math",
                date=random_date(rng))


def addition_facts_page(stated: set) -> Page:
    rng = rng_for("addition-facts")
    pairs = ADDITION_TABLE_PROBES + [(a, b) for a in range(2, 10) for b in range(a, 10) if rng.random() < 0.3]
    blocks = [("h1", "Addition facts everyone should know"),
              ("p", tidy("These small sums come up every day, when you count coins, share sweets or read a clock. "
                         "Learn them by heart and bigger sums become easy."))]
    for a, b in pairs:
        stated.add(("+", min(a, b), max(a, b)))
        blocks.append(("li", f"{a} plus {b} is {a + b}."))
    return Page("/math/addition-facts.html", "article", blocks[0][1], blocks, "math", date=random_date(rng))
