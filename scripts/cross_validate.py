#!/usr/bin/env python
"""Document-grouped K-fold cross-validation of the training recipe (or of the non-neural baseline).

    python scripts/cross_validate.py --config configs/default.yaml [--folds K] [--set key=value ...]
        [--baseline] [--name NAME] [--output reports/cv-NAME.json] [--gate reports/baseline-metrics.json]

Default folds: leave-one-document-out. Each fold fine-tunes on the other documents (after the
auxiliary stage, trained once, when the config has one) and predicts the held-out documents with
the same `Predictor` users get. Writes JSON and Markdown reports with strict entity-level
P/R/F1 per label (seqeval), mean ± std over folds and pooled counts. `--record FILE` stores the
pooled micro-F1 and the command under the run's name; `--gate FILE` exits 1 when pooled micro-F1 is
more than `--tolerance` points below the value recorded there.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from zhaoshang_ner.baseline import BaselineTagger
from zhaoshang_ner.config import command_line, load_config
from zhaoshang_ner.crossval import cross_validate, dev_split, document_folds, split_key
from zhaoshang_ner.documents import read_gold, write_text_atomic
from zhaoshang_ner.modeling import load_model, save_model
from zhaoshang_ner.predictor import Predictor, spans_of
from zhaoshang_ner.reports import cv_markdown
from zhaoshang_ner.tokenization import load_tokenizer
from zhaoshang_ner.training import TRAIN_SCHEMA


# Decoding variants scored from the same trained model: training-config decoding keys (unset: off), turned into
# model-config fields by `training.decoding_steps` with the fold's training documents (merge pairs are learnt).
DECODING_VARIANTS = {"plain": {}, "consistency": {"doc_consistency": True}, "roles": {"region_roles": True},
                     "consistency+roles": {"doc_consistency": True, "region_roles": True},
                     "roles+merge": {"region_roles": True, "merge_touching": "same"},
                     "roles+names": {"region_roles": True, "merge_touching": "names"},
                     "roles+names+project-heads": {"region_roles": True, "merge_touching": "names",
                                                   "snap_heads": "project"},
                     "roles+names+name-heads": {"region_roles": True, "merge_touching": "names", "snap_heads": "names"}}


RECIPE_FILE = "fold-recipe.json"  # beside a saved fold model: what trained it (--fold-models)


def model_tagger(cfg: dict, output_dir: Path, variants: bool, backends: list[str], fold_models: Path | None = None):
    """Fine-tune per fold; score the config's decoding, or (with `variants`) every decoding variant, and the
    config's decoding with each of `backends` (int8, ONNX) on the same fold model. With `fold_models`, each
    fold model is saved there under its split's key and reused when already there, so new decoding steps
    are scored on the same models without retraining."""
    from zhaoshang_ner.training import DECODING_KEYS, FitResult, aux_stage, decoding_steps, fit

    encoder = aux_stage(cfg, output_dir, resume=True) if cfg.get("aux") else cfg["encoder"]

    def trained_model(train_docs, test_docs) -> FitResult:
        saved = fold_models / split_key(test_docs) if fold_models else None
        # What made the fold model: the recipe without its decoding steps, and the training documents.
        recipe = {"training": {k: v for k, v in cfg.items() if k not in (*DECODING_KEYS, "output_dir")},
                  "train_documents": split_key(train_docs)}
        if saved and (saved / "config.json").exists():
            if not (saved / RECIPE_FILE).exists():
                raise SystemExit(f"--fold-models: {saved} has no {RECIPE_FILE} (not saved by --fold-models, or "
                                 "interrupted while saving): delete it to retrain that fold")
            made, mine = json.loads((saved / RECIPE_FILE).read_text(encoding="utf-8")), json.loads(json.dumps(recipe))
            if made != mine:
                differ = sorted(k for k in {*made["training"], *mine["training"]}
                                if made["training"].get(k) != mine["training"].get(k))
                raise SystemExit(f"--fold-models: {saved} was trained by another recipe or on other documents "
                                 f"(differing: {', '.join(differ) or 'the training documents'}); use another folder")
            print(f"fold model: {saved} (saved before, not retrained)")
            return FitResult(load_model(saved), load_tokenizer(saved), [])
        result = fit(cfg, train_docs, labels=cfg["labels"], encoder=encoder, desc="fold")
        if saved:
            save_model(result.model, result.tokenizer, saved)
            write_text_atomic(saved / RECIPE_FILE, json.dumps(recipe, indent=1, ensure_ascii=False) + "\n")
        return result

    def tag(train_docs, test_docs):
        result = trained_model(train_docs, test_docs)
        config = result.model.config
        trained = decoding_steps(cfg, cfg["labels"], train_docs)
        wanted = ({name: decoding_steps(keys, cfg["labels"], train_docs) for name, keys in DECODING_VARIANTS.items()}
                  if variants else {"": trained})
        texts = [doc.text for doc in test_docs]
        predictor = Predictor.from_model(result.model, result.tokenizer, batch_size=32)
        found = predictor.candidates(texts)
        predictions = {}
        for name, steps in wanted.items():
            config.update(steps)
            predictions[name] = [spans_of(predictor.finish(text, spans)) for text, spans in zip(texts, found)]
        config.update(trained)
        for backend in backends:
            with tempfile.TemporaryDirectory() as folder:
                other = Predictor.from_model(result.model, result.tokenizer, batch_size=32, backend=backend,
                                             model_dir=export_for(backend, result, Path(folder)))
                predictions[f"backend-{backend}"] = [spans_of(e) for e in other.predict_many(texts)]
        return predictions

    return tag


def export_for(backend: str, result, folder: Path) -> Path | None:
    """A model directory with the ONNX graph an ONNX backend loads (None for the torch backends)."""
    if not backend.startswith("onnx"):
        return None
    from zhaoshang_ner.backends import ONNX_FILES, export_onnx, quantize_onnx

    export_onnx(result.model, folder / ONNX_FILES["onnx"], result.model.config.num_features)
    if backend == "onnx-int8":
        quantize_onnx(folder / ONNX_FILES["onnx"], folder / ONNX_FILES["onnx-int8"])
    result.model.eval()
    return folder


def baseline_tagger(train_docs, test_docs):
    tagger = BaselineTagger()
    return {"": [tagger.predict(doc.text) for doc in test_docs]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--folds", type=int, default=None, help="K for GroupKFold (default: one per document)")
    parser.add_argument("--dev", action="store_true",
                        help="train on the fixed training split and score the development split (model selection)")
    parser.add_argument("--train-share", type=float, default=1.0, metavar="F",
                        help="train each fold on this share of its training documents (a learning-curve point)")
    parser.add_argument("--resume", action="store_true", help="skip the splits already in OUTPUT.state.jsonl")
    parser.add_argument("--splits", type=int, nargs="+", default=None, metavar="I",
                        help="train only these splits (0-based) into OUTPUT.state.jsonl, for parallel jobs on the "
                             "same OUTPUT with --resume; the reports are written once every split is done")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: write the reports from the splits finished in OUTPUT.state.jsonl so far "
                             "(a run stopped early; the reports say how many folds they cover)")
    parser.add_argument("--decoding-variants", action="store_true",
                        help="also score each document-step variant of the same models (reports NAME-VARIANT)")
    parser.add_argument("--fold-models", default=None, metavar="DIR",
                        help="save each fold model in DIR and reuse the ones already there (rescore decoding "
                             "variants without retraining: DIR must come from the same config and folds)")
    parser.add_argument("--backends", nargs="+", default=[], choices=["torch-int8", "onnx", "onnx-int8"],
                        help="also score the same models with these inference backends (reports NAME-backend-B)")
    parser.add_argument("--baseline", action="store_true", help="evaluate the non-neural baseline instead")
    parser.add_argument("--name", default=None, help="run name (default: config stem, or 'baseline')")
    parser.add_argument("--output", default=None, help="JSON report path (default reports/cv-NAME.json)")
    parser.add_argument("--gate", default=None, help="JSON of recorded micro-F1 per run name")
    parser.add_argument("--tolerance", type=float, default=3.0, help="allowed drop in F1 points")
    parser.add_argument("--record", default=None,
                        help="JSON to store this run's pooled micro-F1 and command in, under its name (for --gate)")
    args = parser.parse_args(argv)

    cfg = load_config(args.config, args.overrides, TRAIN_SCHEMA)
    name = args.name or ("baseline" if args.baseline else Path(args.config).stem)
    documents = read_gold(cfg["train_file"], cfg["articles"])
    tag = (baseline_tagger if args.baseline or args.report_only
           else model_tagger(cfg, Path(cfg["output_dir"]), args.decoding_variants, args.backends,
                          Path(args.fold_models) if args.fold_models else None))
    output = Path(args.output or f"reports/cv-{name}.json")
    splits = dev_split(documents) if args.dev else document_folds(documents, args.folds)
    state = output.with_suffix(".state.jsonl")
    if args.splits is not None and not args.resume:
        parser.error("--splits shares OUTPUT.state.jsonl with the other jobs: add --resume")
    if args.splits is not None and not set(args.splits) <= set(range(len(splits))):
        parser.error(f"--splits: there are {len(splits)} splits, numbered 0 to {len(splits) - 1}")
    if args.report_only and not state.exists():
        parser.error(f"--report-only: no finished splits in {state}")
    if not args.resume and not args.report_only:
        state.unlink(missing_ok=True)
    results = cross_validate(documents, tag, splits, cfg["labels"], train_share=args.train_share, seed=cfg["seed"],
                             state=state, only=[] if args.report_only else args.splits, partial=args.report_only)
    if results is None:
        print(f"splits {args.splits} done; the reports follow when every split is in {state}")
        return 0
    covered = len(next(iter(results.values()))["folds"])
    command = command_line("scripts/cross_validate.py", argv)
    micro = None
    for variant, result in results.items():
        run = f"{name}-{variant}" if variant else name
        path = output.with_name(f"{output.stem}-{variant}.json") if variant else output
        result.update({"name": run, "command": command, "config": None if args.baseline else cfg,
                       "folds_k": "dev split" if args.dev else (len(splits) if covered == len(splits)
                                                                else f"{covered} of {len(splits)}"),
                       "train_share": args.train_share,
                       "documents": len(documents), "groups": len({d.fold_group for d in documents})})
        write_text_atomic(path, json.dumps(result, indent=1, ensure_ascii=False))
        write_text_atomic(path.with_suffix(".md"), cv_markdown(result, cfg["labels"]))
        score = result["pooled"]["micro"]["f1"] * 100
        micro = score if micro is None else micro
        print(f"{run}: pooled micro-F1 {score:.1f} (report: {path}, {path.with_suffix('.md')})")
    if args.record:
        path = Path(args.record)
        recorded = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        recorded[name] = {"micro_f1": round(micro, 2), "command": command}
        write_text_atomic(path, json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    if args.gate:
        recorded = json.loads(Path(args.gate).read_text(encoding="utf-8"))
        if name not in recorded:
            print(f"gate: no recorded value for {name!r} in {args.gate}", file=sys.stderr)
            return 1
        floor = recorded[name]["micro_f1"] - args.tolerance
        if micro < floor:
            print(f"gate FAILED: micro-F1 {micro:.1f} < recorded {recorded[name]['micro_f1']:.1f} - {args.tolerance}",
                  file=sys.stderr)
            return 1
        print(f"gate passed: {micro:.1f} ≥ {floor:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
