"""Operators signed in at an OIDC provider: real RSA and EC keys generated here, the provider's JWKS served
over loopback HTTP, tokens signed with PyJWT and checked by the same code the services run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from satupintu_shared.operator_auth import (
    OperatorAuthSettings,
    Principal,
    install_operator_auth,
    require_role,
)

ISSUER = "https://sso.example.go.id/realms/satupintu"
AUDIENCE = "satupintu-console"


class Provider:
    """An identity provider's signing keys and its JWKS endpoint on 127.0.0.1."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.outsider = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        keys = [
            {**json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key())), "kid": "rsa-1", "use": "sig"},
            {**json.loads(ECAlgorithm.to_jwk(self.ec.public_key())), "kid": "ec-1", "use": "sig"},
        ]
        body = json.dumps({"keys": keys}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/jwks" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/jwks"

    def token(self, *, key: Any = None, kid: str = "rsa-1", alg: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "siti@example.go.id", "iat": now, "exp": now + 300}
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.rsa, algorithm=alg, headers={"kid": kid})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.stop()


@pytest.fixture
async def client(provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    settings = OperatorAuthSettings(
        SATUPINTU_OIDC_ISSUER=ISSUER,
        SATUPINTU_OIDC_AUDIENCE=AUDIENCE,
        SATUPINTU_OIDC_JWKS_URL=provider.jwks_url,
        SATUPINTU_OIDC_ROLES_CLAIM="realm_access.roles",
    )
    app = FastAPI()
    install_operator_auth(app, settings)

    @app.get("/read")
    async def read(who: Annotated[Principal, Depends(require_role("operator"))]) -> dict[str, str]:
        return {"subject": who.subject, "role": who.role.label, "via": who.via}

    @app.post("/change", dependencies=[Depends(require_role("administrator"))])
    async def change() -> dict[str, str]:
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as c:
        yield c


def roles(*names: str) -> dict[str, Any]:
    return {"realm_access": {"roles": ["offline_access", *names]}}


async def get(client: httpx.AsyncClient, token: str, path: str = "/read") -> httpx.Response:
    method = "POST" if path == "/change" else "GET"
    return await client.request(method, path, headers={"Authorization": f"Bearer {token}"})


async def test_a_token_of_the_provider_with_the_operator_role_reads(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    response = await get(client, provider.token(**roles("operator")))
    assert response.status_code == 200
    assert response.json() == {"subject": "siti@example.go.id", "role": "operator", "via": "oidc"}
    assert (await get(client, provider.token(**roles("operator")), "/change")).status_code == 403


async def test_an_administrator_token_signed_with_the_providers_ec_key_changes(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    token = provider.token(key=provider.ec, kid="ec-1", alg="ES256", **roles("operator", "administrator"))
    assert (await get(client, token, "/change")).status_code == 200


@pytest.mark.parametrize(
    ("why", "claims"),
    [
        ("Invalid issuer", {"iss": "https://evil.example/realms/satupintu"}),
        ("Audience doesn't match", {"aud": "another-app"}),
        ("expired", {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}),
        ('missing the "exp" claim', {"exp": None}),
    ],
)
async def test_a_token_with_the_wrong_claims_is_401(
    client: httpx.AsyncClient, provider: Provider, why: str, claims: dict[str, Any]
) -> None:
    response = await get(client, provider.token(**roles("administrator"), **claims))
    assert response.status_code == 401 and why in response.json()["detail"]
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_token_signed_by_another_key_or_tampered_with_is_401(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    outsider = provider.token(key=provider.outsider, **roles("administrator"))  # claims kid rsa-1
    unknown_kid = provider.token(kid="rsa-9", **roles("administrator"))
    header, payload, signature = provider.token(**roles("operator")).split(".")
    elevated = jwt.utils.base64url_encode(
        json.dumps({**json.loads(jwt.utils.base64url_decode(payload)), **roles("administrator")}).encode()
    ).decode()
    unsigned = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}, None, "none")
    cases = [
        ("Signature verification failed", outsider),
        ("Unable to find a signing key", unknown_kid),
        ("Signature verification failed", f"{header}.{elevated}.{signature}"),
        ("Unable to find a signing key", unsigned),
    ]
    for why, token in cases:
        response = await get(client, token)
        assert response.status_code == 401 and why in response.json()["detail"], why


async def test_a_valid_token_without_an_operator_role_is_403(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    no_role = await get(client, provider.token(**roles("citizen")))
    no_claim = await get(client, provider.token())
    assert (no_role.status_code, no_claim.status_code) == (403, 403)
    assert "neither the operator nor the administrator role" in no_role.json()["detail"]


async def test_an_unreachable_provider_is_503_not_a_pass(provider: Provider) -> None:
    settings = OperatorAuthSettings(
        SATUPINTU_OIDC_ISSUER=ISSUER,
        SATUPINTU_OIDC_AUDIENCE=AUDIENCE,
        SATUPINTU_OIDC_JWKS_URL="http://127.0.0.1:1/",
    )
    app = FastAPI()
    install_operator_auth(app, settings)

    @app.get("/read", dependencies=[Depends(require_role("operator"))])
    async def read() -> dict[str, str]:
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as c:
        response = await get(c, provider.token(**roles("operator")))
    assert response.status_code == 503
