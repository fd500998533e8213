"""Documents and spans, and reading/writing them as JSONL with errors that name file and line."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character span `[start, end)` of a document's text."""

    start: int
    end: int
    label: str
    text: str = ""


@dataclass
class Document:
    id: str
    text: str
    entities: list[Span] = field(default_factory=list)
    source: str | None = None

    def to_json(self) -> dict:
        record: dict = {"id": self.id}
        if self.source is not None:
            record["source"] = self.source
        record["text"] = self.text
        record["entities"] = [asdict(span) for span in sorted(self.entities)]
        return record

    @classmethod
    def from_json(cls, record: dict) -> "Document":
        """Build a document from a parsed JSONL record; raises `ValueError` naming the bad field."""
        for key, kind in (("id", str), ("text", str), ("entities", list)):
            if key not in record:
                raise ValueError(f"missing field {key!r}")
            if not isinstance(record[key], kind):
                raise ValueError(f"field {key!r} must be {kind.__name__}")
        spans = []
        for k, ent in enumerate(record["entities"]):
            if not isinstance(ent, dict):
                raise ValueError(f"entity #{k} is not an object")
            for key, kind in (("start", int), ("end", int), ("label", str)):
                if not isinstance(ent.get(key), kind) or isinstance(ent.get(key), bool):
                    raise ValueError(f"entity #{k}: field {key!r} missing or not {kind.__name__}")
            spans.append(Span(ent["start"], ent["end"], ent["label"], ent.get("text", "")))
        return cls(record["id"], record["text"], spans, record.get("source"))


class JsonlError(ValueError):
    """A JSONL line that cannot be read, with its location."""

    def __init__(self, path: str | Path, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = str(path), line, reason


def parse_jsonl(path: str | Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield `(line_number, record, None)` per non-blank line, or `(line_number, None, reason)` for a line
    that is not UTF-8, not JSON or not an object, and go on: callers decide whether a bad line is fatal."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield number, None, f"not UTF-8 (byte {exc.start})"
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
                continue
            if not isinstance(record, dict):
                yield number, None, "line is not a JSON object"
                continue
            yield number, record, None


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield `(line_number, record)` for each non-blank line; the first bad line raises `JsonlError`."""
    for number, record, error in parse_jsonl(path):
        if error:
            raise JsonlError(path, number, error)
        yield number, record


def read_documents(path: str | Path) -> list[Document]:
    """Read a JSONL file of documents; any malformed line raises `JsonlError`."""
    documents = []
    for number, record in iter_jsonl(path):
        try:
            documents.append(Document.from_json(record))
        except ValueError as exc:
            raise JsonlError(path, number, str(exc)) from None
    return documents


def write_text_atomic(path: str | Path, content: str) -> None:
    """Write a whole file through a temporary sibling and `os.replace`, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_documents(path: str | Path, documents: Iterable[Document]) -> None:
    lines = [json.dumps(doc.to_json(), ensure_ascii=False) + "\n" for doc in documents]
    write_text_atomic(path, "".join(lines))
