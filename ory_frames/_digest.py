"""Digests of plain values: one canonical JSON encoding, hashed with SHA-256.

Digests end up in files (a saved plan's ``plan_id`` and ``patch_id``s, a copy state's ``copy_id``),
so the encoding is fixed: ``json.dumps(value, sort_keys=True, default=str)`` with Python's default
separators and ASCII escapes. A value that is not JSON (a timestamp, say) is hashed as its ``str``.
Changing any of this changes every stored digest, and a resumed copy or a saved plan would no longer
be recognised.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["json_digest", "sha256_hex"]


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


def json_digest(value: Any) -> str:
    """The SHA-256 (hex) of ``value`` in the one canonical JSON encoding: equal values, equal digests."""
    return sha256_hex(json.dumps(value, sort_keys=True, default=str).encode())
