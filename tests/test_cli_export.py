"""`ory-frames demo` and `ory-frames export`: the main job from the shell, against the sandbox."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import drift_support
import httpx
import pyarrow.parquet as pq
import pytest

from ory_frames import Client, TransportError, export_identities, iter_identities
from ory_frames._query import IDENTITY_FILTER_NAMES, SESSION_FILTER_NAMES
from ory_frames.cli import main
from ory_frames.cli._export import FILTER_FLAGS, _filters
from ory_frames.cli._main import build_parser


def test_demo_exports_identities_and_sessions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--identities", "300"]) == 0
    identities = pq.read_table(tmp_path / "identities.parquet")
    sessions = pq.read_table(tmp_path / "sessions.parquet")
    assert identities.num_rows == 300
    assert len(set(identities.column("id").to_pylist())) == 300
    assert sessions.num_rows > 0
    out = capsys.readouterr().out
    assert "identities:" in out and "300 rows" in out and "by schema:" in out


@pytest.fixture(scope="module")
def url(server_mode: str) -> Iterator[str]:
    with drift_support.running(seed_identities=120, seed=3) as base:
        yield base


@pytest.mark.parametrize(("name", "fmt"), [("ids.parquet", "parquet"), ("ids.csv", "csv"), ("ids.jsonl", "jsonl")])
def test_export_identities_format_from_extension(url: str, tmp_path: Path, name: str, fmt: str) -> None:
    out = tmp_path / name
    assert main(["export", "identities", str(out), "--url", url]) == 0
    text = out.read_bytes()
    if fmt == "parquet":
        assert pq.read_table(out).num_rows == 120
    elif fmt == "csv":
        assert text.count(b"\n") == 121  # header + one line per identity
    else:
        assert text.count(b"\n") == 120


def test_export_refuses_to_clobber_then_overwrites(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sessions.parquet"
    assert main(["export", "sessions", str(out), "--url", url, "--active", "true"]) == 0
    assert main(["export", "sessions", str(out), "--url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ory-frames export: ") and "exists" in err and "--overwrite" in err, err
    assert "overwrite=True" not in err and "FileExistsError" not in err, err
    assert main(["export", "sessions", str(out), "--url", url, "--overwrite"]) == 0
    assert pq.read_table(out).num_rows > 0


def test_an_export_of_one_identity_says_so_in_the_singular(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(url) as client:
        one = next(iter(iter_identities(client, page_size=1))).items[0]["id"]
    assert main(["export", "identities", str(tmp_path / "one.csv"), "--url", url, "--id", one]) == 0
    assert capsys.readouterr().out.startswith("1 identity → ")


def test_export_without_url_is_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    assert main(["export", "identities", str(tmp_path / "x.parquet")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ORY_SDK_URL" in err
    assert err.startswith("ory-frames export: ") and "--url" in err, err
    assert "base_url" not in err and "InvalidInputError" not in err, err


class _CutAfter(httpx.HTTPTransport):
    """Lets ``pages`` identity pages through, then the connection drops."""

    def __init__(self, pages: int) -> None:
        super().__init__()
        self.left = pages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/admin/identities"):
            self.left -= 1
            if self.left < 0:
                raise httpx.ConnectError("connection lost", request=request)
        return super().handle_request(request)


def test_a_rerun_without_resume_says_resume_would_have_continued(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ids.parquet"
    with Client(url, transport=_CutAfter(3), retries=0) as flaky, pytest.raises(TransportError):
        export_identities(flaky, out, page_size=10, batch_rows=10)
    assert main(["export", "identities", str(out), "--url", url, "--page-size", "10"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("ory-frames export: note: ") and "started over" in err and "--resume" in err, err
    assert "resume=True" not in err and err.count("\n") == 1, err
    assert pq.read_table(out).num_rows == 120


def test_export_sessions_carries_identity_ids_by_default(url: str, tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    assert main(["export", "sessions", str(out), "--url", url]) == 0
    assert pq.read_table(out).column("identity_id").null_count == 0
    bare = tmp_path / "bare.parquet"
    assert main(["export", "sessions", str(bare), "--url", url, "--expand", "none"]) == 0
    assert pq.read_table(bare).column("identity_id").null_count == pq.read_table(bare).num_rows


def test_export_format_is_the_one_rule_of_the_api(url: str, tmp_path: Path) -> None:
    # an explicit --format matching the extension, and a folder-like OUT with --format
    assert main(["export", "identities", str(tmp_path / "a.csv"), "--url", url, "--format", "csv"]) == 0
    assert (tmp_path / "a.csv").read_bytes().count(b"\n") == 121
    assert main(["export", "identities", str(tmp_path / "b"), "--url", url, "--format", "jsonl"]) == 0
    assert (tmp_path / "b").read_bytes().count(b"\n") == 120


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["identities", "ids.csv", "--format", "parquet"], "the extension '.csv' of"),
        (["sessions", "s.parquet", "--format", "jsonl"], "names the parquet format, but the format asked for is jsonl"),
        (["identities", "by_schema.jsonl", "--partition-by", "schema_id"], "--partition-by writes a Parquet dataset"),
        (["identities", "ids.parquet", "--active", "true"], "--active filters sessions; it cannot be used"),
        (
            ["identities", "ids.parquet", "--expand", "identity", "--active", "false"],
            "--active and --expand filter sessions; they cannot be used with 'export identities'",
        ),
        (["sessions", "s.parquet", "--credentials-identifier", "a@b.c"], "--credentials-identifier filters identities"),
        (
            ["sessions", "s.parquet", "--id", "x", "--organization-id", "o", "--include-credential", "password"],
            "--id, --organization-id and --include-credential filter identities",
        ),
        (["sessions", "s.parquet", "--consistency", "strong"], "--consistency filters identities"),
    ],
)
def test_export_refuses_what_does_not_apply_in_one_line(
    argv: list[str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No project is named: had the command gone on to build a client, it would have failed with exit code 1.
    monkeypatch.delenv("ORY_SDK_URL", raising=False)
    assert main(["export", argv[0], str(tmp_path / argv[1]), *argv[2:]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ory-frames export: ") and err.count("\n") == 1 and expected in err, err
    assert list(tmp_path.iterdir()) == []


def test_every_filter_of_the_read_layer_has_one_flag() -> None:
    assert list(FILTER_FLAGS) == [*IDENTITY_FILTER_NAMES, *SESSION_FILTER_NAMES]


@pytest.mark.parametrize(
    ("argv", "filters"),
    [
        (
            ["identities", "x", "--id", "a", "--id", "b", "--consistency", "strong"],
            {"ids": ["a", "b"], "consistency": "strong"},
        ),
        (["identities", "x", "--include-credential", "password"], {"include_credential": ["password"]}),
        (["sessions", "x"], {}),  # expand not given: export_sessions' default, identity and devices
        (["sessions", "x", "--active", "false", "--expand", "none"], {"active": False, "expand": []}),
        (["sessions", "x", "--expand", "devices"], {"expand": ["devices"]}),
    ],
)
def test_the_flags_become_the_filters_by_their_names(argv: list[str], filters: dict[str, object]) -> None:
    args = build_parser().parse_args(["export", *argv])
    assert _filters(args) == filters


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("terminal", "flag", "drawn"),
    [(True, [], True), (True, ["--no-progress"], False), (False, [], False), (False, ["--progress"], True)],
)
def test_progress_bar_by_default_on_a_terminal(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool, flag: list[str], drawn: bool
) -> None:
    stderr = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    assert main(["export", "identities", str(tmp_path / "ids.parquet"), "--url", url, *flag]) == 0
    # tqdm's count of identities, with the percent done that the cursor's place in the UUID space tells
    assert ("100%|##########| 120/120 [" in stderr.getvalue()) is drawn, stderr.getvalue()


@pytest.mark.sandbox_only("counts requests through /__sandbox/stats")
def test_export_page_size(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    httpx.post(f"{url}/__sandbox/stats/reset")
    assert main(["export", "identities", str(tmp_path / "ids.parquet"), "--url", url, "--page-size", "7"]) == 0
    routes = httpx.get(f"{url}/__sandbox/stats").json()["by_route"]
    listed = sum(sum(counts.values()) for route, counts in routes.items() if route.endswith("/admin/identities"))
    assert listed == -(-120 // 7)
    assert main(["export", "identities", str(tmp_path / "x.parquet"), "--url", url, "--page-size", "0"]) == 2
    assert "0 is not a positive integer" in capsys.readouterr().err
