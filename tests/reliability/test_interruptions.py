"""Interrupted exports: Ctrl-C, a second process on the same target, a full disk and a denied write.

Each leaves nothing under the final name and a state that ``resume=True`` (``--resume``) completes with
every row exactly once; each failure is one ``ExportError`` line (the CLI prints it and exits non-zero,
no traceback). Ctrl-C is a real SIGINT, in this process and to the ``ory-frames export`` command. A full
disk is injected (a pyarrow filesystem whose writes fail with ENOSPC once a byte budget is spent) and,
for the command, real: the state sidecar's temporary file is a link to ``/dev/full``. A denied write is
injected too and, for the command, a real read-only directory (as root the command runs without the
capability that lets root ignore file modes).

Size: the shared 5 000 identities (about 8 000 sessions), small pages and parts so interruptions land mid-stream.
"""

from __future__ import annotations

import errno
import gc
import json
import logging
import os
import pickle
import signal
import stat
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from drift_support import running
from reliability_support import assert_same_rows

from ory_frames import Client, ExportError, export_identities, export_sessions
from ory_frames.cli import main
from ory_frames.export._files import LOCK_SUFFIX, PARTIAL_SUFFIX, STATE_SUFFIX

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("SIGINT to a process and file modes are POSIX", allow_module_level=True)

IDENTITY_SIZES = {"page_size": 50, "batch_rows": 250}  # 20 parts
SESSION_SIZES = {"page_size": 100, "batch_rows": 500}


def _sidecars(path: Path) -> dict[str, bool]:
    return {s: Path(str(path) + s).exists() for s in (STATE_SUFFIX, PARTIAL_SUFFIX, LOCK_SUFFIX)}


def _parts(path: Path) -> int:
    """Parts flushed so far, from the export's state file (-1 while there is none)."""
    try:
        return int(json.loads(Path(str(path) + STATE_SUFFIX).read_bytes())["parts"])
    except (OSError, ValueError, KeyError):
        return -1


def _assert_complete(path: Path, want: pa.Table, since: Any = None) -> None:
    assert_same_rows(pq.read_table(path), want, since=since)
    assert _sidecars(path) == dict.fromkeys((STATE_SUFFIX, PARTIAL_SUFFIX, LOCK_SUFFIX), False)


def _finalize_abandoned_sockets() -> None:
    """Collect, here and quietly, a socket the KeyboardInterrupt may have cut off mid-request.

    A signal raises KeyboardInterrupt at whatever line runs, httpx's own included: a connection being
    opened or read then is never closed, and its ResourceWarning would otherwise surface at some later
    test's garbage collection.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _assert_interrupted(path: Path) -> None:
    """Nothing under the final name, the resume state kept, the lock released."""
    assert not path.exists()
    assert _sidecars(path) == {STATE_SUFFIX: True, PARTIAL_SUFFIX: True, LOCK_SUFFIX: False}


# ---- Ctrl-C ---------------------------------------------------------------------------------------------------


class SigintAfter(httpx.BaseTransport):
    """Sends this process a real SIGINT (Ctrl-C) with the first request after ``parts`` parts were flushed."""

    def __init__(self, path: Path, parts: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.path, self.parts, self.fired = path, parts, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.fired and _parts(self.path) >= self.parts:
            self.fired = True
            os.kill(os.getpid(), signal.SIGINT)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(("kind", "parts"), [("identities", 0), ("identities", 7), ("sessions", 3)])
def test_ctrl_c_in_process_then_resume(
    kind: str, parts: int, seeded_db: str, clean_exports: dict[str, Any], tmp_path: Path
) -> None:
    export = export_identities if kind == "identities" else export_sessions
    sizes = IDENTITY_SIZES if kind == "identities" else SESSION_SIZES
    path = tmp_path / f"{kind}.parquet"
    with running(db=seeded_db) as url:
        transport = SigintAfter(path, parts)
        with Client(url, transport=transport) as client, pytest.raises(KeyboardInterrupt):
            export(client, path, **sizes)  # type: ignore[operator]
        assert transport.fired
        _finalize_abandoned_sockets()
        _assert_interrupted(path)
        assert _parts(path) >= parts
        with Client(url) as client:
            result = export(client, path, resume=True, **sizes)  # type: ignore[operator]
    assert result.rows == clean_exports[kind].num_rows
    assert result.resumed == (parts > 0)
    _assert_complete(path, clean_exports[kind], since=clean_exports["since"])


def _drop_root_override() -> list[str]:
    """A command prefix that runs Python without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH when we are root.

    Root ignores file modes; with both capabilities dropped from the bounding set and the interpreter
    started again (execv), a read-only directory refuses root's writes as it refuses anyone's.
    """
    if os.geteuid() != 0:
        return [sys.executable]
    drop = (
        "import ctypes, os, sys\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "for cap in (1, 2):\n"
        "    if libc.prctl(24, cap, 0, 0, 0):\n"  # PR_CAPBSET_DROP
        "        sys.exit(f'prctl: {os.strerror(ctypes.get_errno())}')\n"
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
    )
    return [sys.executable, "-c", drop]


def _cli(*args: str, unprivileged: bool = False) -> list[str]:
    python = _drop_root_override() if unprivileged else [sys.executable]
    return [*python, "-m", "ory_frames.cli", "export", *args, "--no-progress"]


def _one_line_error(proc: subprocess.CompletedProcess[str], code: int, *phrases: str) -> str:
    assert proc.returncode == code, proc.stderr
    err = proc.stderr
    assert err.startswith("ory-frames export: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for phrase in phrases:
        assert phrase in err, err
    return err


def _interrupt_cli(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    """Start `ory-frames export identities PATH`; Ctrl-C (SIGINT) it once it is exporting."""
    child = subprocess.Popen(
        _cli("identities", str(path), "--url", url, "--page-size", "50"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not Path(str(path) + STATE_SUFFIX).exists() and child.poll() is None:
        assert time.monotonic() < deadline, "the export never started"
        time.sleep(0.01)
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def test_ctrl_c_to_the_command_then_resume(seeded_db: str, clean_exports: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "identities.parquet"
    with running(db=seeded_db, latency_ms=20) as url:  # 100 pages: 2 s at least, so SIGINT lands mid-export
        stopped = _interrupt_cli(url, path)
        _one_line_error(stopped, 130, "interrupted", "--resume")
        _assert_interrupted(path)
        resumed = subprocess.run(
            _cli("identities", str(path), "--url", url, "--page-size", "50", "--resume"), capture_output=True, text=True
        )
    assert resumed.returncode == 0, resumed.stderr
    assert "5000 identities" in resumed.stdout
    _assert_complete(path, clean_exports["identities"])


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full; the injected full disk runs anyway")
def test_real_full_disk_for_the_command(seeded_db: str, clean_exports: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "identities.parquet"
    with running(db=seeded_db, latency_ms=20) as url:
        _one_line_error(_interrupt_cli(url, path), 130)
        scratch = Path(str(path) + STATE_SUFFIX + ".tmp")  # where the state is written before its atomic rename
        scratch.symlink_to("/dev/full")  # every write there fails with ENOSPC, from the kernel
        full = subprocess.run(
            _cli("identities", str(path), "--url", url, "--page-size", "50", "--resume"), capture_output=True, text=True
        )
        _one_line_error(full, 1, "no space left on device", str(path), "export again with --resume")
        _assert_interrupted(path)
        scratch.unlink()
        resumed = subprocess.run(
            _cli("identities", str(path), "--url", url, "--page-size", "50", "--resume"), capture_output=True, text=True
        )
    assert resumed.returncode == 0, resumed.stderr
    _assert_complete(path, clean_exports["identities"])


# ---- a second process on the same target ----------------------------------------------------------------------

CHILD = """
import sys
from ory_frames import Client, export_identities
url, path = sys.argv[1:3]
with Client(url) as client:
    export_identities(client, path, page_size=50, batch_rows=250, resume=True)
"""


def test_a_second_export_of_the_same_target_is_refused(
    seeded_db: str, clean_exports: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "identities.parquet"
    lock = Path(str(path) + LOCK_SUFFIX)
    with running(db=seeded_db, latency_ms=30) as url:  # 100 pages: 3 s at least
        first = subprocess.Popen(_cli("identities", str(path), "--url", url, "--page-size", "50"), text=True)
        try:
            deadline = time.monotonic() + 60
            while not (lock.exists() and lock.read_bytes()) and first.poll() is None:
                assert time.monotonic() < deadline, "the first export never started"
                time.sleep(0.01)
            for resume in (False, True):
                with Client(url) as client, pytest.raises(ExportError) as refused:
                    export_identities(client, path, resume=resume, overwrite=True)
                assert "already being exported" in str(refused.value) and f"pid {first.pid} " in str(refused.value)
                assert refused.value.errno == errno.EBUSY and refused.value.path == str(path)
            assert main(["export", "identities", str(path), "--url", url, "--resume"]) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "already being exported" in err and f"pid {first.pid} " in err, err
            assert "--resume" in err and "resume=True" not in err
            assert first.poll() is None, "the first export ended before the second one was tried"
        finally:
            assert first.wait(timeout=120) == 0  # undisturbed by the refused ones
    _assert_complete(path, clean_exports["identities"])


def test_the_lock_of_a_killed_export_is_taken_over(
    seeded_db: str, clean_exports: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "identities.parquet"
    with running(db=seeded_db, latency_ms=5) as url:
        child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(path)])
        deadline = time.monotonic() + 60
        while _parts(path) < 2 and child.poll() is None:
            assert time.monotonic() < deadline, "the export never flushed"
            time.sleep(0.005)
        child.kill()
        child.wait()
        assert Path(str(path) + LOCK_SUFFIX).exists() and not path.exists()
        caplog.set_level(logging.WARNING, logger="ory_frames")
        with Client(url) as client:
            result = export_identities(client, path, resume=True, **IDENTITY_SIZES)  # type: ignore[arg-type]
    assert result.resumed
    assert "took over the stale export lock" in caplog.text and f"pid {child.pid} " in caplog.text
    _assert_complete(path, clean_exports["identities"])


# ---- an injected full disk or denied write -------------------------------------------------------------------


class Disk(pafs.FileSystemHandler):
    """The local disk, through pyarrow's PyFileSystem, that fails once ``budget`` bytes were written.

    ``fail`` is ENOSPC (the write that crosses the budget fails) or EACCES (opening any file for writing
    fails once the budget is spent). ``budget=None``: no limit; ``written`` counts every byte written.
    """

    def __init__(self, fail: int = errno.ENOSPC, budget: int | None = None) -> None:
        self.local = pafs.LocalFileSystem()
        self.fail, self.budget, self.written = fail, budget, 0

    def spend(self, n: int, path: str) -> None:
        if self.budget is not None and self.written + n > self.budget:
            raise OSError(self.fail, os.strerror(self.fail), path)
        self.written += n

    def open_output_stream(self, path: str, metadata: Any) -> pa.NativeFile:
        if self.fail == errno.EACCES and self.budget is not None and self.written >= self.budget:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return pa.PythonFile(_Metered(self, path, self.local.open_output_stream(path)), mode="w")

    def get_type_name(self) -> str:
        return "test-disk"

    def normalize_path(self, path: str) -> str:
        return path

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.local.get_file_info(paths)

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        return self.local.get_file_info(selector)

    def create_dir(self, path: str, recursive: bool) -> None:
        self.local.create_dir(path, recursive=recursive)

    def delete_dir(self, path: str) -> None:
        self.local.delete_dir(path)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        self.local.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self) -> None:
        raise PermissionError(errno.EPERM, "not on the test disk")

    def delete_file(self, path: str) -> None:
        self.local.delete_file(path)

    def move(self, src: str, dest: str) -> None:
        self.local.move(src, dest)

    def copy_file(self, src: str, dest: str) -> None:
        self.local.copy_file(src, dest)

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.local.open_input_stream(path)

    def open_input_file(self, path: str) -> pa.NativeFile:
        return self.local.open_input_file(path)

    def open_append_stream(self, path: str, metadata: Any) -> pa.NativeFile:
        raise NotImplementedError("exports never append")


class _Metered:
    """A writable file object that spends the disk's budget before each write."""

    def __init__(self, disk: Disk, path: str, out: pa.NativeFile) -> None:
        self.disk, self.path, self.out = disk, path, out
        self.closed = False

    def write(self, data: Any) -> int:
        n = memoryview(data).nbytes
        self.disk.spend(n, self.path)
        self.out.write(data)
        return n

    def flush(self) -> None:
        self.out.flush()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.out.close()

    def writable(self) -> bool:
        return True


@pytest.fixture(scope="module")
def sandbox_url(seeded_db: str) -> Iterator[str]:
    with running(db=seeded_db) as url:
        yield url


OPTIONS: dict[str, Any] = {"page_size": 100, "batch_rows": 500}  # 10 parts


@pytest.fixture(scope="module")
def clean_runs(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, int]]:
    """Per format: the file an undisturbed export writes, and the bytes it writes in all (parts, state, lock...)."""
    out = {}
    for fmt in ("parquet", "csv"):
        path = tmp_path_factory.mktemp("clean") / f"identities.{fmt}"
        disk = Disk()
        with Client(sandbox_url) as client:
            export_identities(client, path, filesystem=pafs.PyFileSystem(disk), **OPTIONS)
        out[fmt] = (path.read_bytes(), disk.written)
    return out


@pytest.mark.parametrize("fail", [errno.ENOSPC, errno.EACCES], ids=["full disk", "denied write"])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("spent", [0.0, 0.4, 0.97])
def test_injected_write_failure_is_one_error_then_resume(
    fail: int,
    fmt: str,
    spent: float,
    sandbox_url: str,
    clean_exports: dict[str, Any],
    clean_runs: dict[str, tuple[bytes, int]],
    tmp_path: Path,
) -> None:
    clean, total = clean_runs[fmt]
    path = tmp_path / f"identities.{fmt}"
    disk = Disk(fail, budget=int(total * spent))
    options = {"filesystem": pafs.PyFileSystem(disk), **OPTIONS}
    with Client(sandbox_url) as client:
        with pytest.raises(ExportError) as failed:
            export_identities(client, path, **options)
        message = str(failed.value)
        reason = "no space left on device" if fail == errno.ENOSPC else "permission denied"
        assert message.startswith(f"export to {path} failed: {reason}") and "\n" not in message, message
        assert failed.value.errno == fail and failed.value.reason == reason and failed.value.path == str(path)
        assert isinstance(failed.value, OSError) and isinstance(failed.value.__cause__, OSError)
        assert not path.exists() and not Path(str(path) + LOCK_SUFFIX).exists()
        disk.budget = None  # room made, permission given
        result = export_identities(client, path, resume=True, **options)
    assert result.rows == clean_exports["identities"].num_rows
    if fmt == "csv":
        assert path.read_bytes() == clean  # the same rows in the same order, each once
        assert not any(_sidecars(path).values())
    else:
        _assert_complete(path, clean_exports["identities"])


def test_export_error_pickles_and_prints_its_one_line() -> None:
    error = ExportError("export to /x.parquet failed: no space left on device", "/x.parquet", "no space", 28)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ExportError and str(again) == str(error) == error.message
    assert (again.path, again.reason, again.errno) == ("/x.parquet", "no space", 28)
    assert isinstance(again, OSError) and again.errno == errno.ENOSPC


# ---- a lock file on a filesystem without flock --------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize(
    ("owner", "taken_over"),
    [
        (lambda: {"pid": _dead_pid(), "host": os.uname().nodename, "since": "2026-01-01T00:00:00Z"}, True),
        (lambda: {"pid": os.getpid(), "host": os.uname().nodename, "since": "2026-01-01T00:00:00Z"}, True),
        (lambda: {"pid": os.getppid(), "host": os.uname().nodename, "since": "2026-01-01T00:00:00Z"}, False),
        (lambda: {"pid": 1, "host": "another-machine.example", "since": "2026-01-01T00:00:00Z"}, False),
        (lambda: "half-written", False),
    ],
    ids=["dead process", "this process, not exporting", "live process", "another host", "unreadable"],
)
def test_lock_file_without_flock(
    owner: Callable[[], Any], taken_over: bool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "identities.parquet"
    lock = Path(str(path) + LOCK_SUFFIX)
    content = owner()
    lock.write_text(json.dumps(content) if isinstance(content, dict) else content)
    caplog.set_level(logging.WARNING, logger="ory_frames")
    with running(seed_identities=30, seed=5) as url, Client(url) as client:
        fs = pafs.PyFileSystem(Disk())
        if taken_over:
            assert export_identities(client, path, filesystem=fs).rows == 30
            assert "took over the stale export lock" in caplog.text and not lock.exists()
        else:
            with pytest.raises(ExportError, match="already being exported") as refused:
                export_identities(client, path, filesystem=fs)
            assert f"delete {lock}" in str(refused.value) and lock.exists() and not path.exists()


# ---- a real read-only directory, for the command -------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write to (for root too: see _drop_root_override); writable again afterwards."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    probe = subprocess.run(
        [*_drop_root_override(), "-c", f"open({str(folder / 'probe')!r}, 'w')"], capture_output=True, text=True
    )
    if probe.returncode == 0:
        folder.chmod(0o755)
        pytest.skip("file modes do not bind this user here (root keeping CAP_DAC_OVERRIDE); injected EACCES runs")
    assert "Permission denied" in probe.stderr, probe.stderr
    try:
        yield folder
    finally:
        folder.chmod(0o755)


def test_read_only_directory_is_one_line(read_only: Path, sandbox_url: str) -> None:
    path = read_only / "identities.parquet"
    proc = subprocess.run(
        _cli("identities", str(path), "--url", sandbox_url, unprivileged=True), capture_output=True, text=True
    )
    _one_line_error(proc, 1, f"export to {path} failed: permission denied", f"check that you may write to {read_only}")
    assert list(read_only.iterdir()) == []


def test_directory_made_read_only_mid_export_then_resume(
    read_only: Path, seeded_db: str, clean_exports: dict[str, Any]
) -> None:
    read_only.chmod(0o755)
    path = read_only / "identities.parquet"
    with running(db=seeded_db, latency_ms=20) as url:
        child = subprocess.Popen(
            _cli("identities", str(path), "--url", url, "--page-size", "50", unprivileged=True),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not Path(str(path) + STATE_SUFFIX).exists() and child.poll() is None:
            assert time.monotonic() < deadline, "the export never started"
            time.sleep(0.01)
        read_only.chmod(0o555)  # the state's next rewrite (at the flush) cannot create its temporary file
        out, err = child.communicate(timeout=60)
        _one_line_error(subprocess.CompletedProcess(child.args, child.returncode, out, err), 1, "permission denied")
        assert not path.exists() and Path(str(path) + STATE_SUFFIX).exists()
        read_only.chmod(0o755)
        resumed = subprocess.run(
            _cli("identities", str(path), "--url", url, "--page-size", "50", "--resume"), capture_output=True, text=True
        )
    assert resumed.returncode == 0, resumed.stderr
    _assert_complete(path, clean_exports["identities"])
