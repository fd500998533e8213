#!/usr/bin/env python
"""Masked-language-model pretraining of the project's own Chinese encoder.

    python scripts/pretrain_encoder.py --config configs/encoder-small.yaml [--set key=value ...] [--resume]

Masking: random spans of 1..`max_span` characters (SpanBERT-style) rather than jieba whole-word
masking. The NER model tags characters, Chinese words are mostly 1-3 characters, and span masking
needs no segmenter (the GPU machine that runs the real pretraining has no jieba). 15 % of the
tokens are chosen; of those 80 % become [MASK], 10 % a random token, 10 % stay.

The corpus is checked for overlap with every evaluation article (any shared 20-character
substring aborts the run); the last `heldout_lines` lines are never trained on and give the
held-out MLM loss and accuracy that are logged every `eval_every` steps.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm
from transformers import BertConfig, BertForMaskedLM

from zhaoshang_ner.checkpoint import load_checkpoint_weights, load_training_state, save_training_state
from zhaoshang_ner.config import Section, load_config
from zhaoshang_ner.documents import write_text_atomic
from zhaoshang_ner.modeling import ENCODER_SIZE, resolve_device, save_model, scratch_config
from zhaoshang_ner.tokenization import load_tokenizer

SHINGLE = 20


def read_corpus(pattern: str) -> list[str]:
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no corpus files match {pattern}")
    lines: list[str] = []
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            lines.extend(line.strip() for line in handle if line.strip())
    return lines


def article_shingles(articles_dir: str | None) -> set[str]:
    shingles: set[str] = set()
    if articles_dir:
        for path in Path(articles_dir).rglob("*.txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            shingles.update(text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1))
    return shingles


_SHINGLES: set[str] = set()


def _init_shingles(shingles: set[str]) -> None:
    global _SHINGLES
    _SHINGLES = shingles


def _overlapping(lines: list[str]) -> list[str]:
    return [l for l in lines if any(l[i : i + SHINGLE] in _SHINGLES for i in range(len(l) - SHINGLE + 1))]


def assert_no_overlap(lines: list[str], shingles: set[str], workers: int) -> None:
    """Abort when any corpus line shares a 20-character substring with an evaluation article."""
    if not shingles:
        print("warning: no evaluation articles given; overlap not checked", file=sys.stderr)
        return
    chunks = [lines[i : i + 5000] for i in range(0, len(lines), 5000)]
    with Pool(workers, initializer=_init_shingles, initargs=(shingles,)) as pool:
        bad = [line for found in pool.imap_unordered(_overlapping, chunks) for line in found]
    if bad:
        raise SystemExit(f"corpus overlaps evaluation articles in {len(bad)} lines, e.g. {bad[0][:60]!r}")
    print(f"overlap check: {len(lines):,} corpus lines, 0 share a {SHINGLE}-character substring with the articles")


def pack(tokenizer, lines: list[str], seq_len: int) -> torch.Tensor:
    """Concatenate lines ([SEP] between them) and cut into `[CLS] … [SEP]` rows of `seq_len` tokens."""
    ids: list[int] = []
    for start in range(0, len(lines), 10000):
        for row in tokenizer(lines[start : start + 10000], add_special_tokens=False)["input_ids"]:
            ids.extend(row)
            ids.append(tokenizer.sep_token_id)
    body = seq_len - 2
    rows = len(ids) // body
    if rows == 0:
        raise ValueError(f"corpus too small for one sequence of {seq_len} tokens")
    data = torch.tensor(ids[: rows * body], dtype=torch.int32).view(rows, body)
    cls = torch.full((rows, 1), tokenizer.cls_token_id, dtype=torch.int32)
    sep = torch.full((rows, 1), tokenizer.sep_token_id, dtype=torch.int32)
    return torch.cat([cls, data, sep], dim=1)


def mask_spans(ids: torch.Tensor, tokenizer, probability: float, max_span: int, generator: torch.Generator):
    """Choose ≈`probability` of the non-special tokens in spans of 1..max_span; return (inputs, labels)."""
    device = ids.device
    special = (ids == tokenizer.cls_token_id) | (ids == tokenizer.sep_token_id) | (ids == tokenizer.pad_token_id)
    mean_span = (1 + max_span) / 2
    starts = torch.rand(ids.shape, generator=generator, device=device) < probability / mean_span
    lengths = torch.randint(1, max_span + 1, ids.shape, generator=generator, device=device)
    chosen = torch.zeros_like(starts)
    for offset in range(max_span):
        grow = starts & (lengths > offset)
        chosen[:, offset:] |= grow[:, : ids.shape[1] - offset]
    chosen &= ~special
    labels = torch.where(chosen, ids, torch.full_like(ids, -100)).long()
    draw = torch.rand(ids.shape, generator=generator, device=device)
    inputs = ids.clone().long()
    inputs[chosen & (draw < 0.8)] = tokenizer.mask_token_id
    randomise = chosen & (draw >= 0.8) & (draw < 0.9)
    random_ids = torch.randint(len(tokenizer), ids.shape, generator=generator, device=device)
    inputs[randomise] = random_ids[randomise]
    return inputs, labels


def mlm_loss(model: BertForMaskedLM, inputs: torch.Tensor, labels: torch.Tensor):
    """Loss and accuracy over masked positions only: vocabulary logits for every token would cost more than the encoder."""
    hidden = model.bert(input_ids=inputs).last_hidden_state
    selected = labels != -100
    logits = model.cls(hidden[selected]).float()
    targets = labels[selected]
    loss = F.cross_entropy(logits, targets)
    accuracy = (logits.argmax(-1) == targets).float().mean()
    return loss, accuracy


@torch.no_grad()
def evaluate(model, heldout: torch.Tensor, tokenizer, cfg, device, autocast) -> dict:
    model.eval()
    generator = torch.Generator(device=device).manual_seed(cfg["seed"] + 1)
    losses, accs = [], []
    for start in range(0, len(heldout), cfg["batch_size"]):
        ids = heldout[start : start + cfg["batch_size"]].to(device)
        inputs, labels = mask_spans(ids, tokenizer, cfg["mask_probability"], cfg["max_span"], generator)
        with autocast():
            loss, acc = mlm_loss(model, inputs, labels)
        losses.append(loss.item())
        accs.append(acc.item())
    model.train()
    return {"heldout_loss": sum(losses) / len(losses), "heldout_accuracy": sum(accs) / len(accs)}


def write_encoder_card(directory: Path, cfg: dict, config, metrics: dict, tokens_seen: int) -> None:
    """ENCODER.md: size from the model's own config (init_from sets it), provenance, held-out MLM scores."""
    init = cfg.get("init_from")
    licence = "weights Apache-2.0 (randomly initialised)."
    if init:
        source_card = Path(init) / "ENCODER.md"
        rows = [line for line in source_card.read_text(encoding="utf-8").splitlines()
                if "licen" in line.lower()] if source_card.exists() else []
        licence = (f"inherited from `{init}` (continued pretraining); its card says:\n\n"
                   + ("\n".join(rows) if rows else "(no ENCODER.md there: check that encoder's licence)"))
    card = f"""# Encoder: BERT {config.num_hidden_layers} layers, hidden {config.hidden_size}

Pretrained by `scripts/pretrain_encoder.py` with masked-language modelling (span masking,
{cfg['mask_probability']:.0%} of tokens, spans of 1–{cfg['max_span']} characters).

- Initialisation: {init or "random initialisation"}
- Size: {config.num_hidden_layers} layers, hidden {config.hidden_size}, {config.num_attention_heads} heads, intermediate {config.intermediate_size}
- Vocabulary: the standard 21,128-entry Chinese BERT WordPiece vocabulary
- Corpus: `../shared/corpus/` (Chinese news text, 38.6 M Han characters; the texts belong to their
  publishers and were used for research pretraining), checked for zero 20-character overlap with
  the evaluation articles; its last {cfg['heldout_lines']:,} lines held out
- Sequence length {cfg['max_seq_length']}, batch {cfg['batch_size']}, lr {cfg['lr']}, {tokens_seen:,} tokens seen
- Held-out MLM loss {metrics.get('heldout_loss', float('nan')):.4f}, accuracy {metrics.get('heldout_accuracy', float('nan')):.4f}

Licence: {licence}
"""
    write_text_atomic(directory / "ENCODER.md", card)


NONE = type(None)
SCHEMA = Section({
    "vocab": str, "corpus": str, "articles": (str, NONE), "init_from": (str, NONE), "encoder": ENCODER_SIZE,
    "max_seq_length": int, "mask_probability": float, "max_span": int, "batch_size": int, "lr": float,
    "warmup_ratio": float, "weight_decay": float, "epochs": int, "time_budget_minutes": (float, NONE),
    "heldout_lines": int, "eval_every": int, "save_every_minutes": float, "seed": int, "device": str,
    "output_dir": str,
})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--resume", action="store_true", help="continue from output_dir/checkpoint")
    parser.add_argument("--workers", type=int, default=4, help="processes for the overlap check")
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.overrides, SCHEMA)

    torch.manual_seed(cfg["seed"])
    device = resolve_device(cfg["device"])
    out = Path(cfg["output_dir"])
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "config.resolved.json", json.dumps(cfg, indent=2, ensure_ascii=False))

    tokenizer = load_tokenizer(cfg["init_from"] or cfg["vocab"])
    lines = read_corpus(cfg["corpus"])
    assert_no_overlap(lines, article_shingles(cfg.get("articles")), args.workers)
    heldout_lines, train_lines = lines[-cfg["heldout_lines"] :], lines[: -cfg["heldout_lines"]]
    train = pack(tokenizer, train_lines, cfg["max_seq_length"])
    heldout = pack(tokenizer, heldout_lines, cfg["max_seq_length"])[:512]
    print(f"corpus: {len(train_lines):,} lines → {train.numel():,} training tokens; held out {heldout.numel():,}")

    checkpoint = out / "checkpoint"
    if args.resume and checkpoint.exists():
        model = BertForMaskedLM(BertConfig.from_pretrained(checkpoint))
        load_checkpoint_weights(checkpoint, model)
    elif cfg["init_from"]:
        model = BertForMaskedLM.from_pretrained(cfg["init_from"])
    else:
        model = BertForMaskedLM(scratch_config(cfg["encoder"], tokenizer))
    model.to(device).train()
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    steps_per_epoch = len(train) // cfg["batch_size"]
    total_steps = max(1, steps_per_epoch * cfg["epochs"])
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if param.ndim < 2 else decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg["lr"],
        betas=(0.9, 0.98),
        eps=1e-6,
        fused=device.type == "cuda",
    )
    schedule = {"total": total_steps}
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / max(1, cfg["warmup_ratio"] * schedule["total"]),
                         max(0.0, (schedule["total"] - step) / max(1, (1 - cfg["warmup_ratio"]) * schedule["total"]))),
    )
    progress = {"step": 0, "tokens": 0, "total_steps": total_steps, "elapsed": 0.0}
    if args.resume and checkpoint.exists():
        progress = load_training_state(checkpoint, model, optimizer, scheduler)
        print(f"resumed at step {progress['step']}")
    schedule["total"] = progress["total_steps"]

    budget = cfg.get("time_budget_minutes")
    started, last_save = time.time() - progress["elapsed"], time.time()
    metrics_log = open(out / "metrics.jsonl", "a", encoding="utf-8")
    bar = tqdm(total=schedule["total"], initial=progress["step"], desc="mlm", unit="step")
    step_times: list[float] = []
    while progress["step"] < schedule["total"]:
        step = progress["step"]
        epoch, index = divmod(step, steps_per_epoch)
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(cfg["seed"] + epoch))
        batch = train[order[index * cfg["batch_size"] : (index + 1) * cfg["batch_size"]]].to(device, non_blocking=True)
        generator = torch.Generator(device=device).manual_seed(cfg["seed"] * 1_000_003 + step)
        inputs, labels = mask_spans(batch, tokenizer, cfg["mask_probability"], cfg["max_span"], generator)
        t0 = time.time()
        with autocast():
            loss, acc = mlm_loss(model, inputs, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        progress["step"] += 1
        progress["tokens"] += batch.numel()
        progress["elapsed"] = time.time() - started
        bar.update(1)
        if progress["step"] % 10 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{acc.item():.3f}", lr=f"{scheduler.get_last_lr()[0]:.2e}", refresh=False)
        if budget and len(step_times) < 30:
            step_times.append(time.time() - t0)
            if len(step_times) == 30:
                # Fit the schedule to the time budget once, from the measured step time; recorded for --resume.
                per_step = sorted(step_times)[15] * 1.05
                affordable = progress["step"] + int((budget * 60 - progress["elapsed"] - 60) / per_step)
                schedule["total"] = progress["total_steps"] = max(progress["step"] + 1, min(schedule["total"], affordable))
                bar.total = schedule["total"]
                print(f"\ntime budget {budget} min: {per_step*1000:.0f} ms/step → {schedule['total']} steps")
        if progress["step"] % cfg["eval_every"] == 0 or progress["step"] == schedule["total"]:
            record = {"step": progress["step"], "tokens": progress["tokens"], "train_loss": loss.item(),
                      "train_accuracy": acc.item(), "elapsed_s": round(progress["elapsed"], 1),
                      **evaluate(model, heldout, tokenizer, cfg, device, autocast)}
            metrics_log.write(json.dumps(record) + "\n")
            metrics_log.flush()
            tqdm.write(json.dumps(record))
        if time.time() - last_save > cfg["save_every_minutes"] * 60:
            save_training_state(checkpoint, model, optimizer, scheduler, progress)
            last_save = time.time()
    bar.close()
    final = evaluate(model, heldout, tokenizer, cfg, device, autocast)
    save_training_state(checkpoint, model, optimizer, scheduler, progress)
    encoder_dir = out / "encoder"
    save_model(model, tokenizer, encoder_dir)  # with vocab.txt, which BERT tools expect
    write_encoder_card(encoder_dir, cfg, model.config, final, progress["tokens"])
    print(json.dumps({"final": final, "steps": progress["step"], "tokens": progress["tokens"],
                      "tokens_per_s": progress["tokens"] / max(progress["elapsed"], 1e-9)}))


if __name__ == "__main__":
    main()
