"""Markdown rendering of cross-validation results and comparisons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from zhaoshang_ner.metrics import error_counts


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


ERROR_KINDS = ("missed", "spurious", "wrong_label", "wrong_boundary")


def cv_markdown(result: dict, labels: Sequence[str]) -> str:
    """One run: per-label mean ± std of F1 over folds and pooled P/R/F1 with support."""
    lines = [
        f"# Cross-validation: {result['name']}",
        "",
        f"Command: `{result['command']}`  ",
        f"Folds: {result['folds_k']} (document-grouped; strict entity-level scores, seqeval IOB2)",
        "",
        "| label | F1 mean ± std over folds | pooled P | pooled R | pooled F1 | gold spans |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in [*labels, "micro", "macro"]:
        s = result["summary"][label]
        p = result["pooled"].get(label)
        pooled = f"{_pct(p['precision'])} | {_pct(p['recall'])} | {_pct(p['f1'])} | {p['support']}" if p else "– | – | – | –"
        lines.append(f"| {label} | {_pct(s['f1_mean'])} ± {_pct(s['f1_std'])} | {pooled} |")
    if result.get("pooled_errors"):
        lines += ["", "Errors by kind, pooled over folds (a wrong boundary overlaps a gold span of the same label; a "
                  "wrong label has the gold offsets):", "", error_table(result["pooled_errors"], labels)]
    return "\n".join(lines) + "\n"


def error_table(counts: dict[str, dict[str, int]], labels: Sequence[str]) -> str:
    """Markdown table of error counts, `counts[label][kind]`."""
    lines = ["| label | " + " | ".join(ERROR_KINDS) + " |", "|---|" + "---:|" * len(ERROR_KINDS)]
    for label in labels:
        lines.append(f"| {label} | " + " | ".join(str(counts.get(label, {}).get(kind, 0)) for kind in ERROR_KINDS) + " |")
    return "\n".join(lines)


def comparison_markdown(results: Sequence[dict], labels: Sequence[str]) -> str:
    """Several runs side by side: pooled F1 per label, and the micro-F1 mean ± std over folds."""
    header = "| label | " + " | ".join(r["name"] for r in results) + " |"
    lines = [header, "|---|" + "---:|" * len(results)]
    for label in [*labels, "micro"]:
        cells = [_pct(r["pooled"][label]["f1"]) if label in r["pooled"] else "–" for r in results]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| micro-F1 mean ± std over folds | " + " | ".join(
        f"{_pct(r['summary']['micro']['f1_mean'])} ± {_pct(r['summary']['micro']['f1_std'])}" for r in results) + " |")
    return "\n".join(lines) + "\n"


def evaluation_markdown(title: str, command: str, scores: dict, errors: list, documents: dict,
                        labels: Sequence[str], scores_of: dict, worst: int = 30) -> str:
    """Scores per label, error kinds per label, and the `worst` most confident errors with context.

    `documents` maps doc id → text; `scores_of` maps a predicted span to the model's confidence.
    """
    lines = [f"# {title}", "", f"Command: `{command}`", "",
             "| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label in [*labels, "micro", "macro"]:
        s = scores.get(label, {"precision": 0, "recall": 0, "f1": 0, "support": 0})
        lines.append(f"| {label} | {_pct(s['precision'])} | {_pct(s['recall'])} | {_pct(s['f1'])} | {s['support']} |")
    lines += ["", "## Errors by kind", "", error_table(error_counts(errors), labels)]

    def rank(error) -> tuple:
        # Confident wrong predictions first, then long missed spans.
        confidence = scores_of.get(error.predicted, 0.0) if error.predicted else 0.0
        span = error.predicted or error.gold
        return (-confidence, -(span.end - span.start), error.doc_id, span.start)

    lines += ["", f"## {min(worst, len(errors))} worst errors", "", "| kind | doc | gold | predicted | context |",
              "|---|---|---|---|---|"]
    for error in sorted(errors, key=rank)[:worst]:
        span = error.predicted or error.gold
        text = documents[error.doc_id]
        context = (text[max(0, span.start - 12) : span.start] + "【" + text[span.start : span.end] + "】"
                   + text[span.end : span.end + 12])
        describe = lambda s: f"{s.text} ({s.label})" if s else "–"
        lines.append(f"| {error.kind} | {error.doc_id} | {describe(error.gold)} | {describe(error.predicted)} | "
                     f"{' '.join(context.split()).replace('|', '¦')} |")
    return "\n".join(lines) + "\n"


def append_record(path: str | Path, record: dict) -> None:
    """Append one JSON line to a results file (public benchmarks keep every run, latest last)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def record_benchmark(path: str | Path, encoder: str, dataset: str, split: str, scores: dict, command: str,
                     **extra) -> dict:
    """One public-benchmark row (whole-split strict micro-F1 and the command), appended and printed."""
    record = {"encoder": encoder, "dataset": dataset, "split": split,
              "micro_f1": round(100 * scores["micro"]["f1"], 2), "scores": scores, **extra, "command": command}
    append_record(path, record)
    print(f"{encoder} on {dataset}/{split}: micro-F1 {record['micro_f1']:.2f}")
    return record
