"""Run the sandbox with uvicorn: in a background thread (`running`) or in the foreground (`serve`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def run_in_thread(app: Any, *, host: str = "127.0.0.1", port: int = 0, ready_timeout: float = 15.0) -> Iterator[str]:
    """Serve `app` on a loopback port in a daemon thread; yield its base URL; stop on exit."""
    import uvicorn

    port = port or _free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"ory-frames-sandbox-{port}", daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + ready_timeout
    try:
        with httpx.Client(timeout=1.0) as probe:
            while True:
                try:
                    if probe.get(f"{base}/health/ready").status_code == 200:
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


def serve(app: Any, *, host: str = "127.0.0.1", port: int = 4434) -> None:
    """Serve `app` in the foreground until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")
