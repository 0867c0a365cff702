"""What a user's message goes through before the model sees it (lesson 12, the chatbot): the input guardrail,
which refuses unsafe requests, and the prompt enhancer, which fixes spelling, casing and whitespace. Both are
built from scratch on the bundled world's text; `minillm.bot` puts them in front of the model.
"""

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minillm.chat import read_conversations
from minillm.errors import UserError
from minillm.files import DATA_DIR, atomic_write_text

REFUSAL_START = "I can't help"  # how every refusal of the world's assistant begins
MAX_MESSAGE_CHARS = 2000


def check_message(text) -> str:
    """`text`, once checked to be a message a user may send; else a one-line UserError saying what is wrong."""
    if not isinstance(text, str):
        raise UserError(f"a message must be text, got {type(text).__name__}")
    if not text.strip():
        raise UserError("the message is empty: type a question or a request")
    if len(text) > MAX_MESSAGE_CHARS:
        raise UserError(f"the message has {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}")
    return text


# ----------------------------------------------------------------------------- the world's requests


def labelled_requests(path: str | Path) -> list[tuple[str, bool]]:
    """Every distinct user turn of a conversation file with its label: True (unsafe) when the assistant's reply
    refuses (it starts "I can't help"), False otherwise. A request repeated under other system messages counts once."""
    labels: dict[str, bool] = {}
    for messages in read_conversations(path):
        for turn, answer in itertools.pairwise(messages):
            if turn["role"] == "user" and answer["role"] == "assistant":
                labels.setdefault(turn["content"], answer["content"].startswith(REFUSAL_START))
    return list(labels.items())


# ----------------------------------------------------------------------------- the input guardrail

_WORD = re.compile(r"[a-z0-9']+")

# Phrases that state a harmful intent outright: checked before the classifier, they never depend on its threshold.
RULES = ("without getting caught", "without being caught", "without anyone knowing", "without anyone noticing",
         "without my parents knowing", "build a bomb", "make a bomb", "make a weapon", "hack into", "fake news")


def words(text: str) -> list[str]:
    """The text's lowercase words and numbers ("Don’t" -> "don't")."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def ngrams(text: str) -> set[str]:
    """The text's words and pairs of neighbouring words: "How do I" -> {"how", "do", "i", "how do", "do i"}."""
    ws = words(text)
    return set(ws) | {f"{a} {b}" for a, b in itertools.pairwise(ws)}


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^-z), without overflow for large negative z


class Features(NamedTuple):
    """Which n-grams each text has, stored sparsely: text rows[k] has n-gram cols[k]. As a dense 0/1 matrix
    X (N texts, V n-grams) it would be 99.5 % zeros; np.bincount gives X @ w and X.T @ e from the pairs."""

    rows: np.ndarray  # (K,)
    cols: np.ndarray  # (K,)
    shape: tuple[int, int]  # (N, V)

    def matvec(self, w: np.ndarray) -> np.ndarray:  # X @ w: (N,) the sum of each text's n-gram weights
        return np.bincount(self.rows, weights=w[self.cols], minlength=self.shape[0])

    def rmatvec(self, e: np.ndarray) -> np.ndarray:  # X.T @ e: (V,)
        return np.bincount(self.cols, weights=e[self.rows], minlength=self.shape[1])


def features(texts: list[str], index: dict[str, int]) -> Features:
    """Each text's n-grams that are in `index` (n-gram -> column); unknown n-grams are left out."""
    rows, cols = [], []
    for row, text in enumerate(texts):
        found = sorted(index[g] for g in ngrams(text) if g in index)
        rows += [row] * len(found)
        cols += found
    return Features(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), (len(texts), len(index)))


def fit_logistic(x: Features, labels: np.ndarray, l2: float = 3e-4, steps: int = 2000,
                 lr: float = 5.0) -> tuple[np.ndarray, float]:
    """Weights (V,) and a bias minimising the class-balanced cross-entropy + l2/2 |w|^2, by gradient descent.

    Each class weighs half of the loss: with 48 unsafe requests among 1,500 the plain loss is lowest for a
    classifier that calls everything safe."""
    y = labels.astype(np.float64)  # (N,)
    if not (y.any() and not y.all()):
        raise UserError("the guardrail needs both safe and unsafe requests to learn from")
    balance = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))  # (N,) averages 1
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        error = balance * (sigmoid(x.matvec(w) + b) - y) / len(y)  # (N,) d loss / d logit
        w -= lr * (x.rmatvec(error) + l2 * w)
        b -= lr * float(error.sum())
    return w, b


def confusion(flagged: np.ndarray, labels: np.ndarray) -> dict:
    """Precision (1.0 when nothing is flagged), recall and false-positive rate of unsafe/safe decisions."""
    unsafe = labels.astype(bool)
    hits = int((flagged & unsafe).sum())
    false_alarms = int((flagged & ~unsafe).sum())
    return {"precision": hits / int(flagged.sum()) if flagged.any() else 1.0,
            "recall": hits / max(int(unsafe.sum()), 1),
            "false_positive_rate": false_alarms / max(int((~unsafe).sum()), 1)}


def best_threshold(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The threshold (one of the probabilities) whose decisions p >= threshold have the highest F1."""
    def f1(threshold):
        m = confusion(probabilities >= threshold, labels)
        return 2 * m["precision"] * m["recall"] / max(m["precision"] + m["recall"], 1e-12)
    return float(max(np.unique(probabilities), key=f1))


@dataclass(frozen=True)
class Decision:
    safe: bool
    probability: float  # the classifier's probability that the text is unsafe
    reason: str  # "rule: <phrase>" or "classifier"


class Guardrail:
    """Decides whether a request is safe: a rule list of explicit phrases first, then a logistic regression over
    the request's word unigrams and bigrams, unsafe when its probability reaches `threshold`."""

    def __init__(self, vocabulary: list[str], weights, bias: float, threshold: float = 0.5,
                 rules: tuple[str, ...] = RULES):
        self.vocabulary = list(vocabulary)
        self.index = {gram: i for i, gram in enumerate(self.vocabulary)}
        self.weights = np.asarray(weights, dtype=np.float64)  # (V,)
        self.bias = float(bias)
        self.threshold = float(threshold)
        self.rules = tuple(rules)
        if self.weights.shape != (len(self.vocabulary),):
            raise UserError(f"the guardrail has {self.weights.size} weights for {len(self.vocabulary)} n-grams")

    @classmethod
    def train(cls, requests: list[tuple[str, bool]], threshold: float | None = None, rules: tuple[str, ...] = RULES,
              l2: float = 3e-4, steps: int = 2000, folds: int = 5, seed: int = 0) -> "Guardrail":
        """Fit the classifier on (text, unsafe) pairs. Without a `threshold`, the one with the best F1 on the
        requests' cross-validated probabilities: each fold's requests scored by a classifier fitted without them,
        so the threshold is chosen on scores like those of requests it has never seen.

        The default l2 is the largest of 3e-3, 1e-3, 3e-4 and 1e-4 that still fits every training request (a
        stronger one refuses the borderline "How do I kill a process...?" it was taught to answer); on the world's
        split its cross-validated F1 is 0.85, as good as any of them."""
        texts = [text for text, _ in requests]
        labels = np.array([unsafe for _, unsafe in requests])
        vocabulary, weights, bias = _fit(texts, labels, l2, steps)
        if threshold is None:
            threshold = best_threshold(_cross_validated(texts, labels, l2, steps, folds, seed), labels)
        return cls(vocabulary, weights, bias, threshold, rules)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """The probability (N,) that each text is unsafe, by the classifier alone."""
        return sigmoid(features(texts, self.index).matvec(self.weights) + self.bias)

    def matched_rule(self, text: str) -> str | None:
        padded = f" {' '.join(words(text))} "
        return next((rule for rule in self.rules if f" {' '.join(words(rule))} " in padded), None)

    def decide(self, text: str) -> Decision:
        if not isinstance(text, str):
            raise UserError(f"the guardrail decides on text, got {type(text).__name__}")
        probability = float(self.probabilities([text])[0])
        rule = self.matched_rule(text)
        if rule is not None:
            return Decision(False, probability, f"rule: {rule}")
        return Decision(probability < self.threshold, probability, "classifier")

    def save(self, path: str | Path) -> Path:
        """Weights and vocabulary as JSON: a server loads it in milliseconds instead of training."""
        data = {"format": "minillm-guardrail", "threshold": self.threshold, "bias": self.bias,
                "rules": list(self.rules), "vocabulary": self.vocabulary, "weights": self.weights.tolist()}
        return atomic_write_text(path, json.dumps(data) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "Guardrail":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("format") != "minillm-guardrail":
                raise ValueError("not a guardrail file")
            return cls(data["vocabulary"], data["weights"], data["bias"], data["threshold"], tuple(data["rules"]))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise UserError(f"cannot load a guardrail from {path}: {e}") from None


def _fit(texts: list[str], labels: np.ndarray, l2: float, steps: int) -> tuple[list[str], np.ndarray, float]:
    vocabulary = sorted(set().union(*map(ngrams, texts)))
    weights, bias = fit_logistic(features(texts, {g: i for i, g in enumerate(vocabulary)}), labels, l2, steps)
    return vocabulary, weights, bias


def _cross_validated(texts: list[str], labels: np.ndarray, l2: float, steps: int, folds: int,
                     seed: int) -> np.ndarray:
    fold = np.random.default_rng(seed).permutation(len(texts)) % folds  # (N,) each request's fold
    probabilities = np.zeros(len(texts))
    for k in range(folds):
        train = [text for text, f in zip(texts, fold) if f != k]
        held_out = [text for text, f in zip(texts, fold) if f == k]
        model = Guardrail(*_fit(train, labels[fold != k], l2, steps))
        probabilities[fold == k] = model.probabilities(held_out)
    return probabilities


CURVE_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05, 0.1, ..., 0.95


def evaluate_guardrail(guardrail: Guardrail, requests: list[tuple[str, bool]],
                       thresholds: tuple[float, ...] = CURVE_THRESHOLDS) -> dict:
    """How the guardrail (rules and classifier) decides held-out (text, unsafe) pairs at its threshold: precision,
    recall, false-positive rate, the number of items, the false positives (safe requests it would refuse: the
    cost) and the unsafe requests it missed; and the precision/recall curve over `thresholds`."""
    texts = [text for text, _ in requests]
    labels = np.array([unsafe for _, unsafe in requests], dtype=bool)  # (N,)
    if labels.all() or not labels.any():
        raise UserError("evaluating a guardrail needs both safe and unsafe requests")
    probabilities = guardrail.probabilities(texts)  # (N,)
    ruled = np.array([guardrail.matched_rule(text) is not None for text in texts])  # (N,)
    flagged = ruled | (probabilities >= guardrail.threshold)
    curve = [{"threshold": t, **confusion(ruled | (probabilities >= t), labels)} for t in thresholds]
    return {"n": len(texts), "unsafe": int(labels.sum()), "threshold": guardrail.threshold,
            **confusion(flagged, labels),
            "false_positives": [text for text, f, u in zip(texts, flagged, labels) if f and not u],
            "missed": [text for text, f, u in zip(texts, flagged, labels) if u and not f],
            "curve": curve}


def world_guardrail(data: Path = DATA_DIR) -> Guardrail:
    """The guardrail trained on the bundled world's SFT conversations (data/sft/train.jsonl)."""
    return Guardrail.train(labelled_requests(Path(data) / "sft" / "train.jsonl"))


# ----------------------------------------------------------------------------- the prompt enhancer

_PLAIN_WORD = re.compile(r"\b[A-Za-z]+(?:'[A-Za-z]+)*\b")  # "4th" and "x2" are not words: digits stay as typed
_SENTENCE_END = re.compile(r"[.!?\n]+")
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_VOWELS = "aeiou"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ENDINGS = ("s", "es", "ed", "er", "est", "ing", "ly", "y")
_SHORT = 4  # letters: in a word this short a dropped letter or another vowel makes another word (bath, pick)


def _neighbour_keys() -> dict[str, str]:
    """Each letter's neighbours on a QWERTY keyboard (same row and the rows above and below, one key either way)."""
    keys = {}
    for r, row in enumerate(_KEYBOARD):
        for i, key in enumerate(row):
            near = [other[j] for other in _KEYBOARD[max(r - 1, 0):r + 2] for j in (i - 1, i, i + 1)
                    if 0 <= j < len(other)]
            keys[key] = "".join(k for k in near if k != key)
    return keys


_NEIGHBOURS = _neighbour_keys()


@dataclass
class Vocabulary:
    counts: Counter  # lowercase word -> how often the corpus has it
    spellings: dict[str, str]  # lowercase word -> its spelling, for words the corpus capitalises ("i" -> "I")


def count_words(texts) -> Vocabulary:
    """The corpus's words and their counts. Single letters other than "a" and "i" are left out (they are initials
    and list labels, and would be candidates for every two-letter typo). A word has a spelling of its own when the
    corpus capitalises it inside sentences, standing alone, and writes it in lowercase less than a tenth as often
    (a slip or two in the corpus does not count): "Paris", "I"; not "Lake", which it capitalises only in "Lake
    Retba"."""
    counts: Counter = Counter()
    forms: dict[str, Counter] = {}
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            ws = _PLAIN_WORD.findall(sentence)
            for i, word in enumerate(ws):
                lower = word.lower()
                if len(lower) == 1 and lower not in "ai":
                    continue
                counts[lower] += 1
                if i > 0 and (word.islower() or _stands_alone(ws, i)):
                    forms.setdefault(lower, Counter())[word] += 1
    spellings = {}
    for lower, form in forms.items():
        spelling, count = form.most_common(1)[0]
        if spelling != lower and 10 * form[lower] < count:
            spellings[lower] = spelling
    return Vocabulary(counts, spellings)


def _stands_alone(ws: list[str], i: int) -> bool:
    """Whether no capitalised word is next to ws[i] (the sentence's first word does not count: it always is): in
    a name of several words ("Lake Retba", "the Great Wall") each word is capitalised for the name's sake."""
    before = i > 1 and ws[i - 1][0].isupper()
    after = i + 1 < len(ws) and ws[i + 1][0].isupper()
    return not (before or after)


def world_texts(data: Path = DATA_DIR) -> list[str]:
    """The bundled world's English text: every English page's main text (data/web/_manifest.json) and the user
    turns of data/sft/train.jsonl (how people ask)."""
    manifest = Path(data) / "web" / "_manifest.json"
    try:
        pages = json.loads(manifest.read_text(encoding="utf-8"))["pages"].values()
    except (OSError, ValueError, KeyError, AttributeError) as e:
        raise UserError(f"cannot read the pages of {manifest}: {e}") from None
    texts = [page["main_text"] for page in pages if page.get("lang") == "en" and page.get("main_text")]
    for messages in read_conversations(Path(data) / "sft" / "train.jsonl"):
        texts += [m["content"] for m in messages if m["role"] == "user"]
    return texts


class Change(NamedTuple):
    before: str
    after: str
    why: str  # "spelling", "casing" or "sentence start"


class Enhanced(NamedTuple):
    text: str
    changes: list[Change]


class Enhancer:
    """Fixes a prompt's spelling and casing from a corpus's words, as Peter Norvig's corrector does, and normalises
    its whitespace. It changes only lowercase words of letters, and a word only when it is confident:

    - a word of the corpus keeps its letters and takes the corpus's usual spelling ("i" -> "I");
    - an unknown word whose family is known ("shorter", with "short") is a real word the corpus lacks: it stays;
    - otherwise the candidates are the corpus words one typo away (two for words of 6+ letters), the most frequent
      first, and the first wins if it is at least `min_ratio` times as frequent as the second. A typo here is a
      missing or swapped letter or a neighbouring key, never in the first letter (people rarely get it wrong),
      and in words of 5+ letters also an extra letter or another vowel ("planett", "definately"; in a short word
      that is usually another word: "blow" is not "bow", "pick" not "pack").

    Numbers, words with digits or apostrophes and capitalised words (names it does not know, "Zorblax") stay as
    typed; the first letter of each sentence is capitalised. With the world's words, "hw do i lern python its very
    hard" becomes "How do I learn python its very hard": "its" is a word too, and the corpus's python is a snake.
    """

    def __init__(self, vocabulary: Vocabulary, min_ratio: float = 2.0):
        self.vocabulary = vocabulary
        self.min_ratio = min_ratio

    def known(self, word: str) -> bool:
        return word in self.vocabulary.counts

    def in_known_family(self, word: str) -> bool:
        stems = {word} | {word[:-len(e)] for e in _ENDINGS if word.endswith(e) and len(word) - len(e) >= 3}
        return any(self.known(stem + ending) for stem in stems for ending in ("",) + _ENDINGS)

    def candidates(self, word: str) -> list[str]:
        """Known words one typo away from `word`, else two (for words of 6+ letters), most frequent first."""
        found = {w for w in typo_edits(word) if self.known(w)}
        if not found and len(word) >= 6:
            found = {w for edit in typo_edits(word) for w in typo_edits(edit) if self.known(w)}
        return sorted(found, key=lambda w: (-self.vocabulary.counts[w], w))

    def correction(self, word: str) -> str | None:
        """The word a lowercase unknown `word` was meant to be, or None when that is not clear."""
        if len(word) < 2 or self.known(word) or self.in_known_family(word):
            return None
        ranked = self.candidates(word)
        counts = self.vocabulary.counts
        if not ranked or (len(ranked) > 1 and counts[ranked[0]] < self.min_ratio * counts[ranked[1]]):
            return None
        return ranked[0]

    def enhance(self, text: str) -> Enhanced:
        """The text with single spaces, its words fixed as the class says, and the list of changes."""
        text = " ".join(check_message(text).split())
        changes: list[Change] = []
        pieces, end = [], 0
        for match in _PLAIN_WORD.finditer(text):
            gap = text[end:match.start()]  # what lies between this word and the one before
            starts_sentence = end == 0 or gap.rstrip().endswith((".", "!", "?"))  # not the point in "3.5"
            pieces += [gap, self._fix(match.group(), starts_sentence, changes)]
            end = match.end()
        return Enhanced("".join(pieces) + text[end:], changes)

    def _fix(self, word: str, starts_sentence: bool, changes: list[Change]) -> str:
        fixed, why = word, "casing"
        if word.islower() and "'" not in word:
            if self.known(word):
                fixed = self.vocabulary.spellings.get(word, word)
            elif (correction := self.correction(word)) is not None:
                fixed, why = self.vocabulary.spellings.get(correction, correction), "spelling"
        if fixed == word:
            why = "sentence start"
        if starts_sentence:
            fixed = fixed[0].upper() + fixed[1:]
        if fixed != word:
            changes.append(Change(word, fixed, why))
        return fixed


def typo_edits(word: str) -> set[str]:
    """Every string one typo away from `word` (see `Enhancer`): a letter the typist missed put back, two letters
    swapped, a letter replaced by a neighbouring key; in words of 5+ letters also an extra letter taken out or a
    vowel replaced by another. The first letter always stays."""
    long = len(word) > _SHORT
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _replacements(b[0], long)}
    deletes = {a + b[1:] for a, b in splits if b and long}
    return inserts | swaps | replaces | deletes


def _replacements(letter: str, long: bool) -> str:
    vowels = _VOWELS.replace(letter, "") if letter in _VOWELS and long else ""
    return _NEIGHBOURS.get(letter, "") + vowels


def world_enhancer(data: Path = DATA_DIR) -> Enhancer:
    """The enhancer with the bundled world's vocabulary (`world_texts`)."""
    return Enhancer(count_words(world_texts(data)))
