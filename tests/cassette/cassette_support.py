"""What the cassette tests share besides fixtures: where requests go, and ids no server knows."""

from __future__ import annotations

from dataclasses import dataclass

from cassette_scrub import SCRUBBED

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Target:
    """Where a test's requests go: the replay URL, a recording sandbox, or a real project."""

    base_url: str
    api_key: str | None
    recording: bool
    real: bool


def is_secret_as_seen(value: object, target: Target) -> bool:
    """Whether a secret field looks right: the real value while recording, the marker at replay time."""
    if target.recording:
        return isinstance(value, str) and value != SCRUBBED and bool(value)
    return value == SCRUBBED
