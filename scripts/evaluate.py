#!/usr/bin/env python
"""Score a model directory (or the baseline) on annotated documents and write a Markdown + JSON report.

    python scripts/evaluate.py --model models/zhaoshang-ner-small --data FILE.jsonl [--output evaluation]
    python scripts/evaluate.py --baseline --data FILE.jsonl

The report goes to OUTPUT.md and OUTPUT.json, by default `evaluation.md`/`.json` in the current
directory: never into the repository's reports/ unless asked, where a trial run would overwrite a
committed report.

The report has per-label P/R/F1/support (strict entity level, seqeval), micro and macro averages,
error kinds per label (missed, spurious, wrong label, wrong boundary) and the 30 worst errors with
context. Only data the model did not train on gives honest numbers: the shipped model was trained
on all of annotations/gold.jsonl, so use cross_validate.py for it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from zhaoshang_ner.backends import BACKEND_CHOICES
from zhaoshang_ner.baseline import BaselineTagger
from zhaoshang_ner.config import command_line
from zhaoshang_ner.documents import JsonlError, Span, read_gold, write_text_atomic
from zhaoshang_ner.labels import LABELS
from zhaoshang_ner.metrics import classify_errors, entity_scores, error_counts
from zhaoshang_ner.reports import ERROR_KINDS, evaluation_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="model directory saved by scripts/train.py")
    source.add_argument("--baseline", action="store_true", help="score the non-neural baseline")
    parser.add_argument("--data", required=True, nargs="+", help="annotation JSONL file(s) to score against")
    parser.add_argument("--articles", default=None, help="folder of the annotations' sources (default ../shared/articles)")
    parser.add_argument("--output", default="evaluation", metavar="PATH",
                        help="report path without suffix, .md and .json are added (default: ./evaluation)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--backend", default="auto", choices=BACKEND_CHOICES,
                        help="inference backend, as zhaoshang-ner-predict's (default auto)")
    parser.add_argument("--worst", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        documents = read_gold(args.data, args.articles)
    except (OSError, JsonlError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    confidence: dict[Span, float] = {}
    if args.baseline:
        tagger = BaselineTagger()
        predicted = [tagger.predict(doc.text) for doc in documents]
    else:
        from zhaoshang_ner.predictor import Predictor, spans_of

        try:
            predictor = Predictor.from_pretrained(args.model, device=args.device, backend=args.backend)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        predicted = []
        for entities in predictor.predict_many([doc.text for doc in documents]):
            spans = spans_of(entities)
            confidence.update({s: e.score for s, e in zip(spans, entities)})
            predicted.append(spans)

    scores = entity_scores(documents, predicted)
    errors = classify_errors(documents, predicted)
    command = command_line("scripts/evaluate.py", argv)
    title = f"Evaluation of {'the baseline' if args.baseline else args.model} on {', '.join(args.data)}"
    texts = {doc.id: doc.text for doc in documents}
    output = Path(args.output)
    write_text_atomic(output.with_suffix(".md"),
                      evaluation_markdown(title, command, scores, errors, texts, LABELS, confidence, args.worst))
    counts = error_counts(errors)
    kinds = {label: {k: counts.get(label, {}).get(k, 0) for k in ERROR_KINDS} for label in LABELS}
    report = {"command": command, "scores": scores, "error_kinds": kinds,
              "errors": [{"kind": e.kind, "doc_id": e.doc_id, "gold": e.gold and asdict(e.gold),
                          "predicted": e.predicted and asdict(e.predicted)} for e in errors]}
    write_text_atomic(output.with_suffix(".json"), json.dumps(report, indent=1, ensure_ascii=False))
    print(f"micro-F1 {100 * scores['micro']['f1']:.1f}; report: {output.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
