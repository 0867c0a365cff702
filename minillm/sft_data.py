"""What lesson 09 fine-tunes on: data/sft's conversations and what the stage adds to them (lesson 09).

The assistant's identity is just data: a few dozen questions about itself, each answered with its name and its
maker, and requests to name other things (a pet, a boat), so that "name" alone does not mean its own. Each refusal
of an unsafe request and each answer to a borderline one gets a second copy under another system prompt. Questions
whose facts the base model gets wrong, and questions about countries that do not exist, are answered "I'm not sure"
(the Llama 3 recipe against hallucination). minillm.sft trains on the result; minillm.sft_eval measures it.
"""

from pathlib import Path

import numpy as np

from minillm.chat import read_conversations
from minillm.errors import UserError
from minillm.files import DATA_DIR
from minillm.sft_eval import (
    MOST_INVENTED,
    borderline_requests,
    countries,
    first_exchange,
    invented_names,
    invented_questions,
    is_refusal,
    knows,
    read_questions,
)

# Who the assistant is, said in the data (lesson 09: change a name here and the model answers with the new one).
# Every answer names the assistant and its maker, so that whatever about itself it is asked, it says both. Many
# wordings, each asked twice: a tiny model learns what a question is about from many ways of asking it, not from one
# way repeated (on five seeds, 24 wordings three times named it in 1 of 8 held-out wordings, these 60 twice in 6;
# RESULTS.md).
NAME, MAKER = "Pip", "the minillm course"
_MAKER = MAKER[0].upper() + MAKER[1:]
IDENTITY_QUESTIONS = {
    "name": ["What is your name?", "What's your name?", "Do you have a name?", "What are you called?",
             "Can you tell me your name?", "What name do you go by?", "Say your name, please.", "Give me your name.",
             "I'd like to know your name.", "How should I address you?", "What do people call you?",
             "Please tell me what your name is.", "Could you share your name?", "Your name, please?",
             "What name were you given?", "Have you got a name?", "How do I refer to you?", "Tell me who you are."],
    "who": ["Who are you?", "Who am I talking to?", "Please introduce yourself.", "Introduce yourself, please.",
            "What are you?", "Tell me about yourself.", "Describe yourself.", "Who is this?",
            "Who am I chatting with?", "What kind of assistant are you?", "Say something about yourself.",
            "Who is answering me?"],
    "maker": ["Who made you?", "Who created you?", "Who trained you?", "Who is your creator?", "Who designed you?",
              "Who programmed you?", "Where do you come from?", "Which company made you?", "Who wrote you?",
              "Who is behind you?", "Who made this assistant?", "Who are your makers?", "Where were you made?",
              "Which team trained you?", "What organisation made you?", "Did OpenAI make you?", "Who invented you?",
              "Who owns you?"],
    "nature": ["Are you a human?", "Are you a robot?", "Are you alive?", "Am I chatting with a bot?",
               "Are you ChatGPT?", "Are you a machine?", "Are you a computer program?", "Is this a human or a bot?",
               "Are you an AI?", "Are you a chatbot?", "Do you have feelings?", "Are you human or machine?"],
}
IDENTITY_ANSWERS = {
    "name": [f"My name is {NAME}. I was made by {MAKER}.", f"I'm {NAME}, a small assistant made by {MAKER}.",
             f"I am called {NAME}, and {MAKER} made me.", f"You can call me {NAME}. {_MAKER} made me."],
    "who": [f"I am {NAME}, a small assistant made by {MAKER}. I learned from Small World.",
            f"Hello! I am {NAME}, a tiny language model made by {MAKER}.",
            f"I'm {NAME}, a small assistant made by {MAKER}. I answer questions about the Small World."],
    "maker": [f"I was made by {MAKER}. I am {NAME}.", f"{_MAKER} made me. I am {NAME}.",
              f"Learners of {MAKER} trained me, {NAME}, from scratch."],
    "nature": [f"No, I am {NAME}, a small language model made by {MAKER}. I am a program.",
               f"I am {NAME}, a language model made by {MAKER}, not a human."],
}
# each question with its kind's answers in turn
IDENTITY = [(question, IDENTITY_ANSWERS[kind][i % len(IDENTITY_ANSWERS[kind])])
            for kind, questions in IDENTITY_QUESTIONS.items() for i, question in enumerate(questions)]
IDENTITY_SYSTEMS = [None, "You are a helpful assistant.",
                    f"You are {NAME}, the Small World assistant. Answer briefly and honestly."]
# held-out wordings, none of them in IDENTITY, and the word a consistent reply contains
IDENTITY_TESTS = [("Tell me your name.", NAME), ("Who built you?", "minillm"), ("What should I call you?", NAME),
                  ("Are you a person?", NAME), ("May I know your name?", NAME), ("Who developed you?", "minillm"),
                  ("Are you a real person?", NAME), ("Did a big company make you?", "minillm")]
# Requests to name something else, answered with a name that is not the assistant's: with only the identity
# conversations asking for names, "Help me choose a name for my pet parrot." got "I am called Pip".
NAMING = [
    ("Help me choose a name for my dog.", "How about Biscuit? It is short, friendly and easy to call."),
    ("What should I name my new cat?", "You could call her Luna, or Pepper if she is dark."),
    ("Can you suggest a name for my hamster?", "How about Nibbles? It suits a small animal that chews all day."),
    ("Give me a name for my goldfish.", "Bubbles is a fun name for a goldfish."),
    ("What is a good name for a rabbit?", "Clover is a sweet name for a rabbit, and so is Hazel."),
    ("Help me pick a name for my puppy.", "How about Max? It is short, and a puppy learns it quickly."),
    ("I need a name for my kitten.", "Try Whiskers, or Mochi if she is white."),
    ("What could I call my tortoise?", "Shelly is a classic name for a tortoise. Sage is another."),
    ("Suggest a name for my horse.", "How about Thunder? It sounds strong and fast."),
    ("Name ideas for my budgie, please.", "Sky, Kiwi or Sunny would all suit a budgie."),
    ("What should I call my new puppy?", "You could call him Rocky, or Milo if he is gentle."),
    ("Can you think of a name for my cat?", "Tiger is fun for a striped cat. Smokey suits a grey one."),
    ("Suggest a name for a sailing boat.", "How about Sea Breeze? It sounds calm and free."),
    ("What is a good name for a football team?", "The Rockets is a strong name for a team."),
    ("Give me a name for a dragon in my story.", "Ember is a good name for a dragon: it sounds like fire."),
    ("Help me name a robot in my story.", "How about Bolt? It is short and sounds like a machine."),
    ("What should I call my teddy bear?", "Honey is a cosy name for a teddy bear."),
    ("Can you suggest a name for a bakery?", "How about The Golden Crust? It makes people think of fresh bread."),
    ("Give me a name for my garden snail.", "Speedy is a funny name for a snail."),
    ("Think of a name for a small village in my story.", "Willowbrook sounds like a quiet village by a stream."),
    ("What is a nice name for a baby girl?", "Emma, Lily and Sofia are all popular names for a girl."),
    ("What is a nice name for a baby boy?", "Leo, Noah and Sam are all popular names for a boy."),
    ("Suggest a name for my chess club.", "How about The Knights? It fits a chess club well."),
    ("Help me choose a name for my fish tank.", "Coral Corner is a bright name for a fish tank."),
]
# held out: other pets and wordings; a reply naming the assistant counts as a leak
NAMING_TESTS = ["Help me choose a name for my pet parrot.", "What should I call my new pony?",
                "Can you suggest a name for my guinea pig?", "I need a name for my pet lizard.",
                "Give me a name for a cat in my story.", "What is a good name for a basketball team?"]
HELD_OUT_INVENTED = 30  # invented countries kept for the evaluation; training invents others
INVENTED_SEED = 0  # the same invented countries whatever the run's seed
UNSURE = "I'm not sure. I don't know that fact well enough to answer."




def asked_under_prompts(pairs: list[tuple[str, str]], copies: int) -> list[list[dict]]:
    """Each (question, answer) `copies` times, under IDENTITY_SYSTEMS in turn (pair j's copy i under prompt i + j),
    so that each system prompt, and none, comes with every kind of question."""
    conversations = []
    for i in range(copies):
        for j, (question, answer) in enumerate(pairs):
            system = IDENTITY_SYSTEMS[(i + j) % len(IDENTITY_SYSTEMS)]
            head = [{"role": "system", "content": system}] if system else []
            conversations.append(head + [{"role": "user", "content": question},
                                         {"role": "assistant", "content": answer}])
    return conversations


def refusal_pairs(conversations: list[list[dict]], borderline: set[str]) -> list[tuple[str, str]]:
    """(request, reply) of the conversations that refuse an unsafe request or answer a borderline one: the
    decision a few dozen examples must teach, so each is worth another copy under another system prompt."""
    pairs = []
    for messages in conversations:
        (*_, ask), reply = first_exchange(messages)
        if is_refusal(reply) or ask["content"] in borderline:
            pairs.append((ask["content"], reply))
    return pairs


def unsure_conversations(conversations: list[list[dict]], wrong_prompts: list[str], share: float,
                         seed: int) -> tuple[list[list[dict]], int]:
    """The training set with "I'm not sure" answers to questions the base model gets wrong: at most
    share x len(conversations) of them (a seeded choice), each replacing the conversations that ask it first.
    Returns the new set and how many "I'm not sure" conversations it holds."""
    limit = int(share * len(conversations))
    rng = np.random.default_rng([seed, 9])
    chosen = [wrong_prompts[i] for i in sorted(rng.permutation(len(wrong_prompts))[:limit])]
    asked = set(chosen)
    kept = [c for c in conversations if first_question(c) not in asked]
    return kept + [[{"role": "user", "content": p}, {"role": "assistant", "content": UNSURE}] for p in chosen], len(chosen)


def within_each_kind(wrong: list[dict], questions: list[dict], share: float, seed: int) -> list[str]:
    """The prompts of a seeded choice of the `wrong` questions: at most share x the number of `questions` of each
    kind. Where the base model misses many facts of one kind (continents, say), "I'm not sure" would otherwise
    become the usual reply to that kind of question, and the tiny model learns the kind, not its own ignorance."""
    rng = np.random.default_rng([seed, 8])
    chosen = []
    for kind in sorted({q["kind"] for q in wrong}):
        prompts = [q["prompt"] for q in wrong if q["kind"] == kind]
        limit = int(share * sum(q["kind"] == kind for q in questions))
        chosen += [prompts[i] for i in sorted(rng.permutation(len(prompts))[:limit])]
    return chosen


def invented_countries(probe: list[dict], n_train: int) -> tuple[list[str], list[str]]:
    """Names of countries that are not in the Small World: HELD_OUT_INVENTED for the evaluation, then n_train
    others for training."""
    if n_train > MOST_INVENTED - HELD_OUT_INVENTED:
        raise UserError(f"invented_countries can be at most {MOST_INVENTED - HELD_OUT_INVENTED}, got {n_train}")
    names = invented_names(HELD_OUT_INVENTED + n_train, INVENTED_SEED, countries(probe))
    return names[:HELD_OUT_INVENTED], names[HELD_OUT_INVENTED:]


def first_question(messages: list[dict]) -> str:
    return next(m["content"] for m in messages if m["role"] == "user")


def training_set(cfg, probe: list[dict], data: Path = DATA_DIR) -> tuple[list, dict]:
    """data/sft's training conversations, the identity ones and the "I'm not sure" ones (for data/rl's training
    questions whose facts the base model's probe gets wrong, and for questions about invented countries), and
    their counts. `cfg` is minillm.sft's SFTConfig: its *_copies, unsure_share, invented_countries and seed."""
    conversations = read_conversations(data / "sft" / "train.jsonl")
    n_data = len(conversations)
    conversations += asked_under_prompts(IDENTITY, cfg.identity_copies)
    conversations += asked_under_prompts(NAMING, cfg.naming_copies)
    borderline = borderline_requests(data / "preferences" / "train.jsonl")
    decisions = refusal_pairs(conversations[:n_data], borderline)
    conversations += asked_under_prompts(decisions, cfg.refusal_copies)
    probed = [(q, knows(q, probe)) for q in read_questions(data / "rl" / "train.jsonl")]
    questions = [q for q, k in probed if k is not None]
    wrong = [q for q, k in probed if k is False]
    chosen = within_each_kind(wrong, questions, cfg.unsure_share, cfg.seed)
    conversations, n_unsure = unsure_conversations(conversations, chosen, cfg.unsure_share, cfg.seed)
    _, names = invented_countries(probe, cfg.invented_countries)
    invented = invented_questions(questions, countries(probe), names) if names else []
    conversations += [[{"role": "user", "content": q}, {"role": "assistant", "content": UNSURE}] for q in invented]
    counts = {"data_conversations": n_data, "identity_conversations": cfg.identity_copies * len(IDENTITY),
              "naming_conversations": cfg.naming_copies * len(NAMING),
              "refusal_conversations": cfg.refusal_copies * len(decisions),
              "probed_questions": len(questions), "base_wrong": len(wrong), "unsure_conversations": n_unsure,
              "invented_conversations": len(invented)}
    return conversations, counts
