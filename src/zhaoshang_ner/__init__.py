"""zhaoshang-ner: entities in Chinese investment-promotion (招商引资) news."""

from zhaoshang_ner.labels import LABELS
from zhaoshang_ner.documents import Document, Span

__all__ = ["LABELS", "Document", "Span", "Entity", "Predictor"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Predictor pulls in torch/transformers; import it lazily so the annotation tools stay light.
    if name in ("Predictor", "Entity"):
        from zhaoshang_ner import predictor

        return getattr(predictor, name)
    raise AttributeError(name)
