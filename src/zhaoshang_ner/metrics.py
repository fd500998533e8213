"""Strict entity-level scores with seqeval, from span lists; and a classification of errors."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from zhaoshang_ner.documents import Document, Span
from zhaoshang_ner.spans import spans_to_bio


def entity_scores(gold: Sequence[Document], predicted: Sequence[Sequence[Span]]) -> dict:
    """Per-label and micro/macro P/R/F1/support (seqeval, strict IOB2 over characters = exact span match)."""
    y_true = [spans_to_bio(len(doc.text), doc.entities) for doc in gold]
    y_pred = [spans_to_bio(len(doc.text), spans) for doc, spans in zip(gold, predicted)]
    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    return {
        key.replace(" avg", ""): {
            "precision": float(v["precision"]),
            "recall": float(v["recall"]),
            "f1": float(v["f1-score"]),
            "support": int(v["support"]),
        }
        for key, v in report.items()
        if key != "weighted avg"
    }


def span_counts(gold: Sequence[Document], predicted: Sequence[Sequence[Span]]) -> dict[str, dict[str, int]]:
    """Pooled true-positive / predicted / gold counts per label (for pooling over folds)."""
    counts: dict[str, Counter] = {}
    for doc, spans in zip(gold, predicted):
        gold_set = {(s.start, s.end, s.label) for s in doc.entities}
        pred_set = {(s.start, s.end, s.label) for s in spans}
        for kind, items in (("gold", gold_set), ("predicted", pred_set), ("tp", gold_set & pred_set)):
            for _, _, label in items:
                counts.setdefault(label, Counter())[kind] += 1
    return {label: dict(c) for label, c in sorted(counts.items())}


def prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": gold}


@dataclass(frozen=True)
class Error:
    kind: str  # missed | spurious | wrong_label | wrong_boundary
    doc_id: str
    gold: Span | None
    predicted: Span | None

    @property
    def label(self) -> str:
        return (self.gold or self.predicted).label


def classify_errors(gold: Sequence[Document], predicted: Sequence[Sequence[Span]]) -> list[Error]:
    """Each unmatched gold or predicted span becomes one error, by its nearest counterpart.

    wrong_label: same offsets, other label; wrong_boundary: overlapping span of the same label;
    missed: gold with neither; spurious: prediction with neither. (An overlap with another label
    and other offsets counts as a missed plus a spurious.)
    """
    errors: list[Error] = []
    for doc, spans in zip(gold, predicted):
        gold_set, pred_set = set(doc.entities), set(spans)
        exact = {(s.start, s.end, s.label) for s in gold_set} & {(s.start, s.end, s.label) for s in pred_set}
        g_left = [s for s in sorted(gold_set) if (s.start, s.end, s.label) not in exact]
        p_left = [s for s in sorted(pred_set) if (s.start, s.end, s.label) not in exact]
        used: set[Span] = set()
        for g in g_left:
            same_offsets = next((p for p in p_left if (p.start, p.end) == (g.start, g.end) and p not in used), None)
            overlapping = next(
                (p for p in p_left if p.label == g.label and p.start < g.end and g.start < p.end and p not in used), None
            )
            if same_offsets:
                used.add(same_offsets)
                errors.append(Error("wrong_label", doc.id, g, same_offsets))
            elif overlapping:
                used.add(overlapping)
                errors.append(Error("wrong_boundary", doc.id, g, overlapping))
            else:
                errors.append(Error("missed", doc.id, g, None))
        errors += [Error("spurious", doc.id, None, p) for p in p_left if p not in used]
    return errors


def error_counts(errors: Sequence[Error]) -> dict[str, dict[str, int]]:
    """`{label: {kind: count}}`: the error table of an evaluation or of one cross-validation split."""
    counts: dict[str, dict[str, int]] = {}
    for error in errors:
        kinds = counts.setdefault(error.label, {})
        kinds[error.kind] = kinds.get(error.kind, 0) + 1
    return counts
