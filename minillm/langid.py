"""Language identification for lesson 02: a character n-gram naive Bayes model, built from scratch.

It trains in well under a second on the texts the bundled world provides (data/langid/train.jsonl) and is measured
on its held-out pages (data/langid/test.jsonl). `language_filter` keeps a page as FineWeb keeps one with fastText:
when its language is the wanted one with probability at least 0.65.
"""

import functools
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from minillm.errors import UserError
from minillm.files import DATA_DIR


@dataclass
class LanguageModel:
    """Multinomial naive Bayes over character n-grams: log P(gram | language), with add-alpha smoothing."""

    orders: tuple[int, ...]
    log_prob: dict[str, dict[str, float]]  # language -> n-gram -> log probability
    log_unseen: dict[str, float]  # language -> log probability of an n-gram never seen in training

    @property
    def languages(self) -> list[str]:
        return sorted(self.log_prob)


def char_ngrams(text: str, orders=(1, 2, 3), limit: int = 2000) -> list[str]:
    """Character n-grams of the lower-cased words, padded with spaces so that word starts and ends count."""
    letters = " ".join(re.findall(r"[^\W\d_]+", text.lower()[:limit]))
    padded = f" {letters} "
    return [padded[i:i + n] for n in orders for i in range(len(padded) - n + 1) if padded[i:i + n].strip()]


def train_language_model(texts: dict[str, list[str]], orders=(1, 2, 3), alpha: float = 0.5) -> LanguageModel:
    """Count n-grams per language; smoothing gives unseen n-grams a small, non-zero probability."""
    counts = {lang: Counter(g for t in ts for g in char_ngrams(t, orders, limit=10**9)) for lang, ts in texts.items()}
    vocabulary = set().union(*counts.values())
    log_prob, log_unseen = {}, {}
    for lang, c in counts.items():
        denominator = sum(c.values()) + alpha * (len(vocabulary) + 1)
        log_prob[lang] = {g: math.log((n + alpha) / denominator) for g, n in c.items()}
        log_unseen[lang] = math.log(alpha / denominator)
    return LanguageModel(tuple(orders), log_prob, log_unseen)


def language_scores(text: str, model: LanguageModel) -> dict[str, float]:
    """P(language | text) with a uniform prior: softmax of each language's total log-likelihood.

    Naive Bayes treats overlapping n-grams as independent, so these probabilities are overconfident;
    they are close to 0 or 1 except on text that really mixes languages or has almost no letters."""
    grams = Counter(char_ngrams(text, model.orders))
    if not grams:
        return {lang: 1 / len(model.languages) for lang in model.languages}
    loglik = {lang: sum(n * model.log_prob[lang].get(g, model.log_unseen[lang]) for g, n in grams.items())
              for lang in model.languages}
    top = max(loglik.values())
    exp = {lang: math.exp(v - top) for lang, v in loglik.items()}
    total = sum(exp.values())
    return {lang: e / total for lang, e in exp.items()}


def identify_language(text: str, model: LanguageModel | None = None) -> tuple[str, float]:
    scores = language_scores(text, model or default_language_model())
    lang = max(scores, key=scores.get)
    return lang, scores[lang]


def read_jsonl(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    except FileNotFoundError:
        raise UserError(f"no {path}: regenerate the bundled data with `minillm world`") from None


def language_training_texts() -> dict[str, list[str]]:
    """The language-ID training texts the bundled world provides (data/langid/train.jsonl), per language."""
    texts = defaultdict(list)
    for record in read_jsonl(DATA_DIR / "langid" / "train.jsonl"):
        texts[record["lang"]].append(record["text"])
    return dict(texts)


@functools.cache
def default_language_model() -> LanguageModel:
    """Trained on first use, deterministically (the generator is seeded), in well under a second."""
    return train_language_model(language_training_texts())


def language_filter(text: str, language: str = "en", threshold: float = 0.65, model=None) -> tuple[bool, str]:
    """Keep text in `language` with probability >= threshold (FineWeb: fastText English score >= 0.65)."""
    lang, score = identify_language(text, model)
    if lang != language:
        return False, f"language:{lang}"
    if score < threshold:
        return False, "language:unsure"
    return True, ""


def language_accuracy(manifest: dict, model: LanguageModel | None = None) -> tuple[float, int]:
    """Language-ID accuracy on the bundled web's held-out pages (data/langid/test.jsonl: not trained on)."""
    held_out = read_jsonl(DATA_DIR / "langid" / "test.jsonl")
    hits = sum(identify_language(manifest["pages"][r["path"]]["main_text"], model)[0] == r["lang"] for r in held_out)
    return (hits / len(held_out) if held_out else 0.0), len(held_out)
