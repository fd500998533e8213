"""YAML run configurations with `--set key=value` overrides, checked against a typed schema at every depth.

A config file may extend another (`base: gold-only.yaml`); `--set aux.epochs=1` sets a nested key.
Every key is checked against the script's schema after merging and overriding, so a typo
(`--set aux.epocs=1`) or a wrong type (`--set epochs=two`) is an error naming the dotted key.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A config key that is unknown, missing or of the wrong type, named by its dotted path."""


@dataclass(frozen=True)
class Section:
    """A nested mapping with known keys; `optional` allows `null` (the section is off)."""

    fields: dict
    optional: bool = False


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class OneOf:
    """One of a few fixed values (a policy name)."""

    values: tuple


@dataclass(frozen=True)
class MapOf:
    """A mapping with free keys (e.g. a label map) whose values follow `value`."""

    value: Any


def _describe(spec: Any) -> str:
    if isinstance(spec, tuple):
        return " or ".join(_describe(s) for s in spec)
    if isinstance(spec, Section):
        return "a mapping" + (" or null" if spec.optional else "")
    if isinstance(spec, ListOf):
        return f"a list of {_describe(spec.item)}"
    if isinstance(spec, MapOf):
        return f"a mapping of {_describe(spec.value)}"
    if isinstance(spec, OneOf):
        return "one of " + ", ".join(map(repr, spec.values))
    return "null" if spec is type(None) else spec.__name__


def _matches(value: Any, spec: Any) -> bool:
    if isinstance(spec, tuple):
        return any(_matches(value, s) for s in spec)
    if isinstance(spec, Section):
        return isinstance(value, dict) or (spec.optional and value is None)
    if isinstance(spec, ListOf):
        return isinstance(value, list)
    if isinstance(spec, MapOf):
        return isinstance(value, dict)
    if isinstance(spec, OneOf):
        return isinstance(value, str) and value in spec.values
    if spec is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if spec is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, spec)


def check(config: Any, spec: Any, where: str = "") -> None:
    """Raise `ConfigError` at the first key that the schema does not know or whose value has the wrong type."""
    if not _matches(config, spec):
        raise ConfigError(f"{where or 'config'}: expected {_describe(spec)}, got {config!r}")
    options = spec if isinstance(spec, tuple) else (spec,)
    for option in options:
        if not _matches(config, option):
            continue
        if isinstance(option, Section) and isinstance(config, dict):
            for key, value in config.items():
                if key not in option.fields:
                    known = ", ".join(sorted(option.fields))
                    raise ConfigError(f"unknown key {where + '.' if where else ''}{key} (known here: {known})")
                check(value, option.fields[key], f"{where + '.' if where else ''}{key}")
        elif isinstance(option, ListOf):
            for k, item in enumerate(config):
                check(item, option.item, f"{where}[{k}]")
        elif isinstance(option, MapOf):
            for key, value in config.items():
                check(value, option.value, f"{where}.{key}")
        return


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
    """Set dotted keys (`aux.epochs=2`) in a nested dict; the schema check afterwards rejects unknown keys."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        parts = key.split(".")
        node = config
        for depth, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: {'.'.join(parts[: depth + 1])} is not a section")
        node[parts[-1]] = parse_value(raw)
    return config


def load_config(path: str | Path, overrides: list[str] | None = None, schema: Section | None = None) -> dict:
    """Read a YAML config (with the optional `base:` file it extends), apply overrides, check against `schema`."""
    config = _read(Path(path))
    apply_overrides(config, overrides or [])
    if schema is not None:
        check(config, schema)
    return config


def _read(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config file is a YAML mapping")
    base = config.pop("base", None)
    if base:
        merged = _read(path.parent / base)
        merged.update(config)
        config = merged
    return config


def command_line(script: str, argv: list[str] | None) -> str:
    """The command that produced a report, quoted so that it can be pasted into a shell and rerun."""
    return shlex.join(["python", script, *(argv if argv is not None else sys.argv[1:])])
