"""Cutting a tokenized document into model windows, and merging window predictions back.

Windows hold at most `max_tokens` tokens (the model's `max_length` minus [CLS]/[SEP]), end at
a sentence end (。！？；or a line break) where one lies in the second half of the window, and
overlap the previous window by about `stride` tokens, starting at a sentence start when one is
available. Each token's prediction is taken from the window where it sits farthest from an
edge (ties: the earlier window), so merging is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhaoshang_ner.alignment import TokenizedText

SENTENCE_ENDS = set("。！？；!?;")


@dataclass(frozen=True)
class Window:
    start: int  # first token index (inclusive)
    end: int  # last token index (exclusive)


def sentence_breaks(tokens: TokenizedText) -> list[bool]:
    """`breaks[i]` is True when a sentence ends after token i."""
    text, offsets = tokens.text, tokens.offsets
    breaks = []
    for i, (start, end) in enumerate(offsets):
        following = text[end : offsets[i + 1][0]] if i + 1 < len(offsets) else ""
        breaks.append(text[end - 1] in SENTENCE_ENDS or "\n" in following)
    return breaks


def make_windows(tokens: TokenizedText, max_tokens: int, stride: int) -> list[Window]:
    """Windows covering every token; see the module docstring for where they cut."""
    if max_tokens < 2:
        raise ValueError("max_tokens must be at least 2")
    stride = max(0, min(stride, max_tokens // 2))
    n = len(tokens.offsets)
    if n == 0:
        return []
    breaks = sentence_breaks(tokens)
    windows: list[Window] = []
    start = 0
    while True:
        end = min(start + max_tokens, n)
        if end < n:
            for cut in range(end, start + max_tokens // 2, -1):
                if breaks[cut - 1]:
                    end = cut
                    break
        windows.append(Window(start, end))
        if end >= n:
            return windows
        next_start = end - stride
        for candidate in range(next_start, end):
            if candidate > start and breaks[candidate - 1]:
                next_start = candidate
                break
        start = max(next_start, start + 1)


def owner_windows(windows: list[Window], n_tokens: int) -> list[tuple[int, int]]:
    """For each token, `(window index, position in window)` of the window that predicts it."""
    best = np.full(n_tokens, -1)  # margin of the owner so far
    owner = np.zeros(n_tokens, dtype=np.int64)
    for w, window in enumerate(windows):
        tokens = np.arange(window.start, window.end)
        margin = np.minimum(tokens - window.start, window.end - 1 - tokens)
        better = margin > best[window.start : window.end]  # strictly: ties stay with the earlier window
        best[window.start : window.end][better] = margin[better]
        owner[window.start : window.end][better] = w
    starts = np.array([window.start for window in windows], dtype=np.int64)
    return list(zip(owner.tolist(), (np.arange(n_tokens) - starts[owner]).tolist()))


BLOCK_CHARS = 20_000
_BLOCK_BREAKS = ("\n", *SENTENCE_ENDS)


def text_blocks(text: str, max_chars: int = BLOCK_CHARS) -> list[tuple[int, int]]:
    """`[start, end)` character blocks of at most `max_chars` covering `text`, cut after a line break or
    sentence end where one lies in the block's second half, so that prediction memory is bounded by the
    block, not by the document (a 20 MB file is thousands of blocks). Short texts are one block."""
    blocks, start = [], 0
    while start < len(text):
        end = min(start + max_chars, len(text))
        if end < len(text):
            cut = max(text.rfind(mark, start + max_chars // 2, end) for mark in _BLOCK_BREAKS)
            if cut >= 0:
                end = cut + 1
        blocks.append((start, end))
        start = end
    return blocks or [(0, 0)]
