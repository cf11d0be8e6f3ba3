"""What routes receive: the wired services (built once by ``bootstrap``) and the client's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from opentelemetry import propagate, trace

from satupintu_shared.catalog import Catalog

from ..adapters.api_keys import ApiKeyStore
from ..adapters.kafka import BoundedPublisher
from ..adapters.status_store import StatusStore
from ..service_layer.submit import Submitter
from ..service_layer.survey import Surveys
from ..settings import Settings
from .problems import language

tracer = trace.get_tracer("intake")


@dataclass
class Services:
    """Everything the HTTP routes use."""

    settings: Settings
    submitter: Submitter
    surveys: Surveys
    status: StatusStore
    catalog: Callable[[], Catalog | None]
    keys: ApiKeyStore
    publisher: BoundedPublisher


async def get_services(request: Request) -> Services:
    """The wired services of this app (``async``: FastAPI runs plain functions in a worker thread)."""
    services: Services = request.app.state.services
    return services


async def get_language(request: Request) -> str:
    """The client's language (``async`` for the same reason)."""
    return language(request)


ServicesDep = Annotated[Services, Depends(get_services)]
LanguageDep = Annotated[str, Depends(get_language)]


@contextmanager
def server_span(request: Request, name: str) -> Iterator[trace.Span]:
    """A server span continuing the caller's ``traceparent``, if any (attributes never hold personal data).

    When an ASGI instrumentation already opened the server span, that span is used (named after the route).
    """
    current = trace.get_current_span()
    if current.is_recording() and getattr(current, "kind", None) == trace.SpanKind.SERVER:
        current.update_name(name)
        current.set_attribute("http.route", name.split(" ", 1)[-1])
        yield current
        return
    context = propagate.extract(request.headers)
    with tracer.start_as_current_span(name, context=context, kind=trace.SpanKind.SERVER) as span:
        span.set_attribute("http.request.method", request.method)
        span.set_attribute("http.route", name.split(" ", 1)[-1])
        yield span
