"""Label conflicts, missed occurrences, the one-character rule and the allowlist."""

from pathlib import Path

import pytest

from zhaoshang_ner.consistency import check, format_findings, read_allowlist
from zhaoshang_ner.documents import Document, Span, read_documents

ROOT = Path(__file__).parents[1]


def make(doc_id: str, text: str, *spans: tuple[str, str]) -> Document:
    """Annotate the first occurrence of each `(string, label)`."""
    entities = [Span(text.index(s), text.index(s) + len(s), label, s) for s, label in spans]
    return Document(doc_id, text, entities)


def test_host_and_partner_are_one_class_for_conflicts():
    """The role of a place depends on its article (spec), so HOST vs PARTNER is not a conflict."""
    docs = [make("a", "赴深圳招商", ("深圳", "PARTNER_REGION")), make("b", "落户深圳市", ("深圳", "HOST_REGION"))]
    assert check(docs) == []


def test_label_conflict_lists_every_occurrence():
    docs = [make("a", "赴深圳招商", ("深圳", "PARTNER_REGION")), make("b", "落户深圳市", ("深圳", "COMPANY"))]
    (finding,) = check(docs)
    assert finding.kind == "label-conflict" and finding.string == "深圳"
    assert [(o.doc_id, o.start, o.label) for o in finding.occurrences] == [("a", 1, "PARTNER_REGION"), ("b", 2, "COMPANY")]


def test_unannotated_occurrence_with_context():
    docs = [make("a", "赴深圳招商", ("深圳", "PARTNER_REGION")), make("b", "在深圳举办签约活动")]
    (finding,) = check(docs)
    assert finding.kind == "unannotated"
    (occ,) = finding.occurrences
    assert (occ.doc_id, occ.start, occ.end, occ.label, occ.context) == ("b", 1, 3, None, "在[深圳]举办签约活动")


def test_occurrences_inside_or_across_spans_are_not_flagged():
    docs = [
        make("a", "赴深圳招商", ("深圳", "PARTNER_REGION")),
        make("b", "深圳百斯特等项目", ("深圳百斯特", "COMPANY")),
        make("c", "前深圳", ("前深", "ORG")),
    ]
    assert check(docs) == []


def test_one_character_strings_are_not_searched():
    assert check([make("a", "在淮投资", ("淮", "HOST_REGION")), make("b", "淮河")]) == []


def test_allowlist_suppresses_and_rejects_lines_without_reason(tmp_path):
    docs = [make("a", "赴上海招商", ("上海", "PARTNER_REGION")), make("b", "人民网上海电")]
    allow = tmp_path / "allow.txt"
    allow.write_text("# comment\n\n上海\tdateline only\n", encoding="utf-8")
    assert read_allowlist(allow) == {"上海": "dateline only"}
    assert check(docs, read_allowlist(allow)) == []
    allow.write_text("上海\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"allow.txt:1: expected 'string<TAB>reason'"):
        read_allowlist(allow)


def test_format_names_doc_offset_and_context():
    docs = [make("a", "赴深圳招商", ("深圳", "PARTNER_REGION")), make("b", "第一行\n深圳", ("深圳", "COMPANY"))]
    assert format_findings(check(docs)) == (
        "'深圳' has labels COMPANY, PARTNER_REGION:\n"
        "  a @1 PARTNER_REGION: 赴[深圳]招商\n"
        "  b @4 COMPANY: 第一行\\n[深圳]\n"
        "1 finding(s)\n"
    )


def test_gold_is_clean_with_its_allowlist():
    docs = read_documents(ROOT / "annotations" / "gold.jsonl")
    allow = read_allowlist(ROOT / "annotations" / "consistency-allow.txt")
    assert format_findings(check(docs, allow)) == "0 finding(s)\n"
    assert check(docs), "the allowlist should be needed, or it is stale"
