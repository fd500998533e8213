"""Config overrides, seqeval scoring from spans, error classification, grouped folds."""

import json
import shlex

import pytest

from zhaoshang_ner.config import ConfigError, apply_overrides, command_line, load_config
from zhaoshang_ner.crossval import cross_validate, document_folds
from zhaoshang_ner.documents import Document, Span
from zhaoshang_ner.metrics import classify_errors, entity_scores
from zhaoshang_ner.reports import cv_markdown


def test_overrides_parse_yaml_scalars_and_nested_keys():
    cfg = {"lr": 1.0, "epochs": 3, "aux": {"epochs": 2}, "encoder": "x"}
    apply_overrides(cfg, ["lr=1e-4", "epochs=5", "aux.epochs=1", "encoder={hidden_size: 32}"])
    assert cfg == {"lr": 1e-4, "epochs": 5, "aux": {"epochs": 1}, "encoder": {"hidden_size": 32}}
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides(cfg, ["lr"])


@pytest.mark.parametrize(("override", "message"), [
    ("lrr=1", r"unknown key lrr \(known here: "),
    ("aux.epocs=1", r"unknown key aux.epocs \(known here: batch_size, datasets_dir, epochs"),
    ("aux.sets=[{name: cluener, spilt: train}]", r"unknown key aux.sets\[0\].spilt"),
    ("encoder={hidden_size: 32, layers: 2}", "unknown key encoder.layers"),
    ("epochs=two", r"epochs: expected int, got 'two'"),
    ("lr=fast", r"lr: expected float, got 'fast'"),
    ("doc_consistency=3", "doc_consistency: expected bool, got 3"),
    ("merge_touching=true", r"merge_touching: expected one of 'none', 'same', 'names', got True"),
    ("snap_heads=all", r"snap_heads: expected one of 'none', 'project', 'names', got 'all'"),
    ("labels=PROJECT", r"labels: expected a list of str, got 'PROJECT'"),
    ("aux.sets=[{name: cluener, label_map: {company: 3}}]", r"aux.sets\[0\].label_map.company: expected str"),
])
def test_config_keys_are_checked_at_every_depth_and_typed(override, message):
    from pathlib import Path

    from zhaoshang_ner.training import TRAIN_SCHEMA

    root = Path(__file__).parents[1]
    assert load_config(root / "configs" / "lexicon.yaml", [], TRAIN_SCHEMA)["aux"]["epochs"] == 1  # has every section
    with pytest.raises(ConfigError, match=message):
        load_config(root / "configs" / "lexicon.yaml", [override], TRAIN_SCHEMA)


def test_config_inherits_base_file(tmp_path):
    (tmp_path / "base.yaml").write_text("a: 1\nb: 2\n", encoding="utf-8")
    (tmp_path / "child.yaml").write_text("base: base.yaml\nb: 3\n", encoding="utf-8")
    assert load_config(tmp_path / "child.yaml", ["a=5"]) == {"a": 5, "b": 3}


DOC = Document("d", "临沂市签约130亿元项目", [Span(0, 3, "HOST_REGION", "临沂市"), Span(5, 11, "AMOUNT", "130亿元")])


def test_strict_scores_count_exact_spans_only():
    perfect = entity_scores([DOC], [DOC.entities])
    assert perfect["micro"]["f1"] == 1.0
    shifted = entity_scores([DOC], [[Span(0, 2, "HOST_REGION", "临沂"), Span(5, 11, "AMOUNT", "130亿元")]])
    assert shifted["micro"]["precision"] == 0.5 and shifted["micro"]["recall"] == 0.5
    assert shifted["HOST_REGION"]["f1"] == 0.0 and shifted["AMOUNT"]["f1"] == 1.0


def test_error_kinds():
    predicted = [Span(0, 3, "PARTNER_REGION", "临沂市"), Span(5, 9, "AMOUNT", "130亿"), Span(9, 11, "DATE", "元项")]
    kinds = sorted(e.kind for e in classify_errors([DOC], [predicted]))
    assert kinds == ["spurious", "wrong_boundary", "wrong_label"]
    assert [e.kind for e in classify_errors([DOC], [[]])] == ["missed", "missed"]


def test_folds_keep_documents_whole_and_cover_all():
    docs = [Document(f"d{i}", "文本", []) for i in range(7)]
    folds = document_folds(docs, 3)
    assert sorted(i for _, test in folds for i in test) == list(range(7))
    for train, test in folds:
        assert not set(train) & set(test)
    assert len(document_folds(docs, None)) == 7  # leave one document out


def test_cross_validate_pools_counts():
    docs = [DOC, Document("e", DOC.text, DOC.entities)]
    oracle = lambda train, test: {"": [d.entities for d in test], "none": [[] for _ in test]}
    results = cross_validate(docs, oracle, document_folds(docs, None), ["HOST_REGION", "AMOUNT"], progress=lambda _: None)
    assert results["none"]["pooled"]["micro"]["f1"] == 0.0
    result = results[""]
    assert result["pooled"]["micro"]["f1"] == 1.0
    assert result["pooled_counts"]["AMOUNT"] == {"tp": 2, "predicted": 2, "gold": 2}
    assert result["summary"]["micro"]["folds"] == 2



def test_cross_validation_state_in_a_new_folder_resumes_without_retraining(tmp_path):
    docs = [DOC, Document("e", DOC.text, DOC.entities)]
    calls = []

    def oracle(train, test):
        calls.append([d.id for d in test])
        return {"": [d.entities for d in test]}

    state = tmp_path / "new" / "folder" / "cv.state.jsonl"  # the report's folder does not exist yet
    first = cross_validate(docs, oracle, document_folds(docs, None), ["AMOUNT"], progress=lambda _: None, state=state)
    assert len(calls) == 2 and len(state.read_text(encoding="utf-8").splitlines()) == 2
    again = cross_validate(docs, oracle, document_folds(docs, None), ["AMOUNT"], progress=lambda _: None, state=state)
    assert len(calls) == 2 and again == first


def test_parallel_split_jobs_share_one_state_and_summarise_when_all_are_done(tmp_path):
    docs = [DOC, Document("e", DOC.text, DOC.entities), Document("f", DOC.text, DOC.entities)]
    calls = []

    def oracle(train, test):
        calls.append([d.id for d in test])
        return {"": [d.entities for d in test]}

    splits, state = document_folds(docs, None), tmp_path / "cv.state.jsonl"
    run = lambda only: cross_validate(docs, oracle, splits, ["AMOUNT"], progress=lambda _: None, state=state, only=only)
    tested = [[docs[i].id for i in test] for _, test in splits]
    assert run([0, 2]) is None and calls == [tested[0], tested[2]]  # split 1 is another job's: no summary yet
    whole = run([1])
    assert calls == [tested[0], tested[2], tested[1]] and whole is not None
    assert whole[""]["pooled_counts"]["AMOUNT"] == {"tp": 3, "predicted": 3, "gold": 3}
    assert run(None) == whole and len(calls) == 3  # a --resume rerun trains nothing and reports the same

def test_recorded_command_reruns_with_the_same_arguments():
    argv = ["--set", "encoder={num_hidden_layers: 4, hidden_size: 256}", "--name", "it's"]
    command = command_line("scripts/benchmark_public.py", argv)
    assert shlex.split(command) == ["python", "scripts/benchmark_public.py", *argv]


def test_benchmark_records_append_and_keep_every_run(tmp_path, capsys):
    from zhaoshang_ner.reports import record_benchmark

    path = tmp_path / "sub" / "public.jsonl"
    scores = {"micro": {"precision": 0.5, "recall": 0.25, "f1": 1 / 3}}
    record_benchmark(path, "enc", "msra", "test", scores, "python x.py", epochs=3)
    record_benchmark(path, "enc", "msra", "test", {"micro": {"f1": 0.9}}, "python x.py")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["micro_f1"] for r in rows] == [33.33, 90.0]
    assert rows[0]["epochs"] == 3 and "epochs" not in rows[1] and rows[0]["command"] == "python x.py"
    assert "enc on msra/test: micro-F1 33.33" in capsys.readouterr().out


def test_cross_validation_pools_error_kinds_and_keeps_predictions_out_of_reports(tmp_path):
    docs = [DOC, Document("e", DOC.text, DOC.entities)]
    shifted = [Span(0, 2, "HOST_REGION", "临沂"), Span(3, 5, "ORG", "签约"), DOC.entities[1]]
    tagger = lambda train, test: {"": [shifted for _ in test]}
    state = tmp_path / "cv.state.jsonl"
    result = cross_validate(docs, tagger, document_folds(docs, None), ["HOST_REGION", "AMOUNT", "ORG"],
                            progress=lambda _: None, state=state)[""]
    assert result["pooled_errors"] == {"HOST_REGION": {"wrong_boundary": 2}, "ORG": {"spurious": 2}}
    assert all("predictions" not in fold for fold in result["folds"])
    kept = [json.loads(line)["variants"][""]["predictions"] for line in state.read_text(encoding="utf-8").splitlines()]
    assert sorted(kept, key=str) == [{"d": [[0, 2, "HOST_REGION"], [3, 5, "ORG"], [5, 11, "AMOUNT"]]},
                                     {"e": [[0, 2, "HOST_REGION"], [3, 5, "ORG"], [5, 11, "AMOUNT"]]}]
    table = cv_markdown({**result, "name": "x", "command": "c", "folds_k": 2}, ["HOST_REGION", "AMOUNT", "ORG"])
    assert "| HOST_REGION | 0 | 0 | 0 | 2 |" in table and "| ORG | 0 | 2 | 0 | 0 |" in table
