#!/usr/bin/env python
"""The intermediate multi-task stage: public NER sets and LAC silver tasks on one encoder (issue 11).

    OMP_NUM_THREADS=1 python scripts/train_multitask.py --config configs/multitask.yaml [--set key=value ...] [--resume]

Writes to `output_dir`: `model/` (the project's model directory: encoder, lexicon embedding, lexicon,
tokenizer, the `head` task's classifier), `checkpoint/` (resume with --resume), `metrics.jsonl` and
`results.json` (dev and test strict F1 of every task's head). Copy `model/` to a models/ folder and name
it as `encoder:` in a gold config (configs/intermediate.yaml). The sampling rule is in
`zhaoshang_ner.multitask`.
"""

from __future__ import annotations

import argparse
import json
import sys

from zhaoshang_ner.config import ConfigError, command_line, load_config
from zhaoshang_ner.multitask import SCHEMA, train_multitask, write_card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/multitask.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--resume", action="store_true", help="continue from output_dir/checkpoint")
    parser.add_argument("--card-only", action="store_true",
                        help="only (re)write output_dir/model/ENCODER.md from output_dir/results.json")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.overrides, SCHEMA)
    except (OSError, ConfigError) as exc:
        print(f"train_multitask: error: {exc}", file=sys.stderr)
        return 2
    if args.card_only:
        write_card(cfg)
        return 0
    results = train_multitask(cfg, resume=args.resume, command=command_line("scripts/train_multitask.py", argv))
    summary = {name: {split: round(100 * entry[split]["micro_f1"], 2) for split in ("dev", "test") if split in entry}
               for name, entry in results["tasks"].items()}
    print(json.dumps({"command": results["command"], "steps": results["steps"], "f1": summary}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
