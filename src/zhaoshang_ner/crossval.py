"""Document-grouped cross-validation: folds, per-fold scores, mean ± std and pooled counts."""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Collection, Sequence

from sklearn.model_selection import GroupKFold

from zhaoshang_ner.documents import Document, Span
from zhaoshang_ner.metrics import classify_errors, entity_scores, error_counts, prf, span_counts

Tagger = Callable[[Sequence[Document], Sequence[Document]], dict[str, list[list[Span]]]]


def document_folds(documents: Sequence[Document], n_folds: int | None) -> list[tuple[list[int], list[int]]]:
    """`GroupKFold` over document groups (paragraphs of one corpus document stay together); `None` means
    leave-one-group-out."""
    groups = [doc.fold_group for doc in documents]
    k = len(set(groups)) if not n_folds else min(n_folds, len(set(groups)))
    if k < 2:
        raise ValueError("cross-validation needs at least 2 document groups")
    splitter = GroupKFold(n_splits=k)
    return [(list(train), list(test)) for train, test in splitter.split(documents, groups=groups)]


DEV_SHARE = 0.15


def in_dev_split(group: str, share: float = DEV_SHARE) -> bool:
    """Whether a document group is in the fixed development split: decided by the group's hash, so the
    split never changes as documents are added, and no one picks it by hand."""
    return int(hashlib.sha256(group.encode("utf-8")).hexdigest()[:8], 16) / 16**8 < share


def dev_split(documents: Sequence[Document]) -> list[tuple[list[int], list[int]]]:
    """The fixed development split as one `(train indices, dev indices)` split: recipes are chosen on it,
    and cross-validation over all documents is what is reported."""
    dev = [i for i, doc in enumerate(documents) if in_dev_split(doc.fold_group)]
    if not dev or len(dev) == len(documents):
        raise ValueError("the development split needs documents on both sides")
    return [([i for i in range(len(documents)) if not in_dev_split(documents[i].fold_group)], dev)]


def subsample_groups(documents: Sequence[Document], share: float, seed: int) -> list[Document]:
    """The documents of a seeded `share` of the groups (at least one): the learning curve's training sets."""
    groups = sorted({doc.fold_group for doc in documents})
    kept = set(random.Random(seed).sample(groups, max(1, round(share * len(groups)))))
    return [doc for doc in documents if doc.fold_group in kept]


Split = tuple[list[int], list[int]]


def split_key(test_docs: Sequence[Document]) -> str:
    """A split's name: a hash of its test documents (a resumed run or a saved fold model must match it)."""
    return hashlib.sha256("\n".join(doc.id for doc in test_docs).encode()).hexdigest()[:16]


def cross_validate(documents: Sequence[Document], tag: Tagger, splits: Sequence[Split], labels: Sequence[str],
                   progress: Callable[[str], None] = print, train_share: float = 1.0, seed: int = 13,
                   state: str | Path | None = None, only: Collection[int] | None = None,
                   partial: bool = False) -> dict[str, dict] | None:
    """Run `tag(train_docs, test_docs)` per split and summarise each of its variants.

    `tag` returns `{variant: predictions}`: one training can be scored under several decoding variants
    (document steps on and off) on exactly the same folds. With `train_share` < 1 each split trains on
    that share of its training groups (a learning-curve point; the test documents stay the same). With
    `state`, each finished split is appended to that JSONL file (with its held-out predictions, for error
    analysis) and a rerun skips the splits found there (for the same test documents), so an interrupted
    run resumes. With `only`, the other splits are not trained (parallel jobs share one `state`), and the
    summary (None until then) needs every split in `state`, unless `partial`: then it covers the splits
    finished so far (a run stopped early; `folds` says which).

    Per label, the mean and std of F1 are over the splits whose test documents contain that label;
    `pooled` scores count every split's true positives, predictions and gold spans together.
    """
    done = _read_state(state)
    folds = []
    started, trained = time.monotonic(), 0
    keys = [split_key([documents[i] for i in test]) for _, test in splits]
    for index, ((train, test), key) in enumerate(zip(splits, keys)):
        test_docs = [documents[i] for i in test]
        if (index, key) in done:
            folds.append(done[index, key])
            progress(f"split {index + 1}/{len(splits)}: done before")
            continue
        if only is not None and index not in only:
            continue
        train_docs = [documents[i] for i in train]
        if train_share < 1.0:
            train_docs = subsample_groups(train_docs, train_share, seed + index)
        variants = {name: score_split(test_docs, predicted) for name, predicted in tag(train_docs, test_docs).items()}
        fold = {"fold": index, "key": key, "test_ids": [d.id for d in test_docs], "train_documents": len(train_docs),
                "variants": variants}
        folds.append(fold)
        if state:
            Path(state).parent.mkdir(parents=True, exist_ok=True)  # a new report folder: its first fold must not be lost
            with open(state, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(fold, ensure_ascii=False) + "\n")
        trained += 1
        elapsed = time.monotonic() - started
        micro = ", ".join(f"{name or 'micro-F1'} {v['scores']['micro']['f1']:.3f}" for name, v in variants.items())
        left = sum(1 for later in range(index + 1, len(splits)) if (only is None or later in only)
                   and (later, keys[later]) not in done)
        progress(f"split {index + 1}/{len(splits)}: {micro} on {len(test_docs)} documents (trained on "
                 f"{len(train_docs)}); {elapsed / 60:.0f} min, ETA {elapsed / trained * left / 60:.0f} min")
    if len(folds) < len(splits):  # with `only`: the other jobs' splits may have finished meanwhile
        done = _read_state(state)
        folds = [done[index, key] for index, key in enumerate(keys) if (index, key) in done]
        if not folds or (len(folds) < len(splits) and not partial):
            return None
    names = list(folds[0]["variants"]) if folds else []
    return {name: summarise([{**{k: v for k, v in f.items() if k != "variants"},
                              **{k: v for k, v in f["variants"][name].items() if k != "predictions"}} for f in folds],
                            labels) for name in names}


def score_split(test_docs: Sequence[Document], predicted: Sequence[Sequence[Span]]) -> dict:
    """One split under one variant: scores, span counts and error kinds per label (pooled later), and the
    predictions as `{doc id: [[start, end, label], ...]}` (kept in the state file, left out of reports)."""
    return {"scores": entity_scores(test_docs, predicted), "counts": span_counts(test_docs, predicted),
            "errors": error_counts(classify_errors(test_docs, predicted)),
            "predictions": {doc.id: [[s.start, s.end, s.label] for s in spans] for doc, spans in zip(test_docs, predicted)}}


def _read_state(state: str | Path | None) -> dict[tuple[int, str], dict]:
    if not state or not Path(state).exists():
        return {}
    with open(state, encoding="utf-8") as handle:
        return {(fold["fold"], fold["key"]): fold for fold in map(json.loads, handle) if fold}


def summarise(folds: Sequence[dict], labels: Sequence[str]) -> dict:
    """Mean ± std of F1 per label over the folds that have it, and pooled counts and scores."""
    pooled: dict[str, dict[str, int]] = {}
    for fold in folds:
        for label, counts in fold["counts"].items():
            total = pooled.setdefault(label, {"tp": 0, "predicted": 0, "gold": 0})
            for key in total:
                total[key] += counts.get(key, 0)
    summary = {}
    for label in [*labels, "micro", "macro"]:
        values = [f["scores"][label]["f1"] for f in folds if f["scores"].get(label, {}).get("support", 0) > 0]
        summary[label] = {"f1_mean": statistics.fmean(values) if values else 0.0,
                          "f1_std": statistics.pstdev(values) if len(values) > 1 else 0.0, "folds": len(values)}
    errors: dict[str, Counter] = {}
    for fold in folds:  # reports written before error kinds were counted have none
        for label, kinds in fold.get("errors", {}).items():
            errors.setdefault(label, Counter()).update(kinds)
    totals = {k: sum(c[k] for label, c in pooled.items() if label in labels) for k in ("tp", "predicted", "gold")}
    pooled_scores = {label: prf(c["tp"], c["predicted"], c["gold"]) for label, c in pooled.items() if label in labels}
    pooled_scores["micro"] = prf(totals["tp"], totals["predicted"], totals["gold"])
    return {"folds": list(folds), "summary": summary, "pooled": pooled_scores, "pooled_counts": pooled,
            "pooled_errors": {label: dict(kinds) for label, kinds in errors.items()}}
