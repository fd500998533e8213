"""Decode article files whose encoding is unknown (UTF-8, GB18030 or Big5; UTF-16/32 with a BOM)
without altering the text, and tell text from binary data.

Offsets of annotations refer to the decoded text, so the text is returned exactly as decoded:
no newline, width or script normalisation, a stray control character kept. A BOM is removed (it is
not part of the text).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

# Legacy encodings tried when the data is not UTF-8; both decode most double-byte data, so
# the one whose result reads most like common Chinese wins.
_LEGACY = ("gb18030", "big5")
_MIN_COMMON_SHARE = 0.8  # right decodings of real articles score > 0.95, random bytes about 0.5
# UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# C0 control characters other than whitespace, and DEL: text has almost none, binary data many.
_CONTROL_TABLE = {c: None for c in range(0x20) if chr(c) not in "\t\n\v\f\r"} | {0x7F: None}
_MAX_CONTROL_SHARE = 0.01  # a stray NUL in an article is kept; binary data is full of them
_SAMPLE_CHARS = 100_000


class UndecodableError(ValueError):
    """Data that is binary or does not read as text in any supported encoding."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _decode_rows(encoding: str, leads: range, trails: list[int]) -> set[str]:
    chars = set()
    for lead in leads:
        for trail in trails:
            try:
                chars.add(bytes((lead, trail)).decode(encoding))
            except UnicodeDecodeError:
                pass
    return chars


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    """Punctuation plus the frequent hanzi of both scripts: GB2312 level 1 and Big5 level 1.

    Misdecoded text lands mostly in rare rows (GBK extensions, Big5 level 2, kana, private use),
    so the share of these characters separates a right decoding from a wrong one.
    """
    gb_trails = list(range(0xA1, 0xFF))
    big5_trails = list(range(0x40, 0x7F)) + gb_trails
    chars = _decode_rows("gb2312", range(0xA1, 0xA4), gb_trails)  # punctuation, full-width forms
    chars |= _decode_rows("gb2312", range(0xA8, 0xA9), gb_trails)  # pinyin with tone marks
    chars |= _decode_rows("gb2312", range(0xB0, 0xD8), gb_trails)  # level-1 hanzi
    chars |= _decode_rows("big5", range(0xA1, 0xA4), big5_trails)  # punctuation
    chars |= _decode_rows("big5", range(0xA4, 0xC7), big5_trails)  # level-1 hanzi
    return frozenset(chars)


class Decoded(NamedTuple):
    """A decoded file: `replaced` counts the damaged byte sequences that became U+FFFD, so a record can
    say its text is not quite what was written."""

    text: str
    encoding: str
    replaced: int = 0


def _common_share(text: str) -> float:
    """Share of non-space characters that are printable ASCII or common CJK characters/punctuation,
    judged on the first `_SAMPLE_CHARS` characters (a right decoding reads right from the start)."""
    common = _common_chars()
    chars = [c for c in text[:_SAMPLE_CHARS] if not c.isspace()]
    if not chars:
        return 1.0
    return sum(" " < c < "\x7f" or c in common for c in chars) / len(chars)


def decode_text(data: bytes) -> Decoded:
    """Decode UTF-8 (BOM removed as `utf-8-sig`), UTF-16/32 with a BOM, else GB18030 or Big5.

    Legacy candidates are decoded with replacement characters (counted as uncommon), so a few bad
    bytes are tolerated and counted in `replaced`. Valid UTF-8 that reads as gibberish while a legacy
    decoding reads as common Chinese is legacy data that happens to be valid UTF-8 (short GBK texts
    can be). Raises `UndecodableError` for binary data (more than `_MAX_CONTROL_SHARE` control
    characters such as NUL; a stray one is kept, as read) or data that mostly does not read as text.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding).removeprefix("\ufeff")
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"{encoding} BOM but invalid {encoding} at byte {exc.start}") from None
            return _not_binary(Decoded(text, "utf-8-sig" if encoding == "utf-8" else encoding))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        share = _common_share(text)
        if share < _MIN_COMMON_SHARE:
            for encoding in _LEGACY:
                legacy = _strict(data, encoding)
                if legacy is not None and _common_share(legacy) >= _MIN_COMMON_SHARE:
                    return _not_binary(Decoded(legacy, encoding))
        return _not_binary(Decoded(text, "utf-8"))
    scored = []
    for encoding in ("utf-8", *_LEGACY):
        text = data.decode(encoding, errors="replace")
        scored.append((_common_share(text), -len(scored), text, encoding))
    share, _, text, encoding = max(scored)
    if share < _MIN_COMMON_SHARE:
        _not_binary(Decoded(text, encoding))  # binary data says so rather than "undecodable"
        raise UndecodableError(f"mostly undecodable: at best {share:.0%} common characters ({encoding})")
    return _not_binary(Decoded(text, encoding, text.count("\ufffd") - _count_encoded(data, "\ufffd", encoding)))


def _not_binary(decoded: Decoded) -> Decoded:
    """`decoded`, unless control characters (NUL, …) make more than `_MAX_CONTROL_SHARE` of it (and
    there is more than one)."""
    text = decoded.text
    controls = len(text) - len(text.translate(_CONTROL_TABLE))
    if controls > max(1.0, _MAX_CONTROL_SHARE * len(text)):  # one stray NUL is no binary file, even in a short text
        nul = text.count("\x00")
        raise UndecodableError(f"binary data: {controls} of {len(text)} characters are control characters"
                               + (f" ({nul} NUL)" if nul else ""))
    return decoded


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _count_encoded(data: bytes, char: str, encoding: str) -> int:
    """How often `char` is written in `data` (U+FFFD that was in the file, not put there by decoding)."""
    try:
        return data.count(char.encode(encoding))
    except UnicodeEncodeError:
        return 0


def decode_bytes(data: bytes) -> tuple[str, str]:
    """`(text, encoding)` as `decode_text` decodes it, for readers that need no more."""
    return decode_text(data)[:2]


def read_text_file(path: str | Path, max_bytes: int | None = None) -> Decoded:
    """Read and decode one file (regular or not: a FIFO is read once); more than `max_bytes` is refused
    before it is all in memory. An `UndecodableError` names the file."""
    with open(path, "rb") as handle:
        if max_bytes is None:
            data = handle.read()
        elif os.fstat(handle.fileno()).st_size > max_bytes:  # a regular file tells its size: not read at all
            data = None
        else:
            data = handle.read(max_bytes + 1)  # a FIFO or a device does not: read one byte past the limit
    try:
        if max_bytes is not None and (data is None or len(data) > max_bytes):
            raise UndecodableError(f"larger than {max_bytes:,} bytes: split it into articles")
        return decode_text(data)
    except UndecodableError as exc:
        raise UndecodableError(f"{path}: {exc.reason}") from None
