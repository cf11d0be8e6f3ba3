"""A small catalog for intake's tests: Kota Bandung's civil registry and Kabupaten Musi Rawas' licensing."""

from __future__ import annotations

from satupintu_shared.catalog import (
    Agency,
    AgencyLevel,
    AttributeSpec,
    Catalog,
    CatalogApplied,
    GovernmentLevel,
    Service,
)
from satupintu_shared.events import utc_now

KTP = "ktp-replacement"
PERMIT = "building-permit"
BANDUNG_AGENCY = "disdukcapil-bandung"
MUSI_RAWAS_AGENCY = "dpmptsp-musi-rawas"

CATALOG = Catalog(
    agencies=[
        Agency(
            code="pemkot-bandung",
            name="Pemerintah Kota Bandung",
            level=AgencyLevel.REGENCY_CITY,
            government_level=GovernmentLevel.REGENCY_CITY,
            jurisdiction=["32.73"],
        ),
        Agency(
            code=BANDUNG_AGENCY,
            name="Disdukcapil Kota Bandung",
            level=AgencyLevel.OPD,
            government_level=GovernmentLevel.REGENCY_CITY,
            parent="pemkot-bandung",
            jurisdiction=["32.73"],
            services=[KTP],
        ),
        Agency(
            code=MUSI_RAWAS_AGENCY,
            name="DPMPTSP Kabupaten Musi Rawas",
            level=AgencyLevel.OPD,
            government_level=GovernmentLevel.REGENCY_CITY,
            jurisdiction=["16.05"],
            services=[PERMIT],
        ),
    ],
    services=[
        Service(
            code=KTP,
            name="Penggantian KTP-el",
            owning_level=GovernmentLevel.REGENCY_CITY,
            sla_working_days=3,
            keywords=["ktp"],
            attributes=[
                AttributeSpec(
                    code="reason",
                    datatype="singlevaluelist",
                    values=["lost", "damaged"],
                    required=True,
                    description="Why the card is replaced",
                ),
                AttributeSpec(code="copies", datatype="integer"),
                AttributeSpec(code="urgent", datatype="boolean"),
                AttributeSpec(code="note", datatype="string", max_length=20),
                AttributeSpec(code="lost_on", datatype="date"),
            ],
        ),
        Service(
            code=PERMIT,
            name="Persetujuan Bangunan Gedung",
            owning_level=GovernmentLevel.REGENCY_CITY,
            sla_working_days=28,
            attributes=[AttributeSpec(code="floor_area_m2", datatype="number", required=True)],
        ),
    ],
)


def applied(version: int = 1) -> CatalogApplied:
    """The catalog as the catalog topic carries it."""
    return CatalogApplied(version=version, applied_at=utc_now(), catalog=CATALOG, digest="test")


def valid_body(**overrides: object) -> dict[str, object]:
    """A valid submission body for the KTP service in Kota Bandung."""
    body: dict[str, object] = {
        "service_code": KTP,
        "region_code": "32.73.01",
        "applicant": {"nik": "3273010101900001", "name": "Budi Santoso", "phone": "081234567890"},
        "attributes": {"reason": "lost", "copies": 1},
        "description": "KTP hilang",
        "channel": "web",
    }
    body.update(overrides)
    return body
