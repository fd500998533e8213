"""Encoders: load a local pretrained BERT directory, or initialise one from scratch from a size spec."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import BertConfig, PreTrainedTokenizerFast

from zhaoshang_ner.tokenization import load_tokenizer

ARCHITECTURE_KEYS = (
    "num_hidden_layers",
    "hidden_size",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
)


def scratch_config(spec: dict, tokenizer: PreTrainedTokenizerFast) -> BertConfig:
    """A `BertConfig` for a randomly initialised encoder: `spec` holds the size keys, the vocab comes from the tokenizer."""
    unknown = set(spec) - set(ARCHITECTURE_KEYS) - {"hidden_dropout_prob", "attention_probs_dropout_prob"}
    if unknown:
        raise KeyError(f"unknown encoder size keys: {sorted(unknown)}")
    return BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **spec)


def resolve_device(device: str = "auto") -> torch.device:
    """`auto` picks CUDA when present, else CPU; an explicit `cuda` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but no CUDA GPU is available")
    return torch.device(device)


def encoder_source(encoder: str | dict) -> tuple[str | None, dict | None]:
    """Split an `encoder` config entry into (pretrained path or hub name, scratch size spec)."""
    if isinstance(encoder, dict):
        return None, encoder
    return encoder, None


def load_encoder_tokenizer(encoder: str | dict, vocab: str | Path | None) -> PreTrainedTokenizerFast:
    """The tokenizer of a pretrained directory, or of the shared vocab for a scratch encoder."""
    path, _ = encoder_source(encoder)
    if path is not None and Path(path).exists():
        return load_tokenizer(path)
    if path is not None and vocab is None:
        # A hub name, for users with model-hub access.
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path)
    if vocab is None:
        raise ValueError("a scratch encoder needs `vocab` (path to a BERT vocab.txt)")
    return load_tokenizer(vocab)
