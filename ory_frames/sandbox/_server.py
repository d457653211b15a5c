"""Run the sandbox with uvicorn: in a background thread (`running`) or in the foreground (`serve`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ._limits import MAX_QUERY_BYTES

# h11 refuses a request head past this many bytes with a plain-text 400 of its own (16 KiB by default, less than a
# list filter of 500 ids); above the query cap, so that the sandbox answers an oversized query in Ory's envelope.
_MAX_REQUEST_HEAD = MAX_QUERY_BYTES + 64 * 1024


def free_port(host: str) -> int:
    """A TCP port that is free on `host` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def base_url(host: str, port: int) -> str:
    """`http://host:port`, with an IPv6 host in brackets."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def _config(app: Any, host: str, port: int) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        h11_max_incomplete_event_size=_MAX_REQUEST_HEAD,
    )


@contextmanager
def run_in_thread(app: Any, *, host: str = "127.0.0.1", port: int = 0, ready_timeout: float = 15.0) -> Iterator[str]:
    """Serve `app` in a daemon thread; yield its base URL once `/health/ready` answers; stop on exit."""
    import uvicorn

    port = port or free_port(host)
    server = uvicorn.Server(_config(app, host, port))
    thread = threading.Thread(target=server.run, name=f"ory-frames-sandbox-{port}", daemon=True)
    thread.start()
    base = base_url(host, port)
    probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    deadline = time.monotonic() + ready_timeout
    try:
        with httpx.Client(timeout=ready_timeout) as probe:
            while True:
                try:
                    if probe.get(f"{base_url(probe_host, port)}/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError(f"the sandbox did not become ready on {base}")
                time.sleep(0.02)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve_forever(app: Any, *, host: str, port: int) -> None:
    """Serve `app` in the foreground until interrupted (Ctrl-C returns normally).

    Raises
    ------
    OSError
        If the server could not listen on `host:port`.
    """
    import uvicorn

    server = uvicorn.Server(_config(app, host, port))
    try:
        server.run()
    except KeyboardInterrupt:
        return
    except SystemExit:  # uvicorn exits when it cannot bind; it has logged why
        raise OSError(f"could not listen on {host}:{port}") from None
