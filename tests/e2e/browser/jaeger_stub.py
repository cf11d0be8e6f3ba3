"""Jaeger's query API (``GET /api/traces/{id}``) answered from the spans a test's OTLP receiver got.

``make test`` runs no Jaeger, so the browser tests stand this in for it. The JSON is Jaeger's own
shape, converted as Jaeger converts OTLP: the parent becomes a CHILD_OF reference, span links become
FOLLOWS_FROM references, an error status becomes the ``error`` tag, and times are in microseconds.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.otlp import OtlpReceiver, ReceivedSpan

_STATUS_ERROR = 2
_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _text(value: Any) -> Any:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def jaeger_trace(trace_id: str, spans: list[ReceivedSpan]) -> dict[str, Any]:
    """The ``/api/traces/{trace_id}`` document of ``spans``."""
    processes: dict[str, str] = {}
    out = []
    for span in spans:
        pid = processes.setdefault(span.service, f"p{len(processes) + 1}")
        refs = [{"refType": "CHILD_OF", "traceID": span.trace_id, "spanID": span.parent_span_id}]
        refs = refs if span.parent_span_id else []
        refs += [{"refType": "FOLLOWS_FROM", "traceID": t, "spanID": s} for t, s in span.links]
        tags = [{"key": k, "type": "string", "value": _text(v)} for k, v in span.attributes.items()]
        tags.append({"key": "span.kind", "type": "string", "value": _KINDS.get(span.kind, "internal")})
        if span.status_code == _STATUS_ERROR:
            tags.append({"key": "error", "type": "bool", "value": True})
        out.append(
            {
                "traceID": span.trace_id,
                "spanID": span.span_id,
                "operationName": span.name,
                "references": refs,
                "startTime": span.start_ns // 1000,
                "duration": (span.end_ns - span.start_ns) // 1000,
                "tags": tags,
                "logs": [],
                "processID": pid,
                "warnings": None,
            }
        )
    return {
        "data": [
            {
                "traceID": trace_id,
                "spans": out,
                "processes": {pid: {"serviceName": name, "tags": []} for name, pid in processes.items()},
                "warnings": None,
            }
        ],
        "total": 0,
        "limit": 0,
        "offset": 0,
        "errors": None,
    }


class JaegerQueryStub:
    """Serves ``/api/traces/{id}`` from ``receiver``; 404 with Jaeger's error body for unknown traces."""

    def __init__(self, receiver: OtlpReceiver) -> None:
        self.receiver = receiver
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> JaegerQueryStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append(self.path)
                trace_id = self.path.rsplit("/", 1)[-1]
                spans = stub.receiver.in_trace(trace_id) if self.path.startswith("/api/traces/") else []
                if spans:
                    status, body = 200, jaeger_trace(trace_id, spans)
                else:
                    status, body = 404, {"data": None, "errors": [{"code": 404, "msg": "trace not found"}]}
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
