"""Round trips through doccano and Label Studio on the real gold file, and clear errors on bad input."""

import json
from pathlib import Path

import pytest

from zhaoshang_ner.documents import JsonlError, read_documents
from zhaoshang_ner.interop import guess_format, read_any, to_doccano, to_labelstudio, write_any

GOLD = Path(__file__).parents[1] / "annotations" / "gold.jsonl"


@pytest.mark.parametrize(("fmt", "name"), [("doccano", "gold.doccano.jsonl"), ("labelstudio", "gold.ls.json")])
def test_round_trip_is_byte_identical(tmp_path, fmt, name):
    exported, back = tmp_path / name, tmp_path / "back.jsonl"
    write_any(exported, read_documents(GOLD), fmt)
    assert guess_format(exported) == fmt
    write_any(back, read_any(exported, fmt), "gold")
    assert back.read_bytes() == GOLD.read_bytes()


def test_doccano_record_shape():
    doc = read_documents(GOLD)[0]
    record = to_doccano(doc)
    assert set(record) == {"id", "text", "label", "meta"}
    assert {k: record["meta"][k] for k in ("source", "sha256", "status", "annotator")} == {
        "source": doc.source, "sha256": doc.sha256, "status": doc.status, "annotator": doc.annotator}
    assert "text" not in record["meta"]
    start, end, label = record["label"][0]
    assert doc.text[start:end] and label in {s.label for s in doc.entities}


def test_labelstudio_task_shape():
    doc = read_documents(GOLD)[0]
    task = to_labelstudio(doc)
    assert {k: task["data"][k] for k in ("id", "text", "source", "sha256", "status", "annotator")} == {
        "id": doc.id, "text": doc.text, "source": doc.source, "sha256": doc.sha256, "status": doc.status,
        "annotator": doc.annotator}
    result = task["annotations"][0]["result"][0]
    assert {k: result[k] for k in ("from_name", "to_name", "type")} == {"from_name": "label", "to_name": "text", "type": "labels"}
    value = result["value"]
    assert doc.text[value["start"] : value["end"]] == value["text"] and len(value["labels"]) == 1


def test_guess_format_of_gold():
    assert guess_format(GOLD) == "gold"


def test_bad_doccano_span_names_the_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "a", "text": "abc", "label": []}\n{"id": "b", "text": "abc", "label": [[0, 9, "ORG"]]}\n')
    with pytest.raises(JsonlError, match=r"d.jsonl:2: span \[0,9\) out of range for text of length 3"):
        read_any(path, "doccano")


def test_bad_labelstudio_task_names_the_task(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"data": {"id": "a", "text": "abc"}}, {"data": {"text": "abc"}}]))
    with pytest.raises(ValueError, match=r"t.json: task #1: expected 'data' with string 'id' and 'text'"):
        read_any(path, "labelstudio")
    path.write_text("{")
    with pytest.raises(ValueError, match="t.json: invalid JSON"):
        read_any(path, "labelstudio")


def test_a_tool_file_whose_text_changed_is_refused_as_gold(tmp_path):
    exported = tmp_path / "gold.doccano.jsonl"
    doc = read_documents(GOLD)[0]
    doc.text = doc.text.replace("临沂", "淮安", 1)
    write_any(exported, [doc], "doccano")
    with pytest.raises(ValueError, match=f"{doc.id}: its text differs from {doc.source}"):
        write_any(tmp_path / "back.jsonl", read_any(exported, "doccano"), "gold")
    assert not (tmp_path / "back.jsonl").exists()
