"""Convert stand-off gold JSONL to and from the formats of two annotation tools, doccano and Label Studio.

Tool files are working copies: they carry the text, read from the source (never commit them). Spans
are offsets; span texts are recomputed from the text on import, and a document going back to gold
must still have its source's text exactly, so offsets stay true. The stand-off fields (`source`,
`sha256`, `status`, `annotator`, `group`) travel in doccano's `meta` and in Label Studio's `data`,
so gold → tool → gold is byte-identical.
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
from zhaoshang_ner.sources import ArticleStore

FORMATS = ("gold", "doccano", "labelstudio")


def make_span(text: str, start: object, end: object, label: object) -> Span:
    """A span with its text taken from the document; raises `ValueError` on unusable offsets."""
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)):
        raise ValueError(f"span needs integer start/end and a string label, got {[start, end, label]!r}")
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span [{start},{end}) out of range for text of length {len(text)}")
    return Span(start, end, label, text[start:end])


def standoff_fields(doc: Document) -> dict:
    """The record's fields besides id, text and entities (source, sha256, status, annotator, …)."""
    return {k: v for k, v in doc.to_json().items() if k not in ("id", "text", "entities")}


def from_fields(doc_id: str, text: str, spans: list[Span], fields: dict) -> Document:
    """A document from a tool's text and spans and the stand-off fields it carried."""
    record = {**fields, "id": doc_id, "text": text, "entities": []}
    doc = Document.from_json(record)
    doc.entities = spans
    return doc


def to_doccano(doc: Document) -> dict:
    return {"id": doc.id, "text": doc.text, "label": [[s.start, s.end, s.label] for s in sorted(doc.entities)],
            "meta": standoff_fields(doc)}


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
    return from_fields(doc_id, text, spans, meta if isinstance(meta, dict) else {})


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
    return {"data": {"id": doc.id, "text": doc.text, **standoff_fields(doc)}, "annotations": [{"result": results}]}


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
    return from_fields(data["id"], data["text"], spans, {k: v for k, v in data.items() if k not in ("id", "text")})


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
    """`labelstudio` for a JSON list; for JSONL, `doccano` when the first record has `label`, else `gold`
    (an empty file is `gold`). Judged by the content, not the suffix; `ValueError` when it is neither."""
    with open(path, "rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"["):
        return "labelstudio"
    if start and not start.startswith(b"{"):
        raise ValueError(f"{path}: cannot tell its format: neither a JSON list (Label Studio) nor JSONL records "
                         "(gold, doccano)")
    try:
        for _, record in iter_jsonl(path):
            return "doccano" if "label" in record and "entities" not in record else "gold"
    except JsonlError as exc:
        raise ValueError(f"cannot tell the format of {path}: {exc}") from None
    return "gold"


def read_any(path: str | Path, fmt: str, articles: str | Path | ArticleStore | None = None) -> list[Document]:
    """Documents of a file in `fmt`; gold files read their texts from `articles`."""
    if fmt == "gold":
        return read_documents(path, articles)
    return {"doccano": read_doccano, "labelstudio": read_labelstudio}[fmt](path)


def check_sources(documents: Sequence[Document], articles: str | Path | ArticleStore | None = None) -> None:
    """Refuse documents whose text is no longer their source's text (their offsets would point elsewhere)."""
    store = ArticleStore.of(articles)
    for doc in documents:
        if doc.source is None or doc.sha256 is None:
            raise ValueError(f"{doc.id}: no source/sha256, so it cannot be written as a stand-off annotation")
        if store.text(doc.source, doc.sha256) != doc.text:
            raise ValueError(f"{doc.id}: its text differs from {doc.source}; offsets would not match the source")


def write_any(path: str | Path, documents: Sequence[Document], fmt: str,
              articles: str | Path | ArticleStore | None = None) -> None:
    """Write gold (stand-off, checked against the sources) or a tool's working file (with texts)."""
    if fmt == "gold":
        check_sources(documents, articles)
        write_documents(path, documents)
    elif fmt == "doccano":
        write_text_atomic(path, "".join(json.dumps(to_doccano(d), ensure_ascii=False) + "\n" for d in documents))
    else:
        write_text_atomic(path, json.dumps([to_labelstudio(d) for d in documents], ensure_ascii=False, indent=1) + "\n")
