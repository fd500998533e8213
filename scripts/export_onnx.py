#!/usr/bin/env python
"""Export a model directory to ONNX Runtime graphs (fp32 and dynamic int8) for `Predictor(backend=...)`.

    python scripts/export_onnx.py --model models/zhaoshang-ner-small [--check FILE.jsonl ...]

Writes `model.onnx` and `model.int8.onnx` beside the safetensors weights, then checks them against the
PyTorch model on real documents (the gold set by default): the largest logit difference of each
graph and whether the predicted spans are identical. Exit 1 when the fp32 graph differs by more than
`backends.ONNX_TOLERANCE` or its spans differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from zhaoshang_ner.backends import INT8_TOLERANCE, ONNX_FILES, ONNX_TOLERANCE, export_onnx, quantize_onnx
from zhaoshang_ner.documents import read_gold
from zhaoshang_ner.modeling import load_model
from zhaoshang_ner.predictor import Predictor, spans_of


def compare(model_dir: Path, texts: list[str]) -> dict[str, dict]:
    """Per ONNX backend: max |logit| difference from torch over all windows, and spans identical or not."""
    reference = Predictor.from_pretrained(model_dir, device="cpu", batch_size=16, backend="torch")
    windows: list[np.ndarray] = []
    original = reference.forward
    reference.forward = lambda batch: windows.append(original(batch)) or windows[-1]
    expected = [spans_of(e) for e in reference.predict_many(texts)]
    report = {}
    for backend in ONNX_FILES:
        other = Predictor.from_pretrained(model_dir, device="cpu", batch_size=16, backend=backend)
        got: list[np.ndarray] = []
        forward = other.forward
        other.forward = lambda batch: got.append(forward(batch)) or got[-1]
        spans = [spans_of(e) for e in other.predict_many(texts)]
        diff = max(float(np.abs(np.log(a + 1e-12) - np.log(b + 1e-12)).max()) for a, b in zip(windows, got))
        report[backend] = {"max_log_prob_diff": diff, "same_spans": spans == expected,
                           "span_differences": sum(a != b for a, b in zip(spans, expected))}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, metavar="DIR")
    parser.add_argument("--check", nargs="*", default=["annotations/gold.jsonl"], metavar="FILE",
                        help="annotation files whose texts the graphs are checked on (none: skip the check)")
    parser.add_argument("--articles", default=None)
    args = parser.parse_args(argv)
    model_dir = Path(args.model)
    model = load_model(model_dir)
    fp32, int8 = model_dir / ONNX_FILES["onnx"], model_dir / ONNX_FILES["onnx-int8"]
    export_onnx(model, fp32, model.config.num_features)
    quantize_onnx(fp32, int8)
    print(f"wrote {fp32} ({fp32.stat().st_size / 1e6:.1f} MB) and {int8} ({int8.stat().st_size / 1e6:.1f} MB)")
    if not args.check:
        return 0
    texts = [doc.text for doc in read_gold(args.check, args.articles)]
    report = compare(model_dir, texts)
    for backend, result in report.items():
        print(f"{backend}: max log-probability difference {result['max_log_prob_diff']:.2e}, "
              f"documents with other spans {result['span_differences']} of {len(texts)}")
    ok = report["onnx"]["max_log_prob_diff"] <= ONNX_TOLERANCE and report["onnx"]["same_spans"]
    if report["onnx-int8"]["max_log_prob_diff"] > INT8_TOLERANCE:
        print(f"note: int8 differs by more than {INT8_TOLERANCE} somewhere", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
