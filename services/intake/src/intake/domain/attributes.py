"""Checks a service's own fields (``attributes``) against its ``AttributeSpec`` list from the catalog."""

from __future__ import annotations

import datetime as dt
from typing import Any

from satupintu_shared.catalog import AttributeSpec, Service

from .bounds import MAX_DATE, MAX_SAFE_INTEGER, MIN_DATE, bounded_date, token
from .messages import FieldError

_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def check_attributes(
    raw: dict[str, Any], service: Service, *, pointer: str, lenient: bool, max_text: int = 4000
) -> tuple[dict[str, Any], list[FieldError]]:
    """Typed attribute values and the errors; ``lenient`` accepts strings for every type (form posts).

    A text value may have ``max_text`` characters unless its ``AttributeSpec.max_length`` says otherwise
    (the catalog's per-attribute override, larger or smaller)."""
    specs = {spec.code: spec for spec in service.attributes}
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for code in raw:
        if code not in specs:
            errors.append(
                FieldError(
                    f"{pointer}/{token(code)}", "unknown_attribute", {"service": service.code, "code": code}
                )
            )
    for code, spec in specs.items():
        where = f"{pointer}/{code}"
        value = raw.get(code)
        if value is None or (lenient and value == ""):
            if spec.required:
                errors.append(FieldError(where, "required"))
            continue
        typed, error = _typed(spec, value, lenient, max_text)
        if error:
            errors.append(FieldError(where, error[0], error[1]))
        else:
            values[code] = typed
    return values, errors


def _typed(
    spec: AttributeSpec, value: Any, lenient: bool, max_text: int
) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    kind = spec.datatype
    if kind in ("string", "text", "singlevaluelist"):
        if not isinstance(value, str):
            return None, ("type_string", {})
        limit = spec.max_length if spec.max_length is not None else max_text
        if len(value) > limit:
            return None, ("too_long", {"max": limit})
        if kind == "singlevaluelist" and spec.values and value not in spec.values:
            return None, ("not_in_values", {"values": ", ".join(spec.values)})
        return value, None
    if kind == "boolean":
        if isinstance(value, bool):
            return value, None
        if lenient and isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE, None
        return None, ("type_boolean", {})
    if kind in ("integer", "number"):
        return _number(value, integer=kind == "integer", lenient=lenient)
    # date
    if isinstance(value, str) and len(value) <= 32:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return None, ("type_date", {})
        if not bounded_date(day):
            return None, ("out_of_range", {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()})
        return day.isoformat(), None
    return None, ("type_date", {})


def _number(value: Any, *, integer: bool, lenient: bool) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    code = "type_integer" if integer else "type_number"
    if isinstance(value, str) and lenient:
        if len(value) > 40:
            return None, ("number_too_long", {"max": 40})
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            return None, (code, {})
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, (code, {})
    if integer and isinstance(value, float):
        if not value.is_integer():
            return None, (code, {})
        value = int(value)
    if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
        return None, (code, {})
    if abs(value) > MAX_SAFE_INTEGER:
        return None, ("out_of_range", {"min": -MAX_SAFE_INTEGER, "max": MAX_SAFE_INTEGER})
    return value, None
