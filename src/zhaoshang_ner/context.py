"""Document-level decoding steps: one label per repeated string, host vs partner regions by the
evidence of the whole article, joining touching spans of labels whose annotated spans never touch, and
names extended to the end of the head word they cut. Each is a switch in the model's config
(`doc_consistency`, `region_roles`, `merge_pairs`, `snap_heads`) chosen by
cross-validation (`scripts/cross_validate.py --decoding-variants` scores them on the same fold models).

A window sees 254 tokens; an article is about one place. The model may call 黄石 a PERSON in one
sentence and a HOST_REGION in the next, or a city HOST in the lead and PARTNER three windows later.
These steps take every decoded span of a document with the model's mean probability of each label
over its tokens, and decide per string.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Collection, Iterable, Sequence

REGION_LABELS = ("HOST_REGION", "PARTNER_REGION")
MIN_PROPAGATED_LENGTH = 2
CONFIDENT = 0.9  # an occurrence the model labels this confidently keeps its own label
PARTNER_CUES = re.compile(r"(?:赴|到|前往|来自|与|同|对接|走进|飞赴|奔赴|组团赴)$")
HOST_CUES = re.compile(r"^(?:市委|市政府|县委|县政府|区委|区政府|经开区|高新区|全市|全县|全区)")


@dataclass(frozen=True)
class Candidate:
    """A decoded span before the document-level steps: `probs` maps a label to the model's mean
    probability of it (B or I tag) over the span's tokens; `fixed` spans (rules) are never changed."""

    start: int
    end: int
    label: str
    text: str
    score: float
    probs: dict = field(default_factory=dict, compare=False)
    fixed: bool = False


def consistent_labels(text: str, spans: Sequence[Candidate]) -> list[Candidate]:
    """One label per string in a document, then the string tagged where the model missed it.

    Each string's label is the one with the highest summed probability over its occurrences; an
    occurrence keeps a different label only when the model is confident of it there (`CONFIDENT`),
    which is how contexts that clearly differ show. Untagged occurrences of a string of two or more
    characters that lie outside every span get the string's label, with half its mean score.
    """
    by_text: dict[str, list[Candidate]] = defaultdict(list)
    for span in spans:
        if not span.fixed:
            by_text[span.text].append(span)
    winner = {}
    for string, group in by_text.items():
        totals: dict[str, float] = defaultdict(float)
        for span in group:
            for label, p in (span.probs or {span.label: span.score}).items():
                totals[label] += p
        winner[string] = max(totals, key=totals.get)
    kept = [span if span.fixed or span.label == winner[span.text] or span.score >= CONFIDENT
            else replace(span, label=winner[span.text], score=span.probs.get(winner[span.text], span.score))
            for span in spans]
    covered = bytearray(len(text))
    for span in kept:
        covered[span.start : span.end] = b"\x01" * (span.end - span.start)
    added = []
    for string, group in by_text.items():
        if len(string) < MIN_PROPAGATED_LENGTH:
            continue
        score = sum(s.score for s in group) / len(group) / 2
        for match in re.finditer(re.escape(string), text):
            if not any(covered[match.start() : match.end()]):
                added.append(Candidate(match.start(), match.end(), winner[string], string, score))
                covered[match.start() : match.end()] = b"\x01" * len(string)
    return sorted(kept + added, key=lambda s: s.start)


def region_roles(text: str, spans: Sequence[Candidate]) -> list[Candidate]:
    """HOST_REGION or PARTNER_REGION per region string, from the whole article's evidence.

    Per string: the model's summed (host − partner) probability over its occurrences, plus one for
    each piece of document evidence: in the headline (first line), the article's most mentioned
    region, a host cue after it (`市委`, `经开区`, `全市`); minus one for each occurrence after a partner
    cue (`赴`, `来自`, `与`, `对接`). Positive means host.
    """
    regions = [s for s in spans if s.label in REGION_LABELS and not s.fixed]
    if not regions:
        return list(spans)
    headline = text.split("\n", 1)[0] if "\n" in text.strip() else ""  # a lone paragraph has no headline
    counts: dict[str, int] = defaultdict(int)
    for span in regions:
        counts[span.text] += 1
    most = max(counts.values())
    evidence: dict[str, float] = defaultdict(float)
    for span in regions:
        probs = span.probs or {span.label: span.score}
        evidence[span.text] += probs.get("HOST_REGION", 0.0) - probs.get("PARTNER_REGION", 0.0)
        if PARTNER_CUES.search(text[max(0, span.start - 3) : span.start]):
            evidence[span.text] -= 1.0
        if HOST_CUES.search(text[span.end : span.end + 3]):
            evidence[span.text] += 1.0
    for string, count in counts.items():
        evidence[string] += (bool(headline) and string in headline) + (count == most and count > 1)
    out = []
    for span in spans:
        if span.label in REGION_LABELS and not span.fixed:
            role = "HOST_REGION" if evidence[span.text] > 0 else "PARTNER_REGION"
            if role != span.label:
                span = replace(span, label=role, score=(span.probs or {}).get(role, span.score))
        out.append(span)
    return out


# Labels whose names may contain another entity (spec: a company or an industry inside a project name is
# part of the PROJECT span, a region inside a company name part of the COMPANY span, 黄石市委 one ORG).
NAME_LABELS = ("PROJECT", "COMPANY", "ORG")
MERGE_POLICIES = ("none", "same", "names")


def touching_pairs(documents: Iterable) -> set[tuple[str, str]]:
    """(label, next label) of annotated spans that touch (江苏|南京: two regions; 临沂|某项目)."""
    found = set()
    for document in documents:
        spans = sorted(document.entities, key=lambda s: s.start)
        found.update((a.label, b.label) for a, b in zip(spans, spans[1:]) if a.end == b.start)
    return found


def merge_pairs(labels: Sequence[str], documents: Iterable, policy: str) -> list[tuple[str, str]]:
    """The touching predicted pairs to join into one span of the second label: pairs that never touch
    in `documents` (the training set), of one label (`same`: 林|晓然) or also (`names`) any label
    before a name label that may contain it (比亚迪|新能源乘用车项目 → one PROJECT)."""
    if policy not in MERGE_POLICIES:
        raise ValueError(f"merge policy must be one of {MERGE_POLICIES}, got {policy!r}")
    seen = touching_pairs(documents)
    pairs = [(a, a) for a in labels if (a, a) not in seen] if policy != "none" else []
    if policy == "names":
        pairs += [(a, b) for b in NAME_LABELS if b in labels for a in labels if a != b and (a, b) not in seen]
    return sorted(pairs)


def merge_touching(spans: Sequence[Candidate], pairs: Collection[tuple[str, str]]) -> list[Candidate]:
    """Join each span to a touching span before it when their (label, label) is in `pairs` (labelled as
    the second): there a `B-` tag inside a name (林|晓然) or a label change inside it (比亚迪|新能源项目)
    is a split, not two entities. Scores and label probabilities are averaged by length; rule spans
    are never joined."""
    pairs = {tuple(pair) for pair in pairs}
    merged: list[Candidate] = []
    for span in sorted(spans, key=lambda c: c.start):
        merged.append(span)
        while len(merged) > 1:  # a chain (英伟达|人工智能|产业园项目) joins step by step
            last, span = merged[-2], merged[-1]
            if last.end != span.start or (last.label, span.label) not in pairs or last.fixed or span.fixed:
                break
            a, b = last.end - last.start, span.end - span.start
            probs = {label: (a * last.probs.get(label, 0.0) + b * span.probs.get(label, 0.0)) / (a + b)
                     for label in {*last.probs, *span.probs}}
            merged[-2:] = [replace(span, start=last.start, text=last.text + span.text,
                                   score=(a * last.score + b * span.score) / (a + b), probs=probs)]
    return merged


# Labels whose names end with a head word (项目, 基地, 有限公司, 管委会) by `snap_heads` policy.
HEAD_POLICIES = {"none": (), "project": ("PROJECT",), "names": NAME_LABELS}
MIN_HEAD_NAMES = 3  # a head word ends at least this many different names of the label in training…
MAX_HEAD_FOLLOWS = 0.1  # …and follows a span of the label at most this share as often (公司 yes, 投资 no)
HEAD_LENGTHS = range(2, 5)


def learn_heads(labels: Sequence[str], documents: Iterable, policy: str) -> dict[str, list[str]]:
    """The head words of each label of a `snap_heads` policy, learnt from the training `documents`: the
    2–4-character endings of the label's spans (longer than the ending) shared by enough different names
    and that the annotators rarely left outside a span (…项目 is in the name; 比亚迪|投资 is not)."""
    if policy not in HEAD_POLICIES:
        raise ValueError(f"snap_heads policy must be one of {tuple(HEAD_POLICIES)}, got {policy!r}")
    wanted = [label for label in HEAD_POLICIES[policy] if label in labels]
    spans = [(document.text, span) for document in documents for span in document.entities if span.label in wanted]
    heads = {}
    for label in wanted:
        mine = [(text, span) for text, span in spans if span.label == label]
        names = Counter(text[-n:] for text in {span.text for _, span in mine} for n in HEAD_LENGTHS if len(text) > n)
        ends = Counter(span.text[-n:] for _, span in mine for n in HEAD_LENGTHS if len(span.text) > n)
        common = {word for word, count in names.items() if count >= MIN_HEAD_NAMES}
        follows = Counter(word for text, span in mine for n in HEAD_LENGTHS
                          if (word := text[span.end : span.end + n]) in common)
        heads[label] = sorted(word for word in common if follows[word] <= MAX_HEAD_FOLLOWS * ends[word])
    return {label: words for label, words in heads.items() if words}


def snap_heads(text: str, spans: Sequence[Candidate], heads: dict[str, list[str]]) -> list[Candidate]:
    """Extend a name to the end of a head word of its label (`learn_heads`) that it cuts (`…超级工厂项|目`,
    `板材生产基|地`) or that follows it (`TFT-LCD制造|项目`), again while one does; never into the next
    span; rule spans are never changed. A window-level tagger often stops a name short of its head,
    which costs a missed and a spurious entity at once."""
    patterns = {label: _head_pattern(tuple(words)) for label, words in heads.items() if words}
    spans = sorted(spans, key=lambda c: c.start)
    out = []
    for k, span in enumerate(spans):
        pattern = patterns.get(span.label)
        if pattern and not span.fixed:
            limit = spans[k + 1].start if k + 1 < len(spans) else len(text)
            end = span.end
            while True:
                found = [m.end() for pos in range(max(span.start + 1, end - HEAD_LENGTHS[-1] + 1), end + 1)
                         if (m := pattern.match(text, pos))]
                grown = max(found, default=end)
                if grown <= end or grown > limit:
                    break
                end = grown
            if end > span.end:
                span = replace(span, end=end, text=text[span.start : end])
        out.append(span)
    return out


@lru_cache(maxsize=32)
def _head_pattern(words: tuple[str, ...]) -> re.Pattern:
    """One pattern per model's head words (built once, not per document), longest word first."""
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))
