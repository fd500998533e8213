#!/usr/bin/env python
"""Write a model directory's README.md (model card) from the model's config and the reports that measured it.

    python scripts/write_model_card.py --model models/zhaoshang-ner-small \
        --train-command "python scripts/train.py --config configs/default.yaml" \
        [--decoding-command "python scripts/set_decoding.py --model DIR --config C"] \
        --cv reports/cv-default.json --baseline reports/cv-baseline.json \
        [--agreement reports/agreement.json] [--bench reports/bench-predict.md] [--data annotations/gold.jsonl]

Every number in the card is read from a report a repository command produced, or computed from the
model directory and the annotation file; none is typed in. Data and licences: the encoder's card
(`ENCODER.md` of the encoder directory), the lexicon's sources (`lexicon/lexicon.json`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from zhaoshang_ner.backends import ONNX_FILES
from zhaoshang_ner.documents import read_gold, write_text_atomic
from zhaoshang_ner.stats import source_folder


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def accuracy_table(cv: dict, base: dict, labels: list[str]) -> str:
    rows = ["| label | F1 mean ± std over folds | pooled P | pooled R | pooled F1 | baseline pooled F1 | gold spans |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for label in [*labels, "micro"]:
        s, p, b = cv["summary"][label], cv["pooled"][label], base["pooled"].get(label, {"f1": 0.0})
        rows.append(f"| {label} | {pct(s['f1_mean'])} ± {pct(s['f1_std'])} | {pct(p['precision'])} | "
                    f"{pct(p['recall'])} | {pct(p['f1'])} | {pct(b['f1'])} | {p['support']} |")
    return "\n".join(rows)


def data_summary(path: str) -> str:
    documents = read_gold(path)
    folders = Counter(source_folder(d) for d in documents)
    statuses = Counter(d.status for d in documents)
    spans = sum(len(d.entities) for d in documents)
    chars = sum(len(d.text) for d in documents)
    parts = ", ".join(f"{n:,} from `{folder}`" for folder, n in folders.most_common())
    return (f"all {len(documents):,} annotated documents of `{path}` ({parts}; {chars:,} characters, {spans:,} "
            f"spans; {statuses['reviewed']:,} reviewed, {statuses['annotated']:,} annotated; drafts are never trained on)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--train-command", required=True)
    parser.add_argument("--decoding-command", default=None,
                        help="the scripts/set_decoding.py command run on the trained model, if any")
    parser.add_argument("--cv", required=True, help="cross_validate.py JSON of this model's recipe")
    parser.add_argument("--baseline", required=True, help="cross_validate.py --baseline JSON (same folds)")
    parser.add_argument("--agreement", default=None, help="scripts/agreement.py JSON (the annotation ceiling)")
    parser.add_argument("--bench", default=None, help="Markdown table printed by scripts/bench_predict.py")
    parser.add_argument("--data", default="annotations/gold.jsonl")
    args = parser.parse_args(argv)
    model = Path(args.model)
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    cv = json.loads(Path(args.cv).read_text(encoding="utf-8"))
    base = json.loads(Path(args.baseline).read_text(encoding="utf-8"))
    labels = list(config["ner_labels"])
    recipe = cv["config"]
    size_mb = sum(p.stat().st_size for p in model.glob("*.safetensors")) / 1e6
    lexicon = json.loads((model / "lexicon" / "lexicon.json").read_text(encoding="utf-8")) \
        if (model / "lexicon" / "lexicon.json").exists() else None
    encoder = Path(recipe["encoder"]) if isinstance(recipe["encoder"], str) else None
    steps = [f"rules for {', '.join(config['rule_labels'])}" if config.get("rule_labels") else None,
             "one label per repeated string" if config.get("doc_consistency") else None,
             "host/partner roles from whole-article evidence" if config.get("region_roles") else None,
             f"touching spans joined where their labels never touch in the training documents ({len(config['merge_pairs'])} "
             f"label pairs, `merge_pairs` in `config.json`)" if config.get("merge_pairs") else None,
             f"names grown to the head word they cut or touch ({', '.join(config['snap_heads'])}; head words learnt from "
             f"the training documents, `snap_heads` in `config.json`)" if config.get("snap_heads") else None]
    steps = [s for s in steps if s]

    licences = ["| part | source | licence |", "|---|---|---|",
                "| weights | trained by this project | Apache-2.0 |"]
    if encoder is not None and (encoder / "ENCODER.md").exists():
        licences.append(f"| encoder | `{encoder}` (its `ENCODER.md`: corpus, stages, licences) | see that card |")
    if lexicon:
        for source in lexicon["sources"]:
            licences.append(f"| lexicon: {', '.join(source['categories'])} | {source['name']} | {source['licence']} |")
    agreement = ""
    if args.agreement:
        report = json.loads(Path(args.agreement).read_text(encoding="utf-8"))
        agreement = (f"\nTwo annotators agree at micro-F1 {pct(report['scores']['micro']['f1'])} on "
                     f"{report['documents']} documents annotated twice (`reports/agreement.md`): the ceiling to compare "
                     "the model with.\n")
    bench = Path(args.bench).read_text(encoding="utf-8").strip() if args.bench else "Not measured yet."
    graph = model / ONNX_FILES["onnx-int8"]
    backend_note = (f"its int8 ONNX graph ({graph.name}) on a CPU, torch on a GPU" if graph.exists()
                    else "torch (scripts/export_onnx.py adds the ONNX graphs)")
    card = f"""---
language: zh
library_name: transformers
pipeline_tag: token-classification
license: apache-2.0
tags: [ner, chinese, investment-promotion, zhaoshang]
---

# {model.name}

Token classifier (BIO over characters/WordPieces) that finds {len(labels)} entity types in Chinese
investment-promotion (招商引资) news: {", ".join(labels)}.

- **Model**: `ZhaoshangNerModel` (`zhaoshang_ner.modeling`): BERT, {config['num_hidden_layers']} layers, hidden
  {config['hidden_size']}, {config['num_attention_heads']} heads, vocabulary {config['vocab_size']:,}
  (standard Chinese BERT WordPiece){f", plus lexicon features ({len(config['lexicon_categories'])} categories × B/M/E/S, added to the encoder's {config['feature_inject']})" if config.get('lexicon_categories') else ""}, and a token classifier.
- **Encoder it was fine-tuned from**: `{recipe['encoder']}`.
- **Weights**: `model.safetensors`, {size_mb:.1f} MB (fp32){f'; `{graph.name}`, {graph.stat().st_size / 1e6:.1f} MB (dynamic int8, the default CPU backend)' if graph.exists() else ''}. Windows of {config['window_max_length']} tokens with
  {config['window_stride']} tokens of overlap; any document length.
- **Prediction steps saved with the model**: {"; ".join(steps) or "the model alone"}.
- **Training data**: {data_summary(args.data)}.
- **Training command**: `{args.train_command}` (then the run's `model/` copied here){f", then `{args.decoding_command}` (decoding steps only, the weights unchanged)" if args.decoding_command else ""}.

## Accuracy (cross-validated; the documents scored were not trained on)

Strict entity-level scores (seqeval, IOB2: a span counts only with exact offsets and label),
document-grouped {cv['folds_k']}-fold cross-validation of the same recipe over {cv.get('documents', '?')} documents
(paragraphs of one corpus document stay in one fold); run `{cv['name']}` of the command `{cv['command']}`; baseline (regular
expressions + jieba, same folds): `{base['command']}`.

{accuracy_table(cv, base, labels)}
{agreement}
The model shipped here is trained on all documents, so it has no held-out score of its own; the
numbers above estimate it. The ablation of its parts is in `reports/ablation.md`.

## Speed on CPU

{bench}

## Use

```python
from zhaoshang_ner import Predictor
predictor = Predictor.from_pretrained("{model}")   # backend="auto": {backend_note}
for entity in predictor.predict("总投资130亿元的新材料产业园项目正式签约"):
    print(entity.label, entity.text, entity.start, entity.end, entity.values)
```

With `transformers` alone: after `import zhaoshang_ner.modeling` (which registers the model type),
`pipeline("token-classification", model=DIR, aggregation_strategy="simple")` works and computes the
lexicon features from the token ids. A model without lexicon features also loads as a standard
`BertForTokenClassification`. The package's `Predictor` adds long-document windows, the rules, the
document steps, constrained Viterbi decoding and normalised amount/date values.

## Licences

{chr(10).join(licences)}

## Limits

- Trained on news from public repositories (national broadcast transcripts, portal and local news,
  2011–2026): expect lower recall on other genres and on long PROJECT names; HOST_REGION vs
  PARTNER_REGION depends on whole-article context.
- The annotations were made by annotator agents correcting model drafts against the guideline, with a
  tenth annotated twice and adjudicated (`annotations/README.md`); the agreement above bounds what the
  data can teach.
- Traditional script, pinyin glosses and mojibake are covered by noisy training copies, not by gold
  documents in those forms (but one).
"""
    write_text_atomic(model / "README.md", card)
    print(f"wrote {model / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
