"""Spans ↔ token tags through the real Chinese vocabulary, and windowing of long documents."""

from pathlib import Path

import pytest

from zhaoshang_ner.alignment import spans_to_token_tags, token_tags_to_spans, tokenize, unrepresentable
from zhaoshang_ner.documents import Span, read_documents
from zhaoshang_ner.tokenization import load_tokenizer
from zhaoshang_ner.windows import make_windows, owner_windows, sentence_breaks

ROOT = Path(__file__).resolve().parents[1]
VOCAB_DIR = ROOT / "models" / "zh-news-encoder-small"
GOLD = ROOT / "annotations" / "gold.jsonl"


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(VOCAB_DIR)


def test_chinese_text_has_no_unk(tokenizer):
    ids = tokenizer("临沂市招商引资签约130亿元新能源项目，AT&S落户重庆", add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert len(ids) > 10


def test_bare_vocab_file_loads_a_real_vocabulary(tmp_path):
    vocab = tmp_path / "my-vocab.txt"
    vocab.write_text((VOCAB_DIR / "vocab.txt").read_text(encoding="utf-8"), encoding="utf-8")
    tokenizer = load_tokenizer(vocab)
    assert tokenizer.vocab_size == 21128
    assert tokenizer.unk_token_id not in tokenizer("招商引资", add_special_tokens=False)["input_ids"]


def test_empty_vocabulary_is_rejected(tmp_path):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="UNK"):
        load_tokenizer(tmp_path)


def test_gold_spans_survive_tokens_and_back(tokenizer):
    """Every gold boundary falls on a token boundary but where the tokenizer keeps a full-width tilde with
    the digits after it (`3亿～5亿元`, `3日～4日`): a span starting after `～` cannot be a token tag."""
    lost = []
    for doc in read_documents(GOLD):
        tokens = tokenize(tokenizer, doc.text)
        mine = unrepresentable(tokens, doc.entities)
        decoded = set(token_tags_to_spans(tokens, spans_to_token_tags(tokens, doc.entities)))
        assert set(doc.entities) - set(mine) <= decoded
        lost += [doc.text[span.start - 1] for span in mine]
    assert set(lost) <= {"～"} and len(lost) <= 3


def test_grouped_digits_and_inner_whitespace(tokenizer):
    text = "总投资130亿元，市中 区签约AT&S项目"
    spans = [Span(text.find(s), text.find(s) + len(s), label, s)
             for s, label in (("130亿元", "AMOUNT"), ("市中 区", "HOST_REGION"), ("AT&S", "COMPANY"))]
    tokens = tokenize(tokenizer, text)
    assert token_tags_to_spans(tokens, spans_to_token_tags(tokens, spans)) == spans


def test_boundary_inside_a_token_is_reported(tokenizer):
    text = "总投资130亿元"
    tokens = tokenize(tokenizer, text)
    inside = Span(4, 8, "AMOUNT", "30亿元")  # starts inside the token "130"
    assert unrepresentable(tokens, [inside]) == [inside]


def test_windows_cover_long_noisy_document_and_cut_at_sentence_ends(tokenizer):
    text = ("临沂市签约新材料项目。总投资130亿元！\n" * 40) + "日?qǐng)?bào 復(fù)星集團\u3000\t末尾"
    tokens = tokenize(tokenizer, text)
    windows = make_windows(tokens, max_tokens=30, stride=8)
    assert windows[0].start == 0 and windows[-1].end == len(tokens.offsets)
    assert all(w.end - w.start <= 30 for w in windows)
    assert all(b.start < a.end for a, b in zip(windows, windows[1:]))  # consecutive windows overlap or touch
    assert all(b.start > a.start for a, b in zip(windows, windows[1:]))
    breaks = sentence_breaks(tokens)
    assert all(breaks[w.end - 1] for w in windows[:-1])  # every cut is at a sentence end
    owners = owner_windows(windows, len(tokens.offsets))
    assert owners == owner_windows(windows, len(tokens.offsets))
    for t, (w, p) in enumerate(owners):
        assert windows[w].start + p == t


def test_short_text_is_one_window_and_empty_text_none(tokenizer):
    assert make_windows(tokenize(tokenizer, "临沂"), 254, 32) == make_windows(tokenize(tokenizer, "临沂"), 254, 0)
    assert len(make_windows(tokenize(tokenizer, "临沂"), 254, 32)) == 1
    assert make_windows(tokenize(tokenizer, ""), 254, 32) == []
