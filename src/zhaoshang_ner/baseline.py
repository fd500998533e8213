"""A non-neural baseline tagger: the floor a trained model has to beat, and a sanity check for the data.

Regular expressions find AMOUNT and DATE (validated by the value parsers), a small lexicon finds
INDUSTRY, and jieba part-of-speech tags propose the name-like labels. Overlaps are resolved by a
fixed priority, so the output is flat and deterministic.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Iterator

import jieba.posseg

from zhaoshang_ner.documents import Span
from zhaoshang_ner.values import CURRENCIES, fold, parse_amount, parse_date

# The patterns run on `fold(text)`: ASCII digits, simplified numerals and units.
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

INDUSTRIES: tuple[str, ...] = (
    "新一代信息技术", "新能源汽车", "新能源", "新材料", "高端装备", "电子信息", "生物医药", "生物医疗",
    "人工智能", "集成电路", "半导体", "装备制造", "现代物流", "跨境电商", "数字经济", "节能环保",
    "大健康", "光伏", "電子信息", "生物醫藥", "現代物流", "跨境電商", "裝備製造",
)
INDUSTRY_RE = re.compile("|".join(sorted(map(re.escape, INDUSTRIES), key=len, reverse=True)))

_PROJECT_HEADS = ("项目", "產業園", "产业园", "基地", "項目")
_MODIFIER_TAGS = ("n", "vn", "eng")  # prefixes of jieba tags that may modify a project head
_MAX_MODIFIERS = 4
_COMPANY_ENDINGS = ("公司", "集团", "集團", "股份", "有限")

# Earlier labels win overlaps; within one priority, longer then earlier spans win.
_PRIORITY = ("AMOUNT", "DATE", "PROJECT", "COMPANY", "ORG", "INDUSTRY", "HOST_REGION", "PARTNER_REGION", "PERSON")

Token = tuple[int, int, str, str]  # start, end, word, jieba tag


def _matches(text: str, pattern: re.Pattern, label: str, valid: Callable[[str], object] = bool) -> Iterator[Span]:
    """Regex matches that the label's value parser accepts (drops `2月30日`, `13月`)."""
    for match in pattern.finditer(fold(text)):
        found = text[match.start() : match.end()]
        if valid(found):
            yield Span(match.start(), match.end(), label, found)


def _tokens(text: str) -> list[Token]:
    tokens, start = [], 0
    for word, tag in jieba.posseg.cut(text):
        tokens.append((start, start + len(word), word, tag))
        start += len(word)
    return tokens


def _projects(text: str, tokens: list[Token]) -> Iterator[Span]:
    """A project head word (`项目`, `产业园`, `基地`) plus up to four noun-like tokens before it."""
    for i, (_, end, word, _) in enumerate(tokens):
        if not word.endswith(_PROJECT_HEADS):
            continue
        first = i
        while first > 0 and i - first < _MAX_MODIFIERS and tokens[first - 1][3].startswith(_MODIFIER_TAGS):
            first -= 1
        start = tokens[first][0]
        if end - start - len(word) >= 2:
            yield Span(start, end, "PROJECT", text[start:end])


def _names(text: str, tokens: list[Token]) -> Iterator[Span]:
    """Organisations, companies, people and places from jieba's `nt`, `nr` and `ns` tags."""
    title = text.split("\n", 1)[0] if "\n" in text else ""
    places = Counter(word for _, _, word, tag in tokens if tag == "ns" and len(word) >= 2)
    top_place = places.most_common(1)[0][0] if places else None
    for start, end, word, tag in tokens:
        if len(word) < 2:
            continue
        if tag == "nt":
            label = "COMPANY" if word.endswith(_COMPANY_ENDINGS) else "ORG"
        elif tag.startswith("nr"):
            label = "PERSON"
        elif tag == "ns":
            is_host = word in title or word[:2] in title or word == top_place
            label = "HOST_REGION" if is_host else "PARTNER_REGION"
        else:
            continue
        yield Span(start, end, label, word)


def _resolve(candidates: list[Span]) -> list[Span]:
    """Keep the highest-priority candidates whose characters are still free, sorted by offset."""
    rank = {label: i for i, label in enumerate(_PRIORITY)}
    taken = set()
    kept = []
    for span in sorted(candidates, key=lambda s: (rank[s.label], s.start - s.end, s.start)):
        chars = set(range(span.start, span.end))
        if chars & taken:
            continue
        taken |= chars
        kept.append(span)
    return sorted(kept)


def rule_spans(text: str) -> list[Span]:
    """AMOUNT and DATE spans from the regular expressions, validated by the value parsers.

    These are precise enough that the neural predictor uses them for these two labels too.
    """
    return _resolve([*_matches(text, AMOUNT_RE, "AMOUNT", parse_amount), *_matches(text, DATE_RE, "DATE", parse_date)])


class BaselineTagger:
    """`predict(text)` returns flat, non-overlapping spans; no training, no model files."""

    def predict(self, text: str) -> list[Span]:
        tokens = _tokens(text)
        candidates = [
            *rule_spans(text),
            *_matches(text, INDUSTRY_RE, "INDUSTRY"),
            *_projects(text, tokens),
            *_names(text, tokens),
        ]
        return _resolve(candidates)
