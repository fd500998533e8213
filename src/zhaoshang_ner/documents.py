"""Documents and spans, and reading/writing them as JSONL with errors that name file and line."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from zhaoshang_ner.sources import ArticleStore


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character span `[start, end)` of a document's text."""

    start: int
    end: int
    label: str
    text: str = ""


STATUSES = ("draft", "annotated", "reviewed")
TRAINABLE = ("annotated", "reviewed")  # a draft is a model's guess: never trained or scored on
_KNOWN_FIELDS = ("id", "source", "sha256", "text", "entities", "status", "annotator", "group")


@dataclass
class Document:
    """A text with its spans. Annotation files hold only `source` + `sha256` (stand-off); the text is
    read from the source by `read_documents`. `group` keeps documents that share text in one fold
    (paragraphs of one corpus document); `meta` carries the fields a reader does not know."""

    id: str
    text: str
    entities: list[Span] = field(default_factory=list)
    source: str | None = None
    sha256: str | None = None
    status: str = "annotated"
    annotator: str | None = None
    group: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def fold_group(self) -> str:
        return self.group or self.id

    def to_json(self, with_text: bool = False) -> dict:
        """The stand-off record (no text); `with_text` gives a self-contained working copy instead."""
        record: dict = {"id": self.id}
        for key in ("source", "sha256"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        if with_text or self.source is None:
            record["text"] = self.text
        record["status"] = self.status
        for key in ("annotator", "group"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        record.update(self.meta)
        record["entities"] = [asdict(span) for span in sorted(self.entities)]
        return record

    @classmethod
    def from_json(cls, record: dict, store: ArticleStore | None = None) -> "Document":
        """Build a document from a parsed record: its own `text`, or the text of `source` checked against
        `sha256` (read through `store`); raises `ValueError` naming the bad field or source."""
        if not isinstance(record.get("id"), str):
            raise ValueError("missing field 'id' or not a string")
        if not isinstance(record.get("entities"), list):
            raise ValueError("missing field 'entities' or not a list")
        status = record.get("status", "annotated")
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        if isinstance(record.get("text"), str):
            text = record["text"]
        elif isinstance(record.get("source"), str) and isinstance(record.get("sha256"), str):
            text = (store or ArticleStore()).text(record["source"], record["sha256"])
        else:
            raise ValueError("needs `source` and `sha256` (stand-off) or a string `text`")
        spans = []
        for k, ent in enumerate(record["entities"]):
            if not isinstance(ent, dict):
                raise ValueError(f"entity #{k} is not an object")
            for key, kind in (("start", int), ("end", int), ("label", str)):
                if not isinstance(ent.get(key), kind) or isinstance(ent.get(key), bool):
                    raise ValueError(f"entity #{k}: field {key!r} missing or not {kind.__name__}")
            spans.append(Span(ent["start"], ent["end"], ent["label"], ent.get("text", "")))
        meta = {k: v for k, v in record.items() if k not in _KNOWN_FIELDS}
        return cls(record["id"], text, spans, record.get("source"), record.get("sha256"), status,
                   record.get("annotator"), record.get("group"), meta)


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


def read_documents(path: str | Path, articles: str | Path | ArticleStore | None = None,
                   statuses: Iterable[str] | None = None) -> list[Document]:
    """Read a JSONL file of documents, stand-off (texts read from `articles`, default `../shared/articles`)
    or self-contained; keep only `statuses` when given. A malformed line, a missing source or a hash
    that differs raises `JsonlError` naming the line and the document."""
    store = ArticleStore.of(articles)
    wanted = set(statuses) if statuses is not None else None
    documents = []
    for number, record in iter_jsonl(path):
        try:
            doc = Document.from_json(record, store)
        except ValueError as exc:
            name = f" ({record['id']})" if isinstance(record.get("id"), str) else ""
            raise JsonlError(path, number, f"{exc}{name}") from None
        if wanted is None or doc.status in wanted:
            documents.append(doc)
    return documents


def read_gold(paths: str | Path | Sequence[str | Path], articles: str | Path | ArticleStore | None = None,
              statuses: Iterable[str] = TRAINABLE) -> list[Document]:
    """Annotated documents of one or several files, for training and scoring (drafts left out)."""
    store = ArticleStore.of(articles)
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return [doc for path in files for doc in read_documents(path, store, statuses)]


def output_target(path: str | Path) -> tuple[Path, os.stat_result | None]:
    """The file a write to `path` lands in (symlinks followed, so a link is written through, never
    replaced) and its status, `None` when it does not exist yet. Raises `IsADirectoryError` for a
    directory and `PermissionError` for a read-only file (by its mode too, which root would ignore):
    a file its owner made read-only is not overwritten."""
    target = Path(os.path.realpath(path))
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return target, None
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    if stat.S_ISREG(status.st_mode) and (not status.st_mode & 0o222 or not os.access(target, os.W_OK)):
        raise PermissionError(errno.EACCES, f"read-only file (mode {stat.S_IMODE(status.st_mode):04o})", str(path))
    return target, status


def write_text_atomic(path: str | Path, content: str) -> None:
    """Write a whole file through a temporary sibling, `fsync` and `os.replace`, so readers never see half
    a file. Only the file's content changes: a symlink's target is written (the link stays), a device
    or FIFO (`/dev/null`) is written through, a replaced file keeps its mode and, where allowed, its
    owner; directories and read-only files are refused (`output_target`)."""
    target, status = output_target(path)
    if status is not None and not stat.S_ISREG(status.st_mode):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, f"cannot write in {target.parent}: {exc.strerror}", str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if status is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give a new file the usual permissions
        else:
            os.chmod(tmp, stat.S_IMODE(status.st_mode))
            with contextlib.suppress(PermissionError):
                os.chown(tmp, status.st_uid, status.st_gid)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_documents(path: str | Path, documents: Iterable[Document], with_text: bool = False) -> None:
    """Stand-off records (documents without a source keep their text); `with_text` for working copies."""
    lines = [json.dumps(doc.to_json(with_text), ensure_ascii=False) + "\n" for doc in documents]
    write_text_atomic(path, "".join(lines))
