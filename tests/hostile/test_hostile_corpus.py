"""The generated hostile corpus through `zhaoshang-ner-predict`: no crash, exactly one record per input
document with what it must say, strict JSON, inputs untouched, and the same on `--resume` (issue 12)."""

import csv
import hashlib
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from hostile_corpus import ARTICLE, write_corpus
from zhaoshang_ner import batch


def predict(model_dir, *args) -> int:
    return batch.main([*map(str, args), "--model", str(model_dir), "--batch-size", "4"])


def strict_records(path: Path) -> list[dict]:
    """Records of a JSONL output read strictly: UTF-8, one JSON object a line, no NaN or Infinity."""
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")
    return [json.loads(line, parse_constant=refuse) for line in path.read_bytes().decode("utf-8").splitlines()]


def snapshot(root: Path) -> dict[str, tuple]:
    """Kind, mode and content (or link target) of everything under `root`, links not followed."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            status = os.lstat(path)
            if stat.S_ISREG(status.st_mode):
                with open(path, "rb") as handle:
                    found[path] = (status.st_mode, hashlib.sha256(handle.read()).hexdigest())
            else:
                found[path] = (status.st_mode, os.readlink(path) if stat.S_ISLNK(status.st_mode) else None)
    return found


@pytest.fixture()
def corpus(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "MAX_FILE_BYTES", 200_000)  # so that a 210 kB file stands for a huge one
    return write_corpus(tmp_path / "corpus")


def check_records(records: list[dict], expect: dict) -> None:
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "a document got two records"
    assert set(ids) == set(expect), (set(expect) - set(ids), set(ids) - set(expect))
    for record in records:
        want = expect[record["id"]]
        assert ("error" in record) == want.error, record
        if want.error:
            assert want.contains in record["error"], record
        else:
            assert want.contains in record["encoding"] and isinstance(record["entities"], list), record
            assert want.chars is None or record["chars"] == want.chars, record


def test_hostile_corpus_gets_one_record_per_document_and_touches_nothing(tiny_model_dir, corpus, tmp_path, capsys):
    inputs, expect = corpus
    before = snapshot(tmp_path / "corpus")
    out = tmp_path / "out" / "preds.jsonl"
    assert predict(tiny_model_dir, *inputs, "-o", out) == 1  # 1: some error records, as there must be
    records = strict_records(out)
    check_records(records, expect)
    assert snapshot(tmp_path / "corpus") == before  # no input was deleted, truncated or replaced
    assert sorted(os.listdir(out.parent)) == [".preds.jsonl.lock", "preds.jsonl"]  # no partial, no temp file
    damaged = next(r for r in records if r["id"] == "damaged_utf8")
    assert damaged["replaced"] == 2  # item 13: the record says its text is not what was written
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{len(expect)} documents" in err


def test_hostile_corpus_as_csv(tiny_model_dir, corpus, tmp_path):
    inputs, expect = corpus
    out = tmp_path / "preds.csv"
    assert predict(tiny_model_dir, *inputs, "-o", out) == 1
    with open(out, encoding="utf-8", newline="") as handle:  # valid UTF-8 and valid CSV
        rows = list(csv.DictReader(handle))
    ids = {row["id"] for row in rows}
    assert len(ids) == len(expect)  # one document each (ids with lone surrogates are backslash-escaped)
    assert {row["id"] for row in rows if row["error"]} >= {i for i, e in expect.items() if e.error and i.isprintable()}


def test_hostile_corpus_resumes_with_a_clashing_new_input(tiny_model_dir, corpus, tmp_path):
    inputs, expect = corpus
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, *inputs, "-o", out) == 1
    first = {r["id"]: r for r in strict_records(out)}
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "plain.txt").write_text(ARTICLE, encoding="utf-8")  # a third `plain`: stems clash even more
    assert predict(tiny_model_dir, *inputs, extra, "-o", out, "--resume") == 1
    records = strict_records(out)
    check_records(records[:-1], expect)
    assert records[-1]["id"] == str(extra / "plain.txt") and "entities" in records[-1]
    assert all(first[r["id"]] == r for r in records[:-1] if "error" not in r)  # kept, not renamed or redone


def test_files_given_by_name_are_read_whatever_their_kind(tiny_model_dir, tmp_path):
    fifo = tmp_path / "from_a_pipe.txt"  # as `<(zcat articles.gz)` gives
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(ARTICLE, encoding="utf-8"))
    writer.start()
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, fifo, "/dev/null", "-o", out) == 0
    writer.join(30)
    records = strict_records(out)
    assert [(r["id"], r["chars"]) for r in records] == [("from_a_pipe", len(ARTICLE)), ("null", 0)]
