"""Server-side proxy to Jaeger's query API: the browser cannot call Jaeger across origins."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from typing import Any

#: W3C trace ids are 32 hex digits; Jaeger also accepts its older 16-digit form.
TRACE_ID = re.compile(r"^(?:[0-9a-f]{16}|[0-9a-f]{32})$")


class TraceNotFound(LookupError):
    """Jaeger answered but has no such trace (not exported yet, sampled out, or expired)."""


class JaegerUnavailable(ConnectionError):
    """Jaeger could not be reached or answered something that is not a trace."""


def _fetch(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise TraceNotFound(url) from exc
        raise JaegerUnavailable(f"Jaeger answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise JaegerUnavailable(f"Jaeger is unreachable: {exc}") from exc
    except ValueError as exc:
        raise JaegerUnavailable("Jaeger answered something that is not JSON") from exc


async def fetch_trace(base_url: str, trace_id: str, timeout: float) -> dict[str, Any]:
    """Jaeger's ``/api/traces/{trace_id}`` document; raises TraceNotFound or JaegerUnavailable.

    The standard library client runs in a thread: one request per operator click does not justify a
    new runtime dependency.
    """
    url = f"{base_url.rstrip('/')}/api/traces/{trace_id}"
    doc = await asyncio.to_thread(_fetch, url, timeout)
    if not isinstance(doc, dict):
        raise JaegerUnavailable("Jaeger answered something that is not a trace")
    if not doc.get("data"):
        raise TraceNotFound(url)
    return doc
