"""The regex/lexicon/jieba baseline: what its patterns catch, and that its output is a valid flat span set."""

from pathlib import Path

import pytest

from zhaoshang_ner.baseline import BaselineTagger
from zhaoshang_ner.documents import Span
from zhaoshang_ner.labels import LABELS

SHARED = Path(__file__).parents[1].parent / "shared"
TAGGER = BaselineTagger()


def texts_of(text: str, label: str) -> list[str]:
    return [span.text for span in TAGGER.predict(text) if span.label == label]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("总投资130亿元的项目", ["130亿元"]),
        ("到位市外资金219.3亿元", ["219.3亿元"]),
        ("过10亿元且有固定资产投资", ["10亿元"]),
        ("总投资近百亿元", ["百亿元"]),
        ("超6300万美元", ["6300万美元"]),
        ("税收450余万元，营收40多亿元", ["450余万元", "40多亿元"]),
        ("投资１２０亿元开展", ["１２０亿元"]),
        ("总投资8.6億元", ["8.6億元"]),
        ("约1.5万亿元", ["1.5万亿元"]),
        ("数十亿元的产业集群", ["数十亿元"]),
        ("合同额1,200万欧元", ["1,200万欧元"]),
        ("共引建项目357个，占地40多万平方米，增长70%", []),
        ("发展多元化产业", []),
    ],
)
def test_amounts(text, expected):
    assert texts_of(text, "AMOUNT") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4月30日下午3点30分举行", ["4月30日"]),
        ("2023年一季度全市引建项目", ["2023年一季度"]),
        ("今年一季度和二季度", ["一季度", "二季度"]),
        ("2022年7月签约", ["2022年7月"]),
        ("于2021-12-16开工", ["2021-12-16"]),
        ("2023年上半年完成", ["2023年上半年"]),
        ("二〇二三年的目标", ["二〇二三年"]),
        ("15日上午集中签约", ["15日"]),
        ("２０２２年２月９日電", ["２０２２年２月９日"]),
        ("今年以来，近年来，上半年", []),
        ("2月30日", []),
        ("地铁1号线", []),
    ],
)
def test_dates(text, expected):
    assert texts_of(text, "DATE") == expected


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("聚焦新一代信息技术、新能源和生物医药", "INDUSTRY", ["新一代信息技术", "新能源", "生物医药"]),
        ("总投资130亿元的新材料产业园项目正式签约", "PROJECT", ["新材料产业园项目"]),
        ("共引建项目357个", "PROJECT", []),
        ("华润集团来我市考察", "COMPANY", ["华润集团"]),
    ],
)
def test_lexicon_and_jieba_labels(text, label, expected):
    assert texts_of(text, label) == expected


def test_regex_spans_win_over_jieba_tokens():
    spans = TAGGER.predict("总投资130亿元的新材料产业园项目于2023年4月28日签约")
    assert [(s.label, s.text) for s in spans if s.label in ("AMOUNT", "DATE", "PROJECT")] == [
        ("AMOUNT", "130亿元"),
        ("PROJECT", "新材料产业园项目"),
        ("DATE", "2023年4月28日"),
    ]


def test_host_region_comes_from_the_title():
    text = "临沂招商引资加速跑\n临沂组织企业赴深圳招商，临沂与深圳企业签约。"
    labels = {(s.text, s.label) for s in TAGGER.predict(text) if s.label.endswith("REGION")}
    assert ("临沂", "HOST_REGION") in labels
    assert ("深圳", "PARTNER_REGION") in labels


def assert_valid_spans(text: str, spans: list[Span]) -> None:
    assert spans == sorted(spans)
    for previous, span in zip(spans, spans[1:]):
        assert previous.end <= span.start, (previous, span)
    for span in spans:
        assert span.label in LABELS
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        assert not span.text[0].isspace() and not span.text[-1].isspace()


ARTICLES = sorted((SHARED / "articles").rglob("*.txt")) if (SHARED / "articles").is_dir() else []


@pytest.mark.skipif(not ARTICLES, reason="shared articles not available")
@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.name)
def test_real_article_spans_are_flat_exact_and_deterministic(path):
    text = path.read_text(encoding="utf-8")
    spans = TAGGER.predict(text)
    assert_valid_spans(text, spans)
    assert BaselineTagger().predict(text) == spans


@pytest.mark.skipif(not (SHARED / "articles" / "seed").is_dir(), reason="shared articles not available")
def test_real_article_finds_the_headline_amounts():
    text = (SHARED / "articles" / "seed" / "000_d53e682942df9aa4.txt").read_text(encoding="utf-8")
    amounts = texts_of(text, "AMOUNT")
    assert {"130亿元", "219.3亿元", "6300万美元"} <= set(amounts)
    assert "4月28日" in texts_of(text, "DATE")
