"""One rate budget shared by several sending threads keeps them within the server's windows (wire notes §14)."""

from __future__ import annotations

import threading
import time

from ory_frames import RateBudget

MEDIUM = "kratos-admin-medium"


class Clock:
    """A clock that moves only when told to (or when the budget sleeps on it)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_request_counts_from_when_its_answer_came() -> None:
    clock = Clock()
    budget = RateBudget({MEDIUM: [(2, 1.0)]}, clock=clock, sleep=clock.sleep)
    budget.acquire(MEDIUM)  # sent at 100.0 ...
    clock.now = 100.5
    budget.finish(MEDIUM)  # ... answered at 100.5: the server may have counted it as late as that
    budget.acquire(MEDIUM)
    budget.finish(MEDIUM)
    clock.now = 101.2
    # both count until 101.5; counted from when they were sent, the first would have freed a slot at 101.0
    assert abs(budget.acquire(MEDIUM) - 0.3) < 1e-9


def test_sends_before_the_limits_are_learnt_count_in_the_windows_learnt() -> None:
    clock = Clock()
    budget = RateBudget(clock=clock, sleep=clock.sleep)
    assert budget.limits(MEDIUM) == []
    budget.acquire(MEDIUM)  # unpaced: nothing known yet
    budget.finish(MEDIUM)
    clock.now = 100.1
    budget.observe(MEDIUM, {"x-ratelimit-limit": "1, 1;w=1", "x-ratelimit-remaining": "0"})
    # the server counted that first request: one a second means waiting until 101.0
    assert abs(budget.acquire(MEDIUM) - 0.9) < 1e-9


def test_finish_without_acquire_changes_nothing() -> None:
    clock = Clock()
    budget = RateBudget({MEDIUM: [(1, 1.0)]}, clock=clock, sleep=clock.sleep)
    budget.finish(MEDIUM)
    budget.finish(None)
    assert budget.acquire(MEDIUM) == 0.0


def test_threads_sharing_a_budget_never_exceed_it() -> None:
    budget = RateBudget.uniform(per_second=6)
    sent: list[float] = []
    lock = threading.Lock()

    def sender() -> None:
        for _ in range(4):
            budget.acquire(MEDIUM)
            with lock:
                sent.append(time.monotonic())
            time.sleep(0.01)  # the request in flight
            budget.finish(MEDIUM)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent.sort()
    assert len(sent) == 16
    # any six consecutive sends span at least a second, less the scheduling slack of a busy machine
    assert all(sent[i + 6] - sent[i] >= 0.95 for i in range(len(sent) - 6))
