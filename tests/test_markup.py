"""Inline markup: rendering, parsing, placing spans on the source, and the apply/preannotate loop."""

import json
from pathlib import Path

import pytest

from zhaoshang_ner.cli import main
from zhaoshang_ner.documents import Document, Span, read_documents, read_gold
from zhaoshang_ner.markup import MarkupError, apply_file, parse, render, render_file, spans_on_source
from zhaoshang_ner.sources import ArticleStore

TEXT = "青禾市招商引资签约12个项目，总投资86.5亿元。\n市中 区参加。"


@pytest.fixture
def store(tmp_path) -> ArticleStore:
    (tmp_path / "articles" / "news").mkdir(parents=True)
    (tmp_path / "articles" / "news" / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "articles" / "news" / "b.txt").write_bytes("臺灣企業來青禾投資".encode("big5"))
    return ArticleStore(tmp_path / "articles")


def test_render_and_parse_are_inverse():
    spans = [Span(0, 3, "HOST_REGION", "青禾市"), Span(18, 24, "AMOUNT", "86.5亿元")]
    markup = render(TEXT, spans)
    assert markup.startswith("{{HOST_REGION:青禾市}}招商") and "{{AMOUNT:86.5亿元}}。" in markup
    assert parse(markup) == (TEXT, spans)


@pytest.mark.parametrize(("markup", "message"), [
    ("{{CITY:青禾市}}", "unknown label 'CITY'"),
    ("{{HOST_REGION:青{{ORG:禾}}市}}", "nested braces"),
    ("青禾市}}招商", "unbalanced braces"),
    ("{{ORG: }}", "empty span"),
])
def test_bad_markup_is_refused(markup, message):
    with pytest.raises(MarkupError, match=message):
        parse(markup)


def test_whitespace_differences_are_tolerated_and_spans_keep_the_source_whitespace():
    markup = "  {{HOST_REGION:青禾市}}招商引资签约12个项目，总投资{{AMOUNT:86.5亿元}}。{{HOST_REGION:市中区}}参加。\n\n"
    spans = spans_on_source(markup, TEXT)
    assert [(s.start, s.end, s.text) for s in spans] == [(0, 3, "青禾市"), (18, 24, "86.5亿元"), (26, 30, "市中 区")]


def test_any_other_difference_is_an_error_naming_the_place():
    with pytest.raises(MarkupError, match=r"markup has '' where the source has '12个' \(source character 9"):
        spans_on_source("{{HOST_REGION:青禾市}}招商引资签约项目，总投资86.5亿元。市中 区参加。", TEXT)


def test_apply_file_replaces_drafts_keeps_group_and_records_the_draft_maker(store):
    draft = Document("news/a", TEXT, [Span(0, 2, "PERSON", "青禾")], "news/a.txt", store.read("news/a.txt").sha256,
                     "draft", "model:x@1+rules", "g1")
    content = render_file([draft]).replace("{{PERSON:青禾}}市", "{{HOST_REGION:青禾市}}")
    content += "=== news/b.txt\n{{PARTNER_REGION:臺灣}}企業來{{HOST_REGION:青禾}}投資\n=== news/a.txt\n青禾市 oops\n"
    merged, done, errors = apply_file(content, [draft], store, "agent:t", "annotated")
    assert len(done) == 2 and len(errors) == 1 and "line 6 news/a.txt: the text differs" in errors[0]
    first, second = merged
    assert (first.status, first.annotator, first.group, first.meta) == ("annotated", "agent:t", "g1",
                                                                        {"draft_by": "model:x@1+rules"})
    assert [s.text for s in first.entities] == ["青禾市"] and second.source == "news/b.txt"


def test_apply_and_render_commands(store, tmp_path, capsys):
    markup = tmp_path / "work.md"
    markup.write_text("=== news/a.txt\n{{HOST_REGION:青禾市}}招商引资签约12个项目，总投资{{AMOUNT:86.5亿元}}。\n市中 区参加。\n",
                      encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    assert main(["apply", str(markup), "--into", str(gold), "--annotator", "human:t", "--articles", str(store.root)]) == 0
    record = json.loads(gold.read_text(encoding="utf-8"))
    assert "text" not in record and record["status"] == "annotated" and len(record["entities"]) == 2
    assert main(["validate", str(gold), "--articles", str(store.root)]) == 0
    assert main(["render", str(gold), "-o", "-", "--bare", "--articles", str(store.root)]) == 0
    assert capsys.readouterr().out.endswith(f"=== news/a.txt\n{TEXT}\n")
    markup.write_text("=== news/a.txt\n青禾市招商\n", encoding="utf-8")
    assert main(["apply", str(markup), "--into", str(gold), "--annotator", "human:t", "--articles", str(store.root)]) == 1
    assert len(read_documents(gold, store)[0].entities) == 2  # the failed document kept its record


def test_preannotate_writes_drafts_that_training_never_sees(store, tmp_path, tiny_model_dir, capsys):
    out, work = tmp_path / "drafts.jsonl", tmp_path / "drafts.md"
    args = ["preannotate", "news", "-o", str(out), "--articles", str(store.root), "--model", str(tiny_model_dir),
            "--markup", str(work), "--doccano", str(tmp_path / "d.jsonl")]
    assert main(args) == 0
    drafts = read_documents(out, store)
    assert [d.source for d in drafts] == ["news/a.txt", "news/b.txt"]
    assert all(d.status == "draft" and d.annotator.startswith(f"model:{Path(tiny_model_dir).name}@") for d in drafts)
    assert read_gold(out, store) == [] and work.read_text(encoding="utf-8").startswith("=== news/a.txt\n")
    # an annotated record is never replaced by a new draft
    assert main(["apply", str(work), "--into", str(out), "--annotator", "human:t", "--articles", str(store.root)]) == 0
    assert main(args) == 0
    assert [d.status for d in read_documents(out, store)] == ["annotated", "annotated"]


def test_a_new_paragraph_record_gets_its_corpus_group(tmp_path):
    """`apply` on a paragraph that has no record yet stamps the group its corpus document gives it."""
    import gzip

    root = tmp_path / "articles"
    root.mkdir()
    lines = ["标题一", "青禾市签约项目。", "第二段。"]
    (root / "corpus-paragraphs.jsonl").write_text(
        json.dumps({"id": "p1", "text": lines[1], "shard": "corpus-000.txt.gz"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    (tmp_path / "corpus").mkdir()
    with gzip.open(tmp_path / "corpus" / "corpus-000.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    merged, done, errors = apply_file("=== corpus-paragraphs.jsonl#p1\n{{HOST_REGION:青禾市}}签约项目。\n", [],
                                      ArticleStore(root), "agent:t", "annotated")
    assert not errors and merged[0].group == "corpus-000:1" and merged[0].id == "corpus/p1"
