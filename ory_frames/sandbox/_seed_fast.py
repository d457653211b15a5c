"""seed_identities_fast: a million identities in minutes, cloned from a few thousand realistic ones (no sessions).

:func:`~ory_frames.sandbox._seed.seed_store` draws every identity (names, credentials, hashes, sessions)
from the seeded RNG, about half a millisecond each: ten minutes for a million. For size benchmarks this
module draws ``templates`` identities that way and then clones them. Clone number ``k`` gets fresh UUIDs
(its id, its addresses') and identifiers of its own (``local+k@domain`` e-mails, ``name_k`` usernames
and external ids, random digits for phone numbers and OIDC subjects), so every unique index of the
store holds; the documents go through the same ``Store.insert_identities`` as any other, so the wire
is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from random import Random
from typing import Any

import orjson

from ._seed import SeedTarget, iter_seed_docs

__all__ = ["seed_identities_fast"]

_UUID_MASK = ~(0xF << 76) & ~(0x3 << 62) & ((1 << 128) - 1)
_UUID_BITS = (0x4 << 76) | (0x2 << 62)
_USERNAME_MAX = 32  # maxLength of the username trait (sandbox/schemas/username.json)


def seed_identities_fast(
    store: SeedTarget,
    *,
    identities: int,
    seed: int = 0,
    now: datetime | None = None,
    templates: int = 2000,
    chunk_size: int = 5000,
) -> None:
    """Fill a store with ``identities`` identities (and no sessions), cloned from ``templates`` drawn ones.

    The same ``seed`` gives the same identities. Traits, credentials, addresses, metadata and timestamps
    repeat with period ``templates``; ids and identifiers never repeat.

    Examples
    --------
    >>> seed_identities_fast(store, identities=1_000_000)  # doctest: +SKIP
    """
    if identities < 0:
        raise ValueError(f"identities must not be negative, got {identities}")
    rng = Random(f"fast-{seed}")
    used: set[str] = set()
    drawn = [_Template(doc) for doc, _ in iter_seed_docs(min(templates, identities) or 0, seed=seed, now=now)]
    batch: list[dict[str, Any]] = []
    for k in range(identities):
        batch.append(drawn[k % len(drawn)].clone(k, rng, used))
        if len(batch) >= chunk_size:
            store.insert_identities(batch)
            batch = []
    if batch:
        store.insert_identities(batch)


class _Template:
    """One drawn identity as JSON text cut around the strings each clone must change."""

    def __init__(self, doc: dict[str, Any]) -> None:
        change: dict[str, Callable[[int, Random, set[str]], str]] = {}
        change[doc["id"]] = _new_uuid
        for addr in [*doc.get("verifiable_addresses", []), *doc.get("recovery_addresses", [])]:
            change[addr["id"]] = _new_uuid
        if doc.get("external_id"):
            change[doc["external_id"]] = _suffixed(doc["external_id"])
        traits = doc.get("traits") or {}
        if isinstance(traits.get("email"), str):
            local, _, domain = traits["email"].rpartition("@")
            change[traits["email"]] = lambda k, _r, _u: f"{local}+{_base36(k)}@{domain}"
        if isinstance(traits.get("username"), str):
            change[traits["username"]] = _suffixed(traits["username"], _USERNAME_MAX)
            change[traits["username"].lower()] = _suffixed(traits["username"].lower(), _USERNAME_MAX)
        if isinstance(traits.get("phone"), str):
            # Six digits: the mobile range of _seed_draw.MOBILE_RANGES stays, as Kratos' `tel` format needs.
            change[traits["phone"]] = _new_digits(traits["phone"], 6)
        follow: list[tuple[str, str, str]] = []  # an OIDC identifier `provider:subject` follows its subject
        oidc = (doc.get("credentials") or {}).get("oidc") or {}
        for provider in (oidc.get("config") or {}).get("providers", []):
            subject = provider["subject"]
            change[subject] = _new_digits(subject, len(subject))
            follow.append((f"{provider['provider']}:{subject}", f"{provider['provider']}:", subject))
        self._change, self._follow = change, follow
        text = orjson.dumps(doc).decode()
        found: list[tuple[int, int, str]] = []  # (start, end, old string) of each quoted occurrence
        for old in [*change, *(f[0] for f in follow)]:
            quoted = orjson.dumps(old).decode()
            start = text.find(quoted)
            while start >= 0:
                found.append((start, start + len(quoted), old))
                start = text.find(quoted, start + len(quoted))
        found.sort()
        ends = [0] + [end for _, end, _ in found]
        starts = [start for start, _, _ in found] + [len(text)]
        self._pieces = [text[a:b] for a, b in zip(ends, starts, strict=True)]
        self._olds = [old for _, _, old in found]

    def clone(self, k: int, rng: Random, used: set[str]) -> dict[str, Any]:
        """The ``k``-th clone: every changed string replaced the same way wherever it occurs."""
        new = {old: make(k, rng, used) for old, make in self._change.items()}
        for identifier, prefix, subject in self._follow:
            new[identifier] = prefix + new[subject]
        out = [self._pieces[0]]
        for old, piece in zip(self._olds, self._pieces[1:], strict=True):
            out.append(orjson.dumps(new[old]).decode())
            out.append(piece)
        doc: dict[str, Any] = orjson.loads("".join(out))
        return doc


def _base36(k: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        k, r = divmod(k, 36)
        out = digits[r] + out
        if not k:
            return out


def _new_uuid(_k: int, rng: Random, _used: set[str]) -> str:
    h = f"{rng.getrandbits(128) & _UUID_MASK | _UUID_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _suffixed(value: str, limit: int | None = None) -> Callable[[int, Random, set[str]], str]:
    """``value_k`` (``value`` cut so that it fits ``limit``): unique, as no two clones share the number ``k``."""

    def make(k: int, _rng: Random, _used: set[str]) -> str:
        tail = f"_{_base36(k)}"
        return (value if limit is None else value[: limit - len(tail)]) + tail

    return make


def _new_digits(value: str, n: int) -> Callable[[int, Random, set[str]], str]:
    """``value`` with its last ``n`` characters replaced by random digits, never used before."""
    keep = value[: len(value) - n]

    def make(_k: int, rng: Random, used: set[str]) -> str:
        while True:
            candidate = keep + str(rng.randrange(10 ** (n - 1), 10**n))
            if candidate not in used:
                used.add(candidate)
                return candidate

    return make
