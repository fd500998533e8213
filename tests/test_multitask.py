"""The intermediate stage: LAC silver records joined back to the corpus, multi-task training, exact resume."""

import gzip
import hashlib
import json

import pytest
import torch

from zhaoshang_ner.multitask import SCHEMA, sampling_weights, train_multitask, Task
from zhaoshang_ner.config import check
from zhaoshang_ner.modeling import load_model
from zhaoshang_ner.silver import load_lac_silver

from conftest import SHARED_VOCAB

LINES = ["临沂市副市长龚晓琴带队赴深圳招商。", "华为技术有限公司在青禾市投资建厂。", "短句。", "今年全市签约项目增长很快。"]
LAC = [([3, 3, 3, 2, 1, 2, 2, 1], ["LOC", "n", "PER", "v", "v", "LOC", "v", "w"]),
       ([8, 1, 3, 2, 2, 1], ["ORG", "p", "LOC", "v", "v", "w"]),
       ([2, 1], ["a", "w"]),
       ([2, 2, 2, 2, 2, 2, 1], ["TIME", "n", "v", "n", "v", "a", "w"])]


def write_silver(tmp_path, lines=LINES, labelled=len(LINES)):
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    corpus.mkdir()
    cache.mkdir()
    with gzip.open(corpus / "corpus-000.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    records = [{"line": n, "chars": len(line), "sha1": hashlib.sha1(line.encode()).hexdigest()[:16],
                "seg": seg, "tag": tags} for n, (line, (seg, tags)) in enumerate(zip(LINES[:labelled], LAC))]
    with gzip.open(cache / "corpus-000.lac.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return corpus, cache


def test_silver_spans_follow_lac_words_and_tags(tmp_path):
    corpus, cache = write_silver(tmp_path)
    pos, ner = load_lac_silver(cache, corpus, max_lines=10, seed=1, exclude={LINES[3]})
    by_id = {doc.id: doc for doc in ner}
    assert set(by_id) == {"corpus-000:0", "corpus-000:1"}  # the short line and the excluded one are left out
    assert [(s.text, s.label) for s in by_id["corpus-000:0"].entities] == [("临沂市", "LOC"), ("龚晓琴", "PER"),
                                                                            ("深圳", "LOC")]
    first = next(doc for doc in pos if doc.id == "corpus-000:0")
    assert [s.text for s in first.entities][:3] == ["临沂市", "副市长", "龚晓琴"]


def test_a_shard_labelled_in_part_is_sampled_from_its_labelled_lines(tmp_path):
    corpus, cache = write_silver(tmp_path, labelled=1)  # silver_lac.py --max-lines 1
    pos, ner = load_lac_silver(cache, corpus, max_lines=10, seed=1)
    assert [doc.id for doc in ner] == [doc.id for doc in pos] == ["corpus-000:0"]


def test_a_corpus_line_that_changed_is_refused(tmp_path):
    changed = [LINES[0].replace("深圳", "上海"), *LINES[1:]]
    corpus, cache = write_silver(tmp_path, changed)
    with pytest.raises(ValueError, match="not the text LAC labelled"):
        load_lac_silver(cache, corpus, max_lines=10, seed=1)


def test_sampling_follows_the_temperature():
    tasks = [Task("big", ["A"], [None] * 400, [], []), Task("small", ["A"], [None] * 100, [], [])]
    assert sampling_weights(tasks, 1.0) == pytest.approx([0.8, 0.2])
    assert sampling_weights(tasks, 2.0) == pytest.approx([2 / 3, 1 / 3])


def public_set(root, name):
    folder = root / name
    folder.mkdir(parents=True)
    docs = [{"text": f"{city}市长{person}访问{company}公司。",
             "entities": [{"start": 0, "end": len(city), "label": "LOC", "text": city},
                          {"start": len(city) + 2, "end": len(city) + 2 + len(person), "label": "PER", "text": person}]}
            for city, person, company in [("临沂", "王伟", "华为"), ("青岛", "李强", "海尔"), ("潍坊", "张敏", "潍柴")] * 4]
    for split in ("train", "dev", "test"):
        with gzip.open(folder / f"{split}.jsonl.gz", "wt", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))


def config(tmp_path, out, **overrides):
    datasets = tmp_path / "datasets"
    if not datasets.exists():
        public_set(datasets, "toy")
    corpus, cache = (tmp_path / "corpus", tmp_path / "cache") if (tmp_path / "corpus").exists() else write_silver(tmp_path)
    (tmp_path / "articles").mkdir(exist_ok=True)
    (tmp_path / "articles" / "corpus-paragraphs.jsonl").write_text(
        json.dumps({"id": "p", "text": LINES[3], "shard": "corpus-000.txt.gz"}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    cfg = {"encoder": {"num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64,
                       "max_position_embeddings": 64},
           "vocab": str(SHARED_VOCAB), "lexicon": None, "feature_inject": "input", "datasets_dir": str(datasets),
           "public": [{"name": "toy", "train": "train", "dev": "dev", "test": "test"}],
           "silver": {"cache": str(cache), "corpus": str(corpus), "articles": str(tmp_path / "articles"),
                      "max_lines": 10},
           "temperature": 2.0, "max_length": 32, "batch_size": 4, "lr": 1e-3, "warmup_ratio": 0.0,
           "weight_decay": 0.0, "max_steps": 6, "time_budget_minutes": None, "eval_every": 3,
           "save_every_minutes": 0.0, "seed": 3, "device": "cpu", "output_dir": str(out), "head": "toy"}
    cfg.update(overrides)
    check(cfg, SCHEMA)
    return cfg


def test_multitask_stage_trains_saves_and_resumes_exactly(tmp_path, monkeypatch):
    straight = train_multitask(config(tmp_path, tmp_path / "straight"))
    assert set(straight["tasks"]) == {"toy", "lac_pos", "lac_ner"}
    assert 0.0 <= straight["tasks"]["toy"]["test"]["micro_f1"] <= 1.0
    model = load_model(tmp_path / "straight" / "model")
    assert model.config.ner_labels == ["LOC", "PER"]  # the head saved with the encoder is the `head` task's
    card = (tmp_path / "straight" / "model" / "ENCODER.md").read_text(encoding="utf-8")
    assert "| toy | 2 | 12 |" in card and "sample of 10 corpus lines" in card and "Baidu LAC (Apache-2.0)" in card
    from zhaoshang_ner import multitask

    calls, original = [], multitask.MultiTaskModel.loss

    def killed_at_step_four(self, task, batch):
        calls.append(task)
        if len(calls) == 4:
            raise KeyboardInterrupt  # a kill after the checkpoint of step 3
        return original(self, task, batch)

    monkeypatch.setattr(multitask.MultiTaskModel, "loss", killed_at_step_four)
    with pytest.raises(KeyboardInterrupt):
        train_multitask(config(tmp_path, tmp_path / "split"))
    monkeypatch.setattr(multitask.MultiTaskModel, "loss", original)
    train_multitask(config(tmp_path, tmp_path / "split"), resume=True)
    resumed = load_model(tmp_path / "split" / "model")
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
