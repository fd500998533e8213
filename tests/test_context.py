"""Document-level steps: one label per repeated string, propagation to missed mentions, region roles."""

import pytest

from zhaoshang_ner.context import Candidate, consistent_labels, region_roles

TEXT = "黄石市招商引资签约\n黄石市长带队赴深圳招商，黄石与深圳企业签约，深圳客商来黄石投资。"


def at(string: str, nth: int = 0) -> int:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(string, start + 1)
    return start


def cand(string, nth, label, score, probs=None, fixed=False) -> Candidate:
    start = at(string, nth)
    return Candidate(start, start + len(string), label, string, score, probs or {label: score}, fixed)


def test_the_string_takes_its_most_probable_label_unless_the_model_is_sure():
    spans = [cand("黄石市", 0, "HOST_REGION", 0.8, {"HOST_REGION": 0.8, "PERSON": 0.1}),
             cand("黄石市", 1, "PERSON", 0.5, {"HOST_REGION": 0.4, "PERSON": 0.5}),
             cand("深圳", 0, "PARTNER_REGION", 0.95, {"PARTNER_REGION": 0.95, "COMPANY": 0.02}),
             cand("深圳", 1, "COMPANY", 0.92, {"PARTNER_REGION": 0.05, "COMPANY": 0.92})]
    out = consistent_labels(TEXT, spans)
    by_start = {s.start: s for s in out}
    assert by_start[at("黄石市", 1)].label == "HOST_REGION"  # relabelled: 0.8 + 0.4 > 0.1 + 0.5
    assert by_start[at("黄石市", 1)].score == 0.4  # its probability of the new label
    assert by_start[at("深圳", 1)].label == "COMPANY"  # confident: its context clearly differs


def test_missed_mentions_get_the_string_label_and_rules_are_never_touched():
    spans = [cand("深圳", 0, "PARTNER_REGION", 0.9), cand("签约", 0, "AMOUNT", 1.0, fixed=True)]
    out = consistent_labels(TEXT, spans)
    shenzhen = [s for s in out if s.text == "深圳"]
    assert [s.start for s in shenzhen] == [at("深圳", k) for k in range(3)]
    assert all(s.label == "PARTNER_REGION" for s in shenzhen) and shenzhen[1].score == 0.45
    assert [s for s in out if s.fixed] == [spans[1]]
    assert not any(s.text == "签约" and not s.fixed for s in out)  # a rule span's string is not propagated


def test_region_roles_follow_the_article_evidence():
    spans = [cand("黄石市", 0, "PARTNER_REGION", 0.5, {"HOST_REGION": 0.45, "PARTNER_REGION": 0.5}),
             cand("黄石", 2, "HOST_REGION", 0.6, {"HOST_REGION": 0.6, "PARTNER_REGION": 0.3}),
             cand("深圳", 0, "HOST_REGION", 0.55, {"HOST_REGION": 0.55, "PARTNER_REGION": 0.4}),
             cand("深圳", 1, "PARTNER_REGION", 0.6, {"HOST_REGION": 0.3, "PARTNER_REGION": 0.6})]
    out = {(s.text, s.start): s.label for s in region_roles(TEXT, spans)}
    assert out["黄石市", at("黄石市")] == "HOST_REGION"  # in the headline
    assert out["深圳", at("深圳")] == "PARTNER_REGION"  # after 赴
    assert out["深圳", at("深圳", 1)] == "PARTNER_REGION"  # one role per string


def test_touching_spans_whose_labels_never_touch_in_training_are_joined():
    from zhaoshang_ner.context import merge_pairs, merge_touching, touching_pairs
    from zhaoshang_ner.documents import Document, Span

    text = "林晓然在江苏南京签约"
    gold = [Document("d", text, [Span(4, 6, "HOST_REGION", "江苏"), Span(6, 8, "HOST_REGION", "南京"),
                                 Span(0, 3, "PERSON", "林晓然")])]
    assert touching_pairs(gold) == {("HOST_REGION", "HOST_REGION")}
    spans = [Candidate(1, 3, "PERSON", "晓然", 0.6, {"PERSON": 0.6}), Candidate(0, 1, "PERSON", "林", 0.9, {"PERSON": 0.9}),
             Candidate(4, 6, "HOST_REGION", "江苏", 0.9), Candidate(6, 8, "HOST_REGION", "南京", 0.9),
             Candidate(8, 9, "DATE", "签", 1.0, fixed=True), Candidate(9, 10, "DATE", "约", 1.0, fixed=True)]
    merged = merge_touching(spans, {("PERSON", "PERSON"), ("DATE", "DATE")})
    assert [(c.start, c.end, c.label, c.text) for c in merged] == [
        (0, 3, "PERSON", "林晓然"), (4, 6, "HOST_REGION", "江苏"), (6, 8, "HOST_REGION", "南京"),
        (8, 9, "DATE", "签"), (9, 10, "DATE", "约")]  # regions may touch; rule spans are never joined
    assert merged[0].score == pytest.approx((0.9 + 2 * 0.6) / 3) and merged[0].probs["PERSON"] == pytest.approx(0.7)
    assert merge_touching(spans, set()) == sorted(spans, key=lambda c: c.start)
    labels = ["HOST_REGION", "PERSON", "COMPANY", "PROJECT"]
    assert merge_pairs(labels, gold, "none") == []
    assert merge_pairs(labels, gold, "same") == [("COMPANY", "COMPANY"), ("PERSON", "PERSON"), ("PROJECT", "PROJECT")]
    names = merge_pairs(labels, gold, "names")
    assert ("HOST_REGION", "PROJECT") in names and ("PROJECT", "COMPANY") in names
    assert ("COMPANY", "HOST_REGION") not in names  # only a name label absorbs a neighbour
    with pytest.raises(ValueError, match="merge policy"):
        merge_pairs(labels, gold, "all")


def test_a_chain_of_labels_that_never_touch_joins_into_the_name_that_contains_it():
    from zhaoshang_ner.context import merge_touching

    text = "英伟达人工智能产业园项目"
    spans = [Candidate(0, 3, "COMPANY", "英伟达", 0.8, {"COMPANY": 0.8}),
             Candidate(3, 7, "INDUSTRY", "人工智能", 0.7, {"INDUSTRY": 0.7}),
             Candidate(7, 12, "PROJECT", "产业园项目", 0.9, {"PROJECT": 0.9})]
    merged = merge_touching(spans, {("COMPANY", "INDUSTRY"), ("INDUSTRY", "PROJECT"), ("COMPANY", "PROJECT")})
    assert [(c.start, c.end, c.label, c.text) for c in merged] == [(0, 12, "PROJECT", text)]
    assert merged[0].probs["PROJECT"] == pytest.approx(5 * 0.9 / 12)
    only_inner = merge_touching(spans, {("INDUSTRY", "PROJECT")})  # 英伟达 may touch a PROJECT in training
    assert [(c.label, c.text) for c in only_inner] == [("COMPANY", "英伟达"), ("PROJECT", "人工智能产业园项目")]


def test_head_words_are_endings_shared_by_names_and_rarely_left_outside_them():
    from zhaoshang_ner.context import learn_heads
    from zhaoshang_ner.documents import Document, Span

    def doc(name, text, spans):
        return Document(name, text, [Span(s, e, label, text[s:e]) for s, e, label in spans])

    docs = [doc("a", "甲光伏项目、乙电池项目开工", [(0, 5, "PROJECT"), (6, 11, "PROJECT")]),
            doc("b", "丙储能项目和丙储能项目", [(0, 5, "PROJECT"), (6, 11, "PROJECT")]),
            doc("c", "丁风电项目，比亚迪投资，宁德时代投资，华为投资", [(0, 5, "PROJECT"), (6, 9, "COMPANY"),
                                                      (12, 16, "COMPANY"), (19, 21, "COMPANY")])]
    heads = learn_heads(["PROJECT", "COMPANY"], docs, "names")
    assert "项目" in heads["PROJECT"] and "电项目" not in heads["PROJECT"]  # 3 names: 光伏, 电池, 风电 (储能 twice)
    assert "COMPANY" not in heads  # no ending shared by 3 names; 投资 follows them: never a head
    assert learn_heads(["PROJECT", "COMPANY"], docs, "project").keys() == {"PROJECT"}
    assert learn_heads(["PROJECT"], docs, "none") == {}
    with pytest.raises(ValueError, match="snap_heads policy must be one of"):
        learn_heads(["PROJECT"], docs, "all")
    left_out = docs + [doc(f"x{k}", "戊项目项目", [(0, 3, "PROJECT")]) for k in range(3)]  # 项目 outside 3 of 7
    assert "项目" not in learn_heads(["PROJECT"], left_out, "project").get("PROJECT", [])


def test_names_grow_to_the_head_word_they_cut_or_touch_but_never_into_the_next_span():
    from zhaoshang_ner.context import snap_heads

    text = "特斯拉储能超级工厂项目、板材生产基地、TFT制造项目产业园、甲项目乙公司"
    heads = {"PROJECT": ["项目", "基地", "生产基地", "产业园"], "COMPANY": ["公司"]}

    def span(string, cut=0, label="PROJECT", fixed=False, nth=0):
        start = text.index(string) if not nth else text.index(string, text.index(string) + 1)
        return Candidate(start, start + len(string) - cut, label, string[: len(string) - cut], 0.9, {}, fixed)

    spans = [span("特斯拉储能超级工厂项目", cut=1),  # cuts 项目
             span("板材生产基地", cut=2),  # 生产基地 starts inside, 基地 follows
             span("TFT制造项目产业园", cut=5),  # 项目 then 产业园 follow: grows twice
             span("甲", label="PROJECT"), span("项目乙", cut=1, label="COMPANY")]  # the next span starts at 项目
    out = snap_heads(text, spans, heads)
    assert [c.text for c in out] == ["特斯拉储能超级工厂项目", "板材生产基地", "TFT制造项目产业园", "甲", "项目"]
    assert all(c.text == text[c.start : c.end] for c in out)
    rule = [span("板材生产基地", cut=2, fixed=True)]
    assert snap_heads(text, rule, heads) == rule  # rule spans stay as they are
    other = [span("板材生产基地", cut=2, label="ORG")]
    assert snap_heads(text, other, heads) == other  # no head words for ORG
