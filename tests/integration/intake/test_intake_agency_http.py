"""Agency status over HTTP: API keys issued by the admin API, the acting agency taken from the key, and
only the request's current assignee may report (real broker and database)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import timedelta

import httpx
import pytest

from intake.bootstrap import create_app
from intake.settings import Settings
from satupintu_shared.envelope import decode, encode
from satupintu_shared.events import RequestRouted, RoutingReason, StatusReported, utc_now
from satupintu_shared.kafka_clients import create_consumer
from satupintu_shared.operator_auth import OperatorAuthConfigError
from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.kafka import produce, read_records

from .catalog_fixture import BANDUNG_AGENCY, KTP, MUSI_RAWAS_AGENCY, valid_body
from .conftest import RunIntake, admin_headers

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

OFFICER = "199001012020121001"
OPERATOR_TOKEN = secrets.token_hex(32)
PLACEHOLDERS = ("dev-admin-token", "changeme", "admin", "secret", "password")


async def _create_key(client: httpx.AsyncClient, agency: str) -> dict[str, str]:
    response = await client.post(f"/v1/admin/agencies/{agency}/keys", headers=admin_headers())
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()
    return created


async def _routed_request(
    client: httpx.AsyncClient, kafka_bootstrap: str, topics: Topics, agency: str
) -> str:
    """Submit a request, then assign it to ``agency`` as routing would, and wait for the read model."""
    tn: str = (await client.post("/v1/requests", json=valid_body())).json()["tracking_number"]
    await route_to(client, kafka_bootstrap, topics, tn, agency)
    return tn


async def route_to(
    client: httpx.AsyncClient, kafka_bootstrap: str, topics: Topics, tn: str, agency: str
) -> None:
    """(Re-)route ``tn`` to ``agency`` as routing would, and wait until the read model shows it."""
    routed = RequestRouted(
        tracking_number=tn,
        occurred_at=utc_now(),
        agency_code=agency,
        service_code=KTP,
        region_code="32.73.01",
        due_at=utc_now() + timedelta(days=3),
        sla_working_days=3,
        reason=RoutingReason(rule="jurisdiction", owning_level="regency_city", explanation="test"),
    )
    value, headers = encode(routed, source="/tests", event_id=str(uuid.uuid4()))
    await produce(
        kafka_bootstrap,
        topics.lifecycle,
        value,
        key=tn.encode(),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )
    for _ in range(200):
        view = await client.get(f"/v1/requests/{tn}")
        if view.status_code == 200 and view.json()["agency_code"] == agency:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the routed event never reached the status read model")


async def _topic_is_empty(kafka_bootstrap: str, topic: str, wait: float = 1.5) -> bool:
    settings = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap)
    consumer = create_consumer(
        settings, topic, client_id="tests-reader", group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=int(wait * 1000))
        return not any(batch.values())
    finally:
        await consumer.stop()


@pytest.mark.usefixtures("agencies")
async def test_a_report_with_the_agencys_key_is_published_on_its_status_topic(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        key = await _create_key(client, BANDUNG_AGENCY)
        assert key["api_key"].startswith(f"sp_{key['key_id']}_") and key["agency_code"] == BANDUNG_AGENCY
        tn = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        body = {
            "tracking_number": tn,
            "status": "in_progress",
            "officer_id": OFFICER,
            "note": "berkas lengkap",
        }
        response = await client.post(
            "/v1/agency/status",
            json=body,
            headers={"Authorization": f"Bearer {key['api_key']}", "Idempotency-Key": "siak-42"},
        )
        assert response.status_code == 202, response.text
        answer = response.json()
        assert answer["tracking_number"] == tn and answer["status"] == "reported"
        # The same Idempotency-Key gives the same CloudEvent id (consumers deduplicate by it).
        again = await client.post(
            "/v1/agency/status",
            json=body,
            headers={"X-API-Key": key["api_key"], "Idempotency-Key": "siak-42"},
        )
        assert again.status_code == 202 and again.json()["event_id"] == answer["event_id"]
        assert again.headers["Idempotent-Replayed"] == "true"  # acknowledged once: not published again
        listed = (
            await client.get(f"/v1/admin/agencies/{BANDUNG_AGENCY}/keys", headers=admin_headers())
        ).json()["keys"]

    records = await read_records(kafka_bootstrap, topics.status(BANDUNG_AGENCY), count=1)
    envelope = decode(records[0].value, records[0].headers)
    event = envelope.parse()
    assert envelope.type == StatusReported.EVENT_TYPE and envelope.id == answer["event_id"]
    assert records[0].key == tn.encode()
    assert isinstance(event, StatusReported)
    assert (event.tracking_number, event.status, event.officer_id, event.note) == (
        tn,
        "in_progress",
        OFFICER,
        "berkas lengkap",
    )
    assert [name for name, _ in records[0].headers].count("traceparent") == 1
    assert [k["key_id"] for k in listed] == [key["key_id"]] and listed[0]["last_used_at"] is not None


@pytest.mark.usefixtures("agencies")
async def test_missing_wrong_and_revoked_keys_are_refused_with_401(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        old = await _create_key(client, BANDUNG_AGENCY)
        new = await _create_key(client, BANDUNG_AGENCY)  # rotation: both active until one is revoked
        tn = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        body = {"tracking_number": tn, "status": "accepted"}

        async def report(headers: dict[str, str]) -> httpx.Response:
            return await client.post("/v1/agency/status", json=body, headers=headers)

        missing = await report({})
        garbage = await report({"Authorization": "Bearer nonsense"})
        forged = await report({"X-API-Key": old["api_key"][:-4] + "AAAA"})
        revoked = await client.delete(
            f"/v1/admin/agencies/{BANDUNG_AGENCY}/keys/{old['key_id']}", headers=admin_headers()
        )
        revoked_again = await client.delete(
            f"/v1/admin/agencies/{BANDUNG_AGENCY}/keys/{old['key_id']}", headers=admin_headers()
        )
        with_revoked = await report({"Authorization": f"Bearer {old['api_key']}"})
        with_new = await report({"Authorization": f"Bearer {new['api_key']}"})
        unknown_key = await client.delete(
            f"/v1/admin/agencies/{BANDUNG_AGENCY}/keys/aaaaaaaaaaaa", headers=admin_headers()
        )
        listed = (
            await client.get(f"/v1/admin/agencies/{BANDUNG_AGENCY}/keys", headers=admin_headers())
        ).json()["keys"]

    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert garbage.status_code == 401 and forged.status_code == 401
    assert (revoked.status_code, revoked_again.status_code, unknown_key.status_code) == (204, 204, 404)
    assert with_revoked.status_code == 401
    assert with_new.status_code == 202, with_new.text
    by_id = {k["key_id"]: k for k in listed}
    assert by_id[old["key_id"]]["revoked_at"] is not None and by_id[new["key_id"]]["revoked_at"] is None


@pytest.mark.usefixtures("agencies")
async def test_an_agency_cannot_report_on_another_agencys_request(
    run_intake: RunIntake, kafka_bootstrap: str, topics: Topics
) -> None:
    async with run_intake() as client:
        other = await _create_key(client, MUSI_RAWAS_AGENCY)
        tn = await _routed_request(client, kafka_bootstrap, topics, BANDUNG_AGENCY)
        auth = {"Authorization": f"Bearer {other['api_key']}"}
        refused = await client.post(
            "/v1/agency/status", json={"tracking_number": tn, "status": "completed"}, headers=auth
        )
        smuggled = await client.post(
            "/v1/agency/status",
            json={"tracking_number": tn, "status": "completed", "agency_code": BANDUNG_AGENCY},
            headers=auth,
        )
        no_reason = await client.post(
            "/v1/agency/status", json={"tracking_number": tn, "status": "rejected"}, headers=auth
        )
        unknown = await client.post(
            "/v1/agency/status",
            json={"tracking_number": "SP-0000-0000-0000-0", "status": "accepted"},
            headers=auth,
        )
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert smuggled.status_code == 422
    assert [e["pointer"] for e in smuggled.json()["errors"]] == ["/agency_code"]
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["pointer"] == "/reason"
    assert unknown.status_code == 404
    assert await _topic_is_empty(kafka_bootstrap, topics.status(MUSI_RAWAS_AGENCY))
    assert await _topic_is_empty(kafka_bootstrap, topics.status(BANDUNG_AGENCY))


async def test_the_admin_api_needs_the_administrator_role_and_a_catalog_agency(run_intake: RunIntake) -> None:
    path = f"/v1/admin/agencies/{BANDUNG_AGENCY}/keys"
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    async with run_intake(SATUPINTU_OPERATOR_TOKEN=OPERATOR_TOKEN) as client:
        without = await client.post(path)
        wrong = await client.post(path, headers={"Authorization": "Bearer not-the-token"})
        listed_without = await client.get(path)
        placeholders = [
            await client.post(path, headers={"Authorization": f"Bearer {token}"}) for token in PLACEHOLDERS
        ]
        too_low = [
            await client.post(path, headers=operator),
            await client.get(path, headers=operator),
            await client.delete(f"{path}/aaaaaaaaaaaa", headers=operator),
        ]
        unknown_agency = await client.post("/v1/admin/agencies/no-such-agency/keys", headers=admin_headers())
        empty = await client.get(path, headers=admin_headers())
    assert without.status_code == 401 and without.headers["www-authenticate"].startswith("Bearer")
    assert without.headers["content-type"] == "application/problem+json"
    assert wrong.status_code == 401 and listed_without.status_code == 401
    assert [r.status_code for r in placeholders] == [401] * len(PLACEHOLDERS)
    assert [r.status_code for r in too_low] == [403, 403, 403]
    assert unknown_agency.status_code == 404
    assert empty.status_code == 200 and empty.json() == {"keys": []}


@pytest.mark.parametrize(
    "variable", ["SATUPINTU_ADMIN_TOKEN", "INTAKE_ADMIN_TOKEN", "SATUPINTU_OPERATOR_TOKEN"]
)
def test_start_up_refuses_a_placeholder_or_short_operator_token(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in ("SATUPINTU_ADMIN_TOKEN", "INTAKE_ADMIN_TOKEN", "SATUPINTU_ADMIN_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    for token in (*PLACEHOLDERS, "a-secret-of-31-characters-xxxxx"):
        monkeypatch.setenv(variable, token)
        shown = "SATUPINTU_OPERATOR_TOKEN" if "OPERATOR" in variable else "SATUPINTU_ADMIN_TOKEN"
        with pytest.raises(OperatorAuthConfigError, match=shown):
            create_app(Settings())


def test_with_no_token_configured_intake_starts_and_its_admin_api_is_closed(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    for name in ("SATUPINTU_ADMIN_TOKEN", "INTAKE_ADMIN_TOKEN", "SATUPINTU_ADMIN_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(Settings())
    assert not app.state.operator_auth.configured
    assert "no operator credential is configured" in capfd.readouterr().err  # the service logs JSON to stderr
