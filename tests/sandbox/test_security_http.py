"""A sandbox that can hold real users' data, over real HTTP on a loopback port.

Every route needs the key (health aside), an open interface needs a key or an explicit opt-out, a database file is
its owner's alone, oversized bodies and queries get Ory's envelope before they are read, and nesting has a floor.
"""

from __future__ import annotations

import json
import re
import socket
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ory_frames.sandbox import UnsafeBindingError, create_app, running, serve
from ory_frames.sandbox._binding import is_loopback

KEY = "s3cret-sandbox-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
OWNER_ONLY = 0o600


def ory_error(response: httpx.Response, status: int, code: int | None = None) -> dict[str, Any]:
    """The `error` of an answer in Ory's envelope with this status and body code (wire notes §13).

    A body Go's decoder refuses in a batch create is answered 400 with herodot's default code 500 in the body
    (wire notes §4); create and PUT say 400 (wire notes §5, §6).
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == (code or status) and error["message"]
    return error


def raw_exchange(url: str, head: bytes, body_parts: list[bytes]) -> bytes:
    """Send a request head and some body bytes on a plain socket; return what the server answers within 10 s."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


# ---- 1. every route needs the key when one is set ---------------------------------------------------------------


def _every_route() -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, ids filled in, plus the middleware's own and an unknown one."""
    out = [("GET", "/__sandbox/stats"), ("POST", "/__sandbox/stats/reset"), ("GET", "/nowhere"), ("GET", "/health/x")]
    for route in create_app().routes:
        template = getattr(route, "path", "")
        # The same id in every process (pytest-xdist's workers must collect the same test ids).
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid5(uuid.NAMESPACE_URL, template)), template)
        out.extend((method, path) for method in sorted(getattr(route, "methods", None) or ()) if method != "HEAD")
    return out


@pytest.fixture(scope="module")
def keyed_url() -> Iterator[str]:
    with running(seed_identities=3, api_key=KEY) as url:
        yield url


@pytest.mark.parametrize(("method", "path"), _every_route())
def test_every_route_but_health_needs_the_key(keyed_url: str, method: str, path: str) -> None:
    missing = httpx.request(method, keyed_url + path, json={})
    wrong = httpx.request(method, keyed_url + path, json={}, headers={"Authorization": "Bearer not-the-key"})
    keyed = httpx.request(method, keyed_url + path, json={}, headers=AUTH)
    if path in ("/health/alive", "/health/ready"):
        assert missing.status_code == wrong.status_code == keyed.status_code == 200
        return
    assert ory_error(missing, 401)["reason"].startswith("The request did not include an API key")
    assert ory_error(wrong, 401)["reason"] == "The API key is invalid or has been revoked."
    assert keyed.status_code != 401 and KEY not in missing.text + wrong.text


def test_sandbox_extras_reveal_and_change_nothing_without_the_key(keyed_url: str) -> None:
    with httpx.Client(base_url=keyed_url, headers=AUTH) as http:
        identity = http.get("/admin/identities").json()[0]["id"]
        code = http.post("/admin/recovery/code", json={"identity_id": identity}).json()["recovery_code"]
        flow = http.post("/admin/test-login-flows", json={"provider_id": "google"}).json()["id"]
    listed = httpx.get(f"{keyed_url}/__sandbox/recoveries")
    assert code not in listed.text and ory_error(listed, 401)
    done = httpx.post(f"{keyed_url}/__sandbox/test-login-flows/{flow}/complete", json={"email": "x@example.org"})
    ory_error(done, 401)
    with httpx.Client(base_url=keyed_url, headers=AUTH) as http:
        assert "debug_payload" not in http.get(f"/__sandbox/test-login-flows/{flow}").json()["test_context"]
        assert code in http.get("/__sandbox/recoveries").text


# ---- 2. no open door by accident --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("no-such-host.invalid", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_running_and_serve_refuse_an_open_interface_without_a_key(host: str) -> None:
    with pytest.raises(UnsafeBindingError, match=r"without an API key.*insecure_no_api_key=True"), running(host=host):
        pytest.fail("the sandbox started")
    with pytest.raises(UnsafeBindingError, match="--insecure-no-api-key"):
        serve(host=host, port=0)  # refused before anything is built or bound


def test_loopback_needs_no_key_and_a_key_opens_any_interface() -> None:
    with running(host="localhost") as url:
        assert httpx.get(f"{url}/admin/identities").status_code == 200
    with running(host="0.0.0.0", api_key=KEY) as url:
        port = url.rsplit(":", 1)[1]
        assert httpx.get(f"http://127.0.0.1:{port}/admin/identities").status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/admin/identities", headers=AUTH).status_code == 200


# ---- 3. data at rest ----------------------------------------------------------------------------------------------


def _modes(db: Path) -> dict[str, int]:
    files = [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    return {f.name: stat.S_IMODE(f.stat().st_mode) for f in files if f.exists()}


def test_a_new_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "copied-users.db"
    with running(db=str(db), seed_identities=5) as url:
        created = httpx.post(f"{url}/admin/identities", json={"traits": {"email": "ann@example.org"}})
        assert created.status_code == 201
        modes = _modes(db)
        assert db.name + "-wal" in modes  # written through the write-ahead log
        assert set(modes.values()) == {OWNER_ONLY}, modes
    assert set(_modes(db).values()) == {OWNER_ONLY}


def test_an_existing_database_file_is_narrowed_to_its_owner(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    db.touch(mode=0o644)
    db.chmod(0o644)
    create_app(db=str(db))
    assert _modes(db)[db.name] == OWNER_ONLY


# ---- 4. hostile input: sizes, nesting ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_limit_url() -> Iterator[str]:
    with running(max_body_bytes=4096) as url:
        yield url


def test_a_declared_oversized_body_gets_413_before_it_is_sent(small_limit_url: str) -> None:
    head = (
        b"POST /admin/identities HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
        b"Content-Length: 67108864\r\n\r\n"
    )
    answer = raw_exchange(small_limit_url, head, [b'{"traits": '])  # 11 of the 64 MiB announced
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    error = json.loads(rest.partition(b"\r\n\r\n")[2])["error"]
    assert error["code"] == 413 and "4096 bytes" in error["reason"] and error["message"]


def test_a_chunked_body_gets_413_as_soon_as_it_passes_the_limit(small_limit_url: str) -> None:
    head = b"POST /admin/identities HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = [b"800\r\n" + b"a" * 2048 + b"\r\n"] * 3  # 6 KiB sent, and the body never ends
    answer = raw_exchange(small_limit_url, head, chunks)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_body_under_the_limit_is_served_and_one_over_it_is_not(small_limit_url: str) -> None:
    traits = {"email": "big@example.org", "name": {"first": "B"}}
    body = {"traits": traits, "metadata_admin": {"note": ""}}
    padding = 4096 - len(json.dumps(body).encode())
    body["metadata_admin"]["note"] = "n" * padding
    with httpx.Client(base_url=small_limit_url) as http:
        assert http.post("/admin/identities", content=json.dumps(body).encode()).status_code == 201
        body["metadata_admin"]["note"] += "n"
        traits["email"] = "bigger@example.org"
        ory_error(http.post("/admin/identities", content=json.dumps(body).encode()), 413)
        ory_error(http.put(f"/admin/identities/{uuid.uuid4()}", content=b"x" * 10_000), 413)
        assert http.get("/admin/identities").status_code == 200  # the connection is still good after the 413s


def test_a_64_mib_upload_gets_413_from_the_default_limit_not_a_dropped_connection() -> None:
    with running() as url, httpx.Client(base_url=url, timeout=60) as http:
        error = ory_error(http.post("/admin/identities", content=b"[" * (64 << 20)), 413)
        assert "8388608 bytes" in error["reason"]
        assert http.get("/health/ready").status_code == 200


def test_an_oversized_query_is_an_ory_400_and_a_long_filter_is_not(small_limit_url: str) -> None:
    ids = "&".join(f"ids={uuid.uuid4()}" for _ in range(500))  # the filter's maximum, about 20 KB (wire notes §2)
    assert httpx.get(f"{small_limit_url}/admin/identities?{ids}").json() == []
    head = b"GET /admin/identities?credentials_identifier=" + b"x" * (1 << 20) + b" HTTP/1.1\r\nHost: s\r\n\r\n"
    answer = raw_exchange(small_limit_url, head, [])
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"The query string is longer than 1048576 bytes." in answer


def _deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def test_nesting_deeper_than_the_limit_is_a_400_everywhere(small_limit_url: str) -> None:
    with httpx.Client(base_url=small_limit_url) as http:
        ok = http.post(
            "/admin/identities", json={"traits": {"email": "deep@example.org"}, "metadata_public": _deep(100)}
        )
        assert ok.status_code == 201
        ident = ok.json()["id"]
        too_deep = {"traits": {"email": "deeper@example.org"}, "metadata_public": _deep(300)}
        decoder_error = {"code": 500, "status": "Internal Server Error", "message": "exceeded max depth"}
        created = http.post("/admin/identities", json=too_deep)
        assert ory_error(created, 400) == {"code": 400, "status": "Bad Request", "message": "exceeded max depth"}
        put = ory_error(http.put(f"/admin/identities/{ident}", json=too_deep), 400)
        assert put["reason"] == "Unable to decode JSON payload: exceeded max depth"
        batch = {"identities": [{"create": too_deep}]}
        assert ory_error(http.patch("/admin/identities", json=batch), 400, 500) == decoder_error
        # Each patch is shallow enough, but nests the identity deeper than the limit: refused, never stored.
        patch = [{"op": "add", "path": "/metadata_public" + "/k" * 60, "value": _deep(100)}]
        assert ory_error(http.patch(f"/admin/identities/{ident}", json=patch), 400)["message"] == "exceeded max depth"
        stored = http.get(f"/admin/identities/{ident}").json()["metadata_public"]
        assert stored == _deep(100)
        flow = http.post("/admin/test-login-flows", json={"provider_id": "google", "x": _deep(300)})
        ory_error(flow, 400)
        manage = http.post("/admin/sessions", json={"action": "disable", "sessions": _deep(300)})
        ory_error(manage, 400)


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        create_app(max_body_bytes=-1)
    with pytest.raises(ValueError, match="latency_ms"):
        create_app(latency_ms=-5)
