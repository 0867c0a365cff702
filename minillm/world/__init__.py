"""The bundled world: the seeded generator of data/, beside the pipeline (never imported by it).

Every lesson needs something real to chew on while offline: a mini web site to crawl and clean, with the
defects of the real web, the fact probe's prompts, language-ID samples, and the post-training sets. All of
it is written from one knowledge base with random generators seeded per page, so `minillm world --out DIR`
regenerates data/ byte for byte. data/web/_manifest.json is the ground truth tests and lessons score against.

The generator, one module per step:
  facts.py      the knowledge base (data only)
  text.py       facts as sentences; encyclopedia pages on countries, animals, planets, science, sums
  stories.py    stories, how-to guides, forum threads, quizzes, diaries and letters
  site.py       pages with defects (spam, PII, other languages...) and the linked site: build_site
  html.py       the site as files: HTML with boilerplate, robots.txt, the manifest
  evalsets.py   the fact probe's cloze prompts and the language-ID samples
  posttrain.py  chat questions into SFT conversations, preference pairs and RL prompts
  write.py      the datasheet and writing it all to data/ (`minillm world`)
"""

from minillm.world.evalsets import cloze_prompts, language_samples
from minillm.world.facts import ANIMALS, COUNTRIES, PLANETS, SCIENCE_FACTS
from minillm.world.site import Site, build_site
from minillm.world.text import DISALLOWED, Page, country_name
from minillm.world.write import world_files, write_world

__all__ = [
    "ANIMALS",
    "COUNTRIES",
    "DISALLOWED",
    "PLANETS",
    "SCIENCE_FACTS",
    "Page",
    "Site",
    "build_site",
    "cloze_prompts",
    "country_name",
    "language_samples",
    "world_files",
    "write_world",
]
