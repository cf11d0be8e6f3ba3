"""`satupintu agency keys create|list|revoke` against intake's admin API contract, served by a stub
(tests/e2e/test_e2e_agency_keys.py runs the same commands against the real intake)."""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli.support import satupintu

TOKEN = secrets.token_hex(32)
PROBLEM = "application/problem+json"


@dataclass
class AdminStub:
    """intake's admin API for agency keys, in memory."""

    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    authorizations: list[str | None] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str, auth: str | None) -> tuple[int, str, Any]:
        self.authorizations.append(auth)
        if auth != f"Bearer {TOKEN}":
            return (
                401,
                PROBLEM,
                {
                    "type": "about:blank",
                    "title": "Unauthorized",
                    "status": 401,
                    "detail": "a valid admin token is required",
                },
            )
        parts = path.strip("/").split("/")  # v1 admin agencies CODE keys [KEY_ID]
        if parts[:3] != ["v1", "admin", "agencies"] or len(parts) < 5 or parts[4] != "keys":
            return 404, PROBLEM, {"title": "Not Found", "status": 404}
        agency = parts[3]
        if agency == "nowhere":
            return (
                404,
                PROBLEM,
                {
                    "title": "Unknown agency",
                    "status": 404,
                    "detail": "agency 'nowhere' is not in the applied catalog",
                },
            )
        keys = self.keys.setdefault(agency, [])
        if method == "POST" and len(parts) == 5:
            key = {
                "key_id": f"k-{uuid.uuid4().hex[:8]}",
                "created_at": "2026-11-30T03:00:00Z",
                "revoked_at": None,
                "last_used_at": None,
            }
            keys.append(key)
            return (
                201,
                "application/json",
                {
                    "key_id": key["key_id"],
                    "api_key": "spk_SECRET-" + key["key_id"],
                    "agency_code": agency,
                    "created_at": key["created_at"],
                },
            )
        if method == "GET" and len(parts) == 5:
            return 200, "application/json", {"keys": keys}
        if method == "DELETE" and len(parts) == 6:
            for key in keys:
                if key["key_id"] == parts[5] and key["revoked_at"] is None:
                    key["revoked_at"] = "2026-11-30T04:00:00Z"
                    return 204, "", None
            return (
                404,
                PROBLEM,
                {"title": "Unknown key", "status": 404, "detail": f"{agency} has no active key {parts[5]}"},
            )
        return 405, PROBLEM, {"title": "Method Not Allowed", "status": 405}

    def start(self) -> AdminStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                status, content_type, body = stub.answer(
                    self.command, self.path, self.headers.get("Authorization")
                )
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self


@pytest.fixture
def admin() -> Iterator[AdminStub]:
    stub = AdminStub().start()
    yield stub
    assert stub.server is not None
    stub.server.shutdown()
    stub.server.server_close()


async def test_create_list_and_revoke_a_key(admin: AdminStub) -> None:
    env = {"SATUPINTU_INTAKE_URL": admin.url, "SATUPINTU_ADMIN_TOKEN": TOKEN}

    created = await satupintu(env, "agency", "keys", "create", "bdg-dlh")
    assert created.code == 0, created.err
    (key,) = admin.keys["bdg-dlh"]
    assert f"spk_SECRET-{key['key_id']}" in created.out
    assert "shown only once" in created.out and f"created key {key['key_id']} for bdg-dlh" in created.out

    as_json = await satupintu(env, "agency", "keys", "create", "bdg-dlh", "--json")
    assert json.loads(as_json.out)["api_key"].startswith("spk_SECRET-")

    listed = await satupintu(env, "agency", "keys", "list", "bdg-dlh")
    assert listed.code == 0, listed.err
    assert key["key_id"] in listed.out and "active" in listed.out and "never" in listed.out
    assert "spk_SECRET" not in listed.out  # a list never shows keys
    assert "2 key(s), 2 active" in listed.out

    revoked = await satupintu(env, "agency", "keys", "revoke", "bdg-dlh", key["key_id"])
    assert revoked.code == 0, revoked.err
    assert f"revoked key {key['key_id']} of bdg-dlh" in revoked.out
    listed = await satupintu(env, "agency", "keys", "list", "bdg-dlh")
    assert "revoked" in listed.out and "2 key(s), 1 active" in listed.out

    again = await satupintu(env, "agency", "keys", "revoke", "bdg-dlh", key["key_id"])
    assert again.code == 1
    assert f"Unknown key (404): bdg-dlh has no active key {key['key_id']}" in again.err

    empty = await satupintu(env, "agency", "keys", "list", "bdg-dinsos")
    assert empty.code == 0 and "bdg-dinsos has no API keys" in empty.out


async def test_problems_are_shown_with_title_and_detail_and_exit_codes_tell_why(admin: AdminStub) -> None:
    unknown = await satupintu(
        {"SATUPINTU_INTAKE_URL": admin.url, "SATUPINTU_ADMIN_TOKEN": TOKEN},
        "agency",
        "keys",
        "create",
        "nowhere",
    )
    assert unknown.code == 1
    assert "Unknown agency (404): agency 'nowhere' is not in the applied catalog" in unknown.err

    wrong_token = await satupintu(
        {"SATUPINTU_INTAKE_URL": admin.url, "SATUPINTU_ADMIN_TOKEN": "nope"},
        "agency",
        "keys",
        "list",
        "bdg-dlh",
    )
    assert wrong_token.code == 1 and "Unauthorized (401): a valid admin token is required" in wrong_token.err

    down = await satupintu(
        {"SATUPINTU_INTAKE_URL": "http://127.0.0.1:1"}, "agency", "keys", "list", "bdg-dlh"
    )
    assert down.code == 2 and "cannot reach intake's admin API at http://127.0.0.1:1" in down.err
    assert "Traceback" not in down.err


async def test_the_token_comes_from_its_file_or_the_secrets_folder_and_there_is_no_default(
    admin: AdminStub, tmp_path: Path
) -> None:
    unset = {"SATUPINTU_ADMIN_TOKEN": "", "SATUPINTU_OPERATOR_TOKEN": ""}
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    from_file = await satupintu(
        {**unset, "SATUPINTU_INTAKE_URL": admin.url, "SATUPINTU_ADMIN_TOKEN_FILE": str(token_file)},
        *("agency", "keys", "list", "bdg-dlh"),
    )
    assert from_file.code == 0, from_file.err

    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "admin-token").write_text(TOKEN + "\n")
    from_folder = await satupintu(
        {**unset, "SATUPINTU_INTAKE_URL": admin.url, "SATUPINTU_SECRETS_DIR": str(folder)},
        *("agency", "keys", "list", "bdg-dlh"),
    )
    assert from_folder.code == 0, from_folder.err

    empty = tmp_path / "empty"
    empty.mkdir()
    calls = len(admin.authorizations)
    none = await satupintu(
        {**unset, "SATUPINTU_INTAKE_URL": admin.url, "SATUPINTU_SECRETS_DIR": str(empty)},
        *("agency", "keys", "create", "bdg-dlh"),
    )
    assert none.code == 2 and "no operator credential: set SATUPINTU_ADMIN_TOKEN" in none.err
    assert len(admin.authorizations) == calls, "nothing is sent without a token"
    assert admin.authorizations == [f"Bearer {TOKEN}"] * calls
