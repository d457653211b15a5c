"""The Client and what sending needs: the HTTP core, transport, retries, the rate budget, answers, errors and models."""

from __future__ import annotations

from ory_frames.client._budget import RateBudget
from ory_frames.client._client import Client
from ory_frames.client._estimate import EndpointCount, Estimate, estimate

__all__ = ["Client", "EndpointCount", "Estimate", "RateBudget", "estimate"]
