"""Lexicon features: matching on hand-made cases, alignment with windows and offsets, and the model round trip."""

import numpy as np
import pytest
import torch

from zhaoshang_ner.alignment import tokenize
from zhaoshang_ner.features import document_features, window_inputs
from zhaoshang_ner.lexicon import Lexicon, token_features
from zhaoshang_ner.modeling import load_model, save_model
from zhaoshang_ner.predictor import Predictor, spans_of
from zhaoshang_ner.tokenization import load_tokenizer
from zhaoshang_ner.training import fit

from conftest import ROOT, tiny_config


@pytest.fixture
def lexicon() -> Lexicon:
    lex = Lexicon(("city", "county", "word", "suffix"))
    for word, category in [("临沂市", "city"), ("临沂", "city"), ("兰山区", "county"), ("兰山", "county"),
                           ("山区", "word"), ("有限公司", "suffix"), ("公司", "suffix"), ("沂", "city")]:
        lex.add(word, category)
    lex.add("投资", "word", 0.5)
    return lex


def column(lexicon: Lexicon, name: str) -> int:
    return lexicon.feature_names.index(name)


def test_short_forms_and_full_names_both_match(lexicon):
    features = lexicon.char_features("临沂市兰山区")
    assert features[0, column(lexicon, "city:B")] == 1  # 临沂 and 临沂市 begin here
    assert features[1, column(lexicon, "city:E")] == 1  # 临沂 ends at 沂 …
    assert features[1, column(lexicon, "city:M")] == 1  # … inside 临沂市
    assert features[1, column(lexicon, "city:S")] == 1  # and 沂 alone is a one-character word
    assert features[2, column(lexicon, "city:E")] == 1
    assert features[3, column(lexicon, "county:B")] == 1 and features[5, column(lexicon, "county:E")] == 1


def test_overlapping_words_all_count_no_longest_match_is_forced(lexicon):
    features = lexicon.char_features("兰山区")
    # 兰山, 兰山区 (county) and the overlapping 山区 (word) are all there
    assert features[1, column(lexicon, "county:E")] == 1 and features[1, column(lexicon, "county:M")] == 1
    assert features[1, column(lexicon, "word:B")] == 1 and features[2, column(lexicon, "word:E")] == 1


def test_weights_and_nested_suffixes(lexicon):
    features = lexicon.char_features("投资控股有限公司")
    assert features[0, column(lexicon, "word:B")] == 0.5 and features[1, column(lexicon, "word:E")] == 0.5
    assert features[4, column(lexicon, "suffix:B")] == 1  # 有限公司
    assert features[6, column(lexicon, "suffix:B")] == 1 and features[6, column(lexicon, "suffix:M")] == 1
    assert features[7, column(lexicon, "suffix:E")] == 1
    assert not features[2:4].any()  # 控股 matches nothing


def test_long_inner_spans_are_marked_in_full():
    lex = Lexicon(("zone",))
    lex.add("青禾经济技术开发区", "zone")
    features = lex.char_features("在青禾经济技术开发区投资")
    assert features[1:10, lex.feature_names.index("zone:B")].tolist() == [1] + [0] * 8
    assert features[1:10, lex.feature_names.index("zone:M")].tolist() == [0] + [1] * 7 + [0]
    assert features[[0, 10, 11]].sum() == 0


def test_save_and_load_give_the_same_features(tmp_path, lexicon):
    lexicon.save(tmp_path / "lex")
    again = Lexicon.load(tmp_path / "lex")
    text = "临沂市兰山区投资控股有限公司"
    assert np.array_equal(again.char_features(text), lexicon.char_features(text))


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(ROOT / "models" / "zh-news-encoder-small")


def test_features_follow_tokens_and_windows_on_long_noisy_documents(tokenizer, lexicon):
    """Digits and Latin letters group into one token; windows slice the document's token features."""
    unit = "2023年临沂市兰山区与AT&S有限公司签约 (lín)投资\u3000臨沂市，"
    text = unit * 40
    tokens = tokenize(tokenizer, text)
    features = document_features(lexicon, tokens)
    chars = lexicon.char_features(text)
    assert features.shape == (len(tokens.offsets), lexicon.num_features)
    for t, (start, end) in enumerate(tokens.offsets):
        assert np.array_equal(features[t], chars[start:end].max(0))
    rows = window_inputs(tokenizer, tokens, 0, 64, 8, features=features)
    assert len(rows) > 10
    for row in rows:
        assert row.features.shape == (len(row.input_ids), lexicon.num_features)
        assert not row.features[0].any() and not row.features[-1].any()  # [CLS], [SEP]
        assert np.array_equal(row.features[1:-1], features[row.window.start : row.window.end])
    assert np.array_equal(token_features(chars, []), np.zeros((0, lexicon.num_features), dtype=np.float32))


def test_a_model_with_features_saves_and_loads_with_identical_predictions(tmp_path, gold_documents):
    from zhaoshang_ner.documents import Document

    docs = [Document(d.id, d.text[:300], [s for s in d.entities if s.end <= 300]) for d in gold_documents[:3]]
    cfg = tiny_config(epochs=1, lexicon=str(ROOT / "models" / "zh-lexicon"))
    result = fit(cfg, docs)
    assert result.model.feature_projection is not None and result.model.lexicon is not None
    save_model(result.model, result.tokenizer, tmp_path / "model")
    assert (tmp_path / "model" / "lexicon" / "lexicon.tsv").exists()
    texts = [d.text for d in gold_documents[:2]]
    before = Predictor.from_model(result.model, result.tokenizer).predict_many(texts)
    after = Predictor.from_pretrained(tmp_path / "model", device="cpu").predict_many(texts)
    assert [spans_of(e) for e in after] == [spans_of(e) for e in before]
    assert [e.score for es in after for e in es] == pytest.approx([e.score for es in before for e in es], abs=1e-6)
    # a plain `transformers` pipeline gets the same tags: the model computes its features from the token ids
    from transformers import pipeline

    tagger = pipeline("token-classification", model=str(tmp_path / "model"), aggregation_strategy="none")
    model = load_model(tmp_path / "model")
    encoded = result.tokenizer(texts[0][:100], return_tensors="pt")
    from_ids = model.features_from_ids(encoded["input_ids"])[0, 1:-1].numpy()
    from_text = document_features(model.lexicon, tokenize(result.tokenizer, texts[0][:100]))
    assert np.array_equal(from_ids, from_text)  # the same features the Predictor computes from the text
    with torch.inference_mode():
        direct = model(**encoded).logits.argmax(-1)[0, 1:-1].tolist()
    assert [model.config.label2id[t["entity"]] for t in tagger(texts[0][:100])] == [i for i in direct if i != 0]
