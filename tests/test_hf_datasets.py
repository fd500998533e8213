"""The gold set as a `datasets.DatasetDict` with character and token BIO tags, split as model selection splits it."""

import json

from zhaoshang_ner.crossval import in_dev_split
from zhaoshang_ner.hf_datasets import gold_dataset, public_dataset
from zhaoshang_ner.labels import bio_tags
from zhaoshang_ner.tokenization import load_tokenizer

from conftest import GOLD, ROOT, SHARED_ARTICLES


def test_gold_dataset_tags_match_the_spans():
    tokenizer = load_tokenizer(ROOT / "models" / "zh-news-encoder-small")
    splits = gold_dataset(GOLD, SHARED_ARTICLES, tokenizer)
    assert set(splits) == {"train", "dev"} and len(splits["train"]) > 1000 and len(splits["dev"]) > 100
    assert all(in_dev_split(group) for group in splits["dev"]["group"])
    names = splits["train"].features["token_tags"].feature.names
    assert names == bio_tags()
    example = splits["train"][0]
    for entity in example["entities"]:
        assert example["text"][entity["start"] : entity["end"]] == entity["text"]
        assert names[example["char_tags"][entity["start"]]] == f"B-{entity['label']}"
        first_token = next(t for t, (s, e) in enumerate(example["offsets"]) if s == entity["start"])
        assert names[example["token_tags"][first_token]] == f"B-{entity['label']}"
    assert len(example["tokens"]) == len(example["input_ids"]) == len(example["token_tags"])


def test_public_dataset_keeps_its_own_labels(tmp_path):
    import gzip

    folder = tmp_path / "toy"
    folder.mkdir()
    with gzip.open(folder / "train.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "王伟在临沂", "entities": [
            {"start": 0, "end": 2, "label": "PER", "text": "王伟"}, {"start": 3, "end": 5, "label": "LOC", "text": "临沂"}]},
            ensure_ascii=False) + "\n")
    toy = public_dataset("toy", tmp_path)
    assert toy["train"].features["char_tags"].feature.names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert toy["train"][0]["char_tags"] == [3, 4, 0, 1, 2]
