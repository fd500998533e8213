#!/usr/bin/env python
"""Fine-tune a Chinese BERT-family encoder as a token classifier on span-annotated documents.

    python scripts/train.py --config configs/default.yaml [--set key=value ...] [--resume]

Writes to `output_dir`: the resolved config, `metrics.jsonl` (one line per epoch), `checkpoint/`
(saved every epoch, for --resume) and `model/` (safetensors + tokenizer + label map): the best
epoch by micro-F1 on `eval_file` when one is given, else the last epoch. With an `aux:` section, a
first stage trains on public NER data (output_dir/aux) and the gold stage starts from it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from zhaoshang_ner.config import load_config
from zhaoshang_ner.crossval import dev_split
from zhaoshang_ner.documents import JsonlError, read_gold, write_text_atomic
from zhaoshang_ner.evaluation import scorer
from zhaoshang_ner.training import TRAIN_SCHEMA, aux_stage, fit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="YAML config (see configs/)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set epochs=5 --set aux.epochs=1")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in output_dir")
    parser.add_argument("--dev", action="store_true",
                        help="model selection: train on the fixed training split, score the development split "
                             "every epoch (metrics.jsonl), keep the best epoch")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.overrides, TRAIN_SCHEMA)
        documents = read_gold(cfg["train_file"], cfg["articles"])
        eval_docs = read_gold(cfg["eval_file"], cfg["articles"]) if cfg.get("eval_file") else None
        if args.dev:
            if eval_docs is not None:
                raise ValueError("--dev scores the development split; do not also give eval_file")
            (train, dev), = dev_split(documents)
            documents, eval_docs = [documents[i] for i in train], [documents[i] for i in dev]
    except (OSError, ValueError, JsonlError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output_dir = Path(cfg["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(output_dir / "config.resolved.yaml", yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))

    encoder = aux_stage(cfg, output_dir, args.resume) if cfg.get("aux") else cfg["encoder"]
    evaluate = scorer(eval_docs) if eval_docs else None
    result = fit(cfg, documents, output_dir, labels=cfg["labels"], encoder=encoder, evaluate=evaluate,
                 resume=args.resume, desc="gold")
    last = result.history[-1] if result.history else {}
    print(json.dumps({"model": str(output_dir / "model"), "last_epoch": last}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
