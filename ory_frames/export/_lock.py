"""Hold one export per target at a time, and report a full disk or a denied write as one clear error.

:func:`export_lock` (and :func:`exclusive`, the same as a decorator of the export driver) holds the lock
file ``<path>.ory-frames-lock`` for the whole export; a second process exporting to the same target is
refused with an :class:`~ory_frames.ExportError` naming the holder. A lock left by a process that died
is taken over, and a log line says so. While the lock is held, any ``OSError`` (no space left, permission
denied, a read-only file system) becomes one :class:`~ory_frames.ExportError` naming the path and the
reason; the parts flushed so far and the resume state stay, and nothing appears under the final name.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import posixpath
import socket
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar

import orjson
import pyarrow.fs as pafs

from ory_frames._errors import ExportError
from ory_frames.export._files import Target, read_json, write_json

__all__ = ["exclusive", "export_lock"]

logger = logging.getLogger("ory_frames")
_P = ParamSpec("_P")
_R = TypeVar("_R")
_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
}
_HELD: set[str] = set()  # lock files this process holds (a lock file naming this pid but not listed here is stale)


def exclusive(run: Callable[Concatenate[Target, _P], _R]) -> Callable[Concatenate[Target, _P], _R]:
    """Decorate an export driver whose first argument is its Target: the whole run holds :func:`export_lock`."""

    @functools.wraps(run)
    def locked(target: Target, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with export_lock(target):
            return run(target, *args, **kwargs)

    return locked


@contextlib.contextmanager
def export_lock(target: Target) -> Iterator[None]:
    """Hold ``<path>.ory-frames-lock`` for the body, refusing a target another live process is exporting to.

    On a local disk the lock is ``flock`` on that file, which the kernel drops when its process dies, so a
    lock left by a killed export is taken over at once (and a log line says so); elsewhere (object stores,
    fsspec) the file names its owner and is taken over when that process is gone from this host (a best
    effort: object stores have no exclusive create). Any other
    ``OSError`` of the body (a full disk, a denied write) becomes one :class:`ExportError` naming the
    path and the reason; ``FileExistsError`` (an existing output) passes unchanged.
    """
    try:
        parent = posixpath.dirname(target.lock)
        if parent and not target.exists(parent):
            target.fs.create_dir(parent, recursive=True)
        release = _lock_local(target) if _flock_works(target) else _lock_file(target)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                release()
    except (ExportError, FileExistsError):
        raise
    except OSError as exc:
        raise _write_error(target, exc) from exc


def _flock_works(target: Target) -> bool:
    return isinstance(target.fs, pafs.LocalFileSystem) and sys.platform != "win32"


def _owner() -> dict[str, Any]:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": since}


def _describe(owner: Any) -> str:
    if not isinstance(owner, dict) or "pid" not in owner:
        return "a process that has not written its name yet"
    return f"pid {owner['pid']} on host {owner.get('host')!s}, since {owner.get('since')!s}"


def _busy(target: Target, owner: Any, hint: str = "") -> ExportError:
    message = (
        f"{target.path} is already being exported ({_describe(owner)}; lock file {target.lock}); "
        f"wait for it to finish, or stop it and export again with resume=True{hint}"
    )
    return ExportError(message, target.path, "another export is writing it", errno.EBUSY)


def _lock_local(target: Target) -> Callable[[], None]:
    """flock the lock file; retry if its holder unlinked it between our open and our lock."""
    import fcntl

    while True:
        fd = os.open(target.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _parse_owner(os.pread(fd, 4096, 0))
            os.close(fd)
            raise _busy(target, owner) from None
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(fd), os.stat(target.lock)):
                break
        os.close(fd)
    previous = _parse_owner(os.pread(fd, 4096, 0))
    if previous is not None:
        _took_over(target, previous)
    os.ftruncate(fd, 0)
    os.pwrite(fd, orjson.dumps(_owner()), 0)

    def release() -> None:
        try:
            os.unlink(target.lock)  # while still holding it: a waiting opener then finds another file
        finally:
            os.close(fd)

    return release


def _lock_file(target: Target) -> Callable[[], None]:
    """A lock file naming its owner, for filesystems without flock; taken over once its owner is gone."""
    if target.exists(target.lock):
        try:
            owner = read_json(target, target.lock)
        except (OSError, ValueError):
            owner = None
        if not _gone(owner, target.lock):
            hint = f"; if no export is running, delete {target.lock}"
            raise _busy(target, owner, hint)
        _took_over(target, owner)
    write_json(target, target.lock, _owner())
    _HELD.add(target.lock)

    def release() -> None:
        _HELD.discard(target.lock)
        target.remove(target.lock)

    return release


def _took_over(target: Target, owner: Any) -> None:
    logger.warning(
        "took over the stale export lock %s of %s: that export is no longer running", target.lock, _describe(owner)
    )


def _parse_owner(data: bytes) -> Any:
    try:
        return orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        return None


def _gone(owner: Any, lock: str) -> bool:
    """Whether the process a lock file names has exited (known only for processes of this host)."""
    if (
        not isinstance(owner, dict)
        or owner.get("host") != socket.gethostname()
        or not isinstance(owner.get("pid"), int)
    ):
        return False
    if owner["pid"] == os.getpid():
        return lock not in _HELD
    if sys.platform == "win32":
        return False  # os.kill would end the process there
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _write_error(target: Target, exc: OSError) -> ExportError:
    """One line: which export failed, why, and what to do next."""
    code = exc.errno
    reason = _REASONS.get(code or -1) or (os.strerror(code).lower() if code else str(exc) or type(exc).__name__)
    where = f" ({exc.filename})" if exc.filename else ""
    if code in (errno.ENOSPC, errno.EDQUOT):
        advice = "make room, then export again with resume=True: the parts flushed so far are kept"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = f"check that you may write to {posixpath.dirname(target.path) or target.path}"
    else:
        advice = "export again with resume=True once it is fixed"
    return ExportError(f"export to {target.path} failed: {reason}{where}; {advice}", target.path, reason, code)
