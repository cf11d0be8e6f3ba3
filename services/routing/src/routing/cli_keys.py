"""`satupintu agency keys create|list|revoke`: agency API keys, through intake's admin API.

Intake stores only a hash of each key; the key itself is shown once, by ``create``. The admin API is
reached at ``SATUPINTU_INTAKE_URL`` with ``Authorization: Bearer`` and the administrator token
(``SATUPINTU_ADMIN_TOKEN``, ``SATUPINTU_ADMIN_TOKEN_FILE`` or ``$SATUPINTU_SECRETS_DIR/admin-token``).
"""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote

import httpx

from .cli_support import (
    ADMIN_TOKEN,
    INTAKE_URL,
    OK,
    base_url,
    bearer,
    call,
    refused,
    show_time,
    table,
)


def _client() -> httpx.Client:
    return httpx.Client(headers={**bearer(ADMIN_TOKEN), "Accept": "application/json"})


def _keys_url(agency: str, key_id: str | None = None) -> str:
    url = f"{base_url(INTAKE_URL)}/v1/admin/agencies/{quote(agency, safe='')}/keys"
    return f"{url}/{quote(key_id, safe='')}" if key_id else url


def create(agency: str, out: TextIO, *, as_json: bool = False) -> int:
    """Create an API key for ``agency`` and print it (the only time it can be seen)."""
    with _client() as client:
        answer = call(client, "POST", _keys_url(agency), what="intake's admin API")
    if answer.status != 201 or not isinstance(answer.body, dict) or "api_key" not in answer.body:
        raise refused(answer, f"could not create a key for {agency}")
    doc: dict[str, Any] = answer.body
    if as_json:
        print(json.dumps(doc, indent=2), file=out)
        return OK
    owner = doc.get("agency_code", agency)
    print(f"created key {doc.get('key_id')} for {owner} at {show_time(doc.get('created_at'))}", file=out)
    print("", file=out)
    print(f"    {doc['api_key']}", file=out)
    print("", file=out)
    print(
        "Store this API key now in the agency system's secret store: it is shown only once and cannot be\n"
        "retrieved again (SatuPintu keeps only its hash). The agency system sends it with its status\n"
        "reports over HTTP (see intake's README). To rotate or after a leak: create a new key,\n"
        f"switch the system to it, then `satupintu agency keys revoke {agency} {doc.get('key_id')}`.",
        file=out,
    )
    return OK


def list_keys(agency: str, out: TextIO, *, as_json: bool = False) -> int:
    """Print ``agency``'s keys (ids and dates, never the keys)."""
    with _client() as client:
        answer = call(client, "GET", _keys_url(agency), what="intake's admin API")
    if answer.status != 200 or not isinstance(answer.body, dict):
        raise refused(answer, f"could not list the keys of {agency}")
    keys: list[dict[str, Any]] = list(answer.body.get("keys") or [])
    if as_json:
        print(json.dumps({"keys": keys}, indent=2), file=out)
        return OK
    if not keys:
        print(f"{agency} has no API keys (create one: satupintu agency keys create {agency})", file=out)
        return OK
    rows = [
        [
            str(k.get("key_id")),
            "revoked" if k.get("revoked_at") else "active",
            show_time(k.get("created_at")),
            show_time(k.get("last_used_at")) if k.get("last_used_at") else "never",
            show_time(k.get("revoked_at")) if k.get("revoked_at") else "-",
        ]
        for k in keys
    ]
    table(["KEY ID", "STATE", "CREATED", "LAST USED", "REVOKED"], rows, out)
    active = sum(1 for k in keys if not k.get("revoked_at"))
    print(f"{len(keys)} key(s), {active} active", file=out)
    return OK


def revoke(agency: str, key_id: str, out: TextIO) -> int:
    """Revoke one of ``agency``'s keys: intake refuses it from now on."""
    with _client() as client:
        answer = call(client, "DELETE", _keys_url(agency, key_id), what="intake's admin API")
    if answer.status not in (200, 204):
        raise refused(answer, f"could not revoke key {key_id} of {agency}")
    print(f"revoked key {key_id} of {agency}: requests made with it are refused from now on", file=out)
    return OK
