"""Inference backends for the model forward pass: PyTorch (fp32; bf16/fp16 on CUDA), PyTorch dynamic int8,
and ONNX Runtime fp32/int8 graphs exported by `scripts/export_onnx.py` into the model directory.

Every backend maps a collated batch (`input_ids`, `attention_mask`, optional `lexicon_features`) to
the tag probabilities as a float32 NumPy array, so everything after the forward pass is shared.
`scripts/export_onnx.py` checks each graph against the PyTorch model on the gold set: the fp32 graph
gives identical spans (log-probabilities within `ONNX_TOLERANCE`); int8 rounds weights, so some spans
move (`scripts/export_onnx.py` counts the documents) and the cross-validated F1 change is what is
reported (`scripts/cross_validate.py --backends`: -0.1 points, reports/ablation.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # torch is imported where it runs, so the command line starts fast
    import torch

BACKENDS = ("torch", "torch-int8", "onnx", "onnx-int8")
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}
BACKEND_CHOICES = ("auto", *BACKENDS)  # what the command line accepts: `auto` is resolved by resolve_backend
ONNX_TOLERANCE = 1e-3  # max |log-probability difference| of the fp32 graph: fp32 reordering (1.4e-4 on the shipped model)
INT8_TOLERANCE = 1.0  # int8 rounds weights: what counts is the cross-validated F1 change (reports/ablation.md)

Forward = Callable[[dict[str, "torch.Tensor"]], np.ndarray]


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(-1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(-1, keepdims=True)


def resolve_backend(name: str, model_dir: str | Path | None, device: torch.device) -> str:
    """`auto` is the int8 ONNX graph on a CPU when the model directory ships one and onnxruntime is installed
    (cross-validated F1 -0.1 at 1.6 times the speed on 2 cores: reports/bench-predict.md), else torch."""
    if name != "auto":
        return name
    graph = Path(model_dir) / ONNX_FILES["onnx-int8"] if model_dir is not None else None
    if device.type == "cpu" and graph is not None and graph.exists() and importlib.util.find_spec("onnxruntime"):
        return "onnx-int8"
    return "torch"


def make_backend(name: str, model, model_dir: str | Path | None, device: torch.device, threads: int | None = None) -> Forward:
    """The forward function of backend `name` (see `resolve_backend` for `auto`) for `model`, loaded from
    `model_dir` for ONNX graphs; `threads` caps ONNX Runtime's threads like `torch.set_num_threads`."""
    import torch

    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r} (one of {', '.join(BACKEND_CHOICES)})")
    if name.startswith("onnx"):
        return _onnx_backend(Path(model_dir) / ONNX_FILES[name] if model_dir else None, threads)
    if name == "torch-int8":
        if device.type != "cpu":
            raise ValueError("torch-int8 runs on the CPU only")
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    autocast = None
    if device.type == "cuda":  # bf16 on GPUs that have it, fp16 on older ones; CPU stays fp32
        autocast = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16

    def forward(batch: dict[str, torch.Tensor]) -> np.ndarray:
        batch = {key: value.to(device) for key, value in batch.items()}
        with torch.inference_mode(), torch.autocast(device.type, dtype=autocast or torch.float32,
                                                    enabled=autocast is not None):
            logits = model(**batch).logits
        return logits.float().softmax(-1).cpu().numpy()

    return forward


def _onnx_backend(path: Path | None, threads: int | None) -> Forward:
    if path is None or not path.exists():
        raise FileNotFoundError(f"no ONNX graph at {path}: run `python scripts/export_onnx.py --model DIR` first")
    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError("the ONNX backends need onnxruntime: pip install onnxruntime") from None
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}

    def forward(batch: dict[str, torch.Tensor]) -> np.ndarray:
        feed = {key: value.numpy() for key, value in batch.items() if key in names}
        return _softmax(session.run(None, feed)[0])

    return forward


def export_onnx(model, path: str | Path, features: int) -> None:
    """Export `model` (eval mode) to an ONNX graph with dynamic batch and sequence axes."""
    import torch

    class Logits(torch.nn.Module):
        """The model as a function of positional tensors, as `torch.onnx.export` calls it."""

        def __init__(self):
            super().__init__()
            self.model = model.eval()

        def forward(self, input_ids, attention_mask, lexicon_features=None):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              lexicon_features=lexicon_features).logits

    wrapper = Logits().eval()
    ids = torch.randint(1000, 2000, (2, 16))
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0  # a padded row, so the traced graph keeps the attention mask
    args = (ids, mask, torch.zeros(2, 16, features)) if features else (ids, mask)
    names = ["input_ids", "attention_mask", "lexicon_features"][: len(args)]
    torch.onnx.export(wrapper, args, str(path), input_names=names, output_names=["logits"],
                      dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "logits"]},
                      opset_version=17, dynamo=False)


def quantize_onnx(source: str | Path, target: str | Path) -> None:
    """Dynamic int8 quantisation of an ONNX graph's weights (activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
