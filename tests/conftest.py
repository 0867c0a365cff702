"""Fixtures shared by several test modules."""

import json
from pathlib import Path

import pytest

from minillm.files import DATA_DIR
from minillm.tokenizer import TokenizerConfig, build_stage


@pytest.fixture(scope="session")
def world_tokens(tmp_path_factory) -> Path:
    """Token files of the tokenizer stage, made from 300 documents of the bundled world with a 512-token BPE
    (its special tokens include the chat template's)."""
    root = tmp_path_factory.mktemp("tokens")
    pages = json.loads((DATA_DIR / "web" / "_manifest.json").read_text())["pages"]
    texts = [p["main_text"] for _, p in sorted(pages.items()) if p.get("good") and p.get("lang") == "en"][:300]
    (root / "clean").mkdir()
    (root / "clean" / "clean.jsonl").write_text("".join(json.dumps({"url": str(i), "text": t}) + "\n"
                                                        for i, t in enumerate(texts)))
    (root / "tokenizer").mkdir()
    build_stage(TokenizerConfig(vocab_size=512, val_fraction=0.1), {"clean": root / "clean"}, root / "tokenizer",
                progress=False)
    return root / "tokenizer"
