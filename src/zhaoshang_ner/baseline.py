"""A non-neural baseline tagger: the floor a trained model has to beat, and a sanity check for the data.

The rules of `zhaoshang_ner.rules` find AMOUNT and DATE, a small lexicon finds
INDUSTRY, and jieba part-of-speech tags propose the name-like labels. Overlaps are resolved by a
fixed priority, so the output is flat and deterministic.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

import jieba.posseg

from zhaoshang_ner.documents import Span
from zhaoshang_ner.rules import matches, resolve, rule_spans

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


class BaselineTagger:
    """`predict(text)` returns flat, non-overlapping spans; no training, no model files."""

    def predict(self, text: str) -> list[Span]:
        tokens = _tokens(text)
        candidates = [
            *rule_spans(text),
            *matches(text, INDUSTRY_RE, "INDUSTRY"),
            *_projects(text, tokens),
            *_names(text, tokens),
        ]
        return resolve(candidates, _PRIORITY)
