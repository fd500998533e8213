"""Stand-off sources: exact decoding, SHA-256 checks that name the document, paragraphs and their groups."""

import gzip
import hashlib
import json

import pytest

from zhaoshang_ner.documents import JsonlError, read_documents, read_gold
from zhaoshang_ner.sources import ArticleStore, SourceError, doc_id, paragraph_groups

TEXT = "青禾市招商引资签约项目12个，总投资86.5亿元。\r\n臺灣企業來青禾投資。"


@pytest.fixture
def store(tmp_path) -> ArticleStore:
    root = tmp_path / "articles"
    (root / "news").mkdir(parents=True)
    (root / "news" / "utf8.txt").write_bytes(TEXT.encode("utf-8"))
    (root / "news" / "bom.txt").write_bytes(TEXT.encode("utf-8-sig"))
    (root / "news" / "gbk.txt").write_bytes(TEXT.encode("gb18030"))
    (root / "news" / "big5.txt").write_bytes("臺灣企業來青禾投資八十億元".encode("big5"))
    paragraphs = [{"id": "p1", "text": "青禾市签约项目。", "shard": "corpus-000.txt.gz"},
                  {"id": "p2", "text": "青禾市投资86亿元。", "shard": "corpus-000.txt.gz"},
                  {"id": "p3", "text": "外资企业来青禾投资。", "shard": "corpus-000.txt.gz"}]
    (root / "corpus-paragraphs.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs), encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = ["标题一", "青禾市签约项目。", "第二段。", "青禾市投资86亿元。", *["别的文章。"] * 20, "新的标题", "外资企业来青禾投资。"]
    with gzip.open(corpus / "corpus-000.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return ArticleStore(root)


@pytest.mark.parametrize(("name", "encoding"), [("utf8", "utf-8"), ("bom", "utf-8-sig"), ("gbk", "gb18030")])
def test_sources_decode_exactly_and_hash_their_bytes(store, name, encoding):
    found = store.read(f"news/{name}.txt")
    assert found.text == TEXT and found.encoding == encoding  # \r\n kept, BOM not part of the text
    assert found.sha256 == hashlib.sha256((store.root / "news" / f"{name}.txt").read_bytes()).hexdigest()


def test_big5_source(store):
    assert store.read("news/big5.txt").text == "臺灣企業來青禾投資八十億元"


def test_paragraph_source_hashes_its_utf8_text(store):
    found = store.read("corpus-paragraphs.jsonl#p2")
    assert found.text == "青禾市投资86亿元。"
    assert found.sha256 == hashlib.sha256("青禾市投资86亿元。".encode()).hexdigest()


@pytest.mark.parametrize(("source", "message"), [
    ("news/nope.txt", "news/nope.txt: no such file in "),
    ("../articles/news/utf8.txt", "a source is a relative path inside"),
    ("corpus-paragraphs.jsonl#p9", "no paragraph 'p9'"),
    ("news/utf8.txt#p1", "only corpus-paragraphs.jsonl#<id> sources"),
])
def test_bad_sources_are_named(store, source, message):
    with pytest.raises(SourceError, match=message.replace(".", r"\.").replace("(", r"\(")):
        store.read(source)


def test_a_changed_source_is_refused_naming_line_and_document(store, tmp_path):
    good = store.read("news/utf8.txt").sha256
    path = tmp_path / "gold.jsonl"
    records = [{"id": "news/utf8", "source": "news/utf8.txt", "sha256": good, "entities": []},
               {"id": "news/gbk", "source": "news/gbk.txt", "sha256": good, "entities": []}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(JsonlError, match=r"gold.jsonl:2: news/gbk.txt: SHA-256 is .* the source changed.*\(news/gbk\)"):
        read_documents(path, store)


def test_read_gold_leaves_drafts_out(store, tmp_path):
    sha = store.read("news/utf8.txt").sha256
    path = tmp_path / "gold.jsonl"
    records = [{"id": "a", "source": "news/utf8.txt", "sha256": sha, "status": status, "entities": []}
               for status in ("draft", "annotated", "reviewed")]
    for k, record in enumerate(records):
        record["id"] = f"d{k}"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert [d.status for d in read_gold(path, store)] == ["annotated", "reviewed"]
    assert len(read_documents(path, store)) == 3


def test_doc_ids():
    assert doc_id("more/001_x.txt") == "more/001_x"
    assert doc_id("corpus-paragraphs.jsonl#zs00001") == "corpus/zs00001"


def test_paragraph_groups_keep_one_corpus_document_together(store, tmp_path):
    groups = paragraph_groups(store, tmp_path / "corpus")
    assert groups["p1"] == groups["p2"] == "corpus-000:1"  # two lines apart, one document
    assert groups["p3"] == "corpus-000:25"  # far away, after a headline: another document
