"""Inference backends: the ONNX graphs and torch int8 give the spans of the PyTorch model on real text."""

import json

import numpy as np
import pytest

from zhaoshang_ner.backends import BACKENDS, ONNX_FILES, ONNX_TOLERANCE, export_onnx, quantize_onnx
from zhaoshang_ner.modeling import load_model
from zhaoshang_ner.predictor import Predictor, spans_of

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def onnx_model_dir(tiny_model_dir, tmp_path_factory):
    """A copy of the tiny model directory with its ONNX graphs."""
    import shutil

    target = tmp_path_factory.mktemp("onnx") / "model"
    shutil.copytree(tiny_model_dir, target)
    model = load_model(target)
    export_onnx(model, target / ONNX_FILES["onnx"], model.config.num_features)
    quantize_onnx(target / ONNX_FILES["onnx"], target / ONNX_FILES["onnx-int8"])
    return target


def probabilities(predictor: Predictor, texts: list[str]) -> list[np.ndarray]:
    seen = []
    forward = predictor.forward
    predictor.forward = lambda batch: seen.append(forward(batch)) or seen[-1]
    predictor.predict_many(texts)
    return seen


def test_fp32_graph_gives_the_torch_spans(onnx_model_dir, gold_documents):
    texts = [doc.text[:1500] for doc in gold_documents[:4]]
    reference = Predictor.from_pretrained(onnx_model_dir, device="cpu", backend="torch")
    other = Predictor.from_pretrained(onnx_model_dir, device="cpu", backend="onnx")
    assert [spans_of(e) for e in other.predict_many(texts)] == [spans_of(e) for e in reference.predict_many(texts)]


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b.endswith("int8")])
def test_int8_backends_stay_close_to_torch(onnx_model_dir, gold_documents, backend):
    """A tiny random model's tag probabilities are near ties, so int8 rounding may flip spans here; its
    probabilities must still be close (span parity on a real model: scripts/export_onnx.py --check)."""
    texts = [doc.text[:800] for doc in gold_documents[:3]]
    reference = probabilities(Predictor.from_pretrained(onnx_model_dir, device="cpu", backend="torch"), texts)
    quantised = probabilities(Predictor.from_pretrained(onnx_model_dir, device="cpu", backend=backend), texts)
    assert max(np.abs(a - b).max() for a, b in zip(reference, quantised)) < 0.05


def test_fp32_graph_matches_torch_logits(onnx_model_dir, gold_documents):
    texts = [doc.text[:800] for doc in gold_documents[:3]]
    torch_probs = probabilities(Predictor.from_pretrained(onnx_model_dir, device="cpu", backend="torch"), texts)
    onnx_probs = probabilities(Predictor.from_pretrained(onnx_model_dir, device="cpu", backend="onnx"), texts)
    diff = max(np.abs(np.log(a) - np.log(b)).max() for a, b in zip(torch_probs, onnx_probs))
    assert diff <= ONNX_TOLERANCE


def test_missing_graph_and_unknown_backend_are_clear_errors(tiny_model_dir):
    with pytest.raises(FileNotFoundError, match="scripts/export_onnx.py"):
        Predictor.from_pretrained(tiny_model_dir, device="cpu", backend="onnx")
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        Predictor.from_pretrained(tiny_model_dir, device="cpu", backend="tpu")


def test_auto_takes_the_int8_graph_on_a_cpu_where_the_model_ships_one(onnx_model_dir, tiny_model_dir):
    import torch

    from zhaoshang_ner.backends import resolve_backend

    assert Predictor.from_pretrained(onnx_model_dir, device="cpu").backend == "onnx-int8"
    assert Predictor.from_pretrained(tiny_model_dir, device="cpu").backend == "torch"  # no graph: torch
    assert resolve_backend("auto", onnx_model_dir, torch.device("cuda")) == "torch"  # GPUs run torch
    assert resolve_backend("auto", None, torch.device("cpu")) == "torch"  # a model in memory
    assert resolve_backend("onnx", tiny_model_dir, torch.device("cpu")) == "onnx"  # asked for: no fallback


def test_predict_command_takes_a_backend(onnx_model_dir, tmp_path):
    from zhaoshang_ner.batch import main

    article = tmp_path / "a.txt"
    article.write_text("临沂市兰山区与深圳华润集团签约，总投资130亿元。" * 20, encoding="utf-8")
    records = {}
    for backend in ("torch", "onnx", "auto"):
        out = tmp_path / f"{backend}.jsonl"
        assert main([str(article), "--model", str(onnx_model_dir), "--output", str(out), "--backend", backend]) == 0
        records[backend] = [(e["start"], e["end"], e["label"]) for e in json.loads(out.read_text())["entities"]]
    assert records["onnx"] == records["torch"]
    with pytest.raises(SystemExit) as stop:  # argparse: usage error
        main([str(article), "--model", str(onnx_model_dir), "--output", str(tmp_path / "x.jsonl"), "--backend", "tpu"])
    assert stop.value.code == 2 and not (tmp_path / "x.jsonl").exists()
