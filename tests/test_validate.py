"""One bad-input fixture per validator rule: the reason text and the FILE:LINE location."""

import json
from pathlib import Path

import pytest

from zhaoshang_ner.validate import edge_reason, validate_file, validate_files

ROOT = Path(__file__).parents[1]
SHARED = ROOT.parent / "shared"
TEXT = "临沂招商 引资（临沂）项目"


def write_lines(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines), encoding="utf-8")
    return path


def doc(entities: list, doc_id: str = "d1", text: str = TEXT) -> dict:
    return {"id": doc_id, "text": text, "entities": entities}


def ent(start: int, end: int, label: str = "HOST_REGION", text: str | None = None) -> dict:
    return {"start": start, "end": end, "label": label, "text": TEXT[start:end] if text is None else text}


def only_problem(tmp_path: Path, lines: list, **kwargs) -> str:
    path = write_lines(tmp_path / "in.jsonl", lines)
    problems = validate_file(path, **kwargs)
    assert len(problems) == 1, [str(p) for p in problems]
    return str(problems[0]).replace(str(path), "FILE")


def test_clean_document_has_no_problems(tmp_path):
    assert validate_file(write_lines(tmp_path / "ok.jsonl", [doc([ent(0, 2), ent(5, 13, "PROJECT")])])) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "FILE:2 id=?: invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
        ("[1, 2]", "FILE:2 id=?: line is not a JSON object"),
        ({"text": TEXT, "entities": []}, "FILE:2 id=?: missing field 'id'"),
        ({"id": 7, "text": TEXT, "entities": []}, "FILE:2 id=?: field 'id' must be str, got int"),
        ({"id": "d2", "text": TEXT, "entities": {}}, "FILE:2 id=d2: field 'entities' must be list, got dict"),
        (doc(["x"], "d2"), "FILE:2 id=d2 entity #0 [?,?) ?: entity is not a JSON object"),
        (doc([{"start": "0", "end": 2, "label": "ORG", "text": "临沂"}], "d2"),
         "FILE:2 id=d2 entity #0 [0,2) ORG: field 'start' must be int, got str"),
        (doc([{"start": 0, "end": 2, "label": "ORG"}], "d2"), "FILE:2 id=d2 entity #0 [0,2) ORG: missing field 'text'"),
    ],
)
def test_structure_rules(tmp_path, line, expected):
    assert only_problem(tmp_path, [doc([]), line]) == expected


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
def test_entity_rules(tmp_path, entity, reason):
    assert only_problem(tmp_path, [doc([entity])]) == f"FILE:1 id=d1 entity #0 {reason}"


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


def test_overlap(tmp_path):
    problem = only_problem(tmp_path, [doc([ent(5, 13, "PROJECT"), ent(8, 10)])])
    assert problem == "FILE:1 id=d1 entity #1 [8,10) HOST_REGION: overlaps entity #0 [5,13)"


def test_duplicate_ids_within_and_across_files(tmp_path):
    first = write_lines(tmp_path / "a.jsonl", [doc([])])
    second = write_lines(tmp_path / "b.jsonl", [doc([], "d2"), doc([])])
    assert [str(p) for p in validate_files([first, second])] == [f"{second}:2 id=d1: duplicate id, first seen at {first}:1"]
    assert only_problem(tmp_path, [doc([]), doc([])]) == "FILE:2 id=d1: duplicate id, first seen at FILE:1"


def test_keeps_going_after_problems(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", ["{", doc([ent(0, 2, "CITY"), ent(2, 2, text="")]), "[]"])
    assert [p.line for p in validate_file(path)] == [1, 2, 2, 3]


def test_article_text_must_match(tmp_path):
    articles = tmp_path / "articles" / "seed"
    articles.mkdir(parents=True)
    (articles / "d1.txt").write_bytes(TEXT.replace("项目", "项目\r\n").encode())
    problem = only_problem(tmp_path, [doc([])], articles_dir=tmp_path / "articles")
    assert problem.startswith("FILE:1 id=d1: text differs from article ")
    assert problem.endswith("at character 13 (lengths 13 vs 15)")
    (articles / "d1.txt").write_bytes(TEXT.encode())
    assert only_problem(tmp_path, [doc([]), doc([], "d9")], articles_dir=tmp_path / "articles") == (
        "FILE:2 id=d9: no article file <articles>/**/d9.txt"
    )


@pytest.mark.skipif(not (SHARED / "articles").is_dir(), reason="../shared/articles is not beside the checkout")
def test_gold_file_is_clean():
    assert [str(p) for p in validate_file(ROOT / "annotations" / "gold.jsonl", SHARED / "articles")] == []
