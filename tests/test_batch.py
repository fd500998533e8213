"""Batch prediction command: one record per input document, encodings, error records, formats, resume,
output safety, the lock, checkpoints of long documents, signals and exit codes (issue 12's items)."""

import csv
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock

from zhaoshang_ner import batch, cli, predictor as predictor_module
from zhaoshang_ner.predictor import Entity, Predictor
from zhaoshang_ner.windows import text_blocks

ROOT = Path(__file__).resolve().parents[1]
TEXT = "临沂市招商引资签约130亿元新能源项目，由山东某集团投资建设。"
TRADITIONAL = "臺灣企業在蘇州簽約投資二十億元，建設半導體項目。"
OTHER = "另一篇同名文章。"
IDS = ["a_utf8", "b_bom", "c_gb", "d_big5", "e_binary", "sub/a_utf8"]


@pytest.fixture()
def articles(tmp_path) -> Path:
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    (folder / "a_utf8.txt").write_bytes(TEXT.encode("utf-8"))
    (folder / "b_bom.txt").write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    (folder / "c_gb.txt").write_bytes(TEXT.encode("gb18030"))
    (folder / "sub" / "d_big5.txt").write_bytes(TRADITIONAL.encode("big5"))
    (folder / "sub" / "a_utf8.txt").write_bytes(OTHER.encode("utf-8"))
    (folder / "e_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    return folder


def predict(model_dir, *args) -> int:
    return batch.main([*map(str, args), "--model", str(model_dir)])


def read_jsonl(path) -> list[dict]:
    """Strict JSON: NaN and Infinity are refused, as any strict reader refuses them."""
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")
    return [json.loads(line, parse_constant=refuse) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_folder_records_encodings_and_errors(tiny_model_dir, articles, tmp_path, capsys):
    out = tmp_path / "out" / "preds.jsonl"
    assert predict(tiny_model_dir, articles, "--output", out) == 1  # 1: there is an error record
    records = {r["id"]: r for r in read_jsonl(out)}
    assert sorted(records) == IDS
    assert {i: r.get("encoding") for i, r in records.items()} == {
        "a_utf8": "utf-8", "b_bom": "utf-8-sig", "c_gb": "gb18030", "d_big5": "big5", "e_binary": None,
        "sub/a_utf8": "utf-8"}
    assert "binary data" in records["e_binary"]["error"] and "entities" not in records["e_binary"]
    assert records["b_bom"]["chars"] == len(TEXT) and records["d_big5"]["chars"] == len(TRADITIONAL)
    assert records["c_gb"]["source"] == str(articles / "c_gb.txt")
    texts = {"d_big5": TRADITIONAL, "sub/a_utf8": OTHER}
    for r in records.values():
        text = texts.get(r["id"], TEXT)
        assert all(text[e["start"] : e["end"]] == e["text"] for e in r.get("entities", []))
    assert not list(out.parent.glob("*.partial")) and not list(out.parent.glob(".*tmp"))
    err = capsys.readouterr().err
    assert "6 documents" in err and "1 errors" in err and "e_binary" in err


def test_jsonl_input_with_bad_lines(tiny_model_dir, tmp_path):
    source = tmp_path / "docs.jsonl"
    lines = [json.dumps({"id": "x1", "text": TEXT}, ensure_ascii=False), "{not json", "",
             json.dumps({"text": TRADITIONAL}, ensure_ascii=False), json.dumps({"id": "x2"}), "[1, 2]",
             json.dumps({"id": "x1", "text": "重复"}, ensure_ascii=False)]
    gbk_line = b'{"id": "g", "text": "' + "中文".encode("gbk") + b'"}\n'
    source.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + gbk_line)
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, source, "-o", out) == 1
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["x1", f"{source}:2", f"{source}:4", "x2", f"{source}:6", f"{source}:7",
                                          f"{source}:8"]
    assert [("error" in r) for r in records] == [False, True, False, True, True, True, True]
    assert "not UTF-8" in records[6]["error"]
    assert "invalid JSON" in records[1]["error"] and "`text`" in records[3]["error"]
    assert "duplicate id 'x1'" in records[5]["error"]
    assert records[2]["chars"] == len(TRADITIONAL) and records[2]["source"] == str(source)


def test_csv_output(tiny_model_dir, articles, tmp_path):
    out = tmp_path / "preds.csv"
    assert predict(tiny_model_dir, articles, "-o", out, "--batch-size", "2") == 1
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == batch.CSV_COLUMNS
    assert {r["id"] for r in rows} == set(IDS)
    errors = [r for r in rows if r["error"]]
    assert [r["id"] for r in errors] == ["e_binary"] and errors[0]["label"] == ""
    for row in rows:
        if row["label"]:
            assert int(row["start"]) < int(row["end"]) and row["text"] and 0 <= float(row["score"]) <= 1


def test_resume_keeps_done_records_and_predicts_the_rest(tiny_model_dir, articles, tmp_path):
    out = tmp_path / "preds.jsonl"
    done = [{"id": "a_utf8", "source": str(articles / "a_utf8.txt"), "encoding": "utf-8", "chars": -1,
             "entities": []}]
    write_jsonl(tmp_path / "preds.jsonl.partial", done)
    assert predict(tiny_model_dir, articles, "-o", out) == 2  # a partial file is never silently overwritten
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 1
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["a_utf8", "b_bom", "c_gb", "e_binary", "sub/a_utf8", "d_big5"]  # input order
    assert records[0] == done[0]
    assert not (tmp_path / "preds.jsonl.partial").exists()
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 1  # a finished output resumes too
    assert read_jsonl(out) == records


def test_interrupted_run_leaves_a_valid_checkpoint(tiny_model_dir, articles, tmp_path, monkeypatch, capsys):
    calls = []
    real = Predictor.finish

    def dies_on_third_document(self, text, candidates):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, text, candidates)

    monkeypatch.setattr(Predictor, "finish", dies_on_third_document)
    out = tmp_path / "preds.csv"
    assert predict(tiny_model_dir, articles, "-o", out, "--batch-size", "2") == 130
    assert not out.exists()
    assert {r["id"] for r in read_jsonl(tmp_path / "preds.csv.partial")} == {"a_utf8", "b_bom"}
    assert "stopped by SIGINT" in capsys.readouterr().err
    monkeypatch.setattr(Predictor, "finish", real)
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 1
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["id"] for r in rows]
    assert set(ids) == set(IDS)
    assert ids == sorted(ids, key=ids.index)  # each document's rows are contiguous: no duplicates


def test_stdout_via_script_wrapper(tiny_model_dir):
    cmd = [sys.executable, str(ROOT / "scripts" / "predict.py"), str(ROOT / "examples" / "articles"),
           "--model", str(tiny_model_dir), "--output", "-", "--threads", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["encoding"] for r in records) == ["big5", "gb18030", "utf-8"]
    assert all(300 <= r["chars"] <= 800 for r in records)
    assert "Loading weights" not in done.stderr  # item 19: no transformers loading bar


def test_bad_usage_is_a_clear_error(tiny_model_dir, articles, tmp_path, capsys, monkeypatch):
    assert predict(tiny_model_dir, articles, "-o", "-", "--resume") == 2
    assert predict(tiny_model_dir, tmp_path / "missing", "-o", "-") == 2
    monkeypatch.setattr(batch, "DEFAULT_MODEL", tmp_path / "no-model")
    assert batch.main([str(articles), "-o", "-"]) == 2
    err = capsys.readouterr().err
    assert "needs an output file" in err and "no such file" in err and "pass --model" in err
    assert "Traceback" not in err


def test_cli_subcommand(tiny_model_dir, articles, tmp_path):
    out = tmp_path / "cli.jsonl"
    assert cli.main(["predict", str(articles), "--model", str(tiny_model_dir), "-o", str(out)]) == 1
    assert len(read_jsonl(out)) == 6


# ---------------------------------------------------------------------------------------------- issue 12


def no_model_load(monkeypatch):
    """Fail the test if the model is loaded: errors about the output must come before any work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded before the output was checked")
    monkeypatch.setattr(Predictor, "from_pretrained", refuse)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_item_01_dev_null_is_written_through_not_replaced(tiny_model_dir, articles, tmp_path):
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    assert predict(tiny_model_dir, articles, "-o", null) == 1
    assert stat.S_ISCHR(os.stat(null).st_mode) and os.stat(null).st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles", "null"]  # no partial, no lock, no temp


def test_item_01_fifo_output_is_written_through(tiny_model_dir, articles, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    assert predict(tiny_model_dir, articles, "-o", fifo) == 1
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(json.loads(line)["id"] for line in received[0].splitlines()) == IDS


def test_item_01_symlinked_output_is_written_through(tiny_model_dir, articles, tmp_path):
    real = tmp_path / "real" / "preds.jsonl"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert predict(tiny_model_dir, articles, "-o", link) == 1
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert len(read_jsonl(real)) == 6 and stat.S_IMODE(os.stat(real).st_mode) == 0o640  # mode kept


def test_item_01_read_only_output_is_refused_up_front(tiny_model_dir, articles, tmp_path, monkeypatch, capsys):
    out = tmp_path / "preds.jsonl"
    out.write_text("keep me\n", encoding="utf-8")
    os.chmod(out, 0o444)
    no_model_load(monkeypatch)
    assert predict(tiny_model_dir, articles, "-o", out) == 2
    assert out.read_text(encoding="utf-8") == "keep me\n" and stat.S_IMODE(os.stat(out).st_mode) == 0o444
    assert "read-only" in capsys.readouterr().err and not (tmp_path / "preds.jsonl.partial").exists()


def test_item_02_second_run_on_a_busy_output_is_refused(tiny_model_dir, articles, tmp_path, monkeypatch, capsys):
    out = tmp_path / "preds.jsonl"
    partial = tmp_path / "preds.jsonl.partial"
    partial.write_text('{"id": "live", "source": "x", "chars": 0, "entities": []}\n', encoding="utf-8")
    no_model_load(monkeypatch)
    with FileLock(tmp_path / ".preds.jsonl.lock", timeout=0):  # a live run holds the lock
        assert predict(tiny_model_dir, articles, "-o", out) == 2
        assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 2
    assert partial.read_text(encoding="utf-8").startswith('{"id": "live"')  # the live run's checkpoint is intact
    err = capsys.readouterr().err
    assert err.count("being written by another run") == 2 and "interrupted" not in err


def test_item_03_lone_surrogate_is_an_error_record_not_a_crash(tiny_model_dir, tmp_path):
    source = tmp_path / "docs.jsonl"
    source.write_text('{"id": "ok1", "text": "临沂市签约"}\n{"id": "x", "text": "a\\ud800b"}\n'
                      '{"id": "ok2", "text": "兰山区招商"}\n', encoding="utf-8")
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, source, "-o", out) == 1
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["ok1", "x", "ok2"]
    assert "lone surrogate U+D800" in records[1]["error"] and "entities" in records[2]
    assert predict(tiny_model_dir, source, "-o", out, "--resume") == 1  # retried, and no crash either


def test_item_03_a_text_that_breaks_the_model_costs_only_its_record(tiny_model_dir, articles, tmp_path,
                                                                    monkeypatch):
    real = predictor_module.tokenize

    def breaks_on_big5(tokenizer, text):
        if "蘇州" in text:
            raise TypeError("tokenizer refuses this text")
        return real(tokenizer, text)

    monkeypatch.setattr(predictor_module, "tokenize", breaks_on_big5)
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, articles, "-o", out, "--batch-size", "8") == 1
    records = {r["id"]: r for r in read_jsonl(out)}
    assert sorted(records) == IDS
    assert "prediction failed: TypeError" in records["d_big5"]["error"]
    assert all("entities" in r for i, r in records.items() if i not in ("d_big5", "e_binary"))


@pytest.mark.parametrize("where", ["a directory", "/proc", "under a file"])
def test_item_04_unwritable_output_is_refused_before_any_work(tiny_model_dir, articles, tmp_path, monkeypatch,
                                                              capsys, where):
    out = {"a directory": tmp_path, "/proc": Path("/proc/zhaoshang-test/preds.jsonl"),
           "under a file": articles / "a_utf8.txt" / "preds.jsonl"}[where]
    no_model_load(monkeypatch)
    assert predict(tiny_model_dir, articles, "-o", out) == 2
    err = capsys.readouterr().err
    assert str(out) in err and ".tmp" not in err and "Traceback" not in err


def small_blocks(monkeypatch, size: int = 150) -> None:
    """Blocks of `size` characters instead of 20,000, so that a test document has many."""
    cut = lambda text, max_chars=size: text_blocks(text, size)  # noqa: E731
    monkeypatch.setattr(predictor_module, "text_blocks", cut)
    monkeypatch.setattr(batch, "text_blocks", cut)


def test_item_05_long_document_progress_is_checkpointed_and_resumed(tiny_model_dir, gold_documents, tmp_path,
                                                                    monkeypatch, capsys):
    small_blocks(monkeypatch)
    long_text = "\n".join(d.text[:400] for d in gold_documents[:3])
    source = write_jsonl(tmp_path / "long.jsonl", [{"id": "short", "text": TEXT}, {"id": "long", "text": long_text}])
    blocks = len(text_blocks(long_text, 150))
    assert blocks >= 6
    clean = tmp_path / "clean.jsonl"
    assert predict(tiny_model_dir, source, "-o", clean) == 0
    assert "char" in capsys.readouterr().err  # progress is counted in characters

    real, seen = Predictor.blocks, []

    def killed_after_four_blocks(self, texts, batch_size=None, progress=None, start_blocks=None):
        for block, found in real(self, texts, batch_size, progress, start_blocks):
            seen.append((block.doc, block.offset))
            if len(seen) == 5 and killing:
                raise KeyboardInterrupt
            yield block, found

    monkeypatch.setattr(Predictor, "blocks", killed_after_four_blocks)
    monkeypatch.setattr(batch, "FLUSH_SECONDS", 0.0)  # checkpoint after every block
    out = tmp_path / "preds.jsonl"
    killing = True
    assert predict(tiny_model_dir, source, "-o", out) == 130
    lines = read_jsonl(tmp_path / "preds.jsonl.partial")
    assert lines[0]["id"] == "short" and lines[-1]["in_progress"]["blocks"] == 3  # short, then 3 blocks of long
    seen.clear()
    killing = False
    assert predict(tiny_model_dir, source, "-o", out, "--resume") == 0
    assert len(seen) == blocks - 3  # only the blocks not checkpointed are predicted again
    assert read_jsonl(out) == read_jsonl(clean)  # and the result is the uninterrupted one


def test_item_06_sigterm_saves_and_exits_143(tiny_model_dir, tmp_path):
    source = write_jsonl(tmp_path / "many.jsonl", [{"id": f"d{i}", "text": TEXT * 4} for i in range(3000)])
    out = tmp_path / "preds.jsonl"
    cmd = [sys.executable, "-m", "zhaoshang_ner.batch", str(source), "-o", str(out), "--model", str(tiny_model_dir),
           "--threads", "1", "--batch-size", "4"]
    process = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    partial = tmp_path / "preds.jsonl.partial"
    deadline = time.monotonic() + 120
    while not (partial.exists() and partial.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err[-2000:]
    assert "stopped by SIGTERM" in err and "--resume" in err and "Traceback" not in err
    saved = read_jsonl(partial)
    assert 0 < len(saved) < 3000
    assert not out.exists()


def test_item_07_08_max_length_beyond_the_model_is_a_usage_error_leaving_nothing(tiny_model_dir, articles, tmp_path,
                                                                                 capsys):
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, articles, "-o", out, "--max-length", "100000") == 2
    err = capsys.readouterr().err
    assert "max_length 100000" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".preds.jsonl.lock", "articles"]  # no partial (item 8)
    assert predict(tiny_model_dir, articles, "-o", out) == 1  # so the next run just runs


def test_item_09_jsonl_suffixes_in_any_case_and_odd_folder_entries(tiny_model_dir, tmp_path):
    upper = write_jsonl(tmp_path / "IN.JSONL", [{"id": "u1", "text": TEXT}, {"id": "u2", "text": OTHER}])
    ndjson = write_jsonl(tmp_path / "more.ndjson", [{"id": "n1", "text": TEXT}])
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "LOUD.TXT").write_text(TEXT, encoding="utf-8")
    (folder / "gone.txt").symlink_to(folder / "missing.txt")
    os.mkfifo(folder / "pipe.txt")
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, upper, ndjson, folder, "-o", out) == 1
    records = {r["id"]: r for r in read_jsonl(out)}
    assert sorted(records) == ["LOUD", "gone", "n1", "pipe", "u1", "u2"]
    assert "entities" in records["LOUD"] and records["u2"]["chars"] == len(OTHER)
    assert "dangling" in records["gone"]["error"] and "FIFO" in records["pipe"]["error"]


def test_item_10_output_is_strict_json(tiny_model_dir, articles, tmp_path, monkeypatch):
    real = Predictor.finish

    def not_a_number(self, text, candidates):
        return [*real(self, text, candidates), Entity(0, 1, "AMOUNT", text[:1], float("nan"))]

    monkeypatch.setattr(Predictor, "finish", not_a_number)
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, articles, "-o", out) == 1
    records = read_jsonl(out)  # strict: would raise on NaN
    assert len(records) == 6 and all("not strict JSON" in r["error"] for r in records if r["id"] != "e_binary")
    with pytest.raises(ValueError):
        batch.json_line({"value": float("inf")})


def test_item_11_resume_with_a_clashing_new_input_renames_and_duplicates_nothing(tiny_model_dir, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, text in ((first, TEXT), (second, OTHER)):
        folder.mkdir()
        (folder / "report.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, first, "-o", out) == 0
    before = read_jsonl(out)
    assert [r["id"] for r in before] == ["report"]
    assert predict(tiny_model_dir, first, second, "-o", out, "--resume") == 0
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["report", str(second / "report.txt")]
    assert records[0] == before[0] and records[1]["chars"] == len(OTHER)


def test_item_12_resume_retries_errors_and_drops_removed_inputs(tiny_model_dir, tmp_path, capsys):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "fixed.txt").write_bytes(b"\x00\x01\x02 broken")
    (folder / "removed.txt").write_text(OTHER, encoding="utf-8")
    (folder / "kept.txt").write_text(TEXT, encoding="utf-8")
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, folder, "-o", out) == 1
    (folder / "fixed.txt").write_text(TEXT, encoding="utf-8")
    (folder / "removed.txt").unlink()
    assert predict(tiny_model_dir, folder, "-o", out, "--resume") == 0
    records = {r["id"]: r for r in read_jsonl(out)}
    assert sorted(records) == ["fixed", "kept"] and "entities" in records["fixed"]
    assert "1 earlier records of documents no longer among the inputs left out" in capsys.readouterr().err


def test_item_13_damaged_utf8_bytes_are_flagged(tiny_model_dir, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "damaged.txt").write_bytes(TEXT.encode("utf-8")[:-3] + b"\xff\xfe")  # "。" became two bad bytes
    (folder / "clean.txt").write_text(TEXT, encoding="utf-8")
    out = tmp_path / "preds.csv"
    assert predict(tiny_model_dir, folder, "-o", out) == 0
    with open(out, encoding="utf-8", newline="") as handle:
        replaced = {row["id"]: row["replaced"] for row in csv.DictReader(handle)}
    assert replaced == {"clean": "", "damaged": "2"}


def test_item_14_predict_many_refuses_a_string(tiny_model_dir):
    predictor = Predictor.from_pretrained(tiny_model_dir, device="cpu")
    with pytest.raises(TypeError, match="list of texts"):
        predictor.predict_many("签约项目")


def test_item_16_utf16_with_bom_and_a_stray_nul_are_read(tiny_model_dir, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "utf16.txt").write_bytes(TEXT.encode("utf-16"))
    (folder / "nul.txt").write_bytes((TEXT * 3).encode("utf-8").replace("。".encode(), b"\x00", 1))
    out = tmp_path / "preds.jsonl"
    assert predict(tiny_model_dir, folder, "-o", out) == 0
    records = {r["id"]: r for r in read_jsonl(out)}
    assert records["utf16"]["encoding"] == "utf-16" and records["utf16"]["chars"] == len(TEXT)
    assert records["nul"]["chars"] == 3 * len(TEXT)


def test_item_17_a_stale_partial_is_told_apart_from_a_live_run(tiny_model_dir, articles, tmp_path, capsys):
    (tmp_path / "preds.jsonl.partial").write_text("", encoding="utf-8")
    assert predict(tiny_model_dir, articles, "-o", tmp_path / "preds.jsonl") == 2
    assert "interrupted run (no run is writing it now)" in capsys.readouterr().err


def test_invariant_a_partial_that_is_not_a_regular_file_is_refused_untouched(tiny_model_dir, articles, tmp_path):
    elsewhere = tmp_path / "precious.txt"
    elsewhere.write_text("precious", encoding="utf-8")
    (tmp_path / "preds.jsonl.partial").symlink_to(elsewhere)
    assert predict(tiny_model_dir, articles, "-o", tmp_path / "preds.jsonl", "--resume") == 2
    assert elsewhere.read_text(encoding="utf-8") == "precious"


def test_invariant_a_checkpoint_cut_by_a_kill_resumes_and_a_foreign_one_is_kept(tiny_model_dir, articles, tmp_path,
                                                                                capsys):
    out, partial = tmp_path / "preds.jsonl", tmp_path / "preds.jsonl.partial"
    kept = {"id": "a_utf8", "source": str(articles / "a_utf8.txt"), "encoding": "utf-8", "chars": -1, "entities": []}
    partial.write_text(json.dumps(kept) + '\n{"id": "b_bom", "sour', encoding="utf-8")  # kill -9 mid-line
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 1
    records = read_jsonl(out)
    assert [r["id"] for r in records][:2] == ["a_utf8", "b_bom"] and records[0] == kept and len(records) == 6
    foreign = "my notes, not a checkpoint\n" + json.dumps(kept) + "\n"
    partial.write_text(foreign, encoding="utf-8")
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 2
    assert partial.read_text(encoding="utf-8") == foreign and f"{partial}:1: not a record" in capsys.readouterr().err
