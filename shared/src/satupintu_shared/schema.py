"""JSON Schema for every public contract, generated from the pydantic models (one source of truth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .catalog import Catalog, CatalogApplied
from .envelope import ALL_TYPES


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of each event's data, by CloudEvents type, plus the catalog file schema."""
    schemas: dict[str, dict[str, Any]] = {}
    for event_type, model in sorted(ALL_TYPES.items()):
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"https://satupintu.id/schemas/{event_type}.json"
        schema["x-cloudevents-type"] = event_type
        schemas[event_type] = schema
    schemas["catalog"] = Catalog.model_json_schema()
    assert CatalogApplied.EVENT_TYPE in schemas
    return schemas


def write_json_schemas(directory: Path) -> list[Path]:
    """Write one ``<type>.json`` per schema into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
