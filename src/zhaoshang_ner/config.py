"""YAML run configurations with `--set key=value` overrides, as the training scripts take them."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import yaml


def parse_value(raw: str) -> Any:
    """`--set` values are YAML scalars: `3` → int, `1e-4` → float, `null` → None, `[a, b]` → list."""
    value = yaml.safe_load(raw)
    if isinstance(value, str):
        try:
            return float(value)  # YAML 1.1 reads `1e-4` as a string
        except ValueError:
            return value
    return value


def apply_overrides(config: dict, overrides: list[str]) -> dict:
    """Set dotted keys (`aux.epochs=2`) in a nested dict; unknown top-level keys are an error."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects key=value, got {item!r}")
        parts = key.split(".")
        node = config
        if parts[0] not in config:
            raise KeyError(f"--set {key}: unknown key {parts[0]!r} (known: {', '.join(sorted(config))})")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise KeyError(f"--set {key}: {part!r} is not a section")
        node[parts[-1]] = parse_value(raw)
    return config


def load_config(path: str | Path, overrides: list[str] | None = None) -> dict:
    """Read a YAML config (with optional `base:` file it extends) and apply overrides."""
    path = Path(path)
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    base = config.pop("base", None)
    if base:
        merged = load_config(path.parent / base)
        merged.update(config)
        config = merged
    return apply_overrides(config, overrides or [])


def resolve_path(value: str | None, relative_to: Path) -> str | None:
    """Config paths are relative to the repository root (where the scripts run from) unless absolute."""
    if value is None:
        return None
    candidate = Path(value)
    return str(candidate if candidate.is_absolute() else (relative_to / candidate))


def command_line(script: str, argv: list[str] | None) -> str:
    """The command that produced a report, quoted so that it can be pasted into a shell and rerun."""
    return shlex.join(["python", script, *(argv if argv is not None else sys.argv[1:])])
