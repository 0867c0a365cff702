"""The world's almanac: pages that state each fact many times, in many wordings.

A fact is stored by a language model only after it has been read often and in varied words (Allen-Zhu & Li,
"Physics of Language Models" 3.1 and 3.3: knowledge augmentation). The encyclopedia and the stories state each
fact a few times; the almanac restates them: a profile per country and per animal, the capitals continent by
continent, the planets in order, the science facts and the number facts of the fact probe. The wordings of the
fact probe's paraphrase set (evalsets.PARAPHRASES) are never used here, nor anywhere on the web.
"""

import random

from minillm.world.facts import ANIMALS, CONTINENTS, COUNTRIES, PLANETS, SCIENCE_FACTS
from minillm.world.text import (
    ADDITION_TABLE_PROBES,
    DIET_MEANING,
    GROUP_FACT,
    Page,
    a_an,
    animal_values,
    canonical_capital,
    canonical_continent,
    canonical_language,
    cap,
    country_name,
    country_values,
    join_and,
    number_word,
    planet_values,
    random_date,
    rng_for,
    same_continent,
    slug,
    tidy,
)

CAPITAL = [
    "The capital of {country} is {capital}.",
    "{Country} has its capital in {capital}.",
    "The capital city of {country} is {capital}.",
    "The government of {country} meets in {capital}, the capital.",
    "When people talk about the capital of {country}, they mean {capital}.",
    "{Country} is governed from its capital, {capital}.",
    "In {country}, the capital is {capital}.",
    "The seat of government of {country} is {capital}.",
    "{Country}'s capital is {capital}.",
]
# The same fact read from the city's side: without these, a model knows the capital of France but not what Paris
# is the capital of (the "reversal curse").
CAPITAL_OF = [
    "{capital} is the capital city of {country}.",
    "{capital}, the capital of {country}, is where most visitors arrive.",
    "{capital} serves as the capital of {country}.",
    "{capital} is the city where the government of {country} meets.",
    "Of all the cities in {country}, {capital} is the capital.",
    "{capital} has been chosen as the capital of {country}.",
    "{capital} is the capital and the seat of government of {country}.",
]
CONTINENT = [
    "{Country} is a country in {continent}.",
    "{Country} is in {continent}.",
    "{Country} lies in {continent}.",
    "{Country} is one of the countries of {continent}.",
    "On a map of the world, {country} is in {continent}.",
    "{continent} is the continent where {country} is.",
    "To visit {country}, you travel to {continent}.",
    "{Country} is part of the continent of {continent}.",
    "The continent of {continent} includes {country}.",
    "{Country} belongs to {continent}.",
    "{Country}'s continent is {continent}.",
    "The continent that {country} is part of is {continent}.",
]
LANGUAGE = [
    "The main language of {country} is {lang}.",
    "In {country}, people speak {lang}.",
    "{lang} is the main language of {country}.",
    "Most people in {country} speak {lang}.",
    "Children in {country} grow up speaking {lang}.",
    "The people of {country} speak {lang}.",
    "The language of {country} is {lang}.",
    "In {country}, the language you hear most is {lang}.",
    "Schools in {country} teach in {lang}.",
    "{lang} is spoken in {country}.",
    "The language most people in {country} use is {lang}.",
    "{Country}'s main language is {lang}.",
]
LANGUAGES = [
    "The main languages of {country} are {langs}.",
    "In {country}, people speak {langs}.",
    "{Country} has more than one main language: {langs}.",
]
MONEY = ["The money of {country} is the {currency}.", "In {country}, people pay with the {currency}."]
SIGHT = ["{Country} is famous for {sight}.", "A famous sight in {country} is {sight}."]
ALMANAC_TITLES = ["Almanac: {country}", "{Country}: the facts", "{Country} in the almanac", "Almanac entry: {country}"]

YOUNG = [
    "A baby {animal} is called {a_young}.",
    "Baby {plural} are called {youngs}.",
    "The baby of the {animal} is called {a_young}.",
    "A young {animal} is known as {a_young}.",
    "When a {animal} is born, it is known as {a_young}.",
    "{A_young} is what we call a baby {animal}.",
    "The young of the {animal} is {a_young}.",
    "A mother {animal} looks after her {young}.",
]
HABITAT = [
    "{Plural} live {habitat}.",
    "The {animal} lives {habitat}.",
    "Wild {plural} are found {habitat}.",
    "The {animal} makes its home {habitat}.",
    "You can find {plural} {habitat}.",
    "Most {plural} live {habitat}.",
    "{Plural} are at home {habitat}.",
    "The {animal} is an animal that lives {habitat}.",
]
DIET = ["The {animal} is {a_diet}.", "{Plural} are {diet}s."]

PLANET_ORDER = [
    "The {order} planet from the Sun is {planet}.",
    "{planet} is the {order} planet from the Sun.",
    "Counting from the Sun, {planet} comes {order}.",
    "In order from the Sun, number {number} is {planet}.",
    "The {order} planet is {planet}.",
    "{planet} is planet number {number} from the Sun.",
    "Going outward from the Sun, {planet} is planet number {number}.",
    "The planet in {order} place from the Sun is {planet}.",
]
PLANET_NOTES = ["It is {a_kind}.", "{planet} has {moons}.", "{planet} is {a_kind} with {moons}."]
SUMS = ["{a} plus {b} is {c}.", "{a} + {b} = {c}.", "Adding {b} to {a} gives {c}.", "{A} plus {B} makes {C}."]


def statements(rng: random.Random, templates: list, k: int, **values) -> list:
    """k sentences, each in a different wording."""
    return [tidy(t.format(**values)) for t in rng.sample(templates, min(k, len(templates)))]


def paragraph(sentences: list) -> tuple:
    return ("p", " ".join(sentences))


def remember(sentences: list) -> list:
    """A list, a sentence per line. A name that starts a line is spelled in other tokens than one inside a
    sentence ("Italy" is "It" + "aly", " Italy" one token), and a prompt starts a line: without these lines the
    model knows " Italy is a country in" far better than the probe's "Italy is a country in"."""
    return [("li", sentence) for sentence in sentences]


# The almanac comes in VOLUMES volumes, each with a page per country and per animal in wordings drawn afresh, a
# page of the planets in order, and on each page a few of the other probed facts (a planet's place, an animal's
# home, a science fact, a sum). A model this small stores a fact after many readings in varied words
# (benchmarks/RESULTS.md has the measurements); one subject per page reads like an almanac, where many subjects
# in the same few wordings would read like spam to the quality filters of lesson 02 (which still drop a few
# pages: those of countries with long names, whose names fill too much of the page).
VOLUMES = 10


def did_you_know(rng: random.Random) -> tuple:
    """One statement each of a planet's place, where an animal lives, a science fact and a sum, drawn at random."""
    planet, animal = rng.choice(PLANETS), rng.choice(ANIMALS)
    fact = rng.choice(SCIENCE_FACTS)
    a, b = rng.choice(ADDITION_TABLE_PROBES)
    sums = {"a": a, "b": b, "c": a + b, "A": cap(number_word(a)), "B": number_word(b), "C": number_word(a + b)}
    prompt, answer = fact.cloze
    return paragraph(["Did you know?"] + statements(rng, PLANET_ORDER, 1, **planet_values(planet),
                                                    number=number_word(planet.order))
                     + statements(rng, HABITAT, 1, **animal_facts_values(animal))
                     + statements(rng, [*fact.statements, f"{prompt} {answer}."], 1) + statements(rng, SUMS, 1, **sums))


def country_profile(c, volume: int) -> Page:
    rng = rng_for("almanac", volume, c.name)
    v = country_values(c)
    neighbours = same_continent(c, 2, rng)
    languages = LANGUAGE if len(c.languages) == 1 else LANGUAGES
    # the canonical sentences (each list's first) close the page; the paragraphs above use the other wordings
    blocks = [
        ("h1", rng.choice(ALMANAC_TITLES).format(**v)),
        paragraph(statements(rng, CAPITAL[1:], 2, **v) + statements(rng, CAPITAL_OF, 3, **v)),
        paragraph(statements(rng, CONTINENT[1:], 4, **v)
                  + [f"Its neighbours in {c.continent} include {join_and(country_name(o) for o in neighbours)}."]),
        paragraph(statements(rng, languages[1:], 2, **v) + statements(rng, MONEY, 1, **v)
                  + statements(rng, SIGHT, 1, **v)),
        paragraph([s for o in neighbours for s in statements(rng, rng.choice([CAPITAL[1:], CAPITAL_OF]), 1,
                                                              **country_values(o))
                   + statements(rng, CONTINENT[1:], 1, **country_values(o))]),
        did_you_know(rng),
        ("h2", "Remember"),
        *remember([canonical_capital(c), canonical_continent(c), canonical_language(c)]),
    ]
    return Page(f"/almanac/volume-{volume}/{slug(c.name)}.html", "article", blocks[0][1], blocks, "almanac",
                date=random_date(rng))


def animal_card(a, volume: int) -> Page:
    rng = rng_for("almanac-animal", volume, a.name)
    v = animal_facts_values(a)
    others = rng.sample([o for o in ANIMALS if o.name != a.name], 3)
    blocks = [
        ("h1", rng.choice([f"Almanac: the {a.name}", f"The {a.name}: the facts", f"{cap(a.plural)} in the almanac"])),
        paragraph(statements(rng, YOUNG[1:], 2, **v) + statements(rng, HABITAT[1:], 3, **v)),
        paragraph(statements(rng, DIET, 1, **v) + [DIET_MEANING[a.diet], GROUP_FACT[a.group].format(**v),
                                                   tidy(f"The {a.name} eats {a.food}."), tidy(f"The {a.name} {a.trait}.")]),
        ("h2", "Other animals"),
        paragraph([s for o in others for s in statements(rng, YOUNG[1:], 1, **animal_facts_values(o))
                   + statements(rng, HABITAT[1:], 1, **animal_facts_values(o))]),
        did_you_know(rng),
        ("h2", "Remember"),
        *remember([f"A baby {a.name} is called {a_an(a.young)}.", f"{cap(a.plural)} live {a.habitat}."]),
    ]
    return Page(f"/almanac/volume-{volume}/{slug(a.name)}.html", "article", blocks[0][1], blocks, "almanac",
                date=random_date(rng))


def animal_facts_values(a) -> dict:
    return animal_values(a) | {"a_young": a_an(a.young), "A_young": cap(a_an(a.young))}


def planets_in_order(volume: int) -> Page:
    """The eight planets outward from the Sun: each one's place, kind and moons."""
    rng = rng_for("almanac-planets", volume)
    blocks = [("h1", rng.choice(["The planets in order", "From the Sun outwards", "Almanac: the planets"]))]
    for p in PLANETS:
        v = planet_values(p)
        blocks.append(paragraph(statements(rng, PLANET_ORDER, 1, **v, number=number_word(p.order))
                                + statements(rng, PLANET_NOTES, 1, **v)))
    return Page(f"/almanac/volume-{volume}/planets.html", "article", blocks[0][1], blocks, "almanac",
                date=random_date(rng))


def continent_capitals(continent: str) -> Page:
    rng = rng_for("almanac-capitals", continent)
    members = [c for c in COUNTRIES if c.continent == continent]
    blocks = [("h1", f"The capitals of {continent}"),
              ("p", tidy(f"{continent} has {len(members)} countries in this almanac. Here is the capital of each, "
                         "with the continent it belongs to."))]
    for start in range(0, len(members), 4):
        sentences = []
        for c in members[start:start + 4]:
            v = country_values(c)
            sentences += statements(rng, CAPITAL, 1, **v) + statements(rng, CONTINENT, 1, **v)
        blocks.append(paragraph(sentences))
    blocks.append(("p", CONTINENTS[continent]))
    return Page(f"/almanac/capitals-of-{slug(continent)}.html", "article", blocks[0][1], blocks, "almanac",
                date=random_date(rng))


def almanac_pages() -> list:
    return ([page for volume in range(1, VOLUMES + 1) for page in
             [country_profile(c, volume) for c in COUNTRIES] + [animal_card(a, volume) for a in ANIMALS]
             + [planets_in_order(volume)]]
            + [continent_capitals(name) for name in CONTINENTS])
