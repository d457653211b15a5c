"""RetryTransport: wraps any httpx transport with the retry rules of ``_retry`` and a ``RateBudget``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import httpx

from ory_frames._redact import mask_url
from ory_frames.client._budget import RateBudget, bucket_for
from ory_frames.client._retry import RetryPolicy, should_retry_exception, should_retry_status

logger = logging.getLogger("ory_frames")


class SchemeTransport(httpx.BaseTransport):
    """httpx's own transport, with the TLS one made on the first ``https://`` request rather than up front.

    Loading the certificate store for a verifying SSL context takes about 0.1 s, which every Client paid
    on creation, even one that only ever speaks plain ``http://`` (a sandbox, a Kratos admin port on
    loopback). Plain requests go through a transport that never does TLS; ``https://`` ones through
    ``httpx.HTTPTransport()`` with its default verification, made once, when first needed.
    """

    def __init__(self) -> None:
        self._plain = httpx.HTTPTransport(verify=False)  # never sees an https:// URL: no TLS happens on it
        self._tls: httpx.HTTPTransport | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the transport of its scheme."""
        if request.url.scheme != "https":
            return self._plain.handle_request(request)
        with self._lock:
            if self._tls is None:
                self._tls = httpx.HTTPTransport()
        return self._tls.handle_request(request)

    def close(self) -> None:
        """Close both transports."""
        self._plain.close()
        if self._tls is not None:
            self._tls.close()


class RetryTransport(httpx.BaseTransport):
    """An httpx transport that paces requests by bucket and retries what is safe to retry.

    Each attempt first waits for the budget, then sends through ``inner`` and reads the whole body,
    so that a dropped or truncated answer to an idempotent request is retried too. The response of
    the last attempt is returned whatever its status; errors are translated by the client.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        policy: RetryPolicy | None = None,
        budget: RateBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner if inner is not None else SchemeTransport()
        self.policy = policy if policy is not None else RetryPolicy()
        self.budget = budget
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying per the policy; raise the last httpx error if all attempts fail."""
        method = request.method.upper()
        bucket = bucket_for(method, request.url.path)
        attempt = 0
        while True:
            try:
                response = self._attempt(request, bucket)
            except httpx.TransportError as exc:
                if attempt >= self.policy.retries or not should_retry_exception(method, exc):
                    raise
                self._wait(request, attempt, type(exc).__name__, self.policy.delay(attempt))
                attempt += 1
                continue
            if self.budget is not None:
                self.budget.observe(bucket, response.headers, response.status_code)
            status = response.status_code
            if attempt >= self.policy.retries or not should_retry_status(method, status):
                return response
            delay = self.policy.delay(attempt, status, response.headers)
            response.close()
            self._wait(request, attempt, f"HTTP {status}", delay)
            attempt += 1

    def _attempt(self, request: httpx.Request, bucket: str | None) -> httpx.Response:
        """One attempt: wait for the budget, send, read the whole body; the budget counts it until the answer is in."""
        if self.budget is not None:
            self.budget.acquire(bucket)
        try:
            response = self.inner.handle_request(request)
            try:
                response.read()
            except BaseException:
                response.close()
                raise
            return response
        finally:
            if self.budget is not None:
                self.budget.finish(bucket)

    def _wait(self, request: httpx.Request, attempt: int, reason: str, delay: float) -> None:
        """Log a retry (URL masked, no headers) and sleep before it."""
        level = logging.INFO if reason == "HTTP 429" else logging.WARNING
        logger.log(
            level,
            "%s %s failed (%s); retry %d of %d in %.2fs",
            request.method,
            mask_url(request.url),
            reason,
            attempt + 1,
            self.policy.retries,
            delay,
        )
        self._sleep(delay)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()
