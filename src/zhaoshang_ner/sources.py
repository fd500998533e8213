"""Article texts named by source: files under `../shared/articles/` and paragraphs of its
`corpus-paragraphs.jsonl`, read exactly as published and checked against their SHA-256.

The texts belong to their publishers, so annotation files hold only `source` and `sha256`; this
module is the one place that turns a source into text. A file is decoded as `textio` decodes any
article (UTF-8 with or without BOM, GB18030, Big5) and nothing else is changed, so offsets into the
text are offsets into what the publisher wrote. A paragraph's hash is over the UTF-8 bytes of its
`text`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from zhaoshang_ner.textio import UndecodableError, decode_bytes

PARAGRAPHS = "corpus-paragraphs.jsonl"
ARTICLES_ENV = "ZHAOSHANG_ARTICLES"


def default_articles_dir() -> Path:
    """`$ZHAOSHANG_ARTICLES`, else `../shared/articles` from the working directory (the repository root)."""
    return Path(os.environ.get(ARTICLES_ENV) or Path("..") / "shared" / "articles")


class SourceError(ValueError):
    """A source that is missing, unreadable or not the bytes an annotation was made on."""


@dataclass(frozen=True)
class SourceText:
    source: str
    text: str
    sha256: str
    encoding: str


def paragraph_source(paragraph_id: str) -> str:
    return f"{PARAGRAPHS}#{paragraph_id}"


def doc_id(source: str) -> str:
    """The document id of a source: `more/001_x.txt` → `more/001_x`, a paragraph → `corpus/<id>`."""
    name, hash_sign, paragraph_id = source.partition("#")
    if hash_sign:
        return f"corpus/{paragraph_id}"
    return name[: -len(".txt")] if name.endswith(".txt") else name


class ArticleStore:
    """Reads sources under one articles folder; the paragraphs file is parsed once, on first use."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_articles_dir()
        self._paragraphs: dict[str, dict] | None = None

    @classmethod
    def of(cls, articles: "str | Path | ArticleStore | None") -> "ArticleStore":
        """A store for a folder (default: `default_articles_dir()`), or the store given."""
        return articles if isinstance(articles, ArticleStore) else cls(articles)

    def paragraphs(self) -> dict[str, dict]:
        """Paragraph records of `corpus-paragraphs.jsonl` by id (`{"id", "text", "shard"}`)."""
        if self._paragraphs is None:
            path = self.root / PARAGRAPHS
            if not path.exists():
                raise SourceError(f"no {PARAGRAPHS} in {self.root}")
            with open(path, encoding="utf-8") as handle:
                self._paragraphs = {record["id"]: record for record in map(json.loads, handle)}
        return self._paragraphs

    def read(self, source: str) -> SourceText:
        """The text of `source` (a path under the root, or `corpus-paragraphs.jsonl#<id>`)."""
        if not isinstance(source, str) or not source:
            raise SourceError(f"source must be a non-empty string, got {source!r}")
        name, hash_sign, paragraph_id = source.partition("#")
        if hash_sign:
            if name != PARAGRAPHS:
                raise SourceError(f"{source}: only {PARAGRAPHS}#<id> sources name a part of a file")
            record = self.paragraphs().get(paragraph_id)
            if record is None:
                raise SourceError(f"{source}: no paragraph {paragraph_id!r} in {self.root / PARAGRAPHS}")
            data = record["text"].encode("utf-8")
            return SourceText(source, record["text"], hashlib.sha256(data).hexdigest(), "utf-8")
        path = self.root / source
        if Path(source).is_absolute() or ".." in Path(source).parts:
            raise SourceError(f"{source}: a source is a relative path inside {self.root}")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SourceError(f"{source}: no such file in {self.root}") from None
        except OSError as exc:
            raise SourceError(f"{source}: cannot read {path}: {exc.strerror}") from None
        try:
            text, encoding = decode_bytes(data)
        except UndecodableError as exc:
            raise SourceError(f"{source}: {exc.reason}") from None
        return SourceText(source, text, hashlib.sha256(data).hexdigest(), encoding)

    def text(self, source: str, sha256: str) -> str:
        """The text of `source`, refusing when its bytes are not the ones hashed in the annotation."""
        found = self.read(source)
        if found.sha256 != sha256:
            raise SourceError(f"{source}: SHA-256 is {found.sha256[:12]}…, the annotation was made on "
                              f"{str(sha256)[:12]}…: the source changed, re-check the annotation against it")
        return found.text

    def article_sources(self, folder: str) -> list[str]:
        """Sources of the `*.txt` files in a folder under the root, sorted."""
        base = self.root / folder
        if not base.is_dir():
            raise SourceError(f"{folder}: no such folder in {self.root}")
        return [path.relative_to(self.root).as_posix() for path in sorted(base.rglob("*.txt"))]


_SENTENCE_END = tuple("。！？!?”\"…）)；;：:")
GROUP_GAP = 15  # paragraphs this close in a shard are taken to be one document


def _looks_like_title(line: str) -> bool:
    """A corpus document starts with a short line without closing punctuation (a headline)."""
    line = line.strip()
    return 0 < len(line) <= 40 and not line.endswith(_SENTENCE_END)


def paragraph_groups(store: ArticleStore, corpus_dir: str | Path | None = None) -> dict[str, str]:
    """Paragraph id → the corpus document it comes from, as `<shard>:<line>` of its group's first paragraph.

    The corpus has no document markers (documents are lines kept together, then shuffled), so two
    selected paragraphs of one shard are put in one group when they are at most `GROUP_GAP` lines
    apart or no headline-like line stands between them. Erring towards larger groups keeps every
    document's paragraphs in one cross-validation fold.
    """
    import gzip

    corpus = Path(corpus_dir) if corpus_dir is not None else store.root.parent / "corpus"
    by_shard: dict[str, dict[str, str]] = {}
    for record in store.paragraphs().values():
        by_shard.setdefault(record["shard"], {})[record["text"]] = record["id"]
    groups: dict[str, str] = {}
    for shard, wanted in sorted(by_shard.items()):
        path = corpus / shard
        if not path.exists():
            raise SourceError(f"{path}: corpus shard not found (needed to group paragraphs by document)")
        group, previous, title_since = None, None, False
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                line = line.rstrip("\n")
                paragraph_id = wanted.get(line)
                if paragraph_id is None:
                    title_since = title_since or _looks_like_title(line)
                    continue
                if group is None or (number - previous > GROUP_GAP and title_since):
                    group = f"{shard.split('.')[0]}:{number}"
                groups[paragraph_id] = group
                previous, title_since = number, False
    missing = set(store.paragraphs()) - set(groups)
    if missing:
        raise SourceError(f"{len(missing)} paragraphs not found in their corpus shards (e.g. {sorted(missing)[0]})")
    return groups
