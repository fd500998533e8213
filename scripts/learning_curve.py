#!/usr/bin/env python
"""Learning curve: cross-validated micro-F1 with 10, 25, 50 and 100 % of each fold's training documents.

    python scripts/learning_curve.py --config configs/default.yaml --folds 5 \
        --full reports/ablation/cv-NAME.json [--shares 0.1 0.25 0.5] [--output reports/learning-curve]

Each share runs `scripts/cross_validate.py --train-share S` on the same folds (test documents never
change; training groups are a seeded sample of the fold's), resumable; the 100 % point is the
cross-validation report given as `--full` (same config and folds). Writes `OUTPUT.md` (pooled micro-F1
and per-label F1 per share, with the commands) and `OUTPUT.svg`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhaoshang_ner.config import command_line
from zhaoshang_ner.documents import write_text_atomic
from zhaoshang_ner.labels import LABELS
from zhaoshang_ner.plots import line_chart_svg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.1, 0.25, 0.5])
    parser.add_argument("--full", required=True, help="cross_validate.py report of the same config and folds")
    parser.add_argument("--output", default="reports/learning-curve")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    import cross_validate

    output = Path(args.output)
    reports = {}
    for share in args.shares:
        path = output.parent / f"{output.name}-data" / f"cv-share-{share:g}.json"
        cv_args = ["--config", args.config, "--folds", str(args.folds), "--train-share", str(share), "--resume",
                   "--name", f"share-{share:g}", "--output", str(path)]
        for item in args.overrides:
            cv_args += ["--set", item]
        if cross_validate.main(cv_args) != 0:
            return 1
        reports[share] = json.loads(path.read_text(encoding="utf-8"))
    reports[1.0] = json.loads(Path(args.full).read_text(encoding="utf-8"))
    shares = sorted(reports)
    rows = ["| labels | " + " | ".join(f"{100 * s:g} %" for s in shares) + " |", "|---|" + "---:|" * len(shares)]
    for label in ["micro", *LABELS]:
        cells = [f"{100 * reports[s]['pooled'].get(label, {'f1': 0.0})['f1']:.1f}" for s in shares]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    documents = [round(sum(f["train_documents"] for f in reports[s]["folds"]) / len(reports[s]["folds"]))
                 for s in shares]
    commands = "\n".join(f"- {100 * s:g} %: `{reports[s]['command']}`" for s in shares)
    text = (f"# Learning curve\n\nCommand: `{command_line('scripts/learning_curve.py', argv)}`\n\n"
            f"Pooled strict F1 over the same {args.folds} document-grouped folds, training on a share of each "
            f"fold's training documents (mean training documents per fold: "
            f"{', '.join(f'{100 * s:g} % → {n}' for s, n in zip(shares, documents))}).\n\n"
            + "\n".join(rows) + f"\n\n![learning curve]({output.name}.svg)\n\nRuns:\n{commands}\n")
    write_text_atomic(output.with_suffix(".md"), text)
    series = {"micro": [(100 * s, 100 * reports[s]["pooled"]["micro"]["f1"]) for s in shares]}
    for label in LABELS:
        series[label] = [(100 * s, 100 * reports[s]["pooled"].get(label, {"f1": 0.0})["f1"]) for s in shares]
    write_text_atomic(output.with_suffix(".svg"), line_chart_svg(
        series, "Cross-validated F1 by share of training documents", "% of each fold's training documents",
        "strict F1"))
    print(f"learning curve -> {output.with_suffix('.md')}, {output.with_suffix('.svg')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
