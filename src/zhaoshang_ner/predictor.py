"""Prediction: text → windows → model → token tags → character spans → entities with values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import torch
from transformers import AutoModelForTokenClassification

from zhaoshang_ner.baseline import rule_spans
from zhaoshang_ner.alignment import TokenizedText, token_tags_to_spans, tokenize
from zhaoshang_ner.documents import Span
from zhaoshang_ner.features import collate, window_inputs
from zhaoshang_ner.modeling import resolve_device
from zhaoshang_ner.tokenization import load_tokenizer
from zhaoshang_ner.values import entity_values
from zhaoshang_ner.windows import owner_windows

DEFAULT_MAX_LENGTH = 256
DEFAULT_STRIDE = 32
# Labels taken from the rules in `baseline.rule_spans` instead of the model: cross-validation shows
# the regular expressions (checked by the value parsers) beat the model on them.
RULE_LABELS = ("AMOUNT", "DATE")


def valid_transitions(tags: Sequence[str]) -> torch.Tensor:
    """`allowed[i, j]`: tag j may follow tag i in BIO (an `I-X` only after `B-X` or `I-X`)."""
    allowed = torch.ones(len(tags), len(tags), dtype=torch.bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            for i, previous in enumerate(tags):
                allowed[i, j] = previous[2:] == tag[2:] and previous[0] in "BI"
    return allowed


def viterbi(log_probs: torch.Tensor, allowed: torch.Tensor) -> list[int]:
    """The most probable tag sequence that is valid BIO (argmax alone leaves stray `I-` tags that split spans)."""
    n, t = log_probs.shape
    forbid = torch.where(allowed, 0.0, float("-inf"))
    start = torch.where(allowed.all(0), 0.0, float("-inf"))  # tags that may follow anything (O, B-X) may also start
    score = log_probs[0] + start
    back = torch.zeros((n, t), dtype=torch.long)
    for k in range(1, n):
        candidates = score[:, None] + forbid
        score, back[k] = candidates.max(0)
        score = score + log_probs[k]
    path = [int(score.argmax())]
    for k in range(n - 1, 0, -1):
        path.append(int(back[k, path[-1]]))
    return path[::-1]


@dataclass(frozen=True)
class Entity:
    """A predicted entity: character offsets into the original text, the model's mean tag probability,
    and normalised values (`value`/`currency`/`approximate` for AMOUNT; `year`/`month`/… for DATE)."""

    start: int
    end: int
    label: str
    text: str
    score: float
    values: dict = field(default_factory=dict, compare=False)

    @property
    def span(self) -> Span:
        """The plain span, for scoring and for annotation drafts."""
        return Span(self.start, self.end, self.label, self.text)

    def to_json(self) -> dict:
        record = asdict(self)
        record.update(record.pop("values"))
        record["score"] = round(self.score, 4)
        return record


class Predictor:
    """Wraps a fine-tuned token classifier for CPU or GPU inference on documents of any length."""

    def __init__(self, model, tokenizer, device: str | torch.device = "cpu", max_length: int | None = None,
                 stride: int | None = None, batch_size: int = 8, rule_labels: Sequence[str] = RULE_LABELS):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        config = model.config
        self.max_length = max_length or getattr(config, "window_max_length", None) or DEFAULT_MAX_LENGTH
        self.stride = stride if stride is not None else getattr(config, "window_stride", DEFAULT_STRIDE)
        self.batch_size = batch_size
        self.tags = [config.id2label[i] for i in range(len(config.id2label))]
        # Rules only stand in for labels the model knows: a model trained on another label set
        # (a public benchmark's, say) must not start emitting AMOUNT/DATE.
        known = {tag.split("-", 1)[-1] for tag in self.tags}
        self.rule_labels = tuple(label for label in rule_labels if label in known)
        self.allowed = valid_transitions(self.tags)
        # bf16 on GPUs that have it, fp16 on older ones; CPU stays fp32.
        self.autocast_dtype = None
        if self.device.type == "cuda":
            self.autocast_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "auto", **kwargs) -> "Predictor":
        """Load a model directory saved by the training script (safetensors only, never pickle)."""
        path = Path(path)
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"{path}: no config.json; is this a model directory?")
        if not any(path.glob("*.safetensors")):
            raise FileNotFoundError(f"{path}: no .safetensors weights (pickled weights are not loaded)")
        resolved = resolve_device(device)
        model = AutoModelForTokenClassification.from_pretrained(path, dtype=torch.float32, use_safetensors=True)
        return cls(model.to(resolved), load_tokenizer(path), resolved, **kwargs)

    def predict(self, text: str) -> list[Entity]:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str], batch_size: int | None = None) -> list[list[Entity]]:
        """Entities for each text; windows of all texts are batched together, longest first."""
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text #{i} is {type(text).__name__}, not str")
        tokenized = [tokenize(self.tokenizer, text) for text in texts]
        rows = [row for i, tokens in enumerate(tokenized)
                for row in window_inputs(self.tokenizer, tokens, i, self.max_length, self.stride)]
        probabilities = self._window_probabilities(rows, batch_size or self.batch_size)
        results: list[list[Entity]] = []
        for i, tokens in enumerate(tokenized):
            mine = [(row, probs) for row, probs in zip(rows, probabilities) if row.doc_index == i]
            results.append(self._decode(tokens, mine))
        return results

    def _window_probabilities(self, rows, batch_size: int) -> list[torch.Tensor]:
        order = sorted(range(len(rows)), key=lambda r: -len(rows[r].input_ids))
        out: list[torch.Tensor | None] = [None] * len(rows)
        with torch.inference_mode():
            for first in range(0, len(order), batch_size):
                chunk = order[first : first + batch_size]
                batch = collate([rows[r] for r in chunk], self.tokenizer.pad_token_id)
                batch = {k: v.to(self.device) for k, v in batch.items()}
                with torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                                    enabled=self.autocast_dtype is not None):
                    logits = self.model(**batch).logits
                probs = logits.float().softmax(-1).cpu()
                for j, r in enumerate(chunk):
                    out[r] = probs[j, 1 : len(rows[r].input_ids) - 1]  # drop [CLS]/[SEP]
        return out

    def _decode(self, tokens: TokenizedText, windows: list) -> list[Entity]:
        n = len(tokens.offsets)
        if n == 0:
            return []
        owners = owner_windows([row.window for row, _ in windows], n)
        probs = torch.stack([windows[w][1][p] for w, p in owners])
        ids = viterbi(probs.clamp_min(1e-12).log(), self.allowed)
        chosen = probs[torch.arange(n), torch.tensor(ids)]
        tags = [self.tags[i] for i in ids]
        first_token = {start: t for t, (start, _) in enumerate(tokens.offsets)}
        last_token = {end: t for t, (_, end) in enumerate(tokens.offsets)}
        rules = [s for s in rule_spans(tokens.text) if s.label in self.rule_labels]
        taken = set().union(*(range(s.start, s.end) for s in rules)) if rules else set()
        entities = [Entity(s.start, s.end, s.label, s.text, 1.0, entity_values(s.label, s.text)) for s in rules]
        for span in token_tags_to_spans(tokens, tags):
            if span.label in self.rule_labels or taken.intersection(range(span.start, span.end)):
                continue
            score = float(chosen[first_token[span.start] : last_token[span.end] + 1].mean())
            entities.append(Entity(span.start, span.end, span.label, span.text, score,
                                   entity_values(span.label, span.text)))
        return sorted(entities, key=lambda e: e.start)


def spans_of(entities: Iterable[Entity]) -> list[Span]:
    """Plain spans, for scoring predictions against gold."""
    return [entity.span for entity in entities]
