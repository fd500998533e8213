"""Fine-tuning: determinism, resume after an interruption, saved model format; MLM pretraining smoke run."""

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zhaoshang_ner.config import load_config
from zhaoshang_ner.documents import Document, read_documents
import torch

from zhaoshang_ner.modeling import save_model
from zhaoshang_ner.training import fit, new_model

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def tiny_cfg(**overrides):
    cfg = load_config(ROOT / "configs" / "tiny.yaml")
    cfg.update(vocab=str(ROOT / "models" / "zh-news-encoder-small" / "vocab.txt"), epochs=3, device="cpu")
    cfg.update(overrides)
    return cfg


def docs():
    gold = read_documents(ROOT / "annotations" / "gold.jsonl")
    return [Document(d.id, d.text[:400], [s for s in d.entities if s.end <= 400]) for d in gold[:3]]


def test_same_seed_same_history():
    first = fit(tiny_cfg(), docs(), desc="a").history
    second = fit(tiny_cfg(), docs(), desc="b").history
    assert [h["train_loss"] for h in first] == [h["train_loss"] for h in second]
    assert first[-1]["train_loss"] < first[0]["train_loss"]


class Interrupt(Exception):
    pass


def test_resume_continues_an_interrupted_run(tmp_path):
    calls = []

    def evaluate_then_die(model, tokenizer):
        calls.append(1)
        if len(calls) == 2:
            raise Interrupt  # dies during epoch 2, after epoch 1 was checkpointed
        return {"micro": {"f1": 0.0}}

    with pytest.raises(Interrupt):
        fit(tiny_cfg(), docs(), tmp_path / "run", evaluate=evaluate_then_die)
    assert json.loads((tmp_path / "run" / "checkpoint" / "training_state.json").read_text())["progress"]["epoch"] == 1
    resumed = fit(tiny_cfg(), docs(), tmp_path / "run", resume=True, evaluate=lambda m, t: {"micro": {"f1": 0.0}})
    straight = fit(tiny_cfg(), docs(), tmp_path / "straight", evaluate=lambda m, t: {"micro": {"f1": 0.0}})
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    assert resumed.history[-1]["train_loss"] == pytest.approx(straight.history[-1]["train_loss"], rel=1e-6)
    model_dir = tmp_path / "run" / "model"
    assert (model_dir / "model.safetensors").exists() and (model_dir / "vocab.txt").exists()
    assert not list(model_dir.glob("*.bin"))
    config = json.loads((model_dir / "config.json").read_text())
    assert config["id2label"]["1"] == "B-PROJECT" and config["window_max_length"] == 64


def test_train_script_end_to_end(tmp_path):
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps(d.to_json(), ensure_ascii=False) + "\n" for d in docs()), encoding="utf-8")
    out = tmp_path / "run"
    cmd = [sys.executable, str(ROOT / "scripts" / "train.py"), "--config", str(ROOT / "configs" / "tiny.yaml"),
           "--set", f"train_file={train}", "--set", f"eval_file={train}", "--set", f"output_dir={out}",
           "--set", f"vocab={ROOT / 'models' / 'zh-news-encoder-small' / 'vocab.txt'}", "--set", "epochs=1"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "model" / "model.safetensors").exists()
    assert "micro" in json.loads((out / "metrics.jsonl").read_text().splitlines()[0])["eval"]
    bad = subprocess.run(cmd[:2] + ["--config", str(ROOT / "configs" / "tiny.yaml"), "--set", "nosuchkey=1"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "unknown key" in bad.stderr and "Traceback" not in bad.stderr


def run_pretrain(tmp_path, lines, extra=()):
    corpus = tmp_path / "corpus.txt.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    cmd = [sys.executable, str(ROOT / "scripts" / "pretrain_encoder.py"), "--config",
           str(ROOT / "configs" / "encoder-tiny.yaml"), "--set", f"corpus={corpus}",
           "--set", f"vocab={ROOT / 'models' / 'zh-news-encoder-small' / 'vocab.txt'}",
           "--set", f"output_dir={tmp_path / 'enc'}", "--set", "device=cpu", "--workers", "1", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


CORPUS = [f"第{i}条：国务院常务会议部署推进制造业高质量发展，支持新能源汽车和集成电路产业加快发展。" for i in range(300)]


@pytest.mark.skipif(not (SHARED / "articles").is_dir(), reason="../shared/articles is not beside the checkout")
def test_pretraining_smoke_run_and_resume(tmp_path):
    done = run_pretrain(tmp_path, CORPUS)
    assert done.returncode == 0, done.stderr[-2000:]
    encoder = tmp_path / "enc" / "encoder"
    assert (encoder / "ENCODER.md").exists() and list(encoder.glob("*.safetensors"))
    assert (encoder / "vocab.txt").read_text(encoding="utf-8").split("\n")[:2] == ["[PAD]", "[unused1]"]
    metrics = [json.loads(l) for l in (tmp_path / "enc" / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["heldout_loss"] < metrics[0]["heldout_loss"]
    resumed = run_pretrain(tmp_path, CORPUS, ["--resume"])
    assert resumed.returncode == 0 and "resumed at step" in resumed.stdout


@pytest.mark.skipif(not (SHARED / "articles").is_dir(), reason="../shared/articles is not beside the checkout")
def test_continued_pretraining_keeps_the_source_size_and_licence(tmp_path):
    from transformers import BertConfig, BertModel

    source = tmp_path / "source"
    BertModel(BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(source)
    shutil.copy(ROOT / "models" / "zh-news-encoder-small" / "vocab.txt", source / "vocab.txt")
    (source / "ENCODER.md").write_text("| licence | Example-1.0 |\n", encoding="utf-8")
    done = run_pretrain(tmp_path, CORPUS, ["--set", f"init_from={source}"])
    assert done.returncode == 0, done.stderr[-2000:]
    encoder = tmp_path / "enc" / "encoder"
    config = json.loads((encoder / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"]) == (32, 1)
    card = (encoder / "ENCODER.md").read_text(encoding="utf-8")
    assert "1 layers, hidden 32" in card and "Example-1.0" in card and str(source) in card


@pytest.mark.skipif(not (SHARED / "articles").is_dir(), reason="../shared/articles is not beside the checkout")
def test_pretraining_refuses_a_corpus_that_overlaps_evaluation_articles(tmp_path):
    article = next((SHARED / "articles" / "seed").glob("*.txt")).read_text(encoding="utf-8")
    done = run_pretrain(tmp_path, CORPUS + ["前言" + article[100:160]])
    assert done.returncode != 0 and "overlaps evaluation articles" in done.stderr


def test_build_model_keeps_classifier_rows_of_shared_tags(tmp_path):
    """An auxiliary-stage model hands its classifier rows for shared tags to the next stage."""
    aux = fit(tiny_cfg(epochs=1), docs(), labels=["HOST_REGION", "AMOUNT"])
    source = aux.model
    save_model(source, aux.tokenizer, tmp_path / "aux")
    target = new_model(tiny_cfg(), str(tmp_path / "aux"), ["HOST_REGION", "PERSON"], aux.tokenizer)
    for tag in ("O", "B-HOST_REGION", "I-HOST_REGION"):
        old, new = source.config.label2id[tag], target.config.label2id[tag]
        assert torch.equal(target.classifier.weight[new], source.classifier.weight[old])
        assert torch.equal(target.classifier.bias[new], source.classifier.bias[old])
    new = target.config.label2id["B-PERSON"]
    assert not any(torch.equal(target.classifier.weight[new], row) for row in source.classifier.weight)
