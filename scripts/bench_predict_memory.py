#!/usr/bin/env python
"""Peak memory and time of `zhaoshang-ner-predict` on one huge file versus the same text split into articles.

    python scripts/bench_predict_memory.py [--mb 20] [--model DIR] [--articles DIR] [--threads N] [--together]
                                           [--keep DIR]

The shared articles are repeated, in order, until their UTF-8 text reaches `--mb` MB; that text is written
once as a single file and once as one file per article (the same characters, cut where the articles
meet). Each input is predicted by the real command in its own subprocess, whose peak RSS comes from
`os.wait4` (it counts torch's allocations, unlike tracemalloc). Prints a Markdown table. The two runs go
one after the other, so other load on the machine shows in the times; on a shared machine `--together`
runs them at once, so that such load slows both alike (then each has less CPU than alone).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zhaoshang_ner.batch import DEFAULT_MODEL, collect_tasks, load_text

ROOT = Path(__file__).resolve().parents[1]


def article_texts(folder: str, min_bytes: int) -> list[str]:
    """The folder's readable articles, repeated in order until their UTF-8 size reaches `min_bytes`."""
    texts = []
    for task in collect_tasks([folder]):
        try:
            texts.append(load_text(task).text)
        except ValueError:
            continue
    size = sum(len(t.encode("utf-8")) for t in texts)
    if not size:
        raise ValueError(f"{folder}: no readable article text")
    return texts * -(-min_bytes // size)


def start(inputs: list[Path], out: Path, args: argparse.Namespace) -> dict:
    """Start the command on `inputs`; its progress bar goes to `OUT.log` (a pipe nobody reads could fill)."""
    cmd = [sys.executable, "-m", "zhaoshang_ner.batch", *map(str, inputs), "--output", str(out),
           "--model", args.model, "--device", "cpu"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    with open(out.with_suffix(".log"), "w", encoding="utf-8") as log:
        process = subprocess.Popen(cmd, stderr=log)
    return {"process": process, "log": out.with_suffix(".log"), "command": shlex.join(cmd),
            "started": time.perf_counter()}


def wait(runs: list[dict]) -> list[dict]:
    """Wall time and peak RSS of each run, taken when it ends (`os.wait4` on whichever child ends first,
    so that neither the other's peak nor the wait for the other counts)."""
    pending = {run["process"].pid: run for run in runs}
    done = {}
    while pending:
        pid, status, usage = os.wait4(-1, 0)
        run = pending.pop(pid)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise RuntimeError(f"{run['command']} failed:\n{run['log'].read_text(encoding='utf-8')[-2000:]}")
        peak_mib = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)  # bytes on macOS, KiB on Linux
        done[pid] = {"seconds": time.perf_counter() - run["started"], "peak_rss_mib": peak_mib,
                     "command": run["command"]}
    return [done[run["process"].pid] for run in runs]


def table(rows: list[dict]) -> str:
    base = rows[-1]["seconds"]
    lines = ["| input | documents | characters | seconds | characters/s | time vs articles | peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['documents']:,} | {r['chars']:,} | {r['seconds']:.0f} | "
                     f"{r['chars'] / r['seconds']:,.0f} | {r['seconds'] / base:.2f}× | {r['peak_rss_mib']:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=20.0, help="size of the huge file in MB (default: 20)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), metavar="DIR")
    parser.add_argument("--articles", default=str(ROOT.parent / "shared" / "articles"), metavar="DIR")
    parser.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--together", action="store_true",
                        help="run both at once, so that other load on a shared machine slows both alike")
    parser.add_argument("--keep", metavar="DIR", help="write inputs and outputs here and keep them (default: a temp dir)")
    args = parser.parse_args(argv)
    if not Path(args.model).is_dir():
        print(f"bench_predict_memory: error: no model directory at {args.model}: pass --model DIR", file=sys.stderr)
        return 2
    texts = article_texts(args.articles, int(args.mb * 1e6))
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(args.keep or scratch)
        (work / "articles").mkdir(parents=True, exist_ok=True)
        huge = work / "huge.txt"
        huge.write_text("".join(texts), encoding="utf-8")
        for k, text in enumerate(texts):
            (work / "articles" / f"{k:05d}.txt").write_text(text, encoding="utf-8")
        chars = sum(map(len, texts))
        cases = [(f"one {huge.stat().st_size / 1e6:.1f} MB file", [huge], 1, work / "huge.jsonl"),
                 ("the same text as articles", [work / "articles"], len(texts), work / "articles.jsonl")]
        rows = []
        if args.together:
            results = wait([start(inputs, out, args) for _, inputs, _, out in cases])
        else:
            results = [wait([start(inputs, out, args)])[0] for _, inputs, _, out in cases]
        for (name, _, documents, _), result in zip(cases, results):
            rows.append({"name": name, "documents": documents, "chars": chars, **result})
            print(f"{name}: {result['seconds']:.0f} s, {result['peak_rss_mib']:,.0f} MiB", file=sys.stderr)
    print(f"Model `{args.model}`, CPU, {os.cpu_count()} cores, threads: {args.threads or 'default'}, "
          f"{'both runs at once' if args.together else 'one run after the other'}\n")
    sys.stdout.write(table(rows))
    print("\nCommands:\n")
    for row in rows:
        print(f"    {row['command']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
