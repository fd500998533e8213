#!/usr/bin/env python
"""Silver labels from Baidu LAC over unlabelled text: word boundaries, parts of speech and PER/LOC/ORG/TIME.

    python scripts/silver_lac.py [--corpus '../shared/corpus/corpus-*.txt.gz'] [--output .cache/silver/lac]
        [--max-lines N] [--batch-lines 2000]

LAC (`pip install lac`, Apache-2.0, a BiGRU-CRF trained on a very large corpus) is heavy (paddle, about
700 MB) and never a dependency of the package: run this script in an environment of its own
(README: "Silver labels"). It writes, per input shard, `<shard>.lac.jsonl.gz` with one record per
line of text: `{"line": n, "chars": len, "sha1": of the line, "seg": [word lengths], "tag": [LAC tags]}`:
offsets and tags only, never the text (the texts stay in ../shared). `zhaoshang_ner.silver` joins them
back to the corpus lines, refusing any line whose hash differs.

Resumable: each shard's output grows in chunks of `--batch-lines`, committed atomically with the
number of lines done, so an interrupted run continues where it stopped. Progress shows lines,
characters/s and ETA.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import sys
import time
from pathlib import Path


def load_lac():
    """LAC on paddle 2.6, which no longer has `paddle.fluid`: alias it to `paddle.base` first."""
    import paddle
    import paddle.base

    sys.modules.setdefault("paddle.fluid", paddle.base)
    sys.modules.setdefault("paddle.fluid.core", paddle.base.core)
    from LAC import LAC

    return LAC(mode="lac")


RUN_BATCH = 64  # lines per LAC call, by length: LAC pads a call to its longest line, and paddle keeps
# the memory of every padded shape it saw (unsorted calls of 2,000 lines reached 24 GB)


def run_sorted(lac, lines: list[str]) -> list[tuple[list[str], list[str]]]:
    """LAC's `(words, tags)` per line, computed in length-sorted calls of `RUN_BATCH` lines."""
    order = sorted(range(len(lines)), key=lambda i: len(lines[i]))
    results: list = [None] * len(lines)
    for first in range(0, len(order), RUN_BATCH):
        chunk = order[first : first + RUN_BATCH]
        for i, result in zip(chunk, lac.run([lines[i] or " " for i in chunk])):
            results[i] = result
    return results


def records(lac, lines: list[str], first: int) -> list[str]:
    """One JSON line per text line (empty lines get empty segmentations)."""
    results = run_sorted(lac, lines)
    out = []
    for k, (line, (words, tags)) in enumerate(zip(lines, results)):
        if not line:
            words, tags = [], []
        if sum(map(len, words)) != len(line):  # LAC keeps every character; refuse silently shifted offsets
            raise RuntimeError(f"line {first + k}: LAC words cover {sum(map(len, words))} of {len(line)} characters")
        out.append(json.dumps({"line": first + k, "chars": len(line),
                               "sha1": hashlib.sha1(line.encode("utf-8")).hexdigest()[:16],
                               "seg": [len(w) for w in words], "tag": tags}, ensure_ascii=False))
    return out


def process_shard(lac, shard: Path, output: Path, batch_lines: int, max_lines: int | None, bar) -> None:
    """Silver-label one shard, appending to `<output>/<shard>.lac.jsonl.gz` from where it stopped."""
    target = output / (shard.name.removesuffix(".txt.gz") + ".lac.jsonl.gz")
    state_path = target.with_name(target.name + ".state.json")
    done = json.loads(state_path.read_text())["lines"] if state_path.exists() else 0
    with gzip.open(shard, "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle]
    if max_lines is not None:
        lines = lines[:max_lines]
    bar.update(min(done, len(lines)))
    while done < len(lines):
        chunk = lines[done : done + batch_lines]
        text = "\n".join(records(lac, chunk, done)) + "\n"
        # Append a gzip member, then commit the new line count atomically: a kill between the two leaves
        # a member the next run truncates away (it rewrites the file up to the committed count).
        if done == 0 and target.exists():
            target.unlink()
        with open(target, "ab") as raw:
            raw.write(gzip.compress(text.encode("utf-8")))
            raw.flush()
            os.fsync(raw.fileno())
        done += len(chunk)
        tmp = state_path.with_name(state_path.name + ".tmp")
        tmp.write_text(json.dumps({"lines": done, "bytes": target.stat().st_size}))
        os.replace(tmp, state_path)
        bar.update(len(chunk))
        bar.set_postfix_str(f"{shard.name}", refresh=False)


def truncate_to_state(output: Path) -> None:
    """Drop bytes appended after the last committed state (an interrupted append)."""
    for state_path in output.glob("*.state.json"):
        state = json.loads(state_path.read_text())
        target = state_path.with_name(state_path.name.removesuffix(".state.json"))
        if target.exists() and target.stat().st_size > state["bytes"]:
            with open(target, "r+b") as raw:
                raw.truncate(state["bytes"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="../shared/corpus/corpus-*.txt.gz", help="glob of gzipped text shards")
    parser.add_argument("--output", default=".cache/silver/lac", help="cache folder (rebuildable by this command)")
    parser.add_argument("--batch-lines", type=int, default=2000)
    parser.add_argument("--max-lines", type=int, default=None, help="first N lines of each shard (a smoke run)")
    args = parser.parse_args(argv)
    shards = [Path(p) for p in sorted(glob.glob(args.corpus))]
    if not shards:
        print(f"silver_lac: error: no shards match {args.corpus}", file=sys.stderr)
        return 2
    try:
        lac = load_lac()
    except ImportError as exc:
        print(f"silver_lac: error: LAC is not installed here ({exc}); see the README's 'Silver labels'", file=sys.stderr)
        return 2
    from tqdm import tqdm

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    truncate_to_state(output)
    total = 0
    for shard in shards:
        with gzip.open(shard, "rt", encoding="utf-8") as handle:
            total += min(sum(1 for _ in handle), args.max_lines or 10**12)
    started = time.time()
    with tqdm(total=total, unit="line", desc="LAC silver", dynamic_ncols=True) as bar:
        for shard in shards:
            process_shard(lac, shard, output, args.batch_lines, args.max_lines, bar)
    print(f"done: {total:,} lines in {time.time() - started:.0f} s -> {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
