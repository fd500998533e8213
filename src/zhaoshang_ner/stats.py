"""Corpus size per source folder (seed/extra/more/corpus paragraphs) as a Markdown table, for the annotation README.

Labels are those the documents carry, in the contract's order (any others after them), so the table
never shows a second, stale label list.
"""

from __future__ import annotations

from typing import Sequence

from zhaoshang_ner.documents import Document
from zhaoshang_ner.labels import LABELS


def source_folder(doc: Document) -> str:
    """`seed`, `extra`, `more`, `corpus-paragraphs` …: the first part of the source."""
    if doc.source is None:
        return "(no source)"
    return doc.source.partition("#")[0].split("/")[0].removesuffix(".jsonl")


def count_rows(documents: Sequence[Document], labels: Sequence[str]) -> list[tuple[str, int]]:
    counts = {"documents": len(documents), "characters": sum(len(d.text) for d in documents)}
    counts["entities"] = sum(len(d.entities) for d in documents)
    for label in labels:
        counts[label] = sum(span.label == label for d in documents for span in d.entities)
    return list(counts.items())


def stats_table(documents: Sequence[Document]) -> str:
    """Rows: documents, characters, entities, then one per label; columns: each source in first-seen order, then total."""
    sources = list(dict.fromkeys(source_folder(d) for d in documents))
    columns = [[d for d in documents if source_folder(d) == source] for source in sources] + [list(documents)]
    present = {span.label for d in documents for span in d.entities}
    labels = [*(l for l in LABELS if l in present), *sorted(present - set(LABELS))]
    tables = [count_rows(column, labels) for column in columns]
    lines = ["| | " + " | ".join(sources + ["total"]) + " |", "|---|" + "---:|" * len(columns)]
    for i, (name, _) in enumerate(tables[0]):
        lines.append(f"| {name} | " + " | ".join(str(table[i][1]) for table in tables) + " |")
    return "\n".join(lines) + "\n"
