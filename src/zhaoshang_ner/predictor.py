"""Prediction: text → blocks → windows → features → model → tags → spans → document steps → entities.

Everything the steps need (labels, window length and stride, rule labels, lexicon, document steps)
comes from the model's config; `Predictor.from_model(model, tokenizer)` is the one assembly. Long
documents are cut into blocks (`windows.text_blocks`) and windows of several documents are batched,
so memory is bounded by the window batch, not by document length; only spans are kept between
batches, never logits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from zhaoshang_ner.backends import make_backend, resolve_backend
from zhaoshang_ner.alignment import TokenizedText, token_tags_to_spans, tokenize
from zhaoshang_ner.context import Candidate, consistent_labels, merge_touching, region_roles, snap_heads
from zhaoshang_ner.documents import Span
from zhaoshang_ner.features import WindowInput, collate, document_features, window_inputs
from zhaoshang_ner.modeling import ZhaoshangNerModel, load_model, resolve_device
from zhaoshang_ner.rules import rule_spans
from zhaoshang_ner.timing import StageTimes, timed
from zhaoshang_ner.tokenization import load_tokenizer
from zhaoshang_ner.values import entity_values
from zhaoshang_ner.windows import owner_windows, text_blocks

FLUSH_WINDOWS = 8  # batches of windows gathered before a forward pass (more documents batched together)


def valid_transitions(tags: Sequence[str]) -> torch.Tensor:
    """`allowed[i, j]`: tag j may follow tag i in BIO (an `I-X` only after `B-X` or `I-X`)."""
    allowed = torch.ones(len(tags), len(tags), dtype=torch.bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            for i, previous in enumerate(tags):
                allowed[i, j] = previous[2:] == tag[2:] and previous[0] in "BI"
    return allowed


def viterbi_many(sequences: Sequence[np.ndarray], allowed: np.ndarray) -> list[list[int]]:
    """The most probable tag sequence that is valid BIO, per sequence (argmax alone leaves stray `I-` tags
    that split spans).

    When the per-token argmax is itself valid it is the answer (it maximises the sum over all paths, so
    over the valid ones too). Elsewhere the dynamic programme runs only on the stretches around the
    invalid tags, between positions whose tag is provably fixed (`_fixed_positions`): a stretch is
    decoded as a sequence of its own, all stretches at once (`_dynamic_programme`).
    """
    may_start = allowed.all(0)  # tags that may follow anything (O, B-X) may also start
    paths: list[list[int]] = []
    stretches, places = [], []
    for log_probs in sequences:
        best = log_probs.argmax(1) if len(log_probs) else np.zeros(0, dtype=np.int64)
        invalid = np.flatnonzero(np.concatenate([~may_start[best[:1]], ~allowed[best[:-1], best[1:]]]))
        if len(invalid):
            fixed = np.flatnonzero(_fixed_positions(log_probs, best, allowed))
            after = np.searchsorted(fixed, invalid)  # the fixed positions around each invalid tag
            for start, end in sorted({(int(fixed[a - 1]) + 1 if a else 0, int(fixed[a]) if a < len(fixed) else len(best))
                                      for a in after}):
                stretches.append(log_probs[start:end])
                places.append((len(paths), start, end))
        paths.append(best)
    for (number, start, end), path in zip(places, _dynamic_programme(stretches, allowed)):
        paths[number][start:end] = path
    return [path.tolist() for path in paths]


def _fixed_positions(log_probs: np.ndarray, best: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Positions whose argmax tag every optimal valid path shares, so that the decoding splits there.

    A position qualifies when its argmax is a tag like O, which may follow any tag and is followed only by
    tags that may start a sequence, and its margin over every other tag there is larger than the most the
    next position can gain from an inside tag: an `I-X` there is worth at most its log-probability above
    its twin `B-X` (same successors, may follow anything), which an O-led path can take instead. Then the
    paths before and after it are independent, each decoded like a sequence of its own. Without twins
    (tag sets other than BIO) nothing qualifies."""
    may_start = allowed.all(0)
    restricted = np.flatnonzero(~may_start)
    twins = [np.flatnonzero(may_start & (allowed == allowed[r]).all(1)) for r in restricted]
    if any(not len(twin) for twin in twins):
        return np.zeros(len(best), dtype=bool)
    twin = np.array([t[0] for t in twins], dtype=np.int64)
    gain = np.maximum((log_probs[:, restricted] - log_probs[:, twin]).max(1, initial=0.0), 0.0)
    gain_next = np.append(gain[1:], 0.0)
    top2 = np.partition(log_probs, -2, axis=1)[:, -2:] if log_probs.shape[1] > 1 else np.repeat(log_probs, 2, 1)
    margin = top2[:, 1] - top2[:, 0]
    like_o = (allowed == may_start).all(1)  # followed exactly by the tags that may start
    return like_o[best] & (margin > gain_next)


def _dynamic_programme(sequences: Sequence[np.ndarray], allowed: np.ndarray) -> list[np.ndarray]:
    """Constrained Viterbi for all `sequences` at once, one numpy step per position, since a step's cost
    is Python overhead, not arithmetic."""
    if not sequences:
        return []
    may_start = allowed.all(0)
    lengths = np.array([len(s) for s in sequences])
    b, n, t = len(sequences), int(lengths.max()), allowed.shape[0]
    log_probs = np.zeros((b, n, t))
    for j, sequence in enumerate(sequences):
        log_probs[j, : lengths[j]] = sequence
    # A free tag (O, B-X) may follow any tag: its best predecessor is the best tag. Any other tag (I-X) has
    # a few allowed predecessors (B-X, I-X), listed in `preds` (ascending, padded by repeating the first).
    restricted = np.flatnonzero(~may_start)
    allowed_preds = [np.flatnonzero(allowed[:, j]) for j in restricted]
    width = max((len(p) for p in allowed_preds), default=1)
    preds = np.array([np.pad(p, (0, width - len(p)), mode="edge") for p in allowed_preds]).reshape(len(restricted), width)
    score = log_probs[:, 0] + np.where(may_start, 0.0, -np.inf)
    final = score.copy()  # each sequence's scores at its last position
    back = np.zeros((b, n, t), dtype=np.int16)
    rows, columns = np.arange(b), np.arange(len(restricted))
    ending = set(lengths.tolist())
    step = np.empty((b, t))
    for k in range(1, n):  # each numpy call here costs microseconds of overhead: as few as possible
        back[:, k] = score.argmax(1)[:, None]
        step[:] = score.max(1)[:, None]
        if len(restricted):
            options = score[:, preds]  # (sequence, restricted tag, predecessor)
            pick = options.argmax(2)
            step[:, restricted] = options.max(2)
            back[:, k, restricted] = preds[columns, pick]
        score = step + log_probs[:, k]
        if k + 1 in ending:
            ends = lengths == k + 1
            final[ends] = score[ends]
    tags = final.argmax(1)
    out = np.zeros((b, n), dtype=np.int64)
    for k in range(n - 1, -1, -1):
        active = lengths > k
        out[active, k] = tags[active]
        if k:
            tags = np.where(active, back[rows, k, tags], tags)
    return [out[j, : lengths[j]] for j in range(b)]


@dataclass(frozen=True)
class Entity:
    """A predicted entity: character offsets into the original text, a confidence (the model's mean
    probability of the entity's tags over its tokens, also for rule spans), and normalised values
    (`value`/`currency`/`approximate` for AMOUNT; `year`/`month`/… for DATE)."""

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


@dataclass
class _Block:
    """One block of one document on its way through the model."""

    doc: int
    offset: int
    last: bool  # the document's last block: its spans are complete
    tokens: TokenizedText
    rows: list[WindowInput]
    probs: list[np.ndarray | None]


class Predictor:
    """Wraps a fine-tuned model for CPU or GPU inference on documents of any length."""

    def __init__(self, model: ZhaoshangNerModel, tokenizer, device: str | torch.device | None = None,
                 batch_size: int = 8, max_length: int | None = None, backend: str = "torch",
                 model_dir: str | Path | None = None):
        config = model.config
        self.device = torch.device(device) if device is not None else next(model.parameters()).device
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.max_length = max_length or config.window_max_length
        if not 8 <= self.max_length <= config.max_position_embeddings:
            raise ValueError(f"max_length {self.max_length} is outside 8..{config.max_position_embeddings} "
                             "(the model's position embeddings)")
        self.stride = min(config.window_stride, self.max_length // 4)
        self.batch_size = batch_size
        self.times: StageTimes | None = None  # set to profile the stages (scripts/bench_predict.py)
        self.tags = config.tags
        self.labels = list(config.ner_labels)
        # Rules only stand in for labels the model knows: a model trained on another label set
        # (a public benchmark's, say) must not start emitting AMOUNT/DATE.
        self.rule_labels = tuple(label for label in config.rule_labels if label in self.labels)
        if config.lexicon_categories and model.lexicon is None:
            raise ValueError("the model uses lexicon features but has no lexicon attached (load it with load_model)")
        self.lexicon = model.lexicon
        self.allowed = valid_transitions(self.tags).numpy()
        self.begin_columns = np.array([self.tags.index(f"B-{label}") for label in self.labels])
        self.inside_columns = np.array([self.tags.index(f"I-{label}") for label in self.labels])
        self.backend = resolve_backend(backend, model_dir, self.device)
        self.forward = make_backend(self.backend, self.model, model_dir, self.device, torch.get_num_threads())

    @classmethod
    def from_model(cls, model: ZhaoshangNerModel, tokenizer, **kwargs) -> "Predictor":
        """The predictor of a model in memory (training, cross-validation): everything from its config."""
        return cls(model, tokenizer, **kwargs)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "auto", backend: str = "auto",
                        **kwargs) -> "Predictor":
        """Load a model directory saved by the training script (safetensors only, never pickle); `backend`
        `auto` takes its int8 ONNX graph on a CPU where it has one (`backends.resolve_backend`)."""
        model = load_model(path)
        return cls(model, load_tokenizer(path), resolve_device(device), model_dir=path, backend=backend, **kwargs)

    # ------------------------------------------------------------------------------------------ public

    def predict(self, text: str) -> list[Entity]:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str], batch_size: int | None = None) -> list[list[Entity]]:
        """Entities for each text; windows of all texts are batched together."""
        results: list[list[Entity]] = [[] for _ in texts]
        for index, entities in self.stream(texts, batch_size):
            results[index] = entities
        return results

    def stream(self, texts: Sequence[str], batch_size: int | None = None,
               progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, list[Entity]]]:
        """`(index, entities)` for each text as soon as it is done, in order; `progress(characters)` after
        each block. Memory holds a few batches of windows and the spans found so far."""
        texts = _check_texts(texts)
        candidates: dict[int, list[Candidate]] = {}
        for block, found in self.blocks(texts, batch_size, progress):
            candidates.setdefault(block.doc, []).extend(found)
            if block.last:
                yield block.doc, self.finish(texts[block.doc], candidates.pop(block.doc))

    def candidates(self, texts: Sequence[str], batch_size: int | None = None) -> list[list[Candidate]]:
        """Each text's spans before the document steps (to score several decoding variants of one model)."""
        found: list[list[Candidate]] = [[] for _ in texts]
        for block, spans in self.blocks(_check_texts(texts), batch_size):
            found[block.doc].extend(spans)
        return found

    def blocks(self, texts: Sequence[str], batch_size: int | None = None,
               progress: Callable[[int], None] | None = None,
               start_blocks: dict[int, int] | None = None) -> Iterator[tuple[_Block, list[Candidate]]]:
        """Each block of each text (from `start_blocks[i]` on, to resume a long document) with its
        candidate spans, offsets into the whole text, in order."""
        size = batch_size or self.batch_size
        pending: list[_Block] = []
        for index, text in enumerate(texts):
            cuts = text_blocks(text)
            for number, (start, end) in enumerate(cuts):
                if start_blocks and number < start_blocks.get(index, 0):
                    continue
                pending.append(self._prepare(index, text, start, end, number == len(cuts) - 1))
                if sum(len(b.rows) for b in pending) >= size * FLUSH_WINDOWS:
                    yield from self._run(pending, size, progress)
                    pending = []
        yield from self._run(pending, size, progress)

    def finish(self, text: str, candidates: Iterable[Candidate]) -> list[Entity]:
        """The document-level steps (switched by the config) and normalised values."""
        with timed(self.times, "decoding"):
            spans = sorted(candidates, key=lambda c: c.start)
            if self.model.config.merge_pairs:
                spans = merge_touching(spans, self.model.config.merge_pairs)
            if self.model.config.snap_heads:
                spans = snap_heads(text, spans, self.model.config.snap_heads)
            if self.model.config.doc_consistency:
                spans = consistent_labels(text, spans)
            if self.model.config.region_roles:
                spans = region_roles(text, spans)
        with timed(self.times, "values"):
            return [Entity(c.start, c.end, c.label, c.text, c.score, entity_values(c.label, c.text)) for c in spans]

    # ------------------------------------------------------------------------------------------ steps

    def _prepare(self, index: int, text: str, start: int, end: int, last: bool) -> _Block:
        with timed(self.times, "tokenise"):
            tokens = tokenize(self.tokenizer, text[start:end])
        with timed(self.times, "lexicon features"):
            features = document_features(self.lexicon, tokens)
        with timed(self.times, "windows"):
            rows = window_inputs(self.tokenizer, tokens, index, self.max_length, self.stride, features=features)
        return _Block(index, start, last, tokens, rows, [None] * len(rows))

    def _run(self, blocks: list[_Block], batch_size: int,
             progress: Callable[[int], None] | None) -> Iterator[tuple[_Block, list[Candidate]]]:
        """Forward all windows of `blocks` (longest first, so batches pad little), then decode each block."""
        rows = [(b, k) for b in blocks for k in range(len(b.rows))]
        rows.sort(key=lambda bk: -len(bk[0].rows[bk[1]].input_ids))
        for first in range(0, len(rows), batch_size):
            chunk = rows[first : first + batch_size]
            with timed(self.times, "windows"):
                batch = collate([b.rows[k] for b, k in chunk], self.tokenizer.pad_token_id)
            with timed(self.times, "model forward"):
                probs = self.forward(batch)
            for j, (b, k) in enumerate(chunk):
                b.probs[k] = probs[j, 1 : len(b.rows[k].input_ids) - 1]  # drop [CLS]/[SEP]
        with timed(self.times, "decoding"):
            token_probs = [self._token_probs(block) for block in blocks]
            paths = viterbi_many([np.log(np.clip(probs, 1e-12, None)) for probs in token_probs], self.allowed)
        for block, probs, ids in zip(blocks, token_probs, paths):
            with timed(self.times, "decoding"):
                found = self._decode(block, probs, np.asarray(ids, dtype=np.int64))
            block.probs, block.rows = [], []
            if progress:
                progress(len(block.tokens.text))
            yield block, found

    def _token_probs(self, block: _Block) -> np.ndarray:
        """Tag probabilities per token, each token read from the window that owns it."""
        n = len(block.tokens.offsets)
        if n == 0:
            return np.zeros((0, len(self.tags)), dtype=np.float32)
        owners = owner_windows([row.window for row in block.rows], n)
        return np.stack([block.probs[w][p] for w, p in owners])

    def _decode(self, block: _Block, probs: np.ndarray, ids: np.ndarray) -> list[Candidate]:
        """Spans (rules first, then the model's tags `ids`) with their scores and label probabilities: the
        means over each span's tokens come from cumulative sums, one numpy step for all spans of the block."""
        tokens, n = block.tokens, len(block.tokens.offsets)
        if n == 0:
            return []
        rules = rule_spans(tokens.text, self.rule_labels) if self.rule_labels else []
        taken = np.zeros(len(tokens.text) + 1, dtype=bool)
        for span in rules:
            taken[span.start : span.end] = True
        tagged = [span for span in token_tags_to_spans(tokens, [self.tags[i] for i in ids])
                  if span.label not in self.rule_labels and not taken[span.start : span.end].any()]
        spans = rules + tagged
        if not spans:
            return []
        # A span's tokens: from the token holding its first character to the last token starting before its end.
        starts = np.array([start for start, _ in tokens.offsets])
        first = np.maximum(np.searchsorted(starts, [s.start for s in spans], "right") - 1, 0)
        stop = np.maximum(np.searchsorted(starts, [s.end for s in spans], "left"), first + 1)
        mass = probs[:, self.begin_columns] + probs[:, self.inside_columns]  # P(B-X) + P(I-X) per token, label
        chosen = probs[np.arange(n), ids]
        sums = np.zeros((n + 1, len(self.labels) + 1))
        np.cumsum(np.column_stack([mass, chosen]), axis=0, out=sums[1:])
        means = ((sums[stop] - sums[first]) / (stop - first)[:, None]).tolist()
        offset, found = block.offset, []
        for k, (span, row) in enumerate(zip(spans, means)):
            by_label = dict(zip(self.labels, row))
            fixed = k < len(rules)  # a rule span's score is the model's probability of its label
            found.append(Candidate(span.start + offset, span.end + offset, span.label, span.text,
                                   by_label[span.label] if fixed else row[-1], by_label, fixed))
        return found


def _check_texts(texts: Sequence[str]) -> Sequence[str]:
    """A list of strings, not one string (which would be predicted character by character)."""
    if isinstance(texts, str):
        raise TypeError("predict_many takes a list of texts; for one text use predict(text)")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text #{i} is {type(text).__name__}, not str")
    return texts


def spans_of(entities: Iterable[Entity]) -> list[Span]:
    """Plain spans, for scoring predictions against gold."""
    return [entity.span for entity in entities]
