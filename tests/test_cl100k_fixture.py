"""The small cl100k_base fixture of lesson 03 encodes the lesson's texts exactly as GPT-4's full tokenizer does.

The expected ids below were computed once from the full cl100k_base file (sha256 223921b7…, 100,256 ranks) with
tiktoken 0.14: they are data from the real vocabulary, not output of the code under test.
"""

import base64
import json
from pathlib import Path

import tiktoken

FIXTURE = Path(__file__).parent / "fixtures" / "cl100k_lesson03.json"

CL100K_IDS = {
    " perfectly": [14268],
    " perfectely": [4832, 989],
    " Netherlands": [26746],
    " Netherlnads": [452, 2791, 2312, 7819],
    " 1234567": [220, 4513, 10961, 22],
    "The cat sleeps in the sun.": [791, 8415, 72490, 304, 279, 7160, 13],
    "Le chat dort au soleil.": [2356, 6369, 53534, 8065, 13612, 321, 13],
    "Die Katze schläft in der Sonne.": [18674, 17816, 3059, 5817, 44283, 728, 304, 2761, 12103, 818, 13],
    "Η γάτα κοιμάται στον ήλιο.": [138, 245, 63127, 75234, 36924, 19481, 72738, 28654, 30862, 44223, 75234, 36924,
                                   90002, 48823, 36924, 28654, 34369, 8008, 106, 34586, 30862, 28654, 13],
    "猫は太陽の下で眠る。": [163, 234, 104, 15682, 8192, 103, 14309, 121, 16144, 17297, 16556, 27280, 254, 30369, 1811],
    "The quick brown fox jumps over the lazy dog. Perfectly perfectely! In 2024, 1234567 bats ate 89,000 moths.":
        [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13, 24118, 398, 4832, 989, 0, 763, 220, 2366, 19, 11,
         220, 4513, 10961, 22, 43308, 30912, 220, 4578, 11, 931, 4647, 17323, 13],
}


def fixture_encoding() -> tiktoken.Encoding:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    ranks = {base64.b64decode(token): rank for token, rank in data["ranks"].items()}
    return tiktoken.Encoding(name=data["name"], pat_str=data["pat_str"], mergeable_ranks=ranks,
                             special_tokens=data["special_tokens"])


def test_fixture_encodes_the_lesson_texts_as_the_full_cl100k_does():
    enc = fixture_encoding()
    texts = json.loads(FIXTURE.read_text(encoding="utf-8"))["texts"]
    assert sorted(texts) == sorted(CL100K_IDS), "the fixture was built for other texts than the expected ids"
    for text, ids in CL100K_IDS.items():
        assert enc.encode_ordinary(text) == ids, text
        assert enc.decode(ids) == text


def test_fixture_keeps_cl100k_special_tokens_and_every_byte():
    enc = fixture_encoding()
    assert enc.encode("<|endoftext|>", allowed_special="all") == [100257]
    assert all(enc.encode_single_token(bytes([b])) is not None for b in range(256))
