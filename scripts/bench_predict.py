#!/usr/bin/env python
"""CPU prediction speed: characters/s per backend, threads and batch size, a per-stage profile, peak memory,
and Baidu LAC on the same texts for comparison.

    python scripts/bench_predict.py [--model DIR [DIR ...]] [--articles DIR] [--threads 1 2] [--batch-sizes 8 32]
        [--backends torch onnx-int8] [--min-chars 200000] [--lac-python /path/to/lac-env/bin/python]
        [--output reports/bench-predict.md]

The articles (all `*.txt` under DIR) are repeated until the set holds at least `--min-chars` characters
and predicted the way `zhaoshang-ner-predict` does it: files read and decoded, documents batched,
records rendered as JSON lines. Each configuration runs in a fresh subprocess (so its peak RSS,
`ru_maxrss`, is its own) after one warm-up batch. The profile gives each stage's share of wall time:
decode (reading and decoding files), tokenise, lexicon features, windows (cutting and batching),
model forward (the backend's arithmetic), decoding (Viterbi, spans, rules, document steps), values
(amounts and dates), writing (JSON). With `--lac-python` (an interpreter where `lac` is installed,
see the README's "Silver labels"), LAC segments and tags the same texts in that interpreter; without it the
row is skipped with a message.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zhaoshang_ner.backends import ONNX_FILES
from zhaoshang_ner.batch import DEFAULT_MODEL, collect_tasks, load_text
from zhaoshang_ner.timing import STAGES, StageTimes

ROOT = Path(__file__).resolve().parents[1]
LAC_WORKER = """
import json, sys, time
import paddle, paddle.base
sys.modules.setdefault("paddle.fluid", paddle.base)
sys.modules.setdefault("paddle.fluid.core", paddle.base.core)
from LAC import LAC
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
lac = LAC(mode="lac")
lac.run(texts[:4])
lines = [line for text in texts for line in text.splitlines() if line.strip()]
order = sorted(range(len(lines)), key=lambda i: len(lines[i]))
started = time.perf_counter()
for first in range(0, len(order), 64):
    lac.run([lines[i] for i in order[first:first + 64]])
print(json.dumps({"seconds": time.perf_counter() - started, "chars": sum(map(len, texts))}))
"""


def peak_rss_mib() -> float:
    """Peak resident memory of this process; Linux reports KiB, macOS bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


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


def measure(args: argparse.Namespace) -> dict:
    """In the worker process: predict the repeated article set with one configuration, profiling stages."""
    import torch

    from zhaoshang_ner.predictor import Predictor

    threads, batch_size, backend = args.worker
    torch.set_num_threads(threads)
    articles, total = readable_articles(args.articles)
    tasks = articles * -(-args.min_chars // total)
    predictor = Predictor.from_pretrained(args.model[0], device="cpu", batch_size=batch_size, backend=backend)
    predictor.predict_many([load_text(task)[0] for task in tasks[:batch_size]])  # warm-up
    times = StageTimes()
    predictor.times = times
    started, chars = time.perf_counter(), 0
    with tempfile.TemporaryFile("w", encoding="utf-8") as sink:
        for first in range(0, len(tasks), batch_size):
            with times.stage("decode"):
                texts = [load_text(task)[0] for task in tasks[first : first + batch_size]]
            for text, entities in zip(texts, predictor.predict_many(texts)):
                with times.stage("writing"):
                    sink.write(json.dumps({"chars": len(text), "entities": [e.to_json() for e in entities]},
                                          ensure_ascii=False, allow_nan=False) + "\n")
                chars += len(text)
    seconds = time.perf_counter() - started
    return {"model": args.model[0], "backend": backend, "threads": threads, "batch_size": batch_size, "documents": len(tasks),
            "chars": chars, "seconds": seconds, "stages": dict(times.seconds), "peak_rss_mib": peak_rss_mib()}


def lac_row(python: str | None, articles: str, min_chars: int) -> dict | str:
    """LAC's characters/s on the same texts, run by `python`; a message when it cannot run."""
    if not python:
        return "LAC: skipped (pass --lac-python, an interpreter with `lac` installed)"
    tasks, total = readable_articles(articles)
    texts = [load_text(task)[0] for task in tasks * -(-min_chars // total)]
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "texts.jsonl"
        data.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
        script = Path(folder) / "lac_worker.py"
        script.write_text(LAC_WORKER, encoding="utf-8")
        try:
            done = subprocess.run([python, str(script), str(data)], capture_output=True, text=True, timeout=3600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"LAC: skipped ({exc})"
    if done.returncode != 0:
        return f"LAC: skipped ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'failed'})"
    return json.loads(done.stdout.splitlines()[-1])


def table(rows: list[dict], lac: dict | str) -> str:
    lines = ["| model | backend | threads | batch | characters | seconds | characters/s | peak RSS (MiB) | "
             + " | ".join(STAGES) + " |", "|---|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(STAGES)]
    for r in rows:
        shares = " | ".join(f"{100 * r['stages'].get(stage, 0.0) / r['seconds']:.0f} %" for stage in STAGES)
        lines.append(f"| `{r['model']}` | {r['backend']} | {r['threads']} | {r['batch_size']} | {r['chars']:,} | {r['seconds']:.1f} | "
                     f"{r['chars'] / r['seconds']:,.0f} | {r['peak_rss_mib']:,.0f} | {shares} |")
    if isinstance(lac, dict):
        lines.append(f"| Baidu LAC | lac mode | – | 64 lines | {lac['chars']:,} | {lac['seconds']:.1f} | "
                     f"{lac['chars'] / lac['seconds']:,.0f} | – |" + " – |" * len(STAGES))
    else:
        lines.append("")
        lines.append(lac)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", nargs="+", default=[str(DEFAULT_MODEL)], metavar="DIR",
                        help="model directories, measured in the same run (e.g. before and after a change)")
    parser.add_argument("--articles", default=str(ROOT.parent / "shared" / "articles"), metavar="DIR")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], metavar="N")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 32], metavar="N")
    parser.add_argument("--backends", nargs="+", default=["torch"], metavar="NAME")
    parser.add_argument("--min-chars", type=int, default=200_000, metavar="N")
    parser.add_argument("--lac-python", default=None, metavar="PYTHON")
    parser.add_argument("--output", default=None, metavar="FILE.md", help="also write the table (with the command)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)  # threads batch backend: one run, in a subprocess
    args = parser.parse_args(argv)
    for model in args.model:
        if not Path(model).is_dir():
            print(f"bench_predict: error: no model directory at {model}: pass --model DIR", file=sys.stderr)
            return 2
    if args.worker:
        args.worker = (int(args.worker[0]), int(args.worker[1]), args.worker[2])
        print(json.dumps(measure(args)))
        return 0
    rows = []
    for model, backend, threads, size in itertools.product(args.model, args.backends, args.threads, args.batch_sizes):
        if backend.startswith("onnx") and not (Path(model) / ONNX_FILES[backend]).exists():
            print(f"bench_predict: {model} has no {ONNX_FILES[backend]}: {backend} skipped", file=sys.stderr)
            continue
        cmd = [sys.executable, __file__, "--model", model, "--articles", args.articles,
               "--min-chars", str(args.min_chars), "--worker", str(threads), str(size), backend]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"bench_predict: {model}, {backend}, {threads} threads, batch {size} failed:\n{done.stderr[-2000:]}",
                  file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.splitlines()[-1]))
        print(f"{model} {backend} threads={threads} batch={size}: "
              f"{rows[-1]['chars'] / rows[-1]['seconds']:,.0f} characters/s", file=sys.stderr)
    lac = lac_row(args.lac_python, args.articles, args.min_chars)
    from zhaoshang_ner.config import command_line

    report = (f"Articles `{args.articles}` (repeated to {args.min_chars:,} characters), "
              f"CPU. Command: `{command_line('scripts/bench_predict.py', argv)}`\n\n{table(rows, lac)}")
    sys.stdout.write(report)
    if args.output:
        from zhaoshang_ner.documents import write_text_atomic

        write_text_atomic(args.output, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
