"""Machine-readable contracts of the public topics: AsyncAPI 3 and JSON Schema, generated from the code.

The public topics are declared once, below, on a faststream ``KafkaBroker`` whose subscribers and
publishers carry the pydantic contract models; faststream turns that into AsyncAPI 3. The result is
then grouped into one channel per topic (one message per CloudEvents type) and given what faststream
cannot know: the CloudEvents binary-mode headers, the Kafka key and the ``{agency_code}`` parameter.

Regenerate ``docs/asyncapi.yaml`` and ``docs/schemas/`` with ``uv run python -m satupintu_shared.contracts``;
``--check`` only compares (a test does the same). ``--release`` also records the schemas as released in
``docs/schemas/baseline/``: later versions must stay readable by what was built on them (a test runs
``schema_compat`` against that copy).
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512
from faststream.specification import AsyncAPI

from .events import (
    AGENCY_MESSAGES,
    LIFECYCLE_EVENTS,
    Contract,
    Event,
    RequestAssigned,
    StatusReported,
    SubmissionReceipt,
    SubmissionRequested,
)
from .schema import json_schemas, write_json_schemas
from .schema_compat import breaking_changes_between, load_schemas
from .topics import Topics

VERSION = "1.0.0"
AGENCY = Topics(prefix="")
PARAMETER = "{agency_code}"
DESCRIPTION = """\
The Kafka topics agency systems and operators use. Operations are written from the point of view of
an agency system (it receives its inbox, sends its status reports and submissions) and, for the
lifecycle topic, of an operator's read-only consumer.

Every message is a CloudEvent 1.0 in binary content mode: the attributes travel in `ce_*` headers,
the value is the JSON data described here, the Kafka key is the tracking number (the `reference` for
submissions) and the W3C `traceparent` header carries the request's trace. Consumers deduplicate by
`ce_id`; producers keep it stable across retries. A test environment may prefix every topic name.

Every client authenticates (SASL/SCRAM-SHA-512, over TLS where the broker has a certificate) as its
own principal, and the broker's ACLs decide what it may read and write: an agency reads only its own
inbox, writes only its own status and submissions topics, and uses consumer groups named
`satupintu-agency-<agency_code>` (or starting with `satupintu-agency-<agency_code>.`). Credentials come
from `satupintu agency credentials create <agency_code>`; docs/security.md has the whole table."""


@dataclass(frozen=True)
class PublicTopic:
    """One public topic, the contract models it carries and what the reader of this document does."""

    channel: str
    address: str
    action: Literal["send", "receive"]
    description: str
    messages: tuple[type[Contract], ...]


PUBLIC_TOPICS: tuple[PublicTopic, ...] = (
    PublicTopic(
        "agencyInbox",
        AGENCY.inbox(PARAMETER),
        "receive",
        "Requests assigned to the agency (with the applicant's personal data) and receipts for its "
        "submissions. Only that agency reads it; consumer group `satupintu-agency-<agency_code>`.",
        (RequestAssigned, SubmissionReceipt),
    ),
    PublicTopic(
        "agencyStatus",
        AGENCY.status(PARAMETER),
        "send",
        "The agency's progress reports. The acting agency is the one named by the topic; routing "
        "accepts a report only from the currently assigned agency and only in an allowed order.",
        (StatusReported,),
    ),
    PublicTopic(
        "agencySubmissions",
        AGENCY.agency_submissions(PARAMETER),
        "send",
        "New requests submitted by the agency's system. Only that agency may write here, so the "
        "submitting agency is the one named by the topic (a different `submitted_by` is refused); "
        "intake validates them like any other door and answers with a SubmissionReceipt in the inbox.",
        (SubmissionRequested,),
    ),
    PublicTopic(
        "intakeSubmissions",
        AGENCY.submissions,
        "send",
        "New requests from channels that speak for no agency. A submission here must not carry "
        "`submitted_by` (it is refused: an agency submits on its own submissions topic) and gets no "
        "receipt.",
        (SubmissionRequested,),
    ),
    PublicTopic(
        "requestLifecycle",
        AGENCY.lifecycle,
        "receive",
        "The canonical history: every state change of every request, in order per tracking number. "
        "Read-only, for operators and monitoring.",
        LIFECYCLE_EVENTS,
    ),
)
assert {m for t in PUBLIC_TOPICS for m in t.messages} >= set(AGENCY_MESSAGES)


def contracts_broker() -> KafkaBroker:
    """A (never connected) broker declaring every public topic with its message models."""
    # Never connected: it only declares the channels (and the security scheme) for the document.
    broker = KafkaBroker(
        "127.0.0.1:9092",
        description="SatuPintu Kafka (default local address)",
        security=SASLScram512("<principal>", "<password>"),
    )
    for topic in PUBLIC_TOPICS:
        for model in topic.messages:
            title = f"{topic.channel}.{model.__name__}"
            if topic.action == "send":
                broker.publisher(topic.address, title=title, schema=model, description=topic.description)
            else:
                broker.subscriber(topic.address, title=title, description=topic.description)(_reader(model))
    return broker


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3 document of the public topics, as plain data."""
    spec = AsyncAPI(
        contracts_broker(), title="SatuPintu public topics", version=VERSION, description=DESCRIPTION
    )
    generated: dict[str, Any] = spec.to_specification().to_jsonable()
    return _cloudevents(generated)


def write_contracts(docs: Path) -> list[Path]:
    """Write ``asyncapi.yaml`` and ``schemas/<event-type>.json`` into ``docs``; returns the files."""
    docs.mkdir(parents=True, exist_ok=True)
    asyncapi = docs / "asyncapi.yaml"
    asyncapi.write_text(
        yaml.dump(asyncapi_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    )
    return [asyncapi, *write_json_schemas(docs / "schemas")]


def stale_contracts(docs: Path) -> list[str]:
    """Differences between the committed contracts in ``docs`` and freshly generated ones (empty: in sync)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = write_contracts(Path(tmp))
        problems = []
        for path in fresh:
            committed = docs / path.relative_to(tmp)
            if not committed.exists():
                problems.append(f"{committed} is missing")
                continue
            diff = difflib.unified_diff(
                committed.read_text().splitlines(), path.read_text().splitlines(), str(committed), "generated"
            )
            if text := "\n".join(list(diff)[:40]):
                problems.append(text)
        expected = {p.relative_to(tmp) for p in fresh}
        extra = sorted(p for p in (docs / "schemas").glob("*.json") if p.relative_to(docs) not in expected)
        problems.extend(f"{p} is no longer generated" for p in extra)
    return problems


def baseline_directory(docs: Path) -> Path:
    """Where the schemas of the last release are kept (compared by ``incompatible_changes``)."""
    return docs / "schemas" / "baseline"


def incompatible_changes(docs: Path) -> list[str]:
    """What in the schemas generated from the code breaks readers of the released ones in ``docs``."""
    return breaking_changes_between(load_schemas(baseline_directory(docs)), json_schemas())


def release_baseline(docs: Path) -> list[Path]:
    """Record the generated schemas as the released ones (the baseline); returns the files written."""
    baseline = baseline_directory(docs)
    shutil.rmtree(baseline, ignore_errors=True)
    return write_json_schemas(baseline)


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or, with ``--check``, verify) the contract files."""
    parser = argparse.ArgumentParser(prog="python -m satupintu_shared.contracts", description=__doc__)
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="output directory (default: docs)")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when out of date")
    parser.add_argument(
        "--release", action="store_true", help="also record the schemas as released (docs/schemas/baseline/)"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_contracts(args.docs) + incompatible_changes(args.docs)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for path in write_contracts(args.docs) + (release_baseline(args.docs) if args.release else []):
        print(path)
    return 0


# --- shaping faststream's output into the published contract ------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so descriptions read as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def _reader(model: type[Contract]) -> Any:
    async def read(message: Any) -> None:
        """Declaration only: the document describes what is read, nothing here runs."""

    read.__annotations__ = {"message": model, "return": None}
    read.__name__ = f"read_{model.__name__}"
    return read


def _cloudevents(doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc["components"]["schemas"]
    schemas["CloudEventHeaders"] = _headers_schema()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in PUBLIC_TOPICS:
        refs = {}
        for model in topic.messages:
            name = model.__name__
            messages[name] = _message(model, _payload_ref(doc, f"{topic.channel}.{name}"))
            refs[name] = {"$ref": f"#/components/messages/{name}"}
        channels[topic.channel] = _channel(doc, topic, refs)
        operations[f"{topic.action}_{topic.channel}"] = {
            "action": topic.action,
            "channel": {"$ref": f"#/channels/{topic.channel}"},
            "summary": topic.description.split(". ")[0].rstrip(".") + ".",
            "messages": [{"$ref": f"#/channels/{topic.channel}/messages/{n}"} for n in refs],
        }
    doc.update(channels=channels, operations=operations)
    doc["components"] = {
        "messages": messages,
        "schemas": dict(sorted(schemas.items())),
        **(
            {"securitySchemes": doc["components"]["securitySchemes"]}
            if "securitySchemes" in doc["components"]
            else {}
        ),
    }
    return {
        key: doc[key] for key in ("asyncapi", "info", "defaultContentType", "servers", *doc) if key in doc
    }


def _payload_ref(doc: dict[str, Any], title: str) -> dict[str, Any]:
    channel = doc["channels"][title]
    [message_ref] = channel["messages"].values()
    message_name = message_ref["$ref"].rsplit("/", 1)[1]
    payload: dict[str, Any] = doc["components"]["messages"][message_name]["payload"]
    return payload


def _channel(doc: dict[str, Any], topic: PublicTopic, refs: dict[str, Any]) -> dict[str, Any]:
    first = doc["channels"][f"{topic.channel}.{topic.messages[0].__name__}"]
    channel: dict[str, Any] = {
        "address": topic.address,
        "title": topic.channel,
        "description": topic.description,
        "servers": first["servers"],
        "messages": refs,
    }
    if PARAMETER in topic.address:
        channel["parameters"] = {
            "agency_code": {"description": "The agency's code in the catalog, e.g. `bdg-disdukcapil`."}
        }
    channel["bindings"] = {"kafka": {"bindingVersion": "0.5.0"}}
    return channel


def _message(model: type[Contract], payload: dict[str, Any]) -> dict[str, Any]:
    keyed_by = "tracking_number" if issubclass(model, Event) else "reference"
    doc = (model.__doc__ or model.__name__).strip()
    return {
        "name": model.EVENT_TYPE,
        "title": model.__name__,
        "summary": doc.split("\n")[0].replace("``", "`"),
        "contentType": "application/json",
        "headers": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventHeaders"},
                {"properties": {"ce_type": {"const": model.EVENT_TYPE}}},
            ]
        },
        "payload": payload,
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"The message's `{keyed_by}`."},
                "bindingVersion": "0.5.0",
            }
        },
    }


def _headers_schema() -> dict[str, Any]:
    return {
        "title": "CloudEventHeaders",
        "description": "CloudEvents 1.0 Kafka binding, binary content mode, plus W3C trace context.",
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_type", "ce_source", "content-type"],
        "properties": {
            "ce_specversion": {"const": "1.0"},
            "ce_id": {"type": "string", "description": "Unique per event and stable across retries."},
            "ce_type": {"type": "string", "description": "The event type; selects the payload schema."},
            "ce_source": {
                "type": "string",
                "description": "URI-reference of the producer, e.g. /agency/<code>.",
            },
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_subject": {"type": "string", "description": "The tracking number, when there is one."},
            "content-type": {"const": "application/json"},
            "traceparent": {
                "type": "string",
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "W3C trace context: continue it so the work appears in the request's trace.",
            },
            "tracestate": {"type": "string"},
        },
    }


if __name__ == "__main__":
    sys.exit(main())
