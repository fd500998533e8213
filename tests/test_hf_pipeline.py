"""The saved model directory works with plain `transformers.pipeline`, for users outside this package."""

from transformers import pipeline

from zhaoshang_ner.labels import LABELS

TEXTS = [
    "临沂市招商引资签约130亿元新能源项目，由山东某集团投资建设。",
    "臺灣企業在蘇州簽約投資二十億元，建設半導體項目。",
    "２０２４年３月，ABC Holdings 与潍坊市\u3000签约\r\n总投资 50 亿元。",
]


def test_token_classification_pipeline_loads_the_model(tiny_model_dir):
    ner = pipeline("token-classification", model=str(tiny_model_dir), aggregation_strategy="simple", device="cpu")
    found = 0
    for text in TEXTS:
        for group in ner(text):
            found += 1
            assert group["entity_group"] in LABELS
            assert 0 <= group["start"] < group["end"] <= len(text)
            assert text[group["start"] : group["end"]].strip()  # `word` is the detokenized (normalised) form
    assert found  # the one-epoch model tags plenty, so offsets were really checked


def test_a_model_without_features_loads_with_the_standard_bert_class(tiny_model_dir):
    """Without lexicon features the weights are BertForTokenClassification's, so the standard class loads
    them all (nothing missing or unexpected) and gives the project's model's logits."""
    import torch
    from transformers import AutoTokenizer, BertForTokenClassification

    from zhaoshang_ner.modeling import load_model

    standard, info = BertForTokenClassification.from_pretrained(str(tiny_model_dir), output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    ours = load_model(tiny_model_dir)
    encoded = AutoTokenizer.from_pretrained(str(tiny_model_dir))(TEXTS[0], return_tensors="pt")
    with torch.inference_mode():
        assert torch.allclose(standard.eval()(**encoded).logits, ours(**encoded).logits, atol=1e-5)
