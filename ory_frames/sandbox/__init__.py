"""A local server faithful to Ory's Identity admin API, wire for wire.

Use :func:`create_app` for an ASGI app (in-process tests), :func:`running` for a real server in a background
thread and :func:`serve` for one in the foreground (the ``ory-frames sandbox`` command). Needs the
``ory-frames[sandbox]`` extra; ``create_app`` is loaded on first use, so that a missing extra fails there.
``drift=True`` (``ory-frames sandbox --drift``) answers with fields and enum values no client knows yet (``_drift``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._binding import UnsafeBindingError, check_binding, describe_interface

if TYPE_CHECKING:
    from ._app import create_app
    from ._faults import FaultSpec

__all__ = ["FaultSpec", "UnsafeBindingError", "create_app", "running", "serve"]

_EXTRA_HINT = "the sandbox needs starlette and uvicorn: pip install 'ory-frames[sandbox]'"


def _app_module() -> ModuleType:
    """`_app` (starlette), or an ImportError naming the extra."""
    try:
        from . import _app
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc
    return _app


def _server_module() -> ModuleType:
    """`_server`, once uvicorn (imported there where used) is known to be installed; else an ImportError."""
    try:
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc
    from . import _server

    return _server


def __getattr__(name: str) -> Any:
    """`create_app` (in `_app`, which imports starlette) and `FaultSpec` are looked up on first use."""
    if name == "create_app":
        return _app_module().create_app
    if name == "FaultSpec":  # what `faults=` specs parse into; the command line checks `--fault` with it
        from ._faults import FaultSpec

        return FaultSpec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextmanager
def running(
    *, host: str = "127.0.0.1", port: int = 0, insecure_no_api_key: bool = False, **kwargs: Any
) -> Iterator[str]:
    """Run the sandbox in a background thread and yield its base URL; stop it on exit.

    Parameters
    ----------
    host, port
        Where to listen; port 0 picks a free port. Any host but a loopback one needs ``api_key``.
    insecure_no_api_key
        Allow a non-loopback ``host`` without ``api_key``: the admin API is then open to the network.
    **kwargs
        Passed to :func:`create_app` (``api_key``, ``seed_identities``, ``latency_ms``, ``drift``, ...).

    Yields
    ------
    str
        The base URL, for example ``"http://127.0.0.1:53817"``.

    Raises
    ------
    UnsafeBindingError
        If ``host`` is not a loopback interface and neither ``api_key`` nor ``insecure_no_api_key`` is given.

    Examples
    --------
    >>> import httpx
    >>> with running() as url:
    ...     httpx.get(url + "/health/ready").json()
    {'status': 'ok'}
    """
    check_binding(host, api_key=kwargs.get("api_key"), insecure_no_api_key=insecure_no_api_key)
    server = _server_module()
    app = _app_module().create_app(**kwargs)
    with server.run_in_thread(app, host=host, port=port) as url:
        yield url


def serve(*, host: str = "127.0.0.1", port: int = 4434, insecure_no_api_key: bool = False, **kwargs: Any) -> None:
    """Serve the sandbox in the foreground until Ctrl-C (the ``ory-frames sandbox`` command).

    Prints one banner line on stdout: the URL, the interface, whether an API key is required (never the key) and
    the options in effect. Parameters are those of :func:`running`; ``public_url`` defaults to the served URL.

    Raises
    ------
    UnsafeBindingError
        As :func:`running`, before anything is built or bound.
    OSError
        If the database cannot be opened or the port cannot be bound.
    """
    check_binding(host, api_key=kwargs.get("api_key"), insecure_no_api_key=insecure_no_api_key)
    server = _server_module()
    port = port or server.free_port(host)
    url = server.base_url(host, port)
    kwargs.setdefault("public_url", url)
    if kwargs.get("seed_identities"):
        print(f"seeding {kwargs['seed_identities']} identities (seed {kwargs.get('seed', 0)}) ...", file=sys.stderr)
    app = _app_module().create_app(**kwargs)
    print(_banner(url, host, kwargs), flush=True)
    server.serve_forever(app, host=host, port=port)


def _banner(url: str, host: str, options: dict[str, Any]) -> str:
    """`Ory sandbox on URL (interface …; API key required|NO API KEY; db …; …); Ctrl-C to stop` — never the key."""
    details = [f"interface {describe_interface(host)}"]
    if options.get("api_key"):
        details.append("API key required")
    elif "(loopback only)" in details[0]:
        details.append("no API key")
    else:
        details.append("NO API KEY: anyone who can reach it can read and change every identity")
    details.append(f"db {options.get('db', ':memory:')}")
    if options.get("rate_limits"):
        details.append(f"{options['rate_limits']} rate limits")
    if options.get("faults"):
        details.append(f"faults {options['faults']}")
    if options.get("now"):
        details.append(f"clock from {options['now'].isoformat()}")
    if options.get("drift"):
        details.append(f"drift mode (seed {options.get('seed', 0)})")
    if options.get("latency_ms"):
        details.append(f"latency {options['latency_ms']:g} ms")
    if "max_body_bytes" in options:
        limit = options["max_body_bytes"]
        details.append("no body limit" if limit is None else f"bodies up to {limit} bytes")
    return f"Ory sandbox on {url} ({'; '.join(details)}); Ctrl-C to stop"
