"""Operator authentication: static hashed tokens, roles, refusals as problem+json, the console session,
and start-up refusing guessable tokens. A small app served over HTTP in-process exercises the dependency."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from satupintu_shared.operator_auth import (
    COOKIE,
    OperatorAuthConfigError,
    OperatorAuthSettings,
    Principal,
    Role,
    authenticator_of,
    install_operator_auth,
    require_role,
    set_session_cookie,
)
from satupintu_shared.operator_auth.session import SessionSigner

OPERATOR = secrets.token_hex(32)
ADMIN = secrets.token_hex(32)


def settings(**env: Any) -> OperatorAuthSettings:
    return OperatorAuthSettings(**env)


def app_with(config: OperatorAuthSettings) -> FastAPI:
    app = FastAPI()
    install_operator_auth(app, config)

    @app.get("/read")
    async def read(who: Annotated[Principal, Depends(require_role("operator"))]) -> dict[str, str]:
        return {"subject": who.subject, "role": who.role.label, "via": who.via}

    @app.post("/change", dependencies=[Depends(require_role(Role.ADMINISTRATOR))])
    async def change() -> dict[str, str]:
        return {"changed": "yes"}

    @app.post("/sign-in")
    async def sign_in(request: Request) -> JSONResponse:
        auth = authenticator_of(request)
        principal = await auth.authenticate((await request.json())["token"])
        value, max_age = auth.sessions.issue(principal)
        response = JSONResponse({"ok": True})
        set_session_cookie(response, value, max_age, secure=False)
        return response

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = app_with(settings(SATUPINTU_OPERATOR_TOKEN=OPERATOR, SATUPINTU_ADMIN_TOKEN=ADMIN))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_without_a_credential_an_operator_route_answers_401_problem_with_a_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/read")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="satupintu-operator"'
    assert response.json()["status"] == 401 and response.json()["title"] == "Unauthorized"


async def test_a_wrong_token_is_401_invalid_token_and_the_right_ones_pass_with_their_role(
    client: httpx.AsyncClient,
) -> None:
    wrong = await client.get("/read", headers=bearer(secrets.token_hex(32)))
    basic = await client.get("/read", headers={"Authorization": f"Basic {OPERATOR}"})
    as_operator = await client.get("/read", headers=bearer(OPERATOR))
    as_admin = await client.get("/read", headers=bearer(ADMIN))
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert basic.status_code == 401
    assert as_operator.json() == {"subject": "operator-token", "role": "operator", "via": "token"}
    assert as_admin.json()["role"] == "administrator"


async def test_an_operator_token_on_an_administrator_route_is_403(client: httpx.AsyncClient) -> None:
    refused = await client.post("/change", headers=bearer(OPERATOR))
    allowed = await client.post("/change", headers=bearer(ADMIN))
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert "needs administrator" in refused.json()["detail"]
    assert allowed.status_code == 200


async def test_a_signed_in_session_cookie_stands_for_the_token_and_a_forged_one_does_not(
    client: httpx.AsyncClient,
) -> None:
    signed_in = await client.post("/sign-in", json={"token": OPERATOR})
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    value = signed_in.cookies[COOKIE]
    assert OPERATOR not in cookie and OPERATOR not in value
    read = await client.get("/read")
    assert read.status_code == 200 and read.json()["via"] == "session"
    assert (await client.post("/change")).status_code == 403  # an operator's session is still an operator

    body, _, signature = value.partition(".")
    client.cookies.clear()
    for forged in (f"{body}x.{signature}", f"{body}.", "garbage", f"{body}.{signature}é".encode().hex()):
        response = await client.get("/read", headers={"Cookie": f"{COOKIE}={forged}"})
        assert response.status_code == 401, forged
    assert (await client.get("/read", headers={"Cookie": f"{COOKIE}={value}"})).status_code == 200


async def test_a_session_ends_when_it_expires_or_its_token_is_no_longer_configured() -> None:
    first = app_with(settings(SATUPINTU_OPERATOR_TOKEN=OPERATOR, SATUPINTU_SESSION_KEY=ADMIN))
    rotated = app_with(settings(SATUPINTU_OPERATOR_TOKEN=secrets.token_hex(32), SATUPINTU_SESSION_KEY=ADMIN))
    signer = SessionSigner(ADMIN.encode(), 3600)
    same_key = first.state.operator_auth
    principal = await same_key.authenticate(OPERATOR)
    value, max_age = signer.issue(principal)
    assert max_age == 3600 and same_key.session(value) is not None
    assert rotated.state.operator_auth.session(value) is None  # the token it came from is gone
    expired, _ = signer.issue(principal, now=1_000)
    assert same_key.session(expired) is None
    other_key = SessionSigner(secrets.token_bytes(32), 3600)
    assert same_key.session(other_key.issue(principal)[0]) is None


async def test_with_nothing_configured_every_credential_is_refused_and_a_warning_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        app = app_with(settings())
    assert "no operator credential is configured" in caplog.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as c:
        for token in ("dev-admin-token", OPERATOR, ""):
            assert (await c.get("/read", headers=bearer(token))).status_code == 401


@pytest.mark.parametrize(
    "token",
    [
        "dev-admin-token",
        "changeme",
        "admin",
        "secret",
        "password",
        "CHANGEME",
        "short-but-random-9f3a",
        "ab" * 20,
    ],
)
def test_start_up_refuses_a_guessable_token(token: str) -> None:
    for variable in ("SATUPINTU_OPERATOR_TOKEN", "SATUPINTU_ADMIN_TOKEN"):
        with pytest.raises(OperatorAuthConfigError, match=variable):
            app_with(settings(**{variable: token}))


def test_start_up_refuses_a_guessable_token_in_a_file_and_a_missing_file(tmp_path: Path) -> None:
    weak = tmp_path / "admin-token"
    weak.write_text("dev-admin-token\n")
    with pytest.raises(OperatorAuthConfigError, match="placeholder"):
        app_with(settings(SATUPINTU_ADMIN_TOKEN_FILE=weak))
    with pytest.raises(OperatorAuthConfigError, match="cannot read SATUPINTU_OPERATOR_TOKEN_FILE"):
        app_with(settings(SATUPINTU_OPERATOR_TOKEN_FILE=tmp_path / "missing"))
    with pytest.raises(OperatorAuthConfigError, match="SATUPINTU_SESSION_KEY"):
        app_with(settings(SATUPINTU_OPERATOR_TOKEN=OPERATOR, SATUPINTU_SESSION_KEY="changeme"))


async def test_tokens_are_read_from_files_and_from_digests(tmp_path: Path) -> None:
    token_file = tmp_path / "operator-token"
    token_file.write_text(OPERATOR + "\n")
    hashed = secrets.token_hex(32)
    digest = hashlib.sha256(hashed.encode()).hexdigest()
    app = app_with(
        settings(
            SATUPINTU_OPERATOR_TOKEN_FILE=token_file,
            SATUPINTU_OPERATOR_TOKEN_HASHES=f" administrator:{digest}:siti , operator:{'ab' * 32}",
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as c:
        from_file = await c.get("/read", headers=bearer(OPERATOR))
        from_digest = await c.get("/read", headers=bearer(hashed))
        changed = await c.post("/change", headers=bearer(hashed))
    assert from_file.json()["role"] == "operator"
    assert from_digest.json() == {"subject": "siti", "role": "administrator", "via": "token"}
    assert changed.status_code == 200


@pytest.mark.parametrize(
    "entry",
    [
        "root:" + "ab" * 32,
        "operator:abcd",
        "operator:" + "zz" * 32,
        "administrator:" + hashlib.sha256(b"dev-admin-token").hexdigest(),
    ],
)
def test_start_up_refuses_a_malformed_or_placeholder_digest(entry: str) -> None:
    with pytest.raises(OperatorAuthConfigError, match="SATUPINTU_OPERATOR_TOKEN_HASHES entry 1"):
        app_with(settings(SATUPINTU_OPERATOR_TOKEN_HASHES=entry))


def test_half_an_oidc_configuration_stops_start_up() -> None:
    with pytest.raises(OperatorAuthConfigError, match="SATUPINTU_OIDC_JWKS_URL"):
        app_with(settings(SATUPINTU_OIDC_ISSUER="https://sso.example", SATUPINTU_OIDC_AUDIENCE="satupintu"))
    with pytest.raises(OperatorAuthConfigError, match="asymmetric"):
        app_with(
            settings(
                SATUPINTU_OIDC_ISSUER="https://sso.example",
                SATUPINTU_OIDC_AUDIENCE="satupintu",
                SATUPINTU_OIDC_JWKS_URL="http://127.0.0.1:1/jwks",
                SATUPINTU_OIDC_ALGORITHMS="HS256",
            )
        )


async def test_an_app_without_installed_auth_fails_closed() -> None:
    app = FastAPI()

    @app.get("/read", dependencies=[Depends(require_role("operator"))])
    async def read() -> dict[str, str]:
        return {}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as c:
        assert (await c.get("/read", headers=bearer(OPERATOR))).status_code == 500
