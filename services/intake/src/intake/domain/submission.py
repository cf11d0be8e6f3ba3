"""A submission (the command ``Submit``): checked against the catalog, the region tree and lokal's NIK rules.

The same checks serve every door (HTTP, batch, Open311, Kafka ingress); each invalid field yields one
``FieldError`` with a JSON pointer, so clients can show the message next to the field.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import lokal
from lokal import wilayah

from satupintu_shared.catalog import Catalog, GovernmentLevel, Service
from satupintu_shared.events import Applicant, Channel, RequestSubmitted

from .attributes import check_attributes
from .bounds import DEFAULT_BOUNDS, Bounds, item_bytes, token, unsafe_values
from .messages import FieldError

MAX_SHORT = 200
# No ``submitted_by``: the submitting agency is what the door vouches for (the broker-enforced topic of
# the Kafka ingress), never a field a client writes.
FIELDS = frozenset({"service_code", "region_code", "applicant", "attributes", "description", "channel"})
APPLICANT_FIELDS = {"nik": 32, "name": 200, "phone": 32, "email": 254}
_REGION = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
_AGENCY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Submission:
    """A valid request, ready to be published as ``RequestSubmitted``."""

    service_code: str
    region_code: str
    applicant: Applicant
    attributes: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    channel: Channel = Channel.WEB
    submitted_by: str | None = None

    def fingerprint(self) -> str:
        """sha256 of the canonical content: equal bodies, equal fingerprints (for idempotency keys)."""
        doc = {
            "service_code": self.service_code,
            "region_code": self.region_code,
            "applicant": self.applicant.model_dump(mode="json"),
            "attributes": self.attributes,
            "description": self.description,
            "channel": self.channel.value,
            "submitted_by": self.submitted_by,
        }
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_event(self, tracking_number: str, occurred_at: datetime) -> RequestSubmitted:
        """The lifecycle event that records this submission.

        Every field was validated when the submission was made (``validate_submission``), so the event is
        constructed without validating it a second time.
        """
        return RequestSubmitted.model_construct(
            tracking_number=tracking_number,
            occurred_at=occurred_at,
            service_code=self.service_code,
            region_code=self.region_code,
            applicant=self.applicant,
            attributes=self.attributes,
            description=self.description,
            channel=self.channel,
            submitted_by=self.submitted_by,
        )


def validate_submission(
    raw: Any,
    catalog: Catalog,
    *,
    pointer: str = "",
    extra_fields: frozenset[str] = frozenset(),
    lenient_attributes: bool = False,
    default_channel: Channel = Channel.WEB,
    submitted_by: str | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
) -> tuple[Submission | None, list[FieldError]]:
    """The valid ``Submission``, or None and every field error found. ``submitted_by`` is the agency the
    door vouches for (it must be in the catalog); a ``submitted_by`` field in ``raw`` is unknown.

    Values no door accepts (lone surrogates, control characters, over-long numbers and keys) are reported
    first and alone: the other checks would echo them back."""
    if not isinstance(raw, dict):
        return None, [FieldError(pointer or "/", "type_object")]
    errors = unsafe_values(raw, pointer)
    if errors:
        return None, errors
    for name in raw:
        if name in extra_fields:
            _text(raw, name, pointer, errors, limit=MAX_SHORT)
        elif name not in FIELDS:
            errors.append(FieldError(f"{pointer}/{token(name)}", "unknown_field"))
    service_code = _text(raw, "service_code", pointer, errors, required=True, limit=MAX_SHORT)
    region_code = _region(raw, pointer, errors)
    applicant = _applicant(raw.get("applicant"), f"{pointer}/applicant", errors)
    description = _text(raw, "description", pointer, errors, limit=bounds.max_text_field_chars) or ""
    channel = _channel(raw, pointer, errors, default_channel)
    submitted_by = _agency(submitted_by, pointer, errors, catalog)
    service = catalog.service(service_code) if service_code else None
    if service_code and service is None:
        errors.append(FieldError(f"{pointer}/service_code", "unknown_service", {"value": service_code}))
    if service and region_code and not offered_in(catalog, service, region_code):
        errors.append(
            FieldError(
                f"{pointer}/region_code",
                "region_not_covered",
                {"service": service.code, "value": region_code},
            )
        )
    attributes = _attributes(raw, service, pointer, errors, lenient_attributes, bounds)
    size = item_bytes(raw)
    if size > bounds.max_item_bytes:
        errors.append(
            FieldError(pointer or "/", "item_too_large", {"size": size, "max": bounds.max_item_bytes})
        )
    if errors or not (service and region_code and applicant):
        return None, errors
    submission = Submission(
        service_code=service.code,
        region_code=region_code,
        applicant=applicant,
        attributes=attributes,
        description=description,
        channel=channel,
        submitted_by=submitted_by,
    )
    return submission, []


def offered_in(catalog: Catalog, service: Service, region_code: str) -> bool:
    """True when some agency handles ``service`` in a jurisdiction covering ``region_code``.

    A national agency with no jurisdiction listed covers the whole country.
    """
    for agency in catalog.agencies:
        if service.code not in agency.services:
            continue
        if not agency.jurisdiction and agency.government_level == GovernmentLevel.NATIONAL:
            return True
        if any(region_code == j or region_code.startswith(j + ".") for j in agency.jurisdiction):
            return True
    return False


def _text(
    raw: dict[str, Any],
    name: str,
    pointer: str,
    errors: list[FieldError],
    *,
    limit: int,
    required: bool = False,
) -> str | None:
    value = raw.get(name)
    where = f"{pointer}/{name}"
    if value is None:
        if required:
            errors.append(FieldError(where, "required"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(where, "type_string"))
        return None
    if required and not value.strip():
        errors.append(FieldError(where, "required"))
        return None
    if len(value) > limit:
        errors.append(FieldError(where, "too_long", {"max": limit}))
        return None
    return value


def _region(raw: dict[str, Any], pointer: str, errors: list[FieldError]) -> str | None:
    value = _text(raw, "region_code", pointer, errors, required=True, limit=20)
    if value is None:
        return None
    code = _known_region(value)
    if code is None:
        errors.append(FieldError(f"{pointer}/region_code", "unknown_region", {"value": value}))
    return code


@functools.lru_cache(maxsize=16_384)
def _known_region(value: str) -> str | None:
    # Region codes repeat endlessly and the region tree never changes in a process: look each up once.
    code = wilayah.normalize_wilayah_code(value) if value.isdigit() else value.strip()
    if not _REGION.match(code) or wilayah.get_wilayah(code) is None:
        return None
    return code


def _applicant(raw: Any, pointer: str, errors: list[FieldError]) -> Applicant | None:
    if raw is None:
        errors.append(FieldError(pointer, "required"))
        return None
    if not isinstance(raw, dict):
        errors.append(FieldError(pointer, "type_object"))
        return None
    count = len(errors)
    errors.extend(
        FieldError(f"{pointer}/{token(n)}", "unknown_field") for n in raw if n not in APPLICANT_FIELDS
    )
    values = {
        name: _text(raw, name, pointer, errors, limit=limit, required=name in ("nik", "name"))
        for name, limit in APPLICANT_FIELDS.items()
    }
    nik = values["nik"]
    if nik is not None:
        info = lokal.parse_nik(nik)
        if not info.valid:
            errors.append(FieldError(f"{pointer}/nik", f"nik_{info.errors[0].code}"))
        nik = info.nik
    email = values["email"]
    if email is not None and (email.count("@") != 1 or email.startswith("@") or email.endswith("@")):
        errors.append(FieldError(f"{pointer}/email", "pattern"))
    if len(errors) > count or nik is None or values["name"] is None:
        return None
    return Applicant(nik=nik, name=values["name"].strip(), phone=values["phone"], email=email)


def _channel(raw: dict[str, Any], pointer: str, errors: list[FieldError], default: Channel) -> Channel:
    value = raw.get("channel")
    if value is None:
        return default
    try:
        return Channel(value)
    except ValueError:
        options = ", ".join(c.value for c in Channel)
        errors.append(FieldError(f"{pointer}/channel", "not_in_enum", {"values": options}))
        return default


def _agency(value: str | None, pointer: str, errors: list[FieldError], catalog: Catalog) -> str | None:
    if value is None:
        return None
    if not _AGENCY.match(value) or catalog.agency(value) is None:
        errors.append(FieldError(f"{pointer}/submitted_by", "unknown_agency", {"value": value}))
        return None
    return value


def _attributes(
    raw: dict[str, Any],
    service: Service | None,
    pointer: str,
    errors: list[FieldError],
    lenient: bool,
    bounds: Bounds,
) -> dict[str, Any]:
    value = raw.get("attributes", {})
    if value is None:
        value = {}
    if not isinstance(value, dict):
        errors.append(FieldError(f"{pointer}/attributes", "type_object"))
        return {}
    if service is None:
        return {}
    typed, problems = check_attributes(
        value,
        service,
        pointer=f"{pointer}/attributes",
        lenient=lenient,
        max_text=bounds.max_text_field_chars,
    )
    errors.extend(problems)
    return typed
