"""The intermediate stage: one encoder learns every public NER set and Baidu LAC's silver tasks at once,
one head per task with the task's own labels (nothing is mapped to `O`), then hands the encoder (and its
lexicon embedding) to the gold fine-tuning.

Sampling rule: each step trains one task on one batch; task `t` is drawn with probability proportional
to `n_t ** (1 / temperature)` (`n_t` its training sentences; temperature 2 by default), so MSRA's 45,000
sentences do not drown Weibo's 1,350, and the silver tasks, capped by `silver.max_lines`, weigh as one
large set each. A batch is a run of sentences of similar length drawn from a random pool, so little of
it is padding. Sized for a 2-core CPU: a step budget and a time budget, a checkpoint every few minutes
(exact resume: weights, optimiser, schedule, step and sampler state), a progress bar with throughput
and ETA.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from zhaoshang_ner.checkpoint import load_checkpoint_weights, load_training_state, save_training_state
from zhaoshang_ner.config import ListOf, Section
from zhaoshang_ner.documents import Document, write_text_atomic
from zhaoshang_ner.features import collate, training_rows
from zhaoshang_ner.labels import bio_tags
from zhaoshang_ner.modeling import (
    ENCODER_SIZE,
    ZhaoshangNerModel,
    build_model,
    load_encoder_tokenizer,
    resolve_device,
    save_model,
)
from zhaoshang_ner.public_data import load_public
from zhaoshang_ner.silver import NER_TAGS, load_lac_silver
from zhaoshang_ner.training import load_lexicon, seed_everything

NONE = type(None)
PUBLIC_TASK = Section({"name": str, "train": str, "dev": (str, NONE), "dev_from_train": (int, NONE),
                       "test": (str, NONE)})
SCHEMA = Section({
    "encoder": (str, ENCODER_SIZE), "vocab": (str, NONE), "lexicon": (str, NONE), "feature_inject": str,
    "datasets_dir": str, "public": ListOf(PUBLIC_TASK),
    "silver": Section({"cache": str, "corpus": str, "articles": str, "max_lines": int}, optional=True),
    "temperature": float, "max_length": int, "batch_size": int, "lr": float, "warmup_ratio": float,
    "weight_decay": float, "max_steps": int, "time_budget_minutes": (float, NONE), "eval_every": int,
    "save_every_minutes": float, "seed": int, "device": str, "output_dir": str, "head": str,
})


@dataclass
class Task:
    name: str
    labels: list[str]
    train: list[Document]
    dev: list[Document]
    test: list[Document]


def load_tasks(cfg: dict) -> list[Task]:
    """The public sets (own labels; a dev split cut from train where a set has none) and the silver tasks."""
    tasks = []
    for entry in cfg["public"]:
        train = load_public(cfg["datasets_dir"], entry["name"], entry["train"])
        dev = load_public(cfg["datasets_dir"], entry["name"], entry["dev"]) if entry.get("dev") else []
        if entry.get("dev_from_train"):
            shuffled = random.Random(cfg["seed"]).sample(train, len(train))
            dev, train = shuffled[: entry["dev_from_train"]], shuffled[entry["dev_from_train"] :]
        test = load_public(cfg["datasets_dir"], entry["name"], entry["test"]) if entry.get("test") else []
        labels = sorted({span.label for doc in train for span in doc.entities})
        tasks.append(Task(entry["name"], labels, train, dev, test))
    if cfg.get("silver"):
        silver = cfg["silver"]
        gold_paragraphs = {json.loads(line)["text"] for line in
                           open(Path(silver["articles"]) / "corpus-paragraphs.jsonl", encoding="utf-8")}
        pos, ner = load_lac_silver(silver["cache"], silver["corpus"], silver["max_lines"], cfg["seed"],
                                   exclude=gold_paragraphs)
        cut = max(1, len(pos) // 50)
        pos_labels = sorted({span.label for doc in pos for span in doc.entities})
        tasks.append(Task("lac_pos", pos_labels, pos[cut:], pos[:cut], []))
        tasks.append(Task("lac_ner", list(NER_TAGS), ner[cut:], ner[:cut], []))
    return tasks


def sampling_weights(tasks: Sequence[Task], temperature: float) -> list[float]:
    raw = [len(task.train) ** (1.0 / temperature) for task in tasks]
    return [r / sum(raw) for r in raw]


class MultiTaskModel(nn.Module):
    """The project's model (encoder, lexicon embedding, and the `head` task's classifier) plus one
    classifier per other task, all on the same encoder states."""

    def __init__(self, base: ZhaoshangNerModel, tasks: Sequence[Task], head: str):
        super().__init__()
        self.base, self.head = base, head
        hidden = base.config.hidden_size
        self.heads = nn.ModuleDict({task.name: nn.Linear(hidden, 2 * len(task.labels) + 1)
                                    for task in tasks if task.name != head})
        for layer in self.heads.values():
            layer.weight.data.normal_(0.0, base.config.initializer_range)
            layer.bias.data.zero_()

    @property
    def config(self):
        """The base model's config (checkpoints save it)."""
        return self.base.config

    def logits(self, task: str, batch: dict) -> torch.Tensor:
        states = self.base.encode(batch["input_ids"], batch["attention_mask"],
                                  lexicon_features=batch.get("lexicon_features"))
        classifier = self.base.classifier if task == self.head else self.heads[task]
        return classifier(self.base.dropout(states))

    def loss(self, task: str, batch: dict) -> torch.Tensor:
        logits = self.logits(task, batch)
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch["labels"].reshape(-1),
                                           ignore_index=-100)


POOL = 8  # a batch is a run of similar lengths among POOL x batch_size random sentences: little padding


def batch_of_similar_length(documents: Sequence[Document], size: int, rng: random.Random) -> list[Document]:
    pool = sorted(rng.sample(documents, min(POOL * size, len(documents))), key=lambda d: len(d.text))
    start = rng.randrange(0, max(1, len(pool) - size + 1))
    return pool[start : start + size]


def task_rows(task: Task, docs: Sequence[Document], tokenizer, lexicon, max_length: int):
    label2id = {tag: i for i, tag in enumerate(bio_tags(tuple(task.labels)))}
    return training_rows(tokenizer, docs, label2id, max_length, max_length // 8, lexicon)


EVAL_LENGTH = 256  # evaluation windows: every test sentence but a handful fits in one


@torch.no_grad()
def evaluate_task(model: MultiTaskModel, task: Task, docs: Sequence[Document], tokenizer, lexicon, device) -> dict:
    """Strict span F1 of a task's head on whole documents: constrained Viterbi over each window's tags
    (a longer sentence's windows overlap; each token is taken from the window where it sits deepest)."""
    import numpy as np

    from zhaoshang_ner.alignment import token_tags_to_spans, tokenize
    from zhaoshang_ner.metrics import entity_scores
    from zhaoshang_ner.predictor import valid_transitions, viterbi_many
    from zhaoshang_ner.windows import owner_windows

    model.eval()
    tags = bio_tags(tuple(task.labels))
    allowed = valid_transitions(tags).numpy()
    predicted = []
    for first in range(0, len(docs), 64):
        chunk = docs[first : first + 64]
        rows = task_rows(task, chunk, tokenizer, lexicon, EVAL_LENGTH)
        by_doc: dict[int, list] = {}
        for start in range(0, len(rows), 64):
            part = rows[start : start + 64]
            batch = {k: v.to(device) for k, v in collate(part, tokenizer.pad_token_id).items()}
            log_probs = model.logits(task.name, batch).float().log_softmax(-1).cpu().numpy()
            for row, row_log_probs in zip(part, log_probs):
                by_doc.setdefault(row.doc_index, []).append((row, row_log_probs[1 : len(row.input_ids) - 1]))
        tokens = [tokenize(tokenizer, doc.text) for doc in chunk]
        merged = []
        for index, doc_tokens in enumerate(tokens):
            windows = by_doc.get(index, [])
            owners = owner_windows([row.window for row, _ in windows], len(doc_tokens.offsets))
            merged.append(np.stack([windows[w][1][p] for w, p in owners]) if doc_tokens.offsets
                          else np.zeros((0, len(tags))))
        for doc_tokens, ids in zip(tokens, viterbi_many(merged, allowed)):
            predicted.append(token_tags_to_spans(doc_tokens, [tags[i] for i in ids]) if doc_tokens.offsets else [])
    model.train()
    scores = entity_scores(list(docs), predicted)
    return {"micro_f1": scores["micro"]["f1"], "scores": scores}


def train_multitask(cfg: dict, resume: bool = False, command: str = "") -> dict:
    """Run the stage; writes `output_dir/model` (the project's model: encoder, lexicon embedding and the
    `head` task's classifier), checkpoints, `metrics.jsonl` and `results.json` (dev and test F1 per task)."""
    seed_everything(cfg["seed"])
    device = resolve_device(cfg["device"])
    out = Path(cfg["output_dir"])
    out.mkdir(parents=True, exist_ok=True)
    tasks = load_tasks(cfg)
    by_name = {task.name: task for task in tasks}
    if cfg["head"] not in by_name:
        raise ValueError(f"head {cfg['head']!r} is not one of the tasks {sorted(by_name)}")
    weights = sampling_weights(tasks, cfg["temperature"])
    tokenizer = load_encoder_tokenizer(cfg["encoder"], cfg.get("vocab"))
    lexicon = load_lexicon(cfg["lexicon"]) if cfg.get("lexicon") else None
    base = build_model(cfg["encoder"], tokenizer, by_name[cfg["head"]].labels, max_length=cfg["max_length"],
                       stride=cfg["max_length"] // 8, rule_labels=[], lexicon=lexicon,
                       feature_inject=cfg["feature_inject"])
    model = MultiTaskModel(base, tasks, cfg["head"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    total = cfg["max_steps"]
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg["warmup_ratio"] * total), total)
    checkpoint, step, history = out / "checkpoint", 0, []
    if resume and checkpoint.exists():
        load_checkpoint_weights(checkpoint, model)
        state = load_training_state(checkpoint, model, optimizer, scheduler)
        step, history = state["step"], state["history"]
        print(f"resumed at step {step}")
    describe = ", ".join(f"{t.name} {len(t.train):,} ({w:.0%})" for t, w in zip(tasks, weights))
    print(f"tasks (training sentences, share of steps): {describe}")

    def save(final: bool = False) -> None:
        save_training_state(checkpoint, model, optimizer, scheduler, {"step": step, "history": history})
        write_text_atomic(out / "metrics.jsonl", "".join(json.dumps(h) + "\n" for h in history))
        if final:
            save_model(model.base, tokenizer, out / "model")

    started, saved_at, tokens = time.monotonic(), time.monotonic(), 0
    budget = cfg["time_budget_minutes"] * 60 if cfg.get("time_budget_minutes") else math.inf
    bar = tqdm(total=total, initial=step, desc="multitask", unit="step", dynamic_ncols=True)
    model.train()
    losses: dict[str, list[float]] = {}
    while step < total and time.monotonic() - started < budget:
        rng = random.Random(cfg["seed"] * 1_000_003 + step)  # the sampler's state is the step: exact resume
        task = rng.choices(tasks, weights)[0]
        docs = batch_of_similar_length(task.train, cfg["batch_size"], rng)
        rows = task_rows(task, docs, tokenizer, lexicon, cfg["max_length"])[: cfg["batch_size"]]
        batch = {k: v.to(device) for k, v in collate(rows, tokenizer.pad_token_id).items()}
        loss = model.loss(task.name, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens += int(batch["attention_mask"].sum())
        losses.setdefault(task.name, []).append(loss.item())
        bar.update()
        bar.set_postfix_str(f"{tokens / (time.monotonic() - started):,.0f} tok/s {task.name} {loss.item():.3f}", refresh=False)
        if step % cfg["eval_every"] == 0 or step == total:
            record = {"step": step, "minutes": round((time.monotonic() - started) / 60, 1),
                      "loss": {name: sum(v) / len(v) for name, v in losses.items()},
                      "dev_f1": {t.name: round(evaluate_task(model, t, t.dev[:500], tokenizer, lexicon,
                                                             device)["micro_f1"], 4)
                                 for t in tasks if t.dev}}
            history.append(record)
            losses = {}
            tqdm.write(json.dumps(record))
        if time.monotonic() - saved_at > cfg["save_every_minutes"] * 60:
            save()
            saved_at = time.monotonic()
    bar.close()
    save(final=True)
    results = {"command": command, "steps": step, "history": history, "tasks": {}}
    for task in tasks:
        entry = {"labels": task.labels, "train_sentences": len(task.train)}
        for split, docs in (("dev", task.dev), ("test", task.test)):
            if docs:
                entry[split] = evaluate_task(model, task, docs, tokenizer, lexicon, device)
        results["tasks"][task.name] = entry
    write_text_atomic(out / "results.json", json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    write_text_atomic(out / "model" / "ENCODER.md", encoder_card(cfg, tasks, weights, results))
    return results


DATA_LICENCES = {  # as ../shared/ner-datasets/README.md states them
    "msra": "SIGHAN 2006 bakeoff data (repository Apache-2.0)", "cluener": "no licence stated (cite CLUENER2020)",
    "boson": "no licence stated (BosonNLP release)", "resume": "no licence stated (cite Zhang & Yang 2018)",
    "weibo": "annotations CC BY-SA 3.0, texts under Weibo's terms", "peoples_daily": "no licence stated",
    "lac_pos": "Baidu LAC (Apache-2.0) tags over ../shared/corpus (texts belong to their publishers)",
    "lac_ner": "Baidu LAC (Apache-2.0) tags over ../shared/corpus (texts belong to their publishers)",
}


def write_card(cfg: dict) -> None:
    """Write the card of a finished run from its results.json (tasks reloaded for their sizes)."""
    out = Path(cfg["output_dir"])
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    tasks = load_tasks(cfg)
    write_text_atomic(out / "model" / "ENCODER.md", encoder_card(cfg, tasks, sampling_weights(tasks, cfg["temperature"]),
                                                                 results))


def silver_note(cfg: dict) -> str:
    """Which corpus lines the silver tasks came from (a partial `silver_lac.py --max-lines` run is usable)."""
    silver = cfg.get("silver")
    if not silver:
        return ""
    return (f" The LAC tasks are a seeded sample of {silver['max_lines']:,} corpus lines (at least 10 characters, "
            f"no gold paragraph) from the lines `scripts/silver_lac.py` labelled in `{silver['cache']}`.")


def encoder_card(cfg: dict, tasks: Sequence[Task], weights: Sequence[float], results: dict) -> str:
    """The intermediate encoder's card: where it starts, what it learned, how it scores, and the licences."""
    rows = ["| task | labels | training sentences | share of steps | dev F1 | test F1 | data and licence |",
            "|---|---|---:|---:|---:|---:|---|"]
    for task, weight in zip(tasks, weights):
        entry = results["tasks"][task.name]
        score = lambda split: f"{100 * entry[split]['micro_f1']:.1f}" if split in entry else "–"
        rows.append(f"| {task.name} | {len(task.labels)} | {len(task.train):,} | {100 * weight:.0f} % | "
                    f"{score('dev')} | {score('test')} | {DATA_LICENCES.get(task.name, '')} |")
    return f"""# Intermediate encoder: multi-task on public NER sets and LAC silver labels

Made by `scripts/train_multitask.py` (`zhaoshang_ner.multitask`): the encoder `{cfg['encoder']}` with the
lexicon features of `{cfg['lexicon']}` ({cfg['feature_inject']} side) learns every task below at once, one
classifier head per task with the task's own labels; task t is drawn per step with probability
∝ n_t^(1/{cfg['temperature']:g}). {results['steps']:,} steps of {cfg['batch_size']} sentences (windows of
{cfg['max_length']} tokens), lr {cfg['lr']:g}. The classifier saved here is the `{cfg['head']}` head; gold
fine-tuning replaces it. Command: `{results['command']}`.{silver_note(cfg)}

Strict entity-level F1 of each task's own head (the whole test set where a split exists; dev splits
are the sets' own, or held out from train as the config says):

{chr(10).join(rows)}

Licence: the weights start from `{cfg['encoder']}` (see its card) and were trained on the data above,
each under the terms stated there; the lexicon is documented in `lexicon/lexicon.json`.
"""
