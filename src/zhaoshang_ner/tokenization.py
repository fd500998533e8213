"""Loading a Chinese BERT WordPiece tokenizer safely.

transformers 5 builds an *empty* vocabulary from `BertTokenizerFast(vocab_file=...)`, turning every
character into `[UNK]` without a warning. We therefore always go through `from_pretrained(<dir>)`
and check that a Chinese probe sentence tokenizes without `[UNK]`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from transformers import AutoTokenizer, PreTrainedTokenizerFast

PROBE = "临沂市招商引资签约130亿元新能源项目"


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a fast tokenizer from a model directory or from a bare `vocab.txt`-style file."""
    path = Path(path)
    if path.is_file():
        # from_pretrained wants a directory holding `vocab.txt`; give it one.
        directory = Path(tempfile.mkdtemp(prefix="zhaoshang-vocab-"))
        shutil.copyfile(path, directory / "vocab.txt")
        tokenizer = AutoTokenizer.from_pretrained(str(directory), tokenizer_type="bert")
    elif path.is_dir():
        if not (path / "vocab.txt").exists() and not (path / "tokenizer.json").exists():
            raise FileNotFoundError(f"{path} holds neither vocab.txt nor tokenizer.json")
        kwargs = {} if (path / "tokenizer_config.json").exists() else {"tokenizer_type": "bert"}
        tokenizer = AutoTokenizer.from_pretrained(str(path), **kwargs)
    else:
        raise FileNotFoundError(f"no tokenizer at {path}")
    if not tokenizer.is_fast:
        raise TypeError(f"{path}: a fast tokenizer is needed for character offsets")
    check_tokenizer(tokenizer)
    return tokenizer


def check_tokenizer(tokenizer: PreTrainedTokenizerFast) -> None:
    """Fail loudly when the vocabulary is empty or wrong (every Han character becoming `[UNK]`)."""
    ids = tokenizer(PROBE, add_special_tokens=False)["input_ids"]
    if tokenizer.unk_token_id in ids:
        raise ValueError(
            f"tokenizer maps Chinese text to {tokenizer.unk_token}: its vocabulary is empty or not Chinese "
            f"(vocab size {tokenizer.vocab_size})"
        )
