"""Documentation models for the OpenAPI document (bodies are parsed by intake's own validator, so that
every invalid field, catalog checks included, is reported at once in one problem document).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from satupintu_shared.events import Channel, OfficerId, ReportedStatus

REF = "#/components/schemas/{model}"


class ApplicantIn(BaseModel):
    """Personal data: passed on only to the agency that must act."""

    model_config = ConfigDict(extra="forbid")
    nik: str = Field(examples=["3273010101900001"], description="16-digit NIK (checked with lokal-id)")
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)


class SubmissionIn(BaseModel):
    """A service request."""

    model_config = ConfigDict(extra="forbid")
    service_code: str = Field(examples=["ktp-replacement"])
    region_code: str = Field(examples=["32.73.01"], description="Kemendagri code of where the matter is")
    applicant: ApplicantIn
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Typed by the service's catalog entry"
    )
    description: str = Field(default="", max_length=4000)
    channel: Channel = Channel.WEB


class BatchItemIn(SubmissionIn):
    """A batch item; ``idempotency_key`` works like the ``Idempotency-Key`` header."""

    idempotency_key: str | None = Field(default=None, max_length=200)


class BatchIn(BaseModel):
    """Up to 500 submissions."""

    items: list[BatchItemIn] = Field(max_length=500)


class StatusReportIn(BaseModel):
    """An agency's progress report. The acting agency is the API key's, never a body field."""

    model_config = ConfigDict(extra="forbid")
    tracking_number: str = Field(max_length=40, examples=["SP-1SHH-EVDG-KRZH-Q"])
    status: ReportedStatus
    officer_id: OfficerId | None = Field(default=None, description="18-digit NIP of the acting officer")
    note: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(
        default=None, max_length=4000, description="Required when status is rejected or returned"
    )


class StatusReportAccepted(BaseModel):
    """The report was published to the agency's status topic (routing then checks and applies it)."""

    event_id: str
    tracking_number: str
    status: str = "reported"


class Accepted(BaseModel):
    """The request was stored durably (the broker acknowledged it)."""

    tracking_number: str = Field(examples=["SP-1SHH-EVDG-KRZH-Q"])
    status: str = "submitted"
    trace_id: str | None = None
    links: dict[str, str]


class StatusView(BaseModel):
    """The citizen's view of a request; personal data masked."""

    tracking_number: str
    status: str
    service_code: str | None
    service_name: str | None
    region_code: str | None
    region_name: str | None
    agency_code: str | None
    agency_name: str | None
    due_at: datetime | None
    submitted_at: datetime | None
    updated_at: datetime
    applicant: dict[str, str] = Field(examples=[{"nik": "3273********0001", "name": "B*** S***"}])
    links: dict[str, str]


def body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON request body of ``model``."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}},
        }
    }


def install_openapi(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add ``models`` (and their nested models) to the OpenAPI components."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, routes=app.routes, description=app.description
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template=REF)
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
