"""Encoding detection: UTF-8 (with/without BOM), UTF-16/32 with a BOM, GB18030/GBK and Big5, on real
article text; binary data refused, a stray NUL and damaged bytes tolerated (and counted)."""

import random
from pathlib import Path

import pytest

from zhaoshang_ner.textio import Decoded, UndecodableError, decode_bytes, decode_text, read_text_file

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
    assert decode_text(data) == Decoded(SIMPLIFIED_SAMPLE + "\ufffd", "gb18030", 1)


def test_item_13_damaged_utf8_bytes_are_counted():
    data = SIMPLIFIED_SAMPLE.encode("utf-8")
    damaged = data[:12] + b"\xff" + data[12:30] + b"\xc3" + data[30:]
    decoded = decode_text(damaged)
    assert decoded.encoding == "utf-8" and decoded.replaced == 2
    assert decoded.text.replace("\ufffd", "") == SIMPLIFIED_SAMPLE
    assert decode_text("原文有\ufffd字符".encode("utf-8")).replaced == 0  # a U+FFFD that was written is no damage


@pytest.mark.parametrize("text", ["陆路", "隆垄拢陇楼娄", "卢颅庐炉掳卤虏鲁麓碌露路"])
def test_item_13_short_gbk_that_is_valid_utf8_is_read_as_gbk(text):
    data = text.encode("gbk")
    data.decode("utf-8")  # valid UTF-8 by accident (Latin-1 and Greek letters)
    assert decode_bytes(data) == (text, "gb18030")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_item_16_utf16_and_utf32_with_a_bom_are_text(encoding):
    data = ("\ufeff" + SIMPLIFIED_SAMPLE).encode(encoding) if encoding != "utf-16" else SIMPLIFIED_SAMPLE.encode(encoding)
    assert decode_text(data) == Decoded(SIMPLIFIED_SAMPLE, "utf-32" if encoding == "utf-32" else "utf-16")


def test_item_16_a_stray_nul_is_kept_not_rejected():
    text = SIMPLIFIED_SAMPLE * 2 + "\x00" + SIMPLIFIED_SAMPLE
    assert decode_text(text.encode("utf-8")) == Decoded(text, "utf-8")
    assert decode_text(text.encode("gb18030")) == Decoded(text, "gb18030")
    assert decode_text(b"a\x00b") == Decoded("a\x00b", "utf-8")  # one NUL in a short text too


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data.*NUL"),
        ("UTF-16 中文".encode("utf-16-le"), "binary data.*NUL"),  # without a BOM it is not recognised
        (random.Random(0).randbytes(4000).replace(b"\x00", b"\x01"), "binary data"),
        (random.Random(0).randbytes(4000).translate(bytes(range(128, 160)) + bytes(range(32, 256))), "mostly undecodable"),  # no control bytes
        (SIMPLIFIED_SAMPLE.encode("utf-8") + b"\x00" * 200, "binary data: 200 of"),  # NUL padding
        (b"\xef\xbb\xbf\xff\xfe", "BOM"),
        (b"\xff\xfe\x00\xd8", "utf-16 BOM but invalid"),
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


@needs_shared
def test_every_shared_article_stays_utf8():
    for path in sorted(ARTICLES.rglob("*.txt")):
        data = path.read_bytes()
        assert decode_text(data) == Decoded(data.decode("utf-8").removeprefix("\ufeff"),
                                            "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"), path.name


def test_read_text_file(tmp_path):
    good = tmp_path / "big5.txt"
    good.write_bytes(TRADITIONAL_SAMPLE.encode("big5"))
    assert read_text_file(good) == Decoded(TRADITIONAL_SAMPLE, "big5")
    bad = tmp_path / "image.bin"
    bad.write_bytes(b"\x00\x01\x02")
    with pytest.raises(UndecodableError, match="image.bin: binary data"):
        read_text_file(bad)
    with pytest.raises(UndecodableError, match=f"big5.txt: larger than {len(TRADITIONAL_SAMPLE.encode('big5')) - 1} bytes"):
        read_text_file(good, max_bytes=len(TRADITIONAL_SAMPLE.encode("big5")) - 1)
