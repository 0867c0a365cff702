"""The world's post-training sets: SFT conversations, preference pairs and RL prompts (lessons 09-11).

One Question per fact (and per sum), each with a checkable answer, a good reply and plausible bad ones, turned
into chats for fine-tuning, (chosen, rejected) pairs for the reward model, and prompts with verifiable answers.
A seeded fifth of the countries, animals, planets, science facts, unsafe and borderline requests, and sums the
web never states, are held out for the test splits.

Half of the SFT sums use a calculator tool, declared in the system message (TOOL_SYSTEM): the assistant writes
`68 plus 56 is <|calc|>68 + 56<|/calc|>`, the runtime appends the calculator's result (`124`) and the assistant
ends its sentence; in the data all of it is the assistant's message. The other half answer directly.
"""

from dataclasses import dataclass

from minillm.world.facts import (
    ANIMALS,
    BORDERLINE_SAFE,
    CONTINENTS,
    COUNTRIES,
    PLANETS,
    SCIENCE_FACTS,
    UNSAFE_REQUESTS,
)
from minillm.world.stories import (
    S_FABLE,
    S_FABLE_HOME,
    S_FABLE_MIDDLE,
    S_TRIP_ARRIVE,
    S_TRIP_END,
    S_TRIP_SIGHT,
    story_people,
)
from minillm.world.text import (
    A_HOME,
    A_INTRO,
    A_YOUNG,
    C_CAPITAL,
    C_LANG_MANY,
    C_LANG_ONE,
    C_SIGHT,
    C_WHERE,
    DIET_MEANING,
    GROUP_FACT,
    P_INTRO,
    P_KIND,
    P_MOONS,
    PLANET_KIND,
    SITE_NAME,
    a_an,
    animal_values,
    canonical_capital,
    canonical_continent,
    canonical_language,
    cap,
    column_addition_steps,
    country_name,
    country_values,
    fill,
    planet_values,
    rng_for,
    say,
    tidy,
)

# ----------------------------------------------------------------------------- held-out splits


HELD_OUT = 0.2  # fraction of entities, facts and sums kept for the test splits


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
HELD_OUT_BORDERLINE = held_out_names([b[0] for b in BORDERLINE_SAFE], "borderline")


# ----------------------------------------------------------------------------- post-training: questions


SYSTEM_PROMPTS = [None, None, "You are a helpful assistant.",
                  "You are a friendly tutor for children. Answer in simple words.",
                  (f"You are the {SITE_NAME} assistant. You answer questions about countries, animals, planets, "
                   "science and arithmetic.")]
# The calculator: the assistant writes CALC_OPEN expression CALC_CLOSE, the runtime appends the result.
CALC_OPEN, CALC_CLOSE = "<|calc|>", "<|/calc|>"
# About 110 tokens of the tiny preset's tokenizer: with the chat markup, a conversation fits its 128-token context.
CONVERSATION_CHARS = 360
TOOL_SYSTEM = (f"You are the {SITE_NAME} assistant. You have a calculator: write {CALC_OPEN}expression{CALC_CLOSE} "
               "and its result appears.")
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
    tool_reply: str = ""  # sums only: a short answer whose result the calculator writes


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
    lead = rng.choice([f"{a} {op if op != '*' else 'x'} {b} = ", f"{a} {word} {b} is ", "The answer is "])
    reply = f"{lead}{c}."
    if op == "+" and a >= 10 and b >= 10 and rng.random() < 0.4:
        reply = column_addition_steps(a, b)
    return Question("arithmetic", rng.choice(Q_SUM[op]).format(a=a, b=b), str(c), reply,
                    f"{a} {word} {b} is {c + rng.choice([-10, -2, -1, 1, 2, 10])}.",
                    "That is a big number. Try using a calculator.", test,
                    tool_reply=f"{lead}{CALC_OPEN}{a} {op} {b}{CALC_CLOSE}{c}.")


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
# A refusal of a request that only sounds unsafe: the rejected side of each borderline request's pair.
OVER_REFUSALS = ["I can't help with that. It sounds dangerous.", "I can't help with that request, sorry.",
                 "I cannot answer that. It could be used to hurt someone."]
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
        return (fill(rng, Q_ABOUT, name=v["country"]), say(rng, C_WHERE, C_CAPITAL, lang, C_SIGHT, **v),
                "It's a country.")
    if hasattr(thing, "habitat"):
        v = animal_values(thing) | {"a_young": a_an(thing.young)}
        return (fill(rng, Q_ABOUT, name=thing.plural), say(rng, A_INTRO, A_HOME, A_YOUNG, **v),
                f"{cap(thing.plural)} are animals.")
    v = planet_values(thing)
    return fill(rng, Q_ABOUT, name=thing.name), say(rng, P_INTRO, P_KIND, P_MOONS, **v), "It's a planet."


def story_reply(thing, rng) -> tuple:
    """(prompt, a short story, a too-short story) for a story request about an animal or a country."""
    if hasattr(thing, "capital"):
        v = country_values(thing) | story_people(rng)
        story = [say(rng, S_TRIP_ARRIVE, **v), say(rng, S_TRIP_SIGHT, S_TRIP_END, **v)]
        return fill(rng, Q_STORY_TRIP, **v), "\n\n".join(story), f"{v['name']} went to {v['country']}. The end."
    o = other(ANIMALS, thing, rng, key=lambda x: x.name)
    v = animal_values(thing) | {"other": o.name, "an_other": a_an(o.name), "An_other": cap(a_an(o.name)),
                                "other_habitat": o.habitat, "other_food": o.food}
    story = [say(rng, S_FABLE, **v), say(rng, S_FABLE_MIDDLE, S_FABLE_HOME, **v)]
    return fill(rng, Q_STORY_ANIMAL, **v), "\n\n".join(story), f"Once there was {a_an(thing.name)}. The end."


def chat(rng, turns, system: str | None = None) -> dict:
    """A conversation with one of SYSTEM_PROMPTS (or none), drawn from `rng`, unless `system` is given. The draw
    is among those that keep the conversation within CONVERSATION_CHARS: a long reply gets a short system message."""
    if system is None:
        size = sum(len(user) + len(assistant) for user, assistant in turns)
        system = rng.choice([s for s in SYSTEM_PROMPTS if size + len(s or "") <= CONVERSATION_CHARS] or [None])
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


def tool_sums(questions: list, test: bool) -> set:
    """The prompts of a seeded half of the SFT sums: they call the calculator, the other half answer directly."""
    prompts = [q.prompt for q in questions if q.kind == "arithmetic"]
    rng_for("sft-tool", test).shuffle(prompts)
    return set(prompts[: len(prompts) // 2])


def sft_records(questions: list, test: bool) -> list:
    # half the sums are enough for chat practice; RL gets all of them
    chats = [q for i, q in enumerate(q for q in questions if q.test == test) if not (q.kind == "arithmetic" and i % 2)]
    tool = tool_sums(chats, test)
    records = []
    for q in chats:
        rng = rng_for("sft", q.prompt)
        if q.prompt in tool:
            turns = [(q.prompt, q.tool_reply)]
            if rng.random() < 0.15:
                turns.append(rng.choice(CLOSINGS))
            records.append(chat(rng, turns, system=TOOL_SYSTEM))
            continue
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
    for prompt, reply in BORDERLINE_SAFE:
        if (prompt in HELD_OUT_BORDERLINE) == test:
            records.append(chat(rng_for("sft-borderline", prompt), [(prompt, reply)]))
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
    for prompt, reply in BORDERLINE_SAFE:
        if (prompt in HELD_OUT_BORDERLINE) == test:
            records.append({"prompt": prompt, "chosen": reply, "rejected": rng_for("pref-over", prompt).choice(OVER_REFUSALS),
                            "reason": "over_refusal"})
    rng_for("pref-order", test).shuffle(records)
    return records


def rl_records(questions: list, test: bool) -> list:
    records = [{"prompt": q.prompt, "answer": q.answer, "kind": q.kind} for q in questions
               if q.test == test and q.kind in RL_KINDS and q.one_answer]
    rng_for("rl-order", test).shuffle(records)
    return records
