"""Fine-tuning a token classifier on span-annotated documents: one loop for train.py and cross_validate.py."""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch
from safetensors import safe_open
from tqdm.auto import tqdm
from transformers import AutoModelForTokenClassification, get_linear_schedule_with_warmup

from zhaoshang_ner.checkpoint import load_checkpoint_weights, load_training_state, save_training_state
from zhaoshang_ner.documents import Document, write_text_atomic
from zhaoshang_ner.features import collate, training_rows
from zhaoshang_ner.labels import LABELS, bio_tags
from zhaoshang_ner.public_data import load_aux
from zhaoshang_ner.modeling import encoder_source, load_encoder_tokenizer, resolve_device, scratch_config


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def build_model(encoder: str | dict, tokenizer, labels: Sequence[str]) -> torch.nn.Module:
    """A token classifier over `labels`' BIO tags on a pretrained or scratch encoder.

    When the encoder is itself a token classifier (an auxiliary-stage model), classifier rows of
    tags it shares with `labels` are kept and the rest start fresh.
    """
    tags = bio_tags(tuple(labels))
    id2label = dict(enumerate(tags))
    label2id = {t: i for i, t in id2label.items()}
    path, spec = encoder_source(encoder)
    if spec is not None:
        config = scratch_config(spec, tokenizer)
        config.num_labels, config.id2label, config.label2id = len(tags), id2label, label2id
        return AutoModelForTokenClassification.from_config(config)
    model = AutoModelForTokenClassification.from_pretrained(
        path, num_labels=len(tags), id2label=id2label, label2id=label2id,
        ignore_mismatched_sizes=True, dtype=torch.float32,
    )
    source_labels = _classifier_labels(path)
    if source_labels:
        weight, bias = _classifier_tensors(path)
        with torch.no_grad():
            for tag, i in label2id.items():
                if tag in source_labels:
                    model.classifier.weight[i] = weight[source_labels[tag]]
                    model.classifier.bias[i] = bias[source_labels[tag]]
                else:  # fresh: with as many tags as the source, `from_pretrained` loaded its rows whole
                    model.classifier.weight[i].normal_(0.0, model.config.initializer_range)
                    model.classifier.bias[i] = 0.0
    return model


def _classifier_tensors(path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The source model's classifier weight and bias, read alone from its safetensors files."""
    found: dict[str, torch.Tensor] = {}
    for file in sorted(Path(path).glob("*.safetensors")):
        with safe_open(file, framework="pt") as handle:
            for key in ("classifier.weight", "classifier.bias"):
                if key in handle.keys():
                    found[key] = handle.get_tensor(key).float()
    if len(found) != 2:
        raise ValueError(f"{path}: config says token classifier, but no classifier.weight/bias in its safetensors")
    return found["classifier.weight"], found["classifier.bias"]


def _classifier_labels(path: str) -> dict[str, int]:
    config = Path(path) / "config.json"
    if not config.exists():
        return {}
    data = json.loads(config.read_text(encoding="utf-8"))
    if not any(a.endswith("ForTokenClassification") for a in data.get("architectures") or []):
        return {}
    return {tag: int(i) for i, tag in data.get("id2label", {}).items()}


@dataclass
class FitResult:
    model: torch.nn.Module
    tokenizer: object
    history: list[dict]


def fit(
    cfg: dict,
    documents: Sequence[Document],
    output_dir: Path | None = None,
    labels: Sequence[str] = LABELS,
    encoder: str | dict | None = None,
    evaluate: Callable[[torch.nn.Module, object], dict] | None = None,
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
    tokenizer = load_encoder_tokenizer(encoder, cfg.get("vocab"))
    model = build_model(encoder, tokenizer, labels).to(device)
    model.config.window_max_length, model.config.window_stride = cfg["max_length"], cfg["stride"]
    rows = training_rows(tokenizer, documents, model.config.label2id, cfg["max_length"], cfg["stride"])
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
            bar.set_postfix(loss=f"{loss.item():.4f}")
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
        best_dir = Path(output_dir) / "model"
        model = AutoModelForTokenClassification.from_pretrained(best_dir, dtype=torch.float32).to(device)
    return FitResult(model, tokenizer, history)


def save_model(model: torch.nn.Module, tokenizer, directory: Path) -> None:
    """`save_pretrained` as safetensors with tokenizer (and vocab.txt, which BERT tools expect)."""
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if not (tmp / "vocab.txt").exists():
        vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
        write_text_atomic(tmp / "vocab.txt", "".join(token + "\n" for token, _ in vocab))
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)


def aux_stage(cfg: dict, output_dir: Path, resume: bool) -> str:
    """Train the auxiliary stage (once; reused when its model exists) and return its model directory."""
    aux = cfg["aux"]
    model_dir = output_dir / "aux" / "model"
    if model_dir.exists() and (output_dir / "aux" / "DONE").exists():
        print(f"auxiliary stage: reusing {model_dir}")
        return str(model_dir)
    stage = {**cfg, **{k: aux[k] for k in ("epochs", "lr", "batch_size", "max_length") if k in aux}}
    documents = load_aux(aux, cfg["seed"])
    print(f"auxiliary stage: {len(documents):,} public sentences")
    fit(stage, documents, output_dir / "aux", labels=cfg["labels"], resume=resume, desc="aux")
    write_text_atomic(output_dir / "aux" / "DONE", "")
    return str(model_dir)
