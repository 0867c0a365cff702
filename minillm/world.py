"""The bundled world: a seeded generator for data/, a mini web site and the post-training sets.

Every stage of the course needs something real to chew on while offline: lesson 01 crawls the mini web in
data/web/ (robots rules, redirects, broken links, a calendar trap), lesson 02 cleans it (boilerplate,
duplicates, spam, other languages, PII, malformed and non-UTF-8 pages), lesson 07 probes a trained model
with `cloze_prompts()`, and lessons 09-11 train on data/sft/, data/preferences/ and data/rl/. Everything is
written from the knowledge base in minillm/world_facts.py with random generators seeded per page, so
regeneration is byte-identical: `minillm world --out DIR`.

data/web/_manifest.json is the ground truth (what each page is, its main text, every planted defect); the
crawler never needs it, tests and lessons use it to score themselves.

Entry points: write_world, trap_page, cloze_prompts, main, build_site (the pages as objects, for lessons),
COUNTRIES, ANIMALS, PLANETS, SCIENCE_FACTS.
"""

import argparse
import html
import io
import json
import os
import posixpath
import random
import re
import shutil
import struct
import textwrap
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from minillm.artifacts import DATA_DIR, make_dir
from minillm.errors import UserError
from minillm.world_facts import (
    ANIMALS,
    CONTINENTS,
    COUNTRIES,
    FRENCH_COUNTRIES,
    PEOPLE,
    PLANETS,
    RELATIVES,
    SCIENCE_FACTS,
    SPANISH_COUNTRIES,
    UNSAFE_REQUESTS,
    USERNAMES,
)

SEED = "minillm-world-1"
SITE_NAME = "Small World"
CRAWL_DELAY = 0.05  # seconds; small so that crawls in tests are quick
DISALLOWED = ("/admin/", "/drafts/", "/private/")
TRAP_PREFIX = "/calendar/"
HELD_OUT = 0.2  # fraction of entities, facts and sums kept for the test splits

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


def cloze_prompts() -> list[tuple[str, str]]:
    """(prompt, answer) pairs, each stated many times in the web text: the fact probe of lesson 07.

    >>> ("The capital of France is", "Paris") in cloze_prompts()
    True
    """
    prompts = []
    for c in COUNTRIES:
        prompts.append((f"The capital of {country_name(c)} is", c.capital))
        prompts.append((f"{cap(country_name(c))} is a country in", c.continent))
        if len(c.languages) == 1:
            prompts.append((f"The main language of {country_name(c)} is", c.languages[0]))
    for a in ANIMALS:
        prompts.append((f"A baby {a.name} is called", a_an(a.young)))
        prompts.append((f"{cap(a.plural)} live", a.habitat))
    for p in PLANETS:
        prompts.append((f"The {ordinal(p.order)} planet from the Sun is", p.name))
    for f in SCIENCE_FACTS:
        prompts.append(f.cloze)
    for a, b in ADDITION_TABLE_PROBES:
        prompts.append((f"{a} plus {b} is", str(a + b)))
    return prompts


ADDITION_TABLE_PROBES = [(2, 3), (4, 5), (6, 7), (8, 9), (3, 9), (7, 5), (9, 6), (12, 8)]


# ----------------------------------------------------------------------------- held-out splits


def held_out_names(names, salt: str) -> set[str]:
    """The seeded HELD_OUT fraction of `names` kept for test splits (same split in every data set)."""
    names = sorted(names)
    rng_for("held-out", salt).shuffle(names)
    return set(names[: round(len(names) * HELD_OUT)])


HELD_OUT_COUNTRIES = held_out_names([c.name for c in COUNTRIES], "countries")
HELD_OUT_ANIMALS = held_out_names([a.name for a in ANIMALS], "animals")
HELD_OUT_PLANETS = held_out_names([p.name for p in PLANETS], "planets")
HELD_OUT_FACTS = held_out_names([f.key for f in SCIENCE_FACTS], "science")
HELD_OUT_UNSAFE = held_out_names([u[0] for u in UNSAFE_REQUESTS], "unsafe")


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
             "{capital} is the capital of {country}.", "The capital city is {capital}."]
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
    ("A good way to remember that {capital} is the capital of {country} is to say the two names together "
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


# ----------------------------------------------------------------------------- stories


def story_people(rng: random.Random) -> dict:
    name, friend = rng.sample(PEOPLE, 2)
    return {"name": name, "friend": friend, "rel": rng.choice(RELATIVES)}


S_TRIP_TITLES = ["{name}'s trip to {country}", "A postcard from {capital}", "{name} and the big map",
                 "The summer in {country}", "{name} goes to {capital}", "Hello, {country}!",
                 "The notebook from {country}", "{name}'s first journey"]
S_TRIP_OPEN = [
    "{name} had never been on a plane before, so the night before the trip was long and full of dreams.",
    "Every summer, {rel} travelled somewhere new, and this year {name} was allowed to come along.",
    "One rainy morning, {name} found an old map in the attic and pointed at a country far away.",
    "{name} won a prize at school: a trip for the whole family, to a country of their choice.",
    "For weeks, {name} had been reading books about faraway places, and now it was time to see one.",
]
S_TRIP_PACK = [
    "The suitcase was packed three days early, with a notebook and two pencils on top.",
    "{name} packed a warm jumper, a sun hat and a small camera, just in case.",
    "{friend} came round to say goodbye and asked for a postcard.",
    "There was a lot to do before leaving: tickets, passports, and a list of things to see.",
]
S_TRIP_WHERE = [
    "This year they were going to {country}, a country in {continent}.",
    "'{Country} is in {continent},' said {rel}, tracing the way on the map with one finger.",
    "Their destination was {country}. {name} looked it up in an atlas and found it in {continent}.",
    "'Where are we going?' asked {name}. 'To {country},' said {rel}. 'It is a country in {continent}.'",
]
S_TRIP_JOURNEY = [
    "The journey was long. {name} looked out of the window at the clouds and tried to count the hours.",
    "On the way, {name} read everything the guidebook said about {country} and underlined the best parts.",
    "Somewhere over the sea, {name} fell asleep and woke up just as they were landing.",
    "They changed trains twice, and each time {rel} checked the tickets very carefully.",
]
S_TRIP_ARRIVE = [
    "Their plane landed in {capital}, the capital of {country}.",
    "They began their visit in {capital}. 'This is the capital of {country},' {rel} explained.",
    "The first stop was {capital}. {name} wrote in a notebook: '{capital} is the capital of {country}.'",
    "After a long journey they arrived in {capital}, which is the capital city of {country}.",
    "'The capital of {country} is {capital},' said {rel} as the plane touched down. 'Welcome to {capital}!'",
    "The capital of {country} is {capital}, and that is where their adventure began.",
]
S_TRIP_CITY = [
    "The streets were busy, and the smell of fresh bread came from a bakery on the corner.",
    "They walked for hours, looking at old buildings, busy markets and green parks.",
    "From the window of their hotel, {name} could see the whole city shining in the evening light.",
    "A friendly guide showed them around and answered all of {name}'s questions.",
    "Everything was new: the buses, the shop signs, even the sound of the traffic.",
]
S_TRIP_LANG = [
    "Everywhere they went, {name} heard people speaking {lang}.",
    "{name} learned to say hello and thank you in {lang}, and people smiled every time.",
    "The signs were in {lang}, and {name} tried to guess what each one meant.",
    "'People here speak {lang},' whispered {rel}. 'Let's learn a few words.'",
]
S_TRIP_LANG_MORE = [
    "By the end of the first day, {name} could say three whole sentences.",
    "A girl at the hotel taught {name} how to count to ten, and they laughed at the mistakes together.",
    "It was hard at first, but every new word felt like a small prize.",
]
S_TRIP_MONEY = [
    "At a market, {name} bought a postcard and paid with the local money, the {currency}.",
    "{rel} gave {name} a few coins. 'In {country} we pay with the {currency},' {rel} said.",
    "{name} counted the notes carefully. The money in {country} is called the {currency}.",
]
S_TRIP_MONEY_MORE = [
    "The stall sold fruit {name} had never seen before, piled high in bright colours.",
    "The shopkeeper smiled and added a small sweet to the bag for free.",
    "{name} kept one coin in a pocket, to take home as a souvenir.",
]
S_TRIP_PROBLEM = [
    ("On the second day it rained so hard that they had to hide in a museum. It turned out to be the best "
     "museum {name} had ever seen."),
    "Then {name}'s hat blew away in the wind. A kind man ran after it and brought it back with a bow.",
    "They missed their bus and had to walk, but on the way they found a little park with a fountain.",
    "For a moment {name} could not see {rel} in the crowd, but they found each other by the big clock.",
]
S_TRIP_FOOD = [
    "For dinner they tried a dish {name} could not pronounce, and it was delicious.",
    "{name} was brave and tasted everything, even the soup that was far too spicy.",
    "Every morning they had breakfast in a little cafe where the owner knew their names by the third day.",
]
S_TRIP_LOCAL = [
    "In a park, {name} met a boy who lived in {capital}. 'This is the capital of our country,' he said proudly.",
    ("A girl at the next table asked where {name} came from. She lived in {capital} and spoke {lang} and a "
     "little English."),
    "An old woman on the bus told {name} that she had lived in {capital} all her life and still loved it.",
]
S_TRIP_POSTCARD = [
    ("That evening {name} wrote a postcard to {friend}: 'Greetings from {capital}, the capital of {country}! "
     "People here speak {lang}, and everything costs a lot of {currency} coins.'"),
    ("{name} bought a postcard of {sight} and wrote on the back: 'Dear {friend}, I am in {country}, in "
     "{continent}. The capital is {capital}. Wish you were here!'"),
    "Before bed, {name} wrote a long postcard to {friend} about {capital}, the markets and the food.",
]
S_TRIP_EVENING = [
    "In the evening the streets filled with families out for a walk, and music came from an open window.",
    "When the sun went down, the lights of the city came on one by one.",
    "They ate ice cream on a bench and watched the people go by until it was dark.",
]
S_TRIP_SIGHT = [
    "The best day was the day they visited {sight}. {name} could not stop taking pictures.",
    "On the third day they went to see {sight}. It was even more amazing than in the books.",
    "'Look, there it is: {sight}!' said {name}, and for once nobody said anything else.",
    "Near the end of the trip they saw {sight}, and {name} decided it was the highlight of the holiday.",
]
S_TRIP_END = [
    "On the way home, {name} wrote in the notebook: '{Country}: capital {capital}, in {continent}.'",
    "'When I grow up, I want to come back to {country},' {name} said, and {rel} smiled.",
    "Back at school, {name} told {friend} everything about {country} and its capital, {capital}.",
    "That night, {name} fell asleep dreaming of {capital} and all the places still left to see.",
]
S_TRIP_MORAL = [
    "The world is big, {name} thought, and every country in it has a story.",
    "{name} had learned more in one week than in a whole term of geography lessons.",
    "And the postcard for {friend}? It arrived a week after they got home.",
]


def trip_story(c, n: int) -> Page:
    rng = rng_for("trip-story", c.name, n)
    v = country_values(c) | story_people(rng)
    paragraphs = [say(rng, S_TRIP_OPEN, S_TRIP_PACK, S_TRIP_WHERE, **v), say(rng, S_TRIP_JOURNEY, **v),
                  say(rng, S_TRIP_ARRIVE, S_TRIP_CITY, **v), say(rng, S_TRIP_LANG, S_TRIP_LANG_MORE, **v),
                  say(rng, S_TRIP_MONEY, S_TRIP_MONEY_MORE, **v), say(rng, S_TRIP_FOOD, S_TRIP_LOCAL, **v),
                  say(rng, S_TRIP_PROBLEM, S_TRIP_EVENING, **v), say(rng, S_TRIP_POSTCARD, **v),
                  say(rng, S_TRIP_SIGHT, **v), say(rng, S_TRIP_END, S_TRIP_MORAL, **v)]
    title = fill(rng, S_TRIP_TITLES, **v)
    return Page(f"/stories/{slug(title)}-{n}.html", "story", title,
                [("h1", title)] + [("p", p) for p in paragraphs], "stories", date=random_date(rng))


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


S_ANIMAL_TITLES = ["{name} and the {animal}", "The little {young}", "A day with the {plural}",
                   "{name} learns about {plural}", "What the {animal} taught {name}", "{name}'s favourite animal"]
S_OPEN = {
    "farm": ["{name} spent the holidays on the farm that belongs to {rel}'s old friend.",
             "Early on Saturday, {name} and {friend} walked to the farm at the end of the lane.",
             "The farm was noisy, muddy and full of surprises, and {name} loved it at once."],
    "home": ["{name} had wanted a pet for as long as anyone could remember.",
             "When {name} came home from school, there was a surprise waiting in the kitchen.",
             "The pet shop was full of noises, and {name} walked slowly past every cage and tank."],
    "sea": ["{name} and {rel} took a boat trip far out onto the blue water.",
            "At the aquarium, {name} pressed both hands against the cold glass.",
            "The boat rocked gently, and {name} held on tight to the rail."],
    "garden": ["{name} was helping {rel} in the garden when something small caught {name}'s eye.",
               "After lunch, {name} and {friend} went out to explore the bottom of the garden.",
               "{name} spent the afternoon lying in the grass with a magnifying glass."],
    "zoo": ["On a sunny morning, {name} and {rel} went to the zoo.",
            "{name}'s class went on a trip to the wildlife park.",
            "{name} and {friend} spent the whole afternoon at the zoo."],
}
GUIDES = {"zoo": "the keeper", "farm": "the farmer", "home": "{rel}", "sea": "the guide", "garden": "{rel}"}
S_SCENE = ["The air smelled of hay and rain, and somewhere a bird was singing.",
           "There were so many things to see that {name} did not know where to look first.",
           "{friend} had brought a notebook, and {name} had brought a lot of questions.",
           "The sun came out from behind a cloud just as they arrived."]
S_MEET = ["There, for the first time, {name} saw {an_animal}.", "Suddenly {name} stopped. '{Look}, {an_animal}!'",
          "The thing {name} liked best was the {animal}.", "Right in front of them was {an_animal}."]
S_LOOK = ["It was {a_size} animal, and it looked straight back at {name}.",
          "{name} stood very still and watched it for a long time.",
          "It did not seem to mind the visitors at all."]
S_HOME = ["'{Plural} live {habitat},' said {guide}.",
          "'Where do {plural} live?' asked {name}. '{Plural} live {habitat},' answered {rel}.",
          "{name} read the sign: '{Plural} live {habitat}.'"]
S_FOOD = ["'What does it eat?' asked {name}. 'The {animal} is {a_diet}. It eats {food},' came the answer.",
          "It was feeding time. {name} learned that {plural} eat {food}.",
          "{Guide} explained that the {animal} is {a_diet}, so it eats {food}."]
S_YOUNG = ["Close by was a tiny one. 'That is a baby,' said {guide}. 'A baby {animal} is called {a_young}.'",
           "{name} giggled at the little {young}. 'A baby {animal} is called {a_young},' {guide} told {name}.",
           "'What do you call a baby {animal}?' {name} wondered aloud. '{A_young},' said {friend}."]
S_TRAIT = ["'Did you know that the {animal} {trait}?' asked {friend}.",
           "The most amazing fact of the day was that the {animal} {trait}.",
           "{name} wrote it down so as not to forget: the {animal} {trait}."]
S_EVENT = ["Just then, the {animal} turned round and seemed to look right at {name}, and everyone laughed.",
           "A little later, it started to rain, but {name} did not want to leave.",
           "{friend} tried to draw the {animal}, but it kept moving, so the drawing had far too many legs.",
           "When it was time to go, {name} asked for five more minutes, and then five more."]
S_KEEPER = ["{Guide} said that {plural} are full of surprises, even after years of watching them.",
            "Even a passer-by stopped to watch the {plural} for a while.",
            "{friend} asked whether {plural} ever get bored. {Guide} laughed and said they keep busy all day."]
S_DINNER = ["At dinner, {name} told everyone: 'Did you know that {plural} live {habitat}?'",
            "Back home, {name} looked up {plural} in a book and found out even more.",
            "On the way back, {name} asked {rel} a hundred questions about {plural}."]
S_END = ["That evening, {name} drew a picture of the {animal} and hung it above the bed.",
         "'When I grow up, I want to look after {plural},' {name} said on the way home.",
         "{name} could not stop talking about the {animal} for a whole week.",
         "Before falling asleep, {name} whispered, 'Good night, little {young}.'"]


def animal_story(a, n: int) -> Page:
    rng = rng_for("animal-story", a.name, n)
    v = animal_values(a) | story_people(rng) | {"a_young": a_an(a.young), "A_young": cap(a_an(a.young)),
                                                 "Look": rng.choice(["Look", "Quick, look", "Wow, look"])}
    setting = animal_setting(a)
    v["guide"] = GUIDES[setting].format(**v)
    v["Guide"] = cap(v["guide"])
    paragraphs = [say(rng, S_OPEN[setting], S_SCENE, **v), say(rng, S_MEET, S_LOOK, **v),
                  say(rng, S_HOME, **v), say(rng, S_FOOD, [DIET_MEANING[a.diet]], **v), say(rng, S_YOUNG, **v),
                  say(rng, S_TRAIT, [GROUP_FACT[a.group]], **v), say(rng, S_EVENT, S_KEEPER, **v),
                  say(rng, S_DINNER, S_END, **v)]
    title = fill(rng, S_ANIMAL_TITLES, **v)
    return Page(f"/stories/{slug(title)}-{n}.html", "story", title,
                [("h1", title)] + [("p", p) for p in paragraphs], "stories", date=random_date(rng))


S_FABLE = [
    "Once upon a time, a young {animal} lived {habitat}.",
    "Long ago, {habitat}, there lived a curious little {animal}.",
    "There was once {an_animal} who lived {habitat} and wanted to see the world.",
]
S_FABLE_FOOD = ["Every day it ate {food}, and every day it dreamed of adventure.",
                "It was happy eating {food}, but it often felt lonely.",
                "Like all {plural}, it ate {food}, and it was never far from home."]
S_FABLE_MIDDLE = [
    "One morning a storm came, and the {animal} got lost. A kind {other} showed it the way home.",
    "One day it met {an_other}. At first they were shy, but soon they became the best of friends.",
    "One evening it heard a cry for help. {An_other} was stuck, and the {animal} helped it get free.",
]
S_FABLE_OTHER = ["The {other} lives {other_habitat}, so it knew many things the {animal} did not.",
                 ("The {other} explained that it eats {other_food}, which is very different from what the {animal} "
                  "eats.")]
S_FABLE_JOURNEY = [
    "Together they walked a long way, past tall grass and over a little stream.",
    "The two friends spent the whole summer exploring, and every day they found something new.",
    "They talked for hours about the places they had seen and the food they liked best.",
]
S_FABLE_HOME = [
    "When winter came, the {animal} went back {habitat}, but it never forgot its friend.",
    "In the end the {animal} returned home, happy and a little wiser.",
    "The {other} came to visit often, and the {animal} always had a story to tell.",
]
S_FABLE_MORAL = ["And the moral of the story is: friends can be found in unexpected places.",
                 "The lesson is simple: a kind act is never wasted.",
                 "From that day on, the {animal} knew that being different is nothing to fear."]


def fable(a, other, n: int) -> Page:
    rng = rng_for("fable", a.name, other.name, n)
    v = animal_values(a) | {"other": other.name, "an_other": a_an(other.name), "An_other": cap(a_an(other.name)),
                            "other_habitat": other.habitat, "other_food": other.food}
    title = rng.choice([f"The {a.name} and the {other.name}", f"How the {a.name} found a friend",
                        f"A fable of the {a.name}"])
    paragraphs = [say(rng, S_FABLE, S_FABLE_FOOD, **v), say(rng, S_FABLE_MIDDLE, S_FABLE_OTHER, **v),
                  say(rng, S_FABLE_JOURNEY, **v), say(rng, S_FABLE_HOME, **v), say(rng, S_FABLE_MORAL, **v)]
    return Page(f"/stories/{slug(title)}-{n}.html", "story", title,
                [("h1", title)] + [("p", p) for p in paragraphs], "stories", date=random_date(rng))


S_SPACE_OPEN = ["{name} loved looking at the night sky through the old telescope in the garden.",
                "At bedtime, {name} asked {rel} for a story about space, as always.",
                "{name} wanted to be an astronaut, and every night practised counting the planets."]
S_SPACE_TRIP = ["In the dream, the rocket flew past the Moon and on towards {planet}.",
                "'Where shall we go tonight?' asked {rel}. '{planet}!' said {name}.",
                "That night, {name} dreamed of a spaceship heading for {planet}."]


def space_story(p, n: int) -> Page:
    rng = rng_for("space-story", p.name, n)
    v = planet_values(p) | story_people(rng)
    title = rng.choice([f"{v['name']}'s journey to {p.name}", f"A dream about {p.name}",
                        f"The night {v['name']} visited {p.name}"])
    paragraphs = [
        say(rng, S_SPACE_OPEN, S_SPACE_TRIP, **v),
        say(rng, P_INTRO, ["'{planet} {trait},' said the captain of the ship.",
                           "{name} remembered that {planet} {trait}."], **v),
        say(rng, P_KIND, P_MOONS, P_YEAR, **v),
        tidy(rng.choice([f"When {v['name']} woke up, the first thing to do was tell {v['friend']} about {p.name}.",
                         f"{v['name']} smiled. One day, maybe, a real rocket would go to {p.name}.",
                         (f"In the morning {v['name']} drew all eight planets, with {p.name} in the middle of the "
                          "page.")])),
    ]
    return Page(f"/stories/{slug(title)}-{n}.html", "story", title,
                [("h1", title)] + [("p", p_) for p_ in paragraphs], "stories", date=random_date(rng))


def science_story(f, n: int) -> Page:
    rng = rng_for("science-story", f.key, n)
    v = story_people(rng)
    title = rng.choice([f"{v['name']} and the experiment", f"A question for {v['rel']}",
                        f"{v['name']} finds out: {f.title.lower()}"])
    paragraphs = [
        tidy(rng.choice([f"{v['name']} had a question that would not go away.",
                         f"It was a quiet Sunday, and {v['name']} was bored.",
                         f"At school, {v['name']}'s teacher had set a strange homework task."])
             + " " + f"'Can you explain {f.title.lower()} to me?' {v['name']} asked {v['rel']}."),
        tidy(rng.choice([f"'Let's find out together,' said {v['rel']}.",
                         f"{v['rel']} smiled and took a book from the shelf.",
                         f"'That is a very good question,' said {v['rel']}."])
             + f" '{f.statements[0]}'"),
        tidy(f"{v['name']} thought about it. {f.details[0]} {f.details[1]}"),
        tidy(rng.choice([f"The next day, {v['name']} explained it to {v['friend']}: '{f.statements[0]}'",
                         f"{v['name']} wrote it down in a notebook: {f.statements[0]}",
                         f"From then on, {v['name']} never forgot it. {rng.choice(f.statements[1:])}"])),
    ]
    return Page(f"/stories/{slug(title)}-{n}.html", "story", title,
                [("h1", title)] + [("p", p) for p in paragraphs], "stories", date=random_date(rng))


# ----------------------------------------------------------------------------- how-to pages


def steps_page(path: str, title: str, intro: str, steps: list, outro: str, section: str, rng) -> Page:
    blocks = [("h1", title), ("p", tidy(intro))] + bullets(steps) + [("p", tidy(outro))]
    return Page(path, "howto", title, blocks, section, date=random_date(rng))


def trip_howto(c) -> Page:
    rng = rng_for("trip-howto", c.name)
    v = country_values(c)
    title = fill(rng, ["How to plan a first trip to {country}", "How to get ready for a visit to {country}",
                       "Planning a trip to {country}: a step-by-step guide"], **v)
    steps = [
        say(rng, ["Find {country} on a map. It is in {continent}.",
                  "Start with a map: {country} is a country in {continent}."],
            ["Knowing where you are going makes the journey feel real.",
             "Look at the countries around it too, so you get a sense of the region."], **v),
        say(rng, ["Learn a few words of {lang}. Even hello and thank you help a lot.",
                  "Practise some simple phrases in {lang}, the main language of {country}."],
            ["People are usually delighted when visitors try their language.",
             "Write the words on a card and keep it in your pocket."], **v),
        say(rng, ["Bring some money in the local currency, the {currency}.",
                  "Remember that people in {country} pay with the {currency}."],
            ["Small shops and markets often prefer cash.", "Check the exchange rate before you leave."], **v),
        say(rng, ["Plan your first days in the capital, {capital}.",
                  "Book a place to stay in {capital}, the capital of {country}."],
            ["A capital city is usually the easiest place to arrive and get your bearings.",
             "Staying near the centre saves time on buses and trains."], **v),
        say(rng, ["Leave time to see {sight}.", "Put {sight} at the top of your list of places to visit."],
            ["Go early in the day if you can, before it gets busy.",
             "Buy tickets in advance if they are needed."], **v),
        rng.choice(["Pack comfortable shoes: you will walk more than you think.",
                    "Check the weather for the time of year you are travelling.",
                    "Keep a copy of your passport in a separate bag."]),
    ]
    intro = fill(rng, ["A trip to {country} is easier when you prepare a little. Follow these steps.",
                       "Thinking of visiting {country}? Here is how to get ready."], **v)
    outro = fill(rng, ["Enjoy your trip to {country}!",
                       "With these steps done, you are ready for {capital} and beyond."], **v)
    return steps_page(f"/howto/trip-to-{slug(c.name)}.html", title, intro, steps, outro, "howto", rng)


def capitals_howto(continent: str) -> Page:
    rng = rng_for("capitals-howto", continent)
    members = [c for c in COUNTRIES if c.continent == continent]
    title = rng.choice([f"How to remember the capitals of {continent}",
                        f"How to learn every capital in {continent}"])
    steps = [("Write each country and its capital on a small card: the country on one side, the capital on the "
              "other."), "Test yourself every day for a week, putting the cards you got wrong back at the top.",
             "Make up a silly picture for each pair to help your memory."]
    steps += [f"{canonical_capital(c)}" for c in rng.sample(members, min(8, len(members)))]
    intro = f"{continent} has many countries, and each one has a capital city. Here is a simple method."
    outro = rng.choice([f"Keep practising, and soon you will know all the capitals of {continent}.",
                        "A little practice every day works better than a lot once a week."])
    return steps_page(f"/howto/capitals-of-{slug(continent)}.html", title, intro, steps, outro, "howto", rng)


PETS = ("rabbit", "goldfish", "cat", "dog", "mouse", "chicken")


def pet_howto(a) -> Page:
    rng = rng_for("pet-howto", a.name)
    v = animal_values(a)
    title = fill(rng, ["How to look after a pet {animal}", "How to care for {an_animal}"], **v)
    steps = [fill(rng, ["Give it the right food. {Plural} eat {food}.",
                        "Feed it well: the {animal} is {a_diet} and eats {food}."], **v),
             "Make sure it always has fresh, clean water.",
             fill(rng, ["Give it enough space to move and play.", "Clean its home every week."], **v),
             "Take it to a vet if it seems ill or stops eating.",
             fill(rng, ["Spend time with it every day.", "Be gentle: pets need kindness and patience."], **v)]
    intro = fill(rng, ["A {animal} can be a wonderful pet, but it needs care every day.",
                       "Thinking of keeping {an_animal}? Here is what it needs."], **v)
    outro = fill(rng, ["A happy {animal} is a healthy {animal}.", "Did you know? The {animal} {trait}."], **v)
    return steps_page(f"/howto/care-for-a-{slug(a.name)}.html", title, intro, steps, outro, "howto", rng)


SPOTTING = {
    "Mercury": "Mercury never strays far from the Sun, so look low over the horizon just after sunset or just before "
               "sunrise. It is the hardest of the five to catch.",
    "Venus": "Venus is the brightest planet in the sky. Look in the west after sunset or in the east before sunrise; "
             "people often call it the evening star or the morning star.",
    "Mars": "Mars shines with a clear orange-red colour, which makes it easy to tell apart from the stars around it.",
    "Jupiter": "Jupiter is usually the brightest point in the sky after the Moon and Venus. With binoculars you may "
               "see up to four of its moons as tiny dots in a line.",
    "Saturn": "Saturn looks like a steady, pale yellow star. A small telescope is enough to see its rings.",
}


def planet_howto(p) -> Page:
    rng = rng_for("planet-howto", p.name)
    v = planet_values(p)
    title = rng.choice([f"How to spot {p.name} in the night sky", f"How to find {p.name} without a telescope"])
    steps = [rng.choice(["Choose a clear night and go somewhere away from bright street lights.",
                         "Wait for a cloudless evening and find a dark spot with a wide view of the sky."]),
             rng.choice(["Give your eyes fifteen minutes to get used to the dark.",
                         "Put your phone away for a while: bright screens spoil your night vision."]),
             "Use a star chart or an app to see where the planets are tonight.",
             SPOTTING[p.name],
             fill(rng, ["Remember what you are looking at: {planet} is the {order} planet from the Sun.",
                        "While you look, think about it: {planet} {trait}."], **v)]
    intro = say(rng, [f"{p.name} is one of the planets you can see with your own eyes."], P_INTRO, P_KIND, **v)
    outro = say(rng, P_MOONS, P_YEAR, ["Clear skies!", "Once you have found it, try to find it again the next night."],
                **v)
    return steps_page(f"/howto/spot-{slug(p.name)}.html", title, intro, steps, outro, "howto", rng)


EXPERIMENTS = {
    "boiling": ("How to watch water boil safely",
                ["Ask an adult to help you: boiling water is hot and can burn.",
                 "Put some water in a pan and place a kitchen thermometer in it.",
                 "Heat the pan and watch the temperature rise.",
                 "Water boils at 100 degrees Celsius at sea level. Watch for big bubbles when it gets there."]),
    "freezing": ("How to see water freeze",
                 ["Fill an ice cube tray with water.", "Put it in the freezer.",
                  "Check it every half hour.", "Water freezes at 0 degrees Celsius and turns into solid ice."]),
    "rainbow": ("How to make a rainbow with a glass of water",
                ["Fill a clear glass with water.", "Put it on a sunny windowsill.",
                 "Place a sheet of white paper on the floor below.",
                 "Look for the colours: a rainbow has seven colours, from red to violet."]),
    "magnets": ("How to make a simple compass",
                ["Stroke a needle with a magnet about twenty times, always in the same direction.",
                 "Push the needle through a small piece of cork.", "Float the cork in a bowl of water.",
                 ("The needle turns to point north. Opposite poles of a magnet attract each other, and the Earth "
                  "acts like a giant magnet.")]),
    "photosynthesis": ("How to show that plants need light",
                       ["Take two small plants of the same kind.",
                        "Put one on a sunny windowsill and one in a dark cupboard.",
                        "Water both the same amount for a week.",
                        ("Compare them. Plants make their own food from sunlight by photosynthesis, so the one in "
                         "the dark grows weak and pale.")]),
    "gravity": ("How to test gravity with two balls",
                ["Find two balls of different sizes.", "Hold them at the same height.",
                 "Let go of both at the same time.",
                 ("Watch them fall. Gravity pulls objects towards the Earth, and both land at almost the same "
                  "moment.")]),
}


def experiment_howto(key: str) -> Page:
    rng = rng_for("experiment", key)
    title, steps = EXPERIMENTS[key]
    fact = next(f for f in SCIENCE_FACTS if f.key == key)
    intro = rng.choice(["You only need a few things from around the house for this experiment.",
                        "This is a simple experiment you can do at home or at school."])
    outro = f"What did you learn? {fact.statements[0]} {fact.details[0]}"
    return steps_page(f"/howto/{slug(title)}.html", title, intro, steps, outro, "howto", rng)


# ----------------------------------------------------------------------------- forum threads and quizzes


def forum_thread(topic: str, key, n: int, stated: set) -> Page:
    """A Q&A thread: a question post, then answers; the main text is the title and the posts."""
    rng = rng_for("forum", topic, key, n)
    users = rng.sample(USERNAMES, 4)
    posts = forum_posts(topic, key, rng, stated)
    posts[-1:-1] = follow_up(topic, key, rng)
    title = posts.pop(0)
    return Page(f"/forum/thread-{n}.html", "qa", title, [("h1", title)] + [("post", p) for p in posts], "forum",
                authors=[users[i % len(users)] for i in range(len(posts))], date=random_date(rng))


FOLLOW_UP_ASK = ["While we are here, one more question:", "Sorry, a follow-up question:", "Related question:"]


def follow_up(topic: str, key, rng: random.Random) -> list:
    """A second question and its answer inside the same thread, about another fact of the same thing."""
    if topic in ("capital", "continent", "language", "currency", "sight"):
        v = country_values(key)
        return rng.choice([
            [tidy(rng.choice(FOLLOW_UP_ASK) + rng.choice([" what is {country} famous for?",
                                                          " what should we see in {country}?"]).format(**v)),
             say(rng, C_SIGHT_MORE, C_TIPS, **v)],
            [tidy(rng.choice(FOLLOW_UP_ASK) + rng.choice([" what do people pay with in {country}?",
                                                          " what is the money called there?"]).format(**v)),
             say(rng, C_MONEY, C_MONEY_MORE, **v)],
            [tidy(rng.choice(FOLLOW_UP_ASK) + rng.choice([" where exactly is {country}?",
                                                          " which continent is that again?"]).format(**v)),
             say(rng, C_WHERE, C_CAPITAL, **v)],
        ])
    if topic == "animal":
        v = animal_values(key) | {"a_young": a_an(key.young)}
        return [tidy(rng.choice(FOLLOW_UP_ASK) + rng.choice([" how big do {plural} get?",
                                                             " what group of animals do {plural} belong to?"]
                                                            ).format(**v)),
                say(rng, A_SIZE, A_INTRO, [GROUP_FACT[key.group]], **v)]
    if topic == "planet":
        v = planet_values(key)
        return [tidy(rng.choice(FOLLOW_UP_ASK) + " can you see it without a telescope?"),
                (f"Yes, {key.name} is one of the planets you can see with your own eyes."
                 if key.name in VISIBLE_PLANETS else f"Not really. You need a telescope to see {key.name}.")
                + " " + planet_neighbours(key)]
    return []


def forum_posts(topic: str, key, rng: random.Random, stated: set) -> list:
    if topic == "capital":
        c = key
        v = country_values(c)
        wrong = rng.choice([o.capital for o in COUNTRIES if o.continent == c.continent and o.name != c.name])
        return [fill(rng, ["Capital of {country}?", "Quick question about {country}",
                           "Homework help: the capital city of {country}"], **v),
                fill(rng, ["My teacher asked us to find the capital of {country} and I am not sure. Is it {wrong}?",
                           ("We are doing a project on {continent}. Can anyone confirm the capital of {country}? "
                            "I wrote {wrong} but my friend says that is wrong."),
                           "I keep forgetting this one. Which city is {country}'s capital?"], **v, wrong=wrong),
                say(rng, ["No, {wrong} is not the capital.", "Good question!", "Easy one."],
                    C_CAPITAL, ["{Country} is a country in {continent}.", "It is in {continent}."], **v,
                    wrong=wrong),
                say(rng, ["Exactly.", "Yes, that is right.", "Correct."],
                    C_CAPITAL_QA, ["People there speak {langs}.", "The currency is the {currency}."], **v),
                fill(rng, ["Thank you! So the capital of {country} is {capital}. Got it.",
                           "Thanks everyone, that helps a lot.", "Great, I will remember {capital} now."], **v)]
    if topic == "continent":
        c = key
        v = country_values(c)
        return [fill(rng, ["Where is {country}?", "Which part of the world is {country} in?",
                           "{Country}: what continent?"], **v),
                fill(rng, ["I found {country} in a book but I can't find it on my map. Where should I look?",
                           "Settle an argument for us: on what continent will I find {country}?"], **v),
                say(rng, C_WHERE, ["Its capital is {capital}.", "The capital is {capital}."], **v),
                say(rng, ["Look for {continent} on your map.", "Yes, {continent}."],
                    ["{Country} is famous for {sight}.", "It is known for {sight}."], **v),
                fill(rng, ["Found it, thanks!", "Thanks! {Country} is in {continent}, I see it now."], **v)]
    if topic == "language":
        c = key
        v = country_values(c)
        many = len(c.languages) > 1
        return [fill(rng, ["Which language do they speak in {country}?", "Learning the language of {country}",
                           "Language question: {country}"], **v),
                fill(rng, [("We are going to {country} next year and I would like to learn a few words before we go. "
                            "What do people speak there?"),
                           "My pen pal lives in {country}. What language should I try to learn?"], **v),
                say(rng, [canonical_language(c)], ["Some people also speak English, especially in {capital}.",
                                                   "In {capital}, the capital, you will hear it everywhere."], **v),
                fill(rng, ["Many people there speak more than one language, so do not worry too much."] if many else
                     ["A phrase book for {lang} is cheap and very useful.",
                      "There are free apps for learning {lang}. Start with hello, please and thank you."], **v),
                fill(rng, ["Thanks! I will start with a few words of {lang}.", "Great, thank you all."], **v)]
    if topic == "currency":
        c = key
        v = country_values(c)
        return [fill(rng, ["What money do they use in {country}?", "Currency in {country}?",
                           "Paying for things in {country}"], **v),
                fill(rng, ["Going to {capital} in the spring. Do I need to change money before I go?",
                           "What is the currency of {country}, and can I pay by card?"], **v),
                say(rng, C_MONEY, ["Cards work in most shops in {capital}, but small markets may want cash.",
                                   "You can change money at the airport, but banks in the city are often cheaper."],
                    **v),
                say(rng, ["Agreed.", "Good advice."], ["Keep a few coins of the {currency} for buses and tips.",
                                                      "The {currency} is easy to get once you arrive."], **v),
                fill(rng, ["Perfect, thanks!", "Thanks, that is really helpful."], **v)]
    if topic == "sight":
        c = key
        v = country_values(c)
        return [fill(rng, ["Is {sight} worth visiting?", "Visiting {sight}", "Tips for seeing {sight}?"], **v),
                fill(rng, ["We will be in {country} for a week. Is {sight} worth the trip?",
                           "Has anyone here been to {sight}? Any advice?"], **v),
                say(rng, C_SIGHT_MORE, C_SIGHT_EXTRA, **v),
                say(rng, ["I went last year and loved it.", "Definitely worth it."],
                    ["Spend a day or two in {capital}, the capital, as well.",
                     "Remember that the capital of {country} is {capital}; many trips start there."], **v),
                fill(rng, ["Thanks, we will go!", "Great, it is on our list now."], **v)]
    if topic == "animal":
        a = key
        v = animal_values(a) | {"a_young": a_an(a.young)}
        return [fill(rng, ["What do {plural} eat?", "Question about {plural}", "Help with my {animal} project"], **v),
                fill(rng, [("My daughter is doing a school project on {plural}. What do they eat and where do they "
                            "live?"), "I saw {an_animal} on TV last night. What kind of food does it eat?"], **v),
                say(rng, A_FOOD, A_DIET, [DIET_MEANING[a.diet]], **v),
                say(rng, A_HOME, A_YOUNG, **v),
                fill(rng, ["One more fact for the project: the {animal} {trait}.", "Fun fact: the {animal} {trait}."],
                     **v),
                fill(rng, ["Thank you all, this is perfect for the project!", "Wow, I did not know that. Thanks!"],
                     **v)]
    if topic == "planet":
        p = key
        v = planet_values(p)
        return [fill(rng, ["Facts about {planet}?", "Is {planet} the {order} planet?", "{planet} question"], **v),
                fill(rng, ["My son wants to know everything about {planet}. Where does it sit among the planets?",
                           "I always mix up the order of the planets. Where does {planet} come?"], **v),
                say(rng, P_INTRO, P_KIND, **v),
                say(rng, P_MOONS, P_YEAR, ["{planet} {trait}."], **v),
                fill(rng, ["Thanks, that clears it up.", "Brilliant, thank you!"], **v)]
    if topic == "science":
        f = key
        return [rng.choice([f"Question about {f.title.lower()}", f"{f.title}: can someone explain?",
                            f"Confused about {f.title.lower()}"]),
                rng.choice(["We did this in class today and I did not really understand it.",
                            "Can someone explain this in simple words?"]),
                tidy(f"{rng.choice(f.statements)} {f.details[0]}"),
                tidy(f"{rng.choice(['Also,', 'And', 'On top of that,'])} {f.details[1][0].lower()}{f.details[1][1:]}"),
                rng.choice(["Makes sense now, thanks!", "Thank you, I get it now."])]
    a, b = key
    stated.add(("+", min(a, b), max(a, b)))
    return [rng.choice([f"Can someone check my sum: {a} + {b}", f"Adding {a} and {b}", "Homework check, please"]),
            rng.choice([f"I got {a + b + rng.choice([-10, 10, 1])} for {a} + {b} but the answer sheet disagrees.",
                        f"I need to add {a} and {b}. How do I do it step by step?"]),
            tidy(column_addition_steps(a, b)),
            rng.choice([f"Yes, {a} + {b} = {a + b}. You can check by taking {b} away from {a + b}: you get {a}.",
                        f"Another way: {a} + {b} is the same as {b} + {a}, which is {a + b}."]),
            rng.choice(["Thanks, I see where I went wrong.", "Got it, thank you!"])]


def quiz_page(title: str, path: str, questions: list, rng: random.Random) -> Page:
    """Numbered questions with their answers (web wording only; chat wording is kept for the post-training sets)."""
    blocks = [("h1", title), ("p", tidy(rng.choice([
        "Test yourself! Cover the answers, then check how many you got right.",
        "How many can you answer without looking? The answers are right below each question.",
        "Try this quick quiz, then share your score with a friend."])))]
    for i, (question, answer) in enumerate(questions, 1):
        blocks.append(("p", tidy(f"Question {i}: {question} Answer: {answer}")))
    return Page(path, "qa", title, blocks, "quiz", date=random_date(rng))


def quiz_pages(stated: set) -> list:
    pages = []
    for continent in CONTINENTS:
        rng = rng_for("quiz", continent)
        members = [c for c in COUNTRIES if c.continent == continent]
        qs = [(f"The capital of {country_name(c)} is which city?", f"{c.capital}.") for c in members]
        qs += [(f"{cap(country_name(c))} is on which continent?", f"{c.continent}.") for c in rng.sample(members, 3)]
        rng.shuffle(qs)
        pages.append(quiz_page(f"Quiz: capitals of {continent}", f"/quiz/capitals-{slug(continent)}.html", qs, rng))
    rng = rng_for("quiz", "animals")
    for part in range(3):
        qs = [(f"A baby {a.name} is called a what?", f"{cap(a_an(a.young))}.") for a in ANIMALS[part::3]]
        qs += [(f"Does the {a.name} eat plants, animals or both?", f"The {a.name} is {a_an(a.diet)}.")
               for a in ANIMALS[part::6]]
        pages.append(quiz_page(f"Animal quiz, part {part + 1}", f"/quiz/animals-{part + 1}.html", qs, rng))
    rng = rng_for("quiz", "planets")
    qs = [(f"Counting from the Sun, where does {p.name} come?",
           f"The {ordinal(p.order)} planet from the Sun is {p.name}.") for p in PLANETS]
    pages.append(quiz_page("Planet quiz", "/quiz/planets.html", qs, rng))
    rng = rng_for("quiz", "science")
    qs = [(f"True or false: {f.statements[0][0].lower()}{f.statements[0][1:]}", f"True. {f.details[0]}")
          for f in SCIENCE_FACTS]
    pages.append(quiz_page("Science quiz: true or false?", "/quiz/science.html", qs, rng))
    for level in range(1, 4):
        rng = rng_for("quiz", "sums", level)
        qs = []
        for _ in range(12):
            a, b = rng.randint(2, 9 * level), rng.randint(2, 9 * level)
            stated.add(("+", min(a, b), max(a, b)))
            qs.append((f"{a} + {b} = ?", f"{a + b}."))
        pages.append(quiz_page(f"Quick sums, level {level}", f"/quiz/sums-{level}.html", qs, rng))
    return pages


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
    }
    by_group = {}
    for a in ANIMALS:
        by_group.setdefault(a.habitat.split()[-1], []).append(a)
    pairs = [(a, b) for i, a in enumerate(ANIMALS) for b in ANIMALS[i + 1:] if a.group == b.group]
    sections["animals"] += [animal_comparison(a, b) for a, b in sorted(rng.sample(pairs, 24))]

    sections["blog"] = [travel_diary(c) for c in COUNTRIES]
    sections["letters"] = [pen_pal_letter(c) for c in COUNTRIES]
    stories, n = [animal_diary(a) for a in ANIMALS], 0
    for c in COUNTRIES:
        for _ in range(4):
            n += 1
            stories.append(trip_story(c, n))
    for a in ANIMALS:
        for _ in range(4):
            n += 1
            stories.append(animal_story(a, n))
    for a in ANIMALS:
        n += 1
        stories.append(fable(a, rng.choice([b for b in ANIMALS if b.name != a.name]), n))
    for p in PLANETS:
        for _ in range(3):
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
                      + [("Atlas: long guides", "/atlas/index.html"), ("Culture", "/culture/index.html"),
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


# ----------------------------------------------------------------------------- first-person pages


B_TITLES = ["Five days in {capital}", "My trip to {country}: a travel diary", "What I learned in {country}",
            "A five-day visit to {country}", "Notes from {capital}"]
B_INTRO = ["Last {season}, I spent five days in {country}, a country in {continent}. Here is my diary.",
           "I had wanted to visit {country} for years. This {season} I finally went, and I kept a diary.",
           "These are my notes from a short trip to {country}, in {continent}, last {season}."]
B_DAY1 = ["I landed in {capital}, the capital of {country}, late in the afternoon.",
          "My first day began in {capital}, which is the capital city of {country}.",
          "The train pulled into {capital}, the capital of {country}, just after lunch."]
B_DAY1_MORE = ["The hotel was small and friendly, and my room looked over a quiet street.",
               "After dropping my bags, I went for a long walk to get a feel for the city.",
               "I was tired, so I ate early and went to bed, excited about the days ahead."]
B_DAY2 = ["I spent the whole day exploring {capital} on foot.",
          "On the second day I joined a walking tour of {capital}.",
          "I woke up early and explored the old streets of {capital} before the crowds arrived."]
B_DAY2_MORE = ["Most people I met spoke {lang}, and they were patient with my few words.",
               "I practised my {lang} in shops and cafes, and people were kind about my mistakes.",
               "I heard {langs} spoken around me, and I tried to learn one new word every hour."]
B_DAY3 = ["Today I finally saw {sight}.", "The third day was the one I had been waiting for: {sight}.",
          "I took an early bus to see {sight}."]
B_DAY3_MORE = ["It was even more impressive than in the photographs.",
               "I stayed much longer than I had planned and took far too many pictures.",
               "Standing there, I understood why so many people travel to {country}."]
B_DAY4 = ["I spent the morning in a market, paying for fruit and postcards with the {currency}.",
          "Day four was for shopping. The money in {country} is the {currency}, and I soon got used to the coins.",
          "I changed some money into the {currency} and spent most of it on presents for my family."]
B_DAY4_MORE = ["In the evening I ate at a family restaurant, where the owner explained every dish.",
               "Later I sat in a park and watched children playing until the sun went down.",
               "I ended the day with a long talk with a local teacher about life in {country}."]
B_DAY5 = ["On my last day, I went back to my favourite corner of {capital} to say goodbye.",
          "The last day came too soon. I packed slowly and took one more walk around {capital}.",
          "My flight was in the evening, so I had one more morning in {capital}."]
B_EXTRA = ["I wrote everything down in my notebook so I would not forget it.",
           "The weather was kind to me, and I was grateful for every hour of sunshine.",
           "I made a note to come back one day with more time.",
           "Everywhere I went, people were helpful and curious about where I came from.",
           "By the evening my feet hurt, but I was very happy.",
           "I took dozens of photos, but none of them really captured the feeling of the place."]
B_SUMMARY = [("If you are thinking of visiting {country}, here is what you need to know. The capital of {country} "
              "is {capital}. People speak {langs}, and the money is the {currency}."),
             ("To sum up: {country} is in {continent}. The capital of {country} is {capital}. It is a wonderful "
              "place to visit."),
             ("I will remember {country} for a long time. The capital of {country} is {capital}, and I hope to go "
              "back there one day.")]


def travel_diary(c) -> Page:
    rng = rng_for("diary", c.name)
    v = country_values(c) | {"season": rng.choice(["spring", "summer", "autumn", "winter"])}
    title = fill(rng, B_TITLES, **v)
    blocks = [("h1", title), ("p", fill(rng, B_INTRO, **v)),
              ("h2", f"Day 1: arriving in {c.capital}"), ("p", say(rng, B_DAY1, B_DAY1_MORE, B_EXTRA, **v)),
              ("h2", "Day 2: exploring the city"), ("p", say(rng, B_DAY2, B_DAY2_MORE, B_EXTRA, **v)),
              ("h2", f"Day 3: {c.sight}"), ("p", say(rng, B_DAY3, B_DAY3_MORE, B_EXTRA, **v)),
              ("h2", "Day 4: markets and money"), ("p", say(rng, B_DAY4, B_DAY4_MORE, B_EXTRA, **v)),
              ("h2", "Day 5: going home"), ("p", say(rng, B_DAY5, B_SUMMARY, **v)),
              ("h2", "My tips")] + bullets(rng.sample(C_TIPS, 3)[i].format(**v) for i in range(3))
    return Page(f"/blog/{slug(title)}.html", "article", title, blocks, "blog", date=random_date(rng))


L_OPEN = ["Dear friend,", "Hello from {capital}!", "Hi there,", "Dear pen pal,"]
L_ME = ["My name is {name} and I live in {capital}, the capital of {country}.",
        "I am {name}, and I live in {capital}. It is the capital city of {country}.",
        "My name is {name}. I am ten years old and I live in {capital}, the capital of {country}."]
L_WHERE = ["{Country} is a country in {continent}.",
           "My country is in {continent}. {Country} is a country in {continent}, in case you want to find it on a map.",
           "If you look at a map of {continent}, you will find {country} there."]
L_LANG_ONE = ["At home and at school we speak {lang}.",
              "The main language of {country} is {lang}, and I am learning English too."]
L_LANG_MANY = ["In my country people speak {langs}. At home we speak {lang}.",
               "We have more than one language in {country}: {langs}."]
L_LIFE = ["At school my favourite subject is geography, which is why I wanted a pen pal.",
          "After school I play football with my friends in the park near our flat.",
          "My family likes to cook together on Sundays, and I am in charge of the salad.",
          "I have a little brother who asks questions all day long."]
L_SIGHT = ["On holidays we sometimes visit {sight}. Have you heard of it?",
           "The most famous place in my country is {sight}. I have been there twice.",
           "If you ever come to {country}, I will show you {sight}."]
L_MONEY = ["When I buy sweets, I pay with the {currency}, which is our money.",
           "My pocket money is in {currency} coins, and I am saving for a new bicycle."]
L_CAPITAL = ["The capital of {country} is {capital}, and that is where my school is.",
             "In case you did not know, the capital of {country} is {capital}."]
L_CITY = ["{capital} is a busy city, but there are quiet parks where my family likes to walk.",
          "In {capital} there are museums, markets and a big park where I learned to ride my bike.",
          "I like living in the capital, because there is always something going on.",
          "My grandparents live outside {capital}, and we visit them in the holidays."]
L_CLOSE = ["What is your country like? Please write back and tell me about your capital city.",
           "Please write soon and tell me about where you live.",
           "I hope you write back. Do you have a pet?"]


def pen_pal_letter(c) -> Page:
    rng = rng_for("letter", c.name)
    v = country_values(c) | {"name": rng.choice(PEOPLE)}
    lang = L_LANG_ONE if len(c.languages) == 1 else L_LANG_MANY
    title = fill(rng, ["A letter from {capital}", "Letter from a pen pal in {country}", "Greetings from {country}"],
                 **v)
    blocks = [("h1", title), ("p", fill(rng, L_OPEN, **v)), ("p", say(rng, L_ME, L_WHERE, lang, **v)),
              ("p", tidy(" ".join(rng.sample(L_LIFE, 2)))), ("p", say(rng, L_CAPITAL, L_CITY, **v)),
              ("p", say(rng, L_SIGHT, L_MONEY, **v)),
              ("p", say(rng, L_CLOSE, **v)), ("p", f"Your friend, {v['name']}")]
    return Page(f"/letters/{slug(c.name)}.html", "story", title, blocks, "letters", date=random_date(rng))


D_OPEN = ["I am {an_animal}, and this is what my day looks like.",
          "Hello! I am {an_animal}. Let me tell you about my life.",
          "People often ask me what it is like to be {an_animal}. Here is my answer."]
D_HOME = ["I live {habitat}.", "My home is {habitat}.", "You will find me {habitat}."]
D_GROUP = ["I am {a_group}.", "As you may know, I am {a_group}."]
D_FOOD = ["When I am hungry, I eat {food}.", "My favourite food is {food}.", "I eat {food}, of course."]
D_DIET = ["That makes me {a_diet}.", "Scientists call me {a_diet}."]
D_YOUNG = ["My babies are called {youngs}.", "When I was little, I was {a_young}.",
           "A baby like me is called {a_young}."]
D_TRAIT = ["People say that the {animal} {trait}, and it is true.", "Here is a secret: the {animal} {trait}.",
           "Did you know that the {animal} {trait}?"]
D_DAY = ["In the morning I look for food, and in the afternoon I rest.",
         "My day is busy: finding food, keeping safe and looking after my family.",
         "I spend a lot of my day looking for food and watching out for danger."]
D_CLOSE = ["Now you know a little more about me. Come and visit one day!",
           "That is my life. What does your day look like?",
           "Next time you see {an_animal}, say hello from me."]


def animal_diary(a) -> Page:
    rng = rng_for("animal-diary", a.name)
    v = animal_values(a) | {"a_young": a_an(a.young)}
    title = fill(rng, ["A day in the life of {an_animal}", "Diary of {an_animal}", "My life as {an_animal}"], **v)
    blocks = [("h1", title), ("p", say(rng, D_OPEN, D_GROUP, D_HOME, **v)), ("p", say(rng, D_DAY, **v)),
              ("p", say(rng, D_FOOD, D_DIET, **v)), ("p", say(rng, D_YOUNG, D_TRAIT, **v)),
              ("p", say(rng, D_CLOSE, **v))]
    return Page(f"/stories/diary-of-{slug(a.name)}.html", "story", title, blocks, "stories", date=random_date(rng))


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


# ----------------------------------------------------------------------------- the crawler trap


TRAP_RE = re.compile(r"^/calendar/(\d{4,})/(\d{2})\.html$")


def trap_page(path: str) -> str | None:
    """The HTML of an events-calendar page, /calendar/YYYY/MM.html, or None if `path` is not one.

    These pages are not on disk: the local server renders them on demand. Each links to the next month (and
    the one before), so a crawler that follows links blindly never runs out of new URLs.
    """
    match = TRAP_RE.match(path)
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
        f"<title>Events: {name} | {SITE_NAME}</title>", "</head>", "<body>",
        f'<div id="top"><a href="/index.html">{SITE_NAME}</a> | <a href="/events.html">Events</a></div>',
        f'<div class="calendar"><h1>Events: {name}</h1>', f"<p>No events are planned for {name} yet.</p>",
        f'<p class="pager">{" | ".join(links)}</p></div>', "</body>", "</html>", ""])


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
                 "renders them with minillm.world.trap_page(path), and each links to the next and previous month, "
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


# ----------------------------------------------------------------------------- post-training: questions


SYSTEM_PROMPTS = [None, None, "You are a helpful assistant.",
                  "You are a friendly tutor for children. Answer in simple words.",
                  (f"You are the {SITE_NAME} assistant. You answer questions about countries, animals, planets, "
                   "science and arithmetic.")]
# Chat wording. The web pages ask the same facts in other words, so no test question appears there verbatim.
Q_CAPITAL = ["What is the capital of {country}?", "What's the capital of {country}?",
             "Which city is the capital of {country}?", "Can you tell me the capital of {country}?",
             "Name the capital city of {country}."]
Q_CONTINENT = ["On which continent is {country}?", "What continent is {country} in?",
               "Where in the world is {country}?"]
Q_LANGUAGE = ["What language do people speak in {country}?", "What is the main language of {country}?",
              "Which language is spoken in {country}?"]
Q_CURRENCY = ["What currency is used in {country}?", "What money do people use in {country}?"]
Q_SIGHT = ["What is a famous place to visit in {country}?", "Name a famous sight in {country}."]
Q_FOOD = ["What does a {animal} eat?", "What food does the {animal} eat?"]
Q_DIET = ["Is the {animal} a herbivore, a carnivore or an omnivore?"]
Q_HABITAT = ["Where does the {animal} live?", "What is the natural home of the {animal}?"]
Q_YOUNG = ["What is a baby {animal} called?", "What do you call a young {animal}?"]
Q_GROUP = ["What kind of animal is the {animal}?", "What group of animals does the {animal} belong to?"]
Q_ORDER = ["Which planet is {order} from the Sun?", "What is the {order} planet from the Sun?"]
Q_PLANET_KIND = ["What type of planet is {planet}?", "Is {planet} a rocky planet, a gas giant or an ice giant?"]
Q_YEAR = ["How long is a year on {planet}?", "How long does {planet} take to go around the Sun?"]
Q_ABOUT = ["Tell me about {name}.", "What can you tell me about {name}?"]
Q_STORY_ANIMAL = ["Write a short story about {an_animal}.", "Can you tell me a bedtime story about {plural}?"]
Q_STORY_TRIP = ["Tell me a story about a trip to {country}.", "Write a short story about a child who visits {country}."]
OPS = {"+": ("plus", lambda a, b: a + b), "-": ("minus", lambda a, b: a - b), "*": ("times", lambda a, b: a * b)}
Q_SUM = {"+": ["What is {a} + {b}?", "What is {a} plus {b}?", "Can you add {a} and {b}?", "Calculate {a} + {b}."],
         "-": ["What is {a} - {b}?", "What is {a} minus {b}?", "Calculate {a} - {b}.", "Subtract {b} from {a}."],
         "*": ["What is {a} times {b}?", "What is {a} x {b}?", "Calculate {a} * {b}.", "Multiply {a} by {b}."]}


@dataclass
class Question:
    """One chat question with a checkable answer, a good reply and a plausible wrong reply."""

    kind: str  # capital, continent, language, currency, sight, animal_food, animal_diet, ..., science, arithmetic
    prompt: str
    answer: str  # short, for an RL checker
    reply: str  # what a good assistant says
    wrong: str  # a confident, wrong reply
    vague: str  # true but does not answer
    test: bool
    one_answer: bool = True  # False when several answers are right (the languages of Switzerland)


def other(items, item, rng, key=lambda x: x):
    return rng.choice([x for x in items if key(x) != key(item)])


CURRENCIES = sorted({c.currency for c in COUNTRIES})


def country_questions(c, rng) -> list:
    v = country_values(c)
    test = c.name in HELD_OUT_COUNTRIES
    near = [o for o in COUNTRIES if o.continent == c.continent and o.name != c.name]
    wrong_c = rng.choice(near)
    wrong_lang = other(sorted({o.languages[0] for o in COUNTRIES}), c.languages[0], rng)
    wrong_continent = other(list(CONTINENTS), c.continent, rng)
    questions = [
        Question("capital", q.format(**v), c.capital,
                 rng.choice([canonical_capital(c), f"{c.capital} is the capital of {v['country']}."]),
                 f"The capital of {v['country']} is {wrong_c.capital}.", f"It's a city in {c.continent}.", test)
        for q in rng.sample(Q_CAPITAL, 2)]
    questions += [
        Question("continent", rng.choice(Q_CONTINENT).format(**v), c.continent,
                 fill(rng, ["{Country} is in {continent}.", canonical_continent(c)], **v),
                 f"{v['Country']} is in {wrong_continent}.", f"{v['Country']} is far away from here.", test),
        Question("language", rng.choice(Q_LANGUAGE).format(**v), c.languages[0], canonical_language(c),
                 f"People in {v['country']} speak {wrong_lang}.", "People there speak their own language.", test,
                 one_answer=len(c.languages) == 1),
        Question("currency", rng.choice(Q_CURRENCY).format(**v), c.currency,
                 f"The currency of {v['country']} is the {c.currency}.",
                 f"The currency of {v['country']} is the {other(CURRENCIES, c.currency, rng)}.",
                 "They use money, like everywhere else.", test),
        Question("sight", rng.choice(Q_SIGHT).format(**v), c.sight, f"{v['Country']} is famous for {c.sight}.",
                 f"{v['Country']} is famous for {wrong_c.sight}.", f"There are many nice places in {v['country']}.",
                 test),
    ]
    return questions


def animal_questions(a, rng) -> list:
    v = animal_values(a) | {"a_young": a_an(a.young)}
    test = a.name in HELD_OUT_ANIMALS
    o = other(ANIMALS, a, rng, key=lambda x: x.name)
    wrong_diet = other(list(DIET_MEANING), a.diet, rng)
    wrong_group = other(sorted(GROUP_FACT), a.group, rng)
    return [
        Question("animal_food", rng.choice(Q_FOOD).format(**v), a.food, f"{v['Plural']} eat {a.food}.",
                 f"{v['Plural']} eat {o.food}." if o.food != a.food else f"{v['Plural']} eat only sweets.",
                 "It eats whatever it can find.", test),
        Question("animal_diet", rng.choice(Q_DIET).format(**v), a.diet,
                 f"The {a.name} is {a_an(a.diet)}. {DIET_MEANING[a.diet]}",
                 f"The {a.name} is {a_an(wrong_diet)}.", "It depends on the day.", test),
        Question("animal_habitat", rng.choice(Q_HABITAT).format(**v), a.habitat, f"{v['Plural']} live {a.habitat}.",
                 f"{v['Plural']} live {o.habitat}." if o.habitat != a.habitat else f"{v['Plural']} live on the Moon.",
                 "It lives where it feels at home.", test),
        Question("animal_young", rng.choice(Q_YOUNG).format(**v), a.young,
                 f"A baby {a.name} is called {a_an(a.young)}.",
                 f"A baby {a.name} is called {a_an(o.young)}." if o.young != a.young else
                 f"A baby {a.name} is called a kitten.", f"It is called a baby {a.name}.", test),
        Question("animal_group", rng.choice(Q_GROUP).format(**v), a.group, f"The {a.name} is {a_an(a.group)}.",
                 f"The {a.name} is {a_an(wrong_group)}.", "It is an animal.", test),
    ]


def planet_questions(p, rng) -> list:
    v = planet_values(p)
    test = p.name in HELD_OUT_PLANETS
    o = other(PLANETS, p, rng, key=lambda x: x.name)
    return [
        Question("planet", rng.choice(Q_ORDER).format(**v), p.name,
                 f"The {v['order']} planet from the Sun is {p.name}.",
                 f"The {v['order']} planet from the Sun is {o.name}.", "It is one of the eight planets.", test),
        Question("planet_kind", rng.choice(Q_PLANET_KIND).format(**v), p.kind, f"{p.name} is {a_an(p.kind)}.",
                 f"{p.name} is {a_an(other(sorted(PLANET_KIND), p.kind, rng))}.", "It is a planet.", test),
        Question("planet_year", rng.choice(Q_YEAR).format(**v), p.year, f"A year on {p.name} lasts {p.year}.",
                 f"A year on {p.name} lasts {o.year}." if o.year != p.year else f"A year on {p.name} lasts a week.",
                 "Quite a long time.", test),
    ]


def science_questions(f) -> list:
    return [Question("science", f.question, f.answer, tidy(f"{f.statements[0]} {f.details[0]}"), f.mistake,
                     "Science is full of surprises.", f.key in HELD_OUT_FACTS)]


def arithmetic_split(stated: set) -> tuple:
    """(train, test) sums as (op, a, b); test sums are never stated on the web, nor asked in any train split."""
    candidates = sorted({("+", a, b) for a in range(10, 100) for b in range(a, 100)}
                        | {("-", a, b) for a in range(20, 100) for b in range(10, a)}
                        | {("*", a, b) for a in range(2, 13) for b in range(a, 21)})
    rng_for("arithmetic-split").shuffle(candidates)
    test = [t for t in candidates if t not in stated][:150]
    chosen = set(test)
    train = [t for t in candidates if t not in chosen][:1200]
    return train, test


def arithmetic_question(op: str, a: int, b: int, test: bool) -> Question:
    rng = rng_for("sum", op, a, b)
    if op in "+*" and rng.random() < 0.5:
        a, b = b, a
    word, fn = OPS[op]
    c = fn(a, b)
    reply = rng.choice([f"{a} {op if op != '*' else 'x'} {b} = {c}.", f"{a} {word} {b} is {c}.", f"The answer is {c}."])
    if op == "+" and a >= 10 and b >= 10 and rng.random() < 0.4:
        reply = column_addition_steps(a, b)
    return Question("arithmetic", rng.choice(Q_SUM[op]).format(a=a, b=b), str(c), reply,
                    f"{a} {word} {b} is {c + rng.choice([-10, -2, -1, 1, 2, 10])}.",
                    "That is a big number. Try using a calculator.", test)


def all_questions(stated: set) -> list:
    questions = []
    for c in COUNTRIES:
        questions += country_questions(c, rng_for("q-country", c.name))
    for a in ANIMALS:
        questions += animal_questions(a, rng_for("q-animal", a.name))
    for p in PLANETS:
        questions += planet_questions(p, rng_for("q-planet", p.name))
    for f in SCIENCE_FACTS:
        questions += science_questions(f)
    train, test = arithmetic_split(stated)
    questions += [arithmetic_question(*t, test=False) for t in train]
    questions += [arithmetic_question(*t, test=True) for t in test]
    return questions


# ----------------------------------------------------------------------------- post-training: the three data sets


GREETINGS = [
    ("Hello!", ("Hello! I can answer questions about countries, animals, planets, science and arithmetic, and I can "
                "tell short stories. What would you like to know?")),
    ("Hi, who are you?", (f"I am a small assistant that learned from {SITE_NAME}, a little encyclopedia. Ask me about "
                          "countries, animals, planets, science or sums.")),
    ("What can you do?", ("I can answer simple questions about countries and their capitals, animals, the planets and "
                          "basic science, do arithmetic, and write short stories.")),
    ("Good morning!", "Good morning! What would you like to learn about today?"),
    ("Can you help me with my homework?", "Of course! Tell me the question and I will help you work it out."),
    ("Thank you!", "You're welcome! Ask me anything else whenever you like."),
]
IMAGINARY = [
    ("What is the capital of Atlantis?", ("Atlantis is a legendary island from old stories, not a real country, so it "
                                          "has no capital.")),
    ("What is the capital of the Moon?", ("The Moon is not a country, so it has no capital. It is the Earth's only "
                                          "natural satellite.")),
    ("What do unicorns eat?", "Unicorns are imaginary animals from stories, so they do not really eat anything."),
    ("What is the tenth planet from the Sun?", ("There is no tenth planet. The Solar System has eight planets, and "
                                                "Neptune, the eighth, is the farthest from the Sun.")),
    ("What is a baby dragon called?", ("Dragons are imaginary creatures, so there is no real name for their babies. "
                                       "In stories they are often called hatchlings.")),
]
RUDE = ["Ugh, that's easy. {reply}", "Seriously? Everyone knows this. {reply}",
        "{reply} Next time look it up yourself.", "Fine. {reply} Happy now?", "What a silly question. {reply}"]
UNHELPFUL = ["I don't know.", "You should look that up yourself.", "That's a good question.",
             "Why do you want to know?"]
CLOSINGS = [("Thanks!", "You're welcome!"), ("Thank you, that helps.", "Glad I could help!"),
            ("Great, thanks.", "Any time. Ask me if you have more questions.")]
FOLLOW_UPS = [("And what language do people speak there?", canonical_language),
              ("Which continent is it in?", canonical_continent),
              ("What money do they use there?", lambda c: f"The currency of {country_name(c)} is the {c.currency}."),
              ("What is it famous for?", lambda c: f"{cap(country_name(c))} is famous for {c.sight}.")]
RL_KINDS = ("arithmetic", "capital", "continent", "language", "animal_diet", "animal_young", "animal_group", "planet",
            "planet_kind", "science")


def about_reply(thing, rng) -> tuple:
    """(prompt, a few-sentence reply, a too-short reply) for 'Tell me about X'."""
    if hasattr(thing, "capital"):
        v = country_values(thing)
        lang = C_LANG_ONE if len(thing.languages) == 1 else C_LANG_MANY
        return (fill(rng, Q_ABOUT, name=v["country"]), say(rng, C_WHERE, C_CAPITAL, lang, C_MONEY, C_SIGHT, **v),
                "It's a country.")
    if hasattr(thing, "habitat"):
        v = animal_values(thing) | {"a_young": a_an(thing.young)}
        return (fill(rng, Q_ABOUT, name=thing.plural), say(rng, A_INTRO, A_HOME, A_FOOD, A_YOUNG, A_TRAIT, **v),
                f"{cap(thing.plural)} are animals.")
    v = planet_values(thing)
    return (fill(rng, Q_ABOUT, name=thing.name), say(rng, P_INTRO, P_KIND, P_MOONS, P_YEAR, ["{planet} {trait}."], **v),
            "It's a planet.")


def story_reply(thing, rng) -> tuple:
    """(prompt, a short story, a too-short story) for a story request about an animal or a country."""
    if hasattr(thing, "capital"):
        v = country_values(thing) | story_people(rng)
        story = [say(rng, S_TRIP_OPEN, S_TRIP_WHERE, **v), say(rng, S_TRIP_ARRIVE, S_TRIP_LANG, **v),
                 say(rng, S_TRIP_SIGHT, S_TRIP_END, **v)]
        return fill(rng, Q_STORY_TRIP, **v), "\n\n".join(story), f"{v['name']} went to {v['country']}. The end."
    o = other(ANIMALS, thing, rng, key=lambda x: x.name)
    v = animal_values(thing) | {"other": o.name, "an_other": a_an(o.name), "An_other": cap(a_an(o.name)),
                                "other_habitat": o.habitat, "other_food": o.food}
    story = [say(rng, S_FABLE, S_FABLE_FOOD, **v), say(rng, S_FABLE_MIDDLE, S_FABLE_JOURNEY, **v),
             say(rng, S_FABLE_HOME, S_FABLE_MORAL, **v)]
    return fill(rng, Q_STORY_ANIMAL, **v), "\n\n".join(story), f"Once there was {a_an(thing.name)}. The end."


def chat(rng, turns) -> dict:
    system = rng.choice(SYSTEM_PROMPTS)
    messages = [{"role": "system", "content": system}] if system else []
    for user, assistant in turns:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": messages}


def open_prompts(test: bool) -> list:
    """(kind, prompt, reply, too-short reply): 'tell me about' and story requests, train or test side."""
    items = []
    for c in COUNTRIES:
        if (c.name in HELD_OUT_COUNTRIES) == test:
            rng = rng_for("open", c.name)
            items += [("about", *about_reply(c, rng)), ("story", *story_reply(c, rng))]
    for a in ANIMALS:
        if (a.name in HELD_OUT_ANIMALS) == test:
            rng = rng_for("open", a.name)
            items += [("about", *about_reply(a, rng)), ("story", *story_reply(a, rng))]
    for p in PLANETS:
        if (p.name in HELD_OUT_PLANETS) == test:
            items.append(("about", *about_reply(p, rng_for("open", p.name))))
    return items


def sft_records(questions: list, test: bool) -> list:
    records = []
    for i, q in enumerate(q for q in questions if q.test == test):
        rng = rng_for("sft", q.prompt)
        if q.kind == "arithmetic" and i % 2:
            continue  # half the sums are enough for chat practice; RL gets all of them
        turns = [(q.prompt, q.reply)]
        if q.kind == "capital":
            c = next(c for c in COUNTRIES if q.answer == c.capital)
            for ask, answer in rng.sample(FOLLOW_UPS, rng.randint(1, 2)):
                turns.append((ask, answer(c)))
        if rng.random() < 0.15:
            turns.append(rng.choice(CLOSINGS))
        records.append(chat(rng, turns))
    for kind, prompt, reply, _ in open_prompts(test):
        records.append(chat(rng_for("sft-open", prompt), [(prompt, reply)]))
    for prompt, refusal, _ in UNSAFE_REQUESTS:
        if (prompt in HELD_OUT_UNSAFE) == test:
            records.append(chat(rng_for("sft-unsafe", prompt), [(prompt, refusal)]))
    if not test:
        for prompt, reply in GREETINGS + IMAGINARY:
            for n in range(3):
                records.append(chat(rng_for("sft-small-talk", prompt, n), [(prompt, reply)]))
    rng_for("sft-order", test).shuffle(records)
    return records


def off_topic_reply(q: Question, rng) -> str:
    """True but beside the point: the famous sight for a capital question ("Paris" > "the Eiffel Tower")."""
    if q.kind == "capital":
        c = next(c for c in COUNTRIES if q.answer == c.capital)
        return f"{cap(c.sight)} is very famous."
    if q.kind == "science":
        return f"The {rng.choice(ANIMALS).name} is my favourite animal."
    return rng.choice(SCIENCE_FACTS).statements[0]


def preference_records(questions: list, test: bool) -> list:
    records = []
    reasons = ["wrong", "unhelpful", "off_topic", "rude"]
    sums = 0
    for i, q in enumerate(q for q in questions if q.test == test):
        if q.kind == "arithmetic":
            sums += 1
            if sums > (40 if test else 300):
                continue
        rng = rng_for("pref", q.prompt)
        reason = reasons[i % len(reasons)]
        rejected = {"wrong": q.wrong, "unhelpful": rng.choice([q.vague, rng.choice(UNHELPFUL)]),
                    "off_topic": off_topic_reply(q, rng), "rude": rng.choice(RUDE).format(reply=q.reply)}[reason]
        records.append({"prompt": q.prompt, "chosen": q.reply, "rejected": rejected, "reason": reason})
    for kind, prompt, reply, short in open_prompts(test):
        records.append({"prompt": prompt, "chosen": reply, "rejected": short, "reason": "too_short"})
    for prompt, refusal, compliance in UNSAFE_REQUESTS:
        if (prompt in HELD_OUT_UNSAFE) == test:
            records.append({"prompt": prompt, "chosen": refusal, "rejected": compliance, "reason": "unsafe"})
    rng_for("pref-order", test).shuffle(records)
    return records


def rl_records(questions: list, test: bool) -> list:
    records = [{"prompt": q.prompt, "answer": q.answer, "kind": q.kind} for q in questions
               if q.test == test and q.kind in RL_KINDS and q.one_answer]
    rng_for("rl-order", test).shuffle(records)
    return records


# ----------------------------------------------------------------------------- the datasheet and the writer


def jsonl(records: list) -> bytes:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def count_by(records: list, key) -> str:
    counts = {}
    for r in records:
        counts[key(r)] = counts.get(key(r), 0) + 1
    return ", ".join(f"{name} {n:,}" for name, n in sorted(counts.items()))


DATASHEET = """\
# data/: the bundled world

Everything in this folder is generated by `minillm world --out data` (the seeded generator in
`minillm/world.py`, written from the knowledge base in `minillm/world_facts.py`). Regeneration is
byte-identical; do not edit these files by hand. It lets every lesson run offline on a fresh machine.

## Files

| path | what | records | bytes |
|---|---|---:|---:|
| `web/` | the mini web site: HTML pages, robots.txt, files, `_manifest.json` | {web_files:,} files | {web_bytes:,} |
{jsonl_rows}

All of data/ except this README: {total_bytes:,} bytes in {total_files:,} files.

## The mini web (`web/`)

A site called {site_name} with {html_pages:,} HTML pages on disk, all reachable by links from `web/index.html`:
encyclopedia articles, fact sheets, travel diaries, stories, how-to guides, forum threads and quizzes, each with a
header, navigation, sidebar, footer, cookie banner, `<script>` and `<style>`, and its main text inside varied markup
(`<article>`, `<div class="content">`, bare `<p>`s, `<section>`s) next to a block of related links. Serve it with any
static server from `web/`; the server must also answer the redirects in the manifest and render the calendar pages
with `minillm.world.trap_page(path)`.

- Good pages (main text that a perfect crawl and clean keeps): {good_pages:,}, with {good_bytes:,} bytes of English \
main text.
- Pages by kind: {kinds}.
- `robots.txt`: `Disallow: {disallow}` for every agent ({disallowed} pages there are linked from the site), \
everything disallowed for BadBot, `Crawl-delay: {crawl_delay}`.
- Redirects served by the server (not on disk): {redirects}, including a chain (`/old/index.html` → \
`/old/home.html` → `/index.html`) and a loop (`/loop/a.html` ↔ `/loop/b.html`).
- Broken links (404): {broken}. Links to other hosts: {external}. Links to files that are not HTML: {binaries} \
(PDF, PNG, ZIP).
- Duplicate groups: {exact} exact (mirrors under `/mirror/` with the same bytes, print versions under `/print/` \
with the same main text) and {near} near (`/archive/`: an update note, a new date, another sidebar).
- Spam and keyword-stuffed pages (`/deals/`, `/best/`), pages of links only (`/tags/`, `/sitemap.html`), very \
short and very long pages (`/atlas/`).
- Other languages: {french} French pages (`/fr/`) and {spanish} Spanish pages (`/es/`).
- Personal data, all made up (example.com, .org and .net addresses, fictional phone numbers, documentation and \
private IP addresses): {pii} pages.
- Malformed markup: {malformed} pages. Not UTF-8: {non_utf8} pages (windows-1252 and ISO-8859-1, declared in \
`<meta>`).
- A crawler trap: `/events.html` links to `/calendar/2024/01.html`, and every calendar month links to the next \
one, forever.

`web/_manifest.json` is the ground truth (a crawler must not need it): for every page its kind, whether it is good,
its language, encoding, title and main text (title, headings, paragraphs and list items, separated by blank lines),
whether robots.txt disallows it, what it duplicates and which personal data it holds; and the redirects, broken,
external, file and other links, robots rules, trap, duplicate groups and lists of pages by defect.

## Post-training sets

One JSON object per line, keys sorted. The test splits hold out a fifth of the countries, animals, planets, science
facts and unsafe requests, and sums that appear nowhere else: no test question is asked in a train split or appears
word for word on the web (the facts themselves are on the web, so a pretrained model can know them).

- `sft/*.jsonl`: `{{"messages": [{{"role": "system" | "user" | "assistant", "content": ...}}]}}`, single- and \
multi-turn: questions about the facts, arithmetic, stories on request, small talk, imaginary things and refusals of \
unsafe requests. The system message is optional. {sft_counts}.
- `preferences/*.jsonl`: `{{"prompt", "chosen", "rejected", "reason"}}`, where the reason says what is wrong with \
the rejected reply. Train: {reasons_train}. Test: {reasons_test}.
- `rl/*.jsonl`: `{{"prompt", "answer", "kind"}}`; `answer` is the short canonical answer a checker looks for in a \
reply (case and punctuation aside). Train: {rl_train}. Test: {rl_test}.

## How it was made, and its limits

Templates and paraphrases fill in the facts of `minillm/world_facts.py` (countries with capital, continent,
languages, currency and a famous sight; animals with group, habitat, diet, food, size and young; the eight planets;
simple science), with one random generator per page seeded by its name. The text is simple and repetitive on
purpose: a small model trained on a few megabytes of it can learn some of the facts. Place names are written
without accents in English text. The facts are common knowledge as of 2024; check anything that matters elsewhere.

Regenerate with `minillm world --out data` (or any other folder); `tests/test_world.py` checks that the result
matches these files byte for byte, and that the counts above match the files.

## Licence

Generated by the minillm project and released under the same MIT licence as the code. All names of people, e-mail
addresses, phone numbers and IP addresses are invented.
"""
JSONL_FILES = {
    "sft/train.jsonl": "chat conversations for supervised fine-tuning", "sft/test.jsonl": "held-out conversations",
    "preferences/train.jsonl": "preference pairs for the reward model",
    "preferences/test.jsonl": "held-out preference pairs",
    "rl/train.jsonl": "prompts with verifiable answers for RL", "rl/test.jsonl": "held-out prompts",
}


def datasheet(files: dict, site: Site) -> str:
    """data/README.md: what each file is, how it was made, its counts and sizes. Counted from `files` itself."""
    pages = list(site.pages.values())
    good = [p for p in pages if p.good and not p.disallowed]
    web = {path: data for path, data in files.items() if path.startswith("web/")}
    records = {path: [json.loads(line) for line in files[path].decode("utf-8").splitlines()] for path in JSONL_FILES}
    sft_counts = "; ".join(
        f"{split.title()}: {len(rows):,} conversations, {sum(len(r['messages']) > 3 for r in rows):,} of them "
        f"multi-turn, {sum(r['messages'][0]['role'] == 'system' for r in rows):,} with a system message"
        for split, rows in (("train", records["sft/train.jsonl"]), ("test", records["sft/test.jsonl"])))
    return DATASHEET.format(
        web_files=len(web), web_bytes=sum(map(len, web.values())),
        jsonl_rows="\n".join(f"| `{path}` | {what} | {len(records[path]):,} | {len(files[path]):,} |"
                             for path, what in JSONL_FILES.items()),
        total_bytes=sum(map(len, files.values())), total_files=len(files), site_name=SITE_NAME,
        html_pages=sum(path.endswith(".html") for path in web), good_pages=len(good),
        good_bytes=sum(len(p.main_text.encode()) for p in good),
        kinds=count_by(pages, lambda p: p.kind), disallow=" ".join(DISALLOWED),
        disallowed=sum(p.disallowed for p in pages), crawl_delay=CRAWL_DELAY, redirects=len(site.redirects),
        broken=len(BROKEN), external=len(EXTERNAL + SHARE_LINKS), binaries=len(BINARIES),
        exact=sum(g["kind"] == "exact" for g in site.duplicate_groups),
        near=sum(g["kind"] == "near" for g in site.duplicate_groups),
        french=sum(p.lang == "fr" for p in pages), spanish=sum(p.lang == "es" for p in pages),
        pii=sum(bool(p.pii) for p in pages), malformed=sum(p.kind == "malformed" for p in pages),
        non_utf8=sum(p.encoding != "utf-8" for p in pages), sft_counts=sft_counts,
        reasons_train=count_by(records["preferences/train.jsonl"], lambda r: r["reason"]),
        reasons_test=count_by(records["preferences/test.jsonl"], lambda r: r["reason"]),
        rl_train=count_by(records["rl/train.jsonl"], lambda r: r["kind"]),
        rl_test=count_by(records["rl/test.jsonl"], lambda r: r["kind"]))


def world_files(progress: bool = False) -> dict:
    """Every file of the world as {path relative to data/: bytes}, README.md last (it describes the others)."""
    site = build_site()
    files = {f"web{path}": data for path, data in web_files(site, progress).items()}
    questions = all_questions(site.stated_sums)
    for test, split in ((False, "train"), (True, "test")):
        files[f"sft/{split}.jsonl"] = jsonl(sft_records(questions, test))
        files[f"preferences/{split}.jsonl"] = jsonl(preference_records(questions, test))
        files[f"rl/{split}.jsonl"] = jsonl(rl_records(questions, test))
    files["README.md"] = datasheet(files, site).encode("utf-8")
    return files


WORLD_PARTS = ("web", "sft", "preferences", "rl", "README.md")


def write_world(out: Path = DATA_DIR, progress: bool = True) -> dict:
    """Write the whole world into `out` (web/, sft/, preferences/, rl/, README.md); return {name: count}.

    Each part is written into a private folder next to `out` first and then renamed into place, so an
    interrupted run never leaves a half-written world; other files in `out` are left alone.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a folder")
    make_dir(out)
    files = world_files(progress)
    stage = out / f".world-{os.getpid()}.partial"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        for name, data in tqdm(sorted(files.items()), desc="writing data", disable=not progress, leave=False):
            path = stage / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for part in WORLD_PARTS:
            replace_path(stage / part, out / part)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"files": len(files), "bytes": sum(map(len, files.values())),
            "pages": sum(name.endswith(".html") for name in files)}


def replace_path(new: Path, final: Path) -> None:
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(new, final)
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm world`."""
    parser.add_argument("--out", type=Path, default=DATA_DIR, help=f"where to write (default: {DATA_DIR})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_from_args(args) -> int:
    """`minillm world [--out DIR] [--quiet]`: regenerate the bundled world (default DIR: the repo's data/)."""
    started = time.perf_counter()
    summary = write_world(args.out, progress=not args.quiet)
    print(f"wrote {summary['files']:,} files ({summary['pages']:,} HTML pages, {summary['bytes']:,} bytes) "
          f"to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="minillm world", description=run_from_args.__doc__)
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
