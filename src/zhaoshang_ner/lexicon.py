"""Lexicon features: for every character, which lexicon words begin, continue, end or are it (B/M/E/S),
by category (SoftLexicon, Ma et al. 2020), as a dense vector the model embeds.

A weak encoder does not know that 黄石 is a city or where 投资控股有限公司 ends; gazetteers and word
lists do, cheaply. All words are matched at once with an Aho-Corasick automaton (every occurrence,
overlaps included; nothing forces a longest match), so the cost is linear in the text, not in the
lexicon. A lexicon is a folder (`lexicon.tsv`: word, category, weight; `lexicon.json`: categories and
the sources with their licences) shipped inside every model directory that uses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

POSITIONS = ("B", "M", "E", "S")


@dataclass
class Lexicon:
    """Words by category with a weight in (0, 1] (1 for gazetteers; frequency-based for dictionary words)."""

    categories: tuple[str, ...]
    words: dict[str, dict[int, float]] = field(default_factory=dict)  # word -> {category index: weight}
    sources: list[dict] = field(default_factory=list)  # [{"name", "licence", "url", "categories"}]

    @property
    def feature_names(self) -> list[str]:
        return [f"{category}:{position}" for category in self.categories for position in POSITIONS]

    @property
    def num_features(self) -> int:
        return 4 * len(self.categories)

    def add(self, word: str, category: str, weight: float = 1.0) -> None:
        """Add a word (two or more characters, or one for single-character categories) to a category."""
        word = word.strip()
        if not word:
            return
        index = self.categories.index(category)
        entry = self.words.setdefault(word, {})
        entry[index] = max(entry.get(index, 0.0), float(weight))

    @cached_property
    def _automaton(self):
        """The automaton maps each word to its number; the words' lengths, categories and weights are
        arrays (categories and weights in CSR layout), so matches are looked up in numpy, not per match."""
        import ahocorasick

        automaton = ahocorasick.Automaton()
        lengths, indptr, columns, weights = [], [0], [], []
        for number, (word, entry) in enumerate(self.words.items()):
            automaton.add_word(word, number)
            lengths.append(len(word))
            for column in sorted(entry):
                columns.append(column)
                weights.append(entry[column])
            indptr.append(len(columns))
        automaton.make_automaton()
        return (automaton, np.array(lengths, dtype=np.int64), np.array(indptr, dtype=np.int64),
                np.array(columns, dtype=np.int64), np.array(weights, dtype=np.float32))

    def char_features(self, text: str) -> np.ndarray:
        """`(len(text), 4 * categories)` float32: column `4 * category + position` holds the largest weight of
        a matching word with the character in that position (B first, M inside, E last, S alone)."""
        features = np.zeros((len(text), self.num_features), dtype=np.float32)
        if not text or not self.words:
            return features
        automaton, word_lengths, indptr, word_columns, word_weights = self._automaton
        found = np.array(list(automaton.iter(text)), dtype=np.int64).reshape(-1, 2)  # (end, word number)
        if not len(found):
            return features
        words = found[:, 1]
        counts = indptr[words + 1] - indptr[words]
        entries = np.repeat(indptr[words], counts) + _ranges(counts)  # one row per (match, category)
        columns, weights = word_columns[entries] * 4, word_weights[entries]
        end = np.repeat(found[:, 0], counts)
        length = np.repeat(word_lengths[words], counts)
        start = end - length + 1
        single = length == 1
        np.maximum.at(features, (end[single], columns[single] + 3), weights[single])
        multi = ~single
        np.maximum.at(features, (start[multi], columns[multi]), weights[multi])
        np.maximum.at(features, (end[multi], columns[multi] + 2), weights[multi])
        inner = np.maximum(length - 2, 0) * multi
        if inner.any():
            rows = np.repeat(start + 1, inner) + _ranges(inner)
            np.maximum.at(features, (rows, np.repeat(columns + 1, inner)), np.repeat(weights, inner))
        return features

    def save(self, directory: str | Path) -> None:
        """Write `lexicon.tsv` (sorted, so the file is reproducible) and `lexicon.json`."""
        from zhaoshang_ner.documents import write_text_atomic

        directory = Path(directory)
        lines = [f"{word}\t{self.categories[c]}\t{weight:.4g}\n"
                 for word in sorted(self.words) for c, weight in sorted(self.words[word].items())]
        write_text_atomic(directory / "lexicon.tsv", "".join(lines))
        meta = {"categories": list(self.categories), "positions": list(POSITIONS), "entries": len(lines),
                "sources": self.sources}
        write_text_atomic(directory / "lexicon.json", json.dumps(meta, ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def load(cls, directory: str | Path) -> "Lexicon":
        directory = Path(directory)
        meta_path, tsv = directory / "lexicon.json", directory / "lexicon.tsv"
        if not meta_path.exists() or not tsv.exists():
            raise FileNotFoundError(f"{directory}: a lexicon folder holds lexicon.json and lexicon.tsv")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        lexicon = cls(tuple(meta["categories"]), sources=meta.get("sources", []))
        index = {name: i for i, name in enumerate(lexicon.categories)}
        with open(tsv, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                word, category, weight = line.rstrip("\n").split("\t")
                if category not in index:
                    raise ValueError(f"{tsv}:{number}: category {category!r} is not in lexicon.json")
                lexicon.words.setdefault(word, {})[index[category]] = float(weight)
        return lexicon


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """`[0..l0-1, 0..l1-1, …]` for non-negative lengths, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets


def token_features(char_features: np.ndarray, offsets: Sequence[tuple[int, int]]) -> np.ndarray:
    """Features per token: the element-wise maximum over its characters (most tokens are one character)."""
    if not len(offsets):
        return np.zeros((0, char_features.shape[1]), dtype=np.float32)
    starts = np.fromiter((s for s, _ in offsets), dtype=np.int64, count=len(offsets))
    ends = np.fromiter((e for _, e in offsets), dtype=np.int64, count=len(offsets))
    features = char_features[starts].copy()
    for t in np.nonzero(ends - starts > 1)[0]:
        features[t] = char_features[starts[t] : ends[t]].max(0)
    return features

