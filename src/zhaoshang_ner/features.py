"""Model inputs: documents → tokens → windows → `[CLS] … [SEP]` id rows, lexicon features and token label ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from zhaoshang_ner.alignment import TokenizedText, spans_to_token_tags, tokenize
from zhaoshang_ner.documents import Document
from zhaoshang_ner.lexicon import Lexicon, token_features
from zhaoshang_ner.windows import Window, make_windows

IGNORE = -100


@dataclass(frozen=True)
class WindowInput:
    doc_index: int
    window: Window
    input_ids: list[int]
    labels: list[int] | None
    features: np.ndarray | None = None  # (len(input_ids), 4 * categories), zero rows on [CLS]/[SEP]


def document_features(lexicon: Lexicon | None, tokens: TokenizedText) -> np.ndarray | None:
    """Lexicon features of every token of a document (matched on the whole text, so words that cross a
    window edge still count)."""
    if lexicon is None:
        return None
    return token_features(lexicon.char_features(tokens.text), tokens.offsets)


def window_inputs(
    tokenizer, tokens: TokenizedText, doc_index: int, max_length: int, stride: int,
    tag_ids: Sequence[int] | None = None, features: np.ndarray | None = None,
) -> list[WindowInput]:
    """Rows for one tokenized document; `tag_ids` (one per token) become labels, -100 on [CLS]/[SEP]."""
    rows = []
    for window in make_windows(tokens, max_length - 2, stride):
        ids = [tokenizer.cls_token_id, *tokens.input_ids[window.start : window.end], tokenizer.sep_token_id]
        labels = None
        if tag_ids is not None:
            labels = [IGNORE, *tag_ids[window.start : window.end], IGNORE]
        window_features = None
        if features is not None:
            window_features = np.zeros((len(ids), features.shape[1]), dtype=np.float32)
            window_features[1:-1] = features[window.start : window.end]
        rows.append(WindowInput(doc_index, window, ids, labels, window_features))
    return rows


def training_rows(
    tokenizer, documents: Sequence[Document], label2id: dict[str, int], max_length: int, stride: int,
    lexicon: Lexicon | None = None,
) -> list[WindowInput]:
    """Labelled windows of every document; tags outside the label set train as `O`."""
    rows = []
    for index, doc in enumerate(documents):
        tokens = tokenize(tokenizer, doc.text)
        known = [span for span in doc.entities if f"B-{span.label}" in label2id]
        tags = spans_to_token_tags(tokens, known)
        rows += window_inputs(tokenizer, tokens, index, max_length, stride, [label2id[t] for t in tags],
                              document_features(lexicon, tokens))
    return rows


def collate(rows: Sequence[WindowInput], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest row (built in NumPy: one tensor per field, not one per row)."""
    width = max(len(r.input_ids) for r in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    labels = np.full((len(rows), width), IGNORE, dtype=np.int64) if rows[0].labels is not None else None
    features = (np.zeros((len(rows), width, rows[0].features.shape[1]), dtype=np.float32)
                if rows[0].features is not None else None)
    for i, row in enumerate(rows):
        n = len(row.input_ids)
        ids[i, :n] = row.input_ids
        mask[i, :n] = 1
        if labels is not None:
            labels[i, :n] = row.labels
        if features is not None:
            features[i, :n] = row.features
    batch = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
    if labels is not None:
        batch["labels"] = torch.from_numpy(labels)
    if features is not None:
        batch["lexicon_features"] = torch.from_numpy(features)
    return batch


__all__ = ["WindowInput", "window_inputs", "training_rows", "collate", "tokenize", "document_features", "IGNORE"]
