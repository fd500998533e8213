"""Shared fixtures: a tiny model trained for one epoch, so prediction tests run in seconds on CPU."""

import os
from pathlib import Path

import pytest
import torch

from zhaoshang_ner.config import load_config
from zhaoshang_ner.documents import Document, read_gold
from zhaoshang_ner.training import fit

ROOT = Path(__file__).resolve().parents[1]
SHARED_VOCAB = ROOT.parent / "shared" / "vocab" / "bert-chinese-vocab.txt"
SHARED_ARTICLES = ROOT.parent / "shared" / "articles"
GOLD = ROOT / "annotations" / "gold.jsonl"
# Stand-off annotations read their texts from here, whatever directory pytest runs in.
os.environ.setdefault("ZHAOSHANG_ARTICLES", str(SHARED_ARTICLES))

# Tiny models gain nothing from intra-op threads, and on a busy CI machine the threads' spin-waiting
# makes a training step 20x slower than on one thread.
torch.set_num_threads(1)


def tiny_config(**overrides) -> dict:
    """configs/tiny.yaml on CPU with the shared vocabulary; `overrides` replace top-level keys."""
    cfg = load_config(ROOT / "configs" / "tiny.yaml")
    cfg.update(vocab=str(SHARED_VOCAB), device="cpu")
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="session")
def gold_documents() -> list[Document]:
    return read_gold(GOLD)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, gold_documents) -> Path:
    """A saved model directory (safetensors, tokenizer, vocab.txt) of the tiny config after one epoch."""
    docs = [Document(d.id, d.text[:300], [s for s in d.entities if s.end <= 300]) for d in gold_documents[:3]]
    out = tmp_path_factory.mktemp("tiny-run")
    fit(tiny_config(epochs=1), docs, out, desc="tiny")
    return out / "model"
