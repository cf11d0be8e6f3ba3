"""The operator side is closed, the citizen side open, over real HTTP to the three services run as
processes. The routes are enumerated from each service's own app, so a route added later is checked
too: it must be listed as public, or it must refuse a request without a credential."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from tests.support.platform import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres]

Endpoint = tuple[str, str]  # (method, path template)
DOCS = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}
PROBES = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}

#: What anyone may call: the citizen's door and status view, the survey, Open311, the catalog of services,
#: probes, API descriptions, the console's files and sign-in.
PUBLIC: dict[str, set[Endpoint]] = {
    "intake": PROBES
    | DOCS
    | {
        ("POST", "/v1/requests"),
        ("POST", "/v1/requests:batch"),
        ("GET", "/v1/requests/{tracking_number}"),
        ("POST", "/v1/requests/{tracking_number}/survey"),
        ("GET", "/open311/v2/discovery.{fmt}"),
        ("GET", "/open311/v2/services.{fmt}"),
        ("GET", "/open311/v2/services/{service_code}.{fmt}"),
        ("POST", "/open311/v2/requests.{fmt}"),  # needs an Open311 api_key, not an operator
        ("GET", "/open311/v2/requests.{fmt}"),
        ("GET", "/open311/v2/requests/{request_id}.{fmt}"),
    },
    "routing": PROBES | DOCS | {("GET", "/v1/catalog")},
    "performance": PROBES
    | DOCS
    | {
        ("GET", "/"),  # redirects to the sign-in page without a session
        ("GET", "/sign-in"),
        ("GET", "/console/{name:path}"),
        ("POST", "/console/session"),
        ("POST", "/console/sign-out"),
    },
}
#: Agency systems' door: an agency API key, not an operator credential.
AGENCY: dict[str, set[Endpoint]] = {"intake": {("POST", "/v1/agency/status")}}
#: What changes the platform: the administrator role.
ADMINISTRATOR: dict[str, set[Endpoint]] = {
    "intake": {
        ("POST", "/v1/admin/agencies/{agency_code}/keys"),
        ("GET", "/v1/admin/agencies/{agency_code}/keys"),
        ("DELETE", "/v1/admin/agencies/{agency_code}/keys/{key_id}"),
    },
}
SAMPLES = {
    "tracking_number": "SP-2026-000001",
    "request_id": "SP-2026-000001",
    "agency_code": "bdg-disdukcapil",
    "key_id": "aaaaaaaaaaaa",
    "nip": "198501012010011001",
    "trace_id": "0" * 31 + "1",
    "name:path": "app.js",
    "fmt": "json",
    "service_code": "ktp-el-replacement",
}
SIGN_IN = ("POST", "/console/session")
PLACEHOLDERS = ("dev-admin-token", "changeme", "admin", "secret", "password")


def _apps() -> dict[str, Callable[[], FastAPI]]:
    from intake.bootstrap import create_app as intake
    from performance.bootstrap import create_app as performance
    from routing.bootstrap import create_app as routing

    return {"intake": intake, "routing": routing, "performance": performance}


def endpoints(app: FastAPI) -> set[Endpoint]:
    """Every (method, path) the app answers (HEAD is GET's)."""
    found: set[Endpoint] = set()
    for route in app.routes:
        # Recent FastAPI keeps each included router as one entry that lists its routes itself.
        contexts = getattr(route, "effective_route_contexts", None)
        pairs = [(c.path, c.original_route) for c in contexts()] if contexts else [(route.path, route)]
        for path, original in pairs:
            methods = getattr(original, "methods", None)
            assert methods, f"a route of a kind this test does not know: {path} {original!r}"
            found |= {(m, path) for m in methods if m != "HEAD"}
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: SAMPLES.get(m.group(1), "x"), path)


@dataclass(frozen=True)
class Call:
    service: str
    method: str
    path: str

    async def send(
        self, http: httpx.AsyncClient, platform: Platform, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = platform.url(self.service, concrete(self.path))
        return await http.request(
            self.method, url, headers=headers, json={} if self.method != "GET" else None
        )


@pytest.fixture
async def routes(platform: Platform) -> dict[str, set[Endpoint]]:
    """Every service running as a process, and the routes of each (read from its app, built in-process)."""
    await platform.start()
    return {name: endpoints(make()) for name, make in _apps().items()}


async def test_every_operator_route_refuses_without_a_credential_and_below_its_role(
    platform: Platform, routes: dict[str, set[Endpoint]]
) -> None:
    for name in PUBLIC:
        listed = PUBLIC[name] | AGENCY.get(name, set()) | ADMINISTRATOR.get(name, set())
        assert listed <= routes[name], f"{name}: listed routes that do not exist: {listed - routes[name]}"
    closed = [
        Call(name, method, path)
        for name, found in routes.items()
        for method, path in sorted(found - PUBLIC[name])
    ]
    assert len(closed) >= 16, closed  # performance's API, traces, console data; routing; intake's admin
    operator, admin = platform.env["SATUPINTU_OPERATOR_TOKEN"], platform.env["SATUPINTU_ADMIN_TOKEN"]
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        for call in closed:
            without = await call.send(http, platform)
            assert without.status_code == 401, (call, without.text)
            assert without.headers["content-type"] == "application/problem+json", call
            agency = (call.method, call.path) in AGENCY.get(call.service, set())
            realm = "satupintu-agency" if agency else "satupintu-operator"
            assert without.headers["www-authenticate"].startswith(f'Bearer realm="{realm}"'), call
            for placeholder in PLACEHOLDERS:
                assert (await call.send(http, platform, placeholder)).status_code == 401, (call, placeholder)
            if agency:
                continue
            as_operator = await call.send(http, platform, operator)
            as_admin = await call.send(http, platform, admin)
            if (call.method, call.path) in ADMINISTRATOR.get(call.service, set()):
                assert as_operator.status_code == 403, (call, as_operator.text)
                assert 'error="insufficient_scope"' in as_operator.headers["www-authenticate"]
            else:
                assert as_operator.status_code not in (401, 403), (call, as_operator.text)
            assert as_admin.status_code not in (401, 403), (call, as_admin.text)


async def test_the_citizen_side_and_the_probes_stay_public(
    platform: Platform, routes: dict[str, set[Endpoint]]
) -> None:
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        console = await http.get(platform.url("performance", "/"))
        for name, public in PUBLIC.items():
            for method, path in sorted(public - {SIGN_IN}):
                response = await Call(name, method, path).send(http, platform)
                assert response.status_code not in (401, 403), (name, method, path, response.text)
        sign_in = platform.url("performance", SIGN_IN[1])
        signed_in = await http.post(sign_in, json={"token": platform.env["SATUPINTU_OPERATOR_TOKEN"]})
        refused = await http.post(sign_in, json={"token": "dev-admin-token"})
        api_key = platform.env["INTAKE_OPEN311_API_KEYS"]
        open311 = await http.post(
            platform.url("intake", "/open311/v2/requests.json"), data={"api_key": api_key}
        )
        no_key = await http.post(platform.url("intake", "/open311/v2/requests.json"), data={"api_key": "x"})
        catalog = await http.get(platform.url("routing", "/v1/catalog"))
        ready = {n: (await http.get(platform.url(n, "/readyz"))).status_code for n in PUBLIC}
    assert signed_in.status_code == 200 and "satupintu_session=" in signed_in.headers["set-cookie"]
    assert refused.status_code == 401 and "set-cookie" not in refused.headers
    assert open311.status_code in (400, 503) and no_key.status_code == 403
    assert console.status_code == 303 and console.headers["location"] == "/sign-in"
    assert catalog.status_code == 200
    assert ready == dict.fromkeys(PUBLIC, 200)
