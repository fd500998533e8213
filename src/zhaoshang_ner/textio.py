"""Decode article files whose encoding is unknown (UTF-8, GB18030 or Big5) without altering the text.

Offsets of annotations refer to the decoded text, so the text is returned exactly as decoded:
no newline, width or script normalisation. A UTF-8 BOM is removed (it is not part of the text).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# Legacy encodings tried when the data is not UTF-8; both decode most double-byte data, so
# the one whose result reads most like common Chinese wins.
_LEGACY = ("gb18030", "big5")
_MIN_COMMON_SHARE = 0.8  # right decodings of real articles score > 0.95, random bytes about 0.5


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


def _common_share(text: str) -> float:
    """Share of non-space characters that are printable ASCII or common CJK characters/punctuation."""
    common = _common_chars()
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 1.0
    return sum(" " < c < "\x7f" or c in common for c in chars) / len(chars)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return `(text, encoding)`: UTF-8 (BOM removed as `utf-8-sig`), else GB18030 or Big5.

    Legacy candidates are decoded with replacement characters (counted as uncommon), so a few bad
    bytes are tolerated; raises `UndecodableError` for NUL bytes or data that mostly does not read as text.
    """
    if b"\x00" in data:
        raise UndecodableError("contains NUL bytes (binary data)")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UndecodableError(f"UTF-8 BOM but invalid UTF-8 at byte {exc.start}") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    scored = []
    for encoding in ("utf-8", *_LEGACY):
        text = data.decode(encoding, errors="replace")
        scored.append((_common_share(text), -len(scored), text, encoding))
    share, _, text, encoding = max(scored)
    if share < _MIN_COMMON_SHARE:
        raise UndecodableError(f"mostly undecodable: at best {share:.0%} common characters ({encoding})")
    return text, encoding


def read_text_file(path: str | Path) -> tuple[str, str]:
    """Read and decode one file; an `UndecodableError` names the file."""
    try:
        return decode_bytes(Path(path).read_bytes())
    except UndecodableError as exc:
        raise UndecodableError(f"{path}: {exc.reason}") from None
