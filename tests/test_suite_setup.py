"""The suite's own machinery: the two server modes in one run (tests/conftest.py) and the Makefile's lists."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import drift_support
import httpx
import pytest
from drift_support import DRIFT_TESTS, running

from ory_frames import sandbox

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ("pytester",)


def _make_list(name: str) -> list[str]:
    """A whitespace-separated Makefile variable, continuation lines joined."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(rf"^{name}\s*:?=(.*)$", text, re.MULTILINE)
    assert match is not None, f"Makefile sets no {name}"
    return match.group(1).split()


def test_the_makefile_names_the_drift_tests_of_drift_support() -> None:
    # The Kratos pass runs the Makefile's DRIFT_TESTS; the [drift] parametrization uses drift_support's.
    assert _make_list("DRIFT_TESTS") == list(DRIFT_TESTS)
    assert all((ROOT / name).exists() for name in DRIFT_TESTS)


# A module at a DRIFT_TESTS path, in a copy of the suite's conftest: a fixture that takes server_mode is
# built once per mode and sees that mode; one that starts a server without it fails; conformance runs plain.
_MODULE = """
import drift_support
import pytest


@pytest.fixture(scope="module")
def seen(server_mode):
    drift_support.started[0] += 1  # as running() does when it starts a server
    return drift_support.drift_enabled()


@pytest.fixture(scope="module")
def module_server():
    drift_support.started[0] += 1
    return drift_support.drift_enabled()


def test_mode(seen, server_mode):
    assert seen == (server_mode == "drift") == drift_support.drift_enabled()


def test_module_server(module_server):
    pass


@pytest.mark.conformance
def test_pinned(server_mode):
    assert server_mode == "plain"
"""


@pytest.fixture
def suite_copy(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    tests = pytester.path / "tests"
    tests.mkdir()
    for name in ("conftest.py", "drift_support.py", "kratos_support.py"):
        shutil.copyfile(ROOT / "tests" / name, tests / name)
    (tests / "test_cli.py").write_text(_MODULE, encoding="utf-8")
    pytester.makeini("[pytest]\nmarkers =\n    conformance: pins\n    kratos: needs\n")
    monkeypatch.setenv("ORY_FRAMES_KRATOS_BIN", str(pytester.path / "no-kratos"))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # none needed; loading them all takes seconds
    for name in ("ORY_FRAMES_TEST_DRIFT", "ORY_FRAMES_TEST_SERVER"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_drift_tests_run_in_both_modes_and_a_shared_server_is_refused(suite_copy: pytest.Pytester) -> None:
    result = suite_copy.runpytest_subprocess("-p", "no:cacheprovider", "-v", "tests")
    # The first test to set `module_server` up errors (pytest then keeps the fixture's value for the other mode).
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_mode?plain? PASSED*",
            "*test_mode?drift? PASSED*",
            "*fixture 'module_server' (module scope) starts a server in a module that runs in both server modes*",
        ]
    )
    assert "test_pinned[" not in result.stdout.str()


def test_under_drift_every_server_drifts_and_conformance_is_skipped(suite_copy: pytest.Pytester) -> None:
    result = suite_copy.runpytest_subprocess("-p", "no:cacheprovider", "-v", "--drift", "tests")
    result.assert_outcomes(passed=2, skipped=1)
    assert "[plain]" not in result.stdout.str() and "[drift]" not in result.stdout.str()


def test_a_sandbox_from_the_seeded_template_serves_what_seeding_serves() -> None:
    # drift_support.running() serves seeded sandboxes from a copy of one database seeded per run.
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with (
        running(seed_identities=25, seed=3, now=now) as shared,
        sandbox.running(seed_identities=25, seed=3, now=now) as own,
    ):
        assert list(drift_support.templates[0].glob("seeded-25-3-2026-01-02T030405*.sqlite"))  # it was used
        paths = ["/admin/identities?page_size=250", "/admin/sessions?page_size=250&expand=identity"]
        with httpx.Client(base_url=shared) as one, httpx.Client(base_url=own) as other:
            ids = [i["id"] for i in one.get(paths[0]).json()]
            paths += [f"/admin/identities/{i}?include_credential=password&include_credential=oidc" for i in ids[:5]]
            for path in paths:
                got, expected = one.get(path), other.get(path)
                assert got.status_code == expected.status_code == 200, path
                assert got.json() == expected.json(), path
    assert len(ids) == 25
