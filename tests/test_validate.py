"""One bad-input fixture per validator rule: the reason text and the FILE:LINE location, on stand-off records."""

import hashlib
import json
from pathlib import Path

import pytest

from zhaoshang_ner.sources import ArticleStore
from zhaoshang_ner.validate import edge_reason, validate_file, validate_files

ROOT = Path(__file__).parents[1]
SHARED = ROOT.parent / "shared"
TEXT = "临沂招商 引资（临沂）项目"
SHA = hashlib.sha256(TEXT.encode()).hexdigest()


@pytest.fixture
def store(tmp_path) -> ArticleStore:
    """An articles folder with one article `a/d1.txt` holding TEXT, and a paragraphs file."""
    (tmp_path / "articles" / "a").mkdir(parents=True)
    (tmp_path / "articles" / "a" / "d1.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "articles" / "a" / "d2.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "articles" / "corpus-paragraphs.jsonl").write_text(
        json.dumps({"id": "p1", "text": TEXT, "shard": "corpus-000.txt.gz"}, ensure_ascii=False) + "\n", encoding="utf-8")
    return ArticleStore(tmp_path / "articles")


def write_lines(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines), encoding="utf-8")
    return path


def doc(entities: list, doc_id: str = "d1", source: str | None = None, **fields) -> dict:
    source = source or f"a/{doc_id}.txt"
    return {"id": doc_id, "source": source, "sha256": SHA, "status": "annotated", "annotator": "test",
            **fields, "entities": entities}


def ent(start: int, end: int, label: str = "HOST_REGION", text: str | None = None) -> dict:
    return {"start": start, "end": end, "label": label, "text": TEXT[start:end] if text is None else text}


def only_problem(tmp_path: Path, store, lines: list) -> str:
    path = write_lines(tmp_path / "in.jsonl", lines)
    problems = validate_file(path, store)
    assert len(problems) == 1, [str(p) for p in problems]
    return str(problems[0]).replace(str(path), "FILE")


def test_clean_document_has_no_problems(tmp_path, store):
    assert validate_file(write_lines(tmp_path / "ok.jsonl", [doc([ent(0, 2), ent(5, 13, "PROJECT")])]), store) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "FILE:2 id=?: invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
        ("[1, 2]", "FILE:2 id=?: line is not a JSON object"),
        ({k: v for k, v in doc([], "d2").items() if k != "id"}, "FILE:2 id=?: missing field 'id'"),
        ({**doc([], "d2"), "id": 7}, "FILE:2 id=?: field 'id' must be str, got int"),
        ({**doc([], "d2"), "entities": {}}, "FILE:2 id=d2: field 'entities' must be list, got dict"),
        ({k: v for k, v in doc([], "d2").items() if k != "annotator"}, "FILE:2 id=d2: missing field 'annotator'"),
        (doc([], "d2", status="done"), "FILE:2 id=d2: status 'done' is not one of draft, annotated, reviewed"),
        ({**doc([], "d2"), "text": TEXT},
         "FILE:2 id=d2: carries the article text: annotation files are stand-off (source + sha256 only)"),
        (doc([], "d2", source="a/nope.txt"), "FILE:2 id=d2: a/nope.txt: no such file in ARTICLES"),
        ({**doc([], "d2"), "sha256": "0" * 64}, f"FILE:2 id=d2: a/d2.txt: SHA-256 is {SHA[:12]}…, the annotation "
         f"was made on 000000000000…: the source changed, re-check the annotation against it"),
        (doc([], "p1", source="corpus-paragraphs.jsonl#p1"),
         "FILE:2 id=p1: a corpus paragraph needs `group` (its corpus document, which keeps it in one fold)"),
        (doc(["x"], "d2"), "FILE:2 id=d2 entity #0 [?,?) ?: entity is not a JSON object"),
        (doc([{"start": "0", "end": 2, "label": "ORG", "text": "临沂"}], "d2"),
         "FILE:2 id=d2 entity #0 [0,2) ORG: field 'start' must be int, got str"),
        (doc([{"start": 0, "end": 2, "label": "ORG"}], "d2"), "FILE:2 id=d2 entity #0 [0,2) ORG: missing field 'text'"),
    ],
)
def test_structure_rules(tmp_path, store, line, expected):
    assert only_problem(tmp_path, store, [doc([]), line]).replace(str(store.root), "ARTICLES") == expected


@pytest.mark.parametrize(
    ("entity", "reason"),
    [
        (ent(2, 2, text=""), "[2,2) HOST_REGION: start must be < end"),
        (ent(10, 40, text="x"), "[10,40) HOST_REGION: offsets out of range for text of length 13"),
        (ent(-1, 2, text="x"), "[-1,2) HOST_REGION: offsets out of range for text of length 13"),
        (ent(0, 2, text="淮安"), "[0,2) HOST_REGION: text[0:2] is '临沂', entity text is '淮安'"),
        (ent(0, 2, "CITY"), "[0,2) CITY: unknown label 'CITY' (expected one of PROJECT, AMOUNT, PARTNER_REGION, HOST_REGION, COMPANY, ORG, PERSON, DATE, INDUSTRY)"),
        (ent(2, 5, "ORG"), "[2,5) ORG: span ends with whitespace or punctuation ' '"),
        (ent(4, 7, "ORG"), "[4,7) ORG: span starts with whitespace or punctuation ' '"),
        (ent(7, 10, "ORG"), "[7,10) ORG: span starts with whitespace or punctuation '（'"),
        (ent(8, 11, "ORG"), "[8,11) ORG: span ends with whitespace or punctuation '）'"),
    ],
)
def test_entity_rules(tmp_path, store, entity, reason):
    assert only_problem(tmp_path, store, [doc([entity])]) == f"FILE:1 id=d1 entity #0 {reason}"


@pytest.mark.parametrize(
    ("span_text", "ok"),
    [
        ("格力电器(临沂)智能制造", True),
        ("（临沂）", True),
        ("路虹(山东)", True),
        ("临沂）", False),
        ("【临沂", False),
        ("临沂\u3000", False),
        ("“临沂", False),
        ("临沂。", False),
        ("五彩姚庄·百香湖", True),
    ],
)
def test_edge_rule(span_text, ok):
    assert (edge_reason(span_text) is None) is ok


def test_overlap(tmp_path, store):
    problem = only_problem(tmp_path, store, [doc([ent(5, 13, "PROJECT"), ent(8, 10)])])
    assert problem == "FILE:1 id=d1 entity #1 [8,10) HOST_REGION: overlaps entity #0 [5,13)"


def test_duplicate_ids_and_sources_within_and_across_files(tmp_path, store):
    first = write_lines(tmp_path / "a.jsonl", [doc([])])
    second = write_lines(tmp_path / "b.jsonl", [doc([], "d2"), doc([])])
    assert [str(p) for p in validate_files([first, second], store)] == [
        f"{second}:2 id=d1: duplicate id, first seen at {first}:1",
        f"{second}:2 id=d1: duplicate source, first seen at {first}:1"]
    assert only_problem(tmp_path, store, [doc([]), doc([], "d9", source="a/d1.txt")]) == (
        "FILE:2 id=d9: duplicate source, first seen at FILE:1")


def test_keeps_going_after_problems(tmp_path, store):
    path = write_lines(tmp_path / "in.jsonl", ["{", doc([ent(0, 2, "CITY"), ent(2, 2, text="")]), "[]"])
    assert [p.line for p in validate_file(path, store)] == [1, 2, 2, 3]


def test_a_paragraph_source_with_its_group_is_clean(tmp_path, store):
    line = doc([ent(0, 2)], "corpus/p1", source="corpus-paragraphs.jsonl#p1", group="corpus-000:1")
    assert validate_file(write_lines(tmp_path / "p.jsonl", [line]), store) == []


@pytest.mark.skipif(not (SHARED / "articles").is_dir(), reason="../shared/articles is not beside the checkout")
def test_gold_file_is_clean():
    assert [str(p) for p in validate_file(ROOT / "annotations" / "gold.jsonl", SHARED / "articles")] == []
