"""Document-grouped cross-validation: folds, per-fold scores, mean ± std and pooled counts."""

from __future__ import annotations

import statistics
from typing import Callable, Sequence

from sklearn.model_selection import GroupKFold

from zhaoshang_ner.documents import Document, Span
from zhaoshang_ner.metrics import entity_scores, prf, span_counts

Tagger = Callable[[Sequence[Document], Sequence[Document]], list[list[Span]]]


def document_folds(documents: Sequence[Document], n_folds: int | None) -> list[tuple[list[int], list[int]]]:
    """`GroupKFold` over document groups (paragraphs of one corpus document stay together); `None` means
    leave-one-group-out."""
    groups = [doc.fold_group for doc in documents]
    k = len(set(groups)) if not n_folds else min(n_folds, len(set(groups)))
    if k < 2:
        raise ValueError("cross-validation needs at least 2 document groups")
    splitter = GroupKFold(n_splits=k)
    return [(list(train), list(test)) for train, test in splitter.split(documents, groups=groups)]


def cross_validate(documents: Sequence[Document], tag: Tagger, n_folds: int | None, labels: Sequence[str],
                   progress: Callable[[str], None] = print) -> dict:
    """Run `tag(train_docs, test_docs)` per fold and summarise.

    Per label, the mean and std of F1 are over the folds whose test documents contain that label;
    `pooled` scores count every fold's true positives, predictions and gold spans together.
    """
    folds = []
    pooled: dict[str, dict[str, int]] = {}
    for index, (train, test) in enumerate(document_folds(documents, n_folds)):
        test_docs = [documents[i] for i in test]
        predicted = tag([documents[i] for i in train], test_docs)
        scores = entity_scores(test_docs, predicted)
        folds.append({"fold": index, "test_ids": [d.id for d in test_docs], "scores": scores})
        for label, counts in span_counts(test_docs, predicted).items():
            total = pooled.setdefault(label, {"tp": 0, "predicted": 0, "gold": 0})
            for key in total:
                total[key] += counts.get(key, 0)
        progress(f"fold {index + 1}: micro-F1 {scores['micro']['f1']:.3f} on {', '.join(d.id for d in test_docs)}")
    summary = {}
    for label in [*labels, "micro", "macro"]:
        values = [f["scores"][label]["f1"] for f in folds if f["scores"].get(label, {}).get("support", 0) > 0]
        summary[label] = {"f1_mean": statistics.fmean(values) if values else 0.0,
                          "f1_std": statistics.pstdev(values) if len(values) > 1 else 0.0, "folds": len(values)}
    totals = {k: sum(c[k] for label, c in pooled.items() if label in labels) for k in ("tp", "predicted", "gold")}
    pooled_scores = {label: prf(c["tp"], c["predicted"], c["gold"]) for label, c in pooled.items() if label in labels}
    pooled_scores["micro"] = prf(totals["tp"], totals["predicted"], totals["gold"])
    return {"folds": folds, "summary": summary, "pooled": pooled_scores, "pooled_counts": pooled}
