"""Fine-tuning the token classifier on span-annotated documents: one loop for train.py, cross_validate.py
and the public benchmarks, and the schema of their configs."""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from zhaoshang_ner.augment import KINDS, noisy_copies
from zhaoshang_ner.checkpoint import load_checkpoint_weights, load_training_state, save_training_state
from zhaoshang_ner.config import ListOf, MapOf, OneOf, Section
from zhaoshang_ner.context import HEAD_POLICIES, MERGE_POLICIES, learn_heads, merge_pairs
from zhaoshang_ner.documents import Document, write_text_atomic
from zhaoshang_ner.features import collate, training_rows
from zhaoshang_ner.lexicon import Lexicon
from zhaoshang_ner.modeling import (
    ENCODER_SIZE,
    ZhaoshangNerModel,
    build_model,
    load_encoder_tokenizer,
    load_model,
    resolve_device,
    save_model,
)
from zhaoshang_ner.public_data import load_aux

NONE = type(None)
AUX_SET = Section({"name": str, "split": str, "label_map": (MapOf(str), NONE), "max_sentences": (int, NONE)})
AUX = Section({"datasets_dir": str, "epochs": int, "lr": float, "batch_size": int, "max_length": int,
               "sets": ListOf(AUX_SET)}, optional=True)
TRAIN_SCHEMA = Section({
    "encoder": (str, ENCODER_SIZE),  # a local BERT directory (or hub name), or a size spec for a scratch encoder
    "vocab": (str, NONE),
    "train_file": (str, ListOf(str)),
    "articles": str,
    "eval_file": (str, ListOf(str), NONE),
    "labels": ListOf(str),
    "max_length": int,
    "stride": int,
    "lr": float,
    "epochs": int,
    "batch_size": int,
    "warmup_ratio": float,
    "weight_decay": float,
    "seed": int,
    "device": str,
    "output_dir": str,
    "aux": AUX,
    "lexicon": (str, NONE),
    "feature_inject": str,
    "rule_labels": ListOf(str),
    "doc_consistency": bool,
    "region_roles": bool,
    "merge_touching": OneOf(MERGE_POLICIES),  # join touching spans that never touch in training (context.merge_pairs)
    "snap_heads": OneOf(tuple(HEAD_POLICIES)),  # extend names that cut their head word (context.snap_heads)
    # chance per training document of a noisy copy of each kind (zhaoshang_ner.augment)
    "augment": Section({kind: float for kind in KINDS}, optional=True),
})


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


@lru_cache(maxsize=4)
def load_lexicon(path: str) -> Lexicon:
    """A lexicon folder, loaded once per process (cross-validation fits many folds)."""
    return Lexicon.load(path)


def new_model(cfg: dict, encoder: str | dict, labels: Sequence[str], tokenizer) -> ZhaoshangNerModel:
    """The model a config describes, on `encoder` (a directory, or a size spec)."""
    return build_model(
        encoder, tokenizer, labels, max_length=cfg["max_length"], stride=cfg["stride"],
        rule_labels=[label for label in cfg.get("rule_labels", []) if label in labels],
        lexicon=load_lexicon(cfg["lexicon"]) if cfg.get("lexicon") else None,
        feature_inject=cfg.get("feature_inject", "input"),
    )


DECODING_KEYS = ("doc_consistency", "region_roles", "merge_touching", "snap_heads")  # decoding only, never training


def decoding_steps(cfg: dict, labels: Sequence[str], documents: Sequence[Document]) -> dict:
    """The document-level decoding steps a config asks for, as model-config fields; the merge pairs and
    head words are learnt from the training `documents` (scripts/set_decoding.py sets them on a trained model)."""
    merge = cfg.get("merge_touching", "none")
    return {"doc_consistency": cfg.get("doc_consistency", False), "region_roles": cfg.get("region_roles", False),
            "merge_pairs": [list(pair) for pair in merge_pairs(labels, documents, merge)] if merge != "none" else None,
            "snap_heads": learn_heads(labels, documents, cfg.get("snap_heads", "none")) or None}


@dataclass
class FitResult:
    model: ZhaoshangNerModel
    tokenizer: object
    history: list[dict]


def fit(
    cfg: dict,
    documents: Sequence[Document],
    output_dir: Path | None = None,
    labels: Sequence[str] | None = None,
    encoder: str | dict | None = None,
    evaluate: Callable[[ZhaoshangNerModel, object], dict] | None = None,
    resume: bool = False,
    desc: str = "train",
) -> FitResult:
    """Train on `documents`; with `output_dir`, checkpoint every epoch and keep the best (or last) model.

    `evaluate(model, tokenizer)` returns metrics with a `micro.f1` used to pick the best epoch;
    without it the last epoch is kept.
    """
    seed_everything(cfg["seed"])
    device = resolve_device(cfg.get("device", "auto"))
    encoder = encoder if encoder is not None else cfg["encoder"]
    labels = list(labels if labels is not None else cfg["labels"])
    tokenizer = load_encoder_tokenizer(encoder, cfg.get("vocab"))
    model = new_model(cfg, encoder, labels, tokenizer).to(device)
    for key, value in decoding_steps(cfg, labels, documents).items():
        setattr(model.config, key, value)
    if cfg.get("augment"):
        documents = [*documents, *noisy_copies(documents, cfg["augment"], cfg["seed"])]
    rows = training_rows(tokenizer, documents, model.config.label2id, cfg["max_length"], cfg["stride"], model.lexicon)
    if not rows:
        raise ValueError("no training windows: are the documents empty?")
    batch_size = cfg["batch_size"]
    steps_per_epoch = math.ceil(len(rows) / batch_size)
    total = steps_per_epoch * cfg["epochs"]
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=float(cfg["lr"]),
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg["warmup_ratio"] * total), total)
    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()

    history: list[dict] = []
    start_epoch, best = 0, -1.0
    checkpoint = Path(output_dir) / "checkpoint" if output_dir else None
    if resume and checkpoint and checkpoint.exists():
        load_checkpoint_weights(checkpoint, model)
        progress = load_training_state(checkpoint, model, optimizer, scheduler)
        start_epoch, best, history = progress["epoch"], progress["best"], progress["history"]
        print(f"resumed after epoch {start_epoch}")

    for epoch in range(start_epoch, cfg["epochs"]):
        model.train()
        order = list(range(len(rows)))
        random.Random(cfg["seed"] * 7919 + epoch).shuffle(order)
        bar = tqdm(range(0, len(order), batch_size), desc=f"{desc} epoch {epoch + 1}/{cfg['epochs']}", leave=False)
        losses = []
        t0 = time.time()
        for first in bar:
            batch = collate([rows[i] for i in order[first : first + batch_size]], tokenizer.pad_token_id)
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)  # the bar keeps its own pace (TQDM_MININTERVAL)
        record = {"epoch": epoch + 1, "train_loss": sum(losses) / len(losses), "seconds": round(time.time() - t0, 1)}
        if evaluate is not None:
            record["eval"] = evaluate(model, tokenizer)
        history.append(record)
        if output_dir:
            score = record["eval"]["micro"]["f1"] if evaluate is not None else epoch
            if score > best:
                best = score
                save_model(model, tokenizer, Path(output_dir) / "model")
            save_training_state(checkpoint, model, optimizer, scheduler,
                                {"epoch": epoch + 1, "best": best, "history": history})
            write_text_atomic(Path(output_dir) / "metrics.jsonl", "".join(json.dumps(h) + "\n" for h in history))
    if output_dir and (Path(output_dir) / "model").exists():
        model = load_model(Path(output_dir) / "model").to(device)
    return FitResult(model.eval(), tokenizer, history)


def aux_stage(cfg: dict, output_dir: Path, resume: bool) -> str:
    """Train the auxiliary stage (once; reused when its model exists) and return its model directory."""
    aux = cfg["aux"]
    model_dir = output_dir / "aux" / "model"
    if model_dir.exists() and (output_dir / "aux" / "DONE").exists():
        print(f"auxiliary stage: reusing {model_dir}")
        return str(model_dir)
    stage = {**cfg, **{k: aux[k] for k in ("epochs", "lr", "batch_size", "max_length") if k in aux}, "augment": None}
    documents = load_aux(aux, cfg["seed"])
    print(f"auxiliary stage: {len(documents):,} public sentences")
    fit(stage, documents, output_dir / "aux", labels=cfg["labels"], resume=resume, desc="aux")
    write_text_atomic(output_dir / "aux" / "DONE", "")
    return str(model_dir)
