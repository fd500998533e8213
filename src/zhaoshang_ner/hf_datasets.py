"""The gold set and the public NER sets as `datasets.DatasetDict`s, for users who train with their own code.

Each example has the text, its spans, per-character BIO tags and (with a tokenizer) the tokens, their
character offsets and token BIO tags aligned the way this project trains (a token takes the tag of
its first character); tags are `ClassLabel`s named by the label set's BIO tags.

    from zhaoshang_ner.hf_datasets import gold_dataset
    splits = gold_dataset("annotations/gold.jsonl", tokenizer=AutoTokenizer.from_pretrained(DIR))
    splits["train"][0]["token_tags"]        # ids into splits["train"].features["token_tags"].feature.names

The gold splits are the fixed development split (`dev`) and the rest (`train`), as model selection uses
them; cross-validation folds come from `zhaoshang_ner.crossval`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence as SequenceFeature, Value

from zhaoshang_ner.alignment import spans_to_token_tags, tokenize
from zhaoshang_ner.crossval import in_dev_split
from zhaoshang_ner.documents import Document, read_gold
from zhaoshang_ner.labels import LABELS, bio_tags
from zhaoshang_ner.public_data import load_public
from zhaoshang_ner.sources import ArticleStore
from zhaoshang_ner.spans import spans_to_bio


def _features(tags: list[str], with_tokens: bool) -> Features:
    spans = [{"start": Value("int32"), "end": Value("int32"), "label": Value("string"), "text": Value("string")}]
    fields = {"id": Value("string"), "group": Value("string"), "text": Value("string"), "entities": spans,
              "char_tags": SequenceFeature(ClassLabel(names=tags))}
    if with_tokens:
        fields |= {"tokens": SequenceFeature(Value("string")), "input_ids": SequenceFeature(Value("int32")),
                   "offsets": SequenceFeature(SequenceFeature(Value("int32"), length=2)),
                   "token_tags": SequenceFeature(ClassLabel(names=tags))}
    return Features(fields)


def _example(doc: Document, tag_ids: dict[str, int], tokenizer) -> dict:
    known = [span for span in doc.entities if f"B-{span.label}" in tag_ids]
    example = {"id": doc.id, "group": doc.fold_group, "text": doc.text,
               "entities": [{"start": s.start, "end": s.end, "label": s.label, "text": s.text} for s in known],
               "char_tags": [tag_ids[t] for t in spans_to_bio(len(doc.text), known)]}
    if tokenizer is not None:
        tokens = tokenize(tokenizer, doc.text)
        example |= {"tokens": [doc.text[s:e] for s, e in tokens.offsets], "input_ids": tokens.input_ids,
                    "offsets": [list(o) for o in tokens.offsets],
                    "token_tags": [tag_ids[t] for t in spans_to_token_tags(tokens, known)]}
    return example


def to_dataset(documents: Sequence[Document], labels: Sequence[str], tokenizer=None) -> Dataset:
    """One `Dataset` of documents; spans whose label is not in `labels` are left out (tag `O`)."""
    tags = bio_tags(tuple(labels))
    tag_ids = {tag: i for i, tag in enumerate(tags)}
    return Dataset.from_list([_example(doc, tag_ids, tokenizer) for doc in documents],
                             features=_features(tags, tokenizer is not None))


def gold_dataset(files: str | Path | Sequence[str | Path] = "annotations/gold.jsonl",
                 articles: str | Path | None = None, tokenizer=None,
                 labels: Sequence[str] = LABELS) -> DatasetDict:
    """The annotated and reviewed gold documents (texts read from their sources) as `train` and `dev`."""
    documents = read_gold(files, ArticleStore(articles))
    return DatasetDict({
        "train": to_dataset([d for d in documents if not in_dev_split(d.fold_group)], labels, tokenizer),
        "dev": to_dataset([d for d in documents if in_dev_split(d.fold_group)], labels, tokenizer),
    })


def public_dataset(name: str, datasets_dir: str | Path = "../shared/ner-datasets", tokenizer=None) -> DatasetDict:
    """A public NER set of `../shared/ner-datasets` with its own labels, one split per file."""
    folder = Path(datasets_dir) / name
    splits = sorted(p.name.removesuffix(".jsonl.gz") for p in folder.glob("*.jsonl.gz"))
    if not splits:
        raise FileNotFoundError(f"no *.jsonl.gz splits in {folder}")
    loaded = {split: load_public(datasets_dir, name, split) for split in splits}
    labels = sorted({span.label for docs in loaded.values() for doc in docs for span in doc.entities})
    return DatasetDict({split: to_dataset(docs, labels, tokenizer) for split, docs in loaded.items()})
