"""Ways to decode an identity page, and to find its unknown fields, timed per identity on sandbox pages.

Fetches ``--pages`` pages of ``--page-size`` identities from a seeded sandbox (in a thread of this
process), then times each candidate over all of them: the least CPU time of the process over ``--repeat``
runs (all threads: the JSON reader and DuckDB use several), in microseconds per
identity. The candidates (issue 19, "Faster than parsing"):

- ``orjson.loads``: the floor of today's path (dicts, on the fetcher thread);
- ``msgspec.json.decode``: the same dicts by msgspec;
- ``orjson + pa.Table.from_pylist``: dicts, then Arrow with inferred types;
- ``pyarrow JSON reader``: the page cut into records (msgspec ``list[Raw]``), joined as JSON lines,
  read by ``pyarrow.json.read_json`` with inferred types (it reads JSON lines, not an array), and with
  the explicit schema of the bulk path's loose record (``FastIdentityColumns.record_type``);
- ``pa.array over the dicts``: what the bulk path does with that record type once orjson has decoded
  the page (the step a bytes-to-Arrow decoder would replace, while the dicts are still made for ``Page.items``);
- ``duckdb read_json``: the page written to a file and read by DuckDB's ``read_json`` into Arrow;
- ``msgspec Structs, Raw leaves``: Structs of the identity's fields, traits/metadata/credentials as ``Raw``;
- ``msgspec ids only``: the paging facts alone (``id`` of each record; other fields skipped);
- ``IdentityConverter.convert``: today's conversion of the decoded dicts, with per-record unknown-field
  detection (content not given) and with the page's body checked at once (content given);
- ``unknown fields: per record`` / ``unknown fields: body check``: the detection alone, as
  ``convert._unknown_fields.identity_extras`` does it and as ``convert._page_bodies`` does it on the bytes.

Usage: ``.venv/bin/python benchmarks/decode.py [--pages 10] [--page-size 500] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import orjson
import pyarrow as pa
import pyarrow.json as pj

from ory_frames import sandbox
from ory_frames._read import fetch_schemas
from ory_frames._schema import trait_columns
from ory_frames.convert._page_bodies import identity_shapes
from ory_frames.convert._records import STATE_CATEGORIES, ConversionProblems, IdentityConverter
from ory_frames.convert._unknown_fields import identity_extras, trait_tree
from ory_frames.pages._paginators import next_token_from_link


class _Id(msgspec.Struct, gc=False):
    id: str


class _Address(msgspec.Struct, gc=False):
    id: str | None = None
    value: str | None = None
    verified: bool | None = None
    via: str | None = None
    status: str | None = None
    verified_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class _Identity(msgspec.Struct, gc=False):
    id: str
    schema_id: str | None = None
    schema_url: str | None = None
    state: str | None = None
    state_changed_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    external_id: str | None = None
    organization_id: str | None = None
    traits: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    metadata_public: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    metadata_admin: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    credentials: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    verifiable_addresses: list[_Address] | None = None
    recovery_addresses: list[_Address] | None = None


def _pages(url: str, pages: int, page_size: int) -> list[bytes]:
    bodies: list[bytes] = []
    token: str | None = None
    with httpx.Client(base_url=url, timeout=60) as http:
        while len(bodies) < pages:
            params: dict[str, Any] = {"page_size": page_size, **({"page_token": token} if token else {})}
            answer = http.get("/admin/identities", params=params)
            bodies.append(answer.content)
            token = next_token_from_link(answer.headers.get("link"), url)
            if token is None:
                break
    return bodies


def _best(run: Callable[[], object], identities: int, repeat: int) -> float:
    """The least CPU time of the process (all threads) over ``repeat`` runs, per identity (steadier than wall time)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times) / identities * 1e6


def _duckdb(bodies: list[bytes]) -> None:
    import duckdb

    with tempfile.TemporaryDirectory() as folder:
        for index, body in enumerate(bodies):
            path = os.path.join(folder, f"{index}.json")
            with open(path, "wb") as handle:
                handle.write(body)
            duckdb.sql(f"SELECT * FROM read_json('{path}', format='array')").arrow()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-duckdb", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    seed = args.pages * args.page_size
    with sandbox.running(seed_identities=seed, seed=0) as url:
        bodies = _pages(url, args.pages, args.page_size)
        from ory_frames import Client

        with Client(url) as client:
            traits = trait_columns(fetch_schemas(client))
    dicts = [orjson.loads(body) for body in bodies]
    n = sum(map(len, dicts))
    converter = IdentityConverter(traits)
    tree = trait_tree(info.path for info in traits.values())
    shapes = identity_shapes(tree, states=STATE_CATEGORIES)
    split = msgspec.json.Decoder(list[msgspec.Raw])
    structs = msgspec.json.Decoder(list[_Identity])
    ids = msgspec.json.Decoder(list[_Id])
    record = pa.schema(list(converter._fast.record_type))
    explicit = pj.ParseOptions(explicit_schema=record, unexpected_field_behavior="ignore")
    candidates: dict[str, Callable[[], object]] = {
        "orjson.loads": lambda: [orjson.loads(b) for b in bodies],
        "msgspec.json.decode (dicts)": lambda: [msgspec.json.decode(b) for b in bodies],
        "orjson + pa.Table.from_pylist": lambda: [pa.Table.from_pylist(orjson.loads(b)) for b in bodies],
        "pa.array over the dicts (record_type)": lambda: [pa.array(d, converter._fast.record_type) for d in dicts],
        "msgspec Structs, Raw leaves": lambda: [structs.decode(b) for b in bodies],
        "msgspec ids only": lambda: [ids.decode(b) for b in bodies],
        "IdentityConverter.convert per page, per-record detection": lambda: [converter.convert(d) for d in dicts],
        "IdentityConverter.convert per page, body check": lambda: [
            converter.convert(d, content=b) for d, b in zip(dicts, bodies, strict=True)
        ],
        "convert_pages (grouped, as exports), per-record detection": lambda: converter.convert_pages(dicts),
        "convert_pages (grouped, as exports), body check": lambda: converter.convert_pages(dicts, bodies),
        "unknown fields: per record": lambda: [
            identity_extras(d, ConversionProblems(), states=STATE_CATEGORIES, traits=tree) for d in dicts
        ],
        "unknown fields: body check": lambda: [shapes.only_known(b) for b in bodies],
    }
    # last: these use threads of their own, which CPU time counts (and which may linger past their call)
    candidates["pyarrow JSON reader"] = lambda: [
        pj.read_json(pa.py_buffer(b"\n".join(split.decode(b)))) for b in bodies
    ]
    candidates["pyarrow JSON reader, explicit schema"] = lambda: [
        pj.read_json(pa.py_buffer(b"\n".join(split.decode(b))), parse_options=explicit) for b in bodies
    ]
    if not args.skip_duckdb:
        candidates["duckdb read_json"] = lambda: _duckdb(bodies)
    size = sum(map(len, bodies)) / n
    print(f"{len(bodies)} pages, {n} identities, {size:.0f} bytes each; least CPU time of {args.repeat} runs")
    for name, run in candidates.items():
        print(f"  {name:<58} {_best(run, n, args.repeat):7.2f} us/identity")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
