"""Baidu LAC's silver labels (from `scripts/silver_lac.py`) joined back to the corpus lines they were made on.

The cache holds offsets and tags only; the text comes from `../shared/corpus`, and a line whose hash
differs from the one LAC saw is refused. Two tasks come out of it: `lac_pos`, every word as a span
labelled by its LAC tag (word boundaries and parts of speech, PER/LOC/ORG/TIME included), and
`lac_ner`, only the PER/LOC/ORG words (LAC's TIME has poor precision: `目前`, `此前`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from pathlib import Path
from typing import Iterable

from zhaoshang_ner.documents import Document, Span

NER_TAGS = ("PER", "LOC", "ORG")


def _spans(line: str, record: dict, keep: Iterable[str] | None) -> list[Span]:
    spans, at = [], 0
    wanted = set(keep) if keep is not None else None
    for length, tag in zip(record["seg"], record["tag"]):
        word = line[at : at + length]
        if word.strip() and (wanted is None or tag in wanted):
            spans.append(Span(at, at + length, tag, word))
        at += length
    return spans


def load_lac_silver(cache_dir: str | Path, corpus_dir: str | Path, max_lines: int, seed: int,
                    exclude: set[str] = frozenset(), min_chars: int = 10) -> tuple[list[Document], list[Document]]:
    """`(lac_pos, lac_ner)` documents for a seeded sample of `max_lines` labelled corpus lines of at least
    `min_chars` characters; lines in `exclude` (the gold corpus paragraphs) are never used. Only the
    sampled lines become documents, so memory follows the sample, not the corpus; a shard that
    `silver_lac.py --max-lines` labelled in part is sampled from its labelled lines only."""
    cache_dir, corpus_dir = Path(cache_dir), Path(corpus_dir)
    caches = sorted(cache_dir.glob("*.lac.jsonl.gz"))
    if not caches:
        raise FileNotFoundError(f"no LAC silver labels in {cache_dir}: run scripts/silver_lac.py first")
    texts = {}
    for cache in caches:
        with gzip.open(cache, "rt", encoding="utf-8") as handle:
            labelled = sum(1 for _ in handle)  # silver_lac.py labels each shard from its first line on
        with gzip.open(corpus_dir / cache.name.replace(".lac.jsonl.gz", ".txt.gz"), "rt", encoding="utf-8") as handle:
            texts[cache] = [line.rstrip("\n") for line, _ in zip(handle, range(labelled))]
    usable = [(cache, n) for cache, lines in texts.items() for n, line in enumerate(lines)
              if len(line) >= min_chars and line not in exclude]
    chosen = set(random.Random(seed).sample(usable, min(max_lines, len(usable))))
    pos_docs, ner_docs = [], []
    for cache in caches:
        lines = texts[cache]
        with gzip.open(cache, "rt", encoding="utf-8") as handle:
            for raw in handle:
                record = json.loads(raw)
                if (cache, record["line"]) not in chosen:
                    continue
                line = lines[record["line"]]
                if hashlib.sha1(line.encode("utf-8")).hexdigest()[:16] != record["sha1"]:
                    raise ValueError(f"{cache}: line {record['line']} is not the text LAC labelled")
                doc_id = f"{cache.name.split('.')[0]}:{record['line']}"
                pos_docs.append(Document(doc_id, line, _spans(line, record, None)))
                ner_docs.append(Document(doc_id, line, _spans(line, record, NER_TAGS)))
    return pos_docs, ner_docs
