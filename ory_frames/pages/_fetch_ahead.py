"""Pages fetched ahead of their consumer by background threads, through a buffer bounded in bytes.

A read or an export spends its time in two places: waiting for answers, and turning them into Arrow
(then Parquet). :class:`FetchAhead` overlaps the two. One thread per cursor walks its pages and puts
them into a buffer holding at most ``buffer_bytes`` of answers (their body sizes, :attr:`Page.nbytes`;
parsed, a page takes several times its body in memory), while the consumer converts what has arrived.
A full buffer makes the fetchers wait, an empty one the consumer; a page larger than the whole buffer
still goes through, alone. :class:`PageStream` hands out the pages of one or more :class:`Cursor`\\ s
and moves each cursor as its pages are handed out, so its cursors always say where a resume starts.

Shutdown: an exception raised in a fetcher is raised in the consumer, the same object (so the same
type), after the pages fetched before it, and the other fetchers stop. Closing the stream (a loop
that ends early, a generator closed, Ctrl-C while the consumer waits) stops the fetchers at their next
page and joins them: a fetcher in the middle of a request (or waiting for the rate budget) finishes
that first. The threads are daemons, so a stream that is never closed cannot hold up the interpreter's exit.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

from ory_frames._errors import InvalidInputError
from ory_frames.pages._paginators import Page

__all__ = ["DEFAULT_BUFFER_BYTES", "Cursor", "FetchAhead", "PageStream", "check_buffer_bytes"]

# 16 MiB of answers is about 20 pages of 500 identities: two flushes of an export's default 10 000 rows,
# enough to keep the fetchers busy through a flush. Parsed, they take roughly six times as much memory.
DEFAULT_BUFFER_BYTES = 16 * 1024 * 1024


def check_buffer_bytes(buffer_bytes: int) -> int:
    """``buffer_bytes`` if it is a positive whole number, else an InvalidInputError."""
    if isinstance(buffer_bytes, bool) or not isinstance(buffer_bytes, int) or buffer_bytes <= 0:
        raise InvalidInputError(f"buffer_bytes must be a positive number of bytes, got {buffer_bytes!r}")
    return buffer_bytes


@dataclass
class Cursor:
    """Where one walk stands: the ``page_token`` of its next page, its range, the last id handed out.

    ``token`` None means from the beginning; ``start`` is where the walk began (None: the beginning)
    and ``stop`` the last id it may read (None: to the end). ``done`` once its last page is handed out.
    """

    token: str | None = None
    start: str | None = None
    stop: str | None = None
    position: str | None = None
    done: bool = False

    def advance(self, page: Page) -> None:
        """Move past ``page``, which has just been handed out."""
        self.token = page.next_token
        self.done = page.next_token is None
        if page.items:
            self.position = page.items[-1]["id"]

    def to_json(self) -> dict[str, Any]:
        """The cursor as a JSON object (for an export's state file)."""
        return asdict(self)

    @classmethod
    def saved(cls, state: Mapping[str, Any]) -> list[Cursor] | None:
        """The cursors an export's state saved (one from a state holding only ``next_token``); None: none yet."""
        if state.get("cursors"):
            return [cls.from_json(cursor) for cursor in state["cursors"]]
        if state.get("next_token"):
            return [cls(token=state["next_token"])]
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cursor:
        """A cursor saved by :meth:`to_json`."""
        text = {key: data.get(key) for key in ("token", "start", "stop", "position")}
        return cls(**{k: v if isinstance(v, str) else None for k, v in text.items()}, done=bool(data.get("done")))


class _Failure:
    """An exception raised in a fetcher, queued behind the pages fetched before it."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


@runtime_checkable
class WalkLike(Protocol):
    """A walk cut in two halves (:class:`ory_frames.pages._walk.Walk`): answers sent in one thread, read in another."""

    def answers(self) -> Iterator[Any]:
        """The sending half: answers, each with an ``nbytes``, as they arrive."""
        ...

    def decode(self, answer: Any) -> Page | None:
        """The reading half: an answer's Page, or None for one to drop."""
        ...

    def stop(self) -> None:
        """Make the sending half end at its next step."""
        ...


Source: TypeAlias = "Iterator[Page] | WalkLike"


class FetchAhead:
    """Each source walked in a thread of its own, into one buffer of at most ``buffer_bytes`` of answers.

    This is the one place pages are fetched ahead. A source is a walk (its answers are sent by the
    fetcher thread and read, by ``decode``, in the consumer's) or any iterator of pages. How far a
    fetcher runs ahead adapts to its walk: where an answer's headers name the next page (keyset paging)
    it keeps sending until the buffer is full; where only the read answer does (offset paging), it
    waits for the consumer to read each one. ``max_pages`` also caps the answers waiting in the buffer
    (1: one page ahead of the caller, as the ``iter_*`` walks prefetch).

    ``start()`` starts the threads, ``pages()`` yields ``(source index, page)`` in arrival order (each
    source's pages in its own order), ``close()`` stops and joins the threads; ``pages()`` closes when
    it ends, however it ends.
    """

    def __init__(
        self, sources: Sequence[Source], *, buffer_bytes: int = DEFAULT_BUFFER_BYTES, max_pages: int | None = None
    ) -> None:
        self._sources = list(sources)
        self._limit = check_buffer_bytes(buffer_bytes)
        self._max_pages = max_pages
        self._cond = threading.Condition()
        self._items: deque[tuple[int, Any]] = deque()
        self._bytes = 0
        self._running = 0
        self._halted = False  # closed, or a fetcher failed: fetch no more
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start one fetcher thread per source."""
        with self._cond:
            self._running = len(self._sources)
        for index, source in enumerate(self._sources):
            thread = threading.Thread(
                target=self._fetch, args=(index, source), name=f"ory_frames-fetch-{index}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _room_for_another(self) -> bool:
        """Whether a fetcher may fetch one more answer now (called holding the lock)."""
        return self._max_pages is None or len(self._items) < self._max_pages

    def _fetch(self, index: int, source: Source) -> None:
        """A fetcher: walk ``source`` into the buffer, waiting while it is full; stop when halted."""
        answers: Iterator[Any] = source.answers() if isinstance(source, WalkLike) else source
        try:
            while True:
                with self._cond:
                    while not self._halted and not self._room_for_another():
                        self._cond.wait()
                    if self._halted:
                        return
                answer = next(answers, None)
                if answer is None:
                    return
                with self._cond:
                    while not self._halted and self._bytes and self._bytes + answer.nbytes > self._limit:
                        self._cond.wait()
                    if self._halted:
                        return
                    self._items.append((index, answer))
                    self._bytes += answer.nbytes
                    self._cond.notify_all()
        except BaseException as exc:  # handed to the consumer, which raises it
            with self._cond:
                self._items.append((index, _Failure(exc)))
                self._halted = True
                self._cond.notify_all()
        finally:
            close: Callable[[], object] | None = getattr(answers, "close", None)
            try:
                if close is not None:
                    close()  # a walk's own clean-up runs here, in its thread
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def pages(self) -> Iterator[tuple[int, Page]]:
        """``(source index, page)`` as pages arrive, until every source is done; a fetcher's error is raised."""
        try:
            while True:
                with self._cond:
                    while not self._items and self._running:
                        self._cond.wait()
                    if not self._items:
                        return
                    index, item = self._items.popleft()
                    if isinstance(item, _Failure):
                        raise item.error
                    self._bytes -= item.nbytes
                    self._cond.notify_all()
                source = self._sources[index]
                page = source.decode(item) if isinstance(source, WalkLike) else item
                if page is not None:
                    yield index, page
        finally:
            self.close()

    def close(self) -> None:
        """Stop the fetchers at their next page, drop what is buffered and wait for the threads to end."""
        with self._cond:
            self._halted = True
            self._items.clear()
            self._bytes = 0
            self._cond.notify_all()
        for source in self._sources:
            if isinstance(source, WalkLike):
                source.stop()
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join()


class PageStream:
    """The pages of one or more cursors, fetched ahead; each cursor moves as its pages are handed out.

    ``open_cursor(cursor)`` starts the walk of a cursor from where it stands. Iterate once. While
    iterating, :attr:`cursors` describe exactly the pages handed out so far, and :attr:`done` says
    whether every cursor has reached its end. Subclasses may plan the cursors when iteration starts
    (:meth:`_begin`) and report how far the walk is (:meth:`fraction_done`).
    """

    def __init__(
        self,
        cursors: Sequence[Cursor],
        open_cursor: Callable[[Cursor], Source],
        *,
        buffer_bytes: int = DEFAULT_BUFFER_BYTES,
    ) -> None:
        self.cursors = list(cursors)
        self.fallback: str | None = None  # why fewer cursors were used than asked for, if so
        self._open = open_cursor
        self._buffer_bytes = check_buffer_bytes(buffer_bytes)
        self._generator: Generator[Page, None, None] | None = None

    @property
    def done(self) -> bool:
        """Whether every cursor has handed out its last page."""
        return all(cursor.done for cursor in self.cursors)

    def fraction_done(self) -> float | None:
        """How much of the walk has been handed out, from 0 to 1; None when it cannot be told."""
        return None

    def __iter__(self) -> Iterator[Page]:
        if self._generator is not None:
            raise RuntimeError("a page stream can be iterated only once")
        self._generator = self._pages()
        return self._generator

    def close(self) -> None:
        """Stop fetching and join the fetcher threads (also what ending the iteration early does)."""
        if self._generator is not None:
            self._generator.close()

    def _begin(self) -> tuple[list[tuple[int, Page]], dict[int, Source]]:
        """Plan the walk: pages already in hand (by cursor index) and the walks to run, by cursor index."""
        return [], {index: self._open(cursor) for index, cursor in enumerate(self.cursors) if not cursor.done}

    def _pages(self) -> Generator[Page, None, None]:
        head, walks = self._begin()
        order = list(walks)
        fetch = FetchAhead([walks[index] for index in order], buffer_bytes=self._buffer_bytes)
        fetch.start()
        try:
            for index, page in head:
                self.cursors[index].advance(page)
                yield page
            for position, page in fetch.pages():
                self.cursors[order[position]].advance(page)
                yield page
        finally:
            fetch.close()
