"""Open311 mapping: forms become submissions, catalog attributes get Open311 datatypes, XML is well formed."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from intake.domain.open311 import form_to_submission, param_of, service_definition, to_xml
from tests.integration.intake.catalog_fixture import CATALOG, KTP


def test_a_form_becomes_a_submission_document() -> None:
    form = [
        ("service_code", KTP),
        ("nik", "3273010101900001"),
        ("first_name", "Budi"),
        ("last_name", "S"),
        ("attribute[reason]", "lost"),
        ("address_string", "Jl. A"),
        ("lat", "-6.9"),
        ("long", "107.6"),
    ]
    doc = form_to_submission(form, "32.73.01")
    assert doc["applicant"] == {"nik": "3273010101900001", "name": "Budi S"}
    assert doc["attributes"] == {"reason": "lost"}
    assert doc["description"] == "Address: Jl. A\nLocation: -6.9,107.6"
    assert (
        param_of("/attributes/reason") == "attribute[reason]" and param_of("/applicant/name") == "first_name"
    )


def test_service_definitions_use_open311_datatypes_and_render_as_xml() -> None:
    service = CATALOG.service(KTP)
    assert service is not None
    definition = service_definition(service)
    kinds = {a["code"]: a["datatype"] for a in definition["attributes"]}
    assert kinds == {
        "reason": "singlevaluelist",
        "copies": "number",
        "urgent": "singlevaluelist",
        "note": "string",
        "lost_on": "datetime",
    }
    xml = ET.fromstring(to_xml("service_definition", None, definition))
    assert [v.text for v in xml.findall("attributes/attribute/values/value/key")][:2] == ["lost", "damaged"]
