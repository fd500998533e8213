"""Noise augmentation for training: the damage real input carries, with spans remapped exactly.

Real articles arrive in traditional script (Big5 pages), with pinyin glosses after characters
(`報(bào)`, from copy-pasted ruby text) and mojibake (UTF-8 bytes read as GBK). The gold set has only
one such article, so training documents get noisy copies:

- `traditional`: every character with a one-to-one OpenCC-style form is converted (`发展` → `發展`);
  offsets do not move.
- `pinyin`: glosses `(xiàng)` inserted after some Han characters; a gloss inside a span stays inside,
  one after its last character stays outside (the guideline's rule).
- `mojibake`: a few runs outside spans replaced by their UTF-8 bytes decoded as GBK (`投资` → `鎶曡祫`).

The rates are the chance that a training document gets a noisy copy of each kind.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Sequence

from zhaoshang_ner.documents import Document, Span

GLOSS_RATE = 0.05  # share of Han characters of a glossed copy that get a pinyin gloss
MOJIBAKE_RUNS = 3  # runs replaced in a mojibake copy
KINDS = ("traditional", "pinyin", "mojibake")


@dataclass(frozen=True)
class NoiseTables:
    traditional: dict[str, str]
    pinyin: dict[str, str]


@lru_cache(maxsize=1)
def noise_tables() -> NoiseTables:
    """The character tables built by `scripts/build_lexicon.py` (from jionlp, Apache-2.0)."""
    traditional, pinyin = {}, {}
    text = resources.files("zhaoshang_ner").joinpath("data", "noise-chars.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        char, trad, reading = line.split("\t")
        if trad:
            traditional[char] = trad
        if reading:
            pinyin[char] = reading
    return NoiseTables(traditional, pinyin)


Edit = tuple[int, int, str]  # (position, characters replaced, new text)


def apply_edits(text: str, spans: Sequence[Span], edits: Sequence[Edit]) -> tuple[str, list[Span]]:
    """Apply non-overlapping edits and move the spans with them.

    An insertion (`(p, 0, s)`) strictly inside a span lands inside it; one at a span's start or end
    stays outside. A replacement must not touch a span (callers place them outside).
    """
    pieces, new_index, at, shift = [], [0] * (len(text) + 1), 0, 0
    for position, length, new in sorted(edits):
        if position < at:
            raise ValueError(f"overlapping edits at {position}")
        for i in range(at, position):
            new_index[i] = i + shift
        pieces += [text[at:position], new]
        for i in range(position, position + length):
            new_index[i] = position + shift  # replaced characters map to the start of their replacement
        shift += len(new) - length
        at = position + length
    for i in range(at, len(text) + 1):
        new_index[i] = i + shift
    pieces.append(text[at:])
    out = "".join(pieces)
    moved = []
    for span in spans:
        start, end = new_index[span.start], new_index[span.end - 1] + 1
        moved.append(Span(start, end, span.label, out[start:end]))
    return out, moved


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def to_traditional(doc: Document, tables: NoiseTables) -> Document:
    text = "".join(tables.traditional.get(c, c) for c in doc.text)
    return replace(doc, text=text, entities=[Span(s.start, s.end, s.label, text[s.start : s.end]) for s in doc.entities])


def with_pinyin(doc: Document, tables: NoiseTables, rng: random.Random) -> Document:
    edits = [(i + 1, 0, f"({tables.pinyin[c]})") for i, c in enumerate(doc.text)
             if c in tables.pinyin and rng.random() < GLOSS_RATE]
    text, spans = apply_edits(doc.text, doc.entities, edits)
    return replace(doc, text=text, entities=spans)


def with_mojibake(doc: Document, rng: random.Random) -> Document:
    """A few runs of two to four Han characters outside every span, as UTF-8 read as GBK."""
    inside = bytearray(len(doc.text))
    for span in doc.entities:
        inside[span.start : span.end] = b"\x01" * (span.end - span.start)
    starts = [i for i in range(len(doc.text) - 4) if _is_han(doc.text[i]) and not any(inside[i : i + 4])]
    edits, used = [], -1
    for start in sorted(rng.sample(starts, min(MOJIBAKE_RUNS, len(starts)))):
        if start <= used:
            continue
        length = rng.randint(2, 4)
        run = doc.text[start : start + length]
        edits.append((start, length, run.encode("utf-8").decode("gbk", errors="replace")))
        used = start + length
    text, spans = apply_edits(doc.text, doc.entities, edits)
    return replace(doc, text=text, entities=spans)


def noisy_copies(documents: Sequence[Document], rates: dict[str, float], seed: int) -> list[Document]:
    """Noisy copies of some documents: each kind with its rate per document, seeded (same seed, same copies)."""
    unknown = set(rates) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown noise kinds {sorted(unknown)} (known: {', '.join(KINDS)})")
    rng, tables, copies = random.Random(seed), noise_tables(), []
    for doc in documents:
        for kind in KINDS:
            if rng.random() >= rates.get(kind, 0.0):
                continue
            if kind == "traditional":
                noisy = to_traditional(doc, tables)
            elif kind == "pinyin":
                noisy = with_pinyin(doc, tables, rng)
            else:
                noisy = with_mojibake(doc, rng)
            copies.append(replace(noisy, id=f"{doc.id}~{kind}"))
    return copies
