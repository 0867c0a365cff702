"""What the pipeline measures itself against: the fact probe's cloze prompts and the language-ID samples.

The generator writes them into data/ (probe/cloze.jsonl, langid/train.jsonl, langid/test.jsonl) so that the
pipeline reads files and never imports the generator.
"""

import zlib
from collections import defaultdict

from minillm.world.facts import ANIMALS, COUNTRIES, PLANETS, SCIENCE_FACTS
from minillm.world.site import Site
from minillm.world.text import ADDITION_TABLE_PROBES, a_an, cap, country_name, ordinal

LANGID_TRAIN_PER_LANGUAGE = 150


def cloze_record(relation: str, subject: str, prompt: str, answer: str) -> dict:
    return {"prompt": prompt, "answer": answer, "relation": relation, "subject": subject}


def cloze_prompts() -> list[dict]:
    """{"prompt", "answer", "relation", "subject"} records, each fact stated many times in the web text.

    >>> {"prompt": "The capital of France is", "answer": "Paris", "relation": "capital", "subject": "France"} \\
    ...     in cloze_prompts()
    True
    """
    rows = []

    def add(*fields) -> None:
        rows.append(cloze_record(*fields))

    for c in COUNTRIES:
        add("capital", c.name, f"The capital of {country_name(c)} is", c.capital)
        add("continent", c.name, f"{cap(country_name(c))} is a country in", c.continent)
        if len(c.languages) == 1:
            add("language", c.name, f"The main language of {country_name(c)} is", c.languages[0])
    for a in ANIMALS:
        add("young", a.name, f"A baby {a.name} is called", a_an(a.young))
        add("habitat", a.name, f"{cap(a.plural)} live", a.habitat)
    for p in PLANETS:
        add("planet_order", p.name, f"The {ordinal(p.order)} planet from the Sun is", p.name)
    for f in SCIENCE_FACTS:
        add("science", f.key, *f.cloze)
    for a, b in ADDITION_TABLE_PROBES:
        add("addition", f"{a}+{b}", f"{a} plus {b} is", str(a + b))
    return rows


# The paraphrase set: wordings of the probed facts that no page of the world uses (tests check it), so a model
# that completes them has stored the fact, not one sentence. Reverse questions ask for the subject.
PARAPHRASES = {
    "capital": "{Country}'s capital city is",
    "capital_of": "{capital} is the capital of",
    "continent": "{Country} is located on the continent of",
    "language": "The language spoken in {country} is",
    "young": "A {animal}'s baby is called",
    "habitat": "A wild {animal} lives",
    "planet_order": "Counting outward from the Sun, the {order} planet is",
}


def paraphrase_prompts() -> list[dict]:
    """{"prompt", "answer", "relation", "subject"} records in the PARAPHRASES wordings."""
    rows = []

    def add(relation: str, subject: str, answer: str, **values) -> None:
        rows.append(cloze_record(relation, subject, PARAPHRASES[relation].format(**values), answer))

    for c in COUNTRIES:
        values = {"Country": cap(country_name(c)), "country": country_name(c), "capital": c.capital}
        add("capital", c.name, c.capital, **values)
        add("capital_of", c.name, country_name(c), **values)
        add("continent", c.name, c.continent, **values)
        if len(c.languages) == 1:
            add("language", c.name, c.languages[0], **values)
    for a in ANIMALS:
        add("young", a.name, a_an(a.young), animal=a.name)
        add("habitat", a.name, a.habitat, animal=a.name)
    for p in PLANETS:
        add("planet_order", p.name, p.name, order=ordinal(p.order))
    return rows


def is_language_held_out(path: str) -> bool:
    """One page in three, by a hash of its path, is kept out of language-ID training to measure accuracy on."""
    return zlib.crc32(path.encode()) % 3 == 0


def language_samples(site: Site) -> tuple[list[dict], list[dict]]:
    """Language-ID training texts ({"lang", "path", "text"}, at most LANGID_TRAIN_PER_LANGUAGE per language, spread
    over the site's sections) and the held-out pages to score it on ({"path", "lang"}; text in the manifest)."""
    pages = sorted((p for p in site.pages.values() if p.main_text and p.lang),
                   key=lambda p: zlib.crc32(p.path.encode()))  # a spread over sections, not /a... first
    train, per_language = [], defaultdict(int)
    for page in pages:
        if not is_language_held_out(page.path) and per_language[page.lang] < LANGID_TRAIN_PER_LANGUAGE:
            train.append({"lang": page.lang, "path": page.path, "text": page.main_text})
            per_language[page.lang] += 1
    test = [{"path": p.path, "lang": p.lang} for p in sorted(pages, key=lambda p: p.path) if is_language_held_out(p.path)]
    return train, test
