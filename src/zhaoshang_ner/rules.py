"""AMOUNT and DATE from regular expressions checked by the value parsers: a named prediction step.

Cross-validation shows these rules beat the model on money sums and calendar dates, so the predictor
takes those labels from here (the policy, `rule_labels`, is saved with the model). The baseline
tagger uses the same rules. The patterns run on `fold(text)`, which maps full-width digits and
traditional numeral characters one to one, so offsets are the original text's.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator

from zhaoshang_ner.documents import Span
from zhaoshang_ner.values import CURRENCIES, fold, parse_amount, parse_date

RULE_LABELS: tuple[str, ...] = ("AMOUNT", "DATE")

_NUMBER = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|[数几零〇一二两三四五六七八九十百千]+)"
_CURRENCY = "|".join(sorted(map(re.escape, CURRENCIES), key=len, reverse=True))
# Hedges (`近`, `超`, `过`) stay outside because the match starts at the number.
AMOUNT_RE = re.compile(
    rf"(?<![\d.]){_NUMBER}[余多]?[万亿千百]*[余多]?(?:{_CURRENCY})(?!化)"
)

_YEAR = r"(?:\d{4}|[〇零一二三四五六七八九]{4})年"
_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号]"
_QUARTER = r"第?[1-4一二三四]季度"
# Clock times (`下午3点`) and vague words (`年底` without a year) are left out by construction.
DATE_RE = re.compile(
    r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"
    rf"|(?<!\d){_YEAR}(?:{_QUARTER}|[上下]半年|{_MONTH}(?:{_DAY})?)?"
    rf"|(?<![\d年]){_MONTH}(?:{_DAY})?"
    rf"|{_QUARTER}"
    r"|(?<![\d年月])\d{1,2}日"  # bare `15日`; a bare `1号` is too often a line or building number
)


def matches(text: str, pattern: re.Pattern, label: str, valid: Callable[[str], object] = bool) -> Iterator[Span]:
    """Regex matches (on the folded text) that the label's value parser accepts (drops `2月30日`, `13月`)."""
    for match in pattern.finditer(fold(text)):
        found = text[match.start() : match.end()]
        if valid(found):
            yield Span(match.start(), match.end(), label, found)


def resolve(candidates: Iterable[Span], priority: tuple[str, ...]) -> list[Span]:
    """Keep the highest-priority candidates whose characters are still free (then longer, then earlier)."""
    rank = {label: i for i, label in enumerate(priority)}
    taken: set[int] = set()
    kept = []
    for span in sorted(candidates, key=lambda s: (rank[s.label], s.start - s.end, s.start)):
        chars = set(range(span.start, span.end))
        if chars & taken:
            continue
        taken |= chars
        kept.append(span)
    return sorted(kept)


def rule_spans(text: str, labels: Iterable[str] = RULE_LABELS) -> list[Span]:
    """AMOUNT and/or DATE spans of `text` (flat: AMOUNT wins an overlap)."""
    wanted = set(labels)
    candidates = []
    if "AMOUNT" in wanted:
        candidates += matches(text, AMOUNT_RE, "AMOUNT", parse_amount)
    if "DATE" in wanted:
        candidates += matches(text, DATE_RE, "DATE", parse_date)
    return resolve(candidates, RULE_LABELS)
