"""Resumable training state saved without pickle: tensors as safetensors shards, scalars as JSON.

Every shard stays under `MAX_SHARD_BYTES` (15 MB) so a checkpoint can travel through channels with a
per-file limit; a tensor larger than that (a word-embedding matrix, its Adam moments) is split by
rows across shards and joined again on load. `save_pretrained` cannot do this: it never splits a tensor.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from zhaoshang_ner.documents import write_text_atomic

MAX_SHARD_BYTES = 15 * 10**6
MODEL = "model"
STATE = "training_state"
STATE_JSON = "training_state.json"


_FILE_HEADER_BYTES = 16  # safetensors: 8-byte header length, header padded to a multiple of 8


def _stored_bytes(name: str, tensor: torch.Tensor) -> int:
    """Bytes a tensor takes in a safetensors file: its data plus an upper bound on its header entry
    (`"name":{"dtype":"F32","shape":[...],"data_offsets":[a,b]},` is about 70 bytes beyond the name)."""
    return tensor.numel() * tensor.element_size() + len(name.encode()) + 128


def save_sharded(tensors: dict[str, torch.Tensor], directory: Path, stem: str,
                 max_bytes: int = MAX_SHARD_BYTES) -> None:
    """Write `tensors` as `<stem>-NNNNN.safetensors` files of at most `max_bytes` each, plus `<stem>.index.json`.

    The limit covers each file's header too (counted generously per tensor). Tensors sharing storage
    (tied embeddings) are stored once and recorded as aliases.
    """
    directory = Path(directory)
    budget = max_bytes - _FILE_HEADER_BYTES
    pieces: dict[str, torch.Tensor] = {}
    parts: dict[str, list[str]] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    for key, tensor in tensors.items():
        tensor = tensor.detach().cpu()
        identity = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape), tensor.dtype)
        if tensor.numel() and identity in seen:
            aliases[key] = seen[identity]
            continue
        seen[identity] = key
        if tensor.dim() and _stored_bytes(key, tensor) > budget:
            room = budget - _stored_bytes(f"{key}#{len(tensor)}", tensor[:0])
            rows = max(1, room // (tensor[0].numel() * tensor.element_size()))
            parts[key] = [f"{key}#{i}" for i in range(-(-len(tensor) // rows))]
            for name, chunk in zip(parts[key], torch.split(tensor, rows)):
                pieces[name] = chunk.clone()
        else:
            pieces[key] = tensor.clone().contiguous()
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, piece in pieces.items():
        nbytes = _stored_bytes(name, piece)
        if shards[-1] and size + nbytes > budget:
            shards.append({})
            size = 0
        shards[-1][name] = piece
        size += nbytes
    files = [f"{stem}-{i:05d}.safetensors" for i in range(len(shards))]
    for file, shard in zip(files, shards):
        save_file(shard, directory / file)
    index = {"files": files, "parts": parts, "aliases": aliases}
    write_text_atomic(directory / f"{stem}.index.json", json.dumps(index, indent=1))


def load_sharded(directory: Path, stem: str) -> dict[str, torch.Tensor]:
    """The tensors written by `save_sharded`, split tensors joined and aliases restored."""
    directory = Path(directory)
    index = json.loads((directory / f"{stem}.index.json").read_text(encoding="utf-8"))
    pieces: dict[str, torch.Tensor] = {}
    for file in index["files"]:
        pieces.update(load_file(directory / file))
    tensors = {key: torch.cat([pieces.pop(name) for name in names]) for key, names in index["parts"].items()}
    tensors.update(pieces)
    tensors.update({key: tensors[target] for key, target in index["aliases"].items()})
    return tensors


def save_training_state(
    directory: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, progress: dict
) -> None:
    """Save config, model weights, optimizer moments, scheduler and progress atomically, in shards."""
    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.config.save_pretrained(tmp)
    save_sharded(model.state_dict(), tmp, MODEL)
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
                    tensors[f"{key}/{name}"] = value
    tensors["rng/cpu"] = torch.get_rng_state()  # dropout masks continue as if never interrupted
    save_sharded(tensors, tmp, STATE)
    sched = {k: v for k, v in scheduler.state_dict().items() if isinstance(v, (int, float, list))}
    write_text_atomic(tmp / STATE_JSON, json.dumps({"progress": progress, "steps": steps, "scheduler": sched}))
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)


def load_checkpoint_weights(directory: Path, model: torch.nn.Module) -> None:
    """Load the model weights of a checkpoint into `model` (built from the checkpoint's config.json)."""
    model.load_state_dict(load_sharded(directory, MODEL))


def load_training_state(directory: Path, model: torch.nn.Module, optimizer, scheduler) -> dict:
    """Restore optimizer and scheduler saved by `save_training_state`; returns the saved progress.

    The model's weights are loaded first by the caller (`load_checkpoint_weights`).
    """
    directory = Path(directory)
    meta = json.loads((directory / STATE_JSON).read_text(encoding="utf-8"))
    tensors = load_sharded(directory, STATE)
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
