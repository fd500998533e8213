"""Batch prediction command: one record per input document, encodings, error records, formats, resume."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zhaoshang_ner import batch, cli
from zhaoshang_ner.predictor import Predictor

ROOT = Path(__file__).resolve().parents[1]
TEXT = "临沂市招商引资签约130亿元新能源项目，由山东某集团投资建设。"
TRADITIONAL = "臺灣企業在蘇州簽約投資二十億元，建設半導體項目。"
OTHER = "另一篇同名文章。"


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
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_folder_records_encodings_and_errors(tiny_model_dir, articles, tmp_path, capsys):
    out = tmp_path / "out" / "preds.jsonl"
    assert predict(tiny_model_dir, articles, "--output", out) == 0
    records = {r["id"]: r for r in read_jsonl(out)}
    assert sorted(records) == ["a_utf8", "b_bom", "c_gb", "d_big5", "e_binary", "sub/a_utf8"]
    assert {i: r.get("encoding") for i, r in records.items()} == {
        "a_utf8": "utf-8", "b_bom": "utf-8-sig", "c_gb": "gb18030", "d_big5": "big5", "e_binary": None,
        "sub/a_utf8": "utf-8"}
    assert "NUL" in records["e_binary"]["error"] and "entities" not in records["e_binary"]
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
    assert predict(tiny_model_dir, source, "-o", out) == 0
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
    assert predict(tiny_model_dir, articles, "-o", out, "--batch-size", "2") == 0
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == batch.CSV_COLUMNS
    assert {r["id"] for r in rows} == {"a_utf8", "b_bom", "c_gb", "d_big5", "e_binary", "sub/a_utf8"}
    errors = [r for r in rows if r["error"]]
    assert [r["id"] for r in errors] == ["e_binary"] and errors[0]["label"] == ""
    for row in rows:
        if row["label"]:
            assert int(row["start"]) < int(row["end"]) and row["text"] and 0 <= float(row["score"]) <= 1


def test_resume_keeps_done_records_and_predicts_the_rest(tiny_model_dir, articles, tmp_path):
    out = tmp_path / "preds.jsonl"
    done = [{"id": "a_utf8", "source": "kept", "encoding": "utf-8", "chars": -1, "entities": []},
            {"id": "e_binary", "source": "kept", "error": "kept"}]
    (tmp_path / "preds.jsonl.partial").write_text("".join(json.dumps(r) + "\n" for r in done), encoding="utf-8")
    assert predict(tiny_model_dir, articles, "-o", out) == 2  # a partial file is never silently overwritten
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 0
    records = read_jsonl(out)
    ids = [r["id"] for r in records]
    assert ids == ["a_utf8", "b_bom", "c_gb", "e_binary", "sub/a_utf8", "d_big5"]  # input order
    assert [r for r in records if r["source"] == "kept"] == done
    assert not (tmp_path / "preds.jsonl.partial").exists()
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 0  # a finished output resumes too
    assert read_jsonl(out) == records


def test_interrupted_run_leaves_a_valid_partial_file(tiny_model_dir, articles, tmp_path, monkeypatch):
    calls = []
    real = Predictor.predict_many

    def dies_on_second_batch(self, texts, batch_size=None):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, texts, batch_size)

    monkeypatch.setattr(Predictor, "predict_many", dies_on_second_batch)
    out = tmp_path / "preds.csv"
    assert predict(tiny_model_dir, articles, "-o", out, "--batch-size", "2") == 130
    assert not out.exists()
    with open(tmp_path / "preds.csv.partial", encoding="utf-8", newline="") as handle:
        assert {r["id"] for r in csv.DictReader(handle)} == {"a_utf8", "b_bom"}
    monkeypatch.setattr(Predictor, "predict_many", real)
    assert predict(tiny_model_dir, articles, "-o", out, "--resume") == 0
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["id"] for r in rows]
    assert set(ids) == {"a_utf8", "b_bom", "c_gb", "d_big5", "e_binary", "sub/a_utf8"}
    assert ids == sorted(ids, key=ids.index)  # each document's rows are contiguous: no duplicates


def test_stdout_via_script_wrapper(tiny_model_dir):
    cmd = [sys.executable, str(ROOT / "scripts" / "predict.py"), str(ROOT / "examples" / "articles"),
           "--model", str(tiny_model_dir), "--output", "-", "--threads", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["encoding"] for r in records) == ["big5", "gb18030", "utf-8"]
    assert all(300 <= r["chars"] <= 800 for r in records)


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
    assert cli.main(["predict", str(articles), "--model", str(tiny_model_dir), "-o", str(out)]) == 0
    assert len(read_jsonl(out)) == 6
