"""Public Chinese NER benchmarks (`../shared/ner-datasets/`) as documents with labels mapped to ours."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from zhaoshang_ner.documents import Document, Span


def load_public(datasets_dir: str | Path, name: str, split: str, label_map: dict[str, str] | None = None,
                max_sentences: int | None = None, seed: int = 13) -> list[Document]:
    """Sentences of `<datasets_dir>/<name>/<split>.jsonl.gz`; with `label_map`, entities whose label is not
    in it are dropped (they train as `O`); `max_sentences` takes a seeded random sample."""
    path = Path(datasets_dir) / name / f"{split}.jsonl.gz"
    if not path.exists():
        raise FileNotFoundError(f"public NER data not found: {path}")
    documents = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            record = json.loads(line)
            spans = [
                Span(e["start"], e["end"], label_map[e["label"]] if label_map else e["label"], e["text"])
                for e in record["entities"]
                if label_map is None or e["label"] in label_map
            ]
            documents.append(Document(f"{name}-{split}-{number}", record["text"], _flat(spans)))
    if max_sentences and len(documents) > max_sentences:
        documents = random.Random(seed).sample(documents, max_sentences)
    return documents


def _flat(spans: list[Span]) -> list[Span]:
    """Keep the outer span where a public set nests one inside another (CLUENER has two such sentences)."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def load_aux(aux: dict, seed: int) -> list[Document]:
    """All documents of an `aux:` config section (`datasets_dir`, `sets: [{name, split, label_map, max_sentences}]`)."""
    documents = []
    for entry in aux["sets"]:
        documents += load_public(aux["datasets_dir"], entry["name"], entry.get("split", "train"),
                                 entry.get("label_map"), entry.get("max_sentences"), seed)
    return documents
