"""Deterministic event ids: a redelivered trigger republishes the same ids, so consumers deduplicate."""

from __future__ import annotations

import hashlib
import uuid

NAMESPACE = uuid.UUID("6f1c1d7e-2b8a-5c1e-9a43-5a7475b1e0a1")
_PREFIX = NAMESPACE.bytes


def derived_id(trigger: str, kind: str) -> str:
    """The id of the ``kind`` event caused by ``trigger`` (an event id or another stable string).

    ``str(uuid.uuid5(NAMESPACE, f"{trigger}:{kind}"))``, computed without building a ``UUID`` object
    (routing derives two or three per consumed event).
    """
    digest = bytearray(hashlib.sha1(_PREFIX + f"{trigger}:{kind}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
