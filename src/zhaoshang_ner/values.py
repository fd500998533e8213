"""Normalised values for predicted AMOUNT and DATE entities, so downstream users can sort and sum them.

Both parsers take the entity text as annotated (hedges such as `近`/`超` stay outside the span)
and return `None` rather than guess when the text is not a money sum or a calendar expression.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import asdict, dataclass
from decimal import Decimal, Overflow, localcontext

# Traditional and full-width forms mapped, one character to one, to those the grammars below use.
_FOLD = str.maketrans(
    {**{chr(0xFF10 + d): str(d) for d in range(10)}, "．": ".", "，": ",", "－": "-", "／": "/",
     "億": "亿", "萬": "万", "兩": "两", "數": "数", "幾": "几", "餘": "余", "號": "号"}
)


def fold(text: str) -> str:
    """Full-width digits and the traditional numeral/unit characters in simplified/ASCII form.

    Character-for-character, so offsets into the folded text are offsets into the original.
    """
    return text.translate(_FOLD)


# Currency words and their ISO codes; patterns try longer words first so `美元` is not read as `元`.
CURRENCIES: dict[str, str] = {
    "人民币": "CNY", "人民幣": "CNY", "美元": "USD", "美金": "USD", "欧元": "EUR", "歐元": "EUR",
    "港元": "HKD", "港币": "HKD", "港幣": "HKD", "日元": "JPY", "日圓": "JPY", "英镑": "GBP",
    "英鎊": "GBP", "韩元": "KRW", "韓元": "KRW", "澳元": "AUD", "加元": "CAD", "元": "CNY",
}
_CURRENCY = "|".join(sorted(map(re.escape, CURRENCIES), key=len, reverse=True))

# Yuan per unit, to the order of magnitude only: enough to tell a real sum from an absurd one.
CNY_PER_UNIT = {"CNY": 1.0, "USD": 7.0, "EUR": 8.0, "GBP": 9.0, "HKD": 0.9, "JPY": 0.05, "KRW": 0.005,
                "AUD": 4.7, "CAD": 5.2}
# The largest sum an article can mean, in yuan: world output is about 7e14 yuan a year, so a bigger
# "amount" (`1万亿亿万亿元`, a 400-digit number) is a misreading and gets no `value` rather than a
# number no one meant (or Infinity, which is not JSON).
MAX_CNY = 1e15

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_HEDGES = ("超过", "约合", "约", "近", "超", "逾", "过")
_AMOUNT = re.compile(
    rf"(?P<hedge>{'|'.join(_HEDGES)})?(?P<pre>人民币)?"
    # Possessive quantifiers: a long digit run that does not match must fail in linear time, not
    # try every split of the digits (`\d+` inside `(...)+` backtracks exponentially).
    r"(?P<body>(?:\d++(?:,\d{3})*+(?:\.\d++)?|[零〇一二两三四五六七八九十百千万亿数几余多])++)"
    rf"(?P<cur>{_CURRENCY})?"
)


@dataclass(frozen=True)
class AmountValue:
    """A sum of money in the currency's base unit; `approximate` marks `余`/`多`/`数`/`几` and hedges."""

    value: float
    currency: str
    approximate: bool = False


def _chinese_number(body: str) -> Decimal:
    """Read Arabic and Chinese numerals with 十百千万亿 multipliers (`1.5万亿`, `一百二十亿`, `三千万`).

    A multiplier with nothing before it counts as one (`百亿`, `万亿`); `数`/`几` also count as one,
    so `数十亿` yields its lower bound, ten 亿.
    """
    total = section = Decimal(0)
    number: Decimal | None = None
    for token in re.findall(r"\d+(?:\.\d+)?|.", body):
        if token[0].isdigit():
            number = Decimal(token)
        elif token in _DIGITS or token in "数几":
            number = Decimal(_DIGITS.get(token, 1))
        elif token in _SMALL_UNITS:
            section += (Decimal(1) if number is None else number) * _SMALL_UNITS[token]
            number = None
        elif token == "万":
            section = (section + (number or 0) or 1) * 10_000
            number = None
        elif token == "亿":
            total = (total + section + (number or 0) or 1) * 100_000_000
            section, number = Decimal(0), None
    return total + section + (number or 0)


def parse_amount(text: str) -> AmountValue | None:
    """Parse `130亿元`, `6300万美元`, `450余万元`, `数十亿元`, `１２０亿元`; `None` if it is not money.

    Without a currency word a 万/亿 unit is required and CNY is assumed (`120亿`), because a bare
    number (`357`) is not a sum of money. Above `MAX_CNY` yuan (at `CNY_PER_UNIT`) it is not a sum
    either: `None`, so a value is always a finite number.
    """
    match = _AMOUNT.fullmatch(fold(text.strip()))
    if match is None:
        return None
    body = match["body"]
    if not re.search(r"\d|[零〇一二两三四五六七八九十百千万亿]", body):
        return None
    if not (match["cur"] or match["pre"] or re.search("[万亿]", body)):
        return None
    approximate = bool(match["hedge"]) or bool(re.search("[余多数几]", body))
    currency = CURRENCIES[match["cur"]] if match["cur"] else "CNY"
    with localcontext() as context:
        context.traps[Overflow] = False  # `亿` repeated past Decimal's exponent range reads as Infinity
        value = _chinese_number(re.sub("[余多,]", "", body))
    if not 0 < value * Decimal(CNY_PER_UNIT[currency]) <= Decimal(MAX_CNY):
        return None
    return AmountValue(float(value), currency, approximate)


@dataclass(frozen=True)
class DateValue:
    """The calendar fields an expression names; `half` is 1/2 for 上半年/下半年 of a given year."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    quarter: int | None = None
    half: int | None = None


_CN_SMALL = r"[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_DATE_FORMS = [
    re.compile(r"(?P<year>\d{4})(?:[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?)?"),
    re.compile(
        rf"(?:(?P<year>\d{{4}}|[〇零一二三四五六七八九]{{4}})年)?"
        rf"(?:第?(?P<quarter>[1-4一二三四])季度|(?P<half>[上下])半年"
        rf"|(?:(?P<month>\d{{1,2}}|{_CN_SMALL})月份?)?(?:(?P<day>\d{{1,2}}|{_CN_SMALL})[日号])?)"
        r"(?:年?[底末初]|[上中下]旬)?"
    ),
]


def _small_number(text: str) -> int:
    """`12`, `十二`, `二十八`, `三十一` → int; `二〇二三` digit by digit."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return _DIGITS.get(tens, 1) * 10 + _DIGITS.get(ones, 0)


def parse_date(text: str) -> DateValue | None:
    """Parse `2023年4月28日`, `一季度`, `2021-12-16`, `二〇二三年`, `12月底`, `15日`; `None` if vague.

    `上半年`/`下半年` only count with a year (the spec treats them as vague otherwise); a bare
    number counts as a year only when it has four digits (`2023`).
    """
    folded = fold(text.strip())
    for form in _DATE_FORMS:
        match = form.fullmatch(folded)
        if match and any(match.groupdict().values()):
            break
    else:
        return None
    groups = match.groupdict()
    fields = {k: _small_number(v) for k, v in groups.items() if v and k != "half"}
    if groups.get("half"):
        fields["half"] = 1 if groups["half"] == "上" else 2
    value = DateValue(**fields)
    return value if _is_valid(value, folded) else None


def _is_valid(value: DateValue, folded: str) -> bool:
    """Range checks, plus the rules that keep vague or partial forms out."""
    if value.half and value.year is None:
        return False
    if value.year is not None and not (1000 <= value.year <= 2999):
        return False
    if value.quarter is not None and not 1 <= value.quarter <= 4:
        return False
    if value.month is not None and not 1 <= value.month <= 12:
        return False
    if value.day is not None:
        days = calendar.monthrange(value.year or 2000, value.month)[1] if value.month else 31
        if not 1 <= value.day <= days:
            return False
    return True


def entity_values(label: str, text: str) -> dict:
    """JSON-ready normalised fields for an entity record; `{}` for other labels or unparsable text."""
    if label == "AMOUNT":
        amount = parse_amount(text)
        return asdict(amount) if amount else {}
    if label == "DATE":
        date = parse_date(text)
        return {k: v for k, v in asdict(date).items() if v is not None} if date else {}
    return {}
