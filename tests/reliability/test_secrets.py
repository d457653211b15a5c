"""No artifact of ours holds a credential unless the caller asked for that credential by name.

Artifacts scanned with ``tests/secret_scan.find_secrets`` (and for the API key itself): frames' repr and HTML,
Parquet/CSV/JSONL exports, DEBUG logs of ory_frames/httpx/httpcore, the text of every error path, the cassettes
and the notebooks' outputs. Also: a Link naming another host is never followed, and the key never goes over
plain http to a host other than this machine.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from drift_support import running

from ory_frames import (
    Client,
    InvalidInputError,
    OryFramesError,
    export_identities,
    export_sessions,
    read_identities,
    read_sessions,
)
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("secret_scan", ROOT / "tests" / "secret_scan.py")
assert _spec is not None and _spec.loader is not None
secret_scan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(secret_scan)
find_secrets = secret_scan.find_secrets

KEY = "ory_apikey_reliability_5f2b9c0e7d4a41b8"
WRONG_KEY = "ory_apikey_reliability_wrong_9a8b7c6d"


def leaks(text: str) -> list[str]:
    """Findings of the scanner, plus any verbatim API key (right or wrong one)."""
    found = list(find_secrets(text))
    found += [f"API key at {text.index(k)}" for k in (KEY, WRONG_KEY) if k in text]
    return found


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    with running(seed_identities=120, seed=41, api_key=KEY, faults="500=0.02,503=0.02,429=0.02") as url:
        yield url


def _client(url: str, key: str = KEY) -> Client:
    transport = RetryTransport(policy=RetryPolicy(retries=8, base=0.0, cap=0.0), sleep=lambda _: None)
    return Client(url, api_key=key, transport=transport)


def _files_text(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` as text; Parquet files as their decoded rows (as JSON) plus raw bytes."""
    out: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        out[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".parquet":
            out[str(path) + " (rows)"] = json.dumps(pq.read_table(path).to_pylist(), default=str)
    return out


def test_no_credential_in_frames_exports_logs_and_errors(
    sandbox: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ory_frames")
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")
    texts: dict[str, str] = {}
    with _client(sandbox) as client:
        texts["client repr"] = repr(client)
        identities = read_identities(client)
        sessions = read_sessions(client, expand=["identity", "devices"])
        assert len(identities) == 120 and len(sessions) > 0
        for name, frame in (("identities", identities), ("sessions", sessions)):
            texts[f"{name} repr"] = repr(frame)
            texts[f"{name} html"] = frame.to_html()
            texts[f"{name} records"] = json.dumps(frame.to_dict("records"), default=str)
        for fmt in ("parquet", "csv", "jsonl"):
            export_identities(client, tmp_path / f"identities.{fmt}", format=fmt)  # type: ignore[arg-type]
            export_sessions(client, tmp_path / f"sessions.{fmt}", format=fmt, expand="identity")  # type: ignore[arg-type]
        errors = _error_texts(client, sandbox)
    texts.update(_files_text(tmp_path))
    texts.update(errors)
    texts["logs"] = "\n".join(r.getMessage() + " " + repr(r.args) for r in caplog.records)
    assert caplog.records, "nothing was logged at DEBUG"
    found = {name: hits for name, text in texts.items() if (hits := leaks(text))}
    assert not found, found


def _error_texts(client: Client, url: str) -> dict[str, str]:
    """str/repr of the error of every path we can provoke, with the traceback's chained causes."""
    out: dict[str, str] = {}

    def capture(name: str, call: Any) -> None:
        with pytest.raises(OryFramesError) as info:
            call()
        exc: BaseException | None = info.value
        parts = []
        while exc is not None:
            parts += [str(exc), repr(exc), json.dumps(getattr(exc, "details", None), default=str)]
            exc = exc.__cause__ or exc.__context__
        out[f"error: {name}"] = "\n".join(parts)

    capture("404", lambda: client.get_identity("00000000-0000-4000-8000-000000000000"))
    capture("400", lambda: client.create_identity({"schema_id": "nope", "traits": {}}))
    email = read_identities(client).loc[lambda f: f["schema_id"] == "default", "traits.email"].iloc[0]
    body = {"schema_id": "default", "traits": {"email": email},
            "credentials": {"password": {"config": {"password": "Sup3r-Secret-Pass!"}}}}  # fmt: skip
    capture("409 with a password in the request", lambda: client.create_identity(body))
    with _client(url, WRONG_KEY) as wrong:
        capture("401", lambda: wrong.list_identities())
    with _client("http://127.0.0.1:9") as closed:  # nothing listens on the discard port
        capture("transport", lambda: closed.list_identities())
    capture("invalid input", lambda: Client("http://example.com", api_key=KEY))
    mock = httpx.MockTransport(lambda r: httpx.Response(200, content=b"{not json"))
    with Client("https://x.oryapis.com", api_key=KEY, transport=mock) as bad:
        capture("unexpected", lambda: bad.get_identity("x"))
    for status in ("503", "429"):
        with running(api_key=KEY, faults=f"{status}=1") as failing, Client(failing, api_key=KEY, retries=0) as always:
            capture(status, lambda: always.list_identities())
    return out


@pytest.mark.parametrize(
    ("include", "rule"),
    [
        (["password"], ("hash",)),
        (["oidc"], ("OIDC initial token", "JSON Web Token", "Google OAuth token", "GitHub token")),
        (["totp"], ("TOTP",)),
        (["lookup_secret"], ("code",)),
    ],
)
def test_a_credential_appears_only_when_asked_for(
    sandbox: str, tmp_path: Path, include: list[str], rule: tuple[str, ...]
) -> None:
    with _client(sandbox) as client:
        plain = export_identities(client, tmp_path / "plain.jsonl", format="jsonl")
        asked = export_identities(client, tmp_path / "asked.jsonl", format="jsonl", include_credential=include)  # type: ignore[arg-type]
        frame = read_identities(client, include_credential=include)  # type: ignore[arg-type]
    assert plain.rows == asked.rows == 120
    plain_hits = leaks((tmp_path / "plain.jsonl").read_text())
    asked_hits = leaks((tmp_path / "asked.jsonl").read_text())
    assert not plain_hits
    assert asked_hits, f"include_credential={include} exported no {rule}"

    def of_that_kind(hit: str) -> bool:
        return any(r.lower() in hit.lower() for r in rule)

    assert all(of_that_kind(hit) for hit in asked_hits), asked_hits  # that credential, and only that one
    assert any(of_that_kind(hit) for hit in leaks(json.dumps(frame.to_dict("records"), default=str)))


def test_cassettes_and_notebooks_hold_no_secret() -> None:
    files = sorted(p for p in (ROOT / "cassettes").rglob("*") if p.is_file())
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) if (ROOT / "notebooks").is_dir() else []
    assert files and notebooks, "the repository's cassettes and notebooks should be there to be scanned"
    found: dict[str, list[str]] = {}
    for path in files:
        if hits := leaks(path.read_bytes().decode("utf-8", errors="replace")):
            found[str(path.relative_to(ROOT))] = hits
    for path in notebooks:  # only the outputs: the code cells may legitimately name a credential type
        cells = json.loads(path.read_text()).get("cells", [])
        outputs = json.dumps([c.get("outputs", []) for c in cells])
        if hits := leaks(outputs):
            found[str(path.relative_to(ROOT))] = hits
    assert not found, found


def test_hostile_link_and_plain_http_never_send_the_key() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        link = '<https://evil.example/admin/identities?page_token=abc>; rel="next"'
        return httpx.Response(200, json=[], headers={"link": link}) if not sent[1:] else httpx.Response(200, json=[])

    # The key never leaves over plain http to a non-loopback host: refused before any request.
    for url in ("http://example.com", "http://10.0.0.5:4434", "http://acme.projects.oryapis.com"):
        with pytest.raises(InvalidInputError) as info:
            Client(url, api_key=KEY, transport=httpx.MockTransport(handler))
        assert KEY not in str(info.value)
    assert sent == []

    def linking(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        link = '<https://evil.example/admin/identities?page_token=abc>; rel="next"'
        return httpx.Response(200, json=[{"id": "a", "schema_id": "default", "traits": {}}], headers={"link": link})

    linked = Client("https://acme.projects.oryapis.com", api_key=KEY, transport=httpx.MockTransport(linking))
    with linked, pytest.raises(OryFramesError):
        linked.list_identities(page_size=1)
    assert [r.url.host for r in sent] == ["acme.projects.oryapis.com"]
    assert all(r.url.host != "evil.example" for r in sent)
