"""An agency's credentials document: what `satupintu agency credentials create --json` prints, what the
SDK reads, and the client settings it gives (the agency's principal and nothing from the environment)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from satupintu_shared.acl import agency_group
from satupintu_shared.sdk import AgencyClient, AgencyCredentials, InvalidCredentials
from satupintu_shared.topics import Topics

PREFIX = "t0123456789."
CREDENTIALS = AgencyCredentials(
    agency_code="bdg-dlh",
    username=f"{PREFIX}agency-bdg-dlh",
    password="s3cret-value",
    bootstrap_servers="127.0.0.1:9092",
    topic_prefix=PREFIX,
)


def test_the_document_has_the_documented_fields_and_names_the_agency_topics() -> None:
    doc = CREDENTIALS.as_dict()
    assert list(doc) == [
        "agency_code",
        "username",
        "password",
        "mechanism",
        "security_protocol",
        "bootstrap_servers",
        "topics",
    ]
    assert (doc["mechanism"], doc["security_protocol"]) == ("SCRAM-SHA-512", "SASL_PLAINTEXT")
    assert doc["topics"] == {
        "inbox": f"{PREFIX}satupintu.agency.bdg-dlh.inbox",
        "status": f"{PREFIX}satupintu.agency.bdg-dlh.status",
        "submissions": f"{PREFIX}satupintu.agency.bdg-dlh.submissions",
    }


def test_a_tls_document_names_the_ca_file() -> None:
    tls = AgencyCredentials("a", "agency-a", "p", "127.0.0.1:9095", "SASL_SSL", ssl_ca_file="/etc/ca.crt")
    assert tls.as_dict()["ssl_ca_file"] == "/etc/ca.crt"
    assert AgencyCredentials.from_dict(tls.as_dict()) == tls


def test_the_document_reads_back_to_the_same_credentials_prefix_included() -> None:
    assert AgencyCredentials.from_dict(json.loads(json.dumps(CREDENTIALS.as_dict()))) == CREDENTIALS


def test_a_written_file_is_readable_by_its_owner_only_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "bdg-dlh.json"
    path.write_text("{}")
    path.chmod(0o644)  # an older, too open file is replaced, not reused
    CREDENTIALS.write(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert AgencyCredentials.from_json(path) == CREDENTIALS
    assert [p.name for p in tmp_path.iterdir()] == ["bdg-dlh.json"]


@pytest.mark.parametrize(
    "doc",
    [
        {"agency_code": "a", "username": "agency-a", "bootstrap_servers": "h:1"},
        {
            "agency_code": "a",
            "username": "agency-a",
            "password": "p",
            "bootstrap_servers": "h:1",
            "mechanism": "X",
        },
    ],
)
def test_an_incomplete_or_unsupported_document_is_refused(doc: dict[str, str]) -> None:
    with pytest.raises(InvalidCredentials):
        AgencyCredentials.from_dict(doc)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("username=agency-a")
    with pytest.raises(InvalidCredentials, match="not JSON"):
        AgencyCredentials.from_json(tmp_path / "x.json")


def test_the_settings_authenticate_as_the_agency_whatever_the_environment_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "admin").write_text("admin-password")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "satupintu-admin")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "admin"))
    monkeypatch.setenv("KAFKA_SSL_CERTFILE", str(tmp_path / "client.crt"))
    settings = CREDENTIALS.settings()
    assert settings.sasl_credentials() == (f"{PREFIX}agency-bdg-dlh", "s3cret-value")
    assert settings.kafka_ssl_certfile is None
    assert settings.topic_prefix == PREFIX


def test_a_client_from_a_credentials_file_uses_the_agency_group_and_topics(tmp_path: Path) -> None:
    CREDENTIALS.write(tmp_path / "bdg-dlh.json")
    client = AgencyClient.from_credentials_json(tmp_path / "bdg-dlh.json")
    assert client.agency_code == "bdg-dlh"
    assert client.group_id == agency_group(Topics(PREFIX), "bdg-dlh") == f"{PREFIX}satupintu-agency-bdg-dlh"
    assert client.topics == Topics(PREFIX)
    assert client.settings.kafka_sasl_username == f"{PREFIX}agency-bdg-dlh"


def test_a_client_refuses_another_agencys_credentials() -> None:
    with pytest.raises(ValueError, match="bdg-dlh"):
        AgencyClient("bdg-disdukcapil", credentials=CREDENTIALS)
