"""`zhaoshang-ner-predict`: entities for folders of articles and JSONL files, one output record per document.

Every input document gets exactly one record, whatever its content: its entities, or an `error` (a
file that is binary, undecodable, unreadable or not a regular file, a bad JSONL line, a text the model
cannot take). `OUT` is written once, atomically, at the end; until then each finished record, and the
spans of a long document's finished blocks, are appended to the checkpoint `OUT.partial`, so a killed
run loses almost nothing and `--resume` continues it. A lock (`.OUT.lock` beside `OUT`) refuses a
second run on the same output. Exit status: 0 every record clean, 1 some error records, 2 usage error
(nothing written), 130/143 stopped by SIGINT/SIGTERM (progress saved).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import os
import re
import signal
import stat
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TextIO

from filelock import FileLock, Timeout
from tqdm import tqdm

from zhaoshang_ner.backends import BACKEND_CHOICES
from zhaoshang_ner.context import Candidate
from zhaoshang_ner.documents import output_target, parse_jsonl, write_text_atomic
from zhaoshang_ner.textio import Decoded, UndecodableError, read_text_file
from zhaoshang_ner.values import AmountValue, DateValue
from zhaoshang_ner.windows import text_blocks

if TYPE_CHECKING:  # torch is imported only when a run starts, so the other subcommands start fast
    from zhaoshang_ner.predictor import Entity, Predictor

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "zhaoshang-ner-small"
FLUSH_SECONDS = 10.0  # how often the finished blocks of long documents are checkpointed
MAX_FILE_BYTES = 256 * 2**20  # a bigger file is refused (an error record), not read into memory
TEXT_SUFFIX = ".txt"  # files read in folders, in any case (`.TXT`)
JSONL_SUFFIXES = (".jsonl", ".ndjson")  # inputs read as JSONL, in any case
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Task:
    """One input document: a text file read when its batch comes, a JSONL text, or an input error."""

    id: str
    source: str
    location: str  # the file, or `file:line` for JSONL; unique, so the id of a document whose id is taken
    path: Path | None = None
    text: str | None = None
    error: str | None = None


# ---------------------------------------------------------------------------------------------- inputs


def _txt_ids(files: list[tuple[Path, Path]], known: dict[str, str]) -> list[str]:
    """Ids of text files: the id a previous run gave the file (`known`, by source, so `--resume` with
    more inputs renames nothing), else the stem where no other input file shares it, else the path
    relative to the folder given (without suffix), else the path as given."""
    namings = (lambda f, rel: f.stem, lambda f, rel: rel.with_suffix("").as_posix(), lambda f, rel: f.as_posix())
    counts = [Counter(name(f, rel) for f, rel in files) for name in namings]
    return [known.get(str(f)) or next(name(f, rel) for name, count in zip(namings, counts) if count[name(f, rel)] == 1)
            for f, rel in files]


def _jsonl_tasks(path: Path) -> Iterator[Task]:
    """Documents of a JSONL file (`text`, optional `id`); a bad line yields an error task and reading goes on."""
    try:
        for number, record, error in parse_jsonl(path):
            where = f"{path}:{number}"
            if error:
                yield Task(where, str(path), where, error=f"line {number}: {error}")
                continue
            doc_id = record.get("id", where)
            if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
                yield Task(where, str(path), where, error=f"line {number}: `id` must be a string or integer")
            elif not isinstance(record.get("text"), str):
                yield Task(str(doc_id), str(path), where, error=f"line {number}: no string field `text`")
            else:
                yield Task(str(doc_id), str(path), where, text=record["text"])
    except OSError as exc:
        yield Task(str(path), str(path), str(path), error=f"cannot read: {exc.strerror}")


def _not_a_file(path: Path) -> str | None:
    """Why a `*.txt` found in a folder is not read: only regular files are (opening a FIFO would block
    the run); the reason becomes its error record, so nothing in a folder is skipped silently."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if path.is_symlink():
            return f"dangling or looping symlink (to {os.readlink(path)})"
        return f"cannot read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
    return f"not a regular file but a {kind}: not read"


def collect_tasks(inputs: Sequence[str], known_ids: dict[str, str] | None = None) -> list[Task]:
    """Tasks for files, folders (every `*.txt` in any case, sorted) and JSONL files (`.jsonl`, `.ndjson`),
    in command-line order, with unique ids. A file given by name is read whatever its kind (`<(zcat …)`);
    in a folder, what is not a regular file becomes an error task. `known_ids` maps a text file's source
    to the id a previous run gave it.

    A document whose id was already taken becomes an error record under its location id (`path:line`).
    """
    entries: list[tuple[Path, Path, bool] | Path] = []  # (text file, path relative to its input, in a folder)
    seen: set[str] = set()                              # or a JSONL path
    for name in inputs:
        given = Path(name)
        if given.is_dir():
            found = [(f, f.relative_to(given), True) for f in sorted(given.rglob("*"))
                     if f.suffix.lower() == TEXT_SUFFIX and not f.is_dir()]
            if not found:
                raise ValueError(f"{given}: no {TEXT_SUFFIX} files in this folder")
        elif given.exists():
            found = [given if given.suffix.lower() in JSONL_SUFFIXES else (given, Path(given.name), False)]
        elif given.is_symlink():
            raise FileNotFoundError(f"{given}: dangling symlink (to {os.readlink(given)})")
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
        for entry in found:
            key = os.path.realpath(entry[0] if isinstance(entry, tuple) else entry)
            if key not in seen:
                seen.add(key)
                entries.append(entry)
    text_files = [e for e in entries if isinstance(e, tuple)]
    text_ids = dict(zip((f for f, _, _ in text_files), _txt_ids([(f, rel) for f, rel, _ in text_files],
                                                                  known_ids or {})))
    tasks: list[Task] = []
    for entry in entries:
        if isinstance(entry, tuple):
            path, _, in_folder = entry
            tasks.append(Task(text_ids[path], str(path), str(path), path=path,
                              error=_not_a_file(path) if in_folder else None))
        else:
            tasks.extend(_jsonl_tasks(entry))
    first: dict[str, str] = {}
    for task in tasks:
        if task.id in first:
            task.error = f"duplicate id {task.id!r} (first used by {first[task.id]})"
            task.id, task.text, task.path = task.location, None, None
        first.setdefault(task.id, task.location)
    return tasks


def load_text(task: Task) -> Decoded:
    """The decoded text of a task; `ValueError` for a file that cannot be read as text."""
    if task.path is None:
        return Decoded(task.text, "utf-8")
    try:
        return read_text_file(task.path, MAX_FILE_BYTES)
    except UndecodableError as exc:
        raise ValueError(exc.reason) from None
    except OSError as exc:
        raise ValueError(f"{task.path}: cannot read: {exc.strerror}") from None


def _invalid_unicode(text: str) -> str | None:
    """Why a text is not valid Unicode: JSON's `\\ud800` escapes can put a lone surrogate in it, which is
    no character and which the tokenizer refuses."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return f"text is not valid Unicode: lone surrogate U+{ord(found.group()):04X} at character {found.start()}"


# ---------------------------------------------------------------------------------------------- predicting


@dataclass
class Doc:
    """A readable task on its way through the model. The spans of its finished blocks are kept for the
    document-level steps at the end (never logits), and checkpointed for a long document."""

    task: Task
    slot: int  # position in its batch of tasks
    text: str
    encoding: str
    replaced: int
    cuts: list[tuple[int, int]]  # block boundaries (`windows.text_blocks`)
    blocks: int = 0  # blocks done
    candidates: list[Candidate] = field(default_factory=list)
    saved: tuple[int, int] = (0, 0)  # blocks and candidates already in the checkpoint

    def chars_done(self, blocks: int | None = None) -> int:
        """Characters in the first `blocks` blocks (default: the blocks done)."""
        blocks = self.blocks if blocks is None else blocks
        return self.cuts[blocks - 1][1] if blocks else 0

    @cached_property
    def sha256(self) -> str:
        """Names the text a checkpointed progress belongs to (a changed file starts over)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class Resumed:
    """A long document's finished blocks and their spans, as a checkpoint holds them."""

    source: str
    sha256: str
    blocks: int
    candidates: list[Candidate]


BlockHook = Callable[[Doc, int], None]  # called with a document and the characters of a block just done


def _predict(predictor: Predictor, docs: list[Doc],
             batch_size: int) -> Iterator[tuple[Doc, list[Entity] | Exception | None]]:
    """`(doc, None)` after each block of a document, then `(doc, entities)`, or `(doc, exception)` when its
    text broke the model: after a failure the documents not finished are retried one at a time, so one bad
    text costs only its own record. Blocks already done (a checkpoint's, or before the failure) are
    skipped, not recomputed."""
    finished: set[int] = set()
    try:
        starts = {k: doc.blocks for k, doc in enumerate(docs) if doc.blocks}
        for block, found in predictor.blocks([doc.text for doc in docs], batch_size, start_blocks=starts):
            doc = docs[block.doc]
            doc.candidates.extend(found)
            doc.blocks += 1
            yield doc, None
            if doc.blocks == len(doc.cuts):
                entities = predictor.finish(doc.text, doc.candidates)
                finished.add(block.doc)
                yield doc, entities
        for k, doc in enumerate(docs):  # every block done before this call: `finish` failed on the first try
            if k not in finished:
                entities = predictor.finish(doc.text, doc.candidates)
                finished.add(k)
                yield doc, entities
    except Exception as exc:
        if len(docs) == 1:
            yield docs[0], exc
            return
        for k, doc in enumerate(docs):
            if k not in finished:
                yield from _predict(predictor, [doc], batch_size)


def _open(task: Task, slot: int, resumed: dict[str, Resumed]) -> Doc | dict:
    """The task's text ready to predict (with any checkpointed blocks), or its error record."""
    if task.error is not None:
        return error_record(task.id, task.source, task.error)
    try:
        text, encoding, replaced = load_text(task)
    except ValueError as exc:
        return error_record(task.id, task.source, str(exc))
    problem = _invalid_unicode(text)
    if problem:
        return error_record(task.id, task.source, problem)
    doc = Doc(task, slot, text, encoding, replaced, text_blocks(text))
    previous = resumed.get(task.id)
    if previous and previous.source == task.source and previous.blocks < len(doc.cuts) \
            and previous.sha256 == doc.sha256:
        doc.blocks, doc.candidates = previous.blocks, list(previous.candidates)
        doc.saved = (doc.blocks, len(doc.candidates))
    return doc


def document_records(predictor: Predictor, tasks: Sequence[Task], batch_size: int, resumed: dict[str, Resumed],
                     on_open: Callable[[Task, Doc | dict], None], on_block: BlockHook) -> Iterator[dict]:
    """Records for a batch of tasks, in their order, each as soon as it and those before it are done:
    texts are predicted together, unreadable ones become error records. `on_open` sees each task opened,
    `on_block` each block done (for progress and checkpoints)."""
    slots: list[dict | None] = []
    docs: list[Doc] = []
    for task in tasks:
        opened = _open(task, len(slots), resumed)
        on_open(task, opened)
        slots.append(opened if isinstance(opened, dict) else None)
        if isinstance(opened, Doc):
            docs.append(opened)
    ready = 0
    for doc, result in _predict(predictor, docs, batch_size):
        if result is None:
            on_block(doc, doc.chars_done() - doc.chars_done(doc.blocks - 1))
            continue
        if isinstance(result, Exception):
            slots[doc.slot] = error_record(doc.task.id, doc.task.source,
                                           f"prediction failed: {type(result).__name__}: {result}")
        else:
            slots[doc.slot] = {"id": doc.task.id, "source": doc.task.source, "encoding": doc.encoding,
                               **({"replaced": doc.replaced} if doc.replaced else {}),
                               "chars": len(doc.text), "entities": [entity.to_json() for entity in result]}
        doc.candidates = []  # the record holds what is needed (a 20 MB text has some 300,000 spans)
        while ready < len(slots) and slots[ready] is not None:
            yield slots[ready]
            ready += 1
    yield from slots[ready:]


# ---------------------------------------------------------------------------------------------- output

ENTITY_COLUMNS = ["start", "end", "label", "text", "score",
                  *(f.name for f in fields(AmountValue)), *(f.name for f in fields(DateValue))]
CSV_COLUMNS = ["id", "source", "encoding", "replaced", *ENTITY_COLUMNS, "error"]
_CSV_BASE = ("id", "source", "encoding", "replaced", "error")


def error_record(doc_id: str, source: str, message: str) -> dict:
    return {"id": doc_id, "source": source, "error": message}


def json_line(record: dict) -> str:
    """One line of strict JSON (`ValueError` for NaN/Infinity). A line with lone surrogates (an id from a
    JSON escape, a file name that is not UTF-8) cannot be written as UTF-8, so it is ASCII-escaped."""
    line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    if _SURROGATE.search(line):
        line = json.dumps(record, allow_nan=False)
    return line + "\n"


class JsonlFormat:
    """One JSON object per document."""

    header = ""

    @staticmethod
    def render(record: dict) -> str:
        return json_line(record)

    @staticmethod
    def read(path: Path) -> dict[str, dict]:
        return read_checkpoint(path)[0]


class CsvFormat:
    """One row per entity; a document without entities is one row with empty entity columns, so that
    every document (and `--resume`) can see it."""

    header = ",".join(CSV_COLUMNS) + "\r\n"

    @staticmethod
    def render(record: dict) -> str:
        base = {k: record.get(k, "") for k in _CSV_BASE}
        rows = [{**base, **entity} for entity in record.get("entities", [])] or [base]
        buffer = io.StringIO()
        csv.DictWriter(buffer, CSV_COLUMNS, extrasaction="ignore").writerows(rows)
        chunk = buffer.getvalue()
        return chunk.encode("utf-8", "backslashreplace").decode("utf-8") if _SURROGATE.search(chunk) else chunk

    @staticmethod
    def read(path: Path) -> dict[str, dict]:
        """The records of a CSV this command wrote, rebuilt so that they render to the same rows."""
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != CSV_COLUMNS:
                raise ValueError(f"{path}: not a CSV written by this command (columns {reader.fieldnames})")
            records: dict[str, dict] = {}
            for row in reader:
                record = records.setdefault(row["id"], {k: row[k] for k in _CSV_BASE if row[k]} | {"entities": []})
                if row["label"]:
                    record["entities"].append({k: row[k] for k in ENTITY_COLUMNS})
        return {doc_id: ({k: v for k, v in r.items() if k != "entities"} if "error" in r else r)
                for doc_id, r in records.items()}


FORMATS = {"jsonl": JsonlFormat, "csv": CsvFormat}


def progress_line(doc_id: str, progress: Resumed) -> str:
    """A checkpoint line with a long document's blocks done so far and the spans of the blocks it adds
    (`read_checkpoint` joins the spans of a document's lines). `vars`, not `asdict`: a shallow dict, as
    `asdict`'s deep copies cost 7 % of a 20 MB run."""
    state = {"blocks": progress.blocks, "sha256": progress.sha256, "candidates": [vars(c) for c in progress.candidates]}
    return json_line({"id": doc_id, "source": progress.source, "in_progress": state})


def read_checkpoint(path: Path) -> tuple[dict[str, dict], dict[str, Resumed]]:
    """Records and long-document progress of a checkpoint (or of a finished JSONL output). A last line cut
    off by a kill (no newline) is left out; any other line that is not ours is refused, naming it, since
    continuing would drop it when the checkpoint is rewritten."""
    records: dict[str, dict] = {}
    progress: dict[str, Resumed] = {}
    with open(path, encoding="utf-8", errors="replace", newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            if not line.endswith("\n") or not line.strip():
                continue
            try:
                record = json.loads(line)
                doc_id, state = record["id"], record.get("in_progress")
                if not isinstance(doc_id, str):
                    raise TypeError("`id` is not a string")
                if state is None:
                    records[doc_id] = record
                    progress.pop(doc_id, None)
                    continue
                found = [Candidate(**c) for c in state["candidates"]]
                earlier = progress.get(doc_id)
                if earlier and earlier.sha256 == state["sha256"] and earlier.source == record.get("source"):
                    found = earlier.candidates + found
                progress[doc_id] = Resumed(record.get("source"), state["sha256"], state["blocks"], found)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"{path}:{number}: not a record written by this command ({exc}); "
                                 "move the file away to start over") from None
    return records, progress


class StreamOutput:
    """Records written as they come, in input order: stdout, or a device or FIFO (`/dev/null`) that is
    written through, never replaced. No checkpoint and no `--resume`."""

    records: dict[str, dict] = {}  # nothing to resume
    resumed: dict[str, Resumed] = {}

    def __init__(self, name: str, fmt: type, handle: TextIO | None = None):
        self.name, self.format = name, fmt
        self.handle = handle or open(name, "w", encoding="utf-8", newline="")
        self.handle.write(fmt.header)

    def add(self, record: dict) -> None:
        self.handle.write(self.format.render(record))
        self.handle.flush()

    def progress(self, doc: Doc) -> None:
        """Nothing to checkpoint: records are out as soon as they are done."""

    def save(self) -> str:
        return f"the records so far are in {self.name}"

    def finish(self, tasks: Sequence[Task]) -> int:
        self.close()
        return 0

    def close(self) -> None:
        if self.handle is not sys.stdout:
            self.handle.close()


class FileOutput:
    """`OUT`, written atomically at the end with one record per input in input order; until then finished
    records and long documents' finished blocks are appended to `OUT.partial` (JSONL, whatever the
    output format), under a lock that refuses a second run on the same output."""

    def __init__(self, path: Path, fmt: type, resume: bool):
        self.path, self.format = path, fmt
        target, status = output_target(path)  # refuses a directory or a read-only file, before any work
        self.partial = target.with_name(target.name + ".partial")
        lock_path = target.with_name(f".{target.name}.lock")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.lock = FileLock(lock_path, timeout=0)
            self.lock.acquire()
        except Timeout:
            raise ValueError(f"{path} is being written by another run (it holds {lock_path}): wait for it "
                             "to finish or choose another --output") from None
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write in {target.parent}: {exc.strerror}", str(path)) from None
        self.handle: TextIO | None = None
        self.active: dict[str, Doc] = {}  # long documents with finished blocks, by id
        self.saved_at = time.monotonic()
        self.records: dict[str, dict] = {}
        self.resumed: dict[str, Resumed] = {}
        try:
            if self.partial.exists() or self.partial.is_symlink():
                if not stat.S_ISREG(os.lstat(self.partial).st_mode):
                    raise ValueError(f"{self.partial} is not a regular file: move it away")
                if not resume:
                    raise ValueError(f"{self.partial} is left from an interrupted run (no run is writing it now): "
                                     "pass --resume to continue it, or delete it")
                self.records, self.resumed = read_checkpoint(self.partial)
            elif resume and status is not None:
                self.records = fmt.read(target)
        except BaseException:
            self.close()
            raise

    def add(self, record: dict) -> None:
        self.active.pop(record["id"], None)
        self.records[record["id"]] = record
        self._append(json_line(record))

    def progress(self, doc: Doc) -> None:
        """Note a finished block; every `FLUSH_SECONDS`, checkpoint the long documents' new spans."""
        self.active[doc.task.id] = doc
        if time.monotonic() - self.saved_at >= FLUSH_SECONDS:
            self.save()

    def save(self) -> str:
        """Checkpoint the finished blocks of unfinished documents; say where the progress is."""
        for doc in self.active.values():
            blocks, count = doc.saved
            if blocks < doc.blocks < len(doc.cuts):  # a finished document's record says it all
                with contextlib.suppress(ValueError):  # a NaN score: that document starts over on resume
                    self._append(progress_line(doc.task.id, Resumed(doc.task.source, doc.sha256, doc.blocks,
                                                                    doc.candidates[count:])))
                    doc.saved = (doc.blocks, len(doc.candidates))
        self.saved_at = time.monotonic()
        if not self.partial.exists():
            return "nothing was done yet"
        return f"{len(self.records)} documents are saved in {self.partial}; run again with --resume to continue"

    def _append(self, line: str) -> None:
        """Append a line to the checkpoint; the first append rewrites what was resumed (dropping a line a
        kill cut off) so that appends start on a clean line."""
        if self.handle is None:
            if self.records or self.resumed:
                lines = [json_line(r) for r in self.records.values()]
                lines += [progress_line(doc_id, r) for doc_id, r in self.resumed.items() if doc_id not in self.records]
                write_text_atomic(self.partial, "".join(lines))
            self.handle = open(self.partial, "a", encoding="utf-8", newline="")
        self.handle.write(line)
        self.handle.flush()

    def finish(self, tasks: Sequence[Task]) -> int:
        """Write `OUT` with a record per task, in input order, and drop the checkpoint; return how many
        records of documents no longer among the inputs were left out."""
        wanted = [self.records[task.id] for task in tasks]
        write_text_atomic(self.path, self.format.header + "".join(self.format.render(r) for r in wanted))
        self.close()
        self.partial.unlink(missing_ok=True)
        return len(self.records) - len(wanted)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        self.lock.release()


def open_output(name: str, fmt: type, resume: bool) -> StreamOutput | FileOutput:
    """stdout for `-`; a device or FIFO written through; else a file written atomically with a checkpoint."""
    if name == "-":
        if resume:
            raise ValueError("--resume needs an output file, not stdout")
        return StreamOutput("stdout", fmt, sys.stdout)
    target, status = output_target(name)
    if status is not None and not stat.S_ISREG(status.st_mode):
        if resume:
            raise ValueError(f"--resume needs a regular output file; {name} is a device or FIFO")
        return StreamOutput(name, fmt)
    return FileOutput(Path(name), fmt, resume)


# ---------------------------------------------------------------------------------------------- running


class Summary:
    """Counts for the closing report on stderr."""

    def __init__(self) -> None:
        self.documents, self.characters, self.labels, self.errors = 0, 0, Counter(), []

    def add(self, record: dict) -> None:
        self.documents += 1
        if "error" in record:
            self.errors.append(f"{record['id']}: {record['error']}")
        else:
            self.characters += record["chars"]
            self.labels.update(entity["label"] for entity in record["entities"])

    def report(self, skipped: int, dropped: int, seconds: float) -> str:
        lines = [f"{self.documents} documents ({skipped} more already done, skipped), "
                 f"{self.characters:,} characters in {seconds:.1f} s"]
        if dropped:
            lines.append(f"{dropped} earlier records of documents no longer among the inputs left out")
        lines.append(f"{sum(self.labels.values())} entities")
        lines += [f"  {label:<15} {count}" for label, count in self.labels.most_common()]
        lines.append(f"{len(self.errors)} errors")
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines) + "\n"


class Stopped(KeyboardInterrupt):
    """SIGINT or SIGTERM: both stop the run the same way (save, say so, exit 128 + signal)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class Signals:
    """Turns SIGINT and SIGTERM into `Stopped`, except inside `critical()` (a checkpoint append), where the
    signal waits for the section to end, so no line is cut in two by our own handler."""

    def __init__(self) -> None:
        self.depth, self.pending, self.previous, self.stopping = 0, None, {}, False

    def __enter__(self) -> "Signals":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame) -> None:
        if self.stopping:
            return
        if self.depth:
            self.pending = self.pending or signum
        else:
            raise Stopped(signum)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if not self.depth and self.pending:
                signum, self.pending = self.pending, None
                raise Stopped(signum)


def configure(parser: argparse.ArgumentParser) -> None:
    """Predict entities for article files, folders and JSONL files."""
    parser.epilog = ("exit status: 0 every record clean, 1 some error records, 2 usage error (nothing written), "
                     "130/143 stopped by SIGINT/SIGTERM (progress saved in OUT.partial: --resume)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="text file, folder (all **/*.txt, any case) or JSONL file (.jsonl/.ndjson) with "
                             "`text` and optional `id` (default FILE:LINE); a text file's id is its stem, or where "
                             "stems clash its path relative to the folder given, without suffix")
    parser.add_argument("--model", metavar="DIR", help=f"model directory (default: {DEFAULT_MODEL})")
    parser.add_argument("--output", "-o", required=True, metavar="OUT",
                        help="output file, - for stdout, or a device/FIFO (written through)")
    parser.add_argument("--format", choices=FORMATS, help="default: csv for OUT ending in .csv, else jsonl")
    parser.add_argument("--batch-size", type=_positive, default=8, metavar="N",
                        help="documents per prediction call and windows per forward pass (default: 8)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--backend", choices=BACKEND_CHOICES, default="auto",
                        help="inference backend (default auto: the model's int8 ONNX graph on a CPU where it ships "
                             "one, else torch)")
    parser.add_argument("--max-length", type=_positive, metavar="N", help="tokens per window (default: the model's)")
    parser.add_argument("--threads", type=_positive, metavar="N", help="CPU threads for torch")
    parser.add_argument("--resume", action="store_true",
                        help="keep the clean records in OUT.partial (or OUT), continue unfinished long documents, "
                             "predict the rest (error records are retried)")


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """The command; usage errors raise `ValueError`/`OSError` (exit 2) before anything is written."""
    model = Path(args.model) if args.model else DEFAULT_MODEL
    if not model.is_dir():
        raise FileNotFoundError(f"no model directory at {model}" + ("" if args.model else ": pass --model DIR"))
    fmt = FORMATS[args.format or ("csv" if args.output.lower().endswith(".csv") else "jsonl")]
    output = open_output(args.output, fmt, args.resume)
    try:
        with Signals() as signals:
            return _predict_into(output, args, model, signals)
    finally:
        output.close()


def _predict_into(output: StreamOutput | FileOutput, args: argparse.Namespace, model: Path,
                  signals: Signals) -> int:
    """Predict every task not done yet into `output`; return the exit status."""
    clean = {doc_id: r for doc_id, r in output.records.items() if "error" not in r}
    sources = Counter(r.get("source") for r in clean.values())
    tasks = collect_tasks(args.inputs, {r["source"]: doc_id for doc_id, r in clean.items()
                                        if sources[r.get("source")] == 1})
    done = {task.id for task in tasks if task.id in clean and clean[task.id].get("source") == task.source}
    todo = [task for task in tasks if task.id not in done]

    import torch  # here, not at the top, so the other `zhaoshang-ner` subcommands start fast

    from zhaoshang_ner.predictor import Predictor

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        predictor = Predictor.from_pretrained(model, device=args.device, max_length=args.max_length,
                                              batch_size=args.batch_size, backend=args.backend)
    except RuntimeError as exc:  # e.g. --device cuda without a GPU
        raise ValueError(str(exc)) from None
    summary, started = Summary(), time.monotonic()
    bar = tqdm(total=sum(_estimated_chars(task) for task in todo), unit="char", unit_scale=True, desc="predict",
               file=sys.stderr, dynamic_ncols=True)

    def on_open(task: Task, opened: Doc | dict) -> None:
        bar.total += (len(opened.text) - opened.chars_done() if isinstance(opened, Doc) else 0) - _estimated_chars(task)
        bar.refresh()

    def on_block(doc: Doc, chars: int) -> None:
        bar.update(chars)
        with signals.critical():
            output.progress(doc)

    try:
        for first in range(0, len(todo), args.batch_size):
            group = todo[first : first + args.batch_size]
            for record in document_records(predictor, group, args.batch_size, output.resumed, on_open, on_block):
                try:
                    json_line(record)
                except ValueError as exc:  # NaN or Infinity somewhere: strict JSON has no such numbers
                    record = error_record(record["id"], record["source"], f"record is not strict JSON: {exc}")
                with signals.critical():
                    output.add(record)
                summary.add(record)
                bar.set_postfix_str(f"{summary.documents}/{len(todo)} docs", refresh=False)
        bar.close()
        with signals.critical():
            dropped = output.finish(tasks)
    except BaseException as exc:
        bar.close()
        signals.stopping = True  # a second Ctrl-C must not cut the save short
        where = output.save()
        if not isinstance(exc, KeyboardInterrupt):
            print(f"zhaoshang-ner-predict: stopped by an error; {where}", file=sys.stderr)
            raise
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"zhaoshang-ner-predict: stopped by {signal.Signals(signum).name}; {where}", file=sys.stderr)
        return 128 + signum
    sys.stderr.write(summary.report(len(tasks) - len(todo), dropped, time.monotonic() - started))
    return 1 if summary.errors else 0


def _estimated_chars(task: Task) -> int:
    """Characters of a task before it is read: a file's size over 3 (UTF-8 hanzi), corrected when read."""
    if task.error is not None:
        return 0
    if task.path is None:
        return len(task.text)
    with contextlib.suppress(OSError):
        return os.stat(task.path).st_size // 3
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhaoshang-ner-predict", description=__doc__.splitlines()[0])
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (OSError, ValueError) as exc:
        print(f"zhaoshang-ner-predict: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # before any work (loading the model, waiting on a FIFO): nothing to save
        return 128 + getattr(exc, "signum", signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
