#!/usr/bin/env python
"""Fine-tune an encoder on a public Chinese NER benchmark with one fixed recipe and score it.

    python scripts/benchmark_public.py --config configs/public-benchmark.yaml \
        --set encoder=models/zh-news-encoder-small --set dataset=msra --set eval_split=test

Uses the dataset's own labels; strict entity-level micro-F1 (seqeval) on `eval_split`. Appends a
JSON line (encoder, dataset, split, scores, command) to `--output` (default reports/public-benchmarks.jsonl).
"""

from __future__ import annotations

import argparse
import json
import sys

from zhaoshang_ner.config import Section, command_line, load_config
from zhaoshang_ner.evaluation import predict_documents
from zhaoshang_ner.metrics import entity_scores
from zhaoshang_ner.predictor import Predictor
from zhaoshang_ner.public_data import load_public
from zhaoshang_ner.reports import record_benchmark
from zhaoshang_ner.training import TRAIN_SCHEMA, fit

NONE = type(None)
SCHEMA = Section({**TRAIN_SCHEMA.fields, "dataset": str, "datasets_dir": str, "train_split": str,
                  "eval_split": str, "max_train_sentences": (int, NONE)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/public-benchmark.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--name", default=None, help="encoder name in the report (default: its path)")
    parser.add_argument("--output", default="reports/public-benchmarks.jsonl")
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.overrides, SCHEMA)
    train = load_public(cfg["datasets_dir"], cfg["dataset"], cfg["train_split"],
                        max_sentences=cfg.get("max_train_sentences"), seed=cfg["seed"])
    test = load_public(cfg["datasets_dir"], cfg["dataset"], cfg["eval_split"])
    labels = sorted({span.label for doc in train for span in doc.entities})
    result = fit(cfg, train, labels=labels, desc=cfg["dataset"])
    predictor = Predictor.from_model(result.model, result.tokenizer, batch_size=128)
    scores = entity_scores(test, predict_documents(predictor, test))
    encoder = cfg["encoder"] if isinstance(cfg["encoder"], str) else "random init " + json.dumps(cfg["encoder"])
    record_benchmark(args.output, args.name or encoder, cfg["dataset"], cfg["eval_split"], scores,
                     command_line("scripts/benchmark_public.py", argv), train_sentences=len(train),
                     epochs=cfg["epochs"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
