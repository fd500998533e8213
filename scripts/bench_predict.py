#!/usr/bin/env python
"""CPU prediction throughput and peak memory per batch size, as a Markdown table.

    python scripts/bench_predict.py [--model DIR] [--articles DIR] [--threads N] [--batch-sizes 1 8 32]

The articles (all `*.txt` under DIR) are repeated until the set holds at least `--min-chars`
characters, then predicted the way `zhaoshang-ner-predict` does it (files read and decoded, batches of
documents). Each batch size runs in a fresh subprocess, so its peak RSS (`ru_maxrss`, which counts
torch's own allocations, unlike tracemalloc) is its own; one warm-up batch runs before timing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from zhaoshang_ner.batch import DEFAULT_MODEL, collect_tasks, load_text, predict_records

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mib() -> float:
    """Peak resident memory of this process; Linux reports KiB, macOS bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def measure(args: argparse.Namespace) -> dict:
    """Run in the worker process: time prediction of the repeated article set at one batch size."""
    import torch

    from zhaoshang_ner.predictor import Predictor

    if args.threads:
        torch.set_num_threads(args.threads)
    articles, total = readable_articles(args.articles)
    tasks = articles * -(-args.min_chars // total)  # repeated up to at least min_chars
    predictor = Predictor.from_pretrained(args.model, device="cpu", batch_size=args.worker)
    predict_records(predictor, tasks[: args.worker], args.worker)  # warm-up
    started, chars = time.perf_counter(), 0
    for first in range(0, len(tasks), args.worker):
        chars += sum(r.get("chars", 0) for r in predict_records(predictor, tasks[first : first + args.worker],
                                                                 args.worker))
    seconds = time.perf_counter() - started
    return {"batch_size": args.worker, "documents": len(tasks), "chars": chars, "seconds": seconds,
            "threads": torch.get_num_threads(), "peak_rss_mib": peak_rss_mib()}


def readable_articles(folder: str) -> tuple[list, int]:
    """The folder's article tasks that decode, and their total characters."""
    articles, total = [], 0
    for task in collect_tasks([folder]):
        try:
            total += len(load_text(task)[0])
            articles.append(task)
        except ValueError:
            continue
    if not total:
        raise ValueError(f"{folder}: no readable article text")
    return articles, total


def table(rows: list[dict]) -> str:
    lines = ["| batch size | documents | characters | threads | seconds | characters/s | peak RSS (MiB) |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['batch_size']} | {r['documents']} | {r['chars']:,} | {r['threads']} | "
                     f"{r['seconds']:.2f} | {r['chars'] / r['seconds']:,.0f} | {r['peak_rss_mib']:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(DEFAULT_MODEL), metavar="DIR")
    parser.add_argument("--articles", default=str(ROOT.parent / "shared" / "articles"), metavar="DIR")
    parser.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32], metavar="N")
    parser.add_argument("--min-chars", type=int, default=50_000, metavar="N")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # one measurement, in a subprocess
    args = parser.parse_args(argv)
    if not Path(args.model).is_dir():
        print(f"bench_predict: error: no model directory at {args.model}: pass --model DIR", file=sys.stderr)
        return 2
    if args.worker:
        print(json.dumps(measure(args)))
        return 0
    rows = []
    for size in args.batch_sizes:
        cmd = [sys.executable, __file__, "--model", args.model, "--articles", args.articles,
               "--min-chars", str(args.min_chars), "--worker", str(size)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"bench_predict: batch size {size} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.splitlines()[-1]))
    print(f"Model `{args.model}`, articles `{args.articles}`, CPU\n")
    sys.stdout.write(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
