"""Encoding detection: UTF-8 (with/without BOM), GB18030/GBK and Big5, on real article text."""

import random
from pathlib import Path

import pytest

from zhaoshang_ner.textio import UndecodableError, decode_bytes, read_text_file

SHARED = Path(__file__).parents[1].parent / "shared"
ARTICLES = SHARED / "articles"
TRADITIONAL = ARTICLES / "seed" / "002_e99a373f156c24f6.txt"  # traditional script with pinyin glosses and mojibake
SIMPLIFIED = ARTICLES / "seed" / "000_d53e682942df9aa4.txt"

SIMPLIFIED_SAMPLE = "临沂招商引资提质增效“加速跑”：总投资130亿元的新材料产业园项目正式签约。\r\n"
TRADITIONAL_SAMPLE = "青禾市招商引資簽約項目總投資八十六億元！長三角企業來青禾投資\n"


@pytest.mark.parametrize(
    ("text", "encoding", "expected_name"),
    [
        (SIMPLIFIED_SAMPLE, "utf-8", "utf-8"),
        (SIMPLIFIED_SAMPLE, "gb18030", "gb18030"),
        (SIMPLIFIED_SAMPLE, "gbk", "gb18030"),
        (SIMPLIFIED_SAMPLE, "gb2312", "gb18030"),
        (TRADITIONAL_SAMPLE, "big5", "big5"),
        (TRADITIONAL_SAMPLE, "utf-8", "utf-8"),
        ("長三角", "big5", "big5"),
        ("长三角", "gbk", "gb18030"),
        ("plain ASCII 2023", "ascii", "utf-8"),
        ("", "utf-8", "utf-8"),
    ],
)
def test_decode_round_trip(text, encoding, expected_name):
    assert decode_bytes(text.encode(encoding)) == (text, expected_name)


def test_bom_is_removed_and_offsets_refer_to_decoded_text():
    text, name = decode_bytes(SIMPLIFIED_SAMPLE.encode("utf-8-sig"))
    assert (text, name) == (SIMPLIFIED_SAMPLE, "utf-8-sig")
    assert text.index("130亿元") == SIMPLIFIED_SAMPLE.index("130亿元")


def test_text_is_not_normalised():
    odd = "１２０亿\u3000元\r\n(qū)\t復(fù)星集團"
    for encoding in ("utf-8", "gb18030"):
        assert decode_bytes(odd.encode(encoding))[0] == odd


def test_few_bad_bytes_are_tolerated_as_replacement_characters():
    data = SIMPLIFIED_SAMPLE.encode("gb18030") + b"\xff"
    text, name = decode_bytes(data)
    assert name == "gb18030"
    assert text.startswith(SIMPLIFIED_SAMPLE) and text.endswith("\ufffd")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
        ("UTF-16 中文".encode("utf-16"), "NUL"),
        (random.Random(0).randbytes(4000).replace(b"\x00", b"\x01"), "mostly undecodable"),
        (b"\xef\xbb\xbf\xff\xfe", "BOM"),
    ],
)
def test_binary_data_is_rejected(data, reason):
    with pytest.raises(UndecodableError, match=reason):
        decode_bytes(data)


needs_shared = pytest.mark.skipif(not ARTICLES.is_dir(), reason="shared articles not available")


@needs_shared
@pytest.mark.parametrize(("path", "encoding"), [(TRADITIONAL, "big5"), (SIMPLIFIED, "gb18030"), (SIMPLIFIED, "gbk"),
                                                (TRADITIONAL, "gb18030")])
def test_real_articles_round_trip(path, encoding):
    # What the encoding can hold of a real article (Big5 has no pinyin tone letters).
    text = "".join(c for c in path.read_text(encoding="utf-8") if _encodable(c, encoding))
    assert len(text) > 2000
    expected_name = "big5" if encoding == "big5" else "gb18030"
    assert decode_bytes(text.encode(encoding)) == (text, expected_name)


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


@needs_shared
def test_every_shared_article_round_trips_through_gb18030():
    for path in sorted(ARTICLES.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert decode_bytes(text.encode("gb18030")) == (text, "gb18030"), path.name


def test_read_text_file(tmp_path):
    good = tmp_path / "big5.txt"
    good.write_bytes(TRADITIONAL_SAMPLE.encode("big5"))
    assert read_text_file(good) == (TRADITIONAL_SAMPLE, "big5")
    bad = tmp_path / "image.bin"
    bad.write_bytes(b"\x00\x01\x02")
    with pytest.raises(UndecodableError, match="image.bin: contains NUL"):
        read_text_file(bad)
