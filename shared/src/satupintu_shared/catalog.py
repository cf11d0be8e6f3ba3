"""The service catalog contract: agencies, their hierarchy and jurisdiction, and the services they handle.

Routing validates and applies it; intake reads it to validate submissions. Both receive it from the
compacted catalog topic as one ``CatalogApplied`` record keyed ``catalog``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from .events import MAX_ITEMS, AgencyCode, Contract, RegionCode, ShortText, Text, Timestamp

#: Enough for every region of Indonesia, agency and service; a larger catalog is a mistake.
MAX_ENTRIES = 100_000

CATALOG_KEY = "catalog"


class GovernmentLevel(StrEnum):
    """Which level of government owns an affair (UU 23/2014)."""

    NATIONAL = "national"
    PROVINCE = "province"
    REGENCY_CITY = "regency_city"


class AgencyLevel(StrEnum):
    """Where an agency sits in the hierarchy."""

    NATIONAL = "national"
    PROVINCE = "province"
    REGENCY_CITY = "regency_city"
    OPD = "opd"
    UNIT = "unit"


class TimeZone(StrEnum):
    """Indonesia's three time zones, named as Indonesians name them."""

    WIB = "WIB"
    WITA = "WITA"
    WIT = "WIT"

    @property
    def iana(self) -> str:
        """The IANA zone name."""
        return {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}[self.value]


class AttributeSpec(Contract):
    """One typed field of a service's form (also what an Open311 service definition shows)."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    description: Text = ""
    datatype: Literal["string", "text", "number", "integer", "boolean", "date", "singlevaluelist"] = "string"
    required: bool = False
    values: list[ShortText] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Allowed values, for singlevaluelist."
    )
    max_length: int | None = Field(default=None, ge=1, le=1_000_000)


class EscalationPolicy(Contract):
    """What happens when the assigned agency misses its deadline."""

    enabled: bool = True
    extra_working_days: int = Field(
        default=3, ge=1, le=365, description="New deadline given to the parent agency."
    )
    max_levels: int = Field(default=3, ge=0, le=100)


class Service(Contract):
    """A public service with its published standard (standar pelayanan)."""

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
    name: ShortText
    description: Text = ""
    owning_level: GovernmentLevel
    sla_working_days: int = Field(ge=1, le=365)
    attributes: list[AttributeSpec] = Field(default_factory=list, max_length=MAX_ITEMS)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    keywords: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)


class Agency(Contract):
    """A government agency (instansi / OPD / unit) with its authority."""

    code: AgencyCode
    name: ShortText
    level: AgencyLevel
    government_level: GovernmentLevel
    parent: AgencyCode | None = None
    jurisdiction: list[RegionCode] = Field(default_factory=list, max_length=MAX_ENTRIES)
    time_zone: TimeZone = TimeZone.WIB
    services: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)


class Catalog(Contract):
    """Everything routing needs to decide authority, and intake needs to validate."""

    agencies: list[Agency] = Field(default_factory=list, max_length=MAX_ENTRIES)
    services: list[Service] = Field(default_factory=list, max_length=MAX_ENTRIES)

    def service(self, code: str) -> Service | None:
        """The service with ``code``, if the catalog has it."""
        return next((s for s in self.services if s.code == code), None)

    def agency(self, code: str) -> Agency | None:
        """The agency with ``code``, if the catalog has it."""
        return next((a for a in self.agencies if a.code == code), None)


class CatalogApplied(Contract):
    """The record on the catalog topic: a whole, validated catalog and its version."""

    EVENT_TYPE: ClassVar[str] = "id.satupintu.catalog.applied.v1"
    version: int = Field(ge=1, le=2**31 - 1)
    applied_at: Timestamp
    catalog: Catalog
    digest: str = Field(max_length=128, description="sha256 of the catalog's canonical JSON")
