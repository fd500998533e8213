"""Corpus size per source (seed/extra/…) as a Markdown table, for the annotation README."""

from __future__ import annotations

from typing import Sequence

from zhaoshang_ner.documents import Document
from zhaoshang_ner.labels import LABELS


def count_rows(documents: Sequence[Document]) -> list[tuple[str, int]]:
    counts = {"documents": len(documents), "characters": sum(len(d.text) for d in documents)}
    counts["entities"] = sum(len(d.entities) for d in documents)
    for label in LABELS:
        counts[label] = sum(span.label == label for d in documents for span in d.entities)
    return list(counts.items())


def stats_table(documents: Sequence[Document]) -> str:
    """Rows: documents, characters, entities, then one per label; columns: each source in first-seen order, then total."""
    sources = list(dict.fromkeys(d.source or "(none)" for d in documents))
    columns = [[d for d in documents if (d.source or "(none)") == source] for source in sources] + [list(documents)]
    tables = [count_rows(column) for column in columns]
    lines = ["| | " + " | ".join(sources + ["total"]) + " |", "|---|" + "---:|" * len(columns)]
    for i, (name, _) in enumerate(tables[0]):
        lines.append(f"| {name} | " + " | ".join(str(table[i][1]) for table in tables) + " |")
    return "\n".join(lines) + "\n"
