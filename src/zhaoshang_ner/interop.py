"""Convert gold JSONL to and from the formats of two annotation tools, doccano and Label Studio.

Both formats carry offsets only; span texts are recomputed from the document text on import, so a
round trip gold → tool → gold is lossless (the `source` field travels in doccano's `meta` and in
Label Studio's `data`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from zhaoshang_ner.documents import (
    Document,
    JsonlError,
    Span,
    iter_jsonl,
    read_documents,
    write_documents,
    write_text_atomic,
)

FORMATS = ("gold", "doccano", "labelstudio")


def make_span(text: str, start: object, end: object, label: object) -> Span:
    """A span with its text taken from the document; raises `ValueError` on unusable offsets."""
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)):
        raise ValueError(f"span needs integer start/end and a string label, got {[start, end, label]!r}")
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span [{start},{end}) out of range for text of length {len(text)}")
    return Span(start, end, label, text[start:end])


def to_doccano(doc: Document) -> dict:
    record = {"id": doc.id, "text": doc.text, "label": [[s.start, s.end, s.label] for s in sorted(doc.entities)]}
    if doc.source is not None:
        record["meta"] = {"source": doc.source}
    return record


def from_doccano(record: dict) -> Document:
    doc_id, text, labels = record.get("id"), record.get("text"), record.get("label", [])
    if not isinstance(doc_id, str) or not isinstance(text, str) or not isinstance(labels, list):
        raise ValueError("expected string 'id' and 'text' and a list 'label'")
    spans = []
    for item in labels:
        if not isinstance(item, list) or len(item) != 3:
            raise ValueError(f"label item {item!r} is not [start, end, label]")
        spans.append(make_span(text, *item))
    meta = record.get("meta")
    return Document(doc_id, text, spans, meta.get("source") if isinstance(meta, dict) else None)


def to_labelstudio(doc: Document) -> dict:
    results = [
        {
            "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]},
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "id": f"{doc.id}-{k}",
        }
        for k, s in enumerate(sorted(doc.entities))
    ]
    return {"data": {"id": doc.id, "text": doc.text, "source": doc.source}, "annotations": [{"result": results}]}


def from_labelstudio(task: dict) -> Document:
    """Read a task's first annotation; results that are not `labels` (relations, choices) are skipped."""
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("text"), str):
        raise ValueError("expected 'data' with string 'id' and 'text'")
    annotations = task.get("annotations") or [{}]
    spans = []
    for result in annotations[0].get("result", []):
        if result.get("type") != "labels":
            continue
        value = result.get("value", {})
        labels = value.get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            raise ValueError(f"result {result.get('id')!r}: expected exactly one label, got {labels!r}")
        spans.append(make_span(data["text"], value.get("start"), value.get("end"), labels[0]))
    return Document(data["id"], data["text"], spans, data.get("source"))


def read_doccano(path: str | Path) -> list[Document]:
    documents = []
    for number, record in iter_jsonl(path):
        try:
            documents.append(from_doccano(record))
        except ValueError as exc:
            raise JsonlError(path, number, str(exc)) from None
    return documents


def read_labelstudio(path: str | Path) -> list[Document]:
    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(tasks, list):
        raise ValueError(f"{path}: expected a JSON list of Label Studio tasks")
    documents = []
    for k, task in enumerate(tasks):
        try:
            if not isinstance(task, dict):
                raise ValueError("task is not a JSON object")
            documents.append(from_labelstudio(task))
        except (ValueError, AttributeError) as exc:
            raise ValueError(f"{path}: task #{k}: {exc}") from None
    return documents


def guess_format(path: str | Path) -> str:
    """`labelstudio` for `.json`; for JSONL, `doccano` when the first record has `label`, else `gold`."""
    if Path(path).suffix == ".json":
        return "labelstudio"
    for _, record in iter_jsonl(path):
        return "doccano" if "label" in record and "entities" not in record else "gold"
    return "gold"


def read_any(path: str | Path, fmt: str) -> list[Document]:
    readers = {"gold": read_documents, "doccano": read_doccano, "labelstudio": read_labelstudio}
    return readers[fmt](path)


def write_any(path: str | Path, documents: Sequence[Document], fmt: str) -> None:
    if fmt == "gold":
        write_documents(path, documents)
    elif fmt == "doccano":
        write_text_atomic(path, "".join(json.dumps(to_doccano(d), ensure_ascii=False) + "\n" for d in documents))
    else:
        write_text_atomic(path, json.dumps([to_labelstudio(d) for d in documents], ensure_ascii=False, indent=1) + "\n")
