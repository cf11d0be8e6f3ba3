"""The published contracts (docs/asyncapi.yaml, docs/schemas/) are generated from the code and in sync."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from satupintu_shared.contracts import PUBLIC_TOPICS, asyncapi_document, stale_contracts, write_contracts
from satupintu_shared.events import AGENCY_MESSAGES, LIFECYCLE_EVENTS, StatusReported
from satupintu_shared.topics import Topics

DOCS = Path(__file__).resolve().parents[3] / "docs"
REGENERATE = "uv run python -m satupintu_shared.contracts"


def test_the_committed_contracts_match_the_models() -> None:
    problems = stale_contracts(DOCS)
    assert not problems, (
        f"docs/asyncapi.yaml or docs/schemas/ are out of date with the models: run `{REGENERATE}` "
        "and commit the result.\n\n" + "\n\n".join(problems)
    )


def test_a_model_change_without_regenerating_is_detected(tmp_path: Path) -> None:
    write_contracts(tmp_path)
    schema = tmp_path / "schemas" / f"{StatusReported.EVENT_TYPE}.json"
    edited = json.loads(schema.read_text())
    edited["properties"]["officer_rank"] = {"type": "string"}
    schema.write_text(json.dumps(edited))
    (tmp_path / "schemas" / "id.satupintu.removed.v1.json").write_text("{}")

    problems = stale_contracts(tmp_path)

    assert any("officer_rank" in p for p in problems)
    assert any("id.satupintu.removed.v1.json is no longer generated" in p for p in problems)


def test_every_public_topic_is_a_channel_with_one_message_per_event_type() -> None:
    doc = asyncapi_document()
    addresses = {c["address"] for c in doc["channels"].values()}
    topics = Topics()
    assert addresses == {
        topics.inbox("{agency_code}"),
        topics.status("{agency_code}"),
        topics.agency_submissions("{agency_code}"),
        topics.submissions,
        topics.lifecycle,
    }
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == {m.EVENT_TYPE for m in (*AGENCY_MESSAGES, *LIFECYCLE_EVENTS)}
    assert doc["asyncapi"].startswith("3.")


def test_agency_channels_say_what_the_agency_does_and_take_the_agency_code() -> None:
    doc = asyncapi_document()
    actions = {
        doc["operations"][name]["channel"]["$ref"]: op["action"] for name, op in doc["operations"].items()
    }
    assert actions["#/channels/agencyInbox"] == "receive"
    assert actions["#/channels/agencyStatus"] == "send"
    assert actions["#/channels/intakeSubmissions"] == "send"
    assert actions["#/channels/agencySubmissions"] == "send"
    assert actions["#/channels/requestLifecycle"] == "receive"
    assert "agency_code" in doc["channels"]["agencyStatus"]["parameters"]


def test_every_client_is_told_to_authenticate_with_scram() -> None:
    doc = asyncapi_document()
    [server] = doc["servers"].values()
    [scheme] = server["security"]
    name = scheme["$ref"].rsplit("/", 1)[-1]
    assert doc["components"]["securitySchemes"][name]["type"] == "scramSha512"


def test_every_message_documents_its_cloudevents_headers() -> None:
    doc = asyncapi_document()
    headers = doc["components"]["schemas"]["CloudEventHeaders"]
    assert {"ce_specversion", "ce_id", "ce_type", "ce_source"} <= set(headers["required"])
    assert "traceparent" in headers["properties"]
    for message in doc["components"]["messages"].values():
        [base, own] = message["headers"]["allOf"]
        assert base == {"$ref": "#/components/schemas/CloudEventHeaders"}
        assert own["properties"]["ce_type"]["const"] == message["name"]


def test_every_reference_in_the_document_resolves() -> None:
    doc = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    refs = list(_refs(doc))
    assert refs
    for ref in refs:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
            node = node[part]


def test_the_declared_topics_cover_every_agency_message() -> None:
    declared = {model for topic in PUBLIC_TOPICS for model in topic.messages}
    assert set(AGENCY_MESSAGES) <= declared


def _refs(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
