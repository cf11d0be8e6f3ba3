"""An agency system's broker credentials: what ``satupintu agency credentials create CODE --json``
prints (or ``--save DIR`` writes), and the settings a client connects with.

The JSON document::

    {"agency_code": "bdg-dlh", "username": "agency-bdg-dlh", "password": "…",
     "mechanism": "SCRAM-SHA-512", "security_protocol": "SASL_PLAINTEXT",
     "bootstrap_servers": "127.0.0.1:9092",
     "topics": {"inbox": "satupintu.agency.bdg-dlh.inbox", "status": "…", "submissions": "…"}}

plus ``ssl_ca_file`` when the broker is reached over TLS (``SASL_SSL``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from ..settings import KafkaSettings, SaslMechanism, SecurityProtocol
from ..topics import Topics


class InvalidCredentials(ValueError):
    """A credentials document lacks a field or has a wrong value."""


@dataclass(frozen=True)
class AgencyCredentials:
    """The SCRAM credentials of one agency's principal and how to reach the broker with them."""

    agency_code: str
    username: str
    password: str = field(repr=False)
    bootstrap_servers: str
    security_protocol: SecurityProtocol = "SASL_PLAINTEXT"
    mechanism: SaslMechanism = "SCRAM-SHA-512"
    ssl_ca_file: str | None = None
    #: The environment's topic prefix (empty in production); the JSON carries it in the topic names.
    topic_prefix: str = ""

    @property
    def topics(self) -> Topics:
        """The topic names of the environment these credentials belong to."""
        return Topics(prefix=self.topic_prefix)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document (the password included: keep it secret)."""
        inbox, status, submissions = self.topics.agency_topics(self.agency_code)
        doc: dict[str, Any] = {
            "agency_code": self.agency_code,
            "username": self.username,
            "password": self.password,
            "mechanism": self.mechanism,
            "security_protocol": self.security_protocol,
            "bootstrap_servers": self.bootstrap_servers,
        }
        if self.ssl_ca_file:
            doc["ssl_ca_file"] = self.ssl_ca_file
        doc["topics"] = {"inbox": inbox, "status": status, "submissions": submissions}
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> AgencyCredentials:
        """Credentials from their JSON document. Raises ``InvalidCredentials``."""
        missing = [
            name for name in ("agency_code", "username", "password", "bootstrap_servers") if not doc.get(name)
        ]
        if missing:
            raise InvalidCredentials(f"credentials lack {', '.join(missing)}")
        code = str(doc["agency_code"])
        protocol: Any = doc.get("security_protocol") or "SASL_PLAINTEXT"
        mechanism: Any = doc.get("mechanism") or "SCRAM-SHA-512"
        if protocol not in get_args(SecurityProtocol) or mechanism not in get_args(SaslMechanism):
            raise InvalidCredentials(f"unsupported security_protocol {protocol!r} or mechanism {mechanism!r}")
        return cls(
            agency_code=code,
            username=str(doc["username"]),
            password=str(doc["password"]),
            bootstrap_servers=str(doc["bootstrap_servers"]),
            security_protocol=protocol,
            mechanism=mechanism,
            ssl_ca_file=doc.get("ssl_ca_file") or None,
            topic_prefix=_prefix_of(code, doc.get("topics")),
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> AgencyCredentials:
        """Credentials from a JSON file. Raises ``InvalidCredentials`` (or ``OSError``)."""
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InvalidCredentials(f"{path} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise InvalidCredentials(f"{path} does not hold a JSON object")
        return cls.from_dict(doc)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the JSON document to ``path``, readable and writable by the owner only (mode 600)."""
        target = Path(path)
        temporary = target.with_name(f".{target.name}.tmp")
        # Created with mode 600 (never briefly readable by others), then renamed into place.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(self.as_dict(), file, indent=2)
            file.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)

    def settings(self) -> KafkaSettings:
        """Client settings that authenticate as this agency (nothing taken from the environment's
        credentials, so a process holding other credentials cannot mix them in)."""
        cafile = Path(self.ssl_ca_file) if self.ssl_ca_file else None
        return KafkaSettings(
            kafka_bootstrap_servers=self.bootstrap_servers,
            kafka_security_protocol=self.security_protocol,
            kafka_sasl_mechanism=self.mechanism,
            kafka_sasl_username=self.username,
            kafka_sasl_password=self.password,
            kafka_sasl_password_file=None,
            kafka_ssl_cafile=cafile,
            kafka_ssl_certfile=None,
            kafka_ssl_keyfile=None,
            topic_prefix=self.topic_prefix,
        )


def _prefix_of(agency_code: str, topics: Any) -> str:
    """The environment's prefix, read back from the inbox's name (``<prefix>satupintu.agency.…``)."""
    inbox = topics.get("inbox") if isinstance(topics, Mapping) else None
    unprefixed = Topics().inbox(agency_code)
    if isinstance(inbox, str) and inbox.endswith(unprefixed):
        return inbox[: -len(unprefixed)]
    return ""
