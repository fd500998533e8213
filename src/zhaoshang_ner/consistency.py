"""Corpus-wide consistency checks: the same string labelled differently, or annotated in one place and missed in another.

Both kinds are often right (labels are judged by role: `深圳` is PARTNER_REGION where the host goes
there to attract investment and unannotated where it is only named), so every justified exception
goes into an allowlist with its reason and the report runs clean. HOST_REGION and PARTNER_REGION are
one class for the label-conflict check: the spec makes the role of a place depend on its article, so
a city that hosts in one article and is courted in another is by design, not an inconsistency.

Rule for missed occurrences: strings of one character (`淮`, `疆`, `台`) are not searched, because
one-character place abbreviations are annotated only as a word of their own (`在淮投资`) and occur
inside countless other words (`淮安`, `新疆`, `台商`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from zhaoshang_ner.documents import Document

MIN_UNANNOTATED_LENGTH = 2
CONTEXT_CHARS = 15


@dataclass(frozen=True)
class Occurrence:
    """One place a string occurs; `label` is `None` where it is not annotated."""

    doc_id: str
    start: int
    end: int
    label: str | None
    context: str


@dataclass(frozen=True)
class Finding:
    """`kind` is `label-conflict` (one string, several labels) or `unannotated` (annotated elsewhere, missed here)."""

    kind: str
    string: str
    occurrences: tuple[Occurrence, ...]


def context(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> str:
    """`left[match]right` on one line, so a report line can be read without the document."""
    snippet = f"{text[max(0, start - width):start]}[{text[start:end]}]{text[end:end + width]}"
    return snippet.replace("\r", "\\r").replace("\n", "\\n")


def read_allowlist(path: str | Path) -> dict[str, str]:
    """`string<TAB>reason` per line (blank lines and `#` comments skipped); a line without a reason is an error."""
    allowed: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        string, tab, reason = line.partition("\t")
        if not tab or not string or not reason.strip():
            raise ValueError(f"{path}:{number}: expected 'string<TAB>reason', got {line!r}")
        allowed[string] = reason.strip()
    return allowed


ROLE_FREE = {"HOST_REGION": "REGION", "PARTNER_REGION": "REGION"}


def label_conflicts(documents: Sequence[Document]) -> list[Finding]:
    by_string: dict[str, list[Occurrence]] = defaultdict(list)
    for doc in documents:
        for span in sorted(doc.entities):
            by_string[span.text].append(
                Occurrence(doc.id, span.start, span.end, span.label, context(doc.text, span.start, span.end))
            )
    return [
        Finding("label-conflict", string, tuple(occs))
        for string, occs in sorted(by_string.items())
        if len({ROLE_FREE.get(occ.label, occ.label) for occ in occs}) > 1
    ]


def find_all(text: str, string: str) -> list[int]:
    starts, i = [], text.find(string)
    while i != -1:
        starts.append(i)
        i = text.find(string, i + 1)
    return starts


def unannotated(documents: Sequence[Document]) -> list[Finding]:
    """Occurrences of annotated strings that touch no span at all (inside or across a span is fine)."""
    strings = sorted({span.text for doc in documents for span in doc.entities if len(span.text) >= MIN_UNANNOTATED_LENGTH})
    covered = {doc.id: [False] * len(doc.text) for doc in documents}
    for doc in documents:
        for span in doc.entities:
            covered[doc.id][span.start : span.end] = [True] * (span.end - span.start)
    findings = []
    for string in strings:
        missed = []
        for doc in documents:
            for start in find_all(doc.text, string):
                end = start + len(string)
                if not any(covered[doc.id][start:end]):
                    missed.append(Occurrence(doc.id, start, end, None, context(doc.text, start, end)))
        if missed:
            findings.append(Finding("unannotated", string, tuple(missed)))
    return findings


def check(documents: Sequence[Document], allow: dict[str, str] | None = None) -> list[Finding]:
    """All findings whose string is not in the allowlist."""
    allow = allow or {}
    return [f for f in label_conflicts(documents) + unannotated(documents) if f.string not in allow]


def format_findings(findings: Sequence[Finding]) -> str:
    lines = []
    for finding in findings:
        if finding.kind == "label-conflict":
            labels = sorted({occ.label for occ in finding.occurrences})
            lines.append(f"{finding.string!r} has labels {', '.join(labels)}:")
        else:
            lines.append(f"{finding.string!r} is annotated elsewhere but not here:")
        for occ in finding.occurrences:
            lines.append(f"  {occ.doc_id} @{occ.start} {occ.label or '-'}: {occ.context}")
    lines.append(f"{len(findings)} finding(s)")
    return "\n".join(lines) + "\n"
