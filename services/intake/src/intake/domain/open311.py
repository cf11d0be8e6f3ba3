"""Open311 GeoReport v2 mapping (pure): catalog → service definitions, form → submission, status → request."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from satupintu_shared.catalog import AttributeSpec, Catalog, Service

from .status import CLOSED

#: Open311 has no integer, boolean or date: they map to its nearest types.
DATATYPES = {
    "string": "string",
    "text": "text",
    "number": "number",
    "integer": "number",
    "boolean": "singlevaluelist",
    "date": "datetime",
    "singlevaluelist": "singlevaluelist",
}
APPLICANT_PARAMS = {"nik": "nik", "phone": "phone", "email": "email", "name": "first_name"}
LIST_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def service_entry(service: Service, group: str | None = None) -> dict[str, Any]:
    """A ``services`` list entry."""
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": bool(service.attributes),
        "type": "batch",
        "keywords": ",".join(service.keywords),
        "group": group or service.owning_level.value,
    }


def service_definition(service: Service) -> dict[str, Any]:
    """A ``services/{code}`` document: the attributes with Open311 datatypes."""
    return {
        "service_code": service.code,
        "attributes": [_attribute(spec, order) for order, spec in enumerate(service.attributes, start=1)],
    }


def _attribute(spec: AttributeSpec, order: int) -> dict[str, Any]:
    values = spec.values if spec.datatype == "singlevaluelist" else []
    if spec.datatype == "boolean":
        values = ["true", "false"]
    note = {"integer": "whole number", "date": "date as YYYY-MM-DD", "boolean": "true or false"}
    return {
        "variable": True,
        "code": spec.code,
        "datatype": DATATYPES[spec.datatype],
        "required": spec.required,
        "datatype_description": note.get(spec.datatype, ""),
        "order": order,
        "description": spec.description or spec.code,
        "values": [{"key": v, "name": v} for v in values],
    }


def form_to_submission(form: list[tuple[str, str]], region_code: str | None) -> dict[str, Any]:
    """An Open311 POST form as intake's submission document (``attribute[code]=value`` → attributes)."""
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for name, value in form:
        if name.startswith("attribute[") and name.endswith("]"):
            attributes[name[len("attribute[") : -1]] = value
        else:
            fields[name] = value
    name = " ".join(p for p in (fields.get("first_name", ""), fields.get("last_name", "")) if p).strip()
    applicant = {
        "nik": fields.get("nik"),
        "name": name or None,
        "phone": fields.get("phone") or None,
        "email": fields.get("email") or None,
    }
    parts = [fields.get("description", "")]
    if fields.get("address_string"):
        parts.append(f"Address: {fields['address_string']}")
    if fields.get("lat") and fields.get("long"):
        parts.append(f"Location: {fields['lat']},{fields['long']}")
    doc: dict[str, Any] = {
        "service_code": fields.get("service_code"),
        "region_code": region_code,
        "applicant": {k: v for k, v in applicant.items() if v is not None},
        "attributes": attributes,
        "description": "\n".join(p for p in parts if p)[:4000],
        "channel": "open311",
    }
    return {k: v for k, v in doc.items() if v is not None}


def param_of(pointer: str) -> str:
    """The Open311 parameter a JSON pointer of a submission refers to."""
    parts = pointer.strip("/").split("/")
    if parts[0] == "attributes" and len(parts) > 1:
        return f"attribute[{parts[1]}]"
    if parts[0] == "applicant" and len(parts) > 1:
        return APPLICANT_PARAMS.get(parts[1], parts[1])
    return parts[0] or "request"


def open311_status(status: str) -> str:
    """Open311's two statuses."""
    return "closed" if status in CLOSED else "open"


def statuses_for(filter_value: str | None) -> list[str] | None:
    """The SatuPintu statuses an Open311 ``status`` filter selects."""
    if filter_value == "closed":
        return sorted(CLOSED)
    if filter_value == "open":
        from satupintu_shared.events import RequestStatus

        return [s.value for s in RequestStatus if s.value not in CLOSED]
    return None


def services_of(catalog: Catalog) -> list[dict[str, Any]]:
    """Every catalog service as an Open311 ``services`` entry."""
    return [service_entry(s) for s in catalog.services]


def to_xml(root: str, item: str | None, value: Any) -> bytes:
    """Open311's XML: ``<root>`` of ``<item>`` elements, or one element for a document."""
    top = ET.Element(root)
    if item is not None:
        for entry in value:
            _fill(ET.SubElement(top, item), entry)
    else:
        _fill(top, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode").encode()


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _fill(ET.SubElement(element, key), sub)
    elif isinstance(value, list):
        tag = LIST_ITEMS.get(element.tag, "item")
        for sub in value:
            _fill(ET.SubElement(element, tag), sub)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
