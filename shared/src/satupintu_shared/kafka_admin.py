"""Broker administration aiokafka cannot do: SCRAM credentials and ACLs (through confluent-kafka's
AdminClient, whose calls block and so run in a thread). Used by ``make up``, ``catalog apply``,
``satupintu agency credentials`` and the tests; the connection is the admin tool's principal."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from .acl import Acl, managed_by
from .kafka_clients import confluent_config
from .settings import KafkaSettings
from .topics import Topics

SCRAM_ITERATIONS = 8192
_RESOURCE = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP, "cluster": ResourceType.BROKER}
_PATTERN = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


def new_password() -> str:
    """A fresh random password (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _binding(acl: Acl, kind: type[AclBinding] = AclBinding) -> AclBinding:
    return kind(
        _RESOURCE[acl.resource_type],
        acl.resource_name,
        _PATTERN[acl.pattern_type],
        acl.user,
        "*",
        AclOperation[acl.operation],
        AclPermissionType.ALLOW,
    )


def _acl(binding: Any) -> Acl | None:  # an AclBinding (its stubs type the fields loosely)
    kinds: dict[Any, Any] = {v: k for k, v in _RESOURCE.items()}
    patterns: dict[Any, Any] = {v: k for k, v in _PATTERN.items()}
    if (
        binding.restype not in kinds
        or binding.resource_pattern_type not in patterns
        or binding.permission_type != AclPermissionType.ALLOW
        or binding.host != "*"
        or not binding.principal.startswith("User:")
    ):
        return None
    return Acl(
        binding.principal.removeprefix("User:"),
        kinds[binding.restype],
        patterns[binding.resource_pattern_type],
        binding.name,
        binding.operation.name,
    )


class KafkaAdministration:
    """Users and ACLs on the broker ``settings`` points at (with super-user credentials)."""

    def __init__(self, settings: KafkaSettings) -> None:
        # Typed loosely: confluent-kafka's stubs disagree with its documented use (filters, deletes).
        self._client: Any = AdminClient(confluent_config(settings, client_id="satupintu-admin"))

    async def _wait(self, futures: dict[Any, Any]) -> list[Any]:
        def results() -> list[Any]:
            return [future.result(timeout=30) for future in futures.values()]

        return await asyncio.to_thread(results)

    # --- users ------------------------------------------------------------------------------------

    async def set_password(self, username: str, password: str) -> None:
        """Create ``username`` or replace its password (SCRAM-SHA-512)."""
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
        change = UserScramCredentialUpsertion(username, info, password.encode())
        await self._wait(self._client.alter_user_scram_credentials([change]))

    async def delete_user(self, username: str) -> bool:
        """Remove ``username``'s credentials; False when it had none."""
        change = UserScramCredentialDeletion(username, ScramMechanism.SCRAM_SHA_512)
        try:
            await self._wait(self._client.alter_user_scram_credentials([change]))
        except KafkaException as exc:
            if "RESOURCE_NOT_FOUND" in str(exc) or "not found" in str(exc).lower():
                return False
            raise
        return True

    async def user_exists(self, username: str) -> bool:
        """Whether ``username`` has SCRAM credentials."""
        try:
            found = await self._wait(self._client.describe_user_scram_credentials([username]))
        except KafkaException as exc:
            if "RESOURCE_NOT_FOUND" in str(exc) or "not found" in str(exc).lower():
                return False
            raise
        return bool(found and found[0].scram_credential_infos)

    # --- ACLs -------------------------------------------------------------------------------------

    async def acls(self) -> set[Acl]:
        """Every ALLOW grant on the broker that fits the table's shape."""
        anything: Any = None  # a filter's None matches every name, principal and host
        everything = AclBindingFilter(
            ResourceType.ANY,
            anything,
            ResourcePatternType.ANY,
            anything,
            anything,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        future = self._client.describe_acls(everything)
        bindings = await asyncio.to_thread(future.result, 30)
        return {acl for acl in map(_acl, bindings) if acl is not None}

    async def grant(self, acls: Iterable[Acl]) -> None:
        """Create these grants (existing ones are left as they are)."""
        bindings = [_binding(acl) for acl in sorted(set(acls))]
        if bindings:
            await self._wait(self._client.create_acls(bindings))

    async def revoke(self, acls: Iterable[Acl]) -> None:
        """Delete exactly these grants."""
        filters = [_binding(acl, AclBindingFilter) for acl in sorted(set(acls))]
        if filters:
            await self._wait(self._client.delete_acls(filters))

    async def environment_acls(self, topics: Topics) -> set[Acl]:
        """The grants on the broker that belong to this environment's table."""
        return {acl for acl in await self.acls() if managed_by(topics, acl)}

    async def reconcile(self, topics: Topics, desired: set[Acl]) -> tuple[set[Acl], set[Acl]]:
        """Make this environment's grants exactly ``desired``: create what is missing, delete what is
        managed here but no longer wanted (an agency that left the catalog). Returns both sets."""
        current = await self.environment_acls(topics)
        missing, extra = desired - current, current - desired
        await self.revoke(extra)
        await self.grant(missing)
        return missing, extra
