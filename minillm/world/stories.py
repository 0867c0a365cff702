"""The world's other writing: stories, how-to guides, forum threads, quizzes, diaries and letters.

The same facts as text.py in other genres and other words, so that a model meets each fact many times in
many phrasings. Forum threads and quizzes record the sums they state, so the arithmetic test splits stay unseen.
"""

import random

from minillm.world.facts import ANIMALS, CONTINENTS, COUNTRIES, PEOPLE, PLANETS, RELATIVES, SCIENCE_FACTS, USERNAMES
from minillm.world.text import (
    A_DIET,
    A_FOOD,
    A_HOME,
    A_INTRO,
    A_SIZE,
    A_YOUNG,
    C_CAPITAL,
    C_CAPITAL_QA,
    C_MONEY,
    C_MONEY_MORE,
    C_SIGHT_EXTRA,
    C_SIGHT_MORE,
    C_TIPS,
    C_WHERE,
    DIET_MEANING,
    GROUP_FACT,
    P_INTRO,
    P_KIND,
    P_MOONS,
    P_YEAR,
    VISIBLE_PLANETS,
    Page,
    a_an,
    animal_setting,
    animal_values,
    bullets,
    canonical_capital,
    canonical_language,
    cap,
    column_addition_steps,
    country_name,
    country_values,
    fill,
    ordinal,
    planet_neighbours,
    planet_values,
    random_date,
    rng_for,
    say,
    slug,
    tidy,
)

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
    "The first stop was {capital}. {name} wrote in a notebook: '{capital}, capital of {country}.'",
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
