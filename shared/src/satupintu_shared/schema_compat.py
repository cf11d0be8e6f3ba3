"""Is a new version of the published JSON Schemas still readable by what was built on the previous one?

A reader written against the released schema breaks when a field it reads disappears, when a field
becomes required, or when a value it may receive or hold (a type, an enum member, a length, a range,
a pattern) is no longer allowed, e.g. when a consumer replays history written under the old schema.
Adding an optional field, widening a type or loosening a bound is fine. A breaking change gets a new
event type (``….v1`` → ``….v2``): the old type's schema may then go, the new one is not compared.

The released schemas are the committed copy in ``docs/schemas/baseline/`` (written by
``python -m satupintu_shared.contracts --release``); a test compares the generated schemas with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

Schema = Mapping[str, Any]

_UPPER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
# Dates are bounded with the ``format*`` keywords; ISO 8601 instants in UTC compare as strings.
_UPPER_TEXT = ("formatMaximum", "formatExclusiveMaximum")
_LOWER_TEXT = ("formatMinimum", "formatExclusiveMinimum")
_VERSIONED = re.compile(r"^(?P<base>.+)\.v(?P<version>\d+)$")
_MAX_DEPTH = 32


def breaking_changes(old: Schema, new: Schema, *, name: str = "") -> list[str]:
    """What in ``new`` breaks a reader of ``old`` (empty: compatible), each as ``name#/pointer: why``."""
    return list(_compare(old, new, old, new, name + "#", 0))


def breaking_changes_between(released: Mapping[str, Schema], current: Mapping[str, Schema]) -> list[str]:
    """Breaking changes of every released schema (by name, e.g. the CloudEvents type), allowing a type
    to be replaced by a higher version of itself."""
    problems: list[str] = []
    for name, old in sorted(released.items()):
        if name in current:
            problems.extend(breaking_changes(old, current[name], name=name))
        elif not _superseded(name, current):
            problems.append(f"{name}: removed without a newer version of the type")
    return problems


def load_schemas(directory: Path) -> dict[str, Schema]:
    """The ``*.json`` schemas in ``directory`` by name (the file name without ``.json``)."""
    return {p.name.removesuffix(".json"): json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))}


def _superseded(name: str, current: Mapping[str, Schema]) -> bool:
    match = _VERSIONED.match(name)
    if match is None:
        return False
    base, version = match["base"], int(match["version"])
    return any(
        (m := _VERSIONED.match(other)) is not None and m["base"] == base and int(m["version"]) > version
        for other in current
    )


def _compare(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, at: str, depth: int
) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    new_branches = {_kind(b): b for b in _branches(new, new_root)}
    for branch in _branches(old, old_root):
        kind = _kind(branch)
        match = new_branches.get(kind) or new_branches.get("any")
        if match is None and kind == "integer":
            match = new_branches.get("number")
        if match is None:
            yield f"{at}: type {kind!r} is no longer allowed"
            continue
        yield from _compare_same_kind(branch, match, old_root, new_root, at, depth)


def _compare_same_kind(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, at: str, depth: int
) -> Iterator[str]:
    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if new_values is not None and old_values is None:
        yield f"{at}: now restricted to the values {', '.join(sorted(map(str, new_values)))}"
    elif new_values is not None and old_values is not None and (lost := old_values - new_values):
        yield f"{at}: values no longer allowed: {', '.join(sorted(map(str, lost)))}"
    yield from _bounds(old, new, at)
    yield from _object(old, new, old_root, new_root, at, depth)
    if "items" in old or "items" in new:
        yield from _compare(
            old.get("items", {}), new.get("items", {}), old_root, new_root, at + "/items", depth + 1
        )


def _bounds(old: Schema, new: Schema, at: str) -> Iterator[str]:
    for key in (*_UPPER, *_UPPER_TEXT):
        if key in new and (key not in old or new[key] < old[key]):
            yield f"{at}: {key} tightened from {old.get(key, 'none')} to {new[key]}"
    for key in (*_LOWER, *_LOWER_TEXT):
        if key in new and (key not in old or new[key] > old[key]):
            yield f"{at}: {key} tightened from {old.get(key, 'none')} to {new[key]}"
    for key in ("pattern", "format"):
        if key in new and new[key] != old.get(key):
            yield f"{at}: {key} changed from {old.get(key, 'none')!r} to {new[key]!r}"


def _object(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, at: str, depth: int
) -> Iterator[str]:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for field, old_field in old_props.items():
        if field not in new_props:
            yield f"{at}/properties/{field}: removed"
        else:
            yield from _compare(
                old_field, new_props[field], old_root, new_root, f"{at}/properties/{field}", depth + 1
            )
    for field in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
        yield f"{at}/properties/{field}: newly required"


def _resolve(schema: Schema, root: Schema) -> Schema:
    seen = 0
    while "$ref" in schema and seen < _MAX_DEPTH:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        # Keywords next to a $ref (e.g. a description) apply too; they never loosen the target.
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _branches(schema: Schema, root: Schema) -> list[Schema]:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            rest = {k: v for k, v in schema.items() if k != key}
            return [b for option in schema[key] for b in _branches({**rest, **_resolve(option, root)}, root)]
    return [schema]


def _kind(schema: Schema) -> str:
    if "type" in schema:
        return str(schema["type"])
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else list(schema["enum"])
        kinds = {_json_type(v) for v in values}
        return kinds.pop() if len(kinds) == 1 else "any"
    if "properties" in schema:
        return "object"
    return "any"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "any")


def _allowed_values(schema: Schema) -> set[Any] | None:
    if "const" in schema:
        return {schema["const"]}
    if "enum" in schema:
        return set(schema["enum"])
    return None
