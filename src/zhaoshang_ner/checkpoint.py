"""Resumable training state saved without pickle: tensors as safetensors, scalars as JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from zhaoshang_ner.documents import write_text_atomic

STATE_TENSORS = "training_state.safetensors"
STATE_JSON = "training_state.json"


def save_training_state(
    directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, progress: dict
) -> None:
    """Save model (sharded `save_pretrained`), optimizer moments, scheduler and progress atomically."""
    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, max_shard_size="15MB")
    names = {id(p): n for n, p in model.named_parameters()}
    tensors, steps = {}, {}
    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param)
            if not state:
                continue
            name = names[id(param)]
            for key, value in state.items():
                if key == "step":
                    steps[name] = float(value)
                else:
                    tensors[f"{key}/{name}"] = value.detach().contiguous().cpu()
    tensors["rng/cpu"] = torch.get_rng_state()  # dropout masks continue as if never interrupted
    save_file(tensors, tmp / STATE_TENSORS)
    sched = {k: v for k, v in scheduler.state_dict().items() if isinstance(v, (int, float, list))}
    write_text_atomic(tmp / STATE_JSON, json.dumps({"progress": progress, "steps": steps, "scheduler": sched}))
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)


def load_training_state(directory: Path, model: torch.nn.Module, optimizer, scheduler) -> dict:
    """Restore optimizer and scheduler saved by `save_training_state`; returns the saved progress.

    The model's weights are loaded by the caller (`from_pretrained(directory)`).
    """
    directory = Path(directory)
    meta = json.loads((directory / STATE_JSON).read_text(encoding="utf-8"))
    tensors = load_file(directory / STATE_TENSORS)
    device = next(model.parameters()).device
    for name, param in model.named_parameters():
        if name not in meta["steps"]:
            continue
        state = {"step": torch.tensor(meta["steps"][name])}
        for key, value in tensors.items():
            kind, _, pname = key.partition("/")
            if pname == name:
                state[kind] = value.to(device)
        optimizer.state[param] = state
    scheduler.load_state_dict({**scheduler.state_dict(), **meta["scheduler"]})
    for group, lr in zip(optimizer.param_groups, scheduler.get_last_lr()):
        group["lr"] = lr  # the optimizer holds the lr of the last scheduler step, not the initial one
    torch.set_rng_state(tensors["rng/cpu"])
    return meta["progress"]
