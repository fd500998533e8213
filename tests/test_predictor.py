"""Predictor: offsets index the original text whatever the text looks like; batching, windows, learning."""

import pytest

from conftest import tiny_config
from zhaoshang_ner.context import Candidate
from zhaoshang_ner.documents import Document, Span
from zhaoshang_ner.predictor import Predictor, spans_of
from zhaoshang_ner.modeling import save_model
from zhaoshang_ner.training import fit

NOISY = [
    "é\x9b\x86ä¸\xadç\xad¾çº¦ 锟斤拷烫烫烫 临沂市招商引资签约130亿元项目",  # mojibake
    "临沂（Línyí）市与潍坊（Wéifāng）签约，总投资约 30 亿元（yì yuán）。",  # pinyin glosses
    "ＡＢＣ公司投资１３０亿元，２０２４年３月开工！",  # full-width
    "🚀项目签约🎉 总投资50亿元💰👍🏽 临沂市",  # emoji, skin-tone modifier
    "临沂市\u3000\u3000签约\r\n\r\n总投资\t130亿元\t\t项目\r\n",  # ideographic space, CRLF, tabs
    "蘇州工業園區與臺灣企業簽約，投資總額達新臺幣二十億元。",  # traditional script
    "   \n\t ",  # whitespace only
    "e\u0301\u200b\ufeff零宽字符\u200d与组合符号 2024-03-18",
]


@pytest.fixture(scope="module")
def predictor(tiny_model_dir):
    return Predictor.from_pretrained(tiny_model_dir, device="cpu")


def assert_valid(text, entities):
    for e in entities:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == e.text
        assert 0.0 <= e.score <= 1.0


def test_offsets_index_long_documents(predictor, gold_documents):
    longest = max(gold_documents, key=lambda d: len(d.text)).text
    text = longest * 3
    assert len(predictor.tokenizer(text)["input_ids"]) > 5 * predictor.max_length
    entities = predictor.predict(text)
    assert entities  # the one-epoch model is noisy, so there is something to check
    assert_valid(text, entities)
    assert [e.start for e in entities] == sorted(e.start for e in entities)
    assert all(a.end <= b.start for a, b in zip(entities, entities[1:]))


@pytest.mark.parametrize("text", NOISY)
def test_offsets_index_noisy_text(predictor, text):
    assert_valid(text, predictor.predict(text))


def test_empty_text(predictor):
    assert predictor.predict("") == []
    assert predictor.predict_many([]) == []


def test_predict_many_equals_predict_and_is_deterministic(predictor, gold_documents):
    texts = NOISY + [d.text[:700] for d in gold_documents[:4]]
    one_by_one = [predictor.predict(t) for t in texts]
    for batch_size in (3, 16):
        batched = predictor.predict_many(texts, batch_size=batch_size)
        assert [spans_of(es) for es in batched] == [spans_of(es) for es in one_by_one]
        # padding to a batch's longest window changes the float sums in the last bits only
        scores = [e.score for es in batched for e in es]
        assert scores == pytest.approx([e.score for es in one_by_one for e in es], abs=1e-5)
    assert predictor.predict_many(texts, batch_size=3) == predictor.predict_many(texts, batch_size=3)


def test_short_windows_merge_into_valid_spans(tiny_model_dir, gold_documents):
    short = Predictor.from_pretrained(tiny_model_dir, device="cpu", max_length=32)
    assert (short.max_length, short.stride) == (32, 8)
    text = gold_documents[0].text
    entities = short.predict(text)
    assert entities
    assert_valid(text, entities)
    assert all(a.end <= b.start for a, b in zip(entities, entities[1:]))


@pytest.mark.parametrize("bad", [None, b"bytes", 42, ["list"]])
def test_non_str_input_raises(predictor, bad):
    with pytest.raises(TypeError):
        predictor.predict(bad)


REGIONS = ["临沂市", "青岛市", "济南市", "潍坊市", "烟台市"]
AMOUNTS = ["130亿元", "25亿元", "8亿元", "50亿元"]


def synthetic_documents() -> list[Document]:
    docs = []
    for i in range(40):
        region, amount = REGIONS[i % len(REGIONS)], AMOUNTS[i % len(AMOUNTS)]
        text = f"{region}签约{amount}项目"
        at = len(region) + 2
        spans = [Span(0, len(region), "HOST_REGION", region), Span(at, at + len(amount), "AMOUNT", amount)]
        docs.append(Document(f"s{i}", text, spans))
    return docs


def test_training_learns_the_synthetic_fixture(tmp_path):
    encoder = {"num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 2,
               "intermediate_size": 128, "max_position_embeddings": 64}
    cfg = tiny_config(encoder=encoder, epochs=12, lr=3.0e-3, max_length=32, stride=8, warmup_ratio=0.0)
    docs = synthetic_documents()
    result = fit(cfg, docs)
    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    save_model(result.model, result.tokenizer, tmp_path / "model")
    trained = Predictor.from_pretrained(tmp_path / "model", device="cpu")
    for doc in docs[:5]:
        assert spans_of(trained.predict(doc.text)) == doc.entities


def test_rules_only_fill_labels_the_model_knows():
    """A model trained on another label set (a public benchmark's) emits none of the rule labels."""
    encoder = {"num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2,
               "intermediate_size": 64, "max_position_embeddings": 64}
    docs = [Document("p0", "临沂市签约", [Span(0, 3, "LOC", "临沂市")])]
    result = fit(tiny_config(encoder=encoder, epochs=1, max_length=32, stride=8), docs, labels=["LOC"])
    foreign = Predictor(result.model, result.tokenizer)
    assert foreign.rule_labels == ()
    labels = {e.label for e in foreign.predict("2024年3月，临沂市签约130亿元项目")}
    assert labels <= {"LOC"}


def test_merge_touching_is_learnt_from_training_spans_saved_and_applied(tmp_path):
    """`merge_touching: same` stores the label pairs that never touch in training; the predictor loaded
    from the saved directory joins touching spans of those pairs (林|晓然), and of no other."""
    encoder = {"num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2,
               "intermediate_size": 64, "max_position_embeddings": 64}
    docs = [Document("m0", "江苏南京林晓然", [Span(0, 2, "HOST_REGION", "江苏"), Span(2, 4, "HOST_REGION", "南京"),
                                          Span(4, 7, "PERSON", "林晓然")])]
    cfg = tiny_config(encoder=encoder, epochs=1, max_length=32, stride=8, merge_touching="same")
    result = fit(cfg, docs, labels=["HOST_REGION", "PERSON"])
    assert result.model.config.merge_pairs == [["PERSON", "PERSON"]]  # regions touch in training: never joined
    save_model(result.model, result.tokenizer, tmp_path / "model")
    loaded = Predictor.from_pretrained(tmp_path / "model", device="cpu")
    assert loaded.model.config.merge_pairs == [["PERSON", "PERSON"]]
    split = [Candidate(0, 2, "HOST_REGION", "江苏", 0.9), Candidate(2, 4, "HOST_REGION", "南京", 0.9),
             Candidate(4, 5, "PERSON", "林", 0.9), Candidate(5, 7, "PERSON", "晓然", 0.6)]
    assert [e.text for e in loaded.finish(docs[0].text, split)] == ["江苏", "南京", "林晓然"]
    plain = fit(tiny_config(encoder=encoder, epochs=1, max_length=32, stride=8), docs, labels=["HOST_REGION", "PERSON"])
    assert plain.model.config.merge_pairs is None
    assert [e.text for e in Predictor(plain.model, plain.tokenizer).finish(docs[0].text, split)] == [
        "江苏", "南京", "林", "晓然"]


def test_head_words_are_learnt_saved_and_applied(tmp_path):
    """`snap_heads: project` stores the PROJECT head words of the training documents in the model config;
    the predictor loaded from the saved directory grows a PROJECT cut inside its head (…项|目) to it."""
    encoder = {"num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2,
               "intermediate_size": 64, "max_position_embeddings": 64}
    text = "光伏项目、电池项目、风电项目"
    docs = [Document("h0", text, [Span(s, s + 4, "PROJECT", text[s : s + 4]) for s in (0, 5, 10)])]
    cfg = tiny_config(encoder=encoder, epochs=1, max_length=32, stride=8, snap_heads="project")
    result = fit(cfg, docs, labels=["PROJECT"])
    assert result.model.config.snap_heads == {"PROJECT": ["项目"]}
    save_model(result.model, result.tokenizer, tmp_path / "model")
    loaded = Predictor.from_pretrained(tmp_path / "model", device="cpu")
    cut = [Candidate(0, 3, "PROJECT", "光伏项", 0.9), Candidate(5, 7, "PROJECT", "电池", 0.9)]
    assert [e.text for e in loaded.finish(text, cut)] == ["光伏项目", "电池项目"]
    plain = fit(tiny_config(encoder=encoder, epochs=1, max_length=32, stride=8), docs, labels=["PROJECT"])
    assert plain.model.config.snap_heads is None
    assert [e.text for e in Predictor(plain.model, plain.tokenizer).finish(text, cut)] == ["光伏项", "电池"]


def test_batched_viterbi_is_the_best_valid_path_of_each_sequence():
    """viterbi_many over sequences of mixed lengths equals an exhaustive search over valid BIO paths."""
    import itertools

    import numpy as np

    from zhaoshang_ner.predictor import valid_transitions, viterbi_many
    from zhaoshang_ner.labels import bio_tags

    tags = bio_tags(("A", "B"))
    allowed = valid_transitions(tags).numpy()
    may_start = allowed.all(0)

    def exhaustive(log_probs):
        paths = (p for p in itertools.product(range(len(tags)), repeat=len(log_probs))
                 if (not p or may_start[p[0]]) and all(allowed[a, b] for a, b in zip(p, p[1:])))
        return list(max(paths, key=lambda p: sum(log_probs[k, t] for k, t in enumerate(p))))

    rng = np.random.default_rng(7)
    sequences = [np.log(rng.dirichlet(np.ones(len(tags)) * 0.3, size=n)) for n in [0, 1, 2, 3, 4, 5, 5, 6, 1, 4]]
    sequences.append(np.log(np.eye(len(tags))[[tags.index("I-A"), tags.index("I-A")]] * 0.9 + 0.02))  # stray I- start
    found = viterbi_many(sequences, allowed)
    assert found == [exhaustive(s) for s in sequences]
    assert [viterbi_many([s], allowed)[0] for s in sequences] == found  # one sequence alone: the same path
    valid = np.log(np.eye(len(tags))[[tags.index("B-A"), tags.index("I-A"), 0]] * 0.9 + 0.02)
    assert viterbi_many([valid], allowed) == [[tags.index("B-A"), tags.index("I-A"), 0]]  # a valid argmax is kept


def test_viterbi_split_at_fixed_positions_equals_one_programme_over_the_whole_sequence():
    """Long sequences, mostly O as in real text: decoding only the stretches between fixed positions gives
    the path of the dynamic programme over each whole sequence."""
    import numpy as np

    from zhaoshang_ner.labels import bio_tags
    from zhaoshang_ner.predictor import _dynamic_programme, _fixed_positions, valid_transitions, viterbi_many

    tags = bio_tags(("A", "B", "C"))
    allowed = valid_transitions(tags).numpy()
    rng = np.random.default_rng(3)
    alpha = np.full(len(tags), 0.08)
    alpha[0] = 2.0
    sequences = [np.log(np.clip(rng.dirichlet(alpha, size=n), 1e-12, None)) for n in rng.integers(1, 400, size=60)]
    whole = [path.tolist() for path in _dynamic_programme(sequences, allowed)]
    assert viterbi_many(sequences, allowed) == whole
    assert sum(_fixed_positions(s, s.argmax(1), allowed).sum() for s in sequences) > 0.1 * sum(map(len, sequences))
    no_twins = allowed.copy()
    no_twins[tags.index("I-A"), tags.index("I-B")] = True  # I-A now has successors no free tag has
    assert not _fixed_positions(sequences[0], sequences[0].argmax(1), no_twins).any()
