#!/usr/bin/env python
"""Inter-annotator agreement between two independent passes over the same sources.

    python scripts/agreement.py FIRST.jsonl SECOND.jsonl [--adjudicated FILE.jsonl] [--decisions FILE.tsv]
        [--output reports/agreement]

Scores the second pass against the first (strict span match; F1 is symmetric, so which is "gold" does
not matter), per label and micro, and lists every disagreement by kind (one pass only, other label,
other boundary). With `--adjudicated` (the final record of each source), it also says which pass the
adjudication followed for each disagreement, or neither, and with `--decisions` (the adjudicator's
`source, kind, first, second, final, reason` lines) why. Writes `OUTPUT.md` and `OUTPUT.json`; quotes
in the report are an entity with a few characters of context.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from zhaoshang_ner.config import command_line
from zhaoshang_ner.documents import JsonlError, read_documents, write_text_atomic
from zhaoshang_ner.labels import LABELS
from zhaoshang_ner.metrics import classify_errors, entity_scores
from zhaoshang_ner.sources import ArticleStore

KIND_NAMES = {"missed": "first pass only", "spurious": "second pass only", "wrong_label": "other label",
              "wrong_boundary": "other boundary"}


def context(text: str, start: int, end: int, width: int = 6) -> str:
    return (text[max(0, start - width) : start] + "【" + text[start:end] + "】" + text[end : end + width]).replace("\n", " ")


def followed(error, final: set) -> str:
    """Which pass the adjudicated record agrees with on this disagreement: `first`, `second` or `neither`
    (the final record has another span there)."""
    key = lambda span: (span.start, span.end, span.label)
    in_first = error.gold is not None and key(error.gold) in final
    in_second = error.predicted is not None and key(error.predicted) in final
    if in_first != in_second:
        return "first" if in_first else "second"
    if in_first:
        return "neither"
    span = error.gold or error.predicted
    if any(start < span.end and span.start < end for start, end, _ in final):
        return "neither"
    # neither pass's span was kept and nothing else stands there: the pass without a span was followed
    return "second" if error.gold is not None else "first"


def describe(span) -> str:
    """A span as the adjudicator's decision file writes it: `text@start-end LABEL`, or `-`."""
    return f"{span.text}@{span.start}-{span.end} {span.label}" if span else "-"


def read_decisions(path: str | None) -> dict[tuple[str, str, str], str]:
    """`(source, first span, second span)` → the adjudicator's reason."""
    if not path:
        return {}
    decisions = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        source, _, first, second, _, reason = line.split("\t")
        decisions[source, first, second] = reason
    return decisions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--adjudicated", help="annotation file with the adjudicated record of every shared source")
    parser.add_argument("--decisions", help="TSV of the adjudicator's decisions with reasons")
    parser.add_argument("--articles", help="articles folder (default ../shared/articles)")
    parser.add_argument("--output", default="reports/agreement")
    args = parser.parse_args(argv)
    store = ArticleStore(args.articles)
    try:
        first = {d.source: d for d in read_documents(args.first, store)}
        second = {d.source: d for d in read_documents(args.second, store)}
        final = {d.source: d for d in read_documents(args.adjudicated, store)} if args.adjudicated else {}
    except (OSError, JsonlError) as exc:
        print(f"agreement: error: {exc}", file=sys.stderr)
        return 2
    shared = sorted(set(first) & set(second))
    if not shared:
        print("agreement: error: the two files share no source", file=sys.stderr)
        return 2
    gold = [first[s] for s in shared]
    other = [second[s].entities for s in shared]
    scores = entity_scores(gold, other)
    errors = classify_errors(gold, other)
    texts = {first[s].id: first[s].text for s in shared}
    sources = {first[s].id: s for s in shared}
    reasons = read_decisions(args.decisions)
    final_spans = {first[s].id: {(e.start, e.end, e.label) for e in final[s].entities} for s in shared if s in final}
    by_kind = Counter((e.label, e.kind) for e in errors)
    outcome = Counter(followed(e, final_spans[e.doc_id]) for e in errors if e.doc_id in final_spans)

    command = command_line("scripts/agreement.py", argv)
    lines = ["# Inter-annotator agreement", "", f"Command: `{command}`", "",
             f"{len(shared)} documents annotated twice, independently: the first pass corrected a model draft, the "
             "second started from the bare text. Strict span match (offsets and label).", "",
             "| label | F1 | first pass spans | second pass spans |", "|---|---:|---:|---:|"]
    for label in [*LABELS, "micro"]:
        s = scores.get(label, {"f1": 0.0, "support": 0})
        predicted = sum(1 for spans in other for e in spans if label in (e.label, "micro"))
        lines.append(f"| {label} | {100 * s['f1']:.1f} | {s['support']} | {predicted} |")
    lines += ["", "## Disagreements by kind", "", "| label | " + " | ".join(KIND_NAMES.values()) + " |",
              "|---|" + "---:|" * len(KIND_NAMES)]
    for label in LABELS:
        lines.append(f"| {label} | " + " | ".join(str(by_kind[label, k]) for k in KIND_NAMES) + " |")
    if final_spans:
        lines += ["", "## Adjudication", "",
                  f"Every disagreement was re-read against the guideline; the adjudicated record followed the first "
                  f"pass {outcome['first']} times, the second {outcome['second']} times and neither "
                  f"{outcome['neither']} times. Per disagreement:", "",
                  "| kind | first pass | second pass | adjudicated | reason | context |", "|---|---|---|---|---|---|"]
        for error in errors:
            if error.doc_id not in final_spans:
                continue
            span = error.gold or error.predicted
            show = lambda s: f"{s.text} ({s.label})" if s else "–"
            reason = reasons.get((sources[error.doc_id], describe(error.gold), describe(error.predicted)), "")
            lines.append(f"| {KIND_NAMES[error.kind]} | {show(error.gold)} | {show(error.predicted)} | "
                         f"{followed(error, final_spans[error.doc_id])} | {reason.replace('|', '¦')} | "
                         f"{context(texts[error.doc_id], span.start, span.end).replace('|', '¦')} |")
    output = Path(args.output)
    write_text_atomic(output.with_suffix(".md"), "\n".join(lines) + "\n")
    write_text_atomic(output.with_suffix(".json"), json.dumps(
        {"command": command, "documents": len(shared), "scores": scores,
         "disagreements": {f"{label}/{kind}": n for (label, kind), n in sorted(by_kind.items())},
         "adjudication": dict(outcome)}, indent=1, ensure_ascii=False) + "\n")
    print(f"agreement micro-F1 {100 * scores['micro']['f1']:.1f} over {len(shared)} documents -> {output.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
