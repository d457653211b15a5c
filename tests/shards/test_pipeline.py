"""The fetch-ahead buffer: bounded in bytes, errors raised in the consumer as they were, threads stopped on close."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ory_frames import InvalidInputError, NotFoundError, Page
from ory_frames.pages._fetch_ahead import Cursor, FetchAhead, PageStream


def page(n: int, *, nbytes: int = 100, last: bool = False) -> Page:
    """A page of one identity whose id encodes ``n``."""
    ident = f"00000000-0000-4000-8000-{n:012d}"
    return Page([{"id": ident}], None if last else ident, 1, None, None, nbytes=nbytes)


class Source:
    """``count`` pages, counting how many were fetched; optionally raising after ``fail_after`` of them."""

    def __init__(self, count: int, *, nbytes: int = 100, fail_after: int | None = None, error: Exception | None = None):
        self.count, self.nbytes, self.fail_after, self.error = count, nbytes, fail_after, error
        self.fetched = 0
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[Page]:
        return self.walk()

    def walk(self) -> Iterator[Page]:
        try:
            for n in range(self.count):
                if self.fail_after is not None and n == self.fail_after:
                    assert self.error is not None
                    raise self.error
                self.fetched += 1
                yield page(n, nbytes=self.nbytes, last=n == self.count - 1)
        finally:
            self.closed.set()


def fetcher_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ory_frames-fetch")]


def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_pages_of_every_source_arrive_once_in_each_sources_order() -> None:
    sources = [Source(5), Source(0), Source(3)]
    fetch = FetchAhead([iter(s) for s in sources], buffer_bytes=250)
    fetch.start()
    got = list(fetch.pages())
    assert sorted(index for index, _ in got) == [0] * 5 + [2] * 3
    for index in (0, 2):
        ids = [p.items[0]["id"] for i, p in got if i == index]
        assert ids == sorted(ids)
    assert not fetcher_threads()


@pytest.mark.parametrize(
    ("buffer_bytes", "nbytes", "ahead"), [(1000, 100, 10), (250, 100, 2), (1, 100, 1), (50, 400, 1)]
)
def test_fetchers_stop_when_the_buffer_is_full(buffer_bytes: int, nbytes: int, ahead: int) -> None:
    source = Source(100, nbytes=nbytes)
    fetch = FetchAhead([iter(source)], buffer_bytes=buffer_bytes)
    fetch.start()
    pages = fetch.pages()
    next(pages)  # one page in hand
    # the buffer holds `ahead` pages (a page larger than the buffer goes alone); the fetcher holds one more
    wait_until(lambda: source.fetched >= 1 + ahead + 1)
    time.sleep(0.05)
    assert source.fetched == 1 + ahead + 1
    pages.close()
    assert source.closed.is_set() and not fetcher_threads()


def test_an_error_in_a_fetcher_is_raised_in_the_consumer_after_the_pages_before_it() -> None:
    error = NotFoundError(status=404, message="gone")
    sources = [Source(10, fail_after=3, error=error), Source(1000)]
    fetch = FetchAhead([iter(s) for s in sources], buffer_bytes=10_000_000)
    fetch.start()
    seen = 0
    with pytest.raises(NotFoundError) as caught:
        for index, _ in fetch.pages():
            seen += index == 0
    assert caught.value is error and seen == 3
    # the other fetcher stopped too (or never started: a fetcher halted before its first page pulls none)
    assert sources[1].fetched < 1000 and (sources[1].closed.is_set() or sources[1].fetched == 0)
    assert not fetcher_threads()


def test_closing_early_stops_every_fetcher_promptly() -> None:
    sources = [Source(10_000) for _ in range(4)]
    fetch = FetchAhead([iter(s) for s in sources], buffer_bytes=500)
    fetch.start()
    pages = fetch.pages()
    next(pages)
    started = time.monotonic()
    pages.close()
    assert time.monotonic() - started < 1.0
    assert all(s.closed.is_set() for s in sources) and not fetcher_threads()


def test_ctrl_c_in_the_consumer_stops_the_fetchers() -> None:
    class Slow(Source):
        def walk(self) -> Iterator[Page]:
            for n in range(1000):
                time.sleep(0.01)
                yield page(n)

    stream = PageStream([Cursor(), Cursor()], lambda cursor: iter(Slow(0)))
    with pytest.raises(KeyboardInterrupt):
        for _ in stream:
            raise KeyboardInterrupt  # where Python raises it on Ctrl-C: in the consumer's code
    stream.close()
    assert not fetcher_threads()


def test_a_stream_moves_each_cursor_with_the_pages_it_hands_out() -> None:
    walks = {"a": Source(3), "b": Source(2)}
    cursors = [Cursor(token="a"), Cursor(token="b")]
    stream = PageStream(cursors, lambda cursor: iter(walks[cursor.token or ""]))
    for handed, _ in enumerate(stream, start=1):
        assert sum(w.fetched for w in walks.values()) >= handed
        assert (stream.cursors[0].done and stream.cursors[1].done) == (handed == 5) == stream.done
    assert [c.position for c in stream.cursors] == [page(2).items[0]["id"], page(1).items[0]["id"]]
    with pytest.raises(RuntimeError, match="only once"):
        iter(stream)


def test_cursors_survive_a_json_round_trip() -> None:
    cursor = Cursor(token="t", start="s", stop="z", position="p", done=False)
    assert Cursor.from_json(cursor.to_json()) == cursor
    assert Cursor.from_json({"token": 3, "done": 1}) == Cursor(done=True)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "64"])
def test_buffer_bytes_must_be_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="buffer_bytes"):
        FetchAhead([], buffer_bytes=bad)  # type: ignore[arg-type]
