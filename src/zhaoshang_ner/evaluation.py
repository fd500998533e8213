"""Scoring a model on annotated documents: predictions through the same `Predictor` users get."""

from __future__ import annotations

from typing import Callable, Sequence

from zhaoshang_ner.documents import Document, Span
from zhaoshang_ner.metrics import entity_scores
from zhaoshang_ner.predictor import Predictor, spans_of


def predict_documents(predictor: Predictor, documents: Sequence[Document]) -> list[list[Span]]:
    return [spans_of(entities) for entities in predictor.predict_many([d.text for d in documents])]


def scorer(documents: Sequence[Document]) -> Callable:
    """An `evaluate(model, tokenizer)` callback for `training.fit` that scores `documents`."""

    def evaluate(model, tokenizer) -> dict:
        scores = entity_scores(documents, predict_documents(Predictor.from_model(model, tokenizer, batch_size=32),
                                                            documents))
        model.train()
        return scores

    return evaluate
