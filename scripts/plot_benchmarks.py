#!/usr/bin/env python
"""Compare encoders: public-benchmark F1 and gold cross-validation F1 in one table and one SVG plot.

    python scripts/plot_benchmarks.py --public reports/public-benchmarks.jsonl \
        --cv zh-news-encoder-small=reports/cv-gold-only.json --cv tkitseg=reports/cv-tkitseg.json \
        --encoder zh-news-encoder-small --encoder tkitseg \
        --svg docs/benchmarks.svg --markdown reports/encoder-comparison.md

Public records come from scripts/benchmark_public.py (the latest one per encoder, dataset and split
counts); `--cv NAME=FILE` takes pooled micro-F1 from a cross_validate.py report. Every number is
printed with the command that produced it. Encoders named with `--encoder` but not measured show
as "not measured".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhaoshang_ner.documents import write_text_atomic
from zhaoshang_ner.plots import grouped_bars_svg

GOLD = "gold CV micro-F1"


def collect(public: Path | None, cv: list[str], encoders: list[str]) -> tuple[dict, dict, list[str]]:
    """{encoder: {series: F1}}, {(encoder, series): command}, series in order of first appearance."""
    scores: dict[str, dict[str, float]] = {name: {} for name in encoders}
    commands: dict[tuple[str, str], str] = {}
    series: list[str] = []
    records = []
    if public is not None:
        records = [json.loads(line) for line in public.read_text(encoding="utf-8").splitlines() if line.strip()]
    for record in records:  # later lines replace earlier ones
        name = f"{record['dataset']} {record['split']}"
        if name not in series:
            series.append(name)
        scores.setdefault(record["encoder"], {})[name] = record["micro_f1"]
        commands[record["encoder"], name] = record["command"]
    for item in cv:
        encoder, sep, path = item.partition("=")
        if not sep:
            raise SystemExit(f"--cv expects NAME=FILE, got {item!r}")
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        scores.setdefault(encoder, {})[GOLD] = round(100 * report["pooled"]["micro"]["f1"], 2)
        commands[encoder, GOLD] = report["command"]
    if cv:
        series.append(GOLD)
    if encoders:
        scores = {name: scores[name] for name in encoders}
    return scores, commands, series


def markdown(scores: dict, commands: dict, series: list[str]) -> str:
    lines = ["| encoder | " + " | ".join(series) + " |", "|---|" + "---:|" * len(series)]
    for encoder, values in scores.items():
        cells = [f"{values[s]:.1f}" if s in values else "not measured" for s in series]
        lines.append(f"| {encoder} | " + " | ".join(cells) + " |")
    lines += ["", "Commands:", ""]
    lines += [f"- {encoder}, {s}: `{commands[encoder, s]}`" for encoder in scores for s in series
              if (encoder, s) in commands]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--public", type=Path, default=None, help="JSONL written by benchmark_public.py")
    parser.add_argument("--cv", action="append", default=[], metavar="NAME=FILE")
    parser.add_argument("--encoder", action="append", default=[], help="encoders to show, in order (default: all)")
    parser.add_argument("--title", default="Strict entity-level micro-F1 (%) by encoder")
    parser.add_argument("--svg", type=Path, required=True)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args(argv)
    scores, commands, series = collect(args.public, args.cv, args.encoder)
    if not series:
        parser.error("nothing to plot: give --public and/or --cv")
    write_text_atomic(args.svg, grouped_bars_svg(scores, series, args.title))
    table = markdown(scores, commands, series)
    if args.markdown:
        write_text_atomic(args.markdown, f"# {args.title}\n\n{table}")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
