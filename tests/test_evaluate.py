"""scripts/evaluate.py: scores and error kinds agree with the predictions; bad input exits 2."""

import importlib.util
import json
from pathlib import Path

from zhaoshang_ner.documents import Document, Span, write_documents
from zhaoshang_ner.metrics import entity_scores
from zhaoshang_ner.predictor import Predictor, spans_of

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("evaluate_script", ROOT / "scripts" / "evaluate.py")
evaluate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(evaluate)


def fixture(tmp_path, gold_documents) -> tuple[Path, list[Document]]:
    docs = [Document(d.id, d.text[:600], [s for s in d.entities if s.end <= 600]) for d in gold_documents[:3]]
    path = tmp_path / "data.jsonl"
    write_documents(path, docs)
    return path, docs


def test_model_report_matches_its_predictions(tmp_path, tiny_model_dir, gold_documents):
    data, docs = fixture(tmp_path, gold_documents)
    out = tmp_path / "eval"
    assert evaluate.main(["--model", str(tiny_model_dir), "--data", str(data), "--output", str(out),
                          "--device", "cpu"]) == 0
    report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    predicted = [spans_of(e) for e in Predictor.from_pretrained(tiny_model_dir, device="cpu")
                 .predict_many([d.text for d in docs])]
    assert report["scores"] == json.loads(json.dumps(entity_scores(docs, predicted)))
    # Every gold span is either matched exactly or is the gold side of exactly one error.
    matched = sum(len(set(d.entities) & set(p)) for d, p in zip(docs, predicted))
    with_gold = sum(1 for e in report["errors"] if e["gold"])
    assert matched + with_gold == sum(len(d.entities) for d in docs)
    markdown = out.with_suffix(".md").read_text(encoding="utf-8")
    assert report["command"] in markdown and "## Errors by kind" in markdown


def test_baseline_report_counts_spurious_predictions(tmp_path, gold_documents):
    data, docs = fixture(tmp_path, gold_documents)
    empty = tmp_path / "empty.jsonl"
    write_documents(empty, [Document(d.id, d.text, []) for d in docs])
    out = tmp_path / "eval"
    assert evaluate.main(["--baseline", "--data", str(empty), "--output", str(out)]) == 0
    report = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert report["errors"] and all(e["kind"] == "spurious" for e in report["errors"])
    assert report["scores"]["micro"]["f1"] == 0.0


def test_bad_data_line_exits_2_naming_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    good = Document("d1", "临沂市", [Span(0, 3, "HOST_REGION", "临沂市")])
    write_documents(bad, [good])
    bad.write_text(bad.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    assert evaluate.main(["--baseline", "--data", str(bad), "--output", str(tmp_path / "e")]) == 2
    assert f"{bad}:2" in capsys.readouterr().err
