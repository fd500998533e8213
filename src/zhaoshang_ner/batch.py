"""`zhaoshang-ner-predict`: entities for folders of articles and JSONL files, one output record per document.

Bad inputs (binary or undecodable files, bad JSONL lines) become error records instead of stopping the
run. Output goes to `OUT.partial`, rewritten atomically every few seconds and renamed to `OUT` at the
end, so an interrupted run leaves a valid file that `--resume` continues from.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator, Sequence

from tqdm import tqdm

from zhaoshang_ner.documents import iter_jsonl, parse_jsonl, write_text_atomic
from zhaoshang_ner.textio import UndecodableError, read_text_file
from zhaoshang_ner.values import AmountValue, DateValue

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "zhaoshang-ner-small"
FLUSH_SECONDS = 10.0  # how often progress is saved to OUT.partial (the rewrite is atomic, never torn)


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


def _txt_ids(files: list[tuple[Path, Path]]) -> list[str]:
    """Ids of text files: the stem where no other input file shares it, else the path relative to the
    folder given (without suffix), else the path as given."""
    namings = (lambda f, rel: f.stem, lambda f, rel: rel.with_suffix("").as_posix(), lambda f, rel: f.as_posix())
    counts = [Counter(name(f, rel) for f, rel in files) for name in namings]
    return [next(name(f, rel) for name, count in zip(namings, counts) if count[name(f, rel)] == 1)
            for f, rel in files]


def _jsonl_tasks(path: Path) -> Iterator[Task]:
    """Documents of a JSONL file (`text`, optional `id`); a bad line yields an error task and reading goes on."""
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


def collect_tasks(inputs: Sequence[str]) -> list[Task]:
    """Tasks for files, folders (`**/*.txt`, sorted) and `.jsonl` files, in command-line order, with unique ids.

    A document whose id was already taken becomes an error record under its location id (`path:line`).
    """
    entries: list[tuple[Path, Path] | Path] = []  # (text file, path relative to its input) or a JSONL path
    seen: set[Path] = set()
    for name in inputs:
        given = Path(name)
        if given.is_dir():
            found = [(f, f.relative_to(given)) for f in sorted(given.rglob("*.txt")) if f.is_file()]
            if not found:
                raise ValueError(f"{given}: no .txt files in this folder")
        elif given.is_file():
            found = [given if given.suffix == ".jsonl" else (given, Path(given.name))]
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
        for entry in found:
            key = (entry[0] if isinstance(entry, tuple) else entry).resolve()
            if key not in seen:
                seen.add(key)
                entries.append(entry)
    text_files = [e for e in entries if isinstance(e, tuple)]
    text_ids = dict(zip((f for f, _ in text_files), _txt_ids(text_files)))
    tasks: list[Task] = []
    for entry in entries:
        if isinstance(entry, tuple):
            tasks.append(Task(text_ids[entry[0]], str(entry[0]), str(entry[0]), path=entry[0]))
        else:
            tasks.extend(_jsonl_tasks(entry))
    first: dict[str, str] = {}
    for task in tasks:
        if task.id in first:
            task.error = f"duplicate id {task.id!r} (first used by {first[task.id]})"
            task.id, task.text, task.path = task.location, None, None
        first.setdefault(task.id, task.location)
    return tasks


def load_text(task: Task) -> tuple[str, str]:
    """`(text, encoding)` of a task; `ValueError` for a file that cannot be read as text."""
    if task.path is None:
        return task.text, "utf-8"
    try:
        return read_text_file(task.path)
    except UndecodableError as exc:
        raise ValueError(exc.reason) from None
    except OSError as exc:
        raise ValueError(f"{task.path}: cannot read: {exc.strerror}") from None


# ---------------------------------------------------------------------------------------------- output

ENTITY_COLUMNS = ["start", "end", "label", "text", "score",
                  *(f.name for f in fields(AmountValue)), *(f.name for f in fields(DateValue))]
CSV_COLUMNS = ["id", "source", "encoding", *ENTITY_COLUMNS, "error"]


def error_record(task: Task, message: str) -> dict:
    return {"id": task.id, "source": task.source, "error": message}


class JsonlFormat:
    """One JSON object per document."""

    header = ""

    @staticmethod
    def render(record: dict) -> str:
        return json.dumps(record, ensure_ascii=False) + "\n"

    @staticmethod
    def read(path: Path) -> dict[str, str]:
        return {str(record["id"]): JsonlFormat.render(record) for _, record in iter_jsonl(path) if "id" in record}


class CsvFormat:
    """One row per entity; a document without entities is one row with empty entity columns, so that
    every document (and `--resume`) can see it."""

    header = ",".join(CSV_COLUMNS) + "\r\n"

    @staticmethod
    def render(record: dict) -> str:
        base = {k: record.get(k, "") for k in ("id", "source", "encoding", "error")}
        rows = [{**base, **entity} for entity in record.get("entities", [])] or [base]
        return CsvFormat._rows(rows)

    @staticmethod
    def _rows(rows: list[dict]) -> str:
        buffer = io.StringIO()
        csv.DictWriter(buffer, CSV_COLUMNS, extrasaction="ignore").writerows(rows)
        return buffer.getvalue()

    @staticmethod
    def read(path: Path) -> dict[str, str]:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != CSV_COLUMNS:
                raise ValueError(f"{path}: not a CSV written by this command (columns {reader.fieldnames})")
            grouped: dict[str, list[dict]] = {}
            for row in reader:
                grouped.setdefault(row["id"], []).append(row)
        return {doc_id: CsvFormat._rows(rows) for doc_id, rows in grouped.items()}


FORMATS = {"jsonl": JsonlFormat, "csv": CsvFormat}


class Output:
    """Records in input order, kept in `OUT.partial` until the run completes; stdout when `path` is None."""

    def __init__(self, path: Path | None, fmt: type, resume: bool):
        self.path, self.format = path, fmt
        self.chunks: dict[str, str] = {}
        self.saved_at = time.monotonic()
        if path is None:
            sys.stdout.write(fmt.header)
            return
        self.partial = path.with_name(path.name + ".partial")
        if resume:
            previous = self.partial if self.partial.exists() else path if path.exists() else None
            self.chunks = fmt.read(previous) if previous else {}
        elif self.partial.exists():
            raise ValueError(f"{self.partial} is left from an interrupted run: pass --resume to continue it, "
                             "or delete it")

    def add(self, record: dict) -> None:
        chunk = self.format.render(record)
        if self.path is None:
            sys.stdout.write(chunk)
            sys.stdout.flush()
        else:
            self.chunks[record["id"]] = chunk
            if time.monotonic() - self.saved_at >= FLUSH_SECONDS:
                self.save()

    def save(self) -> None:
        """Rewrite `OUT.partial` atomically with every record so far."""
        if self.path is not None:
            write_text_atomic(self.partial, self.format.header + "".join(self.chunks.values()))
            self.saved_at = time.monotonic()

    def finish(self, order: Sequence[str]) -> None:
        """Write `OUT` with the records in input order (resumed ones included) and drop the partial file."""
        if self.path is not None:
            ranked = {doc_id: i for i, doc_id in enumerate(order)}
            ids = sorted(self.chunks, key=lambda doc_id: ranked.get(doc_id, len(ranked)))
            write_text_atomic(self.path, self.format.header + "".join(self.chunks[i] for i in ids))
            self.partial.unlink(missing_ok=True)


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

    def report(self, skipped: int, seconds: float) -> str:
        lines = [f"{self.documents} documents ({skipped} more already done, skipped), "
                 f"{self.characters:,} characters in {seconds:.1f} s",
                 f"{sum(self.labels.values())} entities"]
        lines += [f"  {label:<15} {count}" for label, count in self.labels.most_common()]
        lines.append(f"{len(self.errors)} errors")
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines) + "\n"


def predict_records(predictor, tasks: Sequence[Task], batch_size: int) -> list[dict]:
    """Records for a batch of tasks: texts are predicted together, unreadable ones become error records."""
    records: list[dict | None] = []
    texts: list[tuple[int, Task, str, str]] = []
    for task in tasks:
        if task.error is not None:
            records.append(error_record(task, task.error))
            continue
        try:
            text, encoding = load_text(task)
        except ValueError as exc:
            records.append(error_record(task, str(exc)))
            continue
        texts.append((len(records), task, text, encoding))
        records.append(None)
    predictions = predictor.predict_many([text for _, _, text, _ in texts], batch_size) if texts else []
    for (slot, task, text, encoding), entities in zip(texts, predictions):
        records[slot] = {"id": task.id, "source": task.source, "encoding": encoding, "chars": len(text),
                         "entities": [entity.to_json() for entity in entities]}
    return records


def configure(parser: argparse.ArgumentParser) -> None:
    """Predict entities for article files, folders and JSONL files."""
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="text file, folder (all **/*.txt) or .jsonl file with `text` and optional `id` "
                             "(default FILE:LINE); a text file's id is its stem, or where stems clash its path "
                             "relative to the folder given, without suffix")
    parser.add_argument("--model", metavar="DIR", help=f"model directory (default: {DEFAULT_MODEL})")
    parser.add_argument("--output", "-o", required=True, metavar="OUT", help="output file, or - for stdout")
    parser.add_argument("--format", choices=FORMATS, help="default: csv for OUT ending in .csv, else jsonl")
    parser.add_argument("--batch-size", type=_positive, default=8, metavar="N",
                        help="documents per prediction call and windows per forward pass (default: 8)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--max-length", type=_positive, metavar="N", help="tokens per window (default: the model's)")
    parser.add_argument("--threads", type=_positive, metavar="N", help="CPU threads for torch")
    parser.add_argument("--resume", action="store_true",
                        help="keep the records in OUT.partial (or OUT) and predict only the missing ids")


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    to_stdout = args.output == "-"
    if to_stdout and args.resume:
        raise ValueError("--resume needs an output file, not stdout")
    model = Path(args.model) if args.model else DEFAULT_MODEL
    if not model.is_dir():
        raise FileNotFoundError(f"no model directory at {model}" + ("" if args.model else ": pass --model DIR"))
    fmt = FORMATS[args.format or ("csv" if args.output.lower().endswith(".csv") else "jsonl")]
    tasks = collect_tasks(args.inputs)
    output = Output(None if to_stdout else Path(args.output), fmt, args.resume)
    todo = [task for task in tasks if task.id not in output.chunks]

    import torch  # here, not at the top, so the other `zhaoshang-ner` subcommands start fast

    from zhaoshang_ner.predictor import Predictor

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        predictor = Predictor.from_pretrained(model, device=args.device, max_length=args.max_length,
                                              batch_size=args.batch_size)
    except RuntimeError as exc:  # e.g. --device cuda without a GPU
        raise ValueError(str(exc)) from None
    summary, started = Summary(), time.monotonic()
    bar = tqdm(total=len(todo), unit="doc", desc="predict", file=sys.stderr, dynamic_ncols=True)
    try:
        for first in range(0, len(todo), args.batch_size):
            for record in predict_records(predictor, todo[first : first + args.batch_size], args.batch_size):
                output.add(record)
                summary.add(record)
                bar.update()
            bar.set_postfix_str(f"{summary.characters / max(time.monotonic() - started, 1e-9):,.0f} chars/s")
    except BaseException:
        bar.close()
        output.save()
        if not to_stdout:
            print(f"stopped: {len(output.chunks)} documents saved in {output.partial}; "
                  "run again with --resume to continue", file=sys.stderr)
        raise
    bar.close()
    output.finish([task.id for task in tasks])
    sys.stderr.write(summary.report(len(tasks) - len(todo), time.monotonic() - started))
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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
