#!/usr/bin/env python
"""Baidu LAC as a row of the public benchmarks: its PER/LOC/ORG words scored on test sets whose labels are
PER/LOC/ORG (MSRA, People's Daily), strict entity-level F1 like every other row.

    /path/to/lac-env/bin/python scripts/lac_benchmark.py [--datasets msra peoples_daily] \
        [--output reports/public-benchmarks.jsonl]

Runs in LAC's own environment (README "Silver labels"; there also `pip install seqeval` and
`pip install --no-deps -e .`), never in the package's. LAC is not trained on these sets' training
splits by us, so its score is what a user who picks LAC instead would get; its segmentation
conventions (e.g. 中共中央 as one ORG word) count against it as they would against any tagger.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from silver_lac import load_lac, run_sorted  # noqa: E402  (the silver script's LAC loader and batching)

from zhaoshang_ner.config import command_line  # noqa: E402
from zhaoshang_ner.documents import Span  # noqa: E402
from zhaoshang_ner.metrics import entity_scores  # noqa: E402
from zhaoshang_ner.public_data import load_public  # noqa: E402
from zhaoshang_ner.reports import record_benchmark  # noqa: E402

MAPPED = {"PER": "PER", "LOC": "LOC", "ORG": "ORG"}
SPLITS = {"msra": "test", "peoples_daily": "test"}


def lac_spans(words: list[str], tags: list[str]) -> list[Span]:
    spans, at = [], 0
    for word, tag in zip(words, tags):
        if tag in MAPPED and word.strip():
            spans.append(Span(at, at + len(word), MAPPED[tag], word))
        at += len(word)
    return spans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    parser.add_argument("--datasets-dir", default="../shared/ner-datasets")
    parser.add_argument("--output", default="reports/public-benchmarks.jsonl")
    args = parser.parse_args(argv)
    lac = load_lac()
    for name in args.datasets:
        docs = load_public(args.datasets_dir, name, SPLITS[name])
        predicted = [lac_spans(words, tags) for words, tags in run_sorted(lac, [d.text for d in docs])]
        scores = entity_scores(docs, predicted)
        record_benchmark(args.output, "Baidu LAC 2.1.2 (not fine-tuned)", name, SPLITS[name], scores,
                         command_line("scripts/lac_benchmark.py", argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
