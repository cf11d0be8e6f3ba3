from __future__ import annotations

import json

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from satupintu_shared.envelope import InvalidEvent, decode, encode
from satupintu_shared.events import RequestSubmitted
from satupintu_shared.schema import json_schemas
from tests.support.events import submitted


def test_an_event_survives_encoding_and_decoding() -> None:
    event = submitted("SP-ROUND-TRIP")
    value, headers = encode(event, source="/intake")
    envelope = decode(value, headers)
    assert envelope.type == RequestSubmitted.EVENT_TYPE
    assert envelope.subject == "SP-ROUND-TRIP"
    assert envelope.source == "/intake"
    assert envelope.parse() == event


def test_binary_headers_follow_the_cloudevents_kafka_binding() -> None:
    _, headers = encode(submitted(), source="/intake", event_id="abc")
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == "abc"
    assert headers["content-type"] == "application/json"
    assert headers["ce_time"].endswith("Z")


def test_the_official_sdk_reads_what_we_write() -> None:
    value, headers = encode(submitted("SP-SDK-READS"), source="/intake")
    message = ce_kafka.KafkaMessage(
        headers={k: v.encode() for k, v in headers.items()}, key=None, value=value
    )
    event = ce_kafka.from_binary_event(message)
    assert event.get_type() == RequestSubmitted.EVENT_TYPE
    assert event.get_subject() == "SP-SDK-READS"
    data = event.get_data()
    data = json.loads(data) if isinstance(data, bytes | str) else data
    assert data["tracking_number"] == "SP-SDK-READS"


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_we_read_what_the_official_sdk_writes(mode: str) -> None:
    data = json.loads(submitted("SP-WE-READ").model_dump_json())
    event = CloudEvent(
        attributes={
            "type": RequestSubmitted.EVENT_TYPE,
            "source": "/agency/x",
            "subject": "SP-WE-READ",
            "datacontenttype": "application/json",
        },
        data=data,
    )
    convert = ce_kafka.to_binary_event if mode == "binary" else ce_kafka.to_structured_event
    message = convert(event)
    envelope = decode(message.value, message.headers)
    assert envelope.id == event.get_id()
    assert envelope.parse() == submitted("SP-WE-READ")


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (
            b"not json",
            {"ce_specversion": b"1.0", "ce_id": b"1", "ce_type": b"t", "ce_source": b"s"},
            "not valid JSON",
        ),
        (b"{}", {"content-type": b"application/json"}, "missing attribute"),
        (b"[1]", {"ce_id": b"1"}, "missing header"),
        (b"", {"ce_specversion": b"1.0", "ce_id": b"1", "ce_type": b"t", "ce_source": b"s"}, "empty"),
        (b"{}", {"ce_specversion": b"0.3", "ce_id": b"1", "ce_type": b"t", "ce_source": b"s"}, "specversion"),
    ],
)
def test_a_malformed_record_is_refused_with_a_reason(
    value: bytes, headers: dict[str, bytes], reason: str
) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        decode(value, headers)


def test_invalid_data_names_the_field() -> None:
    value, headers = encode(submitted(), source="/intake")
    broken = json.loads(value)
    broken["region_code"] = "Bandung"
    with pytest.raises(InvalidEvent, match="region_code"):
        decode(json.dumps(broken).encode(), headers).parse()


def test_every_event_type_has_a_json_schema() -> None:
    schemas = json_schemas()
    assert RequestSubmitted.EVENT_TYPE in schemas
    assert schemas[RequestSubmitted.EVENT_TYPE]["properties"]["tracking_number"]["type"] == "string"
    assert "catalog" in schemas
