"""The project's model: a BERT encoder, optional lexicon feature embeddings and a token classifier, with
every fact prediction needs (labels, windows, rule and decoding policy, lexicon) in its config.

`ZhaoshangNerConfig` is a `BertConfig` with those facts; `ZhaoshangNerModel` is a `BertPreTrainedModel`
whose weights are named like `BertForTokenClassification`'s (`bert.*`, `classifier.*`) plus
`feature_projection.*` when lexicon features are on. `save_model` / `load_model` are the one save and
load path (training, best-epoch reload, `Predictor`, cross-validation, evaluation, benchmarks); the
lexicon travels inside the model directory. Importing this module registers the model type with the
`transformers` Auto classes, so `pipeline("token-classification", model=DIR)` works after
`import zhaoshang_ner.modeling` (lexicon features are then computed from the token ids).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from huggingface_hub.dataclasses import strict
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForTokenClassification,
    BertConfig,
    BertModel,
    PreTrainedModel,
    PreTrainedTokenizerFast,
)
from transformers.modeling_outputs import TokenClassifierOutput
from transformers.models.bert.modeling_bert import BertPreTrainedModel

from zhaoshang_ner.config import Section
from zhaoshang_ner.labels import bio_tags
from zhaoshang_ner.lexicon import Lexicon
from zhaoshang_ner.tokenization import load_tokenizer

MODEL_TYPE = "zhaoshang-ner"
LEXICON_DIR = "lexicon"
ARCHITECTURE_KEYS = (
    "num_hidden_layers",
    "hidden_size",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
)
ENCODER_SIZE = Section({**{k: int for k in ARCHITECTURE_KEYS},
                        "hidden_dropout_prob": float, "attention_probs_dropout_prob": float})
FEATURE_INJECT = ("input", "output")


@strict(accept_kwargs=True)
class ZhaoshangNerConfig(BertConfig):
    """BERT's config plus what prediction needs, saved with the weights (one source of truth).

    - `ner_labels`: the entity labels; the BIO tags (`id2label`) derive from them.
    - `window_max_length` / `window_stride`: tokens per window ([CLS]/[SEP] included) and overlap.
    - `rule_labels`: labels taken from `zhaoshang_ner.rules` instead of the model.
    - `lexicon_categories`: the lexicon's categories (None: no lexicon features); `feature_inject`
      adds their embedding to the encoder's `input` embeddings or to its `output` states.
    - `doc_consistency` / `region_roles`: the document-level decoding steps of `zhaoshang_ner.context`.
    - `merge_pairs`: `[label, next label]` pairs whose touching spans are joined (`context.merge_touching`);
      training fills it from its documents by the config's `merge_touching` policy.
    - `snap_heads`: label → head words a span of that label is extended to the end of when it cuts or
      touches one (`context.snap_heads`); learnt from the training documents by the `snap_heads` policy.
    """

    model_type = MODEL_TYPE

    ner_labels: list[str] | None = None
    window_max_length: int = 256
    window_stride: int = 32
    rule_labels: list[str] | None = None
    lexicon_categories: list[str] | None = None
    feature_inject: str = "input"
    doc_consistency: bool = False
    region_roles: bool = False
    merge_pairs: list[list[str]] | None = None
    snap_heads: dict[str, list[str]] | None = None

    def __post_init__(self, **kwargs):
        if self.ner_labels:
            tags = bio_tags(tuple(self.ner_labels))
            self.id2label = dict(enumerate(tags))
            self.label2id = {tag: i for i, tag in enumerate(tags)}
        super().__post_init__(**kwargs)
        if not self.ner_labels and self.id2label and all("-" in t or t == "O" for t in self.id2label.values()):
            # A plain BERT token classifier's config: read the labels off its BIO tags.
            tags = [self.id2label[i] for i in range(len(self.id2label))]
            self.ner_labels = [t[2:] for t in tags if t.startswith("B-")]
        if self.rule_labels is None:
            self.rule_labels = []
        if self.feature_inject not in FEATURE_INJECT:
            raise ValueError(f"feature_inject must be one of {FEATURE_INJECT}, got {self.feature_inject!r}")
        if self.window_stride >= self.window_max_length // 2 or self.window_max_length < 8:
            raise ValueError(f"window_stride {self.window_stride} must be below half of window_max_length "
                             f"{self.window_max_length} (at least 8)")

    @property
    def tags(self) -> list[str]:
        return [self.id2label[i] for i in range(len(self.id2label))]

    @property
    def num_features(self) -> int:
        return 4 * len(self.lexicon_categories or [])


class ZhaoshangNerModel(BertPreTrainedModel):
    """BERT + lexicon feature embedding + token classifier; `forward` takes `lexicon_features`
    `(batch, tokens, 4 * categories)` when the config has a lexicon."""

    config_class = ZhaoshangNerConfig

    def __init__(self, config: ZhaoshangNerConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        dropout = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(dropout)
        self.feature_projection = (nn.Linear(config.num_features, config.hidden_size, bias=False)
                                   if config.num_features else None)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.lexicon: Lexicon | None = None  # set by load_model / build_model; not a weight
        self.vocabulary: list[str] | None = None  # token strings, to compute features from ids (pipelines)
        self.post_init()

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs) -> "ZhaoshangNerModel":
        """`PreTrainedModel.from_pretrained`, then the lexicon of the directory (so Auto classes and
        pipelines get it too)."""
        model = super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        path = Path(pretrained_model_name_or_path)
        if model.config.lexicon_categories and (path / LEXICON_DIR).is_dir():
            attach_lexicon(model, Lexicon.load(path / LEXICON_DIR), load_tokenizer(path))
        return model

    def encode(self, input_ids, attention_mask=None, token_type_ids=None, lexicon_features=None) -> torch.Tensor:
        """The encoder's output states with the lexicon embedding added where the config says (shared by
        the token classifier and the heads of the multi-task stage)."""
        inputs_embeds = None
        added = None
        if self.feature_projection is not None:
            if lexicon_features is None:
                lexicon_features = self.features_from_ids(input_ids)
            added = self.feature_projection(lexicon_features.float())
            if self.config.feature_inject == "input":
                inputs_embeds = self.bert.embeddings.word_embeddings(input_ids) + added
        outputs = self.bert(input_ids=None if inputs_embeds is not None else input_ids, inputs_embeds=inputs_embeds,
                            attention_mask=attention_mask, token_type_ids=token_type_ids)
        states = outputs.last_hidden_state
        if added is not None and self.config.feature_inject == "output":
            states = states + added
        return states

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, lexicon_features=None,
                labels=None, **kwargs) -> TokenClassifierOutput:
        states = self.encode(input_ids, attention_mask, token_type_ids, lexicon_features)
        logits = self.classifier(self.dropout(states))
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1), ignore_index=-100)
        return TokenClassifierOutput(loss=loss, logits=logits)

    def features_from_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Lexicon features for token ids alone (a `transformers` pipeline gives no text): each row's
        tokens are joined back into text ([UNK] and special tokens become a blank) and matched."""
        if self.lexicon is None or self.vocabulary is None:
            raise ValueError("this model needs lexicon features: load it with zhaoshang_ner.modeling.load_model "
                             "(or pass `lexicon_features`)")
        rows = []
        for ids in input_ids.tolist():
            pieces = [_piece(self.vocabulary[i]) for i in ids]
            starts = np.cumsum([0, *map(len, pieces)])[:-1]
            chars = self.lexicon.char_features("".join(pieces))
            rows.append(np.stack([chars[s : s + len(p)].max(0) if p else np.zeros(chars.shape[1], np.float32)
                                  for s, p in zip(starts, pieces)]))
        return torch.from_numpy(np.stack(rows)).to(input_ids.device)


def _piece(token: str) -> str:
    """The text a WordPiece token stands for; special tokens and [UNK] stand for a blank."""
    if token.startswith("[") and token.endswith("]"):
        return " "
    return token[2:] if token.startswith("##") else token


AutoConfig.register(MODEL_TYPE, ZhaoshangNerConfig)
AutoModelForTokenClassification.register(ZhaoshangNerConfig, ZhaoshangNerModel)


def quiet_transformers() -> None:
    """No "Loading weights" bars or load reports on every command: our loads are checked by us."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger("transformers").setLevel(logging.ERROR)


def load_model(path: str | Path, dtype: torch.dtype = torch.float32) -> ZhaoshangNerModel:
    """The one load path: config, safetensors weights (never pickle) and the lexicon of a model directory."""
    path = Path(path)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path}: no config.json; is this a model directory?")
    if not any(path.glob("*.safetensors")):
        raise FileNotFoundError(f"{path}: no .safetensors weights (pickled weights are not loaded)")
    quiet_transformers()
    config = ZhaoshangNerConfig.from_pretrained(path)
    model = ZhaoshangNerModel.from_pretrained(path, config=config, dtype=dtype, use_safetensors=True)
    if config.lexicon_categories and model.lexicon is None:
        raise FileNotFoundError(f"{path}: the model uses lexicon features but has no {LEXICON_DIR}/ folder")
    return model.eval()


def attach_lexicon(model: ZhaoshangNerModel, lexicon: Lexicon, tokenizer: PreTrainedTokenizerFast) -> None:
    """Give the model its lexicon (checked against the config's categories) and the token strings it needs
    to compute features from token ids alone."""
    if list(lexicon.categories) != list(model.config.lexicon_categories or []):
        raise ValueError(f"lexicon categories {list(lexicon.categories)} are not the model's "
                         f"{model.config.lexicon_categories}")
    model.lexicon = lexicon
    model.vocabulary = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])]


def save_model(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, directory: str | Path) -> None:
    """`save_pretrained` (safetensors) with the tokenizer, `vocab.txt` and the lexicon, swapped in whole."""
    from zhaoshang_ner.documents import write_text_atomic

    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if not (tmp / "vocab.txt").exists():
        vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
        write_text_atomic(tmp / "vocab.txt", "".join(token + "\n" for token, _ in vocab))
    if getattr(model, "lexicon", None) is not None:
        model.lexicon.save(tmp / LEXICON_DIR)
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)


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


def build_model(encoder: str | dict, tokenizer: PreTrainedTokenizerFast, labels: Sequence[str], *,
                max_length: int, stride: int, rule_labels: Sequence[str], lexicon: Lexicon | None = None,
                feature_inject: str = "input") -> ZhaoshangNerModel:
    """A fresh model for `labels` on a pretrained encoder directory (BERT, or an earlier stage's model:
    classifier rows of the tags it shares are kept, the rest start fresh) or a scratch size spec."""
    quiet_transformers()
    path, spec = encoder_source(encoder)
    base = scratch_config(spec, tokenizer).to_dict() if spec is not None else BertConfig.from_pretrained(path).to_dict()
    for key in ("model_type", "architectures", "id2label", "label2id", "ner_labels", "lexicon_categories",
                "rule_labels", "window_max_length", "window_stride", "feature_inject", "doc_consistency",
                "region_roles", "merge_pairs", "snap_heads", "transformers_version", "num_labels"):
        base.pop(key, None)
    config = ZhaoshangNerConfig(**base, ner_labels=list(labels), window_max_length=max_length, window_stride=stride,
                                rule_labels=list(rule_labels),
                                lexicon_categories=list(lexicon.categories) if lexicon else None,
                                feature_inject=feature_inject)
    if spec is not None:
        model = ZhaoshangNerModel(config)
    else:
        model = ZhaoshangNerModel.from_pretrained(path, config=config, ignore_mismatched_sizes=True,
                                                  dtype=torch.float32)
        _keep_shared_classifier_rows(model, Path(path))
    if lexicon is not None:
        attach_lexicon(model, lexicon, tokenizer)
    return model


def _keep_shared_classifier_rows(model: ZhaoshangNerModel, path: Path) -> None:
    """When the encoder directory is itself a token classifier, copy its rows for the tags both share."""
    import json

    from safetensors import safe_open

    config = json.loads((path / "config.json").read_text(encoding="utf-8")) if (path / "config.json").exists() else {}
    source_tags = {tag: int(i) for i, tag in (config.get("id2label") or {}).items()}
    if not source_tags or not any(a.endswith(("ForTokenClassification", "NerModel"))
                                  for a in config.get("architectures") or []):
        return
    found: dict[str, torch.Tensor] = {}
    for file in sorted(path.glob("*.safetensors")):
        with safe_open(file, framework="pt") as handle:
            for key in ("classifier.weight", "classifier.bias"):
                if key in handle.keys():
                    found[key] = handle.get_tensor(key).float()
    if len(found) != 2:
        raise ValueError(f"{path}: config says token classifier, but no classifier.weight/bias in its safetensors")
    with torch.no_grad():
        for tag, i in model.config.label2id.items():
            if tag in source_tags:
                model.classifier.weight[i] = found["classifier.weight"][source_tags[tag]]
                model.classifier.bias[i] = found["classifier.bias"][source_tags[tag]]
            else:  # fresh: with as many tags as the source, `from_pretrained` loaded its rows whole
                model.classifier.weight[i].normal_(0.0, model.config.initializer_range)
                model.classifier.bias[i] = 0.0
