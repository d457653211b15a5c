"""Fault specs (`"429=0.02,500=0.01,reset=0.01"`) and the seeded dice that pick a fault per request."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Fault: TypeAlias = Literal["429", "500", "502", "503", "reset", "delay", "truncate"]
FAULTS: tuple[Fault, ...] = ("429", "500", "502", "503", "reset", "delay", "truncate")
DEFAULT_DELAY_SECONDS = 5.0


@dataclass(frozen=True)
class FaultSpec:
    """Probability per fault kind (their sum at most 1) and how long a `delay` fault waits.

    - `429`, `500`, `502`, `503`: answered instead of calling the app, in Ory's error envelope;
    - `reset`: the connection is dropped without any response, and the app is not called;
    - `delay`: the request waits `delay_seconds` before it reaches the app; if the client gave up meanwhile,
      the app is never called;
    - `truncate`: the app runs (the write happens), then the status, headers and the full Content-Length go out
      with only part of the body, and the connection closes.

    Examples
    --------
    >>> FaultSpec.parse("429=0.02,reset=0.01,delay_seconds=2").rates["reset"]
    0.01
    """

    rates: dict[str, float] = field(default_factory=dict)
    delay_seconds: float = DEFAULT_DELAY_SECONDS

    def __post_init__(self) -> None:
        for kind, rate in self.rates.items():
            if kind not in FAULTS:
                raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(FAULTS)}")
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate for {kind!r} must be between 0 and 1, got {rate}")
        total = sum(self.rates.values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {total:g}, more than 1")
        if self.delay_seconds < 0:
            raise ValueError(f"delay_seconds must not be negative, got {self.delay_seconds}")

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Read `kind=rate,...` (kinds: 429, 500, 502, 503, reset, delay, truncate; plus `delay_seconds=S`)."""
        rates: dict[str, float] = {}
        delay = DEFAULT_DELAY_SECONDS
        for raw in text.split(","):
            part = raw.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value:
                raise ValueError(f"fault spec part {part!r} is not of the form kind=rate (e.g. '503=0.01')")
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"fault spec part {part!r}: {value!r} is not a number") from None
            if key == "delay_seconds":
                delay = number
            elif key in rates:
                raise ValueError(f"fault {key!r} is given twice in the fault spec")
            else:
                rates[key] = number
        return cls(rates=rates, delay_seconds=delay)

    @classmethod
    def coerce(cls, value: str | FaultSpec) -> FaultSpec:
        """A spec from its text form or a spec."""
        return value if isinstance(value, FaultSpec) else cls.parse(value)

    def __str__(self) -> str:
        parts = [f"{kind}={self.rates[kind]:g}" for kind in FAULTS if kind in self.rates]
        return ",".join([*parts, f"delay_seconds={self.delay_seconds:g}"])


class FaultDice:
    """One seeded draw per eligible request: the same seed and request order give the same faults."""

    def __init__(self, spec: FaultSpec, seed: int = 0) -> None:
        self.spec = spec
        self._rng = random.Random(seed)
        self._table = [(kind, spec.rates[kind]) for kind in FAULTS if spec.rates.get(kind)]

    def roll(self) -> Fault | None:
        """The fault for the next request, or None."""
        if not self._table:
            return None
        draw = self._rng.random()
        edge = 0.0
        for kind, rate in self._table:
            edge += rate
            if draw < edge:
                return kind
        return None
