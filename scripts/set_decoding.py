#!/usr/bin/env python
"""Set a trained model's document-level decoding steps from a training config, without retraining.

    python scripts/set_decoding.py --model models/zhaoshang-ner-small --config configs/default.yaml [--set key=value ...]

The steps (`doc_consistency`, `region_roles`, `merge_touching`, `snap_heads`) change decoding only, never
the weights: the model `scripts/train.py --config C` writes and a model trained with other steps and then
set here from C have the same config. The merge pairs and head words are learnt from the config's
training documents, as training learns them (`training.decoding_steps`). Only `config.json` changes,
written atomically; the ONNX graphs stay valid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhaoshang_ner.config import ConfigError, load_config
from zhaoshang_ner.documents import read_gold, write_text_atomic
from zhaoshang_ner.training import TRAIN_SCHEMA, decoding_steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a model directory (its config.json is rewritten)")
    parser.add_argument("--config", required=True, help="the training config whose decoding steps to apply")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    path = Path(args.model) / "config.json"
    if not path.exists():
        parser.error(f"{args.model}: no config.json; is this a model directory?")
    try:
        cfg = load_config(args.config, args.overrides, TRAIN_SCHEMA)
    except ConfigError as exc:
        parser.error(str(exc))
    config = json.loads(path.read_text(encoding="utf-8"))
    documents = read_gold(cfg["train_file"], cfg["articles"])
    steps = decoding_steps(cfg, config["ner_labels"], documents)
    changed = {key: value for key, value in steps.items() if config.get(key) != value}
    config.update(steps)
    config = {key: config[key] for key in sorted(config)}  # top level sorted as save_pretrained writes it
    write_text_atomic(path, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    for key, value in steps.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False)}{'  (changed)' if key in changed else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
