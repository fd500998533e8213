"""The pre-annotation loop: model + rule drafts in the stand-off format, then corrected by an annotator.

`zhaoshang-ner preannotate` writes the current model's and rules' predictions for new sources as
`draft` records (never replacing a record an annotator made), plus working copies for annotation
tools (doccano, Label Studio, or inline markup for `zhaoshang-ner apply`). A draft is a guess: it is
never trained or scored on until an annotator has read the whole text against the guideline and
applied the corrected version with status `annotated`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Sequence

from zhaoshang_ner.documents import Document, read_documents, write_documents, write_text_atomic
from zhaoshang_ner.sources import PARAGRAPHS, ArticleStore, doc_id, paragraph_groups, paragraph_source


def expand_sources(store: ArticleStore, names: Sequence[str], paragraphs: int | None) -> list[str]:
    """Sources for the names given: a folder under the articles root (its `*.txt`), a file, a paragraph
    `corpus-paragraphs.jsonl#<id>`, or `corpus-paragraphs.jsonl` (the first `paragraphs` of it, in id order)."""
    sources: list[str] = []
    for name in names:
        if name == PARAGRAPHS:
            ids = sorted(store.paragraphs())
            sources += [paragraph_source(i) for i in ids[:paragraphs]]
        elif (store.root / name).is_dir():
            sources += store.article_sources(name)
        else:
            store.read(name)  # fails early, naming the source, when it does not exist
            sources.append(name)
    return list(dict.fromkeys(sources))


def model_tag(model_dir: Path) -> str:
    """`model:<name>@<first 12 hex of the weights' SHA-256>+rules`: which model made a draft."""
    digest = hashlib.sha256()
    for weights in sorted(model_dir.glob("*.safetensors")):
        digest.update(weights.read_bytes())
    return f"model:{model_dir.name}@{digest.hexdigest()[:12]}+rules"


def draft_documents(predictor, store: ArticleStore, sources: Sequence[str], annotator: str,
                    batch_size: int = 8) -> list[Document]:
    """Draft records: the predictor's spans on each source's exact text."""
    from tqdm import tqdm

    texts = [store.read(source) for source in sources]
    groups = paragraph_groups(store) if any(s.startswith(PARAGRAPHS) for s in sources) else {}
    drafts = []
    for first in tqdm(range(0, len(texts), batch_size), desc="preannotate", unit="batch", file=sys.stderr):
        chunk = texts[first : first + batch_size]
        for found, entities in zip(chunk, predictor.predict_many([t.text for t in chunk])):
            spans = [entity.span for entity in entities]
            group = groups.get(found.source.partition("#")[2]) if found.source.startswith(PARAGRAPHS) else None
            drafts.append(Document(doc_id(found.source), found.text, spans, found.source, found.sha256,
                                   "draft", annotator, group))
    return drafts


def configure(parser: argparse.ArgumentParser) -> None:
    """Write model + rule drafts for sources, to be corrected by an annotator."""
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help=f"under the articles folder: a folder, a .txt file, {PARAGRAPHS}#<id>, or {PARAGRAPHS}")
    parser.add_argument("--output", "-o", required=True, metavar="FILE",
                        help="stand-off JSONL to add drafts to (records already there are kept, never replaced)")
    parser.add_argument("--articles", metavar="DIR", help="articles folder (default: ../shared/articles)")
    parser.add_argument("--model", metavar="DIR", help="model directory (default: the shipped model)")
    parser.add_argument("--paragraphs", type=int, metavar="N", help=f"with {PARAGRAPHS}: its first N paragraphs")
    parser.add_argument("--markup", metavar="FILE", help="also write the new drafts as inline markup (for `apply`)")
    parser.add_argument("--doccano", metavar="FILE", help="also write the new drafts as doccano JSONL")
    parser.add_argument("--labelstudio", metavar="FILE", help="also write the new drafts as Label Studio JSON")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))


def run(args: argparse.Namespace) -> int:
    from zhaoshang_ner.batch import DEFAULT_MODEL
    from zhaoshang_ner.interop import write_any
    from zhaoshang_ner.markup import render_file
    from zhaoshang_ner.predictor import Predictor

    store = ArticleStore(args.articles)
    output = Path(args.output)
    existing = read_documents(output, store) if output.exists() else []
    done = {doc.source for doc in existing}
    sources = [s for s in expand_sources(store, args.sources, args.paragraphs) if s not in done]
    model_dir = Path(args.model) if args.model else DEFAULT_MODEL
    print(f"{len(sources)} new sources ({len(done)} already in {output})", file=sys.stderr)
    if not sources:
        return 0
    predictor = Predictor.from_pretrained(model_dir, device=args.device)
    drafts = draft_documents(predictor, store, sources, model_tag(model_dir))
    write_documents(output, [*existing, *drafts])
    if args.markup:
        write_text_atomic(args.markup, render_file(drafts))
    if args.doccano:
        write_any(args.doccano, drafts, "doccano")
    if args.labelstudio:
        write_any(args.labelstudio, drafts, "labelstudio")
    print(f"{len(drafts)} drafts, {sum(len(d.entities) for d in drafts)} spans -> {output}", file=sys.stderr)
    return 0
