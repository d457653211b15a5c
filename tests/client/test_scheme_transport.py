"""The default transport: plain http:// without an SSL context up front, https:// always verified."""

from __future__ import annotations

import ssl

import httpx
import pytest

from ory_frames.client._transport import RetryTransport, SchemeTransport


def _context(transport: httpx.HTTPTransport) -> ssl.SSLContext:
    return transport._pool._ssl_context  # type: ignore[no-any-return]  # httpcore's pool keeps the context it got


def test_a_client_makes_no_verifying_context_until_an_https_request() -> None:
    transport = SchemeTransport()
    assert transport._tls is None
    with pytest.raises(httpx.ConnectError):  # nothing listens on port 1
        transport.handle_request(httpx.Request("GET", "http://127.0.0.1:1/admin/identities"))
    assert transport._tls is None  # plain http never needs TLS
    with pytest.raises(httpx.ConnectError):
        transport.handle_request(httpx.Request("GET", "https://127.0.0.1:1/admin/identities"))
    assert transport._tls is not None
    context = _context(transport._tls)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    transport.close()


def test_retry_transport_uses_it_by_default() -> None:
    assert isinstance(RetryTransport().inner, SchemeTransport)
