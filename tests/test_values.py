"""Normalised AMOUNT/DATE values, on forms taken from the shared articles and common variants."""

import time

import pytest

from zhaoshang_ner.values import AmountValue, DateValue, entity_values, parse_amount, parse_date

AMOUNTS = [
    # (text, value, currency, approximate)
    ("130亿元", 1.3e10, "CNY", False),
    ("219.3亿元", 2.193e10, "CNY", False),
    ("6300万美元", 6.3e7, "USD", False),
    ("百亿元", 1e10, "CNY", False),
    ("千亿元", 1e11, "CNY", False),
    ("1249.45亿元", 1.24945e11, "CNY", False),
    ("450余万元", 4.5e6, "CNY", True),
    ("40多亿元", 4e9, "CNY", True),
    ("600多万元", 6e6, "CNY", True),
    ("7000多万元", 7e7, "CNY", True),
    ("１２０亿元", 1.2e10, "CNY", False),
    ("十二亿元", 1.2e9, "CNY", False),
    ("三千万元", 3e7, "CNY", False),
    ("一百二十亿元", 1.2e10, "CNY", False),
    ("两亿元", 2e8, "CNY", False),
    ("1.5万亿元", 1.5e12, "CNY", False),
    ("数十亿元", 1e9, "CNY", True),  # lower bound: 数 counts as one
    ("几百万元", 1e6, "CNY", True),
    ("十几亿元", 1.1e9, "CNY", True),
    ("1,200万元", 1.2e7, "CNY", False),
    ("500万欧元", 5e6, "EUR", False),
    ("3亿港元", 3e8, "HKD", False),
    ("2亿港币", 2e8, "HKD", False),
    ("100亿日元", 1e10, "JPY", False),
    ("5000万英镑", 5e7, "GBP", False),
    ("10亿韩元", 1e9, "KRW", False),
    ("200万美金", 2e6, "USD", False),
    ("12.1亿美元", 1.21e9, "USD", False),
    ("3.3亿美元", 3.3e8, "USD", False),
    ("500元", 500.0, "CNY", False),
    ("5000万人民币", 5e7, "CNY", False),
    ("人民币500万元", 5e6, "CNY", False),
    ("8.6億元", 8.6e8, "CNY", False),
    ("67.5億元", 6.75e9, "CNY", False),
    ("百億元", 1e10, "CNY", False),
    ("3000萬元", 3e7, "CNY", False),
    ("1億美元", 1e8, "USD", False),
    ("120亿", 1.2e10, "CNY", False),
    ("70亿", 7e9, "CNY", False),
    ("万亿", 1e12, "CNY", False),
    ("亿元", 1e8, "CNY", False),
    ("6172.19万元", 6.172190e7, "CNY", False),
    ("2999.98万元", 2.99998e7, "CNY", False),
    ("1.295亿元", 1.295e8, "CNY", False),
    ("4621万元", 4.621e7, "CNY", False),
    ("近百亿元", 1e10, "CNY", True),  # a hedge that slipped into a prediction marks it approximate
    ("５００万欧元", 5e6, "EUR", False),
]


@pytest.mark.parametrize(("text", "value", "currency", "approximate"), AMOUNTS)
def test_parse_amount(text, value, currency, approximate):
    assert parse_amount(text) == AmountValue(pytest.approx(value), currency, approximate)


@pytest.mark.parametrize(
    "text", ["357个", "40多万平方米", "300万单", "70%", "元", "", "357", "12.5", "新能源", "1,20万元", "达10亿元"]
)
def test_parse_amount_rejects_non_money(text):
    assert parse_amount(text) is None


DATES = [
    ("2023年", DateValue(year=2023)),
    ("4月28日", DateValue(month=4, day=28)),
    ("2022年7月", DateValue(year=2022, month=7)),
    ("一季度", DateValue(quarter=1)),
    ("二季度", DateValue(quarter=2)),
    ("2023年第一季度", DateValue(year=2023, quarter=1)),
    ("2023年一季度", DateValue(year=2023, quarter=1)),
    ("2021-12-16", DateValue(2021, 12, 16)),
    ("2021/12/16", DateValue(2021, 12, 16)),
    ("2021.12.16", DateValue(2021, 12, 16)),
    ("2021-12", DateValue(2021, 12)),
    ("15日", DateValue(day=15)),
    ("2023", DateValue(year=2023)),
    ("二〇二三年", DateValue(year=2023)),
    ("2023年4月份", DateValue(2023, 4)),
    ("4月份", DateValue(month=4)),
    ("12月底", DateValue(month=12)),
    ("2011年底", DateValue(year=2011)),
    ("2010年年底", DateValue(year=2010)),
    ("2月下旬", DateValue(month=2)),
    ("２０２３年４月２８日", DateValue(2023, 4, 28)),
    ("2022年2月9日", DateValue(2022, 2, 9)),
    ("2010年6月1日", DateValue(2010, 6, 1)),
    ("2023年上半年", DateValue(year=2023, half=1)),
    ("2022年下半年", DateValue(year=2022, half=2)),
    ("十二月", DateValue(month=12)),
    ("三月二十八日", DateValue(month=3, day=28)),
    ("4月28号", DateValue(month=4, day=28)),
    ("2024年2月29日", DateValue(2024, 2, 29)),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["今年以来", "上半年", "年底", "三年", "近年来", "2月30日", "2023年2月29日", "13月", "五季度",
     "4月30日下午", "二〇二三", "20234月", "2011年1-9月", "130亿元", ""],
)
def test_parse_date_rejects_vague_or_invalid(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("label", "text", "expected"),
    [
        ("AMOUNT", "6300万美元", {"value": 6.3e7, "currency": "USD", "approximate": False}),
        ("AMOUNT", "450余万元", {"value": 4.5e6, "currency": "CNY", "approximate": True}),
        ("AMOUNT", "357个", {}),
        ("DATE", "2022年7月", {"year": 2022, "month": 7}),
        ("DATE", "一季度", {"quarter": 1}),
        ("DATE", "今年以来", {}),
        ("PERSON", "李波", {}),
        ("HOST_REGION", "2023年", {}),
    ],
)
def test_entity_values(label, text, expected):
    assert entity_values(label, text) == expected


@pytest.mark.parametrize(
    "text",
    ["1" * 400 + "元", "1万亿亿万亿元", "亿" * 200_000 + "元", "2000万亿元", "200万亿美元", "1" * 30 + "亿日元"],
)
def test_item_10_absurd_magnitudes_get_no_value(text):
    assert parse_amount(text) is None
    assert entity_values("AMOUNT", text) == {}  # no `value`, never Infinity (which is not JSON)


@pytest.mark.parametrize(("text", "value", "currency"),
                         [("1000万亿元", 1e15, "CNY"), ("100万亿美元", 1e14, "USD"), ("1万亿日元", 1e12, "JPY")])
def test_item_10_the_largest_real_sums_keep_their_value(text, value, currency):
    assert parse_amount(text) == AmountValue(pytest.approx(value), currency, False)


def test_item_10_long_digit_runs_fail_fast():
    # `\d+` inside `(...)+` used to try every split of the digits: 24 digits took seconds, 40 forever.
    started = time.perf_counter()
    assert parse_amount("1" * 5000 + "个") is None and parse_amount("1.1" * 5000 + "元") is None
    assert time.perf_counter() - started < 1.0
