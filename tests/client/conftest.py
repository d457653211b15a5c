"""Fixtures for the client-layer tests: a fake clock, and clients bound to MockTransport handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from client_fakes import BASE, KEY, FakeClock, Handler, Recorder

from ory_frames.client._budget import RateBudget
from ory_frames.client._client import Client
from ory_frames.client._retry import RetryPolicy
from ory_frames.client._transport import RetryTransport


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[Callable[..., tuple[Client, Recorder]]]:
    """Build a Client whose requests go to a handler; retries sleep on the fake clock, jitter is 1.0."""
    clients: list[Client] = []

    def build(
        respond: Handler,
        *,
        retries: int = 5,
        budget: RateBudget | None = None,
        base_url: str = BASE,
        api_key: str | None = KEY,
        **kwargs: Any,
    ) -> tuple[Client, Recorder]:
        recorder = Recorder(respond)
        transport = RetryTransport(
            httpx.MockTransport(recorder),
            policy=RetryPolicy(retries=retries, random=lambda: 1.0),
            budget=budget if budget is not None else RateBudget(clock=clock, sleep=clock.sleep),
            sleep=clock.sleep,
        )
        client = Client(base_url, api_key=api_key, transport=transport, **kwargs)
        clients.append(client)
        return client, recorder

    yield build
    for client in clients:
        client.close()
